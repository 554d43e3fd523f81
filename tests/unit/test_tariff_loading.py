"""Tariff tables: compiling Annex A frames, loading CSV/XLSX, errors, the reference-cost loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quasimarket.errors import InputError
from quasimarket.mechanisms.national_tariff import POD_CODES
from quasimarket.tariff import TariffTable, annex_a_from_reference_costs, load_tariff
from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.unit


def apc_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            aa.HRG_CODE: ["AA01A", "BB02B"],
            aa.HRG_NAME: ["One", "Two"],
            aa.OP_PROCEDURE: [None, "£1,234.50"],
            aa.COMBINED_DC_EL: [None, None],
            aa.DAY_CASE: [500.0, None],
            aa.ELECTIVE: [2000.0, 3000.0],
            aa.ELECTIVE_TRIM: [5, None],
            aa.NON_ELECTIVE: [2500.0, 3500.0],
            aa.NON_ELECTIVE_TRIM: [10, 12],
            aa.EXCESS_BED_DAY: [250.0, 300.0],
            aa.RSSE_APPLICABLE: ["Yes", "No"],
            aa.RSSE_PERCENT: [0.4, None],
            aa.RSSE_PRICE: [None, None],
            aa.TOP_UP_CATEGORY: ["PAED", None],
            aa.BPT_PRICE: [None, 3300.0],
        }
    )


def top_up_frame() -> pd.DataFrame:
    return pd.DataFrame({aa.TOP_UP_CATEGORY_CODE: ["PAED"], aa.TOP_UP_PERCENT: [25.0]})


def test_compile_prices_trims_and_percentages() -> None:
    t = TariffTable.from_frames(apc_frame(), top_up=top_up_frame())
    i = t.index_of(["AA01A", "BB02B", "ZZ99Z"])
    assert i.tolist() == [0, 1, -1]
    assert t.unit_price[0, POD_CODES["day_case"]] == 500.0
    assert np.isnan(t.unit_price[1, POD_CODES["day_case"]])
    assert t.unit_price[1, POD_CODES["op_procedure"]] == 1234.5  # "£1,234.50" parsed
    assert t.rsse_price[0] == pytest.approx(0.4 * 2500.0)  # derived from the %
    assert t.rsse_applicable.tolist() == [True, False]
    assert t.elective_trim[1] == np.inf  # blank trim = none
    assert t.top_up_pct.tolist() == [0.25, 0.0]  # 25 percentage points -> 0.25
    assert np.isnan(t.bpt_price[0])
    assert t.bpt_price[1] == 3300.0


def test_combined_price_takes_precedence() -> None:
    frame = apc_frame()
    frame[aa.COMBINED_DC_EL] = [1500.0, None]
    t = TariffTable.from_frames(frame, top_up=top_up_frame())
    assert t.unit_price[0, POD_CODES["day_case"]] == 1500.0
    assert t.unit_price[0, POD_CODES["elective"]] == 1500.0
    assert t.unit_price[1, POD_CODES["elective"]] == 3000.0


def test_missing_column_is_one_clear_error() -> None:
    with pytest.raises(InputError) as err:
        TariffTable.from_frames(apc_frame().drop(columns=[aa.NON_ELECTIVE]))
    assert aa.NON_ELECTIVE in err.value.problem
    assert err.value.fix


def test_duplicate_and_non_numeric_rows_are_named() -> None:
    frame = pd.concat([apc_frame(), apc_frame().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="duplicate codes: AA01A") as err:
        TariffTable.from_frames(frame, top_up=top_up_frame())
    assert "rows 2, 4" in str(err.value.location)
    bad = apc_frame()
    bad[aa.ELECTIVE] = ["2000", "lots"]
    with pytest.raises(InputError, match="not numbers: 'lots'"):
        TariffTable.from_frames(bad, top_up=top_up_frame())


def test_unknown_top_up_category() -> None:
    with pytest.raises(InputError, match="PAED"):
        TariffTable.from_frames(apc_frame())  # no top-up table


def test_load_folder_of_csvs_and_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "tariff"
    folder.mkdir()
    apc_frame().to_csv(folder / "apc.csv", index=False)
    top_up_frame().to_csv(folder / "topups.csv", index=False)
    pd.DataFrame({aa.MFF_ORG_CODE: ["RX1"], aa.MFF_ORG_NAME: ["x"], aa.MFF_INDEX: [1.1]}).to_csv(
        folder / "mff.csv", index=False
    )
    t = load_tariff(folder)
    assert t.n_codes == 2
    assert t.mff_for(["RX1", "RX2"]).tolist() == [1.1, 1.0]
    book = tmp_path / "annex_a.xlsx"
    with pd.ExcelWriter(book) as writer:
        apc_frame().to_excel(writer, sheet_name="1 APC & OPROC", index=False)
        top_up_frame().to_excel(writer, sheet_name="Top-ups", index=False)
    t2 = load_tariff(book)
    np.testing.assert_array_equal(t2.unit_price, t.unit_price)


def test_not_a_tariff_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a recognisable tariff table"):
        load_tariff(path)


def test_reference_cost_loader_on_real_files(shared_data: Path) -> None:
    frame = annex_a_from_reference_costs(shared_data, year=2015)
    assert list(frame.columns) == list(aa.APC_COLUMNS)
    assert len(frame) > 300
    t = TariffTable.from_frames(frame)
    nel = t.unit_price[:, POD_CODES["non_elective"]]
    assert 500 < np.nanmedian(nel) < 10_000  # real magnitudes
    trims = t.non_elective_trim[np.isfinite(t.non_elective_trim)]
    assert trims.size > 100
    assert 1 <= np.median(trims) <= 60
    ok = t.rsse_applicable
    assert ok.any()
    assert np.all(t.rsse_price[ok] < nel[ok])
    raw = pd.read_csv(shared_data / "reference_costs_2010_2016.csv")
    one = raw[(raw.Year == 2015) & (raw.type == "Elective")].iloc[0]
    assert t.unit_price[t.index_of([one.sushrg])[0], POD_CODES["elective"]] == pytest.approx(
        one.cost
    )


def test_engine_prices_real_hrg_codes(shared_data: Path) -> None:
    """Synthetic activity drawn on the reference-cost tariff prices end to end."""
    from quasimarket.activity import synthetic_activity
    from quasimarket.contracts import parse_contract
    from quasimarket.pricing import price

    tariff = TariffTable.from_frames(annex_a_from_reference_costs(shared_data, year=2015))
    frame = synthetic_activity(
        None,
        n_records=5_000,
        year="2015/16",
        seed=4,
        tariff=tariff,
        providers=["RX1"],
        commissioners=["00C"],
        pods=["day_case", "elective", "non_elective"],
    )
    contract = parse_contract(
        """
format = "quasimarket.contract/1"
name = "Real HRGs"
year = "2015/16"
[[commissioners]]
code = "00C"
[[providers]]
code = "RX1"
[[lines]]
id = "apc"
service = "Admitted patient care"
currency = "spell"
pods = ["day_case", "elective", "non_elective"]
mechanism = "national_tariff"
"""
    )
    result = price(contract, frame, tariff)
    t = result.totals()
    assert t["short_stay_gbp"] < 0 < t["excess_bed_days_gbp"]
    mean = t["tariff_gbp"] / t["records"]
    assert 500 < mean < 10_000  # a real-looking average spell price
    # every drawn HRG/pod has a price; the only note is the MFF the reference costs lack
    assert len(result.notes) == 1, result.notes
    assert "no MFF table" in result.notes[0]
