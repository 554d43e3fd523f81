"""Real NHS extracts priced as published: one named regression test per silent error once
found (readmissions lost when other rows share the file, a count column ignored, HES FYEAR
misread, HES/SLAM names refused), the extract formats, and the count property.

Worked examples use a one-HRG tariff (NEL £1,000, elective £2,000, outpatient first £150,
follow-up £80, A&E type 1 £120), checked by hand in each docstring.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quasimarket.activity import ActivityTable, load_activity
from quasimarket.activity.formats import FORMATS, adapt, detect_format
from quasimarket.contracts import Contract, parse_contract
from quasimarket.errors import ConfigError, InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.pricing import price
from quasimarket.tariff import TariffTable, load_tariff
from quasimarket.vocabulary import POD_CODES

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activity"
#: The fixtures' contract: one admitted-care line (with the readmissions rule), outpatients,
#: A&E, all at the national tariff.
CONTRACT = (FIXTURES / "contract.toml").read_text(encoding="utf-8")
READMISSIONS = '[[lines.adjustments]]\nrule = "readmissions"\navoidable_share = 0.5\n'
MRET_AND_CQUIN = (
    '[[lines.adjustments]]\nrule = "mret"\nbaseline_value = 2000\nrate = 0.7\n'
    '[[lines.adjustments]]\nrule = "cquin"\nrate = 0.025\n'
    '[[lines.adjustments.goals]]\nname = "A"\nweight = 1.0\nachievement = 0.5\n'
)


def contract(apc_rules: str = READMISSIONS) -> Contract:
    """The fixtures' contract with *apc_rules* as the admitted-care line's adjustments."""
    assert READMISSIONS in CONTRACT
    return parse_contract(CONTRACT.replace(READMISSIONS, apc_rules))


def tariff() -> TariffTable:
    """The one-HRG tariff of the activity fixtures (``tests/fixtures/activity/tariff``)."""
    return load_tariff(FIXTURES / "tariff")


def mixed_frame() -> pd.DataFrame:
    """One trust's APC, OP and A&E rows in one file: patient P1 is admitted electively
    (1-5 April), readmitted as an emergency on 20 April (15 days later), and seen in
    outpatients; P2 attends A&E. Outpatient and A&E rows have no discharge date."""
    return pd.DataFrame(
        {
            "record_id": ["S1", "S2", "O1", "A1"],
            "patient_id": ["P1", "P1", "P1", "P2"],
            "commissioner": ["QS01"] * 4,
            "provider": ["SR001"] * 4,
            "pod": ["elective", "non_elective", "op_first", "ae"],
            "hrg": ["AA01A", "AA01A", None, "VB01Z"],
            "tfc": [None, None, "100", None],
            "admission_date": ["2016-04-01", "2016-04-20", "2016-05-01", "2016-05-02"],
            "discharge_date": ["2016-04-05", "2016-04-22", None, None],
            "age": [70, 70, 70, 30],
            "ae_dept_type": [None, None, None, 1],
        }
    )


# --- silent errors once found -----------------------------------------------------------------


def test_readmissions_link_although_outpatient_and_ae_rows_share_the_file() -> None:
    """S2 readmits S1 within 30 days: NEL £1,000 x avoidable 50% = −£500. Once, the linking
    needed both dates on every row, so the OP and A&E rows (no discharge date) made it £0."""
    table = ActivityTable.from_frame(mixed_frame())
    assert table.readmission_of.tolist() == [-1, 0, -1, -1]
    result = price(contract(), table, tariff())
    totals = result.totals()
    assert totals["readmissions_gbp"] == pytest.approx(-500.0)
    # 2,000 + 1,000 + 150 + 120 = 3,270 at tariff; less the readmission
    assert totals["formal_gbp"] == pytest.approx(2770.0)


def test_admitted_spells_without_dates_are_left_out_of_linking_with_a_count() -> None:
    frame = mixed_frame()
    frame.loc[0, "discharge_date"] = None
    frame["los_days"] = [4, 2, None, None]
    table = ActivityTable.from_frame(frame)
    assert table.readmission_of.tolist() == [-1, -1, -1, -1]
    assert any("1 admitted spell(s)" in n for n in table.readmission_notes)
    result = price(contract(), table, tariff())
    assert any("1 admitted spell(s)" in n and "readmission linking" in n for n in result.notes)
    quiet = price(contract(""), table, tariff())  # no readmissions rule: nothing to say
    assert not any("readmission linking" in n for n in quiet.notes)


def test_no_patient_ids_with_a_readmissions_rule_is_a_note() -> None:
    table = ActivityTable.from_frame(mixed_frame().drop(columns=["patient_id"]))
    result = price(contract(), table, tariff())
    assert result.totals()["readmissions_gbp"] == 0.0
    assert any("neither patient_id nor readmission_of" in n for n in result.notes)
    quiet = price(contract(""), table, tariff())  # no rule, no note
    assert not any("readmission_of" in n for n in quiet.notes)


def test_a_shorter_window_is_measured_where_dates_exist() -> None:
    """A 14-day window: S2 was admitted 15 days after S1's discharge, so it is not deducted,
    though the OP and A&E rows have no discharge date (once, any undated row turned the
    contract's window off and the link's 30 days applied)."""
    rules = READMISSIONS + "window_days = 14\n"
    result = price(contract(rules), ActivityTable.from_frame(mixed_frame()), tariff())
    assert result.totals()["readmissions_gbp"] == 0.0
    wide = price(contract(READMISSIONS), ActivityTable.from_frame(mixed_frame()), tariff())
    assert wide.totals()["readmissions_gbp"] == pytest.approx(-500.0)


def test_a_spell_with_no_dates_and_no_los_is_refused_not_priced_as_a_short_stay() -> None:
    frame = mixed_frame().drop(columns=["admission_date", "discharge_date"]).assign(month=1)
    with pytest.raises(InputError, match="no length of stay") as err:
        ActivityTable.from_frame(frame, file="apc.csv")
    assert "rows 2, 3" in str(err.value)


def test_a_count_column_is_weighed_not_ignored() -> None:
    """SLAM 'Activity' = 3 on a non-elective row is 3 spells: 3 x £1,000 = £3,000 (once it
    was priced as one spell, £1,000)."""
    slam = pd.DataFrame(
        {
            "Spell ID": ["R1", "R2"],
            "Commissioner Code": ["QS01", "QS01"],
            "Provider Code": ["SR001", "SR001"],
            "POD": ["NEL", "OPFA"],
            "HRG Code": ["AA01A", None],
            "Treatment Function Code": [None, "100"],
            "Activity": [3, 2],
            "LOS": [2, None],
            "Age": [60, 60],
            "Month": [1, 1],
            "FYEAR": ["1617", "1617"],
        }
    )
    table = ActivityTable.from_frame(slam, fmt="slam")
    assert len(table) == 5
    assert table.record_id.tolist() == ["R1#1", "R1#2", "R1#3", "R2#1", "R2#2"]
    totals = price(contract(""), table, tariff()).totals()
    assert totals["tariff_gbp"] == pytest.approx(3 * 1000.0 + 2 * 150.0)


@pytest.mark.parametrize(
    ("given_year", "start"),
    [("1617", 2016), ("201617", 2016), ("2016/17", 2016), ("2016-17", 2016), ("9900", 1999)],
)
def test_hes_financial_year_forms(given_year: str, start: int) -> None:
    """HES FYEAR 1617 is 2016/17 (once it was read as 1617/18, and 201617 was refused)."""
    frame = mixed_frame().drop(columns=["admission_date", "discharge_date"])
    frame = frame.assign(month=1, los_days=[4, 2, None, None], FYEAR=given_year)
    table = ActivityTable.from_frame(frame)
    assert set(table.fy_start.tolist()) == {start}


def test_fyear_that_disagrees_with_the_dates_is_refused() -> None:
    frame = mixed_frame().assign(fyear=["1617", "1617", "1516", "1617"])
    with pytest.raises(InputError, match="disagrees with their dates") as err:
        ActivityTable.from_frame(frame, file="hes.csv")
    assert "rows 4" in str(err.value)
    assert "'1516'" in str(err.value)


def test_a_config_year_of_1617_is_refused_with_the_hes_reading() -> None:
    with pytest.raises(ConfigError, match="HES FYEAR, write 2016/17"):
        FinancialYear.parse("1617")
    assert FinancialYear.parse("2016") == FinancialYear(2016)  # config: a start year
    assert FinancialYear.parse_extract("2021") == FinancialYear(2020)  # HES: 2020/21


def test_non_contract_activity_is_priced_at_tariff_in_its_own_statement() -> None:
    """QX99 is not on the contract: its outpatient first attendance (£150) and A&E
    attendance (£120) are invoiced to QX99 at tariff, £270, in a separate statement (once, a
    hard error); the contract's own money is QS01's spells only: £3,000 less the
    readmission's £500."""
    frame = mixed_frame()
    frame.loc[2:, "commissioner"] = "QX99"
    result = price(contract(), ActivityTable.from_frame(frame), tariff())
    assert result.totals()["formal_gbp"] == pytest.approx(2500.0)
    nca = result.non_contract
    assert nca is not None
    assert nca.totals()["formal_gbp"] == pytest.approx(270.0)
    assert {line.commissioner for line in nca.contract.lines} == {"QX99"}
    assert any("non-contract activity" in n and "£270.00" in n for n in result.notes)
    with pytest.raises(InputError, match="commissioners the contract does not cover: QX99"):
        price(contract(), ActivityTable.from_frame(frame), tariff(), non_contract="refuse")


