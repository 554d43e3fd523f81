"""The synthetic HRG-like price catalogue: shape, labelling and magnitudes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quasimarket.economy.prices import PRICE_GROWTH, synthetic_tariff
from quasimarket.tariff import annex_a as A  # noqa: N812

pytestmark = pytest.mark.unit

PROVIDERS = pd.DataFrame(
    {"code": ["SR001"], "name": ["Synthetic Acute Trust SR001"], "mff": [1.05]}
)


@pytest.fixture(scope="module")
def apc() -> pd.DataFrame:
    return synthetic_tariff(0, "2025/26", PROVIDERS)["apc"]


def test_catalogue_size_codes_and_labels(apc: pd.DataFrame) -> None:
    assert 1000 <= len(apc) <= 2500
    codes = apc[A.HRG_CODE]
    assert codes.is_unique
    # HRG4+ shape, sub-chapter letter S (no real HRG4+ code uses it)
    assert codes.str.fullmatch(r"[A-Z]S\d{2}[A-EZ]").all()
    assert apc[A.HRG_NAME].str.startswith("Synthetic ").all()


def quantiles(series: pd.Series, qs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> list[float]:
    return [float(series.dropna().quantile(q)) for q in qs]


def test_price_magnitudes(apc: pd.DataFrame) -> None:
    # brief: day case about £500-£3,000, elective £1,500-£15,000, non-elective £500-£12,000;
    # the middle of each distribution must sit inside, the tails may reach a little beyond.
    dc10, dc50, dc90 = quantiles(apc[A.DAY_CASE])
    assert 500 <= dc50 <= 3000
    assert dc10 >= 150
    assert dc90 <= 6000
    el10, el50, el90 = quantiles(apc[A.ELECTIVE])
    assert 1500 <= el50 <= 15000
    assert el10 >= 500
    assert el90 <= 20000
    nel10, nel50, nel90 = quantiles(apc[A.NON_ELECTIVE])
    assert 500 <= nel50 <= 12000
    assert nel10 >= 300
    assert nel90 <= 20000
    ebd = apc[A.EXCESS_BED_DAY]
    assert ebd.between(200, 450).all()
    trims = pd.concat([apc[A.ELECTIVE_TRIM], apc[A.NON_ELECTIVE_TRIM]]).dropna()
    assert (trims >= 2).all()
    assert trims.between(2, 60).mean() >= 0.95
    assert (trims == trims.round()).all()


def test_pod_columns_are_consistent(apc: pd.DataFrame) -> None:
    combined = apc[A.COMBINED_DC_EL].notna()
    assert combined.any()
    assert apc.loc[combined, A.DAY_CASE].isna().all()
    assert apc.loc[combined, A.ELECTIVE].isna().all()
    # every HRG has at least one admitted price
    prices = apc[[A.COMBINED_DC_EL, A.DAY_CASE, A.ELECTIVE, A.NON_ELECTIVE]]
    assert prices.notna().any(axis=1).all()
    # a trim point exactly where there is a price for that POD
    has_el = apc[A.ELECTIVE].notna() | combined
    assert apc.loc[has_el, A.ELECTIVE_TRIM].notna().all()
    assert (apc[A.NON_ELECTIVE].notna() == apc[A.NON_ELECTIVE_TRIM].notna()).all()
    # day case cheaper than elective where both are published
    both = apc[A.DAY_CASE].notna() & apc[A.ELECTIVE].notna()
    assert (apc.loc[both, A.DAY_CASE] < apc.loc[both, A.ELECTIVE]).all()


def test_reduced_short_stay_emergency(apc: pd.DataFrame) -> None:
    yes = apc[A.RSSE_APPLICABLE] == "Yes"
    assert set(apc[A.RSSE_APPLICABLE]) == {"Yes", "No"}
    assert 0.2 <= yes.mean() <= 0.6
    assert apc.loc[yes, A.NON_ELECTIVE].notna().all()
    pct = apc.loc[yes, A.RSSE_PERCENT]
    assert pct.between(0.3, 0.8).all()
    np.testing.assert_allclose(
        apc.loc[yes, A.RSSE_PRICE], apc.loc[yes, A.NON_ELECTIVE] * pct, atol=0.5
    )
    assert apc.loc[~yes, [A.RSSE_PERCENT, A.RSSE_PRICE]].isna().all().all()


def test_bpt_and_top_ups() -> None:
    tariff = synthetic_tariff(0, "2025/26", PROVIDERS)
    apc, top_up = tariff["apc"], tariff["top_up"]
    bpt = apc[A.BPT_PRICE].notna()
    assert 5 <= bpt.sum() <= 30
    assert (apc.loc[bpt, A.BPT_LEVEL] == "HRG").all()
    assert apc.loc[bpt, A.BPT_NAME].str.startswith("Synthetic").all()
    assert apc.loc[~bpt, [A.BPT_LEVEL, A.BPT_NAME]].isna().all().all()
    assert top_up[A.TOP_UP_PERCENT].between(0.10, 0.30).all()
    used = apc[A.TOP_UP_CATEGORY].dropna()
    assert 0.02 <= len(used) / len(apc) <= 0.20
    assert set(used) <= set(top_up[A.TOP_UP_CATEGORY_CODE])
    assert tariff["mff"][A.MFF_INDEX].tolist() == [1.05]


def test_outpatient_and_ae() -> None:
    tariff = synthetic_tariff(0, "2025/26", PROVIDERS)
    op = tariff["outpatient"]
    ratio = op[A.OP_FIRST] / op[A.OP_FOLLOW_UP]
    assert ratio.between(1.4, 2.3).all()  # first ≈ 1.5-2 x follow-up (payment-rules.md A2)
    assert op[A.OP_FIRST].between(100, 450).all()
    ae = tariff["ae"]
    t12 = ae[A.AE_TYPE_1_2].to_numpy()
    assert (np.diff(t12[:11]) < 0).all()  # VB01Z (most complex) to VB11Z falls
    assert (ae[A.AE_TYPE_3_4] <= ae[A.AE_TYPE_1_2]).all()


def test_same_catalogue_across_years_with_price_growth() -> None:
    now = synthetic_tariff(2, "2025/26", PROVIDERS)["apc"]
    then = synthetic_tariff(2, "2015/16", PROVIDERS)["apc"]
    assert now[A.HRG_CODE].tolist() == then[A.HRG_CODE].tolist()
    factor = (1 + PRICE_GROWTH) ** -10
    both = now[A.ELECTIVE].notna()
    np.testing.assert_allclose(
        then.loc[both, A.ELECTIVE], now.loc[both, A.ELECTIVE] * factor, atol=1.0
    )
    other = synthetic_tariff(3, "2025/26", PROVIDERS)["apc"]
    assert not now[A.HRG_CODE].equals(other[A.HRG_CODE]) or not now[A.ELECTIVE].equals(
        other[A.ELECTIVE]
    )
