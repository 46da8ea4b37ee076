"""The ``tilmech`` command's entry point: the daily commands go to the project's resident process
(:mod:`tilmech.resident`) when one runs, every other command runs in this process.

This module and the hand-over import only the standard library, so that a command handed over
costs the resident process's fork, not the import of the CLI. ``python -m tilmech.launch ROOT`` is
the resident process itself (started by the first daily command, or ``tilmech server start``).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """``tilmech``: hand the command to the project's resident process, or run it in this process."""
    from .resident import hand_over

    argv = sys.argv[1:]
    try:
        code = hand_over(argv)
    except KeyboardInterrupt:  # Ctrl+C before the command started: as the CLI reports it
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if code is not None:
        sys.exit(code)
    run_here(argv)


def run_here(argv: list[str]) -> None:
    from .cli import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tilmech.launch PROJECT_FOLDER: the project's resident process "
                 "(tilmech starts it; see `tilmech server`)")
    from .resident import serve

    serve(os.path.realpath(sys.argv[1]), run_here)