def test_non_contract_records_that_name_a_contract_line_are_still_non_contract() -> None:
    """A line_id names the contract's lines; QX99's attendance is still invoiced to QX99."""
    frame = mixed_frame().assign(line_id=["apc", "apc", "op", "ae"])
    frame.loc[2, "commissioner"] = "QX99"
    result = price(contract(), ActivityTable.from_frame(frame), tariff())
    assert result.non_contract is not None
    assert result.non_contract.totals()["formal_gbp"] == pytest.approx(150.0)
    assert result.totals()["formal_gbp"] == pytest.approx(2620.0)  # 3,120 less £500


def test_non_contract_activity_without_a_national_price_is_refused() -> None:
    frame = mixed_frame()
    frame.loc[2, ["commissioner", "pod", "tfc"]] = ["QX99", "community_contact", None]
    with pytest.raises(InputError, match="no national price"):
        price(contract(), ActivityTable.from_frame(frame), tariff())


# --- extract formats -----------------------------------------------------------------------


def hes_apc() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "EPIKEY": [101, 102],
            "HESID": ["P1", "P1"],
            "ccg_responsibility": ["QS01", "QS01"],
            "PROCODE3": ["SR001", "SR001"],
            "ADMIMETH": ["11", "21"],
            "CLASSPAT": ["1", "1"],
            "ADMIDATE": ["20160401", "20160420"],
            "DISDATE": ["20160405", "20160422"],
            "SPELDUR": [4, 2],
            "ADMIAGE": [70, 70],
            "SUSHRG": ["AA01A", "AA01A"],
            "FYEAR": ["1617", "1617"],
            "MYDOB": ["011946", "011946"],
        }
    )


