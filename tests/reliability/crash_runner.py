"""Run the real ``tilmech`` command in this process, with the pseudo engine logging what it is sent.

    python crash_runner.py ENGINE_LOG DELAY_SECONDS -- tilmech-arguments...

Every text the engine receives is appended to ENGINE_LOG (one JSON line: language,
text) and flushed to disk before it is translated, and each text takes DELAY_SECONDS,
so that a test can kill this process (SIGKILL) while it works and then tell which
texts a later run sends to the engine again. With ``SLOW_CHANGE=SECONDS`` in the
environment each change of a translation (edit, approve, send back) also takes that
long and logs a line ``{"change": ...}`` first, so a multi-row change can be killed halfway.
With ``SLOW_WRITE=SECONDS`` each file a publish writes into its staging folder takes that long
and logs a line ``{"write": name}`` first, so a publish can be killed while it writes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tilmech.cli import main
from tilmech.mt import pseudo
from tilmech.services import review as review_service


def _logging_engine(log_path: str, delay: float) -> None:
    original = pseudo.PseudoEngine.translate

    def translate(self: Any, texts: Sequence[str], source: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
        with open(log_path, "a", encoding="utf-8") as log:
            for text in texts:
                log.write(json.dumps({"lang": target.code, "text": text}, ensure_ascii=False) + "\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(delay * len(texts))
        return original(self, texts, source, target, *args, **kwargs)

    pseudo.PseudoEngine.translate = translate  # type: ignore[method-assign]


def _slow_changes(log_path: str, delay: float) -> None:
    original = review_service.record_change

    def change(s: Any, tr: Any, who: str, action: Any, *args: Any, **kwargs: Any) -> None:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"change": action, "translation": tr.id}) + "\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(delay)
        original(s, tr, who, action, *args, **kwargs)

    review_service.record_change = change


def _slow_writes(log_path: str, delay: float) -> None:
    original = Path.write_bytes

    def write_bytes(self: Path, data: Any) -> int:
        if ".staging-" in str(self):  # a file of the release being published
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"write": self.name}) + "\n")
                log.flush()
                os.fsync(log.fileno())
            time.sleep(delay)
        return original(self, data)

    Path.write_bytes = write_bytes  # type: ignore[method-assign]


if __name__ == "__main__":
    log_path, delay, separator, *args = sys.argv[1:]
    assert separator == "--"
    _logging_engine(log_path, float(delay))
    if os.environ.get("SLOW_CHANGE"):
        _slow_changes(log_path, float(os.environ["SLOW_CHANGE"]))
    if os.environ.get("SLOW_WRITE"):
        _slow_writes(log_path, float(os.environ["SLOW_WRITE"]))
    main(args)
