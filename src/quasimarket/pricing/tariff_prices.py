"""Record-level national tariff pricing: look prices up, then call the national tariff rule.

The look-up turns each record's HRG/TFC, point of delivery and provider into the arguments of
:func:`quasimarket.mechanisms.national_tariff.national_tariff_price` with one gather per
argument from the small arrays of a :class:`~quasimarket.tariff.TariffTable`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray
from quasimarket.activity.table import ActivityTable
from quasimarket.errors import InputError, summarise_items
from quasimarket.mechanisms.national_tariff import TariffPrice, national_tariff_price
from quasimarket.tariff.table import AE_TYPE_3_4_COLUMN, N_PRICE_COLUMNS, TariffTable
from quasimarket.vocabulary import POD_CODES

__all__ = ["TariffInputs", "lookup_tariff", "price_at_tariff"]

_OP_ATTENDANCE = (POD_CODES["op_first"], POD_CODES["op_follow_up"])


@dataclass(frozen=True)
class TariffInputs:
    """Per-record arguments of ``national_tariff_price`` (float64 £, days, fractions)."""

    key: npt.NDArray[np.int32]
    pod: npt.NDArray[np.int8]
    spell_price: FloatArray
    trim_days: FloatArray
    excess_bed_day_price: FloatArray
    rsse_applicable: npt.NDArray[np.bool_]
    rsse_price: FloatArray
    bpt_price: FloatArray
    top_up_pct: FloatArray
    unpriced: npt.NDArray[np.bool_]


def lookup_tariff(
    activity: ActivityTable,
    tariff: TariffTable,
    scope: npt.NDArray[np.bool_] | None = None,
) -> TariffInputs:
    """Look up every record's national prices (records outside *scope* get zeros).

    Outpatient attendances are priced by TFC first/follow-up unless their HRG has an
    outpatient procedure price, which takes precedence (payment-rules.md A2 [K]). A&E
    attendances at type 3/4 departments take the type 3/4 price (A3 [K]).

    Raises:
        InputError: HRG (or TFC) codes in scope that the tariff does not have: the first few
            and a count of the rest.
    """
    n = len(activity)
    pod = activity.pod
    hrg_map = np.append(tariff.index_of(activity.hrgs), -1).astype(np.int32)
    key = hrg_map[activity.hrg]  # hrg == -1 picks the appended -1
    column = pod.astype(np.int64)
    op_att = (pod == _OP_ATTENDANCE[0]) | (pod == _OP_ATTENDANCE[1])
    if op_att.any():
        tfc_map = np.append(tariff.index_of(activity.tfcs, tfc=True), -1).astype(np.int32)
        oproc_price = tariff.unit_price[:, POD_CODES["op_procedure"]]
        has_oproc = op_att & (key >= 0) & ~np.isnan(oproc_price[np.maximum(key, 0)])
        key = np.where(op_att & ~has_oproc, tfc_map[activity.tfc], key)
        column = np.where(has_oproc, POD_CODES["op_procedure"], column)
    ae34 = (pod == POD_CODES["ae"]) & (activity.ae_dept_type >= 3)
    if ae34.any():
        column = np.where(ae34, AE_TYPE_3_4_COLUMN, column)
    in_scope = np.ones(n, dtype=bool) if scope is None else scope
    unknown = in_scope & (key < 0)
    if unknown.any():
        _unknown_codes(activity, unknown, op_att)
    safe = np.where(in_scope, key, 0).astype(np.intp)
    spell = tariff.unit_price.ravel()[safe * N_PRICE_COLUMNS + column]
    unpriced = in_scope & np.isnan(spell)
    spell = np.where(in_scope & ~unpriced, spell, 0.0)
    nel = pod == POD_CODES["non_elective"]
    trim = np.where(nel, tariff.non_elective_trim[safe], tariff.elective_trim[safe])
    return TariffInputs(
        key=np.where(in_scope, key, -1).astype(np.int32),
        pod=pod,
        spell_price=spell,
        trim_days=trim,
        excess_bed_day_price=np.where(in_scope, tariff.excess_bed_day[safe], 0.0),
        rsse_applicable=in_scope & tariff.rsse_applicable[safe],
        rsse_price=tariff.rsse_price[safe],
        bpt_price=np.where(in_scope, tariff.bpt_price[safe], np.nan),
        top_up_pct=np.where(in_scope & activity.top_up_eligible, tariff.top_up_pct[safe], 0.0),
        unpriced=unpriced,
    )


def _unknown_codes(
    activity: ActivityTable, unknown: npt.NDArray[np.bool_], op_att: npt.NDArray[np.bool_]
) -> None:
    hrg_rows = unknown & ~op_att
    tfc_rows = unknown & op_att
    codes: list[str] = []
    if hrg_rows.any():
        used = np.unique(activity.hrg[hrg_rows])
        codes += ["(blank)" if c < 0 else activity.hrgs[c] for c in used]
    if tfc_rows.any():
        used = np.unique(activity.tfc[tfc_rows])
        codes += ["TFC (blank)" if c < 0 else f"TFC {activity.tfcs[c]}" for c in used]
    count = int(unknown.sum())
    raise InputError(
        f"{len(codes)} HRG/TFC code{'s' if len(codes) != 1 else ''} not in the tariff: "
        f"{summarise_items(codes)} ({count:,} record{'s' if count != 1 else ''})",
        file=activity.source,
        location="column 'hrg'" + (" / 'tfc'" if tfc_rows.any() else ""),
        expected="HRG codes priced by the tariff of the contract year",
        fix="correct the codes, give the right year's tariff with --tariff, or price those "
        "records on a local-price line",
    )


def price_at_tariff(
    activity: ActivityTable,
    inputs: TariffInputs,
    *,
    mff: FloatArray,
    rsse_min_age: FloatArray | float,
    top_up_override: FloatArray | None = None,
) -> TariffPrice:
    """Price records with :func:`national_tariff_price` from looked-up inputs.

    Args:
        activity: The records.
        inputs: From :func:`lookup_tariff`.
        mff: Per-record market forces factor.
        rsse_min_age: Per-record (or scalar) RSSE minimum age, years.
        top_up_override: Per-record top-up fraction replacing the tariff's (NaN = keep).
    """
    top = inputs.top_up_pct
    if top_up_override is not None:
        top = np.where(np.isnan(top_up_override), top, top_up_override)
    return national_tariff_price(
        pod=inputs.pod,
        los_days=activity.los_days,
        age=activity.age,
        spell_price=inputs.spell_price,
        trim_days=inputs.trim_days,
        excess_bed_day_price=inputs.excess_bed_day_price,
        rsse_applicable=inputs.rsse_applicable,
        rsse_price=inputs.rsse_price,
        bpt_met=activity.bpt_met,
        bpt_price=inputs.bpt_price,
        top_up_pct=top,
        mff=mff,
        rsse_min_age=rsse_min_age,
    )
