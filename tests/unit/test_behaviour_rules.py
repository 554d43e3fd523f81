"""Pure functions of the institutional behaviour rules, hand-checked."""

from __future__ import annotations

import numpy as np
import pytest

from quasimarket.behaviour.alliance import pooled_results
from quasimarket.behaviour.co_commissioning import ratchet
from quasimarket.behaviour.fragmentation import FragmentationOptions, coordination
from quasimarket.behaviour.procurement import DECISIONS, SERVICE_LINES, ProcurementOptions, choose
from quasimarket.behaviour.public_health import PublicHealthOptions, grant_path
from quasimarket.behaviour.settlement import SettlementOptions, settle
from quasimarket.errors import ConfigError
from quasimarket.simulation import Regime
from quasimarket.simulation.regime import make_behaviours

pytestmark = pytest.mark.unit


def test_settle_splits_gap_by_relationship_and_tolerance() -> None:
    formal = np.array([[[60.0, 40.0]]])
    afford = np.array([[80.0]])  # gap 20
    opts = SettlementOptions(relationship_strength=0.5, regulator_tolerance=0.2)
    settled, write_off = settle(formal, afford, np.array([False, False]), opts)
    assert write_off[0, 0] == pytest.approx(20 * 0.5 * 0.8)  # 8
    np.testing.assert_allclose(settled[0, 0], [60 - 8 * 0.6, 40 - 8 * 0.4])


def test_ratchet_never_moves_down() -> None:
    level = np.array([1.0, 2.0, 3.0, 1.0])
    nxt = ratchet(level, np.array([0.1, 0.9, 0.1, 0.5]), 0.4)
    np.testing.assert_array_equal(nxt, [3.0, 2.0, 3.0, 1.0])


def test_coordination_cost_grows_with_commissioners() -> None:
    opts = FragmentationOptions(coordination_rate=0.02, elasticity=1.0)
    cost, disruption = coordination(np.array([1.0, 2.0, 3.0]), np.array(1000.0), opts)
    np.testing.assert_allclose(cost, [0.0, 20.0, 40.0])
    np.testing.assert_allclose(disruption, [0.0, 0.1, 0.19])


def test_whole_hospital_never_tendered_even_with_strong_signal() -> None:
    n_s = len(SERVICE_LINES)
    u = np.random.default_rng(0).random((200, 1, n_s, 4))
    d = choose(
        ProcurementOptions(policy_signal=1.0, resources=1.0, incumbent_quality=-3.0),
        fragility=np.zeros((200, 1)),
        tendered_before=np.ones((200, 1, n_s)),
        uniform=u,
    )
    whole = list(SERVICE_LINES).index("whole_hospital")
    assert set(np.unique(d[:, 0, whole])) <= {
        DECISIONS.index("negotiated"),
        DECISIONS.index("procured_collaboration"),
    }


def test_grant_cut_compounds_from_2015() -> None:
    path = grant_path(2013, 5, PublicHealthOptions(grant_cut=0.1))
    np.testing.assert_allclose(path, [1.0, 1.0, 0.9, 0.81, 0.729])


def test_pooled_results_share_the_pool_by_value() -> None:
    pooled, share = pooled_results(
        np.array([[10.0, -30.0, 5.0]]),
        np.array([[100.0, 100.0, 50.0]]),
        np.array([[1.0, 1.0, 0.0]]),
    )
    np.testing.assert_allclose(pooled, [[-10.0, -10.0, 5.0]])
    np.testing.assert_allclose(share, [[0.5, 0.5, 0.0]])


def test_tendering_switch_adds_procurement_rule() -> None:
    rules = make_behaviours(Regime(tendering=True))
    assert [type(r).__name__ for r in rules] == ["Procurement"]


def test_out_of_range_option_is_one_config_error() -> None:
    regime = Regime(behaviours=["procurement"], behaviour_options={"procurement": {"resources": 2}})
    with pytest.raises(ConfigError) as error:
        make_behaviours(regime)
    assert error.value.location == "regime.behaviour_options.procurement.resources"
    assert "resources in [0.0, 1.0]" in str(error.value.expected)
