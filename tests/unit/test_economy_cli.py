"""The ``economy describe`` and ``economy build`` commands on synthetic economies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quasimarket.economy import load_economy, small_economy

pytestmark = pytest.mark.unit

Cli = Callable[..., tuple[int, str, str]]


def test_describe_json_full_icb(cli: Cli) -> None:
    code, out, err = cli("economy", "describe", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["counts"]["commissioners"] == 42
    assert summary["commissioner_level"] == "ICB"
    assert len(summary["commissioners"]) == 42  # all of them in --json
    assert len(summary["regions"]) == 7
    assert sum(r["population"] for r in summary["regions"]) == pytest.approx(summary["population"])
    assert summary["allocation_gbp"] == pytest.approx(115e9)
    assert set(summary["providers_by_kind"]) == {
        "acute",
        "community",
        "mental_health",
        "ambulance",
        "independent",
        "third_sector",
    }
    assert summary["tariff"]["synthetic_names"] is True
    assert summary["tariff"]["ae_hrgs"] == 12


def test_describe_ccg_level_and_year(cli: Cli) -> None:
    code, out, _ = cli("economy", "describe", "--year", "2013/14", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["counts"]["commissioners"] == 211
    assert summary["allocation_gbp"] == pytest.approx(65e9)
    code, out, _ = cli("economy", "describe", "--year", "2013/14", "--level", "ICB", "--json")
    assert json.loads(out)["counts"]["commissioners"] == 42


def test_describe_human_output_lists_top_and_bottom(cli: Cli) -> None:
    code, out, _ = cli("economy", "describe", "--seed", "2", "--top", "3")
    assert code == 0
    assert "42 ICBs" in out
    assert "By region" in out
    assert "Providers by kind" in out
    assert "largest and smallest 3 of 42" in out
    assert "(SYNTHETIC)" in out


def test_describe_small(cli: Cli) -> None:
    _code, out, _ = cli("economy", "describe", "--small", "--json")
    summary = json.loads(out)
    assert summary["counts"] == {
        "regions": 1,
        "commissioners": 1,
        "practices": 40,
        "providers": 3,
        "local_authorities": 2,
        "apc_hrgs": len(small_economy(0).tariff["apc"]),
    }


def test_build_writes_a_loadable_economy(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "econ"
    code, stdout, err = cli("economy", "build", "--small", "--seed", "4", "--out", str(out))
    assert code == 0, err
    assert f"written: {out}" in " ".join(stdout.split())
    loaded = load_economy(out)
    assert loaded.practices.equals(small_economy(4).practices)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("--year", "2016/18"), "not a financial year"),
        (("--level", "PCT"), "unknown commissioner level 'PCT'"),
        (("--seed", "-3"), "seed must be a non-negative"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], text: str
) -> None:
    out = tmp_path / "econ"
    code, _, err = cli("economy", "build", "--out", str(out), *args)
    assert code == 2
    assert text in " ".join(err.split())
    assert "Traceback" not in err
    assert not out.exists()


def test_build_refuses_to_replace_a_folder_that_is_not_an_economy(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = cli("economy", "build", "--small", "--out", str(out))
    assert code == 2
    assert "refusing to replace it, even with --force" in " ".join(err.split())
    assert (out / "notes.txt").read_text() == "keep me"
    # a saved economy is replaced with --force only
    e = str(tmp_path / "e")
    assert cli("economy", "build", "--small", "--out", e)[0] == 0
    code, _, err = cli("economy", "build", "--small", "--seed", "1", "--out", e)
    assert code == 2
    assert "add --force" in " ".join(err.split())
    assert cli("economy", "build", "--small", "--seed", "1", "--out", e, "--force")[0] == 0
    assert load_economy(tmp_path / "e").practices.equals(small_economy(1).practices)


def test_real_with_synthetic_options_is_refused(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("economy", "describe", "--real", str(tmp_path), "--year", "2015/16")
    assert code == 2
    assert "real England is built for 2025/26 only" in " ".join(err.split())
