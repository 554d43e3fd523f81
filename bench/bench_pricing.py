"""Benchmark: price N synthetic APC spells with every APC rule, MRET, readmissions and CQUIN.

    .venv/bin/python bench/bench_pricing.py [--n 10000000] [--repeat 3] [--no-docs]

Compares, on the same integer-coded columns:

* quasimarket: ``quasimarket.pricing.price`` (record-level tariff + line rules + totals);
* DuckDB SQL of the same rules (``bench/sql/pricing.sql``), 1 thread and 2 threads;
* a plain scan: read each input column once and sum it (the floor for any engine).

Each method runs in its own subprocess (so peak RSS is per method), on the same Parquet file,
best of ``--repeat`` runs; data loading and compiling are not timed. The totals of quasimarket
and DuckDB must agree to the penny. Results go to stdout and to ``docs/benchmarks.md`` between
``<!-- pricing:start -->`` and ``<!-- pricing:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "bench" / "sql" / "pricing.sql"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- pricing:start -->", "<!-- pricing:end -->"
PODS = ["day_case", "elective", "non_elective"]
MRET_RATE, AVOIDABLE, CQUIN_RATE = 0.7, 0.5, 0.025
WEIGHTS, ACHIEVEMENT = (0.5, 0.3, 0.2), (1.0, 0.5, 0.75)
#: MRET baseline per emergency spell (so the baseline scales with --n): £1,500 x NEL spells.
BASELINE_PER_NEL_SPELL = 1500.0


def contract_text(baseline: float) -> str:
    goals = "".join(
        f'[[lines.adjustments.goals]]\nname = "goal {i}"\nweight = {w}\nachievement = {a}\n'
        for i, (w, a) in enumerate(zip(WEIGHTS, ACHIEVEMENT, strict=True))
    )
    return f"""
