"""One identity, one set of rules: the local CLI acts as a user of the store, holds stick, the
history tells the surface, comments pass the role check, sign-in timing tells no names."""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import approve_article, drafted, functional_checks, on_store
from tilmech import services
from tilmech.errors import Forbidden, Unauthorized
from tilmech.runtime import Runtime, load_runtime, os_login
from tilmech.web import create_app
from web_support import PASSWORD, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


def _release(rt: Runtime) -> int:
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    return services.release_create(rt).id


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_the_cli_applies_the_users_role(pseudo_project: Path, store: str, request: pytest.FixtureRequest,
                                        tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = workbench_runtime(on_store(pseudo_project, store, request))
    release = _release(rt)
    zh = services.review_list(rt, "zh", article=SEED)[1]
    p = ("--project", pseudo_project)

    refused = tilmech(*p, "--user", "bakyt", "release", "approve", release)
    assert refused.code == 1 and refused.out == ""
    assert refused.err == "error: only an editor can approve a release; bakyt is a translator\n"
    assert services.release_info(rt, release).state == "pending"

    edit = tilmech(*p, "--user", "bakyt", "review", "edit", zh.segment_id, "--lang", "zh", "--text", "改了")
    assert edit.code == 1 and edit.err == "error: bakyt is a translator for ky, not zh\n"
    assert services.review_show(rt, zh.segment_id, "zh").items[0].text == zh.text
    assert tilmech(*p, "--user", "bakyt", "review", "approve", "--article", SEED, "--lang", "zh").code == 1
    refused_admin = tilmech(*p, "--user", "bakyt", "users", "add", "x", "--role", "admin")  # refused before the prompt
    assert refused_admin.code == 1 and refused_admin.err == "error: only an admin manages users; bakyt is a translator\n"

    nobody = tilmech(*p, "--user", "nobody", "release", "approve", release)
    assert nobody.code == 2 and nobody.err.count("\n") == 1
    assert "no user 'nobody'" in nobody.err and "tilmech users list" in nobody.err
    assert tilmech(*p, "review", "list", "--lang", "ky").code == 2  # $TILMECH_USER (tester) is no user either
    assert services.release_info(rt, release).state == "pending"
    assert "bakyt\ttranslator\tky" in tilmech(*p, "--user", "nobody", "users", "list").out  # how to fix it

    approved = tilmech(*p, "--user", "elena", "release", "approve", release)
    assert approved.code == 0, approved
    assert services.release_info(rt, release).approved_by == "elena"


def test_the_user_comes_from_tilmech_user_and_flows_check_the_role(pseudo_project: Path, tilmech,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt = workbench_runtime(pseudo_project)
    ky = services.review_list(rt, "ky", article=SEED)[0]
    monkeypatch.setenv("TILMECH_USER", "bakyt")
    p = ("--project", pseudo_project)
    assert tilmech(*p, "review", "approve", ky.segment_id, "--lang", "ky").code == 0
    assert tilmech(*p, "publish", "1").err.startswith("error: only an editor can publish a release")
    sync = tilmech(*p, "sync")
    assert sync.code == 1 and "only an editor can start a sync" in sync.err
    assert tilmech(*p, "translate", "--lang", "ru").code == 1
    assert services.review_show(rt, ky.segment_id, "ky").history["ky"][-1].who == "bakyt"


def test_a_store_without_users_is_in_single_user_mode(pseudo_project: Path, tilmech,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt = drafted(pseudo_project)
    ky = services.review_list(rt, "ky", article=SEED)[0]
    p = ("--project", pseudo_project)
    done = tilmech(*p, "review", "approve", ky.segment_id, "--lang", "ky")
    assert done.code == 0 and done.out == "approved 1 segments (ky)\n"
    assert done.err.count("single-user mode") == 1 and "acting as tester with every role" in done.err
    assert "tilmech users add" in done.err
    assert "single-user" not in tilmech(*p, "review", "list", "--lang", "ky").err  # reading: no word
    # a translator added first (no admin yet): the store is no longer single-user; anyone adds the first admin
    services.users_add(rt, "bakyt", "translator", PASSWORD, ["ky"])
    assert tilmech(*p, "review", "list").code == 2
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    first = tilmech(*p, "users", "add", "boss", "--role", "admin", "--password-stdin")
    assert first.code == 0 and first.out == "boss: admin\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert tilmech(*p, "--user", "bakyt", "users", "add", "boss2", "--role", "admin", "--password-stdin").code == 1
    assert [u.name for u in services.users_list(rt)] == ["bakyt", "boss"]


def test_a_sent_back_segment_survives_an_article_approval(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = drafted(pseudo_project)
    items = services.review_list(rt, "ky", article=SEED)
    held = items[2].segment_id
    services.review_send_back(rt, "ky", [held], "check the term")
    p = ("--project", pseudo_project)
    ack = ("--acknowledge", functional_checks())  # the held state is the subject here, not QA
    done = tilmech(*p, "review", "approve", "--article", SEED, "--lang", "ky", *ack)
    assert done.code == 0, done
    assert done.out == (f"approved {len(items) - 1} segments (ky); skipped 1 needs-work: name them by id ({held}) "
                        "or use --include needs-work\n")
    assert services.review_show(rt, held, "ky").items[0].state == "needs-work"
    assert services.approve_segments(rt, "ky", article=SEED).skipped == {"needs-work": (held,)}
    bad = tilmech(*p, "review", "approve", "--article", SEED, "--lang", "ky", "--include", "approved")
    assert bad.code == 2 and "use needs-work or stale" in bad.err
    again = tilmech(*p, "review", "approve", "--article", SEED, "--lang", "ky", "--include", "needs-work", *ack)
    assert again.out == "approved 1 segments (ky)\n"
    history = services.review_show(rt, held, "ky").history["ky"]
    assert [(h.action, h.after_state) for h in history][-2:] == [("send-back", "needs-work"), ("approve", "approved")]


def test_bulk_approval_through_the_api_skips_held_segments(pseudo_project: Path) -> None:
    rt = workbench_runtime(pseudo_project)
    items = services.review_list(rt, "ky", article=SEED)
    held = items[0].segment_id
    services.review_send_back(rt, "ky", [held], "no")
    client = TestClient(create_app(rt))
    token = services.create_token(rt, "bakyt", "cat-tool")
    client.headers["Authorization"] = f"Bearer {token}"
    answer = client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 100})
    assert answer.status_code == 200, answer.text
    assert answer.json()["skipped"] == {"needs-work": [held]} and held not in answer.json()["approved"]
    assert services.review_show(rt, held, "ky").items[0].state == "needs-work"
    assert client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 100, "include": ["x"]}).status_code == 422
    taken = client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 100, "include": ["needs-work"]})
    if services.review_show(rt, held, "ky").items[0].risk is not None and not services.review_show(
            rt, held, "ky").items[0].findings:
        assert held in taken.json()["approved"]
    assert taken.json()["skipped"] == {}


