"""Pricing by cells with lazy per-record money: the same money as pricing record by record.

The engine prices line x month x pod x readmission-flag cells and builds per-record money only
when asked (``docs/pricing.md``). These tests check, on every example contract (national
tariff with MRET/readmissions/CQUIN/sanctions, activity cap, API, blended, block, caps and
collars with a local variation, alliance, capitation), that:

* the lazily attributed per-record money adds up to the statement, line by line and month by
  month, for every £ column (plus the amounts no record carries);
* cell pricing gives the same statement and records as ``per_record=True``;
* ``explain`` of one record (priced on its own) matches that record's row;
* totals, statement, breakdown and line totals never build per-record arrays.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.activity import ActivityTable, synthetic_activity_for_contract
from quasimarket.contracts import Contract, load_contract
from quasimarket.economy import small_economy
from quasimarket.pricing import PricingResult, price
from quasimarket.tariff import TariffTable

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"
NAMES = [
    "acute_pbr_2016",
    "activity_cap_2011",
    "api_2022",
    "blended_2019",
    "caps_and_collars_2014",
    "community_block_2016",
    "alliance_case_b",
    "capitation_case_c",
]


@cache
def _tariff() -> TariffTable:
    return TariffTable.from_economy(small_economy(seed=0))


@cache
def _case(name: str) -> tuple[Contract, ActivityTable]:
    path = EXAMPLES / f"{name}.toml"
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    contract = load_contract(path)
    frame = synthetic_activity_for_contract(contract, small_economy(seed=0), n_records=3000, seed=5)
    return contract, ActivityTable.from_frame(frame)


def _money(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.endswith("_gbp")]


@pytest.mark.parametrize("name", NAMES)
def test_lazy_records_add_up_to_the_statement(name: str) -> None:
    contract, table = _case(name)
    result = price(contract, table, _tariff())
    statement = result.statement
    result.totals()
    result.breakdown()
    result.line_totals()
    assert "per_record" not in result._cache  # nothing above needed per-record money
    records = result.records
    assert len(records) == len(table)
    sums = records.groupby(["line_id", "month"], observed=False)[_money(records)].sum()
    line_ids = [line.id for line in contract.lines]
    index = pd.MultiIndex.from_arrays(
        [statement["line_id"], statement["month"].astype(records["month"].dtype)]
    )
    sums = sums.reindex(index, fill_value=0.0)
    assert sums.index.get_level_values(0).isin(line_ids).all()
    for column in _money(records):
        expected = statement[column].to_numpy(dtype=np.float64)
        got = sums[column].to_numpy(dtype=np.float64)
        if column in result.residuals:
            got = got + result.residuals[column].ravel()
        if column in ("formal_gbp", "settled_gbp", "settlement_gap_gbp"):
            got = got + result.formal_residual.ravel() * (
                1.0
                if column == "formal_gbp"
                else result.gap_share
                if column == "settlement_gap_gbp"
                else 1.0 + result.gap_share
            )
        np.testing.assert_allclose(got, expected, rtol=0, atol=0.005, err_msg=column)
    # the statement carries every record once
    assert statement["activity"].sum() == len(table)


@pytest.mark.parametrize("name", NAMES)
def test_cells_price_like_records(name: str) -> None:
    contract, table = _case(name)
    cells = price(contract, table, _tariff())
    rows = price(contract, table, _tariff(), per_record=True)
    assert rows.money.per_record
    a, b = cells.statement, rows.statement
    assert list(a.columns) == list(b.columns)
    for column in [*_money(a), "activity"]:
        np.testing.assert_allclose(
            a[column].to_numpy(dtype=np.float64),
            b[column].to_numpy(dtype=np.float64),
            rtol=1e-12,
            atol=1e-6,
            err_msg=column,
        )
    ra, rb = cells.records, rows.records
    assert list(ra.columns) == list(rb.columns)
    assert (ra["line_id"].astype(str) == rb["line_id"].astype(str)).all()
    for column in _money(ra):
        np.testing.assert_allclose(
            ra[column].to_numpy(), rb[column].to_numpy(), rtol=1e-12, atol=1e-6, err_msg=column
        )
    assert cells.totals().keys() == rows.totals().keys()
    for key, value in rows.totals().items():
        assert cells.totals()[key] == pytest.approx(value, rel=1e-12, abs=1e-6), key


def _explained(result: PricingResult, rid: object) -> list[tuple[str, float]]:
    return [(item.title, item.amount_gbp) for item in result.explain(rid)]


@pytest.mark.parametrize("name", ["acute_pbr_2016", "api_2022", "community_block_2016"])
def test_explain_prices_just_that_record(name: str) -> None:
    contract, table = _case(name)
    result = price(contract, table, _tariff())
    picks = [table.record_id[i] for i in (0, len(table) // 2, len(table) - 1)]
    alone = [_explained(result, rid) for rid in picks]
    assert "per_record" not in result._cache  # explain priced only the records asked for
    records = result.records.set_index("record_id")
    for rid, items in zip(picks, alone, strict=True):
        again = _explained(result, rid)  # now from the built per-record money
        assert [t for t, _ in again] == [t for t, _ in items]
        np.testing.assert_allclose([v for _, v in again], [v for _, v in items], atol=1e-9)
        row = records.loc[rid]
        # explain lists the tariff components (not their total), every rule and the gap
        expected = float(row["formal_gbp"]) + float(row["settlement_gap_gbp"])
        assert sum(v for _, v in items) == pytest.approx(expected, abs=1e-6)


def test_readmissions_scope_in_cells_matches_the_rule() -> None:
    from quasimarket.pricing import readmission_in_scope

    contract, table = _case("acute_pbr_2016")
    result = price(contract, table, _tariff())
    with_rule = [
        li for li, line in enumerate(contract.lines) if line.adjustments_of("readmissions")
    ]
    assert with_rule
    m = result.money
    in_cells = m.count[np.isin(m.line, with_rule) & (np.arange(m.count.size) % 2 == 1)].sum()
    lines = np.asarray(result.line_of)
    expected = int((readmission_in_scope(table) & np.isin(lines, with_rule)).sum())
    assert expected > 0
    assert in_cells == expected
