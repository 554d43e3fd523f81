"""A JSON-ready summary of an :class:`Economy`: counts, populations, money, providers, prices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from quasimarket.economy.model import Economy
from quasimarket.tariff import annex_a as A  # noqa: N812

__all__ = ["describe_economy"]


def _median(frame: pd.DataFrame, column: str) -> float | None:
    if column not in frame.columns:
        return None
    values = pd.to_numeric(frame[column], errors="coerce").dropna()
    return float(values.median()) if len(values) else None


def _tariff_summary(tariff: dict[str, pd.DataFrame]) -> dict[str, Any]:
    apc = tariff.get("apc", pd.DataFrame())
    summary: dict[str, Any] = {
        "apc_hrgs": len(apc),
        "synthetic_names": bool(
            len(apc) and apc[A.HRG_NAME].astype(str).str.startswith("Synthetic").all()
        ),
        "median_day_case_gbp": _median(apc, A.DAY_CASE),
        "median_elective_gbp": _median(apc, A.ELECTIVE),
        "median_non_elective_gbp": _median(apc, A.NON_ELECTIVE),
        "median_non_elective_trim_days": _median(apc, A.NON_ELECTIVE_TRIM),
        "median_excess_bed_day_gbp": _median(apc, A.EXCESS_BED_DAY),
        "rsse_hrgs": int((apc[A.RSSE_APPLICABLE].astype(str) == "Yes").sum())
        if A.RSSE_APPLICABLE in apc
        else 0,
        "bpt_hrgs": int(apc[A.BPT_PRICE].notna().sum()) if A.BPT_PRICE in apc else 0,
        "top_up_hrgs": int(apc[A.TOP_UP_CATEGORY].notna().sum()) if A.TOP_UP_CATEGORY in apc else 0,
        "outpatient_treatment_functions": len(tariff.get("outpatient", ())),
        "ae_hrgs": len(tariff.get("ae", ())),
        "top_up_categories": len(tariff.get("top_up", ())),
    }
    mff = tariff.get("mff")
    if mff is not None and len(mff):
        summary["mff_min"] = float(mff[A.MFF_INDEX].min())
        summary["mff_max"] = float(mff[A.MFF_INDEX].max())
    return summary


def describe_economy(economy: Economy) -> dict[str, Any]:
    """Summarise *economy*: counts; population and allocation by region and commissioner;
    providers and local authorities by kind; the price catalogue.

    Returns:
        A dict of plain Python values (numbers in people, £ a year, days), ready for JSON.
        ``commissioners`` lists every commissioner, largest population first.
    """
    comm = economy.commissioners
    practices = economy.practices
    regions = economy.regions.set_index("region_code")["region_name"]
    by_region = (
        comm.groupby("region_code")
        .agg(
            commissioners=("code", "size"),
            population=("population", "sum"),
            weighted_population=("weighted_population", "sum"),
            allocation_gbp=("allocation_gbp", "sum"),
        )
        .reset_index()
    )
    by_region["region_name"] = by_region["region_code"].map(regions)
    by_region["practices"] = (
        practices["commissioner_code"]
        .map(comm.set_index("code")["region_code"])
        .value_counts()
        .reindex(by_region["region_code"])
        .fillna(0)
        .astype(int)
        .to_numpy()
    )
    by_region["allocation_per_head_gbp"] = by_region["allocation_gbp"] / by_region["population"]
    commissioners = comm.assign(
        practices=comm["code"].map(practices["commissioner_code"].value_counts()).fillna(0),
        allocation_per_head_gbp=comm["allocation_gbp"] / comm["population"],
        distance_from_target=comm["allocation_gbp"] / comm["target_allocation_gbp"] - 1.0,
    ).sort_values("population", ascending=False, kind="stable")
    providers = economy.providers
    la = economy.local_authorities
    population = float(practices["population"].sum())
    allocation = float(comm["allocation_gbp"].sum())
    columns = [
        "code",
        "name",
        "region_code",
        "practices",
        "population",
        "need_index",
        "mff",
        "allocation_gbp",
        "allocation_per_head_gbp",
        "distance_from_target",
    ]
    return {
        "name": economy.name,
        "year": str(economy.year),
        "synthetic": economy.synthetic,
        "commissioner_level": economy.commissioner_level,
        "counts": {
            "regions": len(economy.regions),
            "commissioners": len(comm),
            "practices": len(practices),
            "providers": len(providers),
            "local_authorities": len(la),
            "apc_hrgs": len(economy.tariff.get("apc", ())),
        },
        "population": population,
        "weighted_population": float(comm["weighted_population"].sum()),
        "allocation_gbp": allocation,
        "allocation_per_head_gbp": allocation / population if population else None,
        "median_practice_population": float(practices["population"].median()),
        "median_commissioner_population": float(comm["population"].median()),
        "regions": _records(
            by_region[
                [
                    "region_code",
                    "region_name",
                    "commissioners",
                    "practices",
                    "population",
                    "allocation_gbp",
                    "allocation_per_head_gbp",
                ]
            ]
        ),
        "commissioners": _records(commissioners[columns]),
        "providers_by_kind": {
            str(kind): {
                "providers": len(group),
                "beds": float(group["beds"].sum()),
                "elective_capacity_spells": float(group["elective_capacity_spells"].sum()),
            }
            for kind, group in providers.groupby("kind", sort=True)
        },
        "local_authorities_by_kind": {
            str(kind): {
                "authorities": len(group),
                "population": float(group["population"].sum()),
                "public_health_grant_gbp": float(group["public_health_grant_gbp"].sum()),
            }
            for kind, group in la.groupby("kind", sort=True)
        },
        "public_health_grant_gbp": float(la["public_health_grant_gbp"].sum()),
        "tariff": _tariff_summary(economy.tariff),
        "sources": dict(economy.sources),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        out.append({str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out
