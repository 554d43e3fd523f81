"""The :class:`Economy`: organisations, populations and money of one health economy.

An economy is a bundle of tidy tables (pandas DataFrames keyed by organisation code) plus one
array of registered population by practice and age/sex cell. Synthetic and real-data economies
have the same shape, so everything downstream (pricing, stress tests, simulation) runs on either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.financial_year import FinancialYear

__all__ = ["AGE_BANDS", "SEXES", "Economy"]

#: Age bands of the population cells (years, lower bounds inclusive).
AGE_BANDS = ("0-4", "5-14", "15-24", "25-44", "45-64", "65-74", "75-84", "85+")
#: Sexes of the population cells.
SEXES = ("F", "M")


@dataclass(frozen=True)
class Economy:
    """A health economy for one financial year.

    Attributes:
        name: Display name, e.g. ``"synthetic England (seed 0)"``.
        year: The financial year the populations and allocations describe.
        synthetic: True for generated economies, False for ones built from real files.
        commissioner_level: ``"ICB"`` (2022 onward) or ``"CCG"`` (2013-era runs).
        regions: ``region_code, region_name``.
        commissioners: ``code, name, kind, region_code, population, weighted_population,
            need_index, mff, target_allocation_gbp, allocation_gbp``. ``kind`` is ``"ICB"`` or
            ``"CCG"``; ``need_index`` is weighted/raw population relative to England (1.0).
        practices: ``code, name, commissioner_code, la_code, population, weighted_population,
            imd_quintile, contract_type``; ``imd_quintile`` 1 = most deprived;
            ``contract_type`` is ``GMS``, ``PMS`` or ``APMS``.
        cells: ``cell, age_band, sex``: the meaning of each column of ``practice_cells``.
        practice_cells: registered people, shape ``(n_practices, n_cells)``; rows follow
            ``practices`` and each row sums to that practice's ``population``.
        providers: ``code, name, kind, region_code, mff, beds, elective_capacity_spells``;
            ``kind`` is one of ``acute, community, mental_health, ambulance, independent,
            third_sector``.
        catchments: ``provider_code, commissioner_code, share``: the share of each provider's
            activity that comes from each commissioner (sums to 1 per provider).
        local_authorities: ``code, name, kind, region_code, population, imd_score,
            public_health_grant_gbp``; ``kind`` is ``unitary``, ``county`` or ``district``.
            Economies built by :mod:`quasimarket.economy` also carry ``upper_tier_code`` (the
            authority's own code for unitary and county councils, its county for a district).
        tariff: Tables in the Annex A shape of :mod:`quasimarket.tariff.annex_a`, keyed
            ``"apc"``, ``"outpatient"``, ``"ae"``, ``"mff"``, ``"top_up"``. The synthetic ones are
            labelled synthetic in their HRG names.
        sources: Where the calibration targets or input files came from (free text by topic).
    """

    name: str
    year: FinancialYear
    synthetic: bool
    commissioner_level: str
    regions: pd.DataFrame
    commissioners: pd.DataFrame
    practices: pd.DataFrame
    cells: pd.DataFrame
    practice_cells: npt.NDArray[np.float64]
    providers: pd.DataFrame
    catchments: pd.DataFrame
    local_authorities: pd.DataFrame
    tariff: dict[str, pd.DataFrame]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def population(self) -> float:
        """Total registered population."""
        return float(self.practices["population"].sum())