def hes_op() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ATTENDKEY": [201, 202, 203],
            "HESID": ["P1", "P1", "P1"],
            "CCG_RESPONSIBILITY": ["QS01"] * 3,
            "PROCODE3": ["SR001"] * 3,
            "APPTDATE": ["20160501", "20160601", "20160701"],
            "APPTAGE": [70, 70, 70],
            "TRETSPEF": ["100", "100", "100"],
            "FIRSTATT": ["1", "2", "2"],
            "ATTENDED": ["5", "6", "3"],
        }
    )


def hes_ae() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "AEKEY": [301],
            "HESID": ["P2"],
            "CCG_RESPONSIBILITY": ["QS01"],
            "PROCODE3": ["SR001"],
            "ARRIVALDATE": ["20160502"],
            "ARRIVALAGE": [30],
            "AEDEPTTYPE": [1],
            "SUSHRG": ["VB01Z"],
        }
    )


def test_hes_files_load_together_and_price_by_hand(tmp_path: Path) -> None:
    """HES APC + OP + A&E of one trust: elective £2,000, NEL £1,000 readmitting the elective
    spell (−£500), OP first £150 and one follow-up £80 (the third appointment was not
    attended, ATTENDED = 3: not paid), A&E type 1 £120. Formal £2,850."""
    paths = []
    for name, frame in (("apc", hes_apc()), ("op", hes_op()), ("ae", hes_ae())):
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    table = load_activity(paths)
    assert [detect_format(list(f.columns)) for f in (hes_apc(), hes_op(), hes_ae())] == [
        "hes-apc",
        "hes-op",
        "hes-ae",
    ]
    assert sorted(table.pod.tolist()) == sorted(
        POD_CODES[p] for p in ("elective", "non_elective", "op_first", "op_follow_up", "ae")
    )
    assert any("not attended" in n and "1 outpatient" in n for n in table.notes)
    assert any("ignored MYDOB" in n for n in table.notes)
    result = price(contract(), table, tariff())
    assert result.totals()["readmissions_gbp"] == pytest.approx(-500.0)
    assert result.totals()["formal_gbp"] == pytest.approx(2850.0)


