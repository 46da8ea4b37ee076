"""``python -m tilmech``: the ``tilmech`` command (handed to the project's resident process when one runs)."""

from __future__ import annotations

from .launch import main

main()
