"""The ``price`` and ``activity generate`` commands end to end, and every bad-input case.

Each bad input gives one clear message (where + fix), exit code 2, no traceback, and leaves no
output behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "examples" / "contracts"
Cli = Callable[..., tuple[int, str, str]]

CONTRACT = """
format = "quasimarket.contract/1"
name = "Acute 2016/17"
year = "2016/17"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["day_case", "elective"]
mechanism = "national_tariff"
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "mret"
baseline_value = 100_000
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = 0.5
"""


@pytest.fixture
def setup(tmp_path: Path, cli: Cli) -> tuple[Path, Path]:
    contract = tmp_path / "acute.toml"
    contract.write_text(CONTRACT, encoding="utf-8")
    activity = tmp_path / "activity.csv"
    code, _out, err = cli(
        "activity",
        "generate",
        "--n",
        "400",
        "--contract",
        str(contract),
        "--seed",
        "2",
        "--out",
        str(activity),
    )
    assert code == 0, err
    return contract, activity


def test_price_writes_statement_records_and_json(
    setup: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    contract, activity = setup
    out = tmp_path / "priced"
    code, text, err = cli("price", str(contract), str(activity), "--out", str(out), "--json")
    assert code == 0, err
    payload = json.loads(text)
    totals = payload["totals"]
    assert totals["records"] == 400
    assert totals["mret_gbp"] < 0  # 200 emergency spells exceed the £100k baseline
    statement = pd.read_csv(out / "statement.csv")
    records = pd.read_parquet(out / "records.parquet")
    assert len(statement) == 24  # 2 lines x 12 months
    assert round(statement["formal_gbp"].sum(), 0) == round(totals["formal_gbp"], 0)
    assert records["formal_gbp"].sum() == pytest.approx(totals["formal_gbp"], abs=0.01)
    assert {r["rule"] for r in payload["breakdown"]} >= {"national_tariff.base", "mret"}
    saved = json.loads((out / "totals.json").read_text(encoding="utf-8"))
    assert saved["totals"] == totals


def test_explain_one_record(setup: tuple[Path, Path], cli: Cli) -> None:
    contract, activity = setup
    frame = pd.read_csv(activity)
    rid = int(frame.loc[frame["pod"] == "non_elective", "record_id"].iloc[0])
    code, text, err = cli("price", str(contract), str(activity), "--explain", str(rid), "--json")
    assert code == 0, err
    items = json.loads(text)["explain"]["items"]
    assert items[0]["title"].startswith("National tariff: base price")
    assert any("Marginal rate emergency rule" in i["title"] for i in items)
    assert all(i["source"] for i in items)
    code, text, err = cli("price", str(contract), str(activity), "--explain", "999999")
    assert code == 2
    assert "999999" in err
    assert "Traceback" not in err


def test_human_output(setup: tuple[Path, Path], cli: Cli) -> None:
    contract, activity = setup
    code, text, _ = cli("price", str(contract), str(activity))
    assert code == 0
    assert "formal outturn" in text
    assert "nel" in text


@pytest.mark.parametrize(
    "name", ["acute_pbr_2016", "community_block_2016", "blended_2019", "caps_and_collars_2014"]
)
def test_example_contracts_end_to_end(name: str, cli: Cli, tmp_path: Path) -> None:
    contract = CONTRACTS / f"{name}.toml"
    if not contract.exists():
        pytest.skip(f"{contract} not written yet")
    activity = tmp_path / "a.parquet"
    code, _, err = cli(
        "activity", "generate", "--n", "2000", "--contract", str(contract), "--out", str(activity)
    )
    assert code == 0, err
    code, text, err = cli("price", str(contract), str(activity), "--json")
    assert code == 0, err
    totals = json.loads(text)["totals"]
    assert totals["formal_gbp"] > 0
    assert totals["records"] == 2000


def test_generate_refuses_to_overwrite(setup: tuple[Path, Path], cli: Cli) -> None:
    _, activity = setup
    code, _, err = cli(
        "activity", "generate", "--n", "10", "--year", "2016/17", "--out", str(activity)
    )
    assert code == 2
    assert "--force" in err


# -- bad input ---------------------------------------------------------------------------------
def _edit(activity: Path, tmp_path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> Path:
    frame = change(pd.read_csv(activity))
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


def _first_nel(frame: pd.DataFrame) -> int:
    return int(frame.index[frame["pod"] == "non_elective"][0])


BAD_ACTIVITY = {
    "unknown_hrg": (
        lambda f: f.assign(hrg=["ZZ999"] * 3 + f["hrg"].tolist()[3:]),
        ["1 HRG/TFC code not in the tariff: ZZ999", "(3 records)", "fix:"],
    ),
    "discharge_before_admission": (
        lambda f: f.assign(
            discharge_date=["2016-04-01", *f["discharge_date"].tolist()[1:]],
            admission_date=["2016-04-05", *f["admission_date"].tolist()[1:]],
            los_days=[0, *f["los_days"].tolist()[1:]],
        ),
        ["discharge date before admission date for records 1", "rows 2"],
    ),
    "negative_los": (
        lambda f: f.drop(columns=["admission_date", "discharge_date"]).assign(
            los_days=[-2, *f["los_days"].tolist()[1:]]
        ),
        ["los_days out of range in 1 row", "rows 2"],
    ),
    "duplicate_ids": (
        lambda f: f.assign(record_id=[1, 1, *f["record_id"].tolist()[2:]]),
        ["duplicate record ids: 1", "rows 2, 3"],
    ),
    "year_not_covered": (
        lambda f: f.drop(columns=["admission_date", "discharge_date", "readmission_of"]).assign(
            year="2017/18"
        ),
        ["400 records are for 2017/18, but the contract covers 2016/17"],
    ),
    "provider_not_covered": (
        lambda f: f.assign(provider=["RXX99"] + ["SR001"] * (len(f) - 1)),
        ["activity for providers the contract does not cover: RXX99 (1 records)"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ACTIVITY))
def test_bad_activity(case: str, setup: tuple[Path, Path], cli: Cli, tmp_path: Path) -> None:
    contract, activity = setup
    change, expected = BAD_ACTIVITY[case]
    bad = _edit(activity, tmp_path, change)
    out = tmp_path / "out"
    code, _, err = cli("price", str(contract), str(bad), "--out", str(out))
    assert code == 2
    assert "Traceback" not in err
    flat = " ".join(err.split())
    for part in expected:
        assert part in flat, (part, flat)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_missing_tariff_column(setup: tuple[Path, Path], cli: Cli, tmp_path: Path) -> None:
    contract, activity = setup
    from quasimarket.economy import small_economy

    apc = small_economy(seed=0).tariff["apc"].drop(columns=[aa.NON_ELECTIVE_TRIM])
    tariff = tmp_path / "apc.csv"
    apc.to_csv(tariff, index=False)
    out = tmp_path / "out"
    code, _, err = cli(
        "price", str(contract), str(activity), "--tariff", str(tariff), "--out", str(out)
    )
    flat = " ".join(err.split())
    assert code == 2
    assert "Traceback" not in err
    assert f"missing column '{aa.NON_ELECTIVE_TRIM}'" in flat
    assert "fix:" in flat
    assert not out.exists()


def test_activity_file_too_large(setup: tuple[Path, Path], cli: Cli, tmp_path: Path) -> None:
    contract, _ = setup
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:  # sparse: takes no disk space
        handle.truncate(2 * 1024**3 + 1)
    out = tmp_path / "out"
    code, _, err = cli("price", str(contract), str(huge), "--out", str(out))
    assert code == 2
    assert "file is too large" in err
    assert "fix:" in err
    assert not out.exists()


def test_activity_file_not_text(setup: tuple[Path, Path], cli: Cli, tmp_path: Path) -> None:
    contract, _ = setup
    binary = tmp_path / "activity.csv"
    binary.write_bytes(b"record_id,provider\n\x00\x01\x02\x03")
    out = tmp_path / "out"
    code, _, err = cli("price", str(contract), str(binary), "--out", str(out))
    assert code == 2
    assert "not text" in err
    assert "fix:" in err
    assert not out.exists()


# -- achievement and performance files --------------------------------------------------------
ACUTE_GOALS = ("Staff health and wellbeing", "Sepsis screening and antibiotic review")


@pytest.fixture
def acute(cli: Cli, tmp_path: Path) -> tuple[Path, Path, int]:
    """The acute example contract, 3,000 records of activity for it, and its A&E count."""
    contract = CONTRACTS / "acute_pbr_2016.toml"
    activity = tmp_path / "a.parquet"
    code, _, err = cli(
        "activity", "generate", "--n", "3000", "--contract", str(contract), "--out", str(activity)
    )
    assert code == 0, err
    attendances = int((pd.read_parquet(activity)["pod"] == "ae").sum())
    assert attendances > 100
    return contract, activity, attendances


def _performance_file(tmp_path: Path, numerator: int, denominator: int) -> Path:
    path = tmp_path / "performance.toml"
    path.write_text(
        'format = "quasimarket.performance/1"\n'
        f"[lines.ae.ae_4_hour]\nnumerator = {numerator}\ndenominator = {denominator}\n",
        encoding="utf-8",
    )
    return path


def test_sanctions_from_performance_file(
    acute: tuple[Path, Path, int], cli: Cli, tmp_path: Path
) -> None:
    """A&E 4-hour: 90% within 4 hours; threshold 95% -> 5% of attendances x £120."""
    contract, activity, attendances = acute
    numerator = attendances * 9 // 10
    perf = _performance_file(tmp_path, numerator, attendances)
    code, text, err = cli(
        "price", str(contract), str(activity), "--performance", str(perf), "--json"
    )
    assert code == 0, err
    payload = json.loads(text)
    expected = -120 * (0.95 * attendances - numerator)
    assert payload["totals"]["sanctions_gbp"] == pytest.approx(expected, abs=0.01)
    assert not any("no performance data for standard 'ae_4_hour'" in n for n in payload["notes"])

    # the same shape as JSON, contract-wide
    as_json = tmp_path / "performance.json"
    as_json.write_text(
        json.dumps(
            {
                "format": "quasimarket.performance/1",
                "standards": {"ae_4_hour": {"numerator": numerator, "denominator": attendances}},
            }
        ),
        encoding="utf-8",
    )
    code, text, err = cli(
        "price", str(contract), str(activity), "--performance", str(as_json), "--json"
    )
    assert code == 0, err
    assert json.loads(text)["totals"]["sanctions_gbp"] == pytest.approx(expected, abs=0.01)


def test_cquin_from_achievement_file(
    acute: tuple[Path, Path, int], cli: Cli, tmp_path: Path
) -> None:
    """Staff health 50% (weight 0.4) and sepsis 100% (0.6): 80% of the CQUIN money earned."""
    contract, activity, _ = acute
    code, text, err = cli("price", str(contract), str(activity), "--json")
    assert code == 0, err
    assumed = json.loads(text)
    assert any("CQUIN achievement assumed 100%" in note for note in assumed["notes"])

    ach = tmp_path / "achievement.toml"
    ach.write_text(
        'format = "quasimarket.achievement/1"\n'
        f'[cquin]\n"{ACUTE_GOALS[0]}" = 0.5\n"{ACUTE_GOALS[1]}" = 1.0\n',
        encoding="utf-8",
    )
    code, text, err = cli(
        "price", str(contract), str(activity), "--achievement", str(ach), "--json"
    )
    assert code == 0, err
    given = json.loads(text)
    full = assumed["totals"]["cquin_gbp"]
    assert full > 0
    assert given["totals"]["cquin_gbp"] == pytest.approx(0.8 * full, abs=0.05)
    assert not any("CQUIN achievement assumed" in note for note in given["notes"])

    # one line's own figure beats the contract-wide one; goals left out are still noted
    ach.write_text(
        f'format = "quasimarket.achievement/1"\n[lines.nel.cquin]\n"{ACUTE_GOALS[1]}" = 0.0\n',
        encoding="utf-8",
    )
    code, text, err = cli(
        "price", str(contract), str(activity), "--achievement", str(ach), "--json"
    )
    assert code == 0, err
    partial = json.loads(text)
    assert partial["totals"]["cquin_gbp"] < full
    nel_notes = [n for n in partial["notes"] if n.startswith("line 'nel'") and "CQUIN" in n]
    assert nel_notes, partial["notes"]
    assert all(ACUTE_GOALS[0] in n and ACUTE_GOALS[1] not in n for n in nel_notes)


def test_achievement_as_one_share_still_works(acute: tuple[Path, Path, int], cli: Cli) -> None:
    contract, activity, _ = acute
    code, text, err = cli("price", str(contract), str(activity), "--achievement", "0.5", "--json")
    assert code == 0, err
    code, text2, err = cli("price", str(contract), str(activity), "--json")
    assert json.loads(text)["totals"]["cquin_gbp"] == pytest.approx(
        0.5 * json.loads(text2)["totals"]["cquin_gbp"], abs=0.05
    )


BAD_INPUT_FILES = {
    "achievement_unknown_key": (
        "--achievement",
        'format = "quasimarket.achievement/1"\n[cqiun]\n',
        ["cqiun: unknown key 'cqiun'", "did you mean 'cquin'?"],
    ),
    "achievement_out_of_range": (
        "--achievement",
        f'format = "quasimarket.achievement/1"\n[cquin]\n"{ACUTE_GOALS[0]}" = 1.2\n',
        [f'cquin."{ACUTE_GOALS[0]}": the share 1.2 is outside 0-1', "expected:", "fix:"],
    ),
    "achievement_unknown_goal": (
        "--achievement",
        'format = "quasimarket.achievement/1"\n[lines.nel.cquin]\n"Staff health" = 0.5\n',
        ["no CQUIN goal 'Staff health'", f"did you mean '{ACUTE_GOALS[0]}'?"],
    ),
    "achievement_no_format": (
        "--achievement",
        '[cquin]\n"Staff health and wellbeing" = 0.5\n',
        ["format: the achievement file has no 'format' key", "quasimarket.achievement/1"],
    ),
    "achievement_outcome_not_capitation": (
        "--achievement",
        'format = "quasimarket.achievement/1"\n[lines.nel]\noutcome_achievement = 0.5\n',
        ["lines.nel.outcome_achievement: line 'nel' is paid by 'national_tariff'"],
    ),
    "performance_unknown_standard": (
        "--performance",
        'format = "quasimarket.performance/1"\n[standards.ae_4hr]\nnumerator = 1\n',
        ["standards.ae_4hr:", "did you mean 'ae_4_hour'?"],
    ),
    "performance_numerator_above_denominator": (
        "--performance",
        'format = "quasimarket.performance/1"\n'
        "[standards.ae_4_hour]\nnumerator = 11\ndenominator = 10\n",
        ["standards.ae_4_hour: numerator 11 is above denominator 10"],
    ),
    "performance_wrong_kind": (
        "--performance",
        'format = "quasimarket.performance/1"\n[standards.ae_4_hour]\ncount = 3\n',
        ["standards.ae_4_hour.count:", "threshold sanction", "numerator and denominator"],
    ),
    "performance_denominator_disagrees": (
        "--performance",
        'format = "quasimarket.performance/1"\n'
        "[lines.ae.ae_4_hour]\nnumerator = 1\ndenominator = 999999\n",
        [
            "lines.ae.ae_4_hour.denominator: denominator 999,999 for ae_4_hour on line 'ae' "
            "disagrees with the",
            "A&E attendances in the activity",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT_FILES))
def test_bad_achievement_and_performance_files(
    case: str, acute: tuple[Path, Path, int], cli: Cli, tmp_path: Path
) -> None:
    contract, activity, _ = acute
    option, text, expected = BAD_INPUT_FILES[case]
    bad = tmp_path / f"{case}.toml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = cli(
        "price", str(contract), str(activity), option, str(bad), "--out", str(out)
    )
    assert code == 2, (stdout, err)
    assert "Traceback" not in err
    flat = " ".join(err.split())
    assert str(bad) in flat
    for part in expected:
        assert " ".join(part.split()) in flat, (part, flat)
    assert "fix:" in flat
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_bad_achievement_share_and_missing_files(
    acute: tuple[Path, Path, int], cli: Cli, tmp_path: Path
) -> None:
    contract, activity, _ = acute
    out = tmp_path / "out"
    code, _, err = cli(
        "price", str(contract), str(activity), "--achievement", "1.5", "--out", str(out)
    )
    assert code == 2
    assert "--achievement 1.5 is outside 0-1" in " ".join(err.split())
    for option in ("--achievement", "--performance"):
        missing = tmp_path / "nope.toml"
        code, _, err = cli("price", str(contract), str(activity), option, str(missing))
        assert code == 2
        assert "Traceback" not in err
        assert "file not found" in err
        assert str(missing) in " ".join(err.split())
    bad_json = tmp_path / "performance.json"
    bad_json.write_text("{not json", encoding="utf-8")
    code, _, err = cli("price", str(contract), str(activity), "--performance", str(bad_json))
    assert code == 2
    assert "JSON syntax error" in " ".join(err.split())
    assert not out.exists()


def _generate(cli: Cli, contract: Path, out: Path, n: int = 500) -> None:
    code, _, err = cli(
        "activity", "generate", "--n", str(n), "--contract", str(contract), "--out", str(out)
    )
    assert code == 0, err


def test_capitation_outcome_and_contingency_from_achievement_file(cli: Cli, tmp_path: Path) -> None:
    """Case C: £20m, 5% on outcomes, 2% contingency. 60% of outcomes (-£400,000) and half
    the contingency released (+£200,000): £200,000 less than outcomes assumed met."""
    contract = CONTRACTS / "capitation_case_c.toml"
    activity = tmp_path / "a.parquet"
    _generate(cli, contract, activity)
    code, text, err = cli("price", str(contract), str(activity), "--json")
    assert code == 0, err
    assumed = json.loads(text)
    assert any("capitation outcome achievement assumed 100%" in n for n in assumed["notes"])
    ach = tmp_path / "achievement.toml"
    ach.write_text(
        'format = "quasimarket.achievement/1"\n'
        "[lines.out_of_hospital]\noutcome_achievement = 0.6\ncontingency_released = 0.5\n",
        encoding="utf-8",
    )
    code, text, err = cli(
        "price", str(contract), str(activity), "--achievement", str(ach), "--json"
    )
    assert code == 0, err
    given = json.loads(text)
    change = given["totals"]["formal_gbp"] - assumed["totals"]["formal_gbp"]
    assert change == pytest.approx(-200_000.0, abs=0.01)
    assert not any("capitation outcome achievement assumed" in n for n in given["notes"])


def test_alliance_outcome_from_achievement_file(cli: Cli, tmp_path: Path) -> None:
    contract = CONTRACTS / "alliance_case_b.toml"
    activity = tmp_path / "a.parquet"
    _generate(cli, contract, activity)
    code, text, err = cli("price", str(contract), str(activity), "--json")
    assert code == 0, err
    assert any("alliance: outcome achievement assumed" in n for n in json.loads(text)["notes"])
    ach = tmp_path / "achievement.toml"
    ach.write_text(
        'format = "quasimarket.achievement/1"\n[alliance]\noutcome_achievement = 0.25\n',
        encoding="utf-8",
    )
    code, text, err = cli(
        "price", str(contract), str(activity), "--achievement", str(ach), "--json"
    )
    assert code == 0, err
    assert not any("alliance: outcome achievement" in n for n in json.loads(text)["notes"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # MRET moved onto the elective line: no non-elective activity for it to act on
        (
            lambda t: t.replace(
                'mechanism = "national_tariff"\n[[lines]]',
                'mechanism = "national_tariff"\n[[lines.adjustments]]\nrule = "mret"\n'
                "baseline_value = 100_000\n[[lines]]",
                1,
            ),
            "'mret' applies to non_elective activity, but the line covers day_case, elective",
        ),
        # the non-elective line on a block: MRET has nothing to deduct from
        (
            lambda t: t.replace(
                'pods = ["non_elective"]\nmechanism = "national_tariff"',
                'pods = ["non_elective"]\nmechanism = "block"\n[lines.terms]\n'
                "annual_value = 1_000_000",
            ),
            "'mret' cannot apply to a 'block' line",
        ),
    ],
)
def test_refused_rule_combinations(
    change: Callable[[str], str],
    message: str,
    setup: tuple[Path, Path],
    cli: Cli,
    tmp_path: Path,
) -> None:
    """The pipeline refuses combinations that make no sense: exit 2, nothing written."""
    _contract, activity = setup
    bad = tmp_path / "bad.toml"
    bad.write_text(change(CONTRACT), encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = cli("price", str(bad), str(activity), "--out", str(out))
    flat = " ".join(err.split())
    assert code == 2, err
    assert "Traceback" not in err
    assert message in flat
    assert "fix:" in flat
    assert not out.exists()


def test_out_never_replaces_the_users_files(
    setup: tuple[Path, Path], cli: Cli, tmp_path: Path
) -> None:
    """`--out` onto a folder of the user's files, or onto a file, is refused before any work
    (exit 2) and leaves everything as it was; an earlier pricing output is replaced."""
    contract, activity = setup
    mine = tmp_path / "mywork"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
    code, _text, err = cli("price", str(contract), str(activity), "--out", str(mine))
    err = " ".join(err.split())  # the message wraps at the terminal width
    assert code == 2
    assert "thesis.docx" in err
    assert "refusing to replace" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.docx"]
    assert (mine / "thesis.docx").read_text(encoding="utf-8") == "years of work"

    before = activity.read_bytes()
    code, _text, err = cli("price", str(contract), str(activity), "--out", str(activity))
    assert code == 2
    assert "is the activity input" in " ".join(err.split())
    assert activity.read_bytes() == before

    out = tmp_path / "priced"
    for force in ((), ("--force",)):  # a second run replaces the first run's output (--force)
        code, _text, err = cli("price", str(contract), str(activity), "--out", str(out), *force)
        assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".quasimarket-output.json", "statement.csv", "records.parquet", "totals.json"]
    )


def test_prices_are_the_contracts_year_by_default(setup: tuple[Path, Path], cli: Cli) -> None:
    """With no --tariff, a 2016/17 contract is priced at the 2016/17 catalogue, not today's."""
    from quasimarket.activity import load_activity
    from quasimarket.contracts import load_contract
    from quasimarket.economy import small_economy
    from quasimarket.pricing import price
    from quasimarket.tariff import TariffTable

    contract, activity = setup
    code, text, err = cli("price", str(contract), str(activity), "--json")
    assert code == 0, err
    payload = json.loads(text)
    assert payload["tariff"].startswith("2016/17 price catalogue")
    terms, table = load_contract(contract), load_activity(activity)

    def formal(year: str) -> float:
        prices = TariffTable.from_economy(small_economy(year=year))
        return float(price(terms, table, prices).totals()["formal_gbp"])

    assert payload["totals"]["formal_gbp"] == pytest.approx(formal("2016/17"), abs=0.01)
    assert abs(formal("2025/26") - formal("2016/17")) > 1.0  # the years' prices differ


def test_web_service_prices_at_the_contracts_year() -> None:
    from quasimarket.web import service

    assert service.tariff(0, "2016/17").source.startswith("2016/17 price catalogue")
    assert service.tariff(0, "2025/26").source.startswith("2025/26 price catalogue")
