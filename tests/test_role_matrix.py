"""The role × surface × action matrix (tilmech.permissions), walked cell by cell: each principal (anonymous, a
translator of ky, a translator of ru, an editor, an admin) does each action on each surface it has (the local
CLI, the JSON API, the workbench's forms, the workbench's XLIFF upload, the remote CLI) and gets exactly what
the matrix says. And the matrix is complete: every state-changing service function and route is in it (or
named, with the reason, as unchecked), and the docs' role table is the matrix's."""

from __future__ import annotations

import ast
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT, approve_article, make_project
from tilmech import services
from tilmech.permissions import (
    ACTIONS,
    CHECK_OF,
    PRINCIPALS,
    UNCHECKED,
    UNCHECKED_ROUTES,
    Action,
    Principal,
    Surface,
    markdown_table,
)
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import PASSWORD, workbench_runtime

SEED, ARTICLE, LANG = "smart-classroom-kyrgyzstan", "partners-showcase", "ky"
NAMES = {"anonymous": "nobody", "translator of ky": "bakyt", "translator of ru": "aida", "editor": "elena",
         "admin": "root"}
# what a refusal for the role says (and nothing else, e.g. a failed CSRF check, passes for one)
REFUSED = re.compile(r"only an (editor|admin)|is a translator for \w+, not ky|sign in first|no user 'nobody'"
                     r"|unknown API token")


@dataclass
class World:
    rt: Runtime
    project: Path
    segments: dict[str, str]  # what the segment is for -> its id (ky, ARTICLE, no findings, no markup)
    tokens: dict[str, str]  # principal -> API token
    counter: Iterator[int] = field(default_factory=itertools.count)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    project = make_project(tmp_path_factory.mktemp("matrix") / "project", engine="pseudo")
    rt = workbench_runtime(project)
    for code in ("ru", "ky", "zh"):
        for slug in (SEED, ARTICLE):
            approve_article(rt, code, slug)
    clean = [i.segment_id for i in services.review_list(rt, LANG, article=ARTICLE)
             if not i.findings and not i.placeholders]
    uses = ("edit", "approve", "send back", "comment", "xliff edit", "xliff approve")
    assert len(clean) >= len(uses)
    tokens = {p.label: services.create_token(rt, NAMES[p.label], "matrix") for p in PRINCIPALS if p.role}
    for _ in range(2):  # two published releases: one to roll back to
        release = services.release_create(rt).id
        services.release_approve(rt, release)
        services.publish(rt, release)
    return World(rt, project, dict(zip(uses, clean, strict=False)), tokens)


def prepare(w: World, a: Action, surface: Surface) -> dict[str, Any]:
    """What the action needs, made fresh by the operator: a segment and its version, a release in the
    right state, a user or token to remove."""
    rt, n = w.rt, next(w.counter)
    out: dict[str, Any] = {}
    use = {"edit a segment": "edit", "approve a segment": "approve", "send a segment back": "send back",
           "comment on a segment": "comment"}.get(a.name)
    if surface is Surface.XLIFF:
        use = "xliff edit" if a.name == "edit a segment" else "xliff approve"
    if use:
        seg = w.segments[use]
        if use in ("approve", "xliff approve"):  # sent back first, so that an approval changes it
            services.review_send_back(rt, LANG, [seg], "again")
        item = services.review_show(rt, seg, LANG).items[0]
        # an edit changes the text (a form that saves the same text changes nothing, and asks nothing)
        text = item.text + f" ({n})" if a.name == "edit a segment" else item.text
        out.update(seg=seg, version=item.version, text=text, before=item.text)
    if a.name == "import an XLIFF file" or surface is Surface.XLIFF:
        out["xliff"] = services.xliff_export(rt, ARTICLE, LANG)
        if surface is Surface.XLIFF:
            out["xliff"] = _changed(out["xliff"], out["seg"], a.name, n)
    if a.name in ("approve a release", "publish a release", "discard a release"):
        out["release"] = services.release_create(rt).id
        if a.name == "publish a release":
            services.release_approve(rt, out["release"])
    if a.name == "roll back the site":
        served = services.served_release(rt)
        out["release"] = min(p.release for p in services.published_releases(rt) if p.release != served)
    if a.name == "remove a user":
        out["user"] = f"leaving{n}"
        services.users_add(rt, out["user"], "translator", PASSWORD, [LANG])
    if a.name == "revoke an API token":
        out["label"] = f"revoke{n}"
        services.create_token(rt, "elena", out["label"])
    if a.name == "import translation memory (TMX)":
        out["tmx"] = services.tm_export(rt, LANG)[0]
    if a.name == "add or change a user":
        out["user"] = f"new{n}"
    return out


