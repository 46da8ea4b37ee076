"""The layering of the package, kept by test (as click's tests/test_imports.py keeps click's).

Each part of ``tilmech`` (a top-level module or subpackage, and ``flows``) may import only the
parts listed for it below: the graph is a DAG that points downward, from the edges (CLI, web,
flows) through the use cases (services) and the store to the small shared concepts. A new
import across parts must be added here on purpose.
"""

from __future__ import annotations

import ast
import importlib.util
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "src" / "tilmech"

# part -> the parts it may import ("tilmech" is the package's own __init__: its version)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "languages": {"errors"},
    "inputs": {"errors"},
    "yamldoc": {"errors"},
    "xmldoc": {"errors"},
    "progress": set(),
    "lifeline": set(),
    "prefect_server": {"errors"},
    "auth": {"errors"},
    "permissions": {"auth"},  # the role × action matrix (services, web and cli may read it: below them)
    "review": {"errors"},
    "articles": {"errors", "yamldoc"},
    "catalogs": {"languages"},
    "markdown": {"errors", "languages", "articles"},
    "xliff": {"errors", "markdown", "xmldoc"},
    "importer": {"errors", "articles", "markdown"},
    "glossary": {"errors", "languages", "markdown", "xmldoc", "yamldoc"},
    "qa": {"errors", "languages", "glossary", "markdown"},
    "mt": {"errors", "languages", "progress", "markdown"},
    "publish": {"errors", "languages", "articles", "markdown"},
    "settings": {"errors", "languages", "qa", "yamldoc"},
    "store": {"errors", "qa", "markdown", "review"},
    "runtime": {"errors", "languages", "auth", "glossary", "mt", "settings", "store"},
    "services": {"tilmech", "errors", "languages", "inputs", "progress", "auth", "permissions", "review", "articles",
                 "catalogs", "markdown", "xliff", "importer", "glossary", "qa", "mt", "publish", "settings", "store", "runtime",
                 "xmldoc"},  # services/tmx.py parses TMX safely
    "web": {"errors", "inputs", "auth", "permissions", "review", "settings", "store", "runtime", "services"},
    "cli": {"errors", "inputs", "auth", "permissions", "progress", "mt", "publish", "qa", "settings", "store", "runtime",
            "services", "web", "flows", "prefect_server", "resident"},
    "resident": set(),  # the resident process and the hand-over to it (standard library only)
    "launch": {"resident", "cli"},  # the `tilmech` entry point: hands a command over, or runs the CLI here
    "__main__": {"launch"},  # python -m tilmech
    "flows": {"tilmech", "errors", "progress", "mt", "publish", "runtime", "services", "lifeline"},
}


def _part(module: str) -> str:
    """``tilmech.services.review`` -> ``services``; ``tilmech`` -> ``tilmech``."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "tilmech"


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _imports(path: Path, package: str) -> set[str]:
    """The tilmech modules ``path`` imports, at any level (function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "tilmech"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "tilmech":
                continue
            for alias in node.names:  # `from tilmech import services` imports tilmech.services
                found.add(f"{module}.{alias.name}" if _is_module(f"{module}.{alias.name}") else module)
    return found


def _graph() -> dict[str, set[str]]:
    sources = [(p, "tilmech." + ".".join(p.relative_to(PACKAGE).parent.parts)) for p in PACKAGE.rglob("*.py")
               if "migrations" not in p.parts]
    sources += [(p, "tilmech.flows") for p in (ROOT / "flows").glob("*.py")]
    graph: dict[str, set[str]] = {}
    for path, package in sources:
        package = package.rstrip(".")
        if path.parent == ROOT / "flows":
            part = "flows"
        elif path.parent == PACKAGE:
            part = "tilmech" if path.stem == "__init__" else path.stem
        else:
            part = path.relative_to(PACKAGE).parts[0]
        graph.setdefault(part, set()).update(p for p in map(_part, _imports(path, package)) if p != part)
    return graph


def test_every_part_imports_only_what_the_layering_allows() -> None:
    graph = _graph()
    unknown = sorted(set(graph) - set(ALLOWED) - {"tilmech"})
    assert not unknown, f"new parts of tilmech: add them to ALLOWED: {unknown}"
    extra = {part: sorted(graph[part] - ALLOWED[part]) for part in graph if part in ALLOWED}
    assert not {part: names for part, names in extra.items() if names}


def test_the_allowed_layering_is_a_dag() -> None:
    try:
        order = list(TopologicalSorter(ALLOWED).static_order())
    except CycleError as exc:  # pragma: no cover - the message names the cycle
        raise AssertionError(f"the layering has a cycle: {exc.args[1]}") from None
    assert order.index("errors") < order.index("services") < order.index("cli")


def test_no_module_is_over_700_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert not long
