"""The shared core: errors, money rounding, financial years, atomic output, table reading."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from quasimarket import ConfigError, FinancialYear, InputError, round_pence
from quasimarket.io import atomic_dir, read_table
from quasimarket.money import decimal_pence

pytestmark = pytest.mark.unit


def test_round_pence_is_half_away_from_zero() -> None:
    values = np.array([2.675, -2.675, 0.005, 1.0049999, 12.3449])
    assert round_pence(values).tolist() == [2.68, -2.68, 0.01, 1.0, 12.34]
    assert decimal_pence("2.675") == Decimal("2.68")


@pytest.mark.parametrize(
    ("text", "start"),
    [("2016/17", 2016), ("2016-17", 2016), ("2016/2017", 2016), ("1999/00", 1999)],
)
def test_financial_year_parse(text: str, start: int) -> None:
    year = FinancialYear.parse(text)
    assert year.start == start
    assert str(year) == f"{start}/{(start + 1) % 100:02d}"


def test_financial_year_rejects_non_consecutive_years() -> None:
    with pytest.raises(ConfigError, match="must follow"):
        FinancialYear.parse("2016/18")


def test_atomic_dir_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out"

    def write_then_fail() -> None:
        with atomic_dir(target) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_read_table_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError) as info:
        read_table(path, required=["a", "c"], what="test table")
    message = info.value.render()
    assert "t.csv" in message
    assert "'c'" in message
    assert "fix:" in message


def test_read_table_refuses_binary_and_bad_encoding(tmp_path: Path) -> None:
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"a,b\n\x00\x01\x02\n")
    with pytest.raises(InputError, match="not text"):
        read_table(binary)
    latin = tmp_path / "l.csv"
    latin.write_bytes("name,x\ncaf\xe9,1\n".encode("latin-1") + b"more,2\n" * 10)
    with pytest.raises(InputError, match="not UTF-8"):
        read_table(latin)


def test_cli_usage_error_is_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    code, _, _ = cli("no-such-command")
    assert code == 2


def test_read_table_finds_bad_encoding_deep_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.csv"
    body = "name,x\n" + "abc,1\n" * 20000
    path.write_bytes(body.encode() + "caf\xe9,2\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"not UTF-8 \(byte 0xe9 at line 20002\)"):
        read_table(path)


def test_cli_error_text_keeps_square_brackets(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "quasimarket.contract/1"\n[[lines]\nid = 1\n')
    code, _, err = cli("contract", "check", str(bad))
    assert code == 2
    assert "'[[lines]'" in err
    assert "line 2, column 8" in err
    assert "Traceback" not in err


def test_cli_exit_code_from_typer_exit_is_kept() -> None:
    import typer

    from quasimarket.cli.main import app, main

    @app.command("exit-three", hidden=True)
    def _exit_three() -> None:
        raise typer.Exit(3)

    try:
        assert main(["exit-three"]) == 3
    finally:
        app.registered_commands = [c for c in app.registered_commands if c.name != "exit-three"]


def test_ctrl_c_exits_130_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    from quasimarket.cli.main import app, main

    @app.command("interrupt-me", hidden=True)
    def _interrupt() -> None:
        raise KeyboardInterrupt

    try:
        code = main(["interrupt-me"])
    finally:
        app.registered_commands = [c for c in app.registered_commands if c.name != "interrupt-me"]
    assert code == 130
    assert "interrupted" in capsys.readouterr().err


def test_load_toml_reports_each_problem_once(tmp_path: Path) -> None:
    from quasimarket.io.config_files import load_toml

    with pytest.raises(ConfigError, match="scenario file not found"):
        load_toml(tmp_path / "missing.toml", what="scenario")
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"a = 1\n\x00\x01")
    with pytest.raises(ConfigError, match="not text"):
        load_toml(binary, what="scenario")
    broken = tmp_path / "s.toml"
    broken.write_text('name = "x"\ndraws = \n')
    with pytest.raises(ConfigError) as info:
        load_toml(broken, what="scenario")
    assert info.value.location == "line 2, column 9"
    assert "draws =" in info.value.problem
    good = tmp_path / "g.toml"
    good.write_text('name = "x"\n[a]\nb = 2\n')
    assert load_toml(good, what="scenario") == {"name": "x", "a": {"b": 2}}
