"""Progress of long work, shown where someone watches.

Services report progress through :func:`task` (a count of items) and :func:`work`
(articles, with the segments they hold); both do nothing until a surface (the CLI)
installs a display with :func:`showing`. A flow that splits a language's articles
into batches announces the whole with :func:`plan`, so its batches advance one bar
per language (articles and segments per second, time left) instead of one bar each.
Thread-safe: concurrent flow tasks share the display.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

Advance = Callable[[int], None]
_display: Any = None
_planned: dict[str, Any] = {}  # description -> task id of a bar shared by several pieces of work
_counts: dict[Any, list[int]] = {}  # task id -> [articles expected, segments done]
_lock = threading.Lock()


def _columns() -> list[Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rates(ProgressColumn):
        """articles/s and segments/s since the bar started."""

        def render(self, task: Any) -> Text:
            elapsed = task.elapsed or 0.0
            segments = int(task.fields.get("segments", 0))
            if not task.fields.get("articles"):
                return Text(f"{task.completed / elapsed:.1f}/s" if elapsed else "")
            if not elapsed:
                return Text(f"{segments} segments")
            return Text(f"{task.completed / elapsed:.1f} articles/s · {segments} segments, {segments / elapsed:.1f}/s")

    return [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rates(), TimeRemainingColumn()]


class _Lines:
    """Progress without a terminal (a log, a pipe, CI): a line when a piece of work starts and one when it
    is done, with its count and seconds; nothing in between. The calls rich's ``Progress`` takes here."""

    def __init__(self, console: Any) -> None:
        self._console = console
        self._tasks: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _say(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False, soft_wrap=True)

    def add_task(self, description: str, total: int, **fields: Any) -> int:
        import time

        with self._lock:
            task_id = len(self._tasks)
            self._tasks[task_id] = {"description": description, "total": total, "completed": 0,
                                    "started": time.monotonic(), **fields}
        noun = "article" if fields.get("articles") else "text"
        self._say(f"{description}: {total} {noun}{'' if total == 1 else 's'}…")
        return task_id

    def advance(self, task_id: int, n: int) -> None:
        with self._lock:
            task = self._tasks[task_id]
            completed = task["completed"] + n
        self.update(task_id, completed=completed)

    def update(self, task_id: int, **fields: Any) -> None:
        import time

        with self._lock:
            task = self._tasks[task_id]
            was_done = task["completed"] >= task["total"] > 0
            task.update(fields)
            done = task["completed"] >= task["total"] > 0 and not was_done
        if done:
            seconds = time.monotonic() - task["started"]
            segments = f", {task['segments']} segments" if task.get("segments") else ""
            self._say(f"{task['description']}: done, {task['total']}{segments} in {seconds:.1f} s")


@contextmanager
def showing(console: Any = None, *, lines: bool = True) -> Iterator[None]:
    """Show progress bars with rich while the block runs; without a terminal, a line as each piece of
    work starts and ends (none with ``lines=False``: ``tilmech -q``)."""
    global _display
    from rich.console import Console
    from rich.progress import Progress

    console = console or Console(stderr=True)
    shown: AbstractContextManager[Any] = (
        Progress(*_columns(), console=console, transient=False) if console.is_terminal
        else nullcontext(_Lines(console) if lines else None))
    with shown as display:
        _display = display
        try:
            yield
        finally:
            _display = None
            _planned.clear()
            _counts.clear()


@contextmanager
def task(description: str, total: int) -> Iterator[Advance]:
    display = _display
    if display is None or total == 0:
        yield lambda n: None
        return
    task_id = display.add_task(description, total=total)
    try:
        yield lambda n: display.advance(task_id, n)
    finally:
        display.update(task_id, completed=total)


@dataclass(frozen=True)
class Meter:
    """Advances a bar of articles; ``segments`` counts the segments they held."""

    articles: Advance
    segments: Advance


_IDLE = Meter(lambda n: None, lambda n: None)


def plan(description: str, articles: int) -> None:
    """Announce ``articles`` articles of work under ``description``: later :func:`work` blocks of
    that description advance this one bar."""
    display = _display
    if display is None:
        return
    with _lock:
        if description in _planned:
            counts = _counts[_planned[description]]
            counts[0] += articles
            display.update(_planned[description], total=counts[0])
        else:
            _planned[description] = display.add_task(description, total=articles, articles=True, segments=0)
            _counts[_planned[description]] = [articles, 0]


@contextmanager
def work(description: str, articles: int) -> Iterator[Meter]:
    """A bar of ``articles`` articles (or a share of the planned bar of that description)."""
    display = _display
    if display is None:
        yield _IDLE
        return
    with _lock:
        shared = _planned.get(description)
        task_id = shared if shared is not None else display.add_task(description, total=articles, articles=True,
                                                                     segments=0)
        counts = _counts.setdefault(task_id, [articles, 0])

    def add_segments(n: int) -> None:
        with _lock:
            counts[1] += n
            display.update(task_id, segments=counts[1])

    try:
        yield Meter(lambda n: display.advance(task_id, n), add_segments)
    finally:
        if shared is None:
            display.update(task_id, completed=articles)
