"""The validation layer: declared limits, cross-field checks, explicit dates, tariff and MFF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quasimarket.activity import ActivityTable
from quasimarket.contracts import parse_contract
from quasimarket.errors import InputError
from quasimarket.pricing import price
from quasimarket.tariff import annex_a as aa
from quasimarket.tariff.table import TariffTable
from quasimarket.validation.docs import render_markdown
from quasimarket.validation.schema import ACTIVITY_BOUNDS

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[2] / "docs" / "input-validation.md"


def spells(n: int = 4) -> pd.DataFrame:
    """*n* valid elective spells of one patient each, dated in 2016/17."""
    return pd.DataFrame(
        {
            "record_id": [f"S{i}" for i in range(1, n + 1)],
            "patient_id": [f"P{i}" for i in range(1, n + 1)],
            "commissioner": "QS01",
            "provider": "RX1",
            "pod": "elective",
            "hrg": "HB12C",
            "admission_date": "2016-05-02",
            "discharge_date": "2016-05-06",
            "los_days": 4,
            "age": 70,
        }
    )


def compile_(frame: pd.DataFrame, **kw: object) -> ActivityTable:
    return ActivityTable.from_frame(frame, file="act.csv", **kw)  # type: ignore[arg-type]


def refused(frame: pd.DataFrame, *needles: str, **kw: object) -> str:
    with pytest.raises(InputError) as err:
        compile_(frame, **kw)
    text = err.value.render()
    for needle in needles:
        assert needle in text, text
    return text


# -- declared limits -----------------------------------------------------------------------


def test_integers_that_would_wrap_are_refused_not_wrapped() -> None:
    refused(spells().assign(age=[70, 65566, 70, 70]), "age out of range", "65566", "rows 3")
    frame = spells().drop(columns=["admission_date", "discharge_date"]).assign(month=2)
    refused(frame.assign(los_days=[4, 2**32 + 5, 4, 4]), "los_days", str(2**32 + 5))


def test_ten_thousand_day_stay_is_refused_and_a_long_one_is_noted() -> None:
    frame = spells().drop(columns=["admission_date", "discharge_date"]).assign(month=2)
    refused(frame.assign(los_days=[10_000, 4, 4, 4]), "los_days out of range", "0 to 3,653 days")
    table = compile_(frame.assign(los_days=[400, 500, 4, 4]))
    assert len(table.notes) == 1
    assert "2 activity rows" in table.notes[0]
    assert "rows 2, 3" in table.notes[0]


def test_ae_department_type_must_be_1_to_4_and_a_blank_is_noted() -> None:
    ae = spells().assign(pod="ae", hrg="VB03Z", los_days=0, discharge_date="2016-05-02")
    refused(ae.assign(ae_dept_type=[1, 9, 3, 4]), "ae_dept_type", "one of 1, 2, 3, 4")
    table = compile_(ae.assign(ae_dept_type=[1.0, np.nan, 3.0, np.nan]))
    assert list(table.ae_dept_type) == [1, 1, 3, 1]
    assert any("2 A&E attendance(s)" in n and "type 1" in n for n in table.notes)


def test_admitted_spell_without_a_stay_is_refused() -> None:
    frame = spells().drop(columns=["los_days", "discharge_date"])
    refused(frame, "4 admitted spell(s) have no length of stay")
    # a day case has no stay by definition, and an outpatient attendance none to price
    assert compile_(frame.assign(pod="day_case")).los_days.tolist() == [0] * 4


def test_blank_record_id_is_refused() -> None:
    refused(spells().assign(record_id=["S1", "", "S3", "S4"]), "no record_id", "rows 3")
    refused(spells().assign(record_id=[1.0, np.nan, 3.0, 4.0]), "no record_id", "rows 3")


# -- between columns -----------------------------------------------------------------------


def test_los_contradicting_the_dates_is_refused() -> None:
    text = refused(spells().assign(los_days=[4, 9, 4, 4]), "los_days contradicts the dates")
    assert "record S2 has los_days 9 but its dates are 4 days apart" in text


def readmissions() -> pd.DataFrame:
    """S1 elective index spell (2-6 May); S2 an emergency readmission on 20 May."""
    frame = spells(3)
    frame["patient_id"] = ["P1", "P1", "P2"]
    frame["pod"] = ["elective", "non_elective", "op_first"]
    frame["admission_date"] = ["2016-05-02", "2016-05-20", "2016-05-10"]
    frame["discharge_date"] = ["2016-05-06", "2016-05-22", "2016-05-10"]
    frame["los_days"] = [4, 2, 0]
    frame["readmission_of"] = [None, "S1", None]
    return frame


def test_a_valid_readmission_link_is_kept() -> None:
    table = compile_(readmissions())
    assert table.readmission_of.tolist() == [-1, 0, -1]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda f: f.assign(readmission_of=[None, "S2", None]), "points at the record itself"),
        (
            lambda f: f.assign(readmission_of=["S2", None, None]),
            "not an emergency admitted spell",
        ),
        (
            lambda f: f.assign(pod=["elective", "non_elective", "non_elective"]).assign(
                readmission_of=[None, None, "S2"], patient_id=["P1", "P2", "P2"]
            ),
            "discharged after this admission",
        ),
        (
            lambda f: f.assign(pod=["op_first", "non_elective", "op_first"]),
            "not an admitted-care spell",
        ),
        (lambda f: f.assign(patient_id=["P1", "P9", "P2"]), "another patient's spell"),
        (lambda f: f.assign(provider=["RX1", "RX2", "RX1"]), "another provider"),
        (
            lambda f: f.assign(
                admission_date=["2016-05-02", "2016-07-20", "2016-05-10"],
                discharge_date=["2016-05-06", "2016-07-22", "2016-05-10"],
            ),
            "more than 30 days before",
        ),
    ],
)
def test_impossible_readmission_links_are_refused(change, needle) -> None:  # type: ignore[no-untyped-def]
    refused(change(readmissions()), needle, "column 'readmission_of'")


def test_undated_link_to_a_later_month_is_refused() -> None:
    frame = readmissions().drop(columns=["admission_date", "discharge_date"])
    frame["month"] = [5, 3, 2]
    refused(frame, "a spell in a later month")


def test_decimal_patient_ids_that_collide_are_refused() -> None:
    frame = spells().assign(patient_id=[2.0**53, 2.0**53 + 2, 3.0, 4.5])
    refused(frame, "patient ids were read as decimals", "export patient_id as text")


def test_one_patient_with_two_ages_is_noted() -> None:
    frame = spells().assign(patient_id=["P1", "P1", "P2", "P2"], age=[70, 30, 40, 41])
    notes = compile_(frame).notes
    assert len(notes) == 1
    assert notes[0].startswith("1 patient id(s)")


# -- dates ---------------------------------------------------------------------------------


def test_uk_dates_are_day_first() -> None:
    frame = spells().assign(admission_date="05/06/2016", discharge_date="09/06/2016")
    table = compile_(frame)
    assert table.month.tolist() == [3] * 4  # June = month 3 of the financial year
    assert np.datetime64("2016-06-09") == table.day[0].astype("datetime64[D]")


def test_hes_and_iso_dates_are_read() -> None:
    hes = compile_(spells().assign(admission_date="20160502", discharge_date="20160506"))
    iso = compile_(spells().assign(discharge_date="2016-05-06 14:30:00"))
    assert hes.day.tolist() == iso.day.tolist() == compile_(spells()).day.tolist()


def test_mixed_date_formats_are_refused() -> None:
    frame = spells().assign(admission_date=["2016-05-02", "02/05/2016", "2016-05-02", "2016-05-02"])
    refused(frame, "mixes date formats", "'2016-05-02' (ISO (YYYY-MM-DD))", "'02/05/2016'")


def test_month_first_dates_need_the_format_given() -> None:
    frame = spells().assign(
        admission_date=["05/02/2016", "12/25/2016", "05/02/2016", "05/02/2016"],
        discharge_date=["05/06/2016", "12/29/2016", "05/06/2016", "05/06/2016"],
    )
    refused(frame, "month first ('12/25/2016')", "--date-format '%m/%d/%Y'")
    table = compile_(frame, date_format="%m/%d/%Y")
    assert table.month.tolist() == [2, 9, 2, 2]  # May, December


def test_explicit_format_refuses_other_cells() -> None:
    frame = spells().assign(admission_date=["02/05/2016", "2016-05-02", "02/05/2016", "x"])
    refused(frame, "dates that cannot be read", "'2016-05-02'", date_format="%d/%m/%Y")


@pytest.mark.parametrize("bad", ["31/02/2016", "1900-01-01", "2016-13-01", "yesterday"])
def test_impossible_dates_are_refused(bad: str) -> None:
    refused(spells().assign(admission_date=[bad, *["2016-05-02"] * 3]), "admission_date")


# -- tariff and MFF ------------------------------------------------------------------------


def apc(**changes: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            aa.HRG_CODE: ["HB12C", "FZ21A"],
            aa.HRG_NAME: ["Hip", "Colonoscopy"],
            aa.OP_PROCEDURE: [np.nan, 410.0],
            aa.COMBINED_DC_EL: [5870.0, np.nan],
            aa.DAY_CASE: [np.nan, 520.0],
            aa.ELECTIVE: [np.nan, 1100.0],
            aa.ELECTIVE_TRIM: [9, 3],
            aa.NON_ELECTIVE: [6500.0, 1650.0],
            aa.NON_ELECTIVE_TRIM: [18, 20],
            aa.EXCESS_BED_DAY: [262.0, 240.0],
            aa.RSSE_APPLICABLE: ["No", "Yes"],
            aa.RSSE_PERCENT: [np.nan, 30],
            aa.RSSE_PRICE: [np.nan, np.nan],
        }
    )
    for column, value in changes.items():
        frame[getattr(aa, column)] = value
    return frame


def mff(index: list[float], codes: tuple[str, ...] = ("RX1", "RX2")) -> pd.DataFrame:
    return pd.DataFrame({aa.MFF_ORG_CODE: list(codes), aa.MFF_INDEX: index})


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"NON_ELECTIVE": [-6500.0, 1650.0]}, "Non-elective spell tariff"),
        ({"NON_ELECTIVE": [np.inf, 1650.0]}, "inf"),
        ({"ELECTIVE_TRIM": [-9, 3]}, "trim point"),
        ({"EXCESS_BED_DAY": [-262.0, 240.0]}, "long stay payment"),
        ({"RSSE_PERCENT": [np.nan, 300]}, "short stay"),
    ],
)
def test_impossible_tariff_values_are_refused(changes: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError) as err:
        TariffTable.from_frames(apc(**changes), files={"apc": "apc.csv"})
    assert "out of range" in err.value.problem
    assert needle.lower() in err.value.render().lower()
    assert err.value.file == "apc.csv"


def test_an_implausible_price_is_noted() -> None:
    table = TariffTable.from_frames(apc(NON_ELECTIVE=[2_500_000.0, 1650.0]))
    assert len(table.notes) == 1
    assert "plausible at most 1e+06 £" in table.notes[0]


@pytest.mark.parametrize("index", [100.0, 96.5, 0.1, np.inf])
def test_mff_outside_half_to_two_is_refused(index: float) -> None:
    with pytest.raises(InputError, match="MFF payment index out of range") as err:
        TariffTable.from_frames(apc(), mff=mff([1.02, index]))
    assert "0.965, not 96.5" in (err.value.fix or "")
    with pytest.raises(InputError, match="MFF payment index out of range"):
        TariffTable.from_frames(apc()).with_mff(mff([1.02, index]))


def test_a_blank_mff_is_refused_as_blank() -> None:
    with pytest.raises(InputError, match="MFF payment index is blank in 1 row") as err:
        TariffTable.from_frames(apc(), mff=mff([1.02, np.nan]))
    assert err.value.location == "column 'MFF payment index', rows 3"


def test_a_high_mff_is_noted_and_a_replaced_table_drops_the_note() -> None:
    table = TariffTable.from_frames(apc(), mff=mff([1.02, 1.45]))
    assert len(table.notes) == 1
    assert table.notes[0].startswith("MFF:")
    assert table.with_mff(mff([1.02, 1.1])).notes == ()


CONTRACT = """
format = "quasimarket.contract/1"
name = "MFF test"
year = "2016/17"
form = "nhs_standard_contract"
[[commissioners]]
code = "QS01"
name = "CCG"
[[providers]]
code = "RX1"
name = "Trust"
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["elective"]
mechanism = "national_tariff"
"""


def test_pricing_refuses_an_mff_table_without_the_provider_and_notes_a_missing_table() -> None:
    contract = parse_contract(CONTRACT)
    frame = spells().drop(columns=["patient_id"]).assign(year="2016/17")
    with pytest.raises(InputError, match="MFF table has no row for provider RX1"):
        price(contract, frame, TariffTable.from_frames(apc(), mff=mff([1.0], ("RX9",))))
    result = price(contract, frame, TariffTable.from_frames(apc()))
    assert any("no MFF table" in n and "RX1" in n for n in result.notes)
    with_mff = price(contract, frame, TariffTable.from_frames(apc(), mff=mff([1.1], ("RX1",))))
    assert not any("MFF" in n for n in with_mff.notes)
    ratio = with_mff.totals()["tariff_gbp"] / result.totals()["tariff_gbp"]
    assert ratio == pytest.approx(1.1)


def test_the_docs_page_is_generated_from_the_schema() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "regenerate: python -m quasimarket.validation.docs > docs/input-validation.md"
    )


# -- properties ----------------------------------------------------------------------------

valid_row = st.fixed_dictionaries(
    {
        "pod": st.sampled_from(["day_case", "elective", "non_elective", "op_first", "ae"]),
        "age": st.integers(0, 115),
        "los": st.integers(0, 365),
        "day": st.integers(0, 364),
        "ae_type": st.integers(1, 4),
    }
)


def table_of(rows: list[dict[str, int | str]]) -> pd.DataFrame:
    start = np.datetime64("2016-04-01")
    admit = [start + np.timedelta64(int(r["day"]), "D") for r in rows]
    stay = [0 if r["pod"] in ("day_case", "op_first", "ae") else int(r["los"]) for r in rows]
    return pd.DataFrame(
        {
            "record_id": range(1, len(rows) + 1),
            "commissioner": "QS01",
            "provider": "RX1",
            "pod": [r["pod"] for r in rows],
            "hrg": "HB12C",
            "admission_date": [str(a) for a in admit],
            "discharge_date": [
                str(a + np.timedelta64(s, "D")) for a, s in zip(admit, stay, strict=True)
            ],
            "los_days": stay,
            "age": [r["age"] for r in rows],
            "ae_dept_type": [r["ae_type"] for r in rows],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(valid_row, min_size=1, max_size=30))
def test_random_valid_tables_never_raise_and_carry_no_notes(
    rows: list[dict[str, int | str]],
) -> None:
    table = compile_(table_of(rows))
    assert len(table) == len(rows)
    assert table.notes == ()


_BAD_VALUE = {
    "age": st.one_of(
        st.integers(131, 2**40), st.integers(-(2**40), -1), st.sampled_from([np.inf, 0.5])
    ),
    "los_days": st.one_of(st.integers(3654, 2**40), st.integers(-(2**40), -1)),
    "ae_dept_type": st.one_of(st.integers(5, 99), st.integers(-5, 0)),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(valid_row, min_size=1, max_size=20),
    column=st.sampled_from(sorted(_BAD_VALUE)),
    data=st.data(),
)
def test_random_invalid_cells_are_always_refused_naming_the_column(
    rows: list[dict[str, int | str]], column: str, data: st.DataObject
) -> None:
    frame = table_of(rows)
    if column == "los_days":
        frame = frame.drop(columns=["admission_date", "discharge_date"]).assign(month=1)
    at = data.draw(st.integers(0, len(rows) - 1))
    frame[column] = frame[column].astype(object)
    frame.loc[at, column] = data.draw(_BAD_VALUE[column])
    with pytest.raises(InputError) as err:
        compile_(frame)
    assert column in (err.value.location or "")
    assert f"rows {at + 2}" in (err.value.location or "")


@settings(max_examples=40, deadline=None)
@given(
    value=st.sampled_from([np.inf, -np.inf, 5e-324, -5e-324, 1e-310]),
    column=st.sampled_from(["NON_ELECTIVE", "EXCESS_BED_DAY", "ELECTIVE_TRIM"]),
)
def test_non_finite_and_subnormal_tariff_values(value: float, column: str) -> None:
    frame = apc(**{column: [value, 100.0]})
    if not np.isfinite(value) or value < 0:
        with pytest.raises(InputError, match="out of range"):
            TariffTable.from_frames(frame)
    else:  # a subnormal positive price is a (tiny) real number: accepted, and stays finite
        table = TariffTable.from_frames(frame)
        assert np.isfinite(table.unit_price[~np.isnan(table.unit_price)]).all()


def test_age_bound_is_declared_once() -> None:
    assert ACTIVITY_BOUNDS["age"].refuse_above == 130
