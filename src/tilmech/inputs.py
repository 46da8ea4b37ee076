"""Files and uploads from outside (XLIFF, TBX, CSV, HTML pages): size limit and encoding checked first.

The limits are ``limits.import_bytes`` and ``limits.upload_bytes`` in tilmech.yaml.
Every refusal names the file and says what to do.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, UsageError


def decode_input(data: bytes, source: str, limit: int, setting: str = "limits.import_bytes") -> str:
    """The text of ``data`` (UTF-8, a byte order mark allowed), refused when over ``limit`` bytes."""
    if len(data) > limit:
        raise InputError(source, None, f"larger than the limit of {_size(limit)}: "
                                       f"split it, or raise {setting} in tilmech.yaml")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(source, line, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None


def load_input(path: Path, limit: int) -> str:
    """The text of the file at ``path``, checked like :func:`decode_input`."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    size = path.stat().st_size
    if size > limit:
        return decode_input(b"\0" * (limit + 1), str(path), limit)  # the same message, without reading it
    return decode_input(path.read_bytes(), str(path), limit)


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"
