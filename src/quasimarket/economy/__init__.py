"""Health economies: the synthetic England-like generator and the real-data loaders."""

from quasimarket.economy.model import AGE_BANDS, SEXES, Economy

__all__ = ["AGE_BANDS", "SEXES", "Economy"]
