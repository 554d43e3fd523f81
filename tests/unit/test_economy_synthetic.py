"""Full-size synthetic England: calibration targets (tolerances stated per test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quasimarket.economy import Economy, synthetic_economy
from quasimarket.economy.calibration import REGIONS
from quasimarket.economy.demography import AGE_SHARES
from quasimarket.errors import ConfigError

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def icb() -> Economy:
    return synthetic_economy(seed=0, year="2025/26")


@pytest.fixture(scope="module")
def ccg() -> Economy:
    return synthetic_economy(seed=0, year="2015/16")


def test_icb_era_counts_and_totals(icb: Economy) -> None:
    assert icb.commissioner_level == "ICB"
    assert len(icb.commissioners) == 42
    assert len(icb.regions) == 7
    per_region = icb.commissioners.groupby("region_code").size()
    assert per_region.to_dict() == {r[0]: r[3] for r in REGIONS}
    assert icb.commissioners["code"].str.fullmatch(r"QS\d{2}").all()
    # 6,348 practices and 63.8m people in 2025/26 (data README): within 100 and 0.5%
    assert 6300 <= len(icb.practices) <= 6500
    assert icb.population == pytest.approx(63.8e6, rel=0.005)
    # £115bn ICB allocations [K], exact after scaling
    assert icb.commissioners["allocation_gbp"].sum() == pytest.approx(115e9, rel=1e-9)
    assert icb.commissioners["target_allocation_gbp"].sum() == pytest.approx(115e9, rel=1e-9)


def test_ccg_era_counts_and_median_size(ccg: Economy) -> None:
    assert ccg.commissioner_level == "CCG"
    assert len(ccg.commissioners) == 211
    assert ccg.commissioners["code"].str.fullmatch(r"S\d{3}").all()
    # median CCG population about 235,000 (002@86121): within 15%
    assert ccg.commissioners["population"].median() == pytest.approx(235_000, rel=0.15)
    # £65bn in 2013/14 (000@9352) growing 3%/yr [K]
    total = ccg.commissioners["allocation_gbp"].sum()
    assert total == pytest.approx(65e9 * 1.03**2, rel=1e-9)


def test_2013_allocation_is_65bn() -> None:
    e = synthetic_economy(seed=1, year="2013/14")
    assert e.commissioners["allocation_gbp"].sum() == pytest.approx(65e9, rel=1e-9)
    assert e.local_authorities["public_health_grant_gbp"].sum() == pytest.approx(2.7e9)


def test_level_override_and_bad_level() -> None:
    assert len(synthetic_economy(0, "2015/16", level="ICB").commissioners) == 42
    assert len(synthetic_economy(0, "2025/26", level="ccg").commissioners) == 211
    with pytest.raises(ConfigError, match="level"):
        synthetic_economy(0, "2025/26", level="PCT")
    with pytest.raises(ConfigError, match="financial year"):
        synthetic_economy(0, "next year")


def test_weighted_capitation(icb: Economy) -> None:
    c = icb.commissioners
    # England need index is 1: total weighted population equals total population
    assert c["weighted_population"].sum() == pytest.approx(c["population"].sum(), rel=1e-9)
    np.testing.assert_allclose(c["need_index"], c["weighted_population"] / c["population"])
    # ICB need indices 0.88-1.12 in the real 2025/26 file (payment-rules.md A12): allow 0.8-1.3
    assert c["need_index"].between(0.8, 1.3).all()
    assert c["need_index"].std() > 0.02
    # target proportional to weighted population x MFF
    ratio = c["target_allocation_gbp"] / (c["weighted_population"] * c["mff"])
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-9)
    dft = c["allocation_gbp"] / c["target_allocation_gbp"] - 1
    assert dft.abs().max() <= 0.05 + 1e-9
    assert dft.abs().max() > 0.01
    # London (SY1) has the highest market forces factor
    mff = c.groupby("region_code")["mff"].mean()
    assert mff.idxmax() == "SY1"


def test_practices_are_england_like(icb: Economy) -> None:
    p = icb.practices
    assert p["code"].is_unique
    assert 6000 <= p["population"].median() <= 12000
    assert p["population"].min() >= 700
    np.testing.assert_allclose(icb.practice_cells.sum(axis=1), p["population"])
    by_comm = p.groupby("commissioner_code")["population"].sum()
    pd.testing.assert_series_equal(
        by_comm.sort_index(),
        icb.commissioners.set_index("code")["population"].sort_index(),
        check_names=False,
    )
    age = icb.practice_cells.sum(axis=0).reshape(8, 2).sum(axis=1) / icb.population
    np.testing.assert_allclose(age, AGE_SHARES, atol=0.015)  # within 1.5 points
    quintile = p.groupby("imd_quintile")["population"].sum() / icb.population
    assert quintile.index.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(quintile, 0.2, atol=0.02)
    shares = p["contract_type"].value_counts(normalize=True)
    assert shares["GMS"] == pytest.approx(0.70, abs=0.03)


def test_providers_and_catchments(icb: Economy, ccg: Economy) -> None:
    for e in (icb, ccg):
        kinds = e.providers["kind"].value_counts()
        assert set(kinds.index) == {
            "acute",
            "community",
            "mental_health",
            "ambulance",
            "independent",
            "third_sector",
        }
        assert 130 <= kinds["acute"] <= 150
        assert e.providers["code"].str.fullmatch(r"SR\d{3}").all()
        assert e.providers["mff"].between(0.90, 1.30).all()
        cat = e.catchments
        sums = cat.groupby("provider_code")["share"].sum()
        np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
        assert set(sums.index) == set(e.providers["code"])
        assert set(cat["commissioner_code"]) <= set(e.commissioners["code"])
        # most of an acute trust's activity comes from 1-2 commissioners (real 2022 file: the
        # top two give >= 70% for 95% of trusts): require it for at least 80%
        acute = cat[cat["provider_code"].isin(e.providers.query("kind == 'acute'")["code"])]
        top2 = (
            acute.sort_values("share", ascending=False)
            .groupby("provider_code")["share"]
            .apply(lambda s: s.iloc[:2].sum())
        )
        assert (top2 >= 0.7).mean() >= 0.8
        # each ambulance service serves commissioners of one region only
        amb = cat[cat["provider_code"].isin(e.providers.query("kind == 'ambulance'")["code"])]
        region = e.commissioners.set_index("code")["region_code"]
        assert (
            amb.assign(r=amb["commissioner_code"].map(region))
            .groupby("provider_code")["r"]
            .nunique()
            == 1
        ).all()
        # every commissioner is served by an ambulance service
        assert set(amb["commissioner_code"]) == set(e.commissioners["code"])
    # about 100,000 acute beds for 63.8m people [K]: within 10%
    beds = icb.providers.query("kind == 'acute'")["beds"].sum()
    assert beds == pytest.approx(1.6e-3 * icb.population, rel=0.1)


def test_local_authorities(ccg: Economy) -> None:
    la = ccg.local_authorities
    kinds = la["kind"].value_counts().to_dict()
    # 125 unitary + 27 counties = 152 upper-tier (002@292680); 201 districts [K]
    assert kinds == {"unitary": 125, "county": 27, "district": 201}
    assert la["code"].is_unique
    lower = la[la["kind"] != "county"]
    assert set(ccg.practices["la_code"]) <= set(lower["code"])
    assert lower["population"].sum() == pytest.approx(ccg.population)
    parent = la.set_index("code")["upper_tier_code"]
    districts = la[la["kind"] == "district"]
    county_pop = districts.groupby(districts["code"].map(parent))["population"].sum()
    np.testing.assert_allclose(la.set_index("code").loc[county_pop.index, "population"], county_pop)
    # ring-fenced public health grant about £3.3bn in 2015/16 [K]; districts get none
    assert la["public_health_grant_gbp"].sum() == pytest.approx(3.3e9, rel=1e-9)
    assert (districts["public_health_grant_gbp"] == 0).all()
    assert (la.loc[la["kind"] != "district", "public_health_grant_gbp"] > 0).all()
    assert la["imd_score"].between(3, 60).all()


def test_deterministic_for_a_seed() -> None:
    a, b = synthetic_economy(5), synthetic_economy(5)
    pd.testing.assert_frame_equal(a.commissioners, b.commissioners)
    pd.testing.assert_frame_equal(a.catchments, b.catchments)
    pd.testing.assert_frame_equal(a.local_authorities, b.local_authorities)
    np.testing.assert_array_equal(a.practice_cells, b.practice_cells)
    c = synthetic_economy(6)
    assert not a.commissioners["population"].equals(c.commissioners["population"])