def _changed(xliff: str, seg: str, action: str, n: int) -> str:
    """The exported file with segment ``seg``'s target changed (an edit) or marked final (an approval)."""
    unit = re.search(rf'<unit id="s{seg}">.*?</unit>', xliff, re.S)
    assert unit is not None
    body = unit.group(0)
    if action == "edit a segment":
        changed = re.sub(r"</target>", f" ({n})</target>", body)
    else:
        changed = re.sub(r'state="\w+" subState="tilmech:[\w-]+"', 'state="final"', body)
    assert changed != body
    return xliff.replace(body, changed)


def done(w: World, a: Action, surface: Surface, p: dict[str, Any]) -> bool:
    """Whether an allowed action really took effect (where the answer alone does not tell)."""
    if surface is Surface.XLIFF:
        item = services.review_show(w.rt, p["seg"], LANG).items[0]
        return item.state == "approved" if a.name == "approve a segment" else item.text != p["before"]
    return True


def outcome(allowed: bool | None, detail: str) -> bool:
    if allowed is None:
        raise AssertionError(f"neither done nor refused for the role: {detail}")
    return allowed


def walk(w: World, surface: Surface, perform: Callable[[Principal, Action, dict[str, Any]], bool]) -> None:
    """Every principal × every action of ``surface``: what happened against what the matrix says."""
    wrong = []
    actions = [a for a in ACTIONS if surface in a.surfaces]
    assert actions
    for a in actions:
        for principal in PRINCIPALS:
            p = prepare(w, a, surface)
            got = perform(principal, a, p)
            if got:
                assert done(w, a, surface, p), (principal.label, a.name, surface.value)
            if got != principal.may(a.rule, LANG):
                wrong.append(f"{principal.label} / {a.name}: {'done' if got else 'refused'}")
    assert not wrong, f"{surface.value}: " + "; ".join(wrong)


# -- the local CLI ------------------------------------------------------------------------------------


def cli_args(a: Action, p: dict[str, Any], tmp: Path) -> list[str]:
    commands: dict[str, list[str]] = {
        "read the queue, segments, releases": ["review", "list", "--lang", LANG],
        "edit a segment": ["review", "edit", p.get("seg", ""), "--lang", LANG, "--text", p.get("text", "")],
        "approve a segment": ["review", "approve", p.get("seg", ""), "--lang", LANG],
        "send a segment back": ["review", "send-back", p.get("seg", ""), "--lang", LANG, "--note", "again"],
        "comment on a segment": ["review", "comment", p.get("seg", ""), "--lang", LANG, "--text", "A note."],
        "approve an article": ["review", "approve", "--article", ARTICLE, "--lang", LANG],
        "import an XLIFF file": ["xliff", "import", str(tmp / "ky.xlf")],
        "create a release": ["release", "create"],
        "approve a release": ["release", "approve", str(p.get("release"))],
        "publish a release": ["release", "publish", str(p.get("release"))],
        "roll back the site": ["release", "rollback", str(p.get("release"))],
        "discard a release": ["release", "discard", str(p.get("release"))],
        "add or change a user": ["users", "add", p.get("user", ""), "--role", "translator", "--lang", LANG,
                                 "--password-stdin"],
        "remove a user": ["users", "remove", p.get("user", "")],
        "create an API token": ["users", "token", "elena", "--label", "more"],
        "revoke an API token": ["users", "revoke-token", "elena", p.get("label", "")],
        "list a user's API tokens": ["users", "tokens", "elena"],
        "import translation memory (TMX)": ["tm", "import", str(tmp / "ky.tmx"), "--origin", "matrix"],
    }
    args = commands[a.name]
    assert " ".join(args[:2]) in {c.split(" --")[0] for c in a.cli}, (a.name, args)
    if "xliff" in p:
        (tmp / "ky.xlf").write_text(p["xliff"], encoding="utf-8")
    if "tmx" in p:
        (tmp / "ky.tmx").write_text(p["tmx"], encoding="utf-8")
    return args


