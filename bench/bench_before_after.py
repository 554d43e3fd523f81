"""Before/after benchmark of a change, side by side in one run: ratios, not lone timings.

    git worktree add /tmp/qm-before <commit>          # the code before the change
    .venv/bin/python bench/bench_before_after.py --before /tmp/qm-before [--spells 10000000]

Each workload runs in a fresh subprocess with ``quasimarket`` imported from one tree's
``src`` (this checkout's, or ``--before``'s), alternating before/after ``--repeats`` times;
the best time of each is kept and the ratio after/before reported (< 1: faster). Workloads
are the three headline benchmarks of ``docs/benchmarks.md``, each timed after a warm-up call
in the same process (as the headline benchmarks are): pricing N spells (the ``bench_pricing``
contract and data), the stress tester on 1M draws × 25 lines × 4 designs (serial, one
process), and the national simulation (one draw, ten years); plus ``simulation_cold``, the
national simulation's first call in a fresh process, imports included, and ``load_activity``
(``_csv``), reading and validating the pricing benchmark's spells from Parquet (CSV).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKLOADS = {
    "pricing": """
import time, bench_pricing as bp
from pathlib import Path
path = Path({data!r})
table, tariff, contract = bp.load(path)
bp.run_engine_totals_only(table, tariff, contract)  # warm-up: JIT compile, caches
t = time.perf_counter(); out = bp.run_engine_totals_only(table, tariff, contract)
print(time.perf_counter() - t, out["formal_gbp"])
""",
    "stress": """
import time, bench_stress as bs
from quasimarket.stress.run import run_stress
run_stress(bs.portfolio(10_000, designs=4))  # warm-up: imports, caches
scenario = bs.portfolio({draws}, designs=4)
t = time.perf_counter(); run_stress(scenario)
print(time.perf_counter() - t, 0)
""",
    "simulation": """
import time, bench_simulation as bsim
scenario = bsim.national("2025/26:2034/35")
bsim.simulate(scenario)  # warm-up: imports, caches
t = time.perf_counter(); bsim.simulate(scenario)
print(time.perf_counter() - t, 0)
""",
    # reading and validating an activity file: the user's wait before any pricing
    "load_activity": """
import time
from quasimarket.activity import load_activity
load_activity({data!r})  # warm-up: imports
t = time.perf_counter(); table = load_activity({data!r})
print(time.perf_counter() - t, len(table))
""",
    "load_activity_csv": """
import time
from quasimarket.activity import load_activity
load_activity({csv!r})
t = time.perf_counter(); table = load_activity({csv!r})
print(time.perf_counter() - t, len(table))
""",
    # what a user waits for once: the imports the run needs and its first call
    "simulation_cold": """
import time
t = time.perf_counter()
import bench_simulation as bsim
bsim.simulate(bsim.national("2025/26:2034/35"))
print(time.perf_counter() - t, 0)
""",
}


def run(tree: Path, code: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{ROOT / 'bench'}"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"{tree}: {out.stderr[-2000:]}")
    seconds, value = out.stdout.split()[-2:]
    return float(seconds), float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="checkout before the change")
    parser.add_argument("--spells", type=int, default=10_000_000)
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "spells.parquet"
        csv = Path(tmp) / "spells.csv"
        if {"pricing", "load_activity", "load_activity_csv"} & set(args.only):
            sys.path.insert(0, str(ROOT / "bench"))
            import bench_pricing

            bench_pricing.make_data(args.spells, data)
            if "load_activity_csv" in args.only:
                import pandas as pd

                pd.read_parquet(data).to_csv(csv, index=False)
        for name in args.only:
            code = WORKLOADS[name].format(data=str(data), csv=str(csv), draws=args.draws)
            best = {"before": float("inf"), "after": float("inf")}
            values = {}
            for _ in range(args.repeats):
                for label, tree in (("before", args.before), ("after", ROOT)):
                    seconds, value = run(tree, code)
                    best[label] = min(best[label], seconds)
                    values[label] = value
            results[name] = {
                **best,
                "ratio": best["after"] / best["before"],
                "same_money": float(values["before"] == values["after"]),
            }
            print(name, json.dumps(results[name]), flush=True)
    stamp = time.strftime("%Y-%m-%d")
    print(f"\n| workload ({stamp}) | before s | after s | after/before |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['before']:.2f} | {r['after']:.2f} | {r['ratio']:.2f} |")


if __name__ == "__main__":
    main()
