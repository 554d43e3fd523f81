"""quasimarket: a model of the English NHS commissioning quasi-market.

Price activity under contract terms, stress-test who bears the financial risk, simulate the
system under policy regimes, and explain who commissions what for whom in which year.
"""

from quasimarket.errors import ConfigError, InputError, QuasimarketError, RunError
from quasimarket.financial_year import FinancialYear
from quasimarket.money import round_pence

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "FinancialYear",
    "InputError",
    "QuasimarketError",
    "RunError",
    "__version__",
    "round_pence",
]
