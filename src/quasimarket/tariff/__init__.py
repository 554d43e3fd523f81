"""National tariff tables: Annex A shape, MFF, loaders and the synthetic catalogue link."""

from quasimarket.tariff.loader import load_mff, load_tariff, load_tariff_report
from quasimarket.tariff.reference_costs import (
    annex_a_from_reference_costs,
    build_reference_cost_tariff,
)
from quasimarket.tariff.table import TariffTable

__all__ = [
    "TariffTable",
    "annex_a_from_reference_costs",
    "build_reference_cost_tariff",
    "load_mff",
    "load_tariff",
    "load_tariff_report",
]
