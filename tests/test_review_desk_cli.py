"""The translator's desk in the CLI: `review list` (header, aligned columns, --json, approved hidden),
`review show` with the notes first, `review comment`, and the inbox (CLI, API, service), on SQLite
and PostgreSQL alike."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tilmech import services
from tilmech.review import State
from tilmech.runtime import Runtime
from tilmech.services.inbox import inbox
from tilmech.web import create_app
from web_support import signed_in, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, pseudo_project: Path) -> Runtime:
    """The workbench project (aida: ru, bakyt: ky, elena: editor, root: admin) on either store."""
    if request.param == "postgresql":
        settings = pseudo_project / "tilmech.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            "sqlite:///tilmech.db", request.getfixturevalue("postgres_url")), encoding="utf-8")
    return workbench_runtime(pseudo_project)


def as_user(rt: Runtime, name: str) -> Runtime:
    return rt.acting_as(services.get_user(rt, name), "web")


def test_review_list_has_a_header_aligned_columns_json_and_hides_approved(desk: Runtime, pseudo_project: Path,
                                                                            tilmech) -> None:  # type: ignore[no-untyped-def]
    p = ("--project", pseudo_project, "--user", "bakyt")
    first = services.review_list(desk, "ky", article=SEED, order="position")[0]
    services.approve_segments(desk, "ky", [first.segment_id],
                              acknowledge={f.code for f in first.findings})
    every = services.review_list(desk, "ky")

    listed = tilmech(*p, "review", "list", "--lang", "ky", "--order", "position", "--limit", "0")
    assert listed.code == 0, listed
    header, *rows = listed.out.splitlines()
    assert header.split() == ["SEGMENT", "LANG", "RISK", "STATE", "QA", "ARTICLE", "TEXT"]
    assert len(rows) == len(every) - 1 and first.segment_id not in listed.out  # approved: not listed
    assert {row.split()[5] for row in rows} >= {"partners-showcase", SEED}  # slugs of different lengths
    for column in ("STATE", "ARTICLE", "TEXT"):  # every row's cell starts under its header
        at = header.index(column)
        assert all(row[at - 2:at] == "  " and row[at] != " " for row in rows), column
    assert "approved ones not listed (--all lists them)" in listed.err

    approved = tilmech(*p, "review", "list", "--lang", "ky", "--state", "approved")
    assert [row.split()[0] for row in approved.out.splitlines()[1:]] == [first.segment_id]
    assert len(tilmech(*p, "review", "list", "--lang", "ky", "--all", "--limit", "0").out.splitlines()) == len(every) + 1

    data = json.loads(tilmech(*p, "review", "list", "--lang", "ky", "--all", "--json", "--limit", "0").out)
    assert len(data) == len(every)
    one = next(item for item in data if item["segment_id"] == first.segment_id)
    assert one["state"] == "approved" and one["article"] == SEED and one["lang"] == "ky"
    assert {"source", "text", "machine", "risk", "findings", "placeholders", "version", "engine", "score"} <= set(one)
    assert all({"code", "severity", "message"} == set(f) for item in data for f in item["findings"])

    ids = tilmech(*p, "review", "list", "--lang", "ky", "--ids", "--limit", "3").out.split()
    assert len(ids) == 3 and all(i in {item["segment_id"] for item in data} for i in ids)
    helped = "".join(tilmech("review", "list", "--help").out.split())  # as wrapped at any width
    assert all(state.value in helped for state in State)  # every state the review knows
    assert tilmech(*p, "review", "list", "--all", "--state", "draft").code == 2


def test_review_show_puts_notes_and_comments_first_and_comment_reaches_the_segment(
        desk: Runtime, pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    item = services.review_list(desk, "ky", article=SEED, order="position")[1]
    services.review_send_back(as_user(desk, "elena"), "ky", [item.segment_id], "the term is wrong")
    p = ("--project", pseudo_project)
    commented = tilmech(*p, "--user", "bakyt", "review", "comment", item.segment_id, "--lang", "ky",
                        "--text", "fixed with the glossary's term")
    assert (commented.code, commented.out) == (0, f"commented on {item.segment_id} (ky)\n")
    refused = tilmech(*p, "--user", "aida", "review", "comment", item.segment_id, "--lang", "ky", "--text", "x")
    assert (refused.code, refused.err) == (1, "error: aida is a translator for ru, not ky\n")

    shown = tilmech(*p, "--user", "bakyt", "review", "show", item.segment_id, "--lang", "ky").out.splitlines()
    assert shown[1] == "notes:"
    assert shown[2].endswith("  ky  elena sent back: the term is wrong")
    assert shown[3].endswith("  ky  bakyt commented: fixed with the glossary's term")
    assert shown[4].startswith("source:")
    assert [c.text for c in services.review_show(desk, item.segment_id, "ky").comments["ky"]] == \
        ["fixed with the glossary's term"]


def test_the_inbox_holds_what_others_sent_back_or_commented_since_one_last_looked(
        desk: Runtime, pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    ky = services.review_list(desk, "ky", article=SEED, order="position")
    ru = services.review_list(desk, "ru", article=SEED, order="position")
    elena, bakyt = as_user(desk, "elena"), as_user(desk, "bakyt")
    services.review_send_back(elena, "ky", [ky[0].segment_id], "check the term")
    services.add_comment(elena, ky[1].segment_id, "ky", "is this the right name?")
    services.add_comment(bakyt, ky[2].segment_id, "ky", "my own note")  # one's own: not in one's inbox
    services.review_send_back(elena, "ru", [ru[0].segment_id], "for aida")
    p = ("--project", pseudo_project, "--user", "bakyt")

    first = tilmech(*p, "inbox")
    assert first.code == 0, first
    header, *rows = first.out.splitlines()
    assert header.split() == ["WHEN", "(UTC)", "LANG", "KIND", "WHO", "SEGMENT", "STATE", "ARTICLE", "TEXT"]
    assert len(rows) == 2 and first.err == "2 new notes\n"
    assert rows[0].split()[3:7] == ["comment", "elena", ky[1].segment_id, "draft"]
    assert rows[1].split()[3:7] == ["sent-back", "elena", ky[0].segment_id, "needs-work"]
    assert rows[1].endswith("check the term") and "for aida" not in first.out and "my own" not in first.out

    again = tilmech(*p, "inbox")  # looked: nothing new
    assert (again.out, again.err) == ("", "nothing new in your inbox (--all lists the earlier notes)\n")
    services.add_comment(elena, ky[0].segment_id, "ky", "any news?")
    looking_back = json.loads(tilmech(*p, "inbox", "--all", "--json").out)
    assert looking_back["unseen"] == 1
    assert [(i["kind"], i["unseen"]) for i in looking_back["items"]] == \
        [("comment", True), ("comment", False), ("sent-back", False)]
    assert looking_back["items"][0]["text"] == "any news?" and looking_back["items"][0]["title"]
    assert looking_back["items"][0]["when"].endswith("+00:00")
    assert len(tilmech(*p, "inbox").out.splitlines()) == 2  # --all changed nothing: the new one is still new

    aida = inbox(desk, services.get_user(desk, "aida"))
    assert [(i.lang, i.kind, i.text) for i in aida] == [("ru", "sent-back", "for aida")]
    assert {i.lang for i in inbox(desk, services.get_user(desk, "root"))} == {"ky", "ru"}  # an admin: all


def test_the_inbox_api(desk: Runtime) -> None:
    item = services.review_list(desk, "ky", article=SEED, order="position")[0]
    services.review_send_back(as_user(desk, "elena"), "ky", [item.segment_id], "see the glossary")
    client = signed_in(create_app(desk), "bakyt")

    answer = client.get("/api/inbox")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["unseen"] == 1
    got = data["items"][0]
    assert (got["segment_id"], got["lang"], got["kind"], got["who"], got["text"], got["state"]) == \
        (item.segment_id, "ky", "sent-back", "elena", "see the glossary", "needs-work")
    assert got["article"] == SEED and got["title"] and got["when"].endswith("+00:00")
    assert client.post("/api/inbox/seen", json={}).json() == {"ok": True}
    assert client.get("/api/inbox").json() == {"items": [], "unseen": 0}
    assert client.get("/api/inbox", params={"all": "true"}).json()["items"][0]["unseen"] is False
    anonymous = signed_in(create_app(desk), "aida")
    anonymous.cookies.clear()
    assert anonymous.get("/api/inbox").status_code == 401
    no_csrf = signed_in(create_app(desk), "bakyt")
    del no_csrf.headers["X-CSRF-Token"]
    assert no_csrf.post("/api/inbox/seen").status_code == 403


class Terminal(io.StringIO):
    """A terminal's stdin: the answers typed."""

    def isatty(self) -> bool:
        return True


