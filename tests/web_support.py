"""A workbench project for web tests: articles translated with the pseudo engine, four users."""

from __future__ import annotations

from pathlib import Path

from tilmech import services
from tilmech.runtime import Runtime, load_runtime

PASSWORD = "correct horse battery"
USERS = {"aida": ("translator", ["ru"]), "bakyt": ("translator", ["ky"]), "elena": ("editor", []),
         "root": ("admin", [])}


def workbench_runtime(project: Path) -> Runtime:
    rt = load_runtime(project)
    services.ingest(rt)
    for code in ("ru", "ky", "zh"):
        services.translate_language(rt, code)
    for name, (role, langs) in USERS.items():
        services.users_add(rt, name, role, PASSWORD, langs)
    return rt