def test_a_translator_comments_only_on_their_languages(pseudo_project: Path) -> None:
    rt = workbench_runtime(pseudo_project)
    ky = services.review_list(rt, "ky", article=SEED)[0]
    client = TestClient(create_app(rt))
    client.headers["Authorization"] = f"Bearer {services.create_token(rt, 'aida', 'x')}"
    refused = client.post(f"/api/segments/{ky.segment_id}/ky/comments", json={"text": "looks wrong"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "aida is a translator for ru, not ky"
    assert services.review_show(rt, ky.segment_id, "ky").comments["ky"] == ()
    aida = rt.acting_as(services.get_user(rt, "aida"))  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        services.add_comment(aida, ky.segment_id, "ky", "looks wrong")
    assert client.post(f"/api/segments/{ky.segment_id}/ru/comments", json={"text": "fine"}).status_code == 200


def test_the_history_shows_the_surface(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = workbench_runtime(pseudo_project)
    one, two, three = services.review_list(rt, "ky", article=SEED)[:3]
    p = ("--project", pseudo_project)
    ack = functional_checks()  # the surface is the subject here, not QA: open findings are acknowledged
    assert tilmech(*p, "--user", "bakyt", "review", "approve", one.segment_id, "--lang", "ky",
                   "--acknowledge", ack).code == 0
    client = TestClient(create_app(rt))
    client.headers["Authorization"] = f"Bearer {services.create_token(rt, 'bakyt', 'cat-tool')}"
    sent = client.post(f"/api/segments/{two.segment_id}/ky/send-back", json={"version": two.version, "note": "n"})
    assert sent.status_code == 200, sent.text
    web = TestClient(create_app(rt))
    csrf = web.post("/api/login", json={"name": "bakyt", "password": PASSWORD}).json()["csrf"]
    web.headers["X-CSRF-Token"] = csrf
    approved = web.post(f"/api/segments/{three.segment_id}/ky/approve",
                        json={"version": three.version, "acknowledge": ack.split(",")})
    assert approved.status_code == 200, approved.text
    login = os_login()
    cli = "cli" if login in ("", "bakyt") else f"cli (login {login})"
    last = {sid: services.review_show(rt, sid, "ky").history["ky"][-1]
            for sid in (one.segment_id, two.segment_id, three.segment_id)}
    assert [(h.who, h.surface) for h in last.values()] == [("bakyt", cli), ("bakyt", "api (token cat-tool)"),
                                                          ("bakyt", "web")]
    shown = tilmech(*p, "--user", "bakyt", "review", "show", one.segment_id, "--lang", "ky").out
    assert f"bakyt  approve  draft → approved  via {cli}\n" in shown
    assert client.get(f"/api/segments/{two.segment_id}?lang=ky").json()["history"]["ky"][-1]["surface"] \
        == "api (token cat-tool)"
    page = web.get(f"/edit/{SEED}/ky")
    assert page.status_code == 200 and "bakyt approve draft → approved via web" in page.text
    xliff = services.xliff_export(rt, SEED, "ky", "2.1")
    (pseudo_project / "ky.xlf").write_text(xliff.replace(f">{two.text}<", ">Жаңы текст<", 1), encoding="utf-8")
    assert tilmech(*p, "--user", "bakyt", "xliff", "import", pseudo_project / "ky.xlf").code == 0
    assert services.review_show(rt, two.segment_id, "ky").history["ky"][-1].surface == f"xliff ({cli})"


def test_an_unknown_name_costs_as_much_as_a_wrong_password(pseudo_project: Path) -> None:
    rt = load_runtime(pseudo_project)
    services.users_add(rt, "aida", "translator", PASSWORD, ["ru"])

    def timed(name: str) -> float:
        start = time.perf_counter()
        with pytest.raises(Unauthorized):
            services.authenticate(rt, name, "wrong password")
        return time.perf_counter() - start

    timed("nobody"), timed("aida")  # warm up: the dummy hash is made once
    unknown, wrong = [], []
    for _ in range(50):
        unknown.append(timed("nobody"))
        wrong.append(timed("aida"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.8 <= ratio <= 1.2, (statistics.median(unknown), statistics.median(wrong))


def test_the_readme_s_first_users_can_be_added_in_its_order(pseudo_project: Path, tilmech,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """You first (as admin, in single-user mode, which that ends without a word), then the others."""
    p = ("--project", pseudo_project)
    for name, *role in (("tester", "--role", "admin"), ("elena", "--role", "editor"),
                        ("aida", "--role", "translator", "--lang", "ky")):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        added = tilmech(*p, "users", "add", name, *role, "--password-stdin")
        assert added.code == 0 and "single-user" not in added.err, added.err
    rt = load_runtime(pseudo_project)
    assert [(u.name, u.role.value) for u in services.users_list(rt)] == \
        [("aida", "translator"), ("elena", "editor"), ("tester", "admin")]