def test_hes_episodes_are_priced_once_per_spell() -> None:
    """A HES APC extract of episodes: only the last episode of each spell (SPELEND = Y) is
    priced, and the others are counted in a note (EPIKEY is an episode key)."""
    frame = pd.concat([hes_apc(), hes_apc().iloc[[1]]], ignore_index=True)
    frame["EPIKEY"] = [101, 102, 103]
    frame["SPELEND"] = ["Y", "N", "Y"]
    table = ActivityTable.from_frame(frame, file="apc.csv")
    assert table.record_id.tolist() == [101, 103]
    assert any("1 episode(s) of apc.csv are not the last" in n for n in table.notes)


def test_files_with_different_id_columns_combine_without_nan_ids(tmp_path: Path) -> None:
    """Once, concatenating an A&E file (AEKEY) and an OP file (ATTENDKEY) gave 'duplicate
    record ids: nan'."""
    (tmp_path / "op.csv").write_text(hes_op().to_csv(index=False))
    (tmp_path / "ae.csv").write_text(hes_ae().to_csv(index=False))
    table = load_activity([tmp_path / "op.csv", tmp_path / "ae.csv"])
    assert sorted(table.record_id.tolist()) == ["201", "202", "301"]


def test_the_same_record_id_in_two_files_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(hes_ae().to_csv(index=False))
    (tmp_path / "b.csv").write_text(hes_ae().to_csv(index=False))
    with pytest.raises(InputError, match=r"record id\(s\) of .*b.csv are also in .*a.csv") as e:
        load_activity([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert "rows 2" in str(e.value)


def test_slam_names_and_codes_match_in_any_case() -> None:
    frame = pd.DataFrame(
        {
            "PROVIDER CODE": ["SR001"] * 5,
            "commissioner code": ["QS01"] * 5,
            "Spell ID": ["a", "b", "c", "d", "e"],
            "Pod": ["EL", "dc", "Nel", "OPFA", "opfup"],
            "hrg code": ["AA01A", "AA01A", "AA01A", None, None],
            "TFC": [None, None, None, "100", "100"],
            "Los": [2, 0, 1, None, None],
            "AGE": [40] * 5,
            "Month": [3] * 5,
        }
    )
    table = ActivityTable.from_frame(frame, fmt="slam")
    assert table.pod.tolist() == [
        POD_CODES[p] for p in ("elective", "day_case", "non_elective", "op_first", "op_follow_up")
    ]


def test_every_format_is_recognised_by_its_own_columns() -> None:
    # (that every name maps to a schema column: test_activity_loading)
    for spec in FORMATS.values():
        assert spec.signature, spec.name
        assert set(spec.signature) <= set(spec.columns), spec.name


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("ADMIMETH", "77", "unknown admimeth code"),
        ("CLASSPAT", "7", "unknown classpat code"),
    ],
)
def test_an_unknown_hes_code_names_the_file_row_and_field(
    column: str, value: str, message: str
) -> None:
    frame = hes_apc()
    frame.loc[1, column] = value
    with pytest.raises(InputError, match=message) as err:
        ActivityTable.from_frame(frame, file="apc.csv")
    text = str(err.value)
    assert "apc.csv" in text
    assert "rows 3" in text
    assert repr(value) in text


