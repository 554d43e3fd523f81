"""``activity load`` and ``price`` on the committed HES extracts of one trust
(``tests/fixtures/activity``, worked by hand in ``tests/unit/test_activity_fixtures.py``):
combined, priced with non-contract activity in its own statement; bad input exits 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activity"
HES = [str(FIXTURES / n) for n in ("hes_apc.csv", "hes_op.csv", "hes_ae.csv")]


def test_activity_load_says_how_each_file_was_read(cli: Cli) -> None:
    code, out, err = cli("activity", "load", *HES, "--json")
    assert code == 0, err
    summary = json.loads(out)
    # episode 1002 (not its spell's last) and appointment 2004 (not attended) are left out
    assert summary["records"] == 10
    assert summary["by_pod"] == {
        "day_case": 1,
        "elective": 1,
        "non_elective": 2,
        "op_first": 2,
        "op_follow_up": 2,
        "ae": 2,
    }
    assert summary["by_commissioner"] == {"QS01": 9, "QX99": 1}
    assert summary["years"] == ["2016/17"]
    notes = " ".join(summary["notes"])
    assert "read as HES Admitted Patient Care (hes-apc)" in notes
    assert "SPELDUR -> los_days" in notes
    assert "read as HES Outpatients (hes-op)" in notes
    assert "1 episode(s)" in notes
    assert "1 outpatient appointment(s)" in notes


def test_price_combines_files_and_invoices_non_contract_activity(tmp_path: Path, cli: Cli) -> None:
    """QS01: £4,900 admitted + £310 outpatients + £180 A&E = £5,390; QX99 (not on the
    contract): one first attendance, £150, non-contract."""
    out = tmp_path / "priced"
    contract, tariff = str(FIXTURES / "contract.toml"), str(FIXTURES / "tariff")
    code, stdout, err = cli(
        "price", contract, *HES, "--tariff", tariff, "--out", str(out), "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["totals"]["formal_gbp"] == pytest.approx(5390.0)
    assert payload["non_contract"]["by_commissioner"] == [
        {"commissioner": "QX99", "activity": 1.0, "formal_gbp": 150.0}
    ]
    nca = pd.read_csv(out / "non_contract_statement.csv")
    assert nca["formal_gbp"].sum() == pytest.approx(150.0)
    assert (out / "non_contract_records.parquet").exists()


def test_refuse_non_contract_exits_2_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "priced"
    code, _, err = cli(
        "price",
        str(FIXTURES / "contract.toml"),
        HES[1],
        "--tariff",
        str(FIXTURES / "tariff"),
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
        (["--format", "hes-ae", HES[2]], "are also in"),
    ],
)
def test_activity_load_bad_input(tmp_path: Path, cli: Cli, args: list[str], message: str) -> None:
    target = tmp_path / "table.parquet"
    code, _, err = cli("activity", "load", HES[2], *args, "--out", str(target))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not target.exists()
