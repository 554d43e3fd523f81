"""Annotated templates: one for every mechanism, rule and section, each a valid contract."""

from __future__ import annotations

import tomllib

import pytest

from quasimarket.contracts import (
    MECHANISMS,
    RULES,
    TEMPLATE_NAMES,
    contract_template,
    parse_contract,
)
from quasimarket.errors import ConfigError
from quasimarket.structure import payment_rules

pytestmark = pytest.mark.unit


def test_there_is_a_template_for_every_mechanism_and_rule() -> None:
    assert set(MECHANISMS) | set(RULES) <= set(TEMPLATE_NAMES)
    assert {"alliance", "lead_provider", "risk_share", "settlement"} <= set(TEMPLATE_NAMES)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_template_is_a_valid_contract_using_the_name(name: str) -> None:
    text = contract_template(name)
    contract = parse_contract(text, source=f"template {name}")
    line = contract.lines[0]
    if name in MECHANISMS:
        assert line.mechanism == name
    elif name in RULES:
        assert [adj.rule for adj in line.adjustments] == [name]
    elif name == "alliance":
        assert contract.form == "alliance_agreement"
        assert contract.alliance is not None
    elif name == "lead_provider":
        assert contract.form == "lead_provider"
        assert contract.subcontracts
    else:
        assert getattr(contract, name) is not None


@pytest.mark.parametrize("name", sorted(set(MECHANISMS) | set(RULES)))
def test_every_field_is_shown_with_its_description(name: str) -> None:
    """Each field of the mechanism/rule appears (set or commented out) under its description."""
    model = MECHANISMS.get(name) or RULES[name]
    lines = contract_template(name).splitlines()
    for field, info in model.model_fields.items():
        if field in {"mechanism", "rule", "goals"}:
            continue
        where = [i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{field} = ")]
        assert where, (name, field)
        comments = " ".join(lines[max(0, where[-1] - 3) : where[-1]])
        assert (info.description or "") in comments, (name, field)


def test_calendar_defaults_are_shown_with_value_and_source() -> None:
    text = contract_template("mret")
    rate = payment_rules("2016/17").mret_rate
    assert (
        f"# Default for 2016/17: {rate.value} from the payment-rule calendar [{rate.status}]"
        in text
    )
    assert rate.source in text
    assert "# rate = 0.7" in text  # commented out: the default applies unless uncommented


def test_uncommenting_a_default_overrides_it() -> None:
    text = contract_template("mret").replace("# rate = 0.7", "rate = 0.55")
    contract = parse_contract(text)
    assert contract.lines[0].adjustments[0].kwargs()["rate"] == 0.55
    assert not [d for d in contract.resolved_defaults() if d.field == "rate"]


def test_template_is_plain_toml() -> None:
    data = tomllib.loads(contract_template("cquin"))
    goals = data["lines"][0]["adjustments"][0]["goals"]
    assert sum(goal["weight"] for goal in goals) <= 1


def test_unknown_template_lists_the_names() -> None:
    with pytest.raises(ConfigError) as caught:
        contract_template("blok")
    assert "did you mean 'block'?" in (caught.value.fix or "")
    assert "mret" in (caught.value.expected or "")


def test_format_document_covers_every_name_and_field() -> None:
    """docs/contract-format.md documents every mechanism, rule and field (no drift)."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "contract-format.md").read_text()
    for name, model in {**MECHANISMS, **RULES}.items():
        assert f"### `{name}`" in doc, name
        for field in model.model_fields:
            assert f"| `{field}` |" in doc, (name, field)