def cli_outcome(result: Any) -> bool | None:
    if result.code == 0:
        return True
    if result.code in (1, 2) and REFUSED.search(result.err):
        return False
    return None


@pytest.mark.slow
def test_the_local_cli_follows_the_matrix(world: World, tilmech, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def perform(principal: Principal, a: Action, p: dict[str, Any]) -> bool:
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        result = tilmech("--project", world.project, "--user", NAMES[principal.label], *cli_args(a, p, tmp_path))
        return outcome(cli_outcome(result), f"{principal.label} / {a.name}: {result}")

    walk(world, Surface.CLI, perform)


# -- the remote CLI: tilmech --server URL, as the user of $TILMECH_TOKEN ----------------------------------


@pytest.mark.slow
def test_the_remote_cli_follows_the_matrix(world: World, tilmech, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tilmech.cli.context import REMOTE_COMMANDS
    from web_support import served_in_thread

    remote = [a for a in ACTIONS if Surface.REMOTE in a.surfaces]
    assert all(a.cli[0].split(" --")[0] in REMOTE_COMMANDS for a in remote), "the matrix's remote commands"
    with served_in_thread(world.rt) as url:
        def perform(principal: Principal, a: Action, p: dict[str, Any]) -> bool:
            monkeypatch.setenv("TILMECH_TOKEN", world.tokens.get(principal.label, "tlm_not-a-token"))
            result = tilmech("--project", world.project, "--server", url, *cli_args(a, p, tmp_path))
            return outcome(cli_outcome(result), f"{principal.label} / {a.name}: {result}")

        walk(world, Surface.REMOTE, perform)


# -- the JSON API, with each user's token --------------------------------------------------------------


def api_request(a: Action, p: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    segment = f"/api/segments/{p.get('seg')}/{LANG}"
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "read the queue, segments, releases": ("GET", f"/api/segments?lang={LANG}", {}),
        "edit a segment": ("PUT", segment, {"json": {"text": p.get("text"), "version": p.get("version")}}),
        "approve a segment": ("POST", f"{segment}/approve", {"json": {"version": p.get("version")}}),
        "send a segment back": ("POST", f"{segment}/send-back", {"json": {"version": p.get("version"), "note": "x"}}),
        "comment on a segment": ("POST", f"{segment}/comments", {"json": {"text": "A note."}}),
        "approve an article": ("POST", f"/api/articles/{ARTICLE}/{LANG}/approve", {"json": {"max_risk": 100}}),
        "import an XLIFF file": ("POST", "/api/xliff", {"files": {"file": ("ky.xlf", p.get("xliff", ""))}}),
        "create a release": ("POST", "/api/releases", {}),
        "approve a release": ("POST", f"/api/releases/{p.get('release')}/approve", {}),
        "publish a release": ("POST", f"/api/releases/{p.get('release')}/publish", {}),
        "roll back the site": ("POST", f"/api/releases/{p.get('release')}/rollback", {}),
        "discard a release": ("DELETE", f"/api/releases/{p.get('release')}", {}),
    }
    return requests[a.name]


def http_outcome(status: int, text: str, redirect: str = "") -> bool | None:
    if 200 <= status < 300 or (status == 303 and not redirect.startswith("/login")):
        return True
    if (status in (401, 403) and REFUSED.search(text)) or (status == 303 and redirect.startswith("/login")):
        return False
    return None


def _route_of(method: str, url: str, routes: list[str]) -> bool:
    path = url.split("?")[0]
    return any(m == method and re.fullmatch(re.sub(r"\{\w+\}", r"[^/]+", r), path)
               for m, r in (route.split(" ", 1) for route in routes))


@pytest.mark.slow
def test_the_api_follows_the_matrix(world: World) -> None:
    app = create_app(world.rt)
    clients = {p.label: TestClient(app) for p in PRINCIPALS}
    for label, token in world.tokens.items():
        clients[label].headers["Authorization"] = f"Bearer {token}"

    def perform(principal: Principal, a: Action, p: dict[str, Any]) -> bool:
        method, url, kwargs = api_request(a, p)
        assert _route_of(method, url, list(a.api)), (a.name, method, url)
        response = clients[principal.label].request(method, url, **kwargs)
        return outcome(http_outcome(response.status_code, response.text),
                       f"{principal.label} / {a.name}: {method} {url}: {response.status_code} {response.text[:300]}")

    walk(world, Surface.API, perform)


# -- the workbench's forms, signed in with a session ---------------------------------------------------


def page_request(a: Action, p: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    form = f"/edit/{ARTICLE}/{LANG}/{p.get('seg')}"
    segment = {"text": p.get("text", ""), "version": p.get("version")}
    release = f"/releases/{p.get('release')}"
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "read the queue, segments, releases": (f"/edit/{ARTICLE}/{LANG}", {}),
        "edit a segment": (form, {"data": {"action": "save", **segment}}),
        "approve a segment": (form, {"data": {"action": "approve", **segment}}),
        "send a segment back": (form, {"data": {"action": "send-back", **segment, "note": "again"}}),
        "comment on a segment": (f"{form}/comments", {"data": {"comment": "A note."}}),
        "import an XLIFF file": (f"/edit/{ARTICLE}/{LANG}/xliff",
                                 {"data": {}, "files": {"file": ("ky.xlf", p.get("xliff", ""))}}),
        "create a release": ("/releases", {"data": {"confirm": "yes"}}),
        "approve a release": (f"{release}/approve", {"data": {"confirm": "yes"}}),
        "publish a release": (f"{release}/publish", {"data": {"confirm": "yes"}}),
        "roll back the site": (f"{release}/rollback", {"data": {"confirm": "yes"}}),
        "discard a release": (f"{release}/discard", {"data": {"confirm": "yes"}}),
    }
    return requests[a.name]


def session_clients(app: Any) -> dict[str, TestClient]:
    clients = {p.label: TestClient(app) for p in PRINCIPALS}
    for label, client in clients.items():
        if label != "anonymous":
            response = client.post("/api/login", json={"name": NAMES[label], "password": PASSWORD})
            assert response.status_code == 200
            client.headers["X-CSRF-Token"] = response.json()["csrf"]  # read back into each form's csrf field
    return clients


def post_form(client: TestClient, url: str, kwargs: dict[str, Any]) -> Any:
    if "data" not in kwargs:
        return client.get(url, follow_redirects=False)
    data = {**kwargs["data"], "csrf": client.headers.get("X-CSRF-Token", "")}
    headers = {"X-CSRF-Token": ""}  # a form sends its token as a field, never as the API's header
    return client.post(url, data=data, files=kwargs.get("files"), headers=headers, follow_redirects=False)


@pytest.mark.slow
def test_the_workbench_forms_follow_the_matrix(world: World) -> None:
    clients = session_clients(create_app(world.rt))

    def perform(principal: Principal, a: Action, p: dict[str, Any]) -> bool:
        url, kwargs = page_request(a, p)
        assert _route_of("POST" if "data" in kwargs else "GET", url, list(a.pages)), (a.name, url)
        response = post_form(clients[principal.label], url, kwargs)
        return outcome(http_outcome(response.status_code, response.text, response.headers.get("location", "")),
                       f"{principal.label} / {a.name}: {url}: {response.status_code} {response.text[:300]}")

    walk(world, Surface.PAGES, perform)


@pytest.mark.slow
def test_the_workbench_xliff_upload_follows_the_matrix(world: World) -> None:
    """A translated file uploaded in the editor edits and approves as its uploader may."""
    clients = session_clients(create_app(world.rt))

    def perform(principal: Principal, a: Action, p: dict[str, Any]) -> bool:
        response = post_form(clients[principal.label], f"/edit/{ARTICLE}/{LANG}/xliff",
                             {"data": {}, "files": {"file": ("ky.xlf", p["xliff"])}})
        return outcome(http_outcome(response.status_code, response.text),
                       f"{principal.label} / {a.name}: {response.status_code} {response.text[:300]}")

    walk(world, Surface.XLIFF, perform)


# -- the matrix is complete: every write is in it --------------------------------------------------------


def _service_functions() -> dict[str, tuple[ast.FunctionDef, dict[str, ast.FunctionDef]]]:
    """Each public function of tilmech.services whose first parameter is the runtime, with its module's functions."""
    out = {}
    for path in sorted((ROOT / "src" / "tilmech" / "services").glob("*.py")):
        if path.stem == "__init__":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        for name, node in functions.items():
            if not name.startswith("_") and node.args.args and node.args.args[0].arg == "rt":
                out[name] = (node, functions)
    return out


def _calls(node: ast.FunctionDef, functions: dict[str, ast.FunctionDef], seen: set[str] | None = None) -> set[str]:
    """The names ``node`` calls, with those of the module's functions it calls (transitively)."""
    seen = set() if seen is None else seen
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            names.add(name)
            if name in functions and name not in seen:
                seen.add(name)
                names |= _calls(functions[name], functions, seen)
    return names


def test_every_service_that_writes_is_in_the_matrix_and_checks_its_rule() -> None:
    functions = _service_functions()
    writers = {name for name, (node, module) in functions.items() if "session" in _calls(node, module)}
    assert {"review_edit", "add_comment", "release_create", "users_add"} <= writers  # the detection works
    listed = {name for a in ACTIONS for name in a.services}
    missing = sorted(writers - listed - set(UNCHECKED))
    assert not missing, f"state-changing services without a place in tilmech.permissions.ACTIONS: {missing}"
    assert not sorted(listed - set(functions)), "the matrix names services that do not exist"
    unchecked = sorted(f"{name} ({a.rule})" for a in ACTIONS if a.rule in CHECK_OF for name in a.services
                       if not set(CHECK_OF[a.rule]) & _calls(*functions[name]))
    assert not unchecked, f"services of an action that do not call the check of its rule: {unchecked}"


def _write_routes() -> set[str]:
    from tilmech.web import api, pages

    found = set()
    for router in (api.router, pages.router):
        for route in router.routes:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method not in ("GET", "HEAD", "OPTIONS"):
                    found.add(f"{method} {route.path}")  # type: ignore[attr-defined]
    return found


def test_every_route_that_writes_is_in_the_matrix() -> None:
    routes = _write_routes()
    assert {"PUT /api/segments/{segment_id}/{lang}", "DELETE /api/releases/{release_id}"} <= routes
    listed = {route for a in ACTIONS for route in (*a.api, *a.pages)}
    missing = sorted(routes - listed - set(UNCHECKED_ROUTES))
    assert not missing, f"state-changing routes without a place in tilmech.permissions.ACTIONS: {missing}"
    stale = sorted(route for route in listed | set(UNCHECKED_ROUTES)
                   if not route.startswith("GET ") and route not in routes)
    assert not stale, f"the matrix names routes that do not exist: {stale}"


def test_every_cli_command_of_the_matrix_exists() -> None:
    import click

    from tilmech.cli import cli

    for a in ACTIONS:
        for command in a.cli:
            group: Any = cli
            for word in command.split(" --")[0].split():
                assert isinstance(group, click.Group) and word in group.commands, (a.name, command)
                group = group.commands[word]


def test_the_docs_role_table_is_the_matrix() -> None:
    text = (ROOT / "docs" / "review.md").read_text(encoding="utf-8")
    start, end = "<!-- role-matrix: start -->\n", "<!-- role-matrix: end -->"
    assert start in text and end in text, "docs/review.md: the generated role table's markers are missing"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table.strip() == markdown_table().strip(), \
        "docs/review.md: the role table differs from the matrix: paste `python -m tilmech.permissions` between the markers"
