"""`quasimarket contract check | new | mechanisms` end to end (in-process CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quasimarket.contracts import TEMPLATE_NAMES, load_contract

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"
Cli = Callable[..., tuple[int, str, str]]


def assert_clean_error(code: int, out: str, err: str, *needles: str) -> None:
    """Exit 2, one message on stderr, no traceback, nothing on stdout."""
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert "Traceback" not in out
    assert err.startswith("error:")
    flat = " ".join(err.split())
    for needle in needles:
        assert needle in flat, (needle, err)


def test_check_prints_summary_risk_table_and_defaults(cli: Cli) -> None:
    code, out, err = cli("contract", "check", str(EXAMPLES / "acute_pbr_2016.toml"))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "valid:" in flat
    assert "Who bears the risk" in flat
    assert "Defaults applied" in flat
    assert "baseline_year" in flat
    assert "0.7" in flat
    assert "provider 30%, commissioner 70%" in flat


def test_check_json_carries_the_same_data(cli: Cli) -> None:
    path = EXAMPLES / "acute_pbr_2016.toml"
    code, out, _ = cli("contract", "check", str(path), "--json")
    assert code == 0
    payload = json.loads(out)
    contract = load_contract(path)
    assert payload["valid"] is True
    assert payload["summary"] == contract.summary()
    assert [row["line"] for row in payload["risk_table"]] == [
        "elective",
        "nel",
        "outpatients",
        "ae",
    ]
    defaults = {(d["line_id"], d["rule"], d["field"]): d for d in payload["defaults"]}
    mret = defaults[("nel", "mret", "rate")]
    assert mret["value"] == 0.7
    assert mret["status"] == "V"
    assert "A4" in mret["source"]
    assert payload["contract"]["year"] == "2016/17"


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_checks(cli: Cli, name: str) -> None:
    code, out, err = cli("contract", "check", str(EXAMPLES / name), "--json")
    assert code == 0, err
    assert json.loads(out)["risk_table"]


_BLENDED = (EXAMPLES / "blended_2019.toml").read_text()
_FORM_LINE = _BLENDED.splitlines().index('form = "nhs_standard_contract"') + 1

BAD_CASES = {
    "shares": (
        (EXAMPLES / "alliance_case_b.toml")
        .read_text()
        .replace(
            'share = 0.4\n\n[[alliance.partners]]\ncode = "SR003"',
            'share = 0.5\n\n[[alliance.partners]]\ncode = "SR003"',
            1,
        ),
        ["alliance partner shares sum to 1.1, not 1", "alliance > partners > share"],
    ),
    "cquin": (
        (EXAMPLES / "blended_2019.toml").read_text().replace("weight = 0.25", "weight = 0.5", 1),
        ["CQUIN weights over 100%", "125.0%"],
    ),
    "toml": (
        _BLENDED.replace('form = "nhs_standard_contract"', "form = nhs"),
        ["TOML syntax error", f"line {_FORM_LINE}, column 8"],
    ),
    "unknown key": (
        (EXAMPLES / "api_2022.toml")
        .read_text()
        .replace("elective_threshold_value", "elective_threshold"),
        [
            "unknown key 'elective_threshold'",
            "lines #1 ('acute') > terms > elective_threshold",
            "did you mean 'elective_threshold_value'?",
        ],
    ),
    "unknown mechanism": (
        (EXAMPLES / "community_block_2016.toml")
        .read_text()
        .replace('"local_price"', '"local_prise"'),
        ["unknown mechanism 'local_prise'", "did you mean 'local_price'?", "cost_per_case"],
    ),
    "out of era": (
        (EXAMPLES / "acute_pbr_2016.toml")
        .read_text()
        .replace('year = "2016/17"', 'year = "2019/20"'),
        ["rule 'mret' was not in force in 2019/20", "allow_out_of_era = true"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_contracts_exit_2_with_one_clear_message(cli: Cli, tmp_path: Path, case: str) -> None:
    text, needles = BAD_CASES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = cli("contract", "check", str(path))
    assert_clean_error(code, out, err, str(path), *needles)
    code, out, err = cli("contract", "check", str(path), "--json")
    assert code == 2
    assert out == ""


def test_binary_and_oversized_files_are_refused(cli: Cli, tmp_path: Path) -> None:
    binary = tmp_path / "contract.toml"
    binary.write_bytes(b"\x00\x01\x02 not a contract")
    assert_clean_error(*cli("contract", "check", str(binary)), "not text")
    big = tmp_path / "big.toml"
    big.write_text("# x\n" * 400_000)
    assert_clean_error(*cli("contract", "check", str(big)), "too large")
    assert_clean_error(*cli("contract", "check", str(tmp_path / "none.toml")), "not found")


def test_new_prints_a_template_that_checks(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("contract", "new", "--mechanism", "mret")
    assert code == 0, err
    assert out.startswith("# quasimarket contract template")
    path = tmp_path / "mret.toml"
    path.write_text(out)
    assert cli("contract", "check", str(path))[0] == 0


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_new_writes_every_template_to_a_file(cli: Cli, tmp_path: Path, name: str) -> None:
    path = tmp_path / "out" / f"{name}.toml"
    code, out, err = cli("contract", "new", "--mechanism", name, "--out", str(path))
    assert code == 0, err
    assert path.exists()
    assert str(path) in " ".join(out.split())
    assert load_contract(path).lines
    marker = f".{path.name}.quasimarket-output.json"  # the output marker; no temporary files
    assert sorted(p.name for p in path.parent.iterdir()) == [marker, path.name]


def test_new_never_overwrites_the_users_file(cli: Cli, tmp_path: Path) -> None:
    """A file contract new did not write, or a template edited since, is the user's: refused
    with and without --force; an unedited template of its own is replaced with --force."""
    path = tmp_path / "contract.toml"
    path.write_text("keep me")
    for force in ((), ("--force",)):
        assert_clean_error(
            *cli("contract", "new", "--mechanism", "block", "--out", str(path), *force),
            "no quasimarket output marker",
            "refusing to replace it, even with --force",
        )
        assert path.read_text() == "keep me"

    mine = tmp_path / "mine.toml"
    assert cli("contract", "new", "--mechanism", "block", "--out", str(mine))[0] == 0
    assert_clean_error(
        *cli("contract", "new", "--mechanism", "mret", "--out", str(mine)), "add --force"
    )
    code, _, err = cli("contract", "new", "--mechanism", "mret", "--out", str(mine), "--force")
    assert code == 0, err
    assert 'rule = "mret"' in mine.read_text()
    mine.write_text(mine.read_text() + "\n# my edits\n")
    assert_clean_error(
        *cli("contract", "new", "--mechanism", "block", "--out", str(mine), "--force"),
        "changed since 'quasimarket contract new' wrote it",
    )
    assert mine.read_text().endswith("# my edits\n")


def test_new_with_an_unknown_name_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    assert_clean_error(
        *cli("contract", "new", "--mechanism", "capitaton", "--out", str(path)),
        "unknown template 'capitaton'",
        "did you mean 'capitation'?",
    )
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_mechanisms_lists_everything(cli: Cli) -> None:
    code, out, _ = cli("contract", "mechanisms", "--json")
    assert code == 0
    names = {row["name"] for row in json.loads(out)}
    assert names == set(TEMPLATE_NAMES)
    code, out, _ = cli("contract", "mechanisms")
    assert code == 0
    assert "caps_and_collars" in out


def test_error_text_with_brackets_is_printed_verbatim(cli: Cli, tmp_path: Path) -> None:
    """A TOML line like `[[lines]` is shown as written (not eaten as rich markup)."""
    path = tmp_path / "bad.toml"
    path.write_text('format = "quasimarket.contract/1"\n[[lines]\nid = "x"\n')
    code, out, err = cli("contract", "check", str(path))
    assert_clean_error(code, out, err, "line 2, column 8", "'[[lines]'")
