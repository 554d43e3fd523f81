"""Published tariff workbooks as they are: header rows, layouts, no-price markers, errors.

The fixtures in tests/fixtures/tariffs (made by make_fixtures.py there, made-up prices) are
laid out as the published workbooks of each layout; each is loaded and a few records are
priced on it, with the working by hand in each test's docstring.
"""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from quasimarket.activity import ActivityTable
from quasimarket.errors import InputError
from quasimarket.money import decimal_pence
from quasimarket.pricing.tariff_prices import lookup_tariff, price_at_tariff
from quasimarket.tariff import TariffTable
from quasimarket.tariff import annex_a as aa
from quasimarket.tariff.layouts import LAYOUTS, match_header, normalise_header
from quasimarket.tariff.loader import load_mff, load_tariff_report
from quasimarket.vocabulary import POD_CODES

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tariffs"


def _records(rows: list[tuple[str, str, str | None, int, int]]) -> ActivityTable:
    """(provider, pod, hrg, los_days, age) per record; OP records carry TFC 100."""
    n = len(rows)
    return ActivityTable.from_frame(
        pd.DataFrame(
            {
                "record_id": list(range(1, n + 1)),
                "commissioner": ["QS01"] * n,
                "provider": [r[0] for r in rows],
                "pod": [r[1] for r in rows],
                "hrg": [r[2] for r in rows],
                "tfc": ["100" if r[1].startswith("op_") else None for r in rows],
                "los_days": [r[3] for r in rows],
                "age": [r[4] for r in rows],
                "month": [1] * n,
                "ae_dept_type": [1] * n,
            }
        )
    )


def _prices(tariff: TariffTable, activity: ActivityTable) -> list[Decimal]:
    inputs = lookup_tariff(activity, tariff)
    mff = tariff.mff_for(activity.providers)[activity.provider]
    result = price_at_tariff(activity, inputs, mff=mff, rsse_min_age=19)
    return [decimal_pence(float(v)) for v in result.price]


