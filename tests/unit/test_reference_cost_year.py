"""The reference-cost tariff's year: the most complete one by default, financial years accepted.

Small made-up files in the public file's shape; the real file is checked where it is present
(``../shared/data``; skipped cleanly where it is not).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from quasimarket.errors import InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.tariff import annex_a as aa
from quasimarket.tariff.reference_costs import (
    annex_a_from_reference_costs,
    build_reference_cost_tariff,
    financial_year_of,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Year 2014: 2 HRGs; Year 2015: 3 HRGs (the most complete); Year 2016: 1 HRG, plus an
    HRG with only an outpatient (DCRA) cost, which does not count."""
    rows = [
        ("AA01A", "One", 1000.0, "Elective", 2014, 100.0),
        ("AA02A", "Two", 2000.0, "Non_Elective_LS", 2014, 200.0),
        ("AA01A", "One", 1100.0, "Elective", 2015, 110.0),
        ("AA02A", "Two", 2100.0, "Non_Elective_LS", 2015, 210.0),
        ("AA02A", "Two", 900.0, "Non_Elective_SS", 2015, 0.0),
        ("AA03A", "Three", 300.0, "Day_case", 2015, 0.0),
        ("AA01A", "One", 1200.0, "Elective", 2016, 120.0),
        ("ZZ01Z", "Clinic", 90.0, "DCRA", 2016, 0.0),
        ("ZZ02Z", "Clinic 2", 95.0, "DCRA", 2016, 0.0),
        ("ZZ03Z", "Clinic 3", 99.0, "DCRA", 2016, 0.0),
    ]
    pd.DataFrame(
        rows, columns=["sushrg", "description", "cost", "type", "Year", "Excess_unit_cost"]
    ).to_csv(tmp_path / "reference_costs_2010_2016.csv", index=False)
    pd.DataFrame({"sushrg": ["AA01A", "AA02A"], "Episode.Trimpoint": [5, 32000]}).to_csv(
        tmp_path / "hrg_trimpoints.csv", index=False
    )
    return tmp_path


def test_default_is_the_most_complete_year_and_says_so(folder: Path) -> None:
    built = build_reference_cost_tariff(folder)
    assert built.year == 2015
    assert built.financial_year == FinancialYear(2014)
    assert built.chosen_by_default
    assert built.hrgs_by_year == {2014: 2, 2015: 3, 2016: 1}
    assert "Year 2015 (financial year 2014/15)" in built.notes[0]
    assert "most complete" in built.notes[0]
    frame = built.frame.set_index(aa.HRG_CODE)
    assert frame.loc["AA01A", aa.ELECTIVE] == 1100.0
    assert frame.loc["AA02A", aa.RSSE_PRICE] == 900.0  # short stay 900 < long stay 2,100
    assert frame.loc["AA02A", aa.RSSE_PERCENT] == pytest.approx(900 / 2100)
    assert frame.loc["AA02A", aa.EXCESS_BED_DAY] == 210.0
    assert pd.isna(frame.loc["AA02A", aa.NON_ELECTIVE_TRIM])  # 32000 = no trim point


@pytest.mark.parametrize("year", [2016, "2016", "2015/16", "2015-16", FinancialYear(2015)])
def test_year_as_file_value_or_financial_year(folder: Path, year: object) -> None:
    built = build_reference_cost_tariff(folder, year=year)  # type: ignore[arg-type]
    assert built.year == 2016
    assert not built.chosen_by_default
    assert built.frame[aa.HRG_CODE].tolist() == ["AA01A"]
    assert "as asked" in built.notes[0]
    assert "the most complete year is 2015 (2014/15)" in built.notes[0]


def test_dataframe_form_carries_the_year(folder: Path) -> None:
    frame = annex_a_from_reference_costs(folder)
    assert frame.attrs["year"] == 2015
    assert frame.attrs["financial_year"] == "2014/15"
    assert "most complete" in frame.attrs["notes"][0]


def test_missing_and_bad_years(folder: Path) -> None:
    with pytest.raises(
        InputError, match=r"no reference costs for Year 2020 \(financial year 2019/20\)"
    ) as err:
        build_reference_cost_tariff(folder, year="2019/20")
    assert "2015 (2014/15): 3" in str(err.value.expected)
    with pytest.raises(InputError, match="not a reference-cost year") as err:
        build_reference_cost_tariff(folder, year="next year")
    assert err.value.location == "--year"


def test_year_mapping() -> None:
    assert str(financial_year_of(2016)) == "2015/16"
    assert str(financial_year_of(2011)) == "2010/11"


def test_real_file_default_is_2015_16(shared_data: Path) -> None:
    """The public file: Year 2016 (2015/16, HRG4+) has by far the most HRGs with a cost."""
    raw = pd.read_csv(shared_data / "reference_costs_2010_2016.csv")
    priced = raw[raw["type"].isin(["Elective", "Day_case", "Non_Elective_LS"]) & raw.cost.notna()]
    counts = priced.groupby("Year")["sushrg"].nunique()
    built = build_reference_cost_tariff(shared_data)
    assert built.year == int(counts.idxmax())
    assert str(built.financial_year) == f"{built.year - 1}/{built.year % 100:02d}"
    assert len(built.frame) == counts.max()
    assert built.hrgs_by_year == {int(k): int(v) for k, v in counts.items()}
