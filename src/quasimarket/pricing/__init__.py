"""Pricing: activity x contract x tariff -> itemised statement, per-record prices and explain."""

from quasimarket.pricing.engine import price, readmission_in_scope
from quasimarket.pricing.result import ExplainItem, PricingResult

__all__ = ["ExplainItem", "PricingResult", "price", "readmission_in_scope"]
