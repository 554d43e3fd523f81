"""``quasimarket tariff check | show | build`` end to end, and their bad-input cases.

Each bad input gives one clear message (where + fix), exit code 2, no traceback, and writes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tariffs"
Cli = Callable[..., tuple[int, str, str]]


def test_check_reports_tables_layout_and_header_rows(cli: Cli) -> None:
    code, out, err = cli("tariff", "check", str(FIXTURES / "annex_a_2016_17.xlsx"))
    assert code == 0, err
    assert "sheets searched: 'Cover', '1 APC & OPROC', 'MFF'" in out
    assert "annex-a-2012" in out
    assert "3 HRGs" in out
    assert "1 MFF provider" in out
    assert "note or heading row(s)" in out

    code, out, err = cli("tariff", "check", str(FIXTURES / "nhsps_2023_24.xlsx"), "--json")
    assert code == 0, err
    payload = json.loads(out)
    apc = next(t for t in payload["tables"] if t["table"] == "apc")
    assert (apc["sheet"], apc["header_row"], apc["layout"], apc["rows"]) == (
        "APC & OPROC",
        5,
        "nhsps-2023",
        2,
    )
    assert apc["columns"][aa.DAY_CASE] == "Day case spell unit price (£)"
    counts = payload["counts"]
    # FZ21A: OP procedure, day case, elective, non-elective; EB03E: non-elective only
    assert counts["prices_by_pod"]["non_elective"] == 2
    assert counts["prices"] == 5
    assert counts["mff_providers"] == 1


def test_check_with_mff_and_the_no_mff_note(cli: Cli, tmp_path: Path) -> None:
    workbook = str(FIXTURES / "nt_2021_22.xlsx")
    code, out, _ = cli("tariff", "check", workbook, "--json")
    assert code == 0
    assert any("no MFF table" in note for note in json.loads(out)["notes"])
    mff = tmp_path / "mff.csv"
    mff.write_text("MFF for 2021/22\nOrg code,Org name,MFF payment index\nRX1,x,1.02\n", "utf-8")
    code, out, err = cli("tariff", "check", workbook, "--mff", str(mff), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["counts"]["mff_providers"] == 1
    assert not any("no MFF table" in note for note in payload["notes"])


def test_show_one_hrg(cli: Cli) -> None:
    workbook = str(FIXTURES / "annex_a_2016_17.xlsx")
    code, out, err = cli("tariff", "show", workbook, "--hrg", "WA14Z")
    assert code == 0, err
    assert "WA14Z Observation" in out
    assert "£600.00" in out  # derived: 50% x 1,200
    code, out, _ = cli("tariff", "show", workbook, "--hrg", "wa14z", "--json")
    payload = json.loads(out)
    used = payload["as_priced"]
    assert used["prices_gbp"]["non_elective"] == 1200.0
    assert used["prices_gbp"]["elective"] is None  # "-" in the file
    assert used["short_stay_emergency_gbp"] == 600.0
    assert used["non_elective_trim_days"] == 5.0
    written = {cell["column"]: cell for cell in payload["as_written"] if cell["table"] == "apc"}
    assert written[aa.ELECTIVE]["value"] == "-"
    assert written[aa.ELECTIVE]["row"] == 8
    assert (
        written[aa.RSSE_APPLICABLE]["header"] == "Reduced short stay emergency tariff \napplicable?"
    )


def _reference_costs(folder: Path) -> Path:
    folder.mkdir()
    pd.DataFrame(
        {
            "sushrg": ["AA01A", "AA01A", "AA02A", "AA01A"],
            "description": ["One", "One", "Two", "One"],
            "cost": [1000.0, 2500.0, 400.0, 1200.0],
            "type": ["Elective", "Non_Elective_LS", "Day_case", "Elective"],
            "Year": [2015, 2015, 2015, 2016],
            "Excess_unit_cost": [100.0, 250.0, 0.0, 110.0],
        }
    ).to_csv(folder / "reference_costs_2010_2016.csv", index=False)
    pd.DataFrame({"sushrg": ["AA01A"], "Episode.Trimpoint": [4]}).to_csv(
        folder / "hrg_trimpoints.csv", index=False
    )
    return folder


def test_build_writes_an_annex_a_csv_that_loads(cli: Cli, tmp_path: Path) -> None:
    source = _reference_costs(tmp_path / "ref")
    out = tmp_path / "apc.csv"
    code, stdout, err = cli("tariff", "build", "--reference-costs", str(source), "--out", str(out))
    assert code == 0, err
    assert "wrote 2 HRGs of reference costs 2014/15 (Year 2015)" in stdout
    assert "most complete" in stdout
    frame = pd.read_csv(out)
    assert list(frame.columns) == list(aa.APC_COLUMNS)
    assert frame.set_index(aa.HRG_CODE).loc["AA01A", aa.NON_ELECTIVE] == 2500.0
    code, stdout, err = cli("tariff", "check", str(out), "--json")
    assert code == 0, err
    assert json.loads(stdout)["counts"]["hrgs"] == 2

    # an earlier output is replaced only with --force; the year can be a financial year
    code, _, err = cli(
        "tariff", "build", "--reference-costs", str(source), "--out", str(out), "--year", "2015/16"
    )
    assert code == 2
    assert "--force" in err
    code, stdout, err = cli(
        "tariff",
        "build",
        "--reference-costs",
        str(source),
        "--out",
        str(out),
        "--year",
        "2015/16",
        "--force",
        "--json",
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert (payload["year"], payload["financial_year"], payload["hrgs"]) == (2016, "2015/16", 1)
    assert pd.read_csv(out)[aa.ELECTIVE].tolist() == [1200.0]


def test_build_on_the_public_file(cli: Cli, shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "apc.csv"
    code, stdout, err = cli(
        "tariff", "build", "--reference-costs", str(shared_data), "--out", str(out), "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    counts = {int(k): v for k, v in payload["hrgs_by_year"].items()}
    assert payload["year"] == max(counts, key=lambda y: counts[y])
    assert payload["hrgs"] == counts[payload["year"]] == len(pd.read_csv(out))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "{tmp}/missing.xlsx"], "file not found"),
        (["check", "{tmp}/notes.csv"], "not a recognisable tariff table"),
        (["show", "{fixtures}/nt_2021_22.xlsx", "--hrg", "FZ21B"], "did you mean FZ21A"),
        (
            ["build", "--reference-costs", "{ref}", "--out", "{tmp}/x.csv", "--year", "2030/31"],
            "no reference costs for Year 2031",
        ),
        (
            ["build", "--reference-costs", "{ref}", "--out", "{tmp}/x.csv", "--year", "soon"],
            "not a reference-cost year",
        ),
        (["build", "--reference-costs", "{ref}", "--out", "{tmp}/x.parquet"], "must be a .csv"),
        (["build", "--reference-costs", "{tmp}/nowhere", "--out", "{tmp}/x.csv"], "file not found"),
    ],
)
def test_bad_input_is_one_clear_error(
    cli: Cli, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "notes.csv").write_text("Title\nsome,notes\n1,2\n", encoding="utf-8")
    ref = _reference_costs(tmp_path / "ref")
    filled = [a.format(tmp=tmp_path, fixtures=FIXTURES, ref=ref) for a in args]
    code, out, err = cli("tariff", *filled)
    assert code == 2
    assert message in err
    assert "fix:" in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "x.csv").exists()
    assert not (tmp_path / "x.parquet").exists()
