"""``describe_economy``: the summary adds up to the economy it describes."""

from __future__ import annotations

import json

import pytest

from quasimarket.economy import describe_economy, synthetic_economy

pytestmark = pytest.mark.unit


def test_summary_totals_match_the_tables() -> None:
    e = synthetic_economy(seed=3, year="2016/17")
    s = describe_economy(e)
    json.dumps(s)  # plain values only
    assert s["commissioner_level"] == "CCG"
    assert s["counts"]["practices"] == len(e.practices)
    assert s["population"] == pytest.approx(e.population)
    assert sum(r["practices"] for r in s["regions"]) == len(e.practices)
    assert sum(r["allocation_gbp"] for r in s["regions"]) == pytest.approx(s["allocation_gbp"])
    assert s["allocation_per_head_gbp"] == pytest.approx(s["allocation_gbp"] / s["population"])
    populations = [c["population"] for c in s["commissioners"]]
    assert populations == sorted(populations, reverse=True)
    assert sum(c["practices"] for c in s["commissioners"]) == len(e.practices)
    kinds = e.providers["kind"].value_counts()
    assert {k: v["providers"] for k, v in s["providers_by_kind"].items()} == kinds.to_dict()
    grant = sum(v["public_health_grant_gbp"] for v in s["local_authorities_by_kind"].values())
    assert grant == pytest.approx(s["public_health_grant_gbp"])
    assert s["tariff"]["apc_hrgs"] == len(e.tariff["apc"])
    assert s["tariff"]["median_elective_gbp"] == pytest.approx(
        e.tariff["apc"]["Ordinary elective spell tariff (£)"].median()
    )
    assert 0.9 <= s["tariff"]["mff_min"] <= s["tariff"]["mff_max"] <= 1.3
