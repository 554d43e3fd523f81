"""Schemathesis against the OpenAPI schema: no server errors and no schema violations.

Bounded: a few examples per operation, and jobs are queued without starting workers (the
worker path has its own tests), so this takes well under a minute.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

pytestmark = pytest.mark.integration
#: No 5xx, and every response conforms to the schema (status, content type, headers, body).
#: Schema-valid requests that the engines refuse with a documented 422 (e.g. year 0000/00)
#: are correct behaviour, so "positive data acceptance" is not among the checks.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def app_and_headers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    from quasimarket.web import WebConfig, create_app

    app = create_app(WebConfig(data_dir=tmp_path_factory.mktemp("schema")))
    jobs = app.state.web.jobs
    queued: list[str] = []

    def submit(owner: str, kind: str, store: Path, payload: dict[str, Any]) -> str:
        from quasimarket.web.jobs import write_job
        from quasimarket.web.storage import new_id

        jobs.folder.mkdir(parents=True, exist_ok=True)
        job_id = new_id()
        job = {"id": job_id, "owner": owner, "kind": kind, "state": "queued", "progress": 0.0}
        write_job(jobs.folder / f"{job_id}.json", job)
        queued.append(job_id)
        return job_id

    jobs.submit = submit  # no worker processes here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app, base_url="http://127.0.0.1")
    session = client.get("/api/session")
    cookie = session.headers["set-cookie"].split(";", 1)[0]
    return app, {"X-CSRF-Token": session.json()["csrf_token"], "Cookie": cookie}


def test_api_has_no_server_errors_or_schema_violations(
    app_and_headers: tuple[Any, dict[str, str]],
) -> None:
    from hypothesis import given

    app, headers = app_and_headers
    api = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    tested = []
    statuses: set[tuple[str, int]] = set()
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            if isinstance(case.body, dict) and "n_records" in case.body:
                case.body["n_records"] = min(int(case.body["n_records"]), 2_000)  # fast
            response = case.call_and_validate(
                headers={**headers, "Host": "127.0.0.1"}, checks=CHECKS
            )
            statuses.add((case.operation.label, response.status_code))

        check()
        tested.append(operation.label)
    assert len(tested) >= 25
    assert "POST /api/pricings" in tested
    # the session and CSRF token were accepted: unsafe calls got through, not just 403s
    assert ("POST /api/contracts/validate", 200) in statuses
