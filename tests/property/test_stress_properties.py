"""Invariants of the stress tester over random scenarios (Hypothesis; small and fast)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quasimarket.stress.run import run_stress
from quasimarket.stress.sampling import RANDOM_BLOCK
from quasimarket.stress.scenario import parse_scenario

pytestmark = pytest.mark.property

MECHANISMS = [
    {"mechanism": "cost_per_case"},
    {"mechanism": "block"},
    {"mechanism": "blended", "variable_rate": 0.2},
    {"mechanism": "caps_and_collars", "corridor": 0.03, "marginal_rate": 0.5},
    {"mechanism": "cost_and_volume", "marginal_rate": 0.6},
    {"mechanism": "national_tariff", "adjustments": [{"rule": "mret", "rate": 0.3}]},
]


def make(seed: int, draws: int, designs: list[int], share: float) -> Any:
    return parse_scenario(
        {
            "name": "random",
            "draws": draws,
            "seed": seed,
            "parties": [
                {"code": "C", "role": "commissioner"},
                {"code": "P1", "role": "provider"},
                {"code": "P2", "role": "provider"},
            ],
            "lines": [
                {
                    "id": f"l{i}",
                    "commissioner": "C",
                    "provider": "P1" if i % 2 else "P2",
                    "planned_activity": 1000.0 * (i + 1),
                    "unit_price_gbp": 100.0 + 50 * i,
                    "fixed_cost_gbp": 20_000.0 * i,
                    "variable_cost_gbp": 60.0 + 40 * i,
                }
                for i in range(3)
            ],
            "uncertainty": {
                "volume": {"*": {"interval_80": [0.9, 1.1]}},
                "demand_growth": {"distribution": "normal", "mean": 0.01, "sd": 0.02},
                "cost_inflation": {
                    "distribution": "triangular",
                    "low": 0,
                    "mode": 0.02,
                    "high": 0.05,
                },
            },
            "designs": [
                {
                    "name": f"d{k}",
                    "lines": {"*": MECHANISMS[m]},
                    **(
                        {"risk_share": {"band_edges": [0.02], "provider_shares": [1.0, share]}}
                        if k % 2
                        else {}
                    ),
                }
                for k, m in enumerate(designs)
            ],
        }
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    draws=st.integers(1, 3 * RANDOM_BLOCK + 5),
    chunk_blocks=st.integers(1, 3),
    designs=st.lists(st.integers(0, len(MECHANISMS) - 1), min_size=1, max_size=3),
    share=st.floats(0.0, 1.0),
)
def test_chunking_never_changes_results_and_payments_are_transfers(
    seed: int, draws: int, chunk_blocks: int, designs: list[int], share: float
) -> None:
    scenario = make(seed, draws, designs, share)
    whole = run_stress(scenario)
    chunked = run_stress(scenario, chunk_size=chunk_blocks * RANDOM_BLOCK)
    np.testing.assert_array_equal(whole.outcomes, chunked.outcomes)
    # payments only move money between parties: the system outcome is the same in every design
    system = whole.outcomes[:, -1, :]
    scale = np.abs(system[0]).max() + 1.0
    for d in range(1, system.shape[0]):
        np.testing.assert_allclose(system[d], system[0], rtol=0, atol=1e-9 * scale + 1e-6)
    # the central draw is the same whatever the number of draws
    one = run_stress(scenario.model_copy(update={"draws": 1}))
    np.testing.assert_array_equal(one.outcomes[:, :, 0], whole.outcomes[:, :, 0])
