"""Bad real-data files: one clear error (file, row/column, expected, fix), exit code 2, nothing
written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from quasimarket.economy.real import REAL_FILES

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]
PRACTICES = REAL_FILES["practices"]
CATCHMENTS = REAL_FILES["catchments"]


@pytest.fixture
def data_dir(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in REAL_FILES.values():
        shutil.copy(shared_data / name, folder / name)
    return folder


def read_raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write_raw(frame: pd.DataFrame, path: Path, encoding: str = "utf-8-sig") -> None:
    frame.to_csv(path, index=False, encoding=encoding)


def build_fails(cli: Cli, folder: Path, tmp_path: Path) -> str:
    out = tmp_path / "out"
    code, stdout, err = cli("economy", "build", "--from", str(folder), "--out", str(out))
    assert code == 2, (stdout, err)
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    return " ".join(err.split())


def test_missing_column(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES).drop(columns=["Population"])
    write_raw(frame, data_dir / PRACTICES)
    message = build_fails(cli, data_dir, tmp_path)
    assert PRACTICES in message
    assert "missing column 'Population'" in message
    assert "header row" in message
    assert "fix:" in message


def test_unknown_icb_code_in_practice_file(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES)
    frame.loc[[3, 10], "ICB"] = "QZZ"
    write_raw(frame, data_dir / PRACTICES)
    message = build_fails(cli, data_dir, tmp_path)
    assert PRACTICES in message
    assert "1 unknown ICB code: 'QZZ'" in message
    assert "column 'ICB', lines 5, 12" in message  # header is line 1
    assert "lookup_lsoa11_subicb22_icb22_ltla22.csv" in message
    assert "fix:" in message


def test_unknown_icb_code_in_catchment_file(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / CATCHMENTS)
    frame.loc[0, "icb22_code"] = "E54999999"
    frame.loc[1, "icb22_code"] = "E54999998"
    write_raw(frame, data_dir / CATCHMENTS, encoding="utf-8")
    message = build_fails(cli, data_dir, tmp_path)
    assert CATCHMENTS in message
    assert "2 unknown ICB codes: 'E54999999', 'E54999998'" in message
    assert "column 'icb22_code', lines 2, 3" in message


def test_negative_population(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES)
    frame.loc[6, "Population"] = "-120.5"
    write_raw(frame, data_dir / PRACTICES)
    message = build_fails(cli, data_dir, tmp_path)
    assert PRACTICES in message
    assert "negative population (-120.5)" in message
    assert "column 'Population', line 8" in message
    assert "expected: 'Population' of zero or more" in message


def test_non_numeric_population(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES)
    frame.loc[0, "Population"] = "lots"
    write_raw(frame, data_dir / PRACTICES)
    message = build_fails(cli, data_dir, tmp_path)
    assert "is missing or not a number" in message
    assert "line 2" in message


def test_duplicate_practice_code(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES)
    code = frame.loc[1, "Practice_Code"]
    frame.loc[20, "Practice_Code"] = code
    write_raw(frame, data_dir / PRACTICES)
    message = build_fails(cli, data_dir, tmp_path)
    assert PRACTICES in message
    assert f"duplicate practice code '{code}'" in message
    assert "column 'Practice_Code', lines 3, 22" in message  # both rows


def test_wrong_encoding(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / PRACTICES)
    frame.loc[2, "GP_Practice_Name"] = "CAFÉ SURGERY"
    write_raw(frame, data_dir / PRACTICES, encoding="latin-1")
    message = build_fails(cli, data_dir, tmp_path)
    assert PRACTICES in message
    assert "not UTF-8" in message
    assert "line 4" in message


def test_catchment_shares_not_summing_to_one(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    frame = read_raw(data_dir / CATCHMENTS)
    trust = frame.loc[0, "nhs_trust22_code"]
    frame = frame.drop(index=frame.index[frame["nhs_trust22_code"] == trust][:1])
    first = frame.index[frame["nhs_trust22_code"] == trust][0]
    frame.loc[first, "proportion_trust_came_from_icb"] = "0.5"
    write_raw(frame, data_dir / CATCHMENTS, encoding="utf-8")
    message = build_fails(cli, data_dir, tmp_path)
    assert f"catchment shares do not sum to 1 for 1 trust(s): {trust}" in message


def test_missing_file(cli: Cli, data_dir: Path, tmp_path: Path) -> None:
    (data_dir / REAL_FILES["imd"]).unlink()
    message = build_fails(cli, data_dir, tmp_path)
    assert "the data folder lacks imd2019_lsoa_england.csv" in message


def test_missing_folder(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("economy", "describe", "--real", str(tmp_path / "nowhere"))
    assert code == 2
    assert "data folder not found" in err
    assert "Traceback" not in err
