"""National tariff (Payment by Results) unit prices at record level.

One pure, vectorised function, :func:`national_tariff_price`, turns per-record arrays that were
already looked up from a tariff table (:class:`quasimarket.tariff.TariffTable`) into the £
components of the national price of each record:

``price = base + excess_bed_days + short_stay + bpt + top_up + mff``

Rule source: payment-rules.md A1 (core formula, trim points, RSSE), A1.2 (MFF), A1.3 (BPT),
A1.4 (specialised top-ups), A2 (outpatients), A3 (A&E) [K: formula consistent with public
implementations]; seeds 002@72285 (PbR pays a fixed national price per case).

Risk: the commissioner bears the volume risk (every extra case is paid at the national price);
the provider bears the cost risk (a case that costs more than the price is its loss) (002@73620).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray
from quasimarket.errors import ConfigError
from quasimarket.vocabulary import APC_PODS, POD_CODES, POD_NAMES, pod_codes

__all__ = [
    "APC_POD_CODES",
    "POD_CODES",
    "POD_NAMES",
    "RSSE_MIN_AGE",
    "TariffPrice",
    "national_tariff_price",
]

# POD_CODES (point of delivery codes of integer-coded activity, ``ActivityTable.pod``) and
# POD_NAMES (names by code) are the one vocabulary, quasimarket.vocabulary, re-exported here.

#: The admitted patient care points of delivery: trim points and top-ups apply to these only.
APC_POD_CODES: tuple[int, ...] = pod_codes(APC_PODS)
#: Minimum age (years) for the reduced short-stay emergency adjustment. [K] payment-rules.md A1:
#: public implementations disagree (>= 19 vs < 19); NTPS wording recalled as "19 or over".
RSSE_MIN_AGE = 19
#: Longest stay (days) that counts as a short stay for RSSE: 0 or 1 day (payment-rules.md A1 [K]).
RSSE_MAX_LOS = 1


@dataclass(frozen=True)
class TariffPrice:
    """The £ components of the national price of each record (all float64 pounds).

    Attributes:
        base: The spell/attendance price for the record's HRG (or TFC) and point of delivery.
        excess_bed_days: Long-stay payment for days beyond the trim point (>= 0).
        short_stay: Reduced short-stay emergency adjustment (<= 0): RSSE price minus base.
        bpt: Best-practice tariff differential: BPT price minus the price it replaces, where the
            criteria were met (0 otherwise).
        top_up: Specialised top-up on the admitted-care subtotal (>= 0).
        mff: Market forces factor uplift, ``(mff - 1) x subtotal`` (negative where MFF < 1).
        price: The total, the sum of the six components.
    """

    base: FloatArray
    excess_bed_days: FloatArray
    short_stay: FloatArray
    bpt: FloatArray
    top_up: FloatArray
    mff: FloatArray
    price: FloatArray


def _f(value: npt.ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def national_tariff_price(
    *,
    pod: npt.ArrayLike,
    los_days: npt.ArrayLike,
    age: npt.ArrayLike,
    spell_price: npt.ArrayLike,
    trim_days: npt.ArrayLike,
    excess_bed_day_price: npt.ArrayLike,
    rsse_applicable: npt.ArrayLike,
    rsse_price: npt.ArrayLike,
    bpt_met: npt.ArrayLike,
    bpt_price: npt.ArrayLike,
    top_up_pct: npt.ArrayLike,
    mff: npt.ArrayLike,
    rsse_min_age: npt.ArrayLike = RSSE_MIN_AGE,
) -> TariffPrice:
    """Price records at the national tariff, component by component.

    All arguments broadcast against each other (scalars, ``(records,)``, any leading axes).

    Steps, in this fixed order (payment-rules.md A1 core formula [K]):

    1. ``base = spell_price``: the price for the HRG and point of delivery (APC: the combined
       day case/elective price where published, else the day-case or elective price; NEL price;
       outpatient procedure price or TFC first/follow-up price; A&E price by department type).
    2. Long stay: admitted care (day case, elective, non-elective) with ``los_days`` beyond
       ``trim_days`` gets ``(los_days - trim_days) x excess_bed_day_price`` (A1, "per day long
       stay payment").
    3. Reduced short-stay emergency: non-elective spells with ``los_days <= 1``, ``age >=
       rsse_min_age`` and an RSSE-applicable HRG are paid ``rsse_price`` instead of ``base``;
       the component is ``rsse_price - base`` (<= 0 for real tariffs) (A1 [K], age 19 [K]).
    4. Best-practice tariff: where ``bpt_met`` and a BPT price exists (not NaN), the spell price
       so far (base + short stay) is replaced by ``bpt_price``; excess bed days are kept
       (A1.3: price = base + BPT differential when compliant, 2010/11 onward).
    5. Specialised top-up: admitted care only, ``top_up_pct x (base + excess + short stay +
       bpt)``; ``top_up_pct`` is a fraction (0.25 = 25%); pass 0 where not eligible (A1.4).
    6. MFF: ``(mff - 1) x subtotal`` so that the total is ``subtotal x mff`` (A1.2).

    Args:
        pod: Point-of-delivery codes (:data:`POD_CODES`), integer array.
        los_days: Length of stay in days (discharge minus admission date; 0 for day cases and
            non-admitted care).
        age: Age in years at admission/attendance.
        spell_price: National price for the record's HRG/TFC and point of delivery, £.
            NaN means "no national price": the record is priced at £0 (a local price applies).
        trim_days: Long-stay trim point for the HRG and point of delivery, days (``inf`` or
            NaN = none).
        excess_bed_day_price: Per-day long-stay payment, £ per day.
        rsse_applicable: Whether the HRG is flagged for the reduced short-stay adjustment.
        rsse_price: Reduced short-stay emergency price, £ (NaN = none).
        bpt_met: Whether the best-practice criteria were met for the record.
        bpt_price: Best-practice price for the HRG, £ (NaN = no BPT).
        top_up_pct: Specialised top-up as a fraction of the admitted-care price (0 = none).
        mff: Provider's market forces factor payment index (1.0 = national average).
        rsse_min_age: Minimum age for the RSSE adjustment, years (default 19 [K]).

    Returns:
        :class:`TariffPrice` with the £ components and their sum.

    Raises:
        ConfigError: If an MFF is not positive or a top-up % is negative.
    """
    pod_a = np.asarray(pod)
    los = _f(los_days)
    mff_a = _f(mff)
    top = _f(top_up_pct)
    if mff_a.size and not np.all(mff_a > 0):
        raise ConfigError(
            "market forces factor must be positive",
            location="mff",
            expected="an index around 0.9-1.3 (1.0 = national average)",
            fix="check the MFF table",
        )
    if top.size and np.any(top < 0):
        raise ConfigError(
            "specialised top-up % must not be negative",
            location="top_up_pct",
            expected="a fraction such as 0.25 for 25%",
            fix="check the top-up table",
        )
    apc = pod_a <= POD_CODES["non_elective"]  # day_case, elective, non_elective are 0..2
    base = np.nan_to_num(_f(spell_price), nan=0.0)

    trim = np.nan_to_num(_f(trim_days), nan=np.inf)
    over = np.where(apc, np.maximum(los - trim, 0.0), 0.0)
    excess = over * np.nan_to_num(_f(excess_bed_day_price), nan=0.0)

    rsse_p = _f(rsse_price)
    short = (
        (pod_a == POD_CODES["non_elective"])
        & np.asarray(rsse_applicable, dtype=bool)
        & (los <= RSSE_MAX_LOS)
        & (_f(age) >= _f(rsse_min_age))
        & ~np.isnan(rsse_p)
    )
    short_stay = np.where(short, np.nan_to_num(rsse_p, nan=0.0) - base, 0.0)

    bpt_p = _f(bpt_price)
    use_bpt = np.asarray(bpt_met, dtype=bool) & ~np.isnan(bpt_p)
    bpt = np.where(use_bpt, np.nan_to_num(bpt_p, nan=0.0) - (base + short_stay), 0.0)

    subtotal = base + excess + short_stay + bpt
    top_up = np.where(apc, top * subtotal, 0.0)
    subtotal = subtotal + top_up
    mff_uplift = (mff_a - 1.0) * subtotal
    price = subtotal + mff_uplift
    shape = np.broadcast_shapes(
        base.shape, excess.shape, short_stay.shape, bpt.shape, top_up.shape, mff_uplift.shape
    )

    def full(a: FloatArray) -> FloatArray:
        return np.broadcast_to(a, shape).astype(np.float64, copy=False)

    return TariffPrice(
        base=full(base),
        excess_bed_days=full(excess),
        short_stay=full(short_stay),
        bpt=full(bpt),
        top_up=full(top_up),
        mff=full(mff_uplift),
        price=full(price),
    )


RULE_SOURCE = (
    "payment-rules.md A1 (spell price, trim points, RSSE [K]), A1.2 (MFF), A1.3 (BPT [V: "
    "bgs.org.uk]), A1.4 (top-ups), A2 (outpatients [K]), A3 (A&E [K]); 002@72285"
)
RISK_NOTE = (
    "Commissioner bears volume risk (each extra case is paid at the national price); provider "
    "bears cost risk (002@73620)."
)


def _register() -> None:
    try:
        from quasimarket.mechanisms import registry
    except ImportError:  # the registry is written by the mechanisms engineer
        return
    mechanism = registry.Mechanism(
        name="national_tariff",
        title="National tariff (PbR) price",
        kind="unit_price",
        function=national_tariff_price,
        rule_source=RULE_SOURCE,
        risk_note=RISK_NOTE,
    )
    if "national_tariff" not in registry.REGISTRY:
        registry.register(mechanism)


_register()
