"""Synthetic activity for a contract follows each line's planned activity."""

from __future__ import annotations

from pathlib import Path

import pytest

from quasimarket.activity import synthetic_activity_for_contract
from quasimarket.contracts import load_contract
from quasimarket.economy import small_economy

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_records_are_shared_by_planned_activity() -> None:
    contract = load_contract(ROOT / "examples" / "contracts" / "acute_pbr_2016.toml")
    frame = synthetic_activity_for_contract(
        contract, small_economy(seed=0), n_records=20_000, seed=3
    )
    planned = {line.id: line.planned_activity for line in contract.lines}
    total_planned = sum(value or 0.0 for value in planned.values())
    counts = frame["line_id"].value_counts()
    assert int(counts.sum()) == 20_000
    for line_id, value in planned.items():
        expected = 20_000 * (value or 0.0) / total_planned
        assert abs(int(counts[line_id]) - expected) <= 1, line_id
