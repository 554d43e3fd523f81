"""Running and storing stress tests: reproducibility, chunk invariance, Ctrl-C, the run store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quasimarket.runs import RunStore
from quasimarket.stress.builtin import load_example
from quasimarket.stress.run import run_stress, save_run

pytestmark = pytest.mark.unit


def small(name: str = "acute-designs", draws: int = 10_000) -> Any:
    return load_example(name).model_copy(update={"draws": draws})


def assert_same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.outcomes, b.outcomes)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], check_exact=True, obj=name)


def test_same_seed_is_bit_identical_and_seed_matters() -> None:
    first, again = run_stress(small()), run_stress(small())
    assert_same(first, again)
    other = run_stress(small().model_copy(update={"seed": 1}))
    assert not np.array_equal(first.outcomes, other.outcomes)


@pytest.mark.parametrize("chunk", [4096, 12_288])
def test_chunk_size_does_not_change_results(chunk: int) -> None:
    reference = run_stress(small("alliance-case-b"), chunk_size=65_536)
    assert reference.timings["chunks"] == 1
    chunked = run_stress(small("alliance-case-b"), chunk_size=chunk)
    assert chunked.timings["chunks"] == -(-10_000 // chunk)
    assert_same(reference, chunked)


def test_odd_chunk_sizes_are_rounded_to_whole_blocks() -> None:
    result = run_stress(small(draws=9000), chunk_size=5000)
    assert result.timings["chunk_size"] == 8192
    assert_same(result, run_stress(small(draws=9000)))


def test_more_draws_extend_the_same_draws() -> None:
    """Draws are a fixed sequence: a longer run starts with the shorter run's draws."""
    short, long = run_stress(small(draws=5000)), run_stress(small(draws=9000))
    np.testing.assert_array_equal(short.outcomes, long.outcomes[:, :, :5000])


def test_progress_and_ctrl_c_leave_nothing(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    run_stress(small(), chunk_size=4096, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4096, 10_000), (8192, 10_000), (10_000, 10_000)]

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    store = RunStore(tmp_path / "runs")
    with pytest.raises(KeyboardInterrupt):
        save_run(run_stress(small(), chunk_size=4096, progress=interrupt), store.path)
    assert store.list() == []
    assert not (tmp_path / "runs").exists()


def test_saved_run_round_trips_through_the_store(tmp_path: Path) -> None:
    result = run_stress(small(draws=3000))
    run_id = save_run(result, tmp_path, source="example:acute-designs")
    store = RunStore(tmp_path)
    record = store.get(run_id)
    assert (record.kind, record.seed, record.draws) == ("stress", 20140401, 3000)
    assert record.manifest["timings"]["workers"] == 1
    assert record.manifest["sources"][0] == "volume:elective"
    pd.testing.assert_frame_equal(store.table(run_id, "summary"), result.summary)
    outcomes = store.table(run_id, "outcomes")
    assert len(outcomes) == 3000 * 4 * 3  # draws × designs × (2 parties + system)
    block = outcomes[(outcomes["design"] == "Block") & (outcomes["party"] == "QS01")]
    assert block["net_gbp"].std() == 0.0
    comparison = store.table(run_id, "comparison")
    assert list(comparison.columns) == ["party", *[d.name for d in result.scenario.designs]]
    # the stored scenario re-validates to the same scenario
    from quasimarket.stress.scenario import parse_scenario

    assert parse_scenario(record.scenario()) == result.scenario


def test_keep_draws_limits_the_stored_outcomes(tmp_path: Path) -> None:
    result = run_stress(small(draws=3000).model_copy(update={"keep_draws": 100}))
    assert len(result.tables()["outcomes"]) == 100 * 4 * 3
    assert result.summary["draws"].unique().tolist() == [2999]  # stats still use every draw


def test_line_and_monthly_tables() -> None:
    result = run_stress(small(draws=3000))
    lines = result.lines.set_index(["design", "line"])
    block = lines.loc[("Block", "elective")]
    assert block["mean_payment_gbp"] == pytest.approx(105_000_000)
    assert block["mechanism"] == "block"
    monthly = result.monthly[result.monthly["design"] == "Block"]
    totals = monthly.groupby("line")["mean_payment_gbp"].sum()
    assert totals["elective"] == pytest.approx(105_000_000)
    nel = monthly[monthly["line"] == "non_elective"].set_index("month")["mean_payment_gbp"]
    assert nel["Dec"] == pytest.approx(98_800_000 * 0.092)  # seasonality of the line


def test_rerun_stores_identical_tables(tmp_path: Path) -> None:
    first = save_run(run_stress(small(draws=2000)), tmp_path)
    second = save_run(run_stress(small(draws=2000)), tmp_path)
    store = RunStore(tmp_path)
    assert store.get(first).scenario_hash == store.get(second).scenario_hash
    comparison = store.compare(first, second)
    assert comparison.scenario_changes == []
    assert comparison.tables["identical"].all()
    for name in store.get(first).tables:
        a = (tmp_path / first / f"{name}.parquet").read_bytes()
        b = (tmp_path / second / f"{name}.parquet").read_bytes()
        assert a == b, name  # byte-identical Parquet files
