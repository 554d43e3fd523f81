"""The small synthetic economy: shapes, invariants, determinism, save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.economy import Economy, load_economy, save_economy, small_economy
from quasimarket.economy.store import TABLES
from quasimarket.errors import ConfigError, InputError
from quasimarket.tariff import annex_a as A  # noqa: N812

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def small() -> Economy:
    return small_economy(seed=0)


def test_small_economy_has_one_icb_three_providers_and_two_councils(small: Economy) -> None:
    assert small.commissioner_level == "ICB"
    assert small.commissioners["code"].tolist() == ["QS01"]
    assert small.providers["code"].tolist() == ["SR001", "SR002", "SR003"]
    assert small.providers["kind"].tolist() == ["acute", "community", "mental_health"]
    assert len(small.practices) == 40
    assert 1 <= len(small.local_authorities) <= 2
    assert small.synthetic is True
    assert small.practices["code"].str.fullmatch(r"S\d{5}").all()


def test_tables_have_the_documented_columns(small: Economy) -> None:
    for name, columns in TABLES.items():
        frame = getattr(small, name)
        assert set(columns) <= set(frame.columns), name


def test_population_adds_up_from_cells_to_practices_to_commissioner(small: Economy) -> None:
    cells = small.practice_cells
    assert cells.shape == (40, 16)
    assert (cells >= 0).all()
    np.testing.assert_allclose(cells.sum(axis=1), small.practices["population"])
    assert small.commissioners["population"].iloc[0] == pytest.approx(small.population)
    assert small.population == pytest.approx(400_000, rel=0.01)
    la_lower = small.local_authorities.query("kind != 'county'")
    assert la_lower["population"].sum() == pytest.approx(small.population)
    assert set(small.practices["la_code"]) <= set(small.local_authorities["code"])


def test_allocation_is_weighted_capitation_at_england_rates(small: Economy) -> None:
    row = small.commissioners.iloc[0]
    # need index = weighted / raw population
    assert row["need_index"] == pytest.approx(row["weighted_population"] / row["population"])
    assert 0.85 < row["need_index"] < 1.15
    # target = weighted population x MFF x England £/head (about £1,800 in 2025/26: £115bn
    # over 63.8m people)
    per_head = row["target_allocation_gbp"] / (row["weighted_population"] * row["mff"])
    assert per_head == pytest.approx(115e9 / 63.8e6, rel=1e-9)
    dft = row["allocation_gbp"] / row["target_allocation_gbp"] - 1
    assert abs(dft) <= 0.05


def test_catchments_and_mff(small: Economy) -> None:
    shares = small.catchments.groupby("provider_code")["share"].sum()
    np.testing.assert_allclose(shares.to_numpy(), 1.0)
    assert set(small.catchments["commissioner_code"]) == {"QS01"}
    assert small.providers["mff"].between(0.90, 1.30).all()


def test_tariff_tables_use_the_annex_a_columns(small: Economy) -> None:
    tariff = small.tariff
    assert set(tariff) == {"apc", "outpatient", "ae", "mff", "top_up"}
    assert tuple(tariff["apc"].columns) == A.APC_COLUMNS + A.APC_OPTIONAL_COLUMNS
    assert tuple(tariff["outpatient"].columns) == A.OUTPATIENT_COLUMNS
    assert tuple(tariff["ae"].columns) == A.AE_COLUMNS
    assert tuple(tariff["mff"].columns) == A.MFF_COLUMNS
    assert tuple(tariff["top_up"].columns) == A.TOP_UP_COLUMNS
    assert tariff["mff"][A.MFF_ORG_CODE].tolist() == small.providers["code"].tolist()
    ae_codes = [f"VB{k:02d}Z" for k in range(1, 12)] + ["VB99Z"]
    assert tariff["ae"][A.AE_HRG_CODE].tolist() == ae_codes


def test_same_seed_same_economy_and_different_seed_differs() -> None:
    first, again, other = small_economy(3), small_economy(3), small_economy(4)
    pd.testing.assert_frame_equal(first.practices, again.practices)
    pd.testing.assert_frame_equal(first.tariff["apc"], again.tariff["apc"])
    np.testing.assert_array_equal(first.practice_cells, again.practice_cells)
    assert not np.array_equal(first.practice_cells, other.practice_cells)


def test_pre_2022_small_economy_is_a_ccg() -> None:
    ccg = small_economy(0, year="2016/17")
    assert ccg.commissioner_level == "CCG"
    assert ccg.commissioners["code"].tolist() == ["S001"]


@pytest.mark.parametrize("seed", [-1, 1.5, "x", True])
def test_bad_seed_is_a_config_error(seed: object) -> None:
    with pytest.raises(ConfigError, match="seed"):
        small_economy(seed)  # type: ignore[arg-type]


def test_save_and_load_round_trip(small: Economy, tmp_path: Path) -> None:
    out = save_economy(small, tmp_path / "econ")
    loaded = load_economy(out)
    assert loaded.year == small.year
    assert loaded.name == small.name
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(small, name), getattr(loaded, name))
    for key, frame in small.tariff.items():
        pd.testing.assert_frame_equal(frame, loaded.tariff[key])
    np.testing.assert_array_equal(small.practice_cells, loaded.practice_cells)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_load_economy_from_a_folder_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"economy\.json is missing"):
        load_economy(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_economy(tmp_path / "nope")


def test_small_economy_level_override() -> None:
    assert small_economy(0, "2025/26", level="CCG").commissioners["code"].tolist() == ["S001"]
    with pytest.raises(ConfigError, match="level"):
        small_economy(0, level="STP")
