"""``python -m tilmech.cli``: the ``tilmech`` command."""

from __future__ import annotations

from . import main

main()