def test_approving_open_findings_asks_at_a_terminal_and_names_the_codes_elsewhere(
        pseudo_project: Path, tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt = workbench_runtime(pseudo_project)
    item = next(i for i in services.review_list(rt, "ky", article=SEED, order="position")
                if not i.placeholders and len(i.source) > 80)
    services.review_edit(rt, item.segment_id, "ky", "Бул сыноо.", item.version)  # far too short: findings
    codes = sorted({f.code for f in services.review_show(rt, item.segment_id, "ky").items[0].findings
                    if str(f.severity) == "functional"})
    assert codes
    p = ("--project", pseudo_project, "--user", "bakyt", "review", "approve", item.segment_id, "--lang", "ky")

    refused = tilmech(*p)  # not a terminal: refused, naming the options to add
    assert refused.code == 1 and refused.err.count("\n") == 1
    assert " ".join(f"--acknowledge {code}" for code in codes) in refused.err
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    declined = tilmech(*p)
    assert declined.code == 1 and "Approve anyway?" in declined.err and all(c in declined.err for c in codes)
    assert services.review_show(rt, item.segment_id, "ky").items[0].state == "draft"
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    accepted = tilmech(*p)
    assert (accepted.code, accepted.out) == (0, "approved 1 segments (ky)\n"), accepted
    assert services.review_show(rt, item.segment_id, "ky").items[0].state == "approved"
