"""Releases managed where editors work: the JSON API and the releases page create, approve, publish,
roll back and discard; each page action asks for confirmation first; translators only read."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import approve_article, functional_checks
from tilmech import services
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import PASSWORD, served_in_thread, signed_in, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"
PARTNERS = "partners-showcase"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    rt = workbench_runtime(pseudo_project)
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    return rt


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    return create_app(rt)


def served(rt: Runtime) -> int | None:
    """The release the published site serves, read from the folder itself."""
    link = Path(services.publish_location(rt)) / "current"
    return int(os.readlink(link).rsplit("/", 1)[-1]) if link.is_symlink() else None


def test_the_api_lets_editors_manage_releases_and_translators_read(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida, bakyt, elena = signed_in(app, "aida"), signed_in(app, "bakyt"), signed_in(app, "elena")
    assert aida.post("/api/releases").status_code == 403
    first = elena.post("/api/releases")
    assert first.status_code == 200 and first.json()["warnings"] == []
    one = first.json()["id"]
    for method, url in (("POST", f"/api/releases/{one}/approve"), ("POST", f"/api/releases/{one}/publish"),
                        ("POST", f"/api/releases/{one}/rollback"), ("DELETE", f"/api/releases/{one}")):
        refused = bakyt.request(method, url)
        assert refused.status_code == 403, (method, url)
        assert refused.json()["error"]["message"].startswith("only an editor can")
    assert elena.post(f"/api/releases/{one}/publish").status_code == 409  # not approved yet
    assert elena.post(f"/api/releases/{one}/approve").json()["warnings"] == []
    again = elena.post(f"/api/releases/{one}/approve")
    assert again.status_code == 200 and again.json()["warnings"] == [f"release {one} is already approved (by elena)"]
    published = elena.post(f"/api/releases/{one}/publish")
    assert published.status_code == 200 and published.json()["served"] == one and served(rt) == one
    assert published.json()["locales"] == {"en": 2, "ru": 1, "ky": 1, "zh": 1}

    # a pending release is discarded, an approved one is not
    two = elena.post("/api/releases").json()["id"]
    del elena.headers["X-CSRF-Token"]
    assert "CSRF" in elena.delete(f"/api/releases/{two}").json()["error"]["message"]
    elena.headers["X-CSRF-Token"] = elena.get("/api/me").json()["csrf"]
    assert elena.delete(f"/api/releases/{two}").json() == {"discarded": two}
    assert elena.delete(f"/api/releases/{two}").status_code == 404
    assert elena.delete(f"/api/releases/{one}").status_code == 409
    assert [r["id"] for r in elena.get("/api/releases").json()["releases"]] == [one]

    # a retranslated sentence: the diff against the served release counts it; anyone may read the diff
    item = services.review_list(rt, "ru", article=SEED)[1]
    services.review_edit(rt, item.segment_id, "ru", item.text + " (правка)")
    services.review_approve(rt, "ru", [item.segment_id])
    three = elena.post("/api/releases").json()["id"]
    diff = aida.get(f"/api/releases/{three}/diff")
    assert diff.status_code == 200 and diff.json()["against"] == one
    by_lang = {d["lang"]: d for d in diff.json()["locales"]}
    assert by_lang["ru"]["changed"] == [{"article": SEED, "segments": 1, "removed_segments": 0}]
    assert by_lang["ky"]["changed"] == [] and by_lang["ky"]["unchanged"] == 1
    assert by_lang["zh"]["held_back"] == [PARTNERS]
    elena.post(f"/api/releases/{three}/approve")
    assert elena.post(f"/api/releases/{three}/publish").json()["served"] == three

    # roll back to the first release: editors only
    assert aida.post(f"/api/releases/{one}/rollback").status_code == 403
    assert served(rt) == three
    assert elena.post(f"/api/releases/{one}/rollback").json() == {"served": one}
    assert served(rt) == one
    listed = elena.get("/api/releases").json()["published"]
    assert [(p["release"], p["current"]) for p in listed] == [(one, True), (three, False)]
    assert elena.post("/api/releases/99/rollback").status_code == 404


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def row(page: str, release: int) -> str:
    """The row of a release in the releases table."""
    start = page.index(f'<tr id="release-{release}">')
    return page[start:page.index("</tr>", start)]


def test_the_releases_page_asks_before_each_action(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    services.review_send_back(rt, "ky", [services.review_list(rt, "ky", article=SEED)[0].segment_id], "again")
    elena = signed_in(app, "elena")
    del elena.headers["X-CSRF-Token"]  # as a browser sends the forms: the token in their field
    page = elena.get("/releases").text
    assert 'action="/releases/new"' in page
    csrf = csrf_of(page)
    confirm = elena.get("/releases/new").text
    assert "Create a release?" in confirm and 'name="confirm" value="yes"' in confirm
    assert re.search(r'<tr data-lang="ky"><td>ky</td><td>– <strong class="warning">ships nothing</strong>', confirm)
    # a form without the confirmation goes to the confirmation page; nothing is created
    unconfirmed = elena.post("/releases", data={"csrf": csrf}, follow_redirects=False)
    assert (unconfirmed.status_code, unconfirmed.headers["location"]) == (303, "/releases/new")
    assert services.release_list(rt) == []
    created = elena.post("/releases", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/releases#release-1"
    page = elena.get("/releases").text
    assert "<p>release 1 created</p>" in page
    assert '<p class="warning">ky ships nothing: none of its 2 articles is complete' in page
    assert "release 1 created" not in elena.get("/releases").text  # shown once
    assert 'id="diff-1"' in page and "against nothing: nothing is served yet" in page
    assert elena.post("/releases/1/approve", data={"csrf": csrf}, follow_redirects=False).headers["location"] == \
        "/releases/1/approve"
    assert services.release_info(rt, 1).state == "pending"

    # a translator reads the page, without its actions; the actions and their pages answer 403
    bakyt = signed_in(app, "bakyt")
    del bakyt.headers["X-CSRF-Token"]
    read_only = bakyt.get("/releases").text
    assert 'id="release-1"' in read_only and "/releases/1/approve" not in read_only
    assert "/releases/new" not in read_only
    refused = bakyt.get("/releases/1/approve")
    assert refused.status_code == 403 and "only an editor can approve a release" in refused.text
    assert bakyt.get("/releases/new").status_code == 403
    for action in ("approve", "discard", "publish", "rollback"):
        answer = bakyt.post(f"/releases/1/{action}", data={"csrf": csrf_of(read_only), "confirm": "yes"})
        assert answer.status_code == 403, action
    assert services.release_info(rt, 1).state == "pending"

    # the editor: approve, publish, then a second release, discarded
    confirm = elena.get("/releases/1/approve").text
    assert "Approve release 1?" in confirm and 'action="/releases/1/approve"' in confirm
    approved = elena.post("/releases/1/approve", data={"csrf": csrf, "confirm": "yes"})  # then the page
    assert services.release_info(rt, 1).state == "approved"
    assert "release 1 approved" in approved.text and "approved by elena" in approved.text
    assert elena.get("/releases/1/discard").status_code == 409  # approved: nothing to confirm
    assert "are written to <code>" in elena.get("/releases/1/publish").text
    page = elena.post("/releases/1/publish", data={"csrf": csrf, "confirm": "yes"}).text
    assert served(rt) == 1
    assert "release 1 published to" in page and "served now" in row(page, 1)
    elena.post("/releases", data={"csrf": csrf, "confirm": "yes"})
    assert "Discard release 2?" in elena.get("/releases/2/discard").text
    elena.post("/releases/2/discard", data={"csrf": csrf, "confirm": "yes"})
    assert [i.id for i in services.release_list(rt)] == [1]
    assert elena.get("/releases/1/nonsense").status_code == 404


# -- in a real browser (Debian's Chromium driven by Playwright) ---------------------------------------



@pytest.fixture
def server(rt: Runtime) -> Iterator[str]:
    with served_in_thread(rt) as url:
        yield url


def confirmed(page, base: str, button: str) -> None:  # type: ignore[no-untyped-def]
    """Click an action of the releases page, then confirm it on its own page."""
    page.click(button)
    page.wait_for_selector("#confirm")
    page.click("#confirm")
    page.wait_for_url(re.compile(re.escape(f"{base}/releases") + r"(#.*)?$"))


@pytest.mark.slow
def test_an_editor_publishes_and_rolls_back_from_the_releases_page(server, browser, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    base = server
    page = browser.new_context().new_page()
    page.goto(f"{base}/login?next=/releases")
    page.fill('input[name="name"]', "elena")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/releases")

    confirmed(page, base, "#create-release")
    assert page.text_content(".notice").strip().startswith("release 1 created")
    assert page.text_content("#release-1 .state") == "pending"
    assert "nothing is served yet" in page.text_content("#diff-1")
    confirmed(page, base, "#release-1 button.approve")
    assert page.text_content("#release-1 .state") == "approved"
    page.click("#release-1 button.publish")
    assert page.text_content("h1") == "Publish release 1?"
    assert SEED in page.text_content("table.release-diff tr[data-lang='ru'] td.added")
    page.click("#confirm")
    page.wait_for_selector("#release-1 .served")
    assert served(rt) == 1
    site = Path(services.publish_location(rt)) / "current" / "ru" / f"{SEED}.html"
    first_edition = site.read_bytes()

    # a retranslated sentence, a second release: its diff on the page, then published
    item = next(i for i in services.review_list(rt, "ru", article=SEED) if i.field == "body")
    services.review_edit(rt, item.segment_id, "ru", item.text + " (правка)")
    services.review_approve(rt, "ru", [item.segment_id], acknowledge=functional_checks().split(","))
    confirmed(page, base, "#create-release")
    assert page.text_content("#diff-2 tr[data-lang='ru'] td.changed") == f"{SEED} (1 segment)"
    assert page.text_content("#diff-2 caption") == "Release 2 against release 1, served now"
    confirmed(page, base, "#release-2 button.approve")
    confirmed(page, base, "#release-2 button.publish")
    assert served(rt) == 2 and page.locator("#release-2 .served").count() == 1
    assert site.read_bytes() != first_edition

    # roll back to release 1 from the page
    confirmed(page, base, "#release-1 button.rollback")
    assert "release 1 is served again" in page.text_content(".notice")
    assert served(rt) == 1 and page.locator("#release-1 .served").count() == 1
    assert site.read_bytes() == first_edition
    assert page.locator("#release-2 button.rollback").count() == 1
