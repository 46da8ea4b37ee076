"""The remote CLI: `tilmech --server URL` with $TILMECH_TOKEN runs the review, inbox, status and
release commands through the workbench's API as the token's user, with the output and exit codes of
the local CLI. The same scenarios run both ways, against a workbench served in a thread."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CliResult
from tilmech import services
from tilmech.runtime import Runtime
from web_support import free_port, served_in_thread, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


class Surface:
    """The CLI, local (``--user NAME`` on the project's store) or remote (``--server URL`` and NAME's token)."""

    def __init__(self, way: str, project: Path, url: str, tokens: dict[str, str], tilmech, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        self.way, self.project, self.url, self.tokens = way, project, url, tokens
        self.tilmech, self.monkeypatch = tilmech, monkeypatch

    def __call__(self, user: str, *args: object) -> CliResult:
        if self.way == "local":
            return self.tilmech("--project", self.project, "--user", user, *args)  # type: ignore[no-any-return]
        self.monkeypatch.setenv("TILMECH_TOKEN", self.tokens[user])
        return self.tilmech("--server", self.url, *args)  # type: ignore[no-any-return]


@pytest.fixture
def desk(pseudo_project: Path) -> Iterator[tuple[Runtime, str, dict[str, str]]]:
    """The workbench project (aida: ru, bakyt: ky, elena: editor, root: admin), served in a thread,
    with an API token for each user."""
    rt = workbench_runtime(pseudo_project)
    tokens = {name: services.create_token(rt, name, "laptop") for name in ("aida", "bakyt", "elena", "root")}
    with served_in_thread(rt) as url:
        yield rt, url, tokens


@pytest.fixture(params=["local", "remote"])
def cli(request: pytest.FixtureRequest, desk: tuple[Runtime, str, dict[str, str]], pseudo_project: Path,
        tilmech, monkeypatch: pytest.MonkeyPatch) -> Surface:  # type: ignore[no-untyped-def]
    _, url, tokens = desk
    return Surface(request.param, pseudo_project, url, tokens, tilmech, monkeypatch)


def approve_article(rt: Runtime, lang: str, slug: str = SEED) -> None:
    """Approve every segment of ``slug`` in ``lang``, acknowledging the pseudo drafts' findings."""
    codes = {f.code for item in services.review_list(rt, lang, article=slug) for f in item.findings}
    services.approve_segments(rt, lang, article=slug, acknowledge=codes)


def _release(rt: Runtime) -> int:
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code)
    return services.release_create(rt).id


def test_the_role_applies_on_both_ways(cli: Surface, desk: tuple[Runtime, str, dict[str, str]]) -> None:
    rt = desk[0]
    release = _release(rt)
    zh = services.review_list(rt, "zh", article="partners-showcase")[0]

    refused = cli("bakyt", "release", "approve", release)
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == "error: only an editor can approve a release; bakyt is a translator\n"
    edit = cli("bakyt", "review", "edit", zh.segment_id, "--lang", "zh", "--text", "改了")
    assert (edit.code, edit.err) == (1, "error: bakyt is a translator for ky, not zh\n")
    comment = cli("aida", "review", "comment", zh.segment_id, "--lang", "ky", "--text", "not mine")
    assert (comment.code, comment.err) == (1, "error: aida is a translator for ru, not ky\n")
    assert services.release_info(rt, release).state == "pending"
    assert services.review_show(rt, zh.segment_id, "zh").items[0].text == zh.text

    approved = cli("elena", "release", "approve", release)
    assert (approved.code, approved.out) == (0, f"release {release} approved\n")
    again = cli("elena", "release", "approve", release)
    assert (again.code, again.out) == (0, f"release {release} is already approved (by elena)\n")
    assert services.release_info(rt, release).approved_by == "elena"
    history = services.review_show(rt, zh.segment_id, "zh").history["zh"]
    assert all(h.who != "bakyt" for h in history)


def test_a_sent_back_segment_survives_a_bulk_approval(cli: Surface, desk: tuple[Runtime, str, dict[str, str]]) -> None:
    rt = desk[0]
    items = services.review_list(rt, "ky", article=SEED, order="position")
    held = items[2].segment_id
    sent = cli("elena", "review", "send-back", held, "--lang", "ky", "--note", "check the term")
    assert (sent.code, sent.out) == (0, "sent back 1 segments (ky)\n")

    done = cli("bakyt", "review", "approve", "--article", SEED, "--lang", "ky")
    assert done.code == 0, done
    approved = sum(i.state == "approved" for i in services.review_list(rt, "ky", article=SEED))
    assert done.out.startswith(f"approved {approved} segments (ky); skipped 1 needs-work: name them by id "
                               f"({held}) or use --include needs-work"), done
    view = services.review_show(rt, held, "ky")
    assert view.items[0].state == "needs-work"
    assert [h.who for h in view.history["ky"] if h.action == "approve"] == []
    surface = view.history["ky"][-1].surface
    assert surface == ("api (token laptop)" if cli.way == "remote" else surface)