@pytest.mark.parametrize("count", [0, -2, 1.5])
def test_a_bad_count_is_refused(count: float) -> None:
    frame = mixed_frame().assign(count=[1, count, 1, 1])
    with pytest.raises(InputError, match="count") as err:
        ActivityTable.from_frame(frame, file="slam.csv")
    assert "rows 3" in str(err.value)


def test_slam_excess_bed_day_rows_are_refused() -> None:
    frame = pd.DataFrame(
        {
            "Spell ID": ["a"],
            "Commissioner Code": ["QS01"],
            "Provider Code": ["SR001"],
            "POD": ["NELXBD"],
            "Age": [50],
            "Month": [1],
        }
    )
    with pytest.raises(InputError, match="excess bed day rows"):
        ActivityTable.from_frame(frame, fmt="slam")


def test_an_unknown_firstatt_code_is_refused() -> None:
    frame = hes_op()
    frame.loc[0, "FIRSTATT"] = "X"
    with pytest.raises(InputError, match="unknown firstatt"):
        ActivityTable.from_frame(frame, fmt="hes-op")


def test_two_aliases_for_one_field_take_the_preferred_and_say_so() -> None:
    """HES APC has ADMIAGE (age on admission) and STARTAGE (age at the episode's start):
    ADMIAGE feeds age, STARTAGE is reported as ignored."""
    frame = hes_apc().assign(STARTAGE=[71, 71])
    out, mapping = adapt(frame, "hes-apc", file="apc.csv")
    assert out["age"].tolist() == [70, 70]
    assert "STARTAGE" in mapping.ignored
    assert ("ADMIAGE", "age") in mapping.used


def test_two_columns_of_one_name_are_refused() -> None:
    frame = hes_apc().assign(admiage=[71, 71])
    with pytest.raises(InputError, match="both give 'age'"):
        adapt(frame, "hes-apc", file="apc.csv")


# --- property: counted rows price as their expanded records -------------------------------

ROW = st.tuples(
    st.sampled_from(["elective", "non_elective", "op_first", "op_follow_up", "ae"]),
    st.integers(1, 5),  # count
    st.integers(1, 12),  # month
    st.integers(0, 130),  # los_days (beyond the trim point of 100: excess bed days)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_expanding_counted_rows_never_changes_any_total(
    rows: list[tuple[str, int, int, int]],
) -> None:
    """Rows with a count, priced under MRET and CQUIN on the admitted-care line (line-level
    rules that see the whole line's value), pay what the same records listed one by one pay,
    rule by rule."""

    def frame(expand: bool) -> pd.DataFrame:
        out = []
        for k, (pod, count, month, los) in enumerate(rows):
            apc = pod in ("elective", "non_elective")
            base = {
                "commissioner": "QS01",
                "provider": "SR001",
                "pod": pod,
                "hrg": "AA01A" if apc else ("VB01Z" if pod == "ae" else None),
                "tfc": "100" if pod.startswith("op") else None,
                "los_days": los if apc else None,
                "age": 50,
                "month": month,
                "year": "2016/17",
            }
            if expand:
                out += [{**base, "record_id": f"{k}-{j}"} for j in range(count)]
            else:
                out.append({**base, "record_id": str(k), "count": count})
        return pd.DataFrame(out)

    terms = contract(MRET_AND_CQUIN)
    counted = price(terms, ActivityTable.from_frame(frame(False)), tariff()).totals()
    listed = price(terms, ActivityTable.from_frame(frame(True)), tariff()).totals()
    assert counted.keys() == listed.keys()
    for key in counted:
        assert counted[key] == pytest.approx(listed[key], abs=1e-6), key


def test_the_docs_list_every_format_as_the_code_has_it() -> None:
    from quasimarket.activity.formats import formats_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "activity-schema.md").read_text()
    begin, end = doc.index("-->\n", doc.index("formats:begin")) + 4, doc.index("<!-- formats:end")
    assert doc[begin:end] == formats_markdown(), (
        "regenerate the tables between the formats markers of docs/activity-schema.md from "
        "quasimarket.activity.formats.formats_markdown()"
    )
