"""The mechanism registry: names, kinds, lookup errors, registration rules."""

from __future__ import annotations

import inspect

import pytest

from quasimarket import mechanisms
from quasimarket.errors import ConfigError
from quasimarket.mechanisms import KINDS, REGISTRY, Mechanism, get, register

pytestmark = pytest.mark.unit

# Names other engineers' contract files use (h3c: mechanism / rule names).
CONTRACT_NAMES = {
    "local_price",
    "block",
    "cost_and_volume",
    "cost_per_case",
    "caps_and_collars",
    "blended",
    "aligned_payment_incentive",
    "capitation",
    "activity_cap",
    "mret",
    "readmissions",
    "cquin",
    "sanctions",
    "local_variation",
    "local_modification",
    "risk_share",
    "gain_loss_share",
    "settlement",
    "gms_global_sum",
    "qof",
    "enhanced_services",
    "locally_agreed_sum",
}


def test_registry_has_every_contract_name() -> None:
    assert set(REGISTRY) >= CONTRACT_NAMES


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_mechanism_is_documented(name: str) -> None:
    m = REGISTRY[name]
    assert m.name == name
    assert m.kind in KINDS
    assert m.title
    assert m.rule_source
    if name != "national_tariff":  # owned by the pricing engineer
        assert m.risk_note
        doc = inspect.getdoc(m.function) or ""
        assert "Source:" in doc, f"{m.qualified_name} docstring lacks a Source section"
        assert "Args:" in doc or not inspect.signature(m.function).parameters


def test_get_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        get("mert")
    err = info.value
    assert err.location == "mechanism"
    assert "'mert'" in err.problem
    assert "mret" in (err.expected or "")
    assert "block" in (err.expected or "")
    assert err.exit_code == 2


def test_get_returns_registered_function() -> None:
    assert get("mret").function is mechanisms.mret.marginal_rate_emergency
    assert get("mret").qualified_name == "mret.marginal_rate_emergency"


def test_register_refuses_a_second_function_under_a_taken_name() -> None:
    def impostor() -> None:
        """Not MRET."""

    with pytest.raises(ValueError, match="already registered"):
        register("mret", title="x", kind="adjustment", function=impostor, rule_source="x")
    assert get("mret").function is mechanisms.mret.marginal_rate_emergency


def test_register_same_function_again_is_allowed_and_kind_checked() -> None:
    original = REGISTRY["block"]
    assert register(original) is original
    bad = Mechanism("zz_probe", "t", "nonsense", len, "s", "r")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        register(bad)
    assert "zz_probe" not in REGISTRY
    with pytest.raises(ValueError, match="needs"):
        register("zz_probe")


def test_registered_decorator_registers_and_returns_the_function() -> None:
    from quasimarket.mechanisms.registry import registered

    @registered(
        "zz_decorated", title="Probe", kind="adjustment", rule_source="test", risk_note="none"
    )
    def probe(value: float) -> float:
        """Probe.

        Source:
            test.
        """
        return value

    try:
        assert probe(2.0) == 2.0
        assert get("zz_decorated").function is probe
        assert get("zz_decorated").qualified_name.endswith("probe")
    finally:
        REGISTRY.pop("zz_decorated", None)
