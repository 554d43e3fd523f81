"""Same seed, same results serially and on a real local Dask cluster with 2 and 4 workers.

Two clusters on loopback: ``--workers 2`` (``run_stress`` starts and stops its own local
cluster) and an existing 4-worker cluster reached by address (the ``--scheduler`` path).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from quasimarket.stress.builtin import load_example
from quasimarket.stress.run import SCHEDULER_HTTP, run_stress

pytestmark = pytest.mark.integration


def assert_same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.outcomes, b.outcomes)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], check_exact=True, obj=name)


def test_one_two_and_four_workers_give_identical_results() -> None:
    from distributed import LocalCluster

    scenario = load_example("alliance-case-b").model_copy(update={"draws": 20_000})
    serial = run_stress(scenario, chunk_size=4096)  # 5 chunks
    assert serial.timings["workers"] == 1
    two = run_stress(scenario, chunk_size=4096, workers=2)
    assert two.timings["workers"] == 2
    assert_same(serial, two)
    with LocalCluster(
        n_workers=4,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=50,
        scheduler_kwargs=SCHEDULER_HTTP,
    ) as cluster:
        four = run_stress(scenario, chunk_size=4096, scheduler=cluster.scheduler_address)
    assert four.timings["workers"] == 4
    assert_same(serial, four)
