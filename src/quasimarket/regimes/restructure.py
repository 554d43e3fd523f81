"""CCG → ICB restructuring: a documented mapping of populations and contracts.

In July 2022 integrated care boards replaced clinical commissioning groups (an extension beyond
the research, which ends with the 2019 Long Term Plan; [K]). The synthetic and real economies do
not carry each CCG's successor ICB, so the mapping is a rule ([K]): within each NHS region, CCGs
(sorted by code) are grouped in consecutive runs into ICBs, the number of ICBs per region
proportional to the region's population (largest remainder, at least one, 42 in England). A
CCG's population and its contracts (value by provider) move whole to its ICB: ICB population =
Σ CCG populations; ICB contract with a provider = Σ CCG contracts with it. Users with the
official lookup can pass it to :func:`restructure_contracts` instead.

In a simulation the commissioner axis keeps CCG resolution (so draws and contracts stay
comparable across the switch); the mapping is written as run table ``restructuring`` when a
regime path moves from a CCG regime to ``icb-2022``, and tables can be rolled up with
:func:`restructure_contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from quasimarket.errors import ConfigError

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["ccg_to_icb", "record_restructuring", "restructure_contracts"]


def ccg_to_icb(commissioners: pd.DataFrame, *, icbs: int = 42) -> pd.DataFrame:
    """Map CCGs to ICBs by region (see the module docstring).

    Args:
        commissioners: Columns ``code, region_code, population``.
        icbs: Number of ICBs in total (42 in England, 2022).

    Returns:
        ``ccg_code, icb_code, region_code, population``.

    Raises:
        ConfigError: missing columns or fewer than one ICB.
    """
    missing = sorted({"code", "region_code", "population"} - set(commissioners.columns))
    if missing or icbs < 1:
        raise ConfigError(
            "cannot map CCGs to ICBs",
            location=", ".join(missing) or "icbs",
            expected="columns code, region_code, population and at least one ICB",
            fix="pass the economy's commissioners table",
        )
    frame = commissioners.sort_values(["region_code", "code"]).reset_index(drop=True)
    pop = frame.groupby("region_code")["population"].sum()
    counts = frame.groupby("region_code").size()
    quota = pop / pop.sum() * min(icbs, len(frame))
    k = np.maximum(np.floor(quota).astype(int), 1)
    rest = int(min(icbs, len(frame)) - k.sum())
    if rest > 0:
        order = (quota - np.floor(quota)).sort_values(ascending=False).index[:rest]
        k[order] += 1
    k = np.minimum(k, counts)
    codes: list[str] = []
    for region, group in frame.groupby("region_code", sort=True):
        n = len(group)
        idx = (np.arange(n) * int(k[region])) // n
        codes.extend(f"ICB-{region}-{i + 1:02d}" for i in idx)
    return pd.DataFrame(
        {
            "ccg_code": frame["code"],
            "icb_code": codes,
            "region_code": frame["region_code"],
            "population": frame["population"],
        }
    )


def restructure_contracts(
    contracts: pd.DataFrame, mapping: pd.DataFrame, *, value_columns: list[str]
) -> pd.DataFrame:
    """Roll a table with a ``commissioner`` column up from CCGs to ICBs (sums of *value_columns*).

    Raises:
        ConfigError: a CCG missing from the mapping.
    """
    lookup = dict(zip(mapping["ccg_code"], mapping["icb_code"], strict=True))
    unknown = sorted(set(contracts["commissioner"]) - set(lookup))
    if unknown:
        raise ConfigError(
            f"{len(unknown)} commissioner(s) not in the CCG → ICB mapping, e.g. {unknown[0]}",
            location="commissioner",
            expected="every CCG code in the mapping",
            fix="use the mapping built from the same economy",
        )
    keys = [c for c in contracts.columns if c not in value_columns and c != "commissioner"]
    out = contracts.assign(commissioner=contracts["commissioner"].map(lookup))
    return out.groupby(["commissioner", *keys], as_index=False, sort=True)[value_columns].sum()


def record_restructuring(state: SimulationState, year: int) -> None:
    """Write the CCG → ICB mapping of the simulated commissioners as run table ``restructuring``."""
    comp = state.compiled
    if comp.info.get("commissioner_level") == "ICB":
        return
    frame = pd.DataFrame(
        {
            "code": comp.commissioners,
            "region_code": [comp.info["regions"][k] for k in comp.commissioners],
            "population": comp.population[year],
        }
    )
    mapping = ccg_to_icb(frame, icbs=max(1, round(42 * len(frame) / 211)))
    mapping["financial_year"] = str(comp.years[year])
    state.records.setdefault("restructuring", []).append(
        {k: mapping[k].to_numpy() for k in mapping.columns}
    )
