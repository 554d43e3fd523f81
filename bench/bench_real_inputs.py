"""Benchmark: a year of one large trust, from HES-shaped CSV extracts to priced statements.

    .venv/bin/python bench/bench_real_inputs.py [--scale 1.0] [--repeat 2] [--no-docs]

Writes three HES extracts of one acute trust (``--scale 1``: 250,000 admitted spells, 1,000,000
outpatient and 250,000 A&E attendances, three commissioners) and an Annex-A-shaped tariff
folder (the synthetic England price catalogue) as CSV, then compares, each in its own
subprocess pinned to one core (so the peak RSS is per method):

* **quasimarket end to end**: ``load_activity`` of the three files (format recognised per
  file, mapped, validated, combined, readmissions linked), ``load_tariff`` of the folder and
  ``price`` under a contract with national tariff lines, MRET and readmissions: wall time
  from the CSVs to the totals;
* **pyarrow alone**: ``pyarrow.csv.read_csv`` of the same three files, one thread (the floor:
  reading the bytes, no checks or prices).

The ratio quasimarket / pyarrow is what the pipeline costs over reading. Best of
``--repeat``. Results go to stdout and to ``docs/benchmarks.md`` between
``<!-- real-inputs:start -->`` and ``<!-- real-inputs:end -->``.
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
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- real-inputs:start -->", "<!-- real-inputs:end -->"
COMMISSIONERS = ("QA1", "QB2", "QC3")
SPELLS, OUTPATIENTS, AE = 250_000, 1_000_000, 250_000


def contract_text(provider: str, baseline: float) -> str:
    """National tariff lines for each commissioner; MRET (on *baseline* £ of emergency
    value) and readmissions on the non-elective lines."""
    parts = [
        'format = "quasimarket.contract/1"\nname = "Large acute trust 2016/17"\nyear = "2016/17"\n',
        *(f'[[commissioners]]\ncode = "{c}"\n' for c in COMMISSIONERS),
        f'[[providers]]\ncode = "{provider}"\n',
    ]
    for c in COMMISSIONERS:
        for line_id, currency, pods in (
            ("elective", "spell", '["day_case", "elective"]'),
            ("non_elective", "spell", '["non_elective"]'),
            ("outpatients", "attendance", '["op_first", "op_follow_up", "op_procedure"]'),
            ("ae", "attendance", '["ae"]'),
        ):
            parts.append(
                f'[[lines]]\nid = "{line_id}-{c}"\nservice = "{line_id}"\n'
                f'currency = "{currency}"\npods = {pods}\ncommissioner = "{c}"\n'
                'mechanism = "national_tariff"\n'
            )
            if line_id == "non_elective":
                parts.append(
                    f'[[lines.adjustments]]\nrule = "mret"\nbaseline_value = {baseline:.0f}\n'
                    '[[lines.adjustments]]\nrule = "readmissions"\navoidable_share = 0.5\n'
                )
    return "".join(parts)


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days in 2016/17 as HES YYYYMMDD integers."""
    start = np.datetime64("2016-04-01")
    days = start + rng.integers(0, 330, n).astype("timedelta64[D]")
    return days


def _hes(days: np.ndarray) -> np.ndarray:
    return np.char.replace(np.datetime_as_string(days, unit="D"), "-", "").astype(np.int64)


