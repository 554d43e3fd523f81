"""Load test of the web application on loopback: 50 concurrent users pricing and viewing.

    .venv/bin/python bench/bench_web_load.py            # 50 users for 60 s
    .venv/bin/python bench/bench_web_load.py --write    # ... and update docs/benchmarks.md
    .venv/bin/python bench/bench_web_load.py --users 5 --duration 10   # smoke test

Starts ``quasimarket serve`` on a free 127.0.0.1 port with a fresh data folder, runs the
users (one httpx async client and session each), then stops the server. Bounded in time
(``--duration``) and in count (``--max-requests`` per user). Each user loops: price the
national-tariff template on 2,000 generated records, open the pricing page, explain a
record, download the statement CSV, open the structure page. Ten users also start one
small stress test (4,096 draws) in the background; at the end every stress job must have
finished with its run in the store, and every pricing must still be retrievable ("no lost
runs"). Reports throughput (requests/s), latency percentiles and errors; with ``--write`` the
results replace the text between ``<!-- web:start -->`` and ``<!-- web:end -->`` in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- web:start -->", "<!-- web:end -->"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "quasimarket.cli.main", "serve", "--host", "127.0.0.1"),
            *("--port", str(port), "--data", str(data)),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/session", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def _warm_up(url: str, contract: str) -> None:
    """One pricing and one page of each kind before the clock starts."""
    with httpx.Client(base_url=url, timeout=300) as client:
        headers = {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}
        body = {"contract_text": contract, "n_records": 2000}
        pid = client.post("/api/pricings", json=body, headers=headers).json()["pricing_id"]
        for path in (f"/pricings/{pid}", f"/api/pricings/{pid}/explain/1", "/structure"):
            client.get(path)


class Tally:
    """Latencies and failures of every request."""

    def __init__(self) -> None:
        self.latency: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.errors: list[str] = []

    async def call(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kw: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError as error:
            self.errors.append(f"{kind}: {type(error).__name__}")
            return None
        elapsed = time.perf_counter() - started
        self.latency.append(elapsed)
        self.by_kind.setdefault(kind, []).append(elapsed)
        if response.status_code >= 400:
            self.errors.append(f"{kind}: HTTP {response.status_code}")
            return None
        return response


async def user(
    index: int,
    url: str,
    contract: str,
    deadline: float,
    max_requests: int,
    tally: Tally,
    pricings: list[str],
    jobs: list[str],
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        session = await tally.call(client, "session", "GET", "/api/session")
        if session is None:
            return
        headers = {"X-CSRF-Token": session.json()["csrf_token"]}
        if index < 10:
            body = {"example": "acute-designs", "draws": 4096, "seed": index}
            job = await tally.call(
                client, "stress job", "POST", "/api/stress/jobs", json=body, headers=headers
            )
            if job is not None:
                jobs.append(job.json()["id"])
        done = 0
        while time.monotonic() < deadline and done < max_requests:
            body = {"contract_text": contract, "n_records": 2000, "activity_seed": index}
            priced = await tally.call(
                client, "price", "POST", "/api/pricings", json=body, headers=headers
            )
            done += 1
            if priced is None:
                continue
            pid = priced.json()["pricing_id"]
            pricings.append(pid)
            for kind, path in (
                ("pricing page", f"/pricings/{pid}"),
                ("explain", f"/api/pricings/{pid}/explain/1"),
                ("statement csv", f"/pricings/{pid}/download/statement.csv"),
                ("structure page", "/structure?year=2016/17"),
            ):
                if time.monotonic() >= deadline:
                    break
                await tally.call(client, kind, "GET", path)
                done += 1


async def check_nothing_lost(
    url: str, pricings: list[str], jobs: list[str], data: Path
) -> dict[str, int]:
    """Wait for the stress jobs; count pricings and runs that cannot be found."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        deadline = time.monotonic() + 300
        states: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            states = {j: (await client.get(f"/api/jobs/{j}")).json() for j in jobs}
            if all(s.get("state") in ("done", "failed") for s in states.values()):
                break
            await asyncio.sleep(1)
        runs = {r["run_id"] for r in (await client.get("/api/runs")).json()}
        lost_runs = sum(
            1 for s in states.values() if s.get("state") != "done" or s.get("run_id") not in runs
        )
        lost_pricings = 0
        for pid in pricings:
            if (await client.get(f"/api/pricings/{pid}")).status_code != 200:
                lost_pricings += 1
    return {
        "jobs": len(jobs),
        "runs": len(runs),
        "lost_runs": lost_runs,
        "lost_pricings": lost_pricings,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=2000, help="per user")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    from quasimarket.contracts import contract_template

    contract = contract_template("national_tariff")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "web"
        port = _free_port()
        server = _start_server(data, port)
        url = f"http://127.0.0.1:{port}"
        _warm_up(url, contract)
        tally = Tally()
        pricings: list[str] = []
        jobs: list[str] = []
        try:
            started = time.monotonic()
            deadline = started + args.duration

            async def everyone() -> None:
                await asyncio.gather(
                    *(
                        user(i, url, contract, deadline, args.max_requests, tally, pricings, jobs)
                        for i in range(args.users)
                    )
                )

            asyncio.run(everyone())
            wall = time.monotonic() - started
            lost = asyncio.run(check_nothing_lost(url, pricings, jobs, data))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()

    lat = np.array(tally.latency) * 1000
    result = {
        "users": args.users,
        "duration_s": wall,
        "requests": len(lat),
        "throughput_rps": len(lat) / wall,
        "pricings": len(pricings),
        "p50_ms": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
        "p95_ms": float(np.percentile(lat, 95)) if len(lat) else float("nan"),
        "max_ms": float(lat.max()) if len(lat) else float("nan"),
        "errors": len(tally.errors),
        **lost,
        "by_kind": {
            k: (len(v), float(np.percentile(np.array(v) * 1000, 95)))
            for k, v in tally.by_kind.items()
        },
    }
    text = _section(result)
    print(text)
    if tally.errors:
        print("errors:", sorted(set(tally.errors))[:10])
    if args.write:
        _write(text)
    ok = not tally.errors and lost["lost_runs"] == 0 and lost["lost_pricings"] == 0
    return 0 if ok else 1


