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
