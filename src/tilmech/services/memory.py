"""The translation memory: the key of a source text, as stored with each engine output.
"""

from __future__ import annotations

import hashlib


def memory_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
