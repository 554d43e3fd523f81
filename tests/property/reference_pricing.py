"""A deliberately simple, row-by-row reference implementation of the APC, MRET, readmission and
CQUIN rules (plain Python floats, one record at a time, no numpy).

It follows the rule texts, not the engine's code: payment-rules.md A1 (spell price, trim
points, RSSE, BPT, top-up, MFF), A4 (MRET), A5 (readmissions, exclusions), A9 (CQUIN), and the
engine's documented attribution rule (a line-level adjustment shared pro rata to value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_CASE, ELECTIVE, NON_ELECTIVE = 0, 1, 2
EXCLUDED_PREFIXES = ("NZ", "SB", "SC", "LD", "LA01", "LA02", "LA03", "SA")


@dataclass
class Hrg:
    """One HRG's national prices (£) and trim points (days)."""

    day_case: float
    elective: float
    non_elective: float
    elective_trim: float
    non_elective_trim: float
    excess_bed_day: float
    rsse_applicable: bool
    rsse_price: float
    bpt_price: float | None
    top_up_pct: float


@dataclass
class Spell:
    """One admitted-care spell."""

    record_id: int
    line: str
    pod: int
    hrg: str
    los: int
    age: int
    bpt_met: bool = False
    readmission_of: int | None = None
    self_discharge: bool = False
    transfer_in: bool = False
    cross_border: bool = False
    value: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def unit_price(spell: Spell, hrg: Hrg, mff: float, rsse_min_age: int = 19) -> float:
    """The national tariff price of one spell, step by step (payment-rules.md A1)."""
    if spell.pod == DAY_CASE:
        price, trim = hrg.day_case, hrg.elective_trim
    elif spell.pod == ELECTIVE:
        price, trim = hrg.elective, hrg.elective_trim
    else:
        price, trim = hrg.non_elective, hrg.non_elective_trim
    price_with_days = price + (spell.los - trim) * hrg.excess_bed_day if spell.los > trim else price
    spell_price = price
    if (
        spell.pod == NON_ELECTIVE
        and hrg.rsse_applicable
        and spell.los <= 1
        and spell.age >= rsse_min_age
    ):
        spell_price = hrg.rsse_price
    if spell.bpt_met and hrg.bpt_price is not None:
        spell_price = hrg.bpt_price
    subtotal = spell_price + (price_with_days - price)
    subtotal = subtotal * (1 + hrg.top_up_pct)
    return subtotal * mff


def readmission_counts(spell: Spell, by_id: dict[int, Spell]) -> bool:
    """Whether a spell is a readmission the rule applies to (A5 exclusions)."""
    if spell.pod != NON_ELECTIVE or spell.readmission_of is None:
        return False
    index = by_id[spell.readmission_of]
    if spell.hrg.startswith(EXCLUDED_PREFIXES) or index.hrg.startswith(EXCLUDED_PREFIXES):
        return False
    if spell.age < 4 or index.self_discharge or spell.transfer_in:
        return False
    return not (spell.cross_border or index.cross_border)


def price_contract(
    spells: list[Spell],
    tariff: dict[str, Hrg],
    *,
    mff: float,
    nel_line: str,
    mret_baseline: float,
    mret_rate: float,
    avoidable_share: float,
    cquin_rate: float,
    cquin_weights: list[float],
    cquin_achievement: list[float],
) -> dict[str, float]:
    """Formal outturn by line after tariff, MRET, readmissions and CQUIN (NEL line only)."""
    by_id = {s.record_id: s for s in spells}
    for s in spells:
        s.value = unit_price(s, tariff[s.hrg], mff)
        s.steps["tariff"] = s.value
    nel = [s for s in spells if s.line == nel_line]
    # MRET (A4): on the line's emergency value
    emergency = [s for s in nel if s.pod == NON_ELECTIVE]
    total = sum(s.value for s in emergency)
    paid = min(total, mret_baseline) + mret_rate * max(0.0, total - mret_baseline)
    for s in emergency:
        share = s.value / total if total else 0.0
        s.steps["mret"] = (paid - total) * share
        s.value += s.steps["mret"]
    # readmissions (A5): the avoidable share of in-scope readmissions is not paid
    for s in nel:
        if readmission_counts(s, by_id):
            s.steps["readmissions"] = -avoidable_share * s.value
            s.value += s.steps["readmissions"]
    # CQUIN (A9): rate x outturn x sum(weight x achievement)
    outturn = sum(s.value for s in nel)
    earned = (
        cquin_rate
        * outturn
        * sum(w * a for w, a in zip(cquin_weights, cquin_achievement, strict=True))
    )
    lines: dict[str, float] = {}
    for s in spells:
        lines[s.line] = lines.get(s.line, 0.0) + s.value
    lines[nel_line] = lines.get(nel_line, 0.0) + earned
    return lines
