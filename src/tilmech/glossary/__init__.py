"""Term bases: model and loading, source matching, enforcement in MT, verification."""

from __future__ import annotations

from .match import Protected, Restored, TermMatch, TermMatcher
from .model import Glossary, Term, load_glossary, read_glossary

__all__ = ["Glossary", "Protected", "Restored", "Term", "TermMatch", "TermMatcher", "load_glossary", "read_glossary"]