format = "quasimarket.contract/1"
name = "Benchmark acute contract"
year = "2016/17"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "elective"
service = "Elective and day case"
currency = "spell"
pods = ["day_case", "elective"]
mechanism = "national_tariff"
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "mret"
baseline_value = {baseline}
rate = {MRET_RATE}
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = {AVOIDABLE}
[[lines.adjustments]]
rule = "cquin"
rate = {CQUIN_RATE}
{goals}"""


# -- data -------------------------------------------------------------------------------------
def make_data(n: int, path: Path) -> None:
    from quasimarket.activity import synthetic_activity
    from quasimarket.economy import small_economy

    economy = small_economy(seed=0)
    start = time.perf_counter()
    frame = synthetic_activity(
        economy,
        n_records=n,
        year="2016/17",
        seed=1,
        providers=["SR001"],
        commissioners=["QS01"],
        pods=PODS,
    )
    print(f"generated {n:,} spells in {time.perf_counter() - start:.1f} s", flush=True)
    frame.to_parquet(path, index=False)


def load(path: Path) -> tuple[Any, Any, Any]:
    import pandas as pd

    from quasimarket.activity import ActivityTable
    from quasimarket.contracts import parse_contract
    from quasimarket.economy import small_economy
    from quasimarket.tariff import TariffTable

    table = ActivityTable.from_frame(pd.read_parquet(path))
    tariff = TariffTable.from_economy(small_economy(seed=0))
    n_nel = int((table.pod == 2).sum())
    contract = parse_contract(contract_text(BASELINE_PER_NEL_SPELL * n_nel))
    return table, tariff, contract


# -- methods (run in a worker subprocess) --------------------------------------------------
def run_engine(table: Any, tariff: Any, contract: Any) -> dict[str, float]:
    from quasimarket.pricing import price

    result = price(contract, table, tariff)
    totals = result.totals()
    assert len(result.statement) == 24  # the line x month statement, built on demand
    lines = result.line_totals()
    return {"formal_gbp": totals["formal_gbp"], **{f"line_{k}": v for k, v in lines.items()}}


def run_engine_totals_only(table: Any, tariff: Any, contract: Any) -> dict[str, float]:
    from quasimarket.pricing import price

    return {"formal_gbp": price(contract, table, tariff).totals()["formal_gbp"]}


def run_engine_records(table: Any, tariff: Any, contract: Any) -> dict[str, float]:
    from quasimarket.pricing import price

    records = price(contract, table, tariff).records  # the lazy per-record table, built
    return {"formal_gbp": float(records["formal_gbp"].sum())}


def duckdb_inputs(table: Any, tariff: Any) -> dict[str, Any]:
    """The same compiled columns as Arrow tables (zero-copy), plus the small tariff tables."""
    import pyarrow as pa

    from quasimarket.activity.schema import READMISSION_EXCLUDED_HRG_PREFIXES

    key = tariff.index_of(table.hrgs)
    price = tariff.unit_price
    excluded = np.array([h.startswith(READMISSION_EXCLUDED_HRG_PREFIXES) for h in table.hrgs])
    spells = pa.table(
        {
            "row_id": np.arange(len(table), dtype=np.int64),
            "provider": table.provider,
            "pod": table.pod,
            "hrg": table.hrg,
            "los": table.los_days,
            "age": table.age,
            "bpt_met": table.bpt_met,
            "top_up_eligible": table.top_up_eligible,
            "readmission_of": table.readmission_of,
            "self_discharge": table.self_discharge,
            "transfer_in": table.transfer_in,
            "cross_border": table.cross_border,
        }
    )
    hrgs = pa.table(
        {
            "hrg": np.arange(len(table.hrgs), dtype=np.int32),
            "day_case": price[key, 0],
            "elective": price[key, 1],
            "non_elective": price[key, 2],
            "elective_trim": tariff.elective_trim[key],
            "non_elective_trim": tariff.non_elective_trim[key],
            "excess_bed_day": tariff.excess_bed_day[key],
            "rsse_applicable": tariff.rsse_applicable[key],
            "rsse_price": tariff.rsse_price[key],
            "bpt_price": tariff.bpt_price[key],
            "top_up_pct": tariff.top_up_pct[key],
            "readmission_excluded": excluded,
        }
    )
    mff = pa.table(
        {
            "provider": np.arange(len(table.providers), dtype=np.int32),
            "mff": tariff.mff_for(table.providers),
        }
    )
    return {"spells": spells, "hrgs": hrgs, "mff": mff}


def run_duckdb(inputs: dict[str, Any], baseline: float, threads: int) -> dict[str, float]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    for name, arrow in inputs.items():
        con.register(name, arrow)
    sql = SQL.read_text(encoding="utf-8")
    params = {
        "baseline": baseline,
        "rate": MRET_RATE,
        "avoidable": AVOIDABLE,
        "cquin_rate": CQUIN_RATE,
        "cquin_score": sum(w * a for w, a in zip(WEIGHTS, ACHIEVEMENT, strict=True)),
        "rsse_min_age": 19,
        "window_min_age": 4,
    }
    rows = con.execute(sql, params).fetchall()
    out = {f"line_{line}": float(value) for line, value in rows}
    out["formal_gbp"] = sum(out.values())
    return out


def run_scan(table: Any) -> dict[str, float]:
    """Read each input column once and sum it: the floor for any engine on these columns."""
    total = 0.0
    for column in (
        table.provider,
        table.commissioner,
        table.pod,
        table.hrg,
        table.los_days,
        table.age,
        table.month,
        table.bpt_met,
        table.top_up_eligible,
        table.readmission_of,
        table.self_discharge,
        table.transfer_in,
        table.cross_border,
    ):
        total += float(column.sum())
    return {"checksum": total}


def worker(method: str, path: Path, repeat: int) -> None:
    table, tariff, contract = load(path)
    baseline = BASELINE_PER_NEL_SPELL * int((table.pod == 2).sum())
    inputs = duckdb_inputs(table, tariff) if method.startswith("duckdb") else None
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = float("inf")
    result: dict[str, float] = {}
    for run in range(repeat + 1):  # run 0 warms up (numba cache load, DuckDB plans)
        start = time.perf_counter()
        if method == "engine":
            result = run_engine(table, tariff, contract)
        elif method == "engine_totals":
            result = run_engine_totals_only(table, tariff, contract)
        elif method == "engine_records":
            result = run_engine_records(table, tariff, contract)
        elif method.startswith("duckdb"):
            assert inputs is not None
            result = run_duckdb(inputs, baseline, int(method[-1]))
        else:
            result = run_scan(table)
        elapsed = time.perf_counter() - start
        if run:
            best = min(best, elapsed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    print(
        json.dumps(
            {
                "method": method,
                "seconds": best,
                "rss_mib": rss,
                "loaded_rss_mib": loaded_rss,
                "result": result,
            }
        )
    )


# -- driver ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="Do not update docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.repeat)
        return
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "spells.parquet"
        make_data(args.n, data)
        runs: dict[str, dict[str, Any]] = {}
        for method in ("scan", "engine_totals", "engine", "engine_records", "duckdb1", "duckdb2"):
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    method,
                    "--data",
                    str(data),
                    "--repeat",
                    str(args.repeat),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            runs[method] = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{method:14s} {runs[method]['seconds']:.3f} s  "
                f"peak RSS {runs[method]['rss_mib']:,.0f} MiB",
                flush=True,
            )
    runs["load"] = {"start": load_start, "end": os.getloadavg()}
    engine, duck = runs["engine"]["result"], runs["duckdb1"]["result"]
    diffs = {k: abs(engine[k] - duck[k]) for k in duck}
    agree = all(d < 0.005 for d in diffs.values())
    report = render(args.n, runs, diffs, agree, args.repeat)
    print(report)
    if not args.no_docs:
        write_docs(report)
    if not agree:
        sys.exit("quasimarket and DuckDB totals differ by more than half a penny")


def render(
    n: int, runs: dict[str, dict[str, Any]], diffs: dict[str, float], agree: bool, repeat: int
) -> str:
    scan = runs["scan"]["seconds"]
    rows = [
        ("plain scan of the input columns (numpy sums)", "scan"),
        ("quasimarket `price()` + `totals()`", "engine_totals"),
        ("quasimarket `price()` + totals + line x month statement", "engine"),
        ("quasimarket `price()` + per-record table (`records`, built lazily)", "engine_records"),
        ("DuckDB SQL, 1 thread", "duckdb1"),
        ("DuckDB SQL, 2 threads", "duckdb2"),
    ]
    lines = [
        f"Pricing {n:,} synthetic APC spells (day case, elective, non-elective; small economy "
        "catalogue) under a contract with every APC rule (spell price, excess bed days, RSSE, "
        "BPT, top-up, MFF), MRET (70%), readmissions (50% avoidable, A5 exclusions) and CQUIN "
        f"(2.5%, three goals). Best of {repeat} runs after a warm-up run, each method in its own "
        "process; loading and compiling the table are not timed. quasimarket runs on one core: "
        "one fused numba kernel makes the record-level pass (line, national tariff, "
        "readmission scope) and adds records up by line x month x pod cell; the line-level "
        "rules then act on the cells, and per-record money is built only when asked for.",
        "",
        "| method | seconds | spells/s | × scan | peak RSS after loading (MiB) | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, key in rows:
        r = runs[key]
        lines.append(
            f"| {label} | {r['seconds']:.3f} | {n / r['seconds']:,.0f} | "
            f"{r['seconds'] / scan:.1f} | {r['loaded_rss_mib']:,.0f} | {r['rss_mib']:,.0f} |"
        )
    worst = max(diffs.values()) if diffs else 0.0
    lines += [
        "",
        f"Totals agree with DuckDB to the penny: **{'yes' if agree else 'NO'}** (largest "
        f"difference £{worst:.6f}; formal outturn £{runs['engine']['result']['formal_gbp']:,.2f}).",
        "1-minute load average {:.1f} at the start and {:.1f} at the end (other jobs share "
        "the cores, so times vary by run).".format(
            runs["load"]["start"][0], runs["load"]["end"][0]
        ),
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared, Python "
        f"{platform.python_version()}, numpy {np.__version__}. "
        "Reproduce: `.venv/bin/python bench/bench_pricing.py --n 10000000`.",
    ]
    return "\n".join(lines)


def write_docs(report: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    block = f"{START}\n## Pricing\n\n{report}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