def test_the_same_output_and_exit_codes_both_ways(desk: tuple[Runtime, str, dict[str, str]], pseudo_project: Path,
                                                  tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt, url, tokens = desk
    local = Surface("local", pseudo_project, url, tokens, tilmech, monkeypatch)
    remote = Surface("remote", pseudo_project, url, tokens, tilmech, monkeypatch)
    release = _release(rt)
    ky = services.review_list(rt, "ky", article="partners-showcase", order="position")
    services.review_send_back(rt.acting_as(services.get_user(rt, "elena"), "web"), "ky", [ky[1].segment_id],
                              "the name is wrong")
    services.add_comment(rt.acting_as(services.get_user(rt, "elena"), "web"), ky[1].segment_id, "ky", "see the glossary")
    stale = services.review_edit(rt, ky[0].segment_id, "ky", "Жаңы текст.", ky[0].version)
    one_line_bad = next(i for i in services.review_list(rt, "ky", article=SEED, order="position")
                        if not i.placeholders and len(i.source) > 80)  # no placeholders: nothing critical
    services.review_edit(rt, one_line_bad.segment_id, "ky", "Бул сыноо.", one_line_bad.version)

    for args in (("status",), ("review", "list"), ("review", "list", "--lang", "ky", "--all", "--json"),
                 ("review", "list", "--state", "needs-work,approved", "--order", "position"),
                 ("review", "list", "--lang", "ky", "--ids", "--limit", "3"),
                 ("review", "show", ky[1].segment_id), ("release", "list"), ("release", "diff", release),
                 ("inbox", "--all"),
                 # errors: the same line and exit code
                 ("review", "show", "nosuch"), ("review", "list", "--state", "bogus"),
                 ("release", "approve", 999),
                 ("review", "edit", ky[0].segment_id, "--lang", "ky", "--text", "Эски.", "--version", stale.version - 1),
                 ("review", "approve", "--article", SEED, "--lang", "ky", "--include", "approved"),
                 ("review", "approve", one_line_bad.segment_id, "--lang", "ky")):
        here, there = local("bakyt", *args), remote("bakyt", *args)
        assert (there.code, there.out, there.err) == (here.code, here.out, here.err), args
        assert "Traceback" not in here.err
    assert local("bakyt", "review", "show", "nosuch").code == 2
    conflict = remote("bakyt", "review", "edit", ky[0].segment_id, "--lang", "ky", "--text", "Эски.",
                      "--version", stale.version - 1)
    assert conflict.code == 1 and "was changed by" in conflict.err and "Жаңы текст." in conflict.err
    refused = remote("bakyt", "review", "approve", one_line_bad.segment_id, "--lang", "ky")
    assert refused.code == 1 and "--acknowledge " in refused.err and refused.err.count("\n") == 1
    codes = sorted({f.code for f in services.review_show(rt, one_line_bad.segment_id, "ky").items[0].findings
                    if str(f.severity) == "functional"})
    acknowledged = remote("bakyt", "review", "approve", one_line_bad.segment_id, "--lang", "ky",
                          *[f"--acknowledge={code}" for code in codes])
    assert (acknowledged.code, acknowledged.out) == (0, "approved 1 segments (ky)\n")
    assert services.review_show(rt, one_line_bad.segment_id, "ky").items[0].state == "approved"


def test_an_unknown_user_or_token_is_refused(desk: tuple[Runtime, str, dict[str, str]], pseudo_project: Path,
                                             tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt, url, _ = desk
    release = _release(rt)
    local = tilmech("--project", pseudo_project, "--user", "nobody", "release", "approve", release)
    assert local.code == 2 and "no user 'nobody'" in local.err
    monkeypatch.setenv("TILMECH_TOKEN", "tlm_nobody")
    remote = tilmech("--server", url, "release", "approve", release)
    assert remote.code == 1
    assert remote.err == "error: unknown API token: it may have been revoked; ask an admin for a new one\n"
    monkeypatch.delenv("TILMECH_TOKEN")
    missing = tilmech("--server", url, "release", "approve", release)
    assert missing.code == 2 and "TILMECH_TOKEN" in missing.err and "tilmech users token" in missing.err
    assert services.release_info(rt, release).state == "pending"


def test_releases_are_managed_remotely(desk: tuple[Runtime, str, dict[str, str]], tilmech,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt, url, tokens = desk
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code)
    monkeypatch.setenv("TILMECH_TOKEN", tokens["elena"])
    monkeypatch.setenv("TILMECH_SERVER", url)  # the variable instead of --server

    created = tilmech("release", "create")
    assert created.code == 0 and created.out == "release 1\n", created
    assert "release 1: pending, created by elena" in created.err
    assert tilmech("release", "approve", "1").out == "release 1 approved\n"
    published = tilmech("release", "publish", "1")
    assert published.code == 0, published
    assert published.out.startswith("published release 1 to ")
    assert services.served_release(rt) == 1
    second = tilmech("release", "create")
    assert second.out == "release 2\n"
    assert tilmech("release", "list").out.splitlines()[1].startswith("2\tpending\t")
    assert tilmech("release", "publish", "2").code == 1  # not approved: refused as locally
    assert tilmech("release", "discard", "2").out == "release 2 discarded\n"
    assert tilmech("release", "rollback", "1").out == "current release: 1\n"
    diff = tilmech("release", "diff", "1", "--to", "/elsewhere")
    assert diff.code == 2 and "--to" in diff.err
    assert [r.id for r in services.release_list(rt)] == [1]


def test_what_has_no_remote_meaning_is_refused(desk: tuple[Runtime, str, dict[str, str]], tilmech,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _, url, tokens = desk
    monkeypatch.setenv("TILMECH_TOKEN", tokens["root"])
    for args in (("translate",), ("users", "add", "x", "--role", "admin"), ("db", "check"), ("models", "list"),
                 ("publish", "1"), ("qa", "report")):
        refused = tilmech("--server", url, *args)
        assert refused.code == 2, args
        assert refused.err.count("\n") == 1 and "has no remote meaning" in refused.err, refused
        assert f"`tilmech {args[0]}`" in refused.err
    refused = tilmech("--server", url, "review", "suggest", "x", "--lang", "ky")  # a review command without one
    assert refused.code == 2 and refused.err.startswith("error: `tilmech review suggest` has no remote meaning")
    assert "--user has no meaning with --server" in tilmech("--server", url, "--user", "bakyt", "status").err
    bad = tilmech("--server", "ftp://example.org", "status")
    assert bad.code == 2 and "http or https" in bad.err


def test_a_server_out_of_reach_is_exit_3_naming_it(tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TILMECH_TOKEN", "tlm_whatever")
    url = f"http://127.0.0.1:{free_port()}"
    result = tilmech("--server", url, "review", "list")
    assert result.code == 3
    assert result.err.startswith(f"error: cannot reach the server at {url}: ")
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_local_commands_load_no_http_client(pseudo_project: Path) -> None:
    """The remote client (httpx) is imported only with --server: local commands stay as fast as before."""
    probe = ("import sys\nfrom tilmech.cli import main\n"
             f"try:\n    main(['--project', {str(pseudo_project)!r}, 'review', 'list'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('httpx', 'tilmech.cli.remote') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_what_the_server_answers_becomes_the_local_error() -> None:
    """Each answer of the server, ours or a proxy's, as the exception (hence exit code) of the local CLI."""
    import httpx

    from tilmech import errors
    from tilmech.cli.remote import RemoteBackend

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = {
            "/api/status": (500, {"error": {"status": 500, "type": "InternalError", "message": "internal error (reference ab12)"}}),
            "/api/inbox": (404, {"error": {"status": 404, "type": "NotFound", "message": "no such path: /api/inbox: ..."}}),
            "/api/releases": (502, "<html>Bad Gateway</html>"),
            "/api/segments": (409, {"error": {"status": 409, "type": "Conflict", "message": "changed", "current_text": "T",
                                              "current_version": 4}}),
            "/api/segments/abc": (200, "<html>sign in</html>"),
        }[request.url.path]
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    remote = RemoteBackend("http://tilmech.test/", "tlm_x", transport=httpx.MockTransport(answer))
    with pytest.raises(errors.TilmechError) as internal:
        remote.status()
    assert type(internal.value) is errors.TilmechError and internal.value.exit_code == 1
    assert str(internal.value) == "internal error (reference ab12)"
    with pytest.raises(errors.EnvironmentNotReady, match=r"http://tilmech\.test does not offer GET /api/inbox: it runs an older"):
        remote.inbox(include_seen=False, mark_seen=False)
    with pytest.raises(errors.EnvironmentNotReady, match="answered 502 Bad Gateway to GET /api/releases"):
        remote.release_list()
    with pytest.raises(errors.Conflict) as conflict:
        remote.review_list(None, None, None, order="risk", min_risk=None, max_risk=None, limit=None)
    assert (conflict.value.current_text, conflict.value.current_version) == ("T", 4)
    with pytest.raises(errors.EnvironmentNotReady, match="something other than JSON"):
        remote.review_show("abc", None)
