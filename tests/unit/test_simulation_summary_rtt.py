"""The yearly summary's 18-week share when the waiting list empties."""

from __future__ import annotations

import pytest

from quasimarket.simulation import builtin_scenario, simulate

pytestmark = pytest.mark.unit


def test_empty_waiting_list_counts_as_all_within_18_weeks() -> None:
    # capacity growing 5% a year outruns demand, so the list empties whatever the draws
    base = builtin_scenario("small-baseline")
    capacity = base.levers.capacity.model_copy(update={"growth": 0.05})
    scenario = base.model_copy(
        update={"levers": base.levers.model_copy(update={"capacity": capacity})}
    )
    result = simulate(scenario, years="2013/14:2019/20")
    summary = result.summary()
    emptied = summary[summary["waiting_list_march"] < 0.5]
    assert not emptied.empty, "capacity growing 5% a year empties the list"
    assert (emptied["rtt_within_18_weeks_march"] == 1.0).all()
    assert summary["rtt_within_18_weeks_march"].between(0.0, 1.0).all()
