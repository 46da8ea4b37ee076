"""A workbench project for web tests: articles translated with the pseudo engine, four users."""

from __future__ import annotations

from pathlib import Path

from conftest import drafted
from tilmech import services
from tilmech.runtime import Runtime

PASSWORD = "correct horse battery"
USERS = {"aida": ("translator", ["ru"]), "bakyt": ("translator", ["ky"]), "elena": ("editor", []),
         "root": ("admin", [])}


def workbench_runtime(project: Path) -> Runtime:
    rt = drafted(project)
    for name, (role, langs) in USERS.items():
        services.users_add(rt, name, role, PASSWORD, langs)
    return rt
