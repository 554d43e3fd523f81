"""Health economies: the synthetic England-like generator and the real-data loaders."""

from quasimarket.economy.describe import describe_economy
from quasimarket.economy.model import AGE_BANDS, SEXES, Economy
from quasimarket.economy.real import load_real_economy
from quasimarket.economy.store import load_economy, save_economy
from quasimarket.economy.synthetic import small_economy, synthetic_economy

__all__ = [
    "AGE_BANDS",
    "SEXES",
    "Economy",
    "describe_economy",
    "load_economy",
    "load_real_economy",
    "save_economy",
    "small_economy",
    "synthetic_economy",
]
