"""Invariants of generated economies for any seed, year and level (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quasimarket.economy import Economy, small_economy, synthetic_economy
from quasimarket.economy.calibration import year_targets

pytestmark = pytest.mark.property


def check_invariants(e: Economy) -> None:
    p, c = e.practices, e.commissioners
    np.testing.assert_allclose(e.practice_cells.sum(axis=1), p["population"])
    assert (e.practice_cells >= 0).all()
    assert p["code"].is_unique
    assert c["code"].is_unique
    assert e.providers["code"].is_unique
    assert set(p["commissioner_code"]) == set(c["code"])  # every commissioner has practices
    assert set(p["la_code"]) <= set(e.local_authorities["code"])
    assert p["imd_quintile"].between(1, 5).all()
    by_comm = p.groupby("commissioner_code")["population"].sum()
    np.testing.assert_allclose(by_comm.loc[c["code"]].to_numpy(), c["population"].to_numpy())
    sums = e.catchments.groupby("provider_code")["share"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    assert set(sums.index) == set(e.providers["code"])
    assert (e.catchments["share"] > 0).all()
    assert set(e.catchments["commissioner_code"]) <= set(c["code"])
    assert e.providers["mff"].between(0.90, 1.30).all()
    assert c["mff"].between(0.90, 1.30).all()
    dft = c["allocation_gbp"] / c["target_allocation_gbp"] - 1
    assert dft.abs().max() <= 0.05 + 1e-9
    assert (e.local_authorities["public_health_grant_gbp"] >= 0).all()


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    year=st.integers(2010, 2025),  # the payment-rule calendar's years
    level=st.sampled_from(["ICB", "CCG"]),
)
def test_full_economy_invariants(seed: int, year: int, level: str) -> None:
    e = synthetic_economy(seed, year, level)
    check_invariants(e)
    targets = year_targets(e.year, level)
    assert len(e.commissioners) == targets.commissioners
    assert e.commissioners["allocation_gbp"].sum() == pytest.approx(targets.allocation_gbp)
    assert e.commissioners["weighted_population"].sum() == pytest.approx(e.population)
    assert e.population == pytest.approx(targets.population, rel=0.01)


@pytest.mark.parametrize("year", ["1066/67", "2026/27"])
def test_an_economy_outside_the_calendar_is_refused(year: str) -> None:
    from quasimarket.errors import ConfigError

    with pytest.raises(ConfigError, match="outside"):
        small_economy(0, year)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    practices=st.integers(1, 120),
    people_each=st.floats(800, 30_000),
)
def test_small_economy_invariants(seed: int, practices: int, people_each: float) -> None:
    e = small_economy(seed, practices=practices, population=practices * people_each)
    check_invariants(e)
    assert len(e.practices) == practices
    # list sizes are drawn around the target and floored at 750 people; cells are rounded
    target = practices * people_each
    assert target - 8 * practices <= e.population <= target + 766 * practices
