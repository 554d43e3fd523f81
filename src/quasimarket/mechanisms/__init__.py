"""Payment mechanisms: pure vectorised NHS payment rules, registered by name.

One module per mechanism family. Every function takes float64 arrays (money in pounds, never
rounded) that broadcast over any leading axes (e.g. a Monte Carlo draw axis) and returns a small
frozen dataclass of arrays. Importing this package registers every mechanism in
:data:`REGISTRY`; :func:`get` looks one up by name.

Example:
    >>> from quasimarket.mechanisms import get
    >>> get("mret").function(1_100_000.0, baseline_value=1_000_000.0, rate=0.3).paid
    array(1030000.)
"""

from __future__ import annotations

from quasimarket.mechanisms import (
    activity_cap,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_and_volume,
    cost_per_case,
    cquin,
    gain_loss_share,
    gp_practice,
    local_price,
    local_variation,
    mret,
    national_tariff,
    readmissions,
    risk_share,
    sanctions,
    settlement,
)
from quasimarket.mechanisms.alliance import (
    CASE_B,
    AllianceCase,
    alliance_statement,
    case_b_statement,
)
from quasimarket.mechanisms.blended import Blended
from quasimarket.mechanisms.block import BlockPayment
from quasimarket.mechanisms.capitation import Capitation
from quasimarket.mechanisms.cquin import Cquin
from quasimarket.mechanisms.gain_loss_share import GainLossShare
from quasimarket.mechanisms.gp_practice import PracticePayment
from quasimarket.mechanisms.local_variation import LocalVariation
from quasimarket.mechanisms.mret import Mret
from quasimarket.mechanisms.registry import KINDS, REGISTRY, Kind, Mechanism, get, register
from quasimarket.mechanisms.results import Adjustment, PaymentForm
from quasimarket.mechanisms.risk_share import RiskShare
from quasimarket.mechanisms.settlement import Settlement

__all__ = [
    "CASE_B",
    "KINDS",
    "REGISTRY",
    "Adjustment",
    "AllianceCase",
    "Blended",
    "BlockPayment",
    "Capitation",
    "Cquin",
    "GainLossShare",
    "Kind",
    "LocalVariation",
    "Mechanism",
    "Mret",
    "PaymentForm",
    "PracticePayment",
    "RiskShare",
    "Settlement",
    "activity_cap",
    "alliance_statement",
    "blended",
    "block",
    "capitation",
    "caps_and_collars",
    "case_b_statement",
    "cost_and_volume",
    "cost_per_case",
    "cquin",
    "gain_loss_share",
    "get",
    "gp_practice",
    "local_price",
    "local_variation",
    "mret",
    "national_tariff",
    "readmissions",
    "register",
    "risk_share",
    "sanctions",
    "settlement",
]
