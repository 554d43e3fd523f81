"""The fused numba kernel and the readable numpy path price every record identically.

Both make the record-level pass (line, national tariff components, readmission scope) and add
records up by cell; the kernel does it in one pass. They must agree on the cell sums, on the
per-record money built lazily from them, and on the statement.
"""

from __future__ import annotations

import numpy as np
import pytest

from quasimarket.activity import ActivityTable, synthetic_activity
from quasimarket.contracts import parse_contract
from quasimarket.economy import small_economy
from quasimarket.pricing import _kernel, price
from quasimarket.pricing.cells import numpy_cells, record_cells
from quasimarket.tariff import TariffTable

pytestmark = pytest.mark.unit

CONTRACT = """
format = "quasimarket.contract/1"
name = "All pods"
year = "2016/17"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "apc"
service = "Admitted care"
currency = "spell"
pods = ["day_case", "elective", "non_elective"]
mechanism = "national_tariff"
[lines.terms]
rsse_min_age = 17
[[lines.adjustments]]
rule = "mret"
baseline_value = 1000000
rate = 0.7
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = 0.5
window_days = {window}
[[lines.adjustments]]
rule = "cquin"
rate = 0.025
[[lines.adjustments.goals]]
name = "A"
weight = 1.0
achievement = 0.5
[[lines]]
id = "op"
service = "Outpatients"
currency = "attendance"
pods = ["op_first", "op_follow_up", "op_procedure"]
mechanism = "national_tariff"
[lines.terms]
top_up_pct = 0.1
[[lines]]
id = "ae"
service = "A&E"
currency = "attendance"
pods = ["ae"]
mechanism = "national_tariff"
[lines.terms]
mff = 1.2
"""


@pytest.mark.skipif(not _kernel.HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("window", [30, 14])
def test_kernel_matches_numpy_path(monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    economy = small_economy(seed=0)
    frame = synthetic_activity(
        economy,
        n_records=30_000,
        year="2016/17",
        seed=11,
        providers=["SR001"],
        commissioners=["QS01"],
        readmission_rate=0.15,
    )
    frame["bpt_met"] = np.random.default_rng(0).random(len(frame)) < 0.5
    table = ActivityTable.from_frame(frame)
    tariff = TariffTable.from_economy(economy)
    contract = parse_contract(CONTRACT.format(window=window))
    fast = price(contract, table, tariff)
    # the cell sums (incl. the readmission flag) of the two passes
    setup = fast.money.setup
    kernel = record_cells(table, tariff, setup, want_records=True)
    reference = numpy_cells(table, tariff, setup, want_records=True)
    np.testing.assert_allclose(kernel.sums, reference.sums, rtol=1e-12, atol=1e-6)
    assert kernel.sums[1::2, 7].sum() > 0  # readmissions in scope were found
    assert kernel.parts is not None
    assert reference.parts is not None
    np.testing.assert_allclose(kernel.parts, reference.parts, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(kernel.cell, reference.cell)
    monkeypatch.setenv("QUASIMARKET_NO_NUMBA", "1")
    assert not _kernel.use_kernel()
    slow = price(contract, table, tariff)
    assert list(fast.statement.columns) == list(slow.statement.columns)
    for name in [c for c in fast.statement.columns if c.endswith("_gbp")]:
        np.testing.assert_allclose(
            fast.statement[name].to_numpy(dtype=np.float64),
            slow.statement[name].to_numpy(dtype=np.float64),
            rtol=1e-12,
            atol=1e-6,
            err_msg=name,
        )
    records_fast, records_slow = fast.records, slow.records  # built by each path
    for name in [c for c in records_fast.columns if c.endswith("_gbp")]:
        np.testing.assert_allclose(
            records_fast[name].to_numpy(), records_slow[name].to_numpy(), rtol=0, atol=1e-9
        )
    assert (records_fast["line_id"].astype(str) == records_slow["line_id"].astype(str)).all()
    # every rule path was exercised
    cols = fast.columns
    assert (cols["excess_bed_days_gbp"] > 0).any()
    assert (cols["short_stay_gbp"] < 0).any()
    assert (cols["bpt_gbp"] != 0).any()
    assert (cols["top_up_gbp"] > 0).any()
    assert (cols["readmissions_gbp"] < 0).any()
    assert (cols["mret_gbp"] != 0).any()