def _section(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {kind} | {count:,} | {p95:,.0f} |"
        for kind, (count, p95) in sorted(r["by_kind"].items())
    )
    return f"""## Web application under load (`bench/bench_web_load.py`)

{r["users"]} concurrent users on loopback against `quasimarket serve` (one uvicorn process,
one job worker), for {r["duration_s"]:.0f} s on {platform.machine()} with {os.cpu_count()} cores,
after one warm-up pricing (economy, tariff and compiled kernels ready). Each user prices
the national-tariff template on 2,000 generated records, opens the pricing page, explains
a record, downloads the statement CSV and opens the structure page, in a loop; ten users
also start a 4,096-draw stress test in the background.

| measure | value |
| --- | --- |
| requests completed | {r["requests"]:,} |
| throughput | {r["throughput_rps"]:.1f} requests/s |
| pricings (2,000 records each) | {r["pricings"]:,} |
| latency p50 / p95 / max | {r["p50_ms"]:,.0f} / {r["p95_ms"]:,.0f} / {r["max_ms"]:,.0f} ms |
| errors (HTTP ≥ 400 or transport) | {r["errors"]} |
| stress jobs / runs stored / lost runs | {r["jobs"]} / {r["runs"]} / {r["lost_runs"]} |
| pricings not retrievable afterwards | {r["lost_pricings"]} |

| request | count | p95 ms |
| --- | ---: | ---: |
{rows}

Reproduce: `.venv/bin/python bench/bench_web_load.py --write` (about 70-120 s).
"""


def _write(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{text}{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        _, tail = rest.split(END, 1)
        current = head + block + tail
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
