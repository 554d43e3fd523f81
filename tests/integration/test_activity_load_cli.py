"""``activity load`` and ``price`` on real-shaped extracts: HES APC + OP + A&E of one trust,
combined, priced with non-contract activity in its own statement; bad input exits 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.integration

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
id = "apc"
service = "Admitted care"
currency = "spell"
pods = ["day_case", "elective", "non_elective"]
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = 0.5
[[lines]]
id = "op"
service = "Outpatients"
currency = "attendance"
pods = ["op_first", "op_follow_up"]
mechanism = "national_tariff"
[[lines]]
id = "ae"
service = "A&E"
currency = "attendance"
pods = ["ae"]
mechanism = "national_tariff"
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A contract, a tariff folder (APC, OP, A&E tables) and three HES extracts."""
    out = {"contract": tmp_path / "acute.toml", "tariff": tmp_path / "tariff"}
    out["contract"].write_text(CONTRACT, encoding="utf-8")
    out["tariff"].mkdir()
    pd.DataFrame(
        {
            aa.HRG_CODE: ["AA01A"],
            aa.HRG_NAME: ["x"],
            aa.OP_PROCEDURE: [np.nan],
            aa.COMBINED_DC_EL: [np.nan],
            aa.DAY_CASE: [800.0],
            aa.ELECTIVE: [2000.0],
            aa.ELECTIVE_TRIM: [100],
            aa.NON_ELECTIVE: [1000.0],
            aa.NON_ELECTIVE_TRIM: [100],
            aa.EXCESS_BED_DAY: [200.0],
            aa.RSSE_APPLICABLE: ["No"],
            aa.RSSE_PERCENT: [np.nan],
            aa.RSSE_PRICE: [np.nan],
        }
    ).to_csv(out["tariff"] / "apc.csv", index=False)
    pd.DataFrame(
        {aa.TFC_CODE: ["100"], aa.TFC_NAME: ["x"], aa.OP_FIRST: [150.0], aa.OP_FOLLOW_UP: [80.0]}
    ).to_csv(out["tariff"] / "op.csv", index=False)
    pd.DataFrame(
        {aa.AE_HRG_CODE: ["VB01Z"], aa.AE_HRG_NAME: ["x"], aa.AE_TYPE_1_2: [120.0]}
        | {aa.AE_TYPE_3_4: [60.0]}
    ).to_csv(out["tariff"] / "ae.csv", index=False)
    out["apc"] = tmp_path / "hes_apc.csv"
    out["apc"].write_text(
        "EPIKEY,HESID,CCG_RESPONSIBILITY,PROCODE3,ADMIMETH,CLASSPAT,ADMIDATE,DISDATE,SPELDUR,"
        "ADMIAGE,SUSHRG,FYEAR\n"
        "101,P1,QS01,SR001,11,1,20160401,20160405,4,70,AA01A,1617\n"
        "102,P1,QS01,SR001,21,1,20160420,20160422,2,70,AA01A,1617\n",
        encoding="utf-8",
    )
    out["op"] = tmp_path / "hes_op.csv"
    out["op"].write_text(
        "ATTENDKEY,HESID,CCG_RESPONSIBILITY,PROCODE3,APPTDATE,APPTAGE,TRETSPEF,FIRSTATT,ATTENDED\n"
        "201,P1,QS01,SR001,20160501,70,100,1,5\n"
        "202,P1,QS01,SR001,20160601,70,100,2,5\n"
        "203,P3,QX99,SR001,20160601,50,100,1,5\n",
        encoding="utf-8",
    )
    out["ae"] = tmp_path / "hes_ae.csv"
    out["ae"].write_text(
        "AEKEY,HESID,CCG_RESPONSIBILITY,PROCODE3,ARRIVALDATE,ARRIVALAGE,AEDEPTTYPE,SUSHRG\n"
        "301,P2,QS01,SR001,20160502,30,1,VB01Z\n",
        encoding="utf-8",
    )
    return out


def test_activity_load_says_how_each_file_was_read(files: dict[str, Path], cli: Cli) -> None:
    code, out, err = cli(
        "activity", "load", str(files["apc"]), str(files["op"]), str(files["ae"]), "--json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["records"] == 6
    assert summary["by_pod"] == {
        "elective": 1,
        "non_elective": 1,
        "op_first": 2,
        "op_follow_up": 1,
        "ae": 1,
    }
    assert summary["by_commissioner"] == {"QS01": 5, "QX99": 1}
    assert summary["years"] == ["2016/17"]
    notes = " ".join(summary["notes"])
    assert "read as HES Admitted Patient Care (hes-apc)" in notes
    assert "SPELDUR -> los_days" in notes
    assert "read as HES Outpatients (hes-op)" in notes


def test_price_combines_files_and_invoices_non_contract_activity(
    files: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    """QS01: elective £2,000 + NEL £1,000 readmitting it (−£500) + OP £150 + £80 + A&E £120
    = £2,850. QX99 (not on the contract): one first attendance, £150, non-contract."""
    out = tmp_path / "priced"
    code, stdout, err = cli(
        "price",
        str(files["contract"]),
        str(files["apc"]),
        str(files["op"]),
        str(files["ae"]),
        "--tariff",
        str(files["tariff"]),
        "--out",
        str(out),
        "--json",
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["totals"]["formal_gbp"] == pytest.approx(2850.0)
    assert payload["non_contract"]["by_commissioner"] == [
        {"commissioner": "QX99", "activity": 1.0, "formal_gbp": 150.0}
    ]
    nca = pd.read_csv(out / "non_contract_statement.csv")
    assert nca["formal_gbp"].sum() == pytest.approx(150.0)
    assert (out / "non_contract_records.parquet").exists()


def test_refuse_non_contract_exits_2_and_writes_nothing(
    files: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    out = tmp_path / "priced"
    code, _, err = cli(
        "price",
        str(files["contract"]),
        str(files["op"]),
        "--tariff",
        str(files["tariff"]),
        "--refuse-non-contract",
        "--out",
        str(out),
    )
    assert code == 2
    assert "QX99" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "hes-xyz"], "unknown activity format 'hes-xyz'"),
        (["--format", "hes-ae", "SAME"], "are also in"),
    ],
)
def test_activity_load_bad_input(
    files: dict[str, Path], tmp_path: Path, cli: Cli, args: list[str], message: str
) -> None:
    target = tmp_path / "table.parquet"
    extra = [str(files["ae"]) if a == "SAME" else a for a in args]
    code, _, err = cli("activity", "load", str(files["ae"]), *extra, "--out", str(target))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not target.exists()
