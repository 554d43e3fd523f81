"""Background jobs end to end: stress tests and simulations in a worker process, then the
run pages, the HTML report, compare and delete."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _wait(client: Any, job_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_stress_jobs_store_runs_that_pages_show_compare_and_delete(client: Any, csrf: Any) -> None:
    from quasimarket.stress import load_example
    from quasimarket.stress.scenario import Scenario

    headers = csrf(client)
    designs = ["Block", "PbR with MRET"]
    body = {"example": "acute-designs", "draws": 4096, "seed": 1, "designs": designs}
    first = client.post("/api/stress/jobs", json=body, headers=headers)
    assert first.status_code == 202
    assert first.json()["state"] == "queued"
    second = client.post("/api/stress/jobs", json={**body, "seed": 2}, headers=headers)
    done = [_wait(client, first.json()["id"]), _wait(client, second.json()["id"])]
    assert [j["state"] for j in done] == ["done", "done"], done
    run_a, run_b = done[0]["run_id"], done[1]["run_id"]

    # the stored run is the stress tester's result for the chosen designs, to the penny
    from quasimarket.stress import run_stress

    data = load_example("acute-designs").model_dump()
    data.update(draws=4096, seed=1)
    data["designs"] = [d for d in data["designs"] if d["name"] in designs]
    direct = run_stress(Scenario.model_validate(data)).summary
    stored = client.get(f"/api/runs/{run_a}/tables/summary").json()
    assert [r["design"] for r in stored] == list(direct["design"])
    assert [r["mean_gbp"] for r in stored] == pytest.approx(list(direct["mean_gbp"]), rel=1e-12)

    page = client.get(f"/runs/{run_a}")
    assert page.status_code == 200
    assert page.text.count('type="application/json"') >= 3  # densities, who bears, drivers
    assert "Who bears the risk" in page.text
    report = client.get(f"/runs/{run_a}/report.html")
    assert report.status_code == 200
    assert "attachment" in report.headers["content-disposition"]
    assert "<html" in report.text.lower()

    compared = client.get("/api/runs/compare", params={"a": run_a, "b": run_b}).json()
    assert {"field": "seed", "a": 1, "b": 2} in compared["scenario_changes"]
    assert client.get("/runs/compare", params={"a": run_a, "b": run_b}).status_code == 200

    token = headers["X-CSRF-Token"]
    gone = client.post(f"/runs/{run_b}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    assert [r["run_id"] for r in client.get("/api/runs").json()] == [run_a]


def test_failed_job_reports_the_engine_error(client: Any, csrf: Any) -> None:
    from quasimarket.web import api

    client.get("/")
    scenario = api.stress_scenario(api.StressRequest(example="acute-designs", draws=100))
    scenario["designs"][0]["lines"] = {"nonexistent": {"mechanism": "block"}}
    ws_job = client.app.state.web.jobs
    from quasimarket.web.storage import Workspace

    ws = Workspace(client.app.state.web.config.data_dir, "local")
    job_id = ws_job.submit("local", "stress", ws.runs, {"owner": "local", "scenario": scenario})
    job = _wait(client, job_id)
    assert job["state"] == "failed"
    assert job["error"]
    assert client.get("/api/runs").json() == []


def test_simulation_jobs_and_their_pages(client: Any, csrf: Any) -> None:
    from quasimarket.web import simulation

    if not simulation.available():
        pytest.skip("quasimarket.simulation is not installed in this checkout")
    headers = csrf(client)
    body = {"regime": "small-baseline", "years": "2013/14:2014/15", "draws": 3, "seed": 0}
    runs = []
    for seed in (0, 1):
        job = client.post("/api/simulation/jobs", json={**body, "seed": seed}, headers=headers)
        assert job.status_code == 202, job.text
        runs.append(_wait(client, job.json()["id"], 180))
    assert [r["state"] for r in runs] == ["done", "done"], runs
    page = client.get(f"/runs/{runs[0]['run_id']}")
    assert page.status_code == 200
    assert "P5 to P95 over draws" in page.text
    compared = client.get(
        "/api/runs/compare", params={"a": runs[0]["run_id"], "b": runs[1]["run_id"]}
    ).json()
    assert {"field": "seed", "a": 0, "b": 1} in compared["scenario_changes"]
    both = client.get("/runs/compare", params={"a": runs[0]["run_id"], "b": runs[1]["run_id"]})
    assert both.status_code == 200
    assert "run b: P5 to P95" in both.text
    bad = client.post(
        "/api/simulation/jobs", json={**body, "regime": "no-such-regime"}, headers=headers
    )
    assert bad.status_code == 422
    assert "no-such-regime" in bad.json()["problem"]


JOB_REQUESTS = {
    "stress": ("/api/stress/jobs", {"example": "acute-designs", "draws": 200, "seed": 3}),
    "simulation": (
        "/api/simulation/jobs",
        {"regime": "small-baseline", "years": "2013/14:2014/15", "draws": 3, "seed": 0},
    ),
}


@pytest.mark.parametrize("kind", list(JOB_REQUESTS))
def test_every_job_kind_records_its_owner_and_stays_private(
    make_client: Any, login: Any, tmp_path: Any, kind: str
) -> None:
    from quasimarket.runs import RunStore
    from quasimarket.web import simulation
    from quasimarket.web.storage import Workspace

    if kind == "simulation" and not simulation.available():
        pytest.skip("quasimarket.simulation is not installed in this checkout")
    data = tmp_path / "data"
    alice = make_client(users=True, data_dir=data)
    bob = make_client(users=True, data_dir=data)
    alice_headers = login(alice, "alice")
    login(bob, "bob")
    url, body = JOB_REQUESTS[kind]
    queued = alice.post(url, json=body, headers=alice_headers)
    assert queued.status_code == 202, queued.text
    job = _wait(alice, queued.json()["id"], 180)
    assert job["state"] == "done", job
    assert job["owner"] == "alice"
    run_id = job["run_id"]

    listed = alice.get("/api/runs", params={"kind": kind}).json()
    assert [(r["run_id"], r["owner"]) for r in listed] == [(run_id, "alice")]
    assert alice.get(f"/api/runs/{run_id}").json()["manifest"]["owner"] == "alice"
    assert run_id in alice.get("/runs").text
    catalog = RunStore(Workspace(data, "alice").runs).list(kind, owner="alice")
    assert [r.run_id for r in catalog] == [run_id]

    table = "monthly" if kind == "simulation" else "summary"
    for refused in (
        f"/api/runs/{run_id}",
        f"/api/runs/{run_id}/tables/{table}",
        f"/runs/{run_id}",
        f"/api/jobs/{job['id']}",
        f"/jobs/{job['id']}",
    ):
        assert bob.get(refused).status_code == 404, refused
    assert bob.get("/api/runs/compare", params={"a": run_id, "b": run_id}).status_code == 404
    assert bob.get("/api/runs", params={"kind": kind}).json() == []
    assert bob.get("/api/jobs").json() == []
    assert run_id not in bob.get("/runs").text
