"""Year-end settlement: the informal layer that agrees a total different from the formal outturn.

"Most of the contractual relationships between NHS acute providers and commissioners were
characterized by the use of general annual financial settlements outside the terms of the
contract" (002@250676). "It was not always possible for commissioners to pay the full
contractually-designated amount … as their budgets were insufficient", increasingly so by 2014
(002@251075). Commissioners with money made "non-recurring" payments to help hospitals balance
their books, and reconfiguration "might require transitional payments" (002@255508–255,990).
Independent providers were always paid by the rules (002@256850).

The statement always shows the formal outturn, the settled amount and the gap separately.
Rules (a [modelling note]; the research describes outcomes, not formulas):

* ``"pay_in_full"``: settled = formal (the commissioners that "simply followed the contract",
  002@251959).
* ``"cap_at_affordable"``: settled = min(formal, affordable).
* ``"split_gap"``: the unaffordable part ``max(0, formal − affordable)`` is split; the
  commissioner still pays ``commissioner_gap_share`` of it and the provider writes off the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import (
    FloatArray,
    as_float,
    check_choice,
    check_nonnegative,
    check_rate,
)
from quasimarket.mechanisms.registry import register

__all__ = ["SETTLEMENT_RULES", "Settlement", "year_end_settlement"]

SettlementRule = Literal["pay_in_full", "cap_at_affordable", "split_gap"]
SETTLEMENT_RULES: tuple[str, ...] = ("pay_in_full", "cap_at_affordable", "split_gap")


@dataclass(frozen=True, slots=True)
class Settlement:
    """A year-end settlement.

    Attributes:
        formal: Formal outturn under the contract's rules, £.
        settled: Amount agreed for the contract's activity, £.
        gap: ``settled − formal``, £ (negative = unpaid over-performance the provider absorbs).
        non_recurrent: Non-recurrent support paid on top, £.
        transitional: Transitional (reconfiguration) payments on top, £.
        total_paid: ``settled + non_recurrent + transitional``: cash the commissioner pays, £.
    """

    formal: FloatArray
    settled: FloatArray
    gap: FloatArray
    non_recurrent: FloatArray
    transitional: FloatArray
    total_paid: FloatArray


def year_end_settlement(
    formal_outturn: npt.ArrayLike,
    *,
    affordable: npt.ArrayLike,
    rule: SettlementRule | str = "pay_in_full",
    commissioner_gap_share: npt.ArrayLike = 0.5,
    independent: npt.ArrayLike = False,
    non_recurrent: npt.ArrayLike = 0.0,
    transitional: npt.ArrayLike = 0.0,
) -> Settlement:
    """Agree the year-end total for a contract under an explicit settlement rule.

    Args:
        formal_outturn: Year-end value under the contract's formal rules, £.
        affordable: What the commissioner can afford to pay for this contract, £.
        rule: ``"pay_in_full"`` (default), ``"cap_at_affordable"`` or ``"split_gap"``.
        commissioner_gap_share: Under ``"split_gap"``, the fraction of the unaffordable amount
            the commissioner still pays, in [0, 1].
        independent: True for independent-sector providers, which are always paid in full.
        non_recurrent: Non-recurrent year-end support, £ (≥ 0).
        transitional: Transitional payments for reconfiguration, £ (≥ 0).

    Returns:
        :class:`Settlement`.

    Risk:
        Informal: when the commissioner cannot afford the formal outturn, the provider absorbs the
        gap (unpaid over-performance); independent providers are paid in full.

    Source:
        002@250676; 002@251075; 002@251959; 002@255508; 002@256850. The rules are a
        [modelling note].

    Raises:
        ConfigError: Unknown ``rule``; ``commissioner_gap_share`` outside [0, 1]; negative
            ``affordable``, ``non_recurrent`` or ``transitional``.
    """
    check_choice(rule, "rule", SETTLEMENT_RULES)
    share = check_rate(commissioner_gap_share, "commissioner_gap_share")
    formal = as_float(formal_outturn)
    cash = check_nonnegative(affordable, "affordable")
    extra_nr = check_nonnegative(non_recurrent, "non_recurrent")
    extra_tr = check_nonnegative(transitional, "transitional")
    shape = np.broadcast_shapes(
        formal.shape, cash.shape, share.shape, np.shape(independent), extra_nr.shape, extra_tr.shape
    )
    formal_b = np.broadcast_to(formal, shape).astype(np.float64)
    shortfall = np.maximum(0.0, formal_b - cash)
    if rule == "pay_in_full":
        agreed = formal_b
    elif rule == "cap_at_affordable":
        agreed = formal_b - shortfall
    else:
        agreed = formal_b - (1.0 - share) * shortfall
    settled = np.where(np.asarray(independent, dtype=bool), formal_b, agreed).astype(np.float64)
    nr = np.broadcast_to(extra_nr, shape).astype(np.float64)
    tr = np.broadcast_to(extra_tr, shape).astype(np.float64)
    return Settlement(
        formal=formal_b,
        settled=settled,
        gap=settled - formal_b,
        non_recurrent=nr,
        transitional=tr,
        total_paid=settled + nr + tr,
    )


register(
    "settlement",
    title="Year-end settlement",
    kind="contract",
    function=year_end_settlement,
    rule_source="002@250676; 002@251075; 002@255508; 002@256850; rules are a [modelling note]",
    risk_note=(
        "Informal: when the commissioner cannot afford the formal outturn, the provider absorbs "
        "the gap (unpaid over-performance); independent providers are paid in full."
    ),
)