def write_inputs(folder: Path, scale: float) -> dict[str, Any]:
    """The three HES CSVs, the tariff folder and the contract; returns their paths."""
    import pandas as pd

    from quasimarket.economy import synthetic_economy
    from quasimarket.tariff import annex_a as aa

    economy = synthetic_economy(0, "2016/17")
    tariff = economy.tariff
    apc = tariff["apc"]
    priced = apc[apc[[aa.DAY_CASE, aa.ELECTIVE, aa.NON_ELECTIVE]].notna().all(axis=1)]
    hrgs = priced[aa.HRG_CODE].to_numpy(dtype=object)
    tfcs = tariff["outpatient"][aa.TFC_CODE].astype(str).to_numpy(dtype=object)
    ae_hrgs = tariff["ae"][aa.AE_HRG_CODE].to_numpy(dtype=object)
    provider = str(tariff["mff"][aa.MFF_ORG_CODE].iloc[0])
    (folder / "tariff").mkdir()
    for key, frame in tariff.items():
        frame.to_csv(folder / "tariff" / f"{key}.csv", index=False)
    rng = np.random.default_rng(2016)
    n_apc, n_op, n_ae = (int(n * scale) for n in (SPELLS, OUTPATIENTS, AE))
    patients = max(1, n_apc // 2)  # repeat patients: readmissions to find
    adm = _dates(rng, n_apc)
    los = rng.geometric(0.3, n_apc) - 1
    meth = rng.choice(["11", "12", "21", "22", "2A"], n_apc, p=[0.45, 0.1, 0.3, 0.1, 0.05])
    apc_frame = pd.DataFrame(
        {
            "EPIKEY": np.arange(n_apc) + 10_000_000,
            "HESID": rng.integers(0, patients, n_apc),
            "CCG_RESPONSIBILITY": rng.choice(COMMISSIONERS, n_apc),
            "PROCODE3": provider,
            "ADMIMETH": meth,
            "CLASSPAT": np.where((meth == "11") & (los == 0), "2", "1"),
            "ADMIDATE": _hes(adm),
            "DISDATE": _hes(adm + los.astype("timedelta64[D]")),
            "SPELDUR": los,
            "ADMIAGE": rng.integers(0, 100, n_apc),
            "SUSHRG": rng.choice(hrgs, n_apc),
            "FYEAR": "1617",
        }
    )
    op_frame = pd.DataFrame(
        {
            "ATTENDKEY": np.arange(n_op) + 20_000_000,
            "HESID": rng.integers(0, patients * 3, n_op),
            "CCG_RESPONSIBILITY": rng.choice(COMMISSIONERS, n_op),
            "PROCODE3": provider,
            "APPTDATE": _hes(_dates(rng, n_op)),
            "APPTAGE": rng.integers(0, 100, n_op),
            "TRETSPEF": rng.choice(tfcs, n_op),
            "FIRSTATT": rng.choice(["1", "2", "3", "4"], n_op, p=[0.3, 0.6, 0.03, 0.07]),
            "ATTENDED": rng.choice(["5", "6", "3"], n_op, p=[0.9, 0.04, 0.06]),
        }
    )
    ae_frame = pd.DataFrame(
        {
            "AEKEY": np.arange(n_ae) + 30_000_000,
            "HESID": rng.integers(0, patients * 3, n_ae),
            "CCG_RESPONSIBILITY": rng.choice(COMMISSIONERS, n_ae),
            "PROCODE3": provider,
            "ARRIVALDATE": _hes(_dates(rng, n_ae)),
            "ARRIVALAGE": rng.integers(0, 100, n_ae),
            "AEDEPTTYPE": rng.choice([1, 3], n_ae, p=[0.85, 0.15]),
            "SUSHRG": rng.choice(ae_hrgs, n_ae),
        }
    )
    files = {}
    for name, frame in (("hes_apc", apc_frame), ("hes_op", op_frame), ("hes_ae", ae_frame)):
        files[name] = folder / f"{name}.csv"
        frame.to_csv(files[name], index=False)
    contract = folder / "contract.toml"
    # MRET baseline: 90% of each commissioner's expected emergency value, so the rule acts
    nel_price = float(priced[aa.NON_ELECTIVE].mean())
    baseline = 0.9 * n_apc * 0.45 / len(COMMISSIONERS) * nel_price
    contract.write_text(contract_text(provider, baseline), encoding="utf-8")
    return {
        "files": [str(files[k]) for k in ("hes_apc", "hes_op", "hes_ae")],
        "tariff": str(folder / "tariff"),
        "contract": str(contract),
        "rows": {"apc": n_apc, "op": n_op, "ae": n_ae},
        "bytes": sum(p.stat().st_size for p in files.values()),
    }


def run_method(method: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """One method in this process (the child): wall time and what it found."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    t0 = time.perf_counter()
    if method == "pyarrow":
        from pyarrow import csv

        options = csv.ReadOptions(use_threads=False)
        rows = sum(csv.read_csv(f, read_options=options).num_rows for f in inputs["files"])
        result: dict[str, Any] = {"rows": rows}
    else:
        from quasimarket.activity import load_activity
        from quasimarket.contracts import load_contract
        from quasimarket.pricing import price
        from quasimarket.tariff import load_tariff

        table = load_activity(inputs["files"])
        tariff = load_tariff(inputs["tariff"])
        priced = price(load_contract(inputs["contract"]), table, tariff)
        totals = priced.totals()
        result = {
            "rows": len(table),
            "formal_gbp": round(totals["formal_gbp"], 2),
            "readmissions_gbp": round(totals["readmissions_gbp"], 2),
            "mret_gbp": round(totals.get("mret_gbp", 0.0), 2),
            "notes": len(priced.notes) + len(table.notes),
        }
    result["seconds"] = time.perf_counter() - t0
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def measure(method: str, inputs: dict[str, Any], repeat: int) -> dict[str, Any]:
    best: dict[str, Any] | None = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--child", method, json.dumps(inputs)],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        if out.returncode != 0:
            raise SystemExit(f"{method} failed:\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    return best


def table_text(inputs: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    qm, pa = results["quasimarket"], results["pyarrow"]
    rows = inputs["rows"]
    lines = [
        f"HES extracts of one trust: {rows['apc']:,} admitted spells, {rows['op']:,} "
        f"outpatient and {rows['ae']:,} A&E attendances ({inputs['bytes'] / 1e6:,.0f} MB of "
        f"CSV), three commissioners; one core; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}.",
        "",
        "| method | wall s | peak RSS MB | × pyarrow read |",
        "|---|---:|---:|---:|",
        f"| pyarrow `read_csv`, 1 thread (read only) | {pa['seconds']:.2f} | "
        f"{pa['peak_rss_mb']:,.0f} | 1.00 |",
        f"| quasimarket: load 3 files + tariff, validate, link, price | {qm['seconds']:.2f} | "
        f"{qm['peak_rss_mb']:,.0f} | {qm['seconds'] / pa['seconds']:.2f} |",
        "",
        f"quasimarket priced {qm['rows']:,} records (not-attended outpatient appointments "
        f"left out): formal £{qm['formal_gbp']:,.2f}, MRET £{qm['mret_gbp']:,.2f}, "
        f"readmissions £{qm['readmissions_gbp']:,.2f}. Target: under 30 s and 4 GB.",
    ]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    doc = DOCS.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in doc:
        head, rest = doc.split(START, 1)
        doc = head + block + rest.split(END, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n## Real inputs: a year of one trust from CSV\n\n"
        doc += "`.venv/bin/python bench/bench_real_inputs.py`\n\n" + block + "\n"
    DOCS.write_text(doc, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "INPUTS"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_method(args.child[0], json.loads(args.child[1]))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        inputs = write_inputs(Path(tmp), args.scale)
        results = {m: measure(m, inputs, args.repeat) for m in ("pyarrow", "quasimarket")}
    text = table_text(inputs, results)
    print(text)
    if not args.no_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
