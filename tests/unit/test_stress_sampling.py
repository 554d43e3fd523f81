"""Named random streams, the central draw, distribution transforms and correlation."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from quasimarket.errors import ConfigError
from quasimarket.stress.distributions import Interval80, Triangular, normal_cdf
from quasimarket.stress.sampling import RANDOM_BLOCK, draw_sources, normal_scores, stable_hash
from quasimarket.stress.scenario import parse_scenario

pytestmark = pytest.mark.unit


def scenario(**uncertainty: Any) -> Any:
    return parse_scenario(
        {
            "name": "s",
            "draws": 10,
            "seed": 11,
            "parties": [
                {"code": "C", "role": "commissioner"},
                {"code": "P", "role": "provider"},
            ],
            "lines": [
                {
                    "id": name,
                    "commissioner": "C",
                    "provider": "P",
                    "planned_activity": 1000,
                    "unit_price_gbp": 10,
                }
                for name in ("a", "b", "c")
            ],
            "uncertainty": uncertainty,
            "designs": [{"name": "d", "lines": {"*": {"mechanism": "cost_per_case"}}}],
        }
    )


def test_stable_hash_is_deterministic_64_bit_and_name_specific() -> None:
    assert stable_hash("volume:a") == stable_hash("volume:a")
    assert stable_hash("volume:a") != stable_hash("volume:b")
    assert 0 <= stable_hash("x") < 2**64


def test_stream_is_keyed_by_name_and_block_layout_is_fixed() -> None:
    whole = normal_scores(5, "volume:a", 0, 3 * RANDOM_BLOCK)
    # any sub-range equals the same slice of the whole: the layout ignores chunking
    part = normal_scores(5, "volume:a", RANDOM_BLOCK - 7, 2 * RANDOM_BLOCK + 3)
    np.testing.assert_array_equal(part, whole[RANDOM_BLOCK - 7 : 2 * RANDOM_BLOCK + 3])
    assert whole[0] == 0.0  # draw 0 is central
    other = normal_scores(5, "volume:b", 0, 3 * RANDOM_BLOCK)
    assert abs(np.corrcoef(whole[1:], other[1:])[0, 1]) < 0.05
    assert abs(whole[1:].std() - 1.0) < 0.03


def test_adding_a_source_does_not_change_the_others() -> None:
    volume = {"*": {"interval_80": [0.9, 1.1]}}
    before = draw_sources(scenario(volume=volume), 0, 5000)
    after = draw_sources(
        scenario(
            volume=volume,
            demand_growth={"distribution": "normal", "mean": 0.02, "sd": 0.01},
            achievement={"goal": {"probability": 0.7}},
        ),
        0,
        5000,
    )
    np.testing.assert_array_equal(before.volume_factor, after.volume_factor)
    assert np.all(before.growth == 0.0)
    assert after.growth[0] == 0.02  # central = median
    assert after.achievement["goal"][0] == 1.0  # p = 0.7 > 1/2: achieved at the centre
    assert abs(after.achievement["goal"][1:].mean() - 0.7) < 0.03


def test_draw_zero_is_the_central_case() -> None:
    draws = draw_sources(
        scenario(
            volume={
                "a": {"distribution": "lognormal", "median": 1.05, "sigma": 0.1},
                "b": {"distribution": "triangular", "low": 0.8, "mode": 0.9, "high": 1.3},
                "c": {"distribution": "poisson"},
            },
            cost_inflation={"interval_80": [0.01, 0.05]},
        ),
        0,
        100,
    )
    # triangular median: the CDF is 1/2 where high − √(½ (h − l)(h − m)) (mode below median)
    tri_median = 1.3 - math.sqrt(0.5 * 0.5 * 0.4)
    np.testing.assert_allclose(draws.volume_factor[:, 0], [1.05, tri_median, 1.0], rtol=1e-6)
    assert draws.inflation[0] == pytest.approx(0.03)


def test_normal_cdf_matches_erf() -> None:
    z = np.linspace(-6, 6, 241)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    assert np.max(np.abs(normal_cdf(z) - exact)) < 2e-7


def test_interval_80_hits_its_percentiles() -> None:
    z = normal_scores(1, "t", 0, 200_000)[1:]
    for shape in ("normal", "lognormal"):
        values = Interval80(interval_80=(0.9, 1.2), shape=shape).transform(z)
        p10, p90 = np.quantile(values, [0.1, 0.9])
        assert p10 == pytest.approx(0.9, abs=0.003)
        assert p90 == pytest.approx(1.2, abs=0.003)
    tri = Triangular(distribution="triangular", low=0.0, mode=0.25, high=1.0).transform(z)
    # mean of a triangular = (l + m + h) / 3
    assert tri.mean() == pytest.approx(1.25 / 3, abs=0.003)
    assert tri.min() >= 0.0
    assert tri.max() <= 1.0


def test_negative_binomial_mean_and_variance() -> None:
    draws = draw_sources(
        scenario(volume={"a": {"distribution": "negative_binomial", "dispersion": 50}}), 0, 40_000
    )
    counts = draws.volume_factor[0, 1:] * 1000
    assert counts.mean() == pytest.approx(1000, rel=0.01)
    # variance = μ + μ²/r = 1000 + 20,000
    assert counts.var() == pytest.approx(21_000, rel=0.05)


def test_factor_and_copula_correlations() -> None:
    draws = draw_sources(
        scenario(
            volume={"*": {"distribution": "normal", "mean": 1.0, "sd": 0.1}},
            factors=[{"name": "winter", "lines": ["a", "b"], "loading": 0.8}],
        ),
        0,
        40_000,
    )
    v = draws.volume_factor[:, 1:]
    assert np.corrcoef(v[0], v[1])[0, 1] == pytest.approx(0.64, abs=0.02)
    assert abs(np.corrcoef(v[0], v[2])[0, 1]) < 0.03
    assert v[0].std() == pytest.approx(0.1, rel=0.02)  # loadings keep the marginal
    corr = draw_sources(
        scenario(
            volume={"*": {"interval_80": [0.9, 1.1]}},
            correlation={"lines": ["b", "c"], "matrix": [[1, -0.5], [-0.5, 1]]},
        ),
        0,
        40_000,
    )
    w = corr.volume_factor[:, 1:]
    assert np.corrcoef(w[1], w[2])[0, 1] == pytest.approx(-0.5, abs=0.02)


def test_attribution_bins_are_equal_probability() -> None:
    draws = draw_sources(scenario(volume={"a": {"interval_80": [0.9, 1.1]}}), 0, 40_000)
    counts = np.bincount(draws.bins[0], minlength=20)
    assert counts.min() > 0.9 * 2000
    assert counts.max() < 1.1 * 2000
    # score 0 (the central draw) sits on the median edge, between bins 9 and 10
    assert NormalDist().inv_cdf(0.5) == 0.0
    assert draws.bins[0, 0] in (9, 10)


def test_volume_by_point_of_delivery() -> None:
    base = scenario(volume={"*": {"interval_80": [0.9, 1.1]}})
    data = base.model_dump()
    data["lines"][1]["pod"] = "non_elective"
    data["lines"][2]["pod"] = "non_elective"
    data["uncertainty"]["volume"] = {
        "pod:non_elective": {"distribution": "normal", "mean": 2.0, "sd": 0.0},
        "c": {"distribution": "normal", "mean": 3.0, "sd": 0.0},
    }
    draws = draw_sources(parse_scenario(data), 0, 10)
    # line a: no spec (plan); b: its POD's; c: its own entry wins over the POD's
    np.testing.assert_array_equal(draws.volume_factor[:, 3], [1.0, 2.0, 3.0])
    data["uncertainty"]["volume"] = {"pod:elective": {"interval_80": [0.9, 1.1]}}
    with pytest.raises(ConfigError, match="unknown line or point of delivery 'pod:elective'"):
        parse_scenario(data)
