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
        ["negative length of stay for records 1", "rows 2"],
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


def test_sanctions_from_performance_file(cli: Cli, tmp_path: Path) -> None:
    """A&E 4-hour: 9,000 of 10,000 within 4 hours; threshold 95% -> 500 patients x £120."""
    contract = CONTRACTS / "acute_pbr_2016.toml"
    if not contract.exists():
        pytest.skip(f"{contract} not written yet")
    activity = tmp_path / "a.parquet"
    code, _, err = cli(
        "activity", "generate", "--n", "3000", "--contract", str(contract), "--out", str(activity)
    )
    assert code == 0, err
    perf = tmp_path / "performance.json"
    perf.write_text('{"ae_4_hour": {"numerator": 9000, "denominator": 10000}}', encoding="utf-8")
    code, text, err = cli(
        "price", str(contract), str(activity), "--performance", str(perf), "--json"
    )
    assert code == 0, err
    assert json.loads(text)["totals"]["sanctions_gbp"] == -60_000.0
    perf.write_text("{not json", encoding="utf-8")
    code, _, err = cli("price", str(contract), str(activity), "--performance", str(perf))
    assert code == 2
    assert "performance file" in err
