"""The fused numba kernel and the readable numpy path price every record identically."""

from __future__ import annotations

import numpy as np
import pytest

from quasimarket.activity import ActivityTable, synthetic_activity
from quasimarket.contracts import parse_contract
from quasimarket.economy import small_economy
from quasimarket.pricing import _kernel, price
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
def test_kernel_matches_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    economy = small_economy(seed=0)
    frame = synthetic_activity(
        economy,
        n_records=30_000,
        year="2016/17",
        seed=11,
        providers=["SR001"],
        commissioners=["QS01"],
    )
    frame["bpt_met"] = np.random.default_rng(0).random(len(frame)) < 0.5
    table = ActivityTable.from_frame(frame)
    tariff = TariffTable.from_economy(economy)
    contract = parse_contract(CONTRACT)
    fast = price(contract, table, tariff)
    monkeypatch.setenv("QUASIMARKET_NO_NUMBA", "1")
    assert not _kernel.use_kernel()
    slow = price(contract, table, tariff)
    for name in (
        "base_gbp",
        "excess_bed_days_gbp",
        "short_stay_gbp",
        "bpt_gbp",
        "top_up_gbp",
        "mff_gbp",
        "tariff_gbp",
    ):
        np.testing.assert_allclose(fast.columns[name], slow.columns[name], rtol=0, atol=1e-9)
    # every rule path was exercised
    cols = fast.columns
    assert (cols["excess_bed_days_gbp"] > 0).any()
    assert (cols["short_stay_gbp"] < 0).any()
    assert (cols["bpt_gbp"] != 0).any()
    assert (cols["top_up_gbp"] > 0).any()
