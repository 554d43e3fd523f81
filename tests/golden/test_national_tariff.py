"""Golden national tariff examples: record-level prices to the penny, by point of delivery.

The ``docs/worked_examples/national_tariff__*.toml`` files hold hand-checked examples (the
working is in each file); this module checks there are at least two per POD family, runs them
through :func:`national_tariff_price`, and runs a hand-made Annex A table through the tariff
look-up and the pricing engine to check the look-up rules (combined day case/elective price,
outpatient procedure precedence, A&E department type, MFF default 1.000).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quasimarket.activity import ActivityTable
from quasimarket.mechanisms.national_tariff import POD_CODES, national_tariff_price
from quasimarket.money import decimal_pence
from quasimarket.pricing.tariff_prices import lookup_tariff, price_at_tariff
from quasimarket.tariff import TariffTable
from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.golden

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[2] / "docs" / "worked_examples").glob(
        "national_tariff__*.toml"
    )
)
FAMILIES = {
    "day case": {POD_CODES["day_case"]},
    "elective": {POD_CODES["elective"]},
    "non-elective": {POD_CODES["non_elective"]},
    "outpatient": {POD_CODES["op_first"], POD_CODES["op_follow_up"], POD_CODES["op_procedure"]},
    "A&E": {POD_CODES["ae"]},
}


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_at_least_two_examples_per_pod_family() -> None:
    seen = dict.fromkeys(FAMILIES, 0)
    for path in EXAMPLES:
        pods = set(np.atleast_1d(_load(path)["inputs"]["pod"]).tolist())
        for family, codes in FAMILIES.items():
            if pods & codes:
                seen[family] += 1
    assert all(count >= 2 for count in seen.values()), seen


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_to_the_penny(path: Path) -> None:
    case = _load(path)
    assert case["function"] == "national_tariff.national_tariff_price"
    assert case["working"].strip()
    assert case["numbers_source"].strip()
    result = national_tariff_price(**case["inputs"])
    for field, expected in case["expected"].items():
        values = np.atleast_1d(getattr(result, field))
        wanted = expected if isinstance(expected, list) else [expected]
        assert len(values) == len(wanted), field
        for got, want in zip(values, wanted, strict=True):
            assert decimal_pence(float(got)) == Decimal(want), f"{path.stem}.{field}"
    # the components always add up to the price
    parts = (
        result.base + result.excess_bed_days + result.short_stay + result.bpt + result.top_up
    ) + result.mff
    np.testing.assert_allclose(parts, result.price, rtol=0, atol=1e-9)


def _tiny_tariff() -> TariffTable:
    """Two HRGs, one TFC, one A&E HRG and one MFF row (illustrative, hand-checked)."""
    apc = pd.DataFrame(
        {
            aa.HRG_CODE: ["HB12C", "FZ21A"],
            aa.HRG_NAME: ["Hip procedure", "Colonoscopy"],
            aa.OP_PROCEDURE: [np.nan, 410.0],
            aa.COMBINED_DC_EL: [5870.0, np.nan],
            aa.DAY_CASE: [np.nan, 520.0],
            aa.ELECTIVE: [np.nan, 1100.0],
            aa.ELECTIVE_TRIM: [9, 3],
            aa.NON_ELECTIVE: [6500.0, 1650.0],
            aa.NON_ELECTIVE_TRIM: [18, 20],
            aa.EXCESS_BED_DAY: [262.0, 240.0],
            aa.RSSE_APPLICABLE: ["No", "Yes"],
            aa.RSSE_PERCENT: [np.nan, 30],  # percentage points: read as 30%
            aa.RSSE_PRICE: [np.nan, np.nan],  # derived: 0.30 x 1,650 = 495.00
        }
    )
    op = pd.DataFrame(
        {
            aa.TFC_CODE: [100],
            aa.TFC_NAME: ["General surgery"],
            aa.OP_FIRST: [160.0],
            aa.OP_FOLLOW_UP: [92.0],
        }
    )
    ae = pd.DataFrame(
        {
            aa.AE_HRG_CODE: ["VB03Z"],
            aa.AE_HRG_NAME: ["Emergency medicine 3"],
            aa.AE_TYPE_1_2: [140.0],
            aa.AE_TYPE_3_4: [60.0],
        }
    )
    mff = pd.DataFrame({aa.MFF_ORG_CODE: ["RX1"], aa.MFF_ORG_NAME: ["Trust"], aa.MFF_INDEX: [1.02]})
    return TariffTable.from_frames(apc, outpatient=op, ae=ae, mff=mff)


def test_lookup_rules_through_a_tariff_table() -> None:
    """Hand-checked: look-up + national_tariff_price on one record per rule.

    1 RX1 day case HB12C: combined DC/EL price 5,870.00 is used; × 1.02 = 5,987.40
    2 RX1 elective HB12C LOS 14, trim 9: 5,870 + 5 × 262 = 7,180; × 1.02 = 7,323.60
    3 RX1 non-elective FZ21A LOS 0 age 40: RSSE 30% × 1,650 = 495.00; × 1.02 = 504.90
    4 RX1 op_first TFC 100 with HRG FZ21A: the OP procedure price 410 wins; × 1.02 = 418.20
    5 RX1 op_follow_up TFC 100, no HRG: 92.00 × 1.02 = 93.84
    6 RX9 (not in the MFF table: 1.000) A&E VB03Z type 3: 60.00
    7 RX9 A&E VB03Z type 1: 140.00
    """
    frame = pd.DataFrame(
        {
            "record_id": [1, 2, 3, 4, 5, 6, 7],
            "commissioner": ["QS01"] * 7,
            "provider": ["RX1"] * 5 + ["RX9"] * 2,
            "pod": ["day_case", "elective", "non_elective", "op_first", "op_follow_up", "ae", "ae"],
            "hrg": ["HB12C", "HB12C", "FZ21A", "FZ21A", None, "VB03Z", "VB03Z"],
            "tfc": [None, None, None, "100", "100", None, None],
            "los_days": [0, 14, 0, 0, 0, 0, 0],
            "age": [60, 70, 40, 50, 50, 30, 30],
            "month": [1] * 7,
            "ae_dept_type": [1, 1, 1, 1, 1, 3, 1],
        }
    )
    activity = ActivityTable.from_frame(frame)
    tariff = _tiny_tariff()
    inputs = lookup_tariff(activity, tariff)
    mff = tariff.mff_for(activity.providers)[activity.provider]
    result = price_at_tariff(activity, inputs, mff=mff, rsse_min_age=19)
    got = [decimal_pence(float(v)) for v in result.price]
    assert got == [
        Decimal(v) for v in ("5987.40", "7323.60", "504.90", "418.20", "93.84", "60.00", "140.00")
    ]
