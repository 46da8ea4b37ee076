"""The workbench's one error funnel: every failure, ours or not, answers with the JSON error shape on
``/api/`` and with the error page elsewhere, and always with the security headers."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.exc import OperationalError

from tilmech import services
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import signed_in, workbench_runtime, write_lock

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    """The workbench project, waiting at most 1 s for a busy store (store_timeout: 1)."""
    settings = pseudo_project / "tilmech.yaml"
    text, count = re.subn(r"(?m)^store_timeout: *\d+", "store_timeout: 1", settings.read_text(encoding="utf-8"))
    assert count == 1
    settings.write_text(text, encoding="utf-8")
    runtime = workbench_runtime(pseudo_project)
    assert runtime.settings.store_timeout == 1
    return runtime


@pytest.fixture
def app(rt: Runtime) -> FastAPI:
    return create_app(rt)


def assert_secured(response: Response) -> None:
    """The security headers every answer carries, error answers included."""
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def json_error(response: Response, status: int, kind: str) -> str:
    """The one JSON error shape, with the security headers; returns its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert_secured(response)
    error = response.json()["error"]
    assert (error["status"], error["type"]) == (status, kind), error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text
    return str(error["message"])


def error_page(response: Response, status: int) -> str:
    """The error page (HTML, a plain Back link: the CSP blocks javascript: URLs), with the security headers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_secured(response)
    assert 'role="alert"' in response.text and "javascript:" not in response.text
    assert "Traceback" not in response.text
    return response.text


def test_a_busy_store_answers_503_saying_try_again_and_the_retry_works(app: FastAPI, rt: Runtime) -> None:
    aida = signed_in(app, "aida")
    item = services.review_list(rt, "ru", article=SEED)[0]
    url, body = f"/api/segments/{item.segment_id}/ru", {"text": "Церемония открытия", "version": item.version}
    with write_lock(rt.settings.root / "tilmech.db"):
        assert aida.get(f"/api/segments?lang=ru&article={SEED}").status_code == 200  # reads do not wait
        message = json_error(aida.put(url, json=body), 503, "StoreUnavailable")
        assert message.startswith("the store is busy") and "try again" in message
        form = aida.post(f"/edit/{SEED}/ru/{item.segment_id}", follow_redirects=False, data={
            "action": "approve", "text": "Церемония", "version": item.version, "csrf": aida.headers["X-CSRF-Token"]})
        assert "the store is busy" in error_page(form, 503)
    assert services.review_list(rt, "ru", article=SEED)[0].text == item.text  # nothing half-written
    retried = aida.put(url, json=body)
    assert retried.status_code == 200 and retried.json()["text"] == "Церемония открытия"


def test_an_unknown_api_path_is_404_in_the_error_shape(app: FastAPI) -> None:
    for client in (TestClient(app), signed_in(app, "aida")):
        message = json_error(client.get("/api/nowhere"), 404, "NotFound")
        assert message == "no such path: /api/nowhere: the API is described at /openapi.json"


def test_a_wrong_method_is_405_in_the_error_shape_with_allow(app: FastAPI) -> None:
    response = signed_in(app, "aida").delete("/api/segments")
    assert json_error(response, 405, "MethodNotAllowed") == "DELETE is not allowed on /api/segments: use GET"
    assert response.headers["allow"] == "GET"


def test_an_invalid_body_is_422_naming_each_problem(app: FastAPI, rt: Runtime) -> None:
    aida = signed_in(app, "aida")
    item = services.review_list(rt, "ru", article=SEED)[0]
    url = f"/api/segments/{item.segment_id}/ru"
    empty = aida.put(url, json={"text": "", "version": item.version})
    assert json_error(empty, 422, "ValidationError") == "body.text: String should have at least 1 character"
    two = aida.put(url, json={"version": "seven"})
    assert json_error(two, 422, "ValidationError").startswith("2 problems: body.text: Field required; body.version: ")
    broken = aida.put(url, content=b'{"text": ', headers={"Content-Type": "application/json"})
    assert json_error(broken, 422, "ValidationError").startswith("body.")
    assert services.review_list(rt, "ru", article=SEED)[0].text == item.text


def test_numbers_past_what_the_store_holds_are_refused_not_a_server_error(app: FastAPI, rt: Runtime) -> None:
    elena = signed_in(app, "elena")
    huge = "99999999999999999999"
    limit = elena.get(f"/api/segments?limit={huge}")
    assert json_error(limit, 422, "ValidationError").startswith("query.limit: Input should be less than or equal")
    assert json_error(elena.post(f"/api/releases/{huge}/approve"), 422, "ValidationError").startswith(
        "path.release_id: ")
    item = services.review_list(rt, "ru", article=SEED)[0]
    stale = elena.put(f"/api/segments/{item.segment_id}/ru", json={"text": "Текст", "version": int(huge)})
    assert json_error(stale, 422, "ValidationError").startswith("body.version: ")
    assert elena.get("/api/segments?limit=2").json()[1]["segment_id"]  # a sane limit still works


def test_an_unknown_failure_is_500_without_its_details_and_logged(app: FastAPI, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(services, "progress_table", broken)  # what /api/progress calls
    monkeypatch.setattr(services, "desk_rows", broken)  # what the desk (/) calls
    aida = signed_in(app, "aida")
    with caplog.at_level(logging.ERROR, logger="tilmech.web"):
        response = aida.get("/api/progress")
        message = json_error(response, 500, "InternalError")
        page = error_page(aida.get("/"), 500)
    assert message.startswith("internal error (reference ") and "try again" in message
    assert "secret detail" not in response.text and "secret detail" not in page
    reference = message.split("reference ")[1].split(")")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and "secret detail" in str(logged[0].exc_info[1])


def test_a_lock_error_from_outside_a_store_session_is_still_503(app: FastAPI,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE translations", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(services, "progress_table", locked)
    message = json_error(signed_in(app, "aida").get("/api/progress"), 503, "StoreUnavailable")
    assert message.startswith("the store is busy") and "try again" in message


def test_an_unknown_page_is_the_error_page_with_a_plain_back_link(app: FastAPI) -> None:
    anonymous = TestClient(app)
    assert "no such page: /nowhere" in error_page(anonymous.get("/nowhere"), 404)
    assert "no such page" in error_page(anonymous.get("/static/nothing.css"), 404)
    elena = signed_in(app, "elena")
    refused = elena.post("/releases/1/approve", data={"csrf": "forged"},
                         headers={"Referer": f"http://testserver/edit/{SEED}/ru?state=draft"})
    page = error_page(refused, 403)
    assert f'<a href="/edit/{SEED}/ru?state=draft">Back</a>' in page and '<a href="/">Dashboard</a>' in page
    elsewhere = elena.post("/releases/1/approve", data={"csrf": "forged"}, headers={"Referer": "https://evil.example/"})
    assert ">Back</a>" not in error_page(elsewhere, 403)


def test_a_form_with_a_missing_field_is_the_error_page(app: FastAPI, rt: Runtime) -> None:
    aida = signed_in(app, "aida")
    item = services.review_list(rt, "ru", article=SEED)[0]
    response = aida.post(f"/edit/{SEED}/ru/{item.segment_id}", data={"csrf": aida.headers["X-CSRF-Token"]})
    assert "body.action: Field required" in error_page(response, 422)
