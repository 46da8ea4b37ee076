"""schemathesis against the workbench's /openapi.json: generated requests to every operation, no server error.

Requests carry an editor's API token (so every operation is reached past sign-in);
the examples per operation are bounded to keep the run short.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tilmech import services

EXAMPLES = 30  # per operation


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The schema as schemathesis reads it from the app, and the header that signs requests in."""
    from conftest import make_project
    from tilmech.web import create_app
    from web_support import workbench_runtime

    rt = workbench_runtime(make_project(tmp_path_factory.mktemp("schemathesis") / "project", engine="pseudo"))
    headers = {"Authorization": f"Bearer {services.create_token(rt, 'elena', 'schemathesis')}"}
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(rt), headers=headers), headers
    rt.close()


def test_no_generated_request_gives_a_server_error(api) -> None:  # type: ignore[no-untyped-def]
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    tried: dict[str, int] = {}
    for operation in operations:

        @given(operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def generated(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
            tried[case.operation.label] = tried.get(case.operation.label, 0) + 1

        generated()
    assert all(n >= 1 for n in tried.values()) and len(tried) == len(operations)


def test_the_schema_is_only_for_signed_in_users(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from conftest import make_project
    from tilmech.runtime import load_runtime
    from tilmech.web import create_app

    response = TestClient(create_app(load_runtime(make_project(tmp_path / "p", engine="pseudo")))).get("/openapi.json")
    assert response.status_code == 401 and response.json()["error"]["message"] == "sign in first"