def _pence(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


# -- header cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Day case spell\ntariff (£)", "day case spell tariff"),
        ("  Ordinary elective   spell tariff (£) ", "ordinary elective spell tariff"),
        ("Reduced short stay emergency tariff _applicable?", aa.RSSE_APPLICABLE),
        ("Reduced short stay emergency tariff\r\napplicable?", aa.RSSE_APPLICABLE),
        ("Non-elective spell price (£)*", "non-elective spell price"),
        ("% applied in calculation of reduced short stay emergency price [1]", None),
        ("HRG Code\u00b9", "hrg code"),
        ("Type 01 and 02 departments (£)", "type 01 and 02 departments"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_normalise_header(cell: object, expected: str | None) -> None:
    got = normalise_header(cell)
    if expected is None:
        assert got == "% applied in calculation of reduced short stay emergency price"
    elif expected == aa.RSSE_APPLICABLE:
        assert (
            got
            == normalise_header(aa.RSSE_APPLICABLE)
            == ("reduced short stay emergency tariff applicable?")
        )
    else:
        assert got == expected


def test_every_layout_maps_every_apc_column() -> None:
    """Each layout can name every required APC column (no layout is half-written)."""
    for layout in LAYOUTS:
        assert set(aa.APC_COLUMNS) <= set(layout.columns.values()), layout.key
        assert layout.unconfirmed <= set(layout.columns), layout.key


def test_best_layout_wins() -> None:
    header = [
        "HRG code",
        "Day case spell unit price (£)",
        "Non-elective spell unit price (£)",
        "Ordinary elective long stay trim point (days)",
    ]
    match = match_header(header)
    assert match.layout.key == "nhsps-2023"
    assert match.kind == "apc"
    assert match.columns == {
        0: aa.HRG_CODE,
        1: aa.DAY_CASE,
        2: aa.NON_ELECTIVE,
        3: aa.ELECTIVE_TRIM,
    }
    assert match_header(["HRG code", "Non-elective spell tariff (£)"]).layouts == (
        "annex-a-2012 | nt-2020"
    )


# -- the fixture workbooks, priced by hand ---------------------------------------------------


def test_annex_a_2016_17_worked_example() -> None:
    """Annex A 2016/17 layout: header on row 5 under four title rows; MFF sheet RX1 1.05.

    1 RX1 day case HB12C: combined DC/EL 5,870 (DC and EL are "-"); x 1.05 = 6,163.50
    2 RX1 elective FZ21A LOS 5, trim 3: 1,100 + 2 x 240 = 1,580; x 1.05 = 1,659.00
    3 RX1 non-elective WA14Z LOS 0 age 40: RSSE price "-", so 50% x 1,200 = 600; x 1.05 = 630.00
    4 RX9 (no MFF row: 1.000) non-elective HB12C LOS 20, trim 18: 6,500 + 2 x 262 = 7,024.00
    5 RX9 first outpatient attendance with HRG FZ21A: OP procedure price 410.00
    6 RX1 non-elective FZ21A LOS 1 age 10 (under 19: no RSSE): 1,650 x 1.05 = 1,732.50
    """
    loaded = load_tariff_report(FIXTURES / "annex_a_2016_17.xlsx")
    apc = next(t for t in loaded.tables if t.kind == "apc")
    assert (apc.sheet, apc.header_row, apc.layout) == ("1 APC & OPROC", 5, "annex-a-2012 | nt-2020")
    assert apc.file_rows.tolist() == [6, 7, 8]  # the source note on row 10 is skipped
    assert any("rows 10" in note for note in loaded.notes)
    assert apc.ignored == ("Notes",)
    assert loaded.sheets_searched == ("Cover", "1 APC & OPROC", "MFF")
    activity = _records(
        [
            ("RX1", "day_case", "HB12C", 0, 60),
            ("RX1", "elective", "FZ21A", 5, 60),
            ("RX1", "non_elective", "WA14Z", 0, 40),
            ("RX9", "non_elective", "HB12C", 20, 70),
            ("RX9", "op_first", "FZ21A", 0, 50),
            ("RX1", "non_elective", "FZ21A", 1, 10),
        ]
    )
    assert _prices(loaded.table, activity) == _pence(
        "6163.50", "1659.00", "630.00", "7024.00", "410.00", "1732.50"
    )


def test_nt_2021_22_worked_example() -> None:
    """2021/22 layout ("price" spellings, "HRG Code", footnote markers); no MFF sheet.

    1 elective HB12C LOS 22, trim 10: 6,000 + 12 x 270 = 9,240.00
    2 non-elective FZ21A LOS 1 age 30: RSSE price "-", so 30% x 1,700 = 510.00
    3 non-elective FZ21A LOS 1 age 10: 1,700.00
    4 day case FZ21A: 540.00
    5 non-elective HB12C LOS 25, trim 19: 6,700 + 6 x 270 = 8,320.00
    """
    loaded = load_tariff_report(FIXTURES / "nt_2021_22.xlsx")
    (apc,) = loaded.tables
    assert (apc.header_row, apc.layout) == (3, "nt-2020")
    assert apc.columns[aa.NON_ELECTIVE] == "Non-elective spell price (£)*"
    activity = _records(
        [
            ("RX1", "elective", "HB12C", 22, 60),
            ("RX1", "non_elective", "FZ21A", 1, 30),
            ("RX1", "non_elective", "FZ21A", 1, 10),
            ("RX1", "day_case", "FZ21A", 0, 30),
            ("RX1", "non_elective", "HB12C", 25, 80),
        ]
    )
    assert _prices(loaded.table, activity) == _pence(
        "9240.00", "510.00", "1700.00", "540.00", "8320.00"
    )


def test_nhsps_2023_24_worked_example() -> None:
    """NHS Payment Scheme 2023/24 layout ("unit price"); MFF sheet RX2 0.98.

    1 RX2 non-elective EB03E LOS 15, trim 12: 3,000 + 3 x 280 = 3,840; x 0.98 = 3,763.20
    2 RX2 non-elective FZ21A LOS 0 age 50: RSSE unit price 540; x 0.98 = 529.20
    3 RX2 elective FZ21A LOS 2 (under trim 4): 1,250 x 0.98 = 1,225.00
    4 RX2 follow-up outpatient attendance with HRG FZ21A: OP procedure 450 x 0.98 = 441.00
    5 RX2 day case FZ21A: 600 x 0.98 = 588.00
    """
    loaded = load_tariff_report(FIXTURES / "nhsps_2023_24.xlsx")
    kinds = {t.kind: t for t in loaded.tables}
    assert (kinds["apc"].header_row, kinds["apc"].layout) == (5, "nhsps-2023")
    assert kinds["mff"].header_row == 2
    activity = _records(
        [
            ("RX2", "non_elective", "EB03E", 15, 80),
            ("RX2", "non_elective", "FZ21A", 0, 50),
            ("RX2", "elective", "FZ21A", 2, 50),
            ("RX2", "op_follow_up", "FZ21A", 0, 50),
            ("RX2", "day_case", "FZ21A", 0, 50),
        ]
    )
    assert _prices(loaded.table, activity) == _pence(
        "3763.20", "529.20", "1225.00", "441.00", "588.00"
    )
    # "-" is no price: an elective EB03E spell is unpriced, not priced at £0
    unpriced = lookup_tariff(_records([("RX2", "elective", "EB03E", 3, 70)]), loaded.table)
    assert unpriced.unpriced.tolist() == [True]


def test_fixtures_are_what_make_fixtures_writes(tmp_path: Path) -> None:
    """The committed workbooks are the script's output (run it after changing it)."""
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, build in module.FIXTURES.items():
        module._book(build(), tmp_path / name)
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name
        assert (FIXTURES / name).stat().st_size < 16_000


# -- CSV and markers -------------------------------------------------------------------------


def _csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "annex_a.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = (
    ",".join(
        f'"{c}"' for c in (*aa.APC_COLUMNS[:10], "Reduced short stay emergency tariff\napplicable?")
    )
    + f',"{aa.RSSE_PERCENT}","{aa.RSSE_PRICE}"'
)


def test_csv_with_title_rows_and_dash_markers(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        [
            "National tariff 2016/17 (export)",
            "",
            HEADER,
            ",Chapter A: nervous system,,,,,,,,,,,",
            "AA01A,One,-,\u2013,500,2000,5,2500,10,250,Yes,0.4,-",
            "BB02B,Two,n/a,,,3000,,3500,12,300,No,,",
        ],
    )
    loaded = load_tariff_report(path)
    (apc,) = loaded.tables
    assert apc.header_row == 3
    assert apc.file_rows.tolist() == [5, 6]  # the chapter heading (row 4) is skipped, noted
    assert any("heading row(s) skipped (rows 4)" in note for note in loaded.notes)
    t = loaded.table
    assert np.isnan(t.unit_price[0, 5])  # "-": no outpatient procedure price
    assert t.unit_price[0, 0] == 500.0  # the en dash in the combined price is no price too
    assert t.rsse_price[0] == pytest.approx(1000.0)  # 40% x 2,500
    assert t.elective_trim[1] == np.inf


def test_text_in_a_price_names_sheet_row_and_column(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        [
            "Title",
            HEADER,
            "AA01A,One,,,500,2000,5,2500,10,250,No,,",
            "BB02B,Two,,,,TBC,,3500,12,300,No,,",
        ],
    )
    with pytest.raises(InputError) as err:
        load_tariff_report(path)
    assert "'TBC'" in err.value.problem
    assert err.value.location == f"column {aa.ELECTIVE!r}, rows 4"  # the file's own row
    assert err.value.file == str(path)

    book = tmp_path / "bad.xlsx"
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "1 APC & OPROC"
    sheet.append(["Annex A"])
    sheet.append(list(aa.APC_COLUMNS))
    sheet.append(["AA01A", "One", None, None, 500, 2000, 5, 2500, 10, "lots", "No", None, None])
    wb.save(book)
    with pytest.raises(InputError) as err:
        load_tariff_report(book)
    assert err.value.file == f"{book} [sheet '1 APC & OPROC']"
    assert err.value.location == f"column {aa.EXCESS_BED_DAY!r}, rows 3"


def test_no_tariff_table_lists_sheets_and_candidates(tmp_path: Path) -> None:
    book = tmp_path / "annex_a.xlsx"
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Cover"
    cover.append(["National tariff workbook"])
    prices = wb.create_sheet("Prices")
    prices.append(["Title"])
    prices.append(["Currency", "Description", "Day case (GBP)", "Elective (GBP)"])
    prices.append(["AA01A", "One", 500, 2000])
    wb.save(book)
    with pytest.raises(InputError) as err:
        load_tariff_report(book)
    problem = err.value.problem
    assert "'Cover', 'Prices'" in problem  # the sheets looked at
    assert "sheet 'Prices' row 2: 'Currency', 'Description', 'Day case (GBP)'" in problem
    assert "docs/tariffs.md" in str(err.value.fix)
    assert "give the APC & OPROC sheet" not in str(err.value.fix)


def test_two_columns_meaning_one_are_refused(tmp_path: Path) -> None:
    header = HEADER + ',"Day case spell price (£)"'
    path = _csv(tmp_path, [header, "AA01A,One,,,500,2000,5,2500,10,250,No,,,510"])
    with pytest.raises(InputError, match="mean 'Day case spell tariff") as err:
        load_tariff_report(path)
    assert err.value.location == "row 1"


def test_apc_missing_names_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text("Org code,Org name,MFF payment index\nRX1,x,1.1\n", encoding="utf-8")
    with pytest.raises(InputError, match="found only: market forces factor") as err:
        load_tariff_report(path)
    assert "docs/tariffs.md" in str(err.value.expected)


def test_mff_file_below_title_rows_names_its_own_rows(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text(
        "MFF 2016/17\n\nOrg code,Org name,MFF payment index\nRX1,a,1.02\nRX2,b,abc\n",
        encoding="utf-8",
    )
    tariff = load_tariff_report(FIXTURES / "nt_2021_22.xlsx").table
    with pytest.raises(InputError, match="'abc'") as err:
        tariff.with_mff(load_mff(path), file=str(path))
    assert err.value.location == f"column {aa.MFF_INDEX!r}, rows 5"
    path.write_text("MFF 2016/17\nOrg code,Org name,MFF payment index\nRX1,a,1.02\n", "utf-8")
    assert tariff.with_mff(load_mff(path)).mff_for(["RX1", "RX2"]).tolist() == [1.02, 1.0]


def test_published_outpatient_and_ae_headers_are_read(tmp_path: Path) -> None:
    """Outpatient and A&E tables as some workbooks head them ("Follow Up Attendance - Single
    Professional", "Type 1 and 2 Departments") [K]; a multi-professional price, which the
    engine does not use, is noted as not used rather than read as the single price."""
    folder = tmp_path / "tariff"
    folder.mkdir()
    (folder / "apc.csv").write_text(
        HEADER + "\nAA01A,One,,,500,2000,5,2500,10,250,No,,\n", encoding="utf-8"
    )
    (folder / "op.csv").write_text(
        "Outpatient attendances 2016/17\n\n"
        "TFC code,TFC name,First Attendance - Single Professional,"
        "First Attendance - Multi Professional,Follow Up Attendance - Single Professional\n"
        "100,General surgery,150,200,80\n",
        encoding="utf-8",
    )
    (folder / "ae.csv").write_text(
        "HRG code,HRG name,Type 1 and 2 Departments,Type 3 and 4 Departments\nVB01Z,A&E,120,60\n",
        encoding="utf-8",
    )
    loaded = load_tariff_report(folder)
    assert {t.kind for t in loaded.tables} == {"apc", "outpatient", "ae"}
    assert any("First Attendance - Multi Professional" in n for n in loaded.notes)
    table = loaded.table
    op = table.index_of(["100"], tfc=True)[0]
    ae = table.index_of(["VB01Z"])[0]
    first, follow_up = POD_CODES["op_first"], POD_CODES["op_follow_up"]
    assert table.unit_price[op, first] == 150.0
    assert table.unit_price[op, follow_up] == 80.0
    assert table.unit_price[ae, POD_CODES["ae"]] == 120.0
