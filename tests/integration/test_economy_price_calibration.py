"""Cross-check the synthetic price catalogue's magnitudes against public reference costs.

The data are used only here, as a check; nothing from them is in the catalogue. Tolerances are
broad on purpose (the catalogue is stylised): medians within a factor of 1.6 (prices) or 2 (trim
points) of the real ones, excess bed day median within 35%.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from quasimarket.economy.prices import synthetic_tariff
from quasimarket.tariff import annex_a as A  # noqa: N812

pytestmark = pytest.mark.integration

PROVIDERS = pd.DataFrame({"code": ["SR001"], "name": ["x"], "mff": [1.0]})


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> pd.DataFrame:
    costs = pd.read_csv(shared_data / "reference_costs_2010_2016.csv")
    return costs[costs["Year"] == costs["Year"].max()]  # 2015/16 reference costs


@pytest.fixture(scope="module")
def apc() -> pd.DataFrame:
    return synthetic_tariff(0, "2015/16", PROVIDERS)["apc"]


@pytest.mark.parametrize(
    ("column", "pod"),
    [
        (A.DAY_CASE, "Day_case"),
        (A.ELECTIVE, "Elective"),
        (A.NON_ELECTIVE, "Non_Elective_LS"),
    ],
)
def test_price_medians_near_reference_costs(
    apc: pd.DataFrame, reference: pd.DataFrame, column: str, pod: str
) -> None:
    ours = apc[column].median()
    real = reference.loc[reference["type"] == pod, "cost"].median()
    assert real / 1.6 <= ours <= real * 1.6, (ours, real)
    # the spread is realistic too: inter-quartile ratio within a factor of 2
    ours_iqr = apc[column].quantile(0.75) / apc[column].quantile(0.25)
    costs = reference.loc[reference["type"] == pod, "cost"]
    real_iqr = costs.quantile(0.75) / costs.quantile(0.25)
    assert real_iqr / 2 <= ours_iqr <= real_iqr * 2


def test_excess_bed_day_near_reference(apc: pd.DataFrame, reference: pd.DataFrame) -> None:
    real = reference.loc[reference["Excess_unit_cost"] > 0, "Excess_unit_cost"].median()
    assert apc[A.EXCESS_BED_DAY].median() == pytest.approx(real, rel=0.35)


def test_trim_points_near_real(apc: pd.DataFrame, shared_data: Path) -> None:
    trims = pd.read_csv(shared_data / "hrg_trimpoints.csv")["Episode.Trimpoint"]
    trims = trims[(trims > 0) & (trims < 1000)]  # 32000 marks "no trim point"
    ours = apc[A.NON_ELECTIVE_TRIM].median()
    assert trims.median() / 2 <= ours <= trims.median() * 2


def test_no_real_hrg_code_is_reused(apc: pd.DataFrame, shared_data: Path) -> None:
    real = set(pd.read_csv(shared_data / "hrg_trimpoints.csv")["sushrg"])
    real |= set(pd.read_csv(shared_data / "reference_costs_2010_2016.csv")["sushrg"])
    assert not set(apc[A.HRG_CODE]) & real
