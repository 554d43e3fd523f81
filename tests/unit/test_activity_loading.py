"""Activity: schema, SUS mapping, derivations, validation errors, readmission links, generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.activity import (
    ACTIVITY_COLUMNS,
    SUS_COLUMN_MAP,
    ActivityTable,
    load_activity,
    synthetic_activity,
)
from quasimarket.economy import small_economy
from quasimarket.errors import ConfigError, InputError
from quasimarket.mechanisms.national_tariff import POD_CODES

pytestmark = pytest.mark.unit


def sus_frame() -> pd.DataFrame:
    """A SUS-style extract: admimeth/classpat/dates instead of pod/los/month."""
    return pd.DataFrame(
        {
            "SPELL_ID": ["S1", "S2", "S3", "S4"],
            "hesid": ["P1", "P1", "P2", "P3"],
            "Commissioner_Code": ["QS01"] * 4,
            "procode": ["SR001"] * 4,
            "admimeth": ["11", "21", "12", "2B"],
            "classpat": ["1", "1", "2", "1"],
            "admidate": ["2016-04-01", "2016-04-20", "2016-03-31", "2016-09-01"],
            "disdate": ["2016-04-05", "2016-04-22", "2016-03-31", "2016-09-03"],
            "startage": [70, 70, 40, 30],
            "sushrg": ["hn12a", "HN12A", "FZ21A", "AA22C"],
            "dismeth": ["1", "1", "1", "2"],
        }
    )


def test_schema_documents_every_column() -> None:
    names = [c.name for c in ACTIVITY_COLUMNS]
    assert {
        "record_id",
        "commissioner",
        "provider",
        "pod",
        "hrg",
        "los_days",
        "age",
        "month",
        "readmission_of",
    } <= set(names)
    # extract-only columns: translated into schema columns (formats.py), never kept
    extract_only = {
        "discharge_method",
        "admission_source",
        "first_attendance",
        "attended",
        "spell_end",
    }
    assert set(SUS_COLUMN_MAP.values()) <= set(names) | extract_only


def test_sus_names_are_mapped_and_fields_derived() -> None:
    t = ActivityTable.from_frame(sus_frame())
    assert t.record_id.tolist() == ["S1", "S2", "S3", "S4"]
    assert t.pod.tolist() == [
        POD_CODES["elective"],
        POD_CODES["non_elective"],
        POD_CODES["day_case"],
        POD_CODES["non_elective"],
    ]
    assert t.los_days.tolist() == [4, 2, 0, 2]
    # month of discharge, April = 1; 31 March 2016 is month 12 of 2015/16
    assert t.month.tolist() == [1, 1, 12, 6]
    assert t.fy_start.tolist() == [2016, 2016, 2015, 2016]
    assert t.hrgs[t.hrg[0]] == "HN12A"  # codes upper-cased
    # S2 is an emergency admission 15 days after P1's discharge from S1
    assert t.readmission_of.tolist() == [-1, 0, -1, -1]
    assert t.transfer_in.tolist() == [False, False, False, True]  # admimeth 2B
    assert t.self_discharge.tolist() == [False, False, False, True]  # dismeth 2


def test_round_trip_through_a_frame() -> None:
    t = ActivityTable.from_frame(sus_frame())
    again = ActivityTable.from_frame(t.to_frame())
    for name in ("pod", "los_days", "age", "month", "readmission_of", "provider"):
        np.testing.assert_array_equal(getattr(again, name), getattr(t, name))


@pytest.mark.parametrize(
    ("change", "message", "where"),
    [
        (
            lambda f: f.assign(SPELL_ID=["S1", "S2", "S1", "S4"]),
            "duplicate record ids: S1",
            "rows 2, 4",
        ),
        (
            lambda f: f.assign(disdate=["2016-03-30", "2016-04-22", "2016-03-31", "2016-09-03"]),
            "discharge date before admission date for records S1",
            "rows 2",
        ),
        (
            lambda f: f.assign(spelldur=[1, -3, 0, 2]),
            "los_days out of range in 1 row",
            "rows 3",
        ),
        (lambda f: f.drop(columns=["procode"]), "missing column 'provider'", "header row"),
        (
            lambda f: f.assign(month=[1, 13, 2, 3]).drop(columns=["disdate", "admidate"]),
            "month out of range in 1 row",
            "rows 3",
        ),
    ],
)
def test_bad_rows_are_named(change, message, where) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message) as err:
        ActivityTable.from_frame(change(sus_frame()))
    assert where in str(err.value.location)
    assert err.value.fix


@pytest.mark.parametrize(
    ("yes", "no"), [(1, 0), ("Y", "N"), ("yes", "no"), ("TRUE", "false"), ("1.0", "0.0")]
)
def test_yes_no_columns_read_every_usual_coding(yes: object, no: object) -> None:
    flags = [True, False, False, True]
    frame = sus_frame().assign(bpt_met=[yes if f else no for f in flags])
    np.testing.assert_array_equal(ActivityTable.from_frame(frame).bpt_met, flags)


def test_a_blank_yes_no_cell_takes_the_schema_default() -> None:
    frame = sus_frame().assign(bpt_met=["Y", None, "", "N"], top_up_eligible=[None, "N", "", 0])
    table = ActivityTable.from_frame(frame)
    np.testing.assert_array_equal(table.bpt_met, [True, False, False, False])
    np.testing.assert_array_equal(table.top_up_eligible, [True, False, True, False])


def test_a_value_that_is_not_yes_or_no_is_named() -> None:
    frame = sus_frame().assign(bpt_met=["Y", "perhaps", "N", "N"])
    with pytest.raises(InputError, match="'perhaps'") as err:
        ActivityTable.from_frame(frame)
    assert "bpt_met, rows 3" in str(err.value.location)


def test_explicit_link_to_unknown_record() -> None:
    frame = sus_frame().assign(readmission_of=[None, "S9", None, None])
    with pytest.raises(InputError, match="S9"):
        ActivityTable.from_frame(frame)


def test_load_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "sus.csv"
    sus_frame().to_csv(path, index=False)
    t = load_activity(path)
    assert len(t) == 4
    assert t.source == str(path)


def test_generator_is_seeded_sized_and_realistic() -> None:
    e = small_economy(seed=0)
    a = synthetic_activity(e, n_records=20_000, year="2016/17", seed=5)
    b = synthetic_activity(e, n_records=20_000, year="2016/17", seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 20_000
    assert a["record_id"].is_unique
    t = ActivityTable.from_frame(a)
    assert set(t.years) == {"2016/17"}
    nel = t.pod == POD_CODES["non_elective"]
    readm = t.readmission_of >= 0
    assert 0.05 < readm[nel].mean() < 0.09  # ~7% of emergency spells
    # every link: same patient, same provider, admitted 1-30 days after the index discharge
    idx = t.readmission_of[readm]
    pat = a["patient_id"].to_numpy()
    assert (pat[readm] == pat[idx]).all()
    gap = a["admission_date"].to_numpy()[readm] - a["discharge_date"].to_numpy()[idx]
    days = gap.astype("timedelta64[D]").astype(int)
    assert days.min() >= 1
    assert days.max() <= 30
    # derived links from patient ids and dates match the generator's links
    derived = ActivityTable.from_frame(a.drop(columns=["readmission_of"]))
    np.testing.assert_array_equal(derived.readmission_of, t.readmission_of)
    # some long stays beyond the trim point, some short emergency stays
    assert (t.los_days[nel] <= 1).mean() > 0.2
    assert t.los_days.max() > 30


def test_generator_refuses_bad_options() -> None:
    e = small_economy(seed=0)
    with pytest.raises(ConfigError, match="not in the economy"):
        synthetic_activity(e, n_records=10, year="2016/17", providers=["NOPE"])
    with pytest.raises(ConfigError, match="readmission_rate"):
        synthetic_activity(e, n_records=10, year="2016/17", readmission_rate=0.9)


def test_alias_draws_follow_the_probabilities() -> None:
    from quasimarket.activity.synthetic import _draw

    rng = np.random.default_rng(3)
    p = np.array([0.5, 0.25, 0.125, 0.125, 0.0])
    freq = np.bincount(_draw(rng, p, 400_000), minlength=5) / 400_000
    np.testing.assert_allclose(freq, p, atol=0.004)
    assert freq[4] == 0.0
