"""Progress of long work, shown where someone watches.

Services report progress through :func:`task`; it does nothing until a surface
(the CLI) installs a display with :func:`showing`. Thread-safe: concurrent flow
tasks each get their own bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Advance = Callable[[int], None]
_display: Any = None


@contextmanager
def showing(console: Any = None) -> Iterator[None]:
    """Show progress bars with rich while the block runs (only on a terminal)."""
    global _display
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=False) as display:
        _display = display
        try:
            yield
        finally:
            _display = None


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
