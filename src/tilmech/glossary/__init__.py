"""Term bases: model and loading, source matching, enforcement in MT, verification."""

from __future__ import annotations

from .match import Protected, Restored, TermIssue, TermMatch, TermMatcher
from .model import Glossary, Rendering, Term, load_glossary, read_glossary

__all__ = ["Glossary", "Protected", "Rendering", "Restored", "Term", "TermIssue", "TermMatch", "TermMatcher", "load_glossary", "read_glossary"]
