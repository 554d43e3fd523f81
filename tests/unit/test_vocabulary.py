"""The one vocabulary of points of delivery, currencies and services, and who re-exports it."""

from __future__ import annotations

from typing import get_args

import pytest

from quasimarket import vocabulary as v

pytestmark = pytest.mark.unit


def test_pod_codes_are_dense_and_names_follow_code_order() -> None:
    assert sorted(v.POD_CODES.values()) == list(range(len(v.POD_CODES)))
    assert tuple(sorted(v.POD_CODES, key=v.POD_CODES.__getitem__)) == v.PODS
    assert v.POD_NAMES == v.PODS
    assert get_args(v.Pod) == v.PODS
    assert set(v.APC_PODS) <= set(v.PODS)
    assert v.pod_codes(["ae", "day_case"]) == (v.POD_CODES["ae"], 0)
    with pytest.raises(KeyError, match="banana"):
        v.pod_codes(["banana"])


def test_currencies() -> None:
    assert get_args(v.Currency) == v.CURRENCIES
    assert set(v.CURRENCIES) >= v.BED_BASED_CURRENCIES


def test_simulated_activity_maps_onto_pods_and_services() -> None:
    priced = {pod for pod in v.SIMULATED_ACTIVITY.values() if pod is not None}
    assert priced <= set(v.PODS)
    covered = [measure for measures in v.SERVICES.values() for measure in measures]
    assert len(covered) == len(set(covered))  # each measure in one service at most
    assert set(covered) <= set(v.SIMULATED_ACTIVITY)
    # A contracted measure is paid for, so it is priced as some point of delivery.
    assert all(v.SIMULATED_ACTIVITY[measure] is not None for measure in covered)


def test_every_engine_uses_the_one_vocabulary() -> None:
    from quasimarket.contracts import model
    from quasimarket.mechanisms import national_tariff
    from quasimarket.simulation import parameters

    assert model.PODS is v.PODS
    assert model.CURRENCIES is v.CURRENCIES
    assert national_tariff.POD_CODES is v.POD_CODES
    assert national_tariff.POD_NAMES is v.POD_NAMES
    assert v.pod_codes(v.APC_PODS) == national_tariff.APC_POD_CODES
    assert parameters.SERVICES is v.SERVICES
    # The simulation's measure names, in this order (the last axis of its activity arrays).
    assert parameters.PODS == (
        "elective_referral",
        "elective_spell",
        "op_first",
        "op_follow_up",
        "non_elective",
        "ae",
        "community",
        "mental_health",
        "gp",
    )
    assert tuple(v.SIMULATED_ACTIVITY) == parameters.PODS


def test_keyed_tables_elsewhere_cover_the_vocabulary() -> None:
    from quasimarket.activity import synthetic
    from quasimarket.contracts import summary
    from quasimarket.regimes.presets import Switches

    assert set(synthetic.DEFAULT_POD_MIX) | set(synthetic.OTHER_POD_MIX) == set(v.PODS)
    assert set(summary._PLURAL) == set(v.CURRENCIES)
    assert set(summary._CURRENCY) == set(v.CURRENCIES)
    forms = Switches.model_fields["contract_forms"].annotation
    (service, _form) = get_args(forms)
    assert set(get_args(service)) == set(v.SERVICES)


def test_the_glossary_lists_the_one_vocabulary() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "glossary.md").read_text("utf-8")
    section = text.split("## Points of delivery", 1)[1].split("\n## ", 1)[0]
    for name, code in v.POD_CODES.items():
        assert f"| `{name}` | {code} |" in section, name
    for measure, pod in v.SIMULATED_ACTIVITY.items():
        assert f"| `{measure}` | " + (f"`{pod}`" if pod else "—") in section, measure
    for currency in v.CURRENCIES:
        assert f"`{currency}`" in section, currency
