"""Markdown articles as translatable segments, in three rooms by what their users need:

- :mod:`.placeholders`: the segment model, its ``{1}…{/1}`` placeholders and their check, in plain
  regular expressions and dataclasses (what glossary matching, QA checks and engines import);
- :mod:`.extract`: Markdown → segments (markdown-it, pysbd), with the sentence cuts the store keeps;
- :mod:`.render`: segments → Markdown and HTML (mdformat).

Importing this package (or :mod:`.placeholders`) loads no Markdown library; import what parses
or renders from :mod:`.extract` and :mod:`.render`.
"""

from __future__ import annotations

from .placeholders import PLACEHOLDER_RE, Field, Markup, Segment, check_placeholders

__all__ = ["PLACEHOLDER_RE", "Field", "Markup", "Segment", "check_placeholders"]
