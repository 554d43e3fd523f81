"""Benchmark: build times of the synthetic economies (and the real one, where the data is).

Run: ``.venv/bin/python bench/bench_economy.py`` (prints a markdown table). Each case is run
once to warm up, then *repeats* times; the table shows the best and median wall-clock time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from quasimarket.economy import (
    Economy,
    load_economy,
    load_real_economy,
    save_economy,
    small_economy,
    synthetic_economy,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _time(build: Callable[[], object], repeats: int) -> tuple[float, float]:
    build()  # warm up imports and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        build()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Time each case and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    full = synthetic_economy(0, "2025/26")
    tmp = Path(tempfile.mkdtemp()) / "econ"
    cases: list[tuple[str, Callable[[], object], Economy | None]] = [
        ("synthetic_economy ICB 2025/26 (42 ICBs)", lambda: synthetic_economy(0, "2025/26"), full),
        (
            "synthetic_economy CCG 2015/16 (211 CCGs)",
            lambda: synthetic_economy(0, "2015/16"),
            synthetic_economy(0, "2015/16"),
        ),
        ("small_economy", lambda: small_economy(0), small_economy(0)),
        ("save_economy (full ICB, Parquet)", lambda: save_economy(full, tmp), None),
        ("load_economy (full ICB)", lambda: load_economy(save_economy(full, tmp)), None),
    ]
    if SHARED.is_dir():
        cases.append(("load_real_economy (public files)", lambda: load_real_economy(SHARED), None))
    print("| case | practices | providers | best (s) | median (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, build, sample in cases:
        best, median = _time(build, args.repeats)
        practices = f"{len(sample.practices):,}" if sample else ""
        providers = f"{len(sample.providers):,}" if sample else ""
        print(f"| {name} | {practices} | {providers} | {best:.3f} | {median:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
