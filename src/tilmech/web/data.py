"""Data across the HTTP boundary: service results out as plain JSON data, uploaded files in as text."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from fastapi import UploadFile

from ..inputs import decode_input

MAX_INT = 2**63 - 1  # the largest integer a store column holds: larger ids and counts are invalid

_SCALARS = frozenset({str, int, float, bool})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def plain(value: Any) -> Any:
    """Plain JSON data of service results (frozen dataclasses, enums), built in one pass
    (``dataclasses.asdict`` deep-copies first: it cost most of a queue page's time)."""
    if value is None or type(value) in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def upload_name(file: UploadFile) -> str:
    """The uploaded file's own name, for messages: no folders, no control characters, not too long."""
    name = re.split(r"[\\/]", file.filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:100]
    return name or "upload.xlf"


async def read_upload(file: UploadFile, limit: int) -> str:
    """The text of an uploaded file, refused with its name when over ``limit`` bytes or not UTF-8."""
    return decode_input(await file.read(limit + 1), upload_name(file), limit, "limits.upload_bytes")
