"""Tilmech: English articles to reviewed Russian, Kyrgyz and Chinese editions."""

from __future__ import annotations

__version__ = "0.1.0"
