"""Same seed, same ensemble serially and on a real local Dask cluster (loopback, 2 workers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quasimarket.simulation import parse_simulation_scenario, simulate

pytestmark = pytest.mark.integration


def test_two_workers_give_identical_results() -> None:
    scenario = parse_simulation_scenario(
        {
            "years": "2013/14:2014/15",
            "economy": {"kind": "small"},
            "draws": 6,
            "chunk_draws": 2,  # 3 chunks spread over the workers
        }
    )
    serial = simulate(scenario)
    assert serial.timings["workers"] == 1
    two = simulate(scenario, workers=2)
    assert two.timings["workers"] == 2
    np.testing.assert_array_equal(serial.commissioner, two.commissioner)
    np.testing.assert_array_equal(serial.provider, two.provider)
    np.testing.assert_array_equal(serial.provider_yearly, two.provider_yearly)
    for name, table in serial.tables().items():
        pd.testing.assert_frame_equal(table, two.tables()[name], check_exact=True, obj=name)
    # The draws really differ (it is an ensemble, not 6 copies of one path).
    assert np.unique(serial.commissioner_yearly[:, 0, 0, 2]).size == 6


def test_two_workers_run_a_regime_path_identically() -> None:
    """The regime-path rule reaches the workers (a picklable factory, rebuilt for each chunk)."""
    from quasimarket.regimes import apply_regime
    from quasimarket.regimes import simulate as simulate_regime

    base = parse_simulation_scenario(
        {"years": "2013/14:2014/15", "economy": {"kind": "small"}, "draws": 4, "chunk_draws": 2}
    )
    scenario = apply_regime(base, path="hsca-2013@2013/14,stp-2016@2014/15")
    serial = simulate_regime(scenario)
    two = simulate_regime(scenario, workers=2)
    assert two.timings["workers"] == 2
    np.testing.assert_array_equal(serial.commissioner, two.commissioner)
    assert set(serial.records) >= {"regimes", "tendering", "settlements"}
    for name, table in serial.records.items():
        pd.testing.assert_frame_equal(table, two.records[name], check_exact=True, obj=name)
    regimes = serial.records["regimes"].drop_duplicates("financial_year")
    assert list(regimes["regime"]) == ["hsca-2013", "stp-2016"]
