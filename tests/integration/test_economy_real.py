"""Real-data loaders against the public NHS files in ../shared/data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.economy import Economy, load_economy, load_real_economy
from quasimarket.economy.real import REAL_FILES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real(shared_data: Path) -> Economy:
    return load_real_economy(shared_data)


def test_counts_match_the_files(real: Economy, shared_data: Path) -> None:
    assert real.synthetic is False
    assert str(real.year) == "2025/26"
    assert len(real.commissioners) == 42
    assert len(real.regions) == 7
    assert len(real.practices) == 6348
    assert len(real.providers) == 138  # acute trusts of the catchment file
    assert set(real.providers["kind"]) == {"acute"}
    raw = pd.read_csv(shared_data / REAL_FILES["practices"], encoding="utf-8-sig")
    assert real.population == pytest.approx(raw["Population"].sum(), rel=1e-6)
    assert real.population == pytest.approx(63.8e6, rel=0.01)  # data README
    assert set(real.practices["code"]) == set(raw["Practice_Code"])
    assert set(real.local_authorities["code"]) == set(raw["LAD"])
    by_icb = raw.groupby("ICB")["Population"].sum()
    got = real.commissioners.set_index("code")["population"]
    np.testing.assert_allclose(got.loc[by_icb.index], by_icb, rtol=1e-9)


def test_catchments_are_complete_and_known(real: Economy) -> None:
    cat = real.catchments
    sums = cat.groupby("provider_code")["share"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-9)
    assert set(sums.index) == set(real.providers["code"])
    assert set(cat["commissioner_code"]) <= set(real.commissioners["code"])
    assert cat["commissioner_code"].str.fullmatch(r"[A-Z0-9]{3}").all()  # ODS form, not E54


def test_need_and_allocations(real: Economy) -> None:
    c = real.commissioners
    # ICB overall need index range 0.88-1.12 (payment-rules.md A12, from the same file)
    assert c["need_index"].min() == pytest.approx(0.88, abs=0.01)
    assert c["need_index"].max() == pytest.approx(1.12, abs=0.01)
    assert c["weighted_population"].sum() == pytest.approx(c["population"].sum(), rel=1e-9)
    assert c["allocation_gbp"].sum() == pytest.approx(115e9, rel=1e-9)
    np.testing.assert_allclose(real.practice_cells.sum(axis=1), real.practices["population"])


def test_deprivation_quintiles(real: Economy) -> None:
    p = real.practices
    share = p.groupby("imd_quintile")["population"].sum() / p["population"].sum()
    assert share.index.tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(share, 0.2, atol=0.05)  # whole authorities per quintile
    la = real.local_authorities.set_index("code")
    # quintile 1 (most deprived) authorities have higher IMD scores than quintile 5 ones
    q = p.groupby("la_code")["imd_quintile"].first()
    assert la.loc[q[q == 1].index, "imd_score"].min() > la.loc[q[q == 5].index, "imd_score"].max()


def test_build_from_real_files_via_cli(
    cli: Callable[..., tuple[int, str, str]], shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "england"
    code, stdout, err = cli(
        "economy", "build", "--from", str(shared_data), "--out", str(out), "--json"
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["counts"]["commissioners"] == 42
    assert summary["counts"]["practices"] == 6348
    loaded = load_economy(out)
    assert loaded.synthetic is False
    assert loaded.population == pytest.approx(summary["population"])


def test_describe_real_human_output(
    cli: Callable[..., tuple[int, str, str]], shared_data: Path
) -> None:
    code, stdout, err = cli("economy", "describe", "--real", str(shared_data))
    assert code == 0, err
    assert "42 ICBs" in stdout
    assert "6,348 practices" in stdout
    assert "(real data)" in stdout
