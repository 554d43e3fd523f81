"""A stress design's terms are the contract's terms models, derived (stress/design_terms.py)."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from quasimarket.contracts import parse_contract
from quasimarket.contracts import terms as contract_terms
from quasimarket.errors import ConfigError
from quasimarket.stress import design_terms
from quasimarket.stress.design_contracts import design_contracts
from quasimarket.stress.design_terms import (
    ADJUSTMENTS,
    LINE_DESIGNS,
    AllianceSpec,
    Blended,
    Capitation,
    CostAndVolume,
    DesignTerms,
    Goal,
    LineDesign,
    Mret,
    RiskShareSpec,
)
from quasimarket.stress.from_contract import contract_design
from quasimarket.stress.scenario import Line, parse_scenario

pytestmark = pytest.mark.unit

MODELS: list[type[DesignTerms]] = [
    *dict.fromkeys(LINE_DESIGNS.values()),
    *ADJUSTMENTS.values(),
    Goal,
    RiskShareSpec,
    AllianceSpec,
]
PLAN, PRICE = 1000.0, 200.0


def _constraints(info: FieldInfo) -> tuple[list[str], list[str]]:
    """The constraints (repr, sorted) and leaf types of a field, wherever pydantic keeps
    them (field metadata, ``Annotated`` members, inside ``X | None`` and ``tuple[X, ...]``);
    model classes (nested contract or design models) are left out of the types."""
    found = [repr(m) for m in info.metadata]
    leaves: list[str] = []
    stack: list[Any] = [info.annotation]
    while stack:
        item = stack.pop()
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            first, *meta = typing.get_args(item)
            stack.append(first)
            for m in meta:
                found += [repr(x) for x in m.metadata] if isinstance(m, FieldInfo) else [repr(m)]
        elif origin in (typing.Union, types.UnionType, tuple, list):
            stack += [a for a in typing.get_args(item) if a not in (type(None), Ellipsis)]
        elif not (isinstance(item, type) and issubclass(item, BaseModel)):
            leaves.append(repr(item))
    return sorted(found), sorted(leaves)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_contract_field_is_derived_or_excluded_with_a_reason(
    model: type[DesignTerms],
) -> None:
    contract = set(model.TERMS.model_fields)
    kept = set(model.DERIVED)
    dropped = set(model.LINE) | set(model.EXCLUDED) | set(model.SET_BY_COMPILE)
    assert kept | dropped == contract
    assert not kept & dropped
    assert all(reason for reason in model.EXCLUDED.values())
    # design-only fields are the ones the contract does not have, and are documented
    for name in set(model.model_fields) - kept - {"adjustments"}:
        assert name not in contract or name in model.EXCLUDED, name
        assert (model.model_fields[name].description or "").startswith("design only"), name
    assert model.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_derived_fields_keep_the_contract_type_constraints_and_description(
    model: type[DesignTerms],
) -> None:
    for name in model.DERIVED:
        if name == model.TAG or name in model.ACHIEVEMENTS:
            continue
        ours, theirs = model.model_fields[name], model.TERMS.model_fields[name]
        assert _constraints(ours) == _constraints(theirs), f"{model.__name__}.{name}"
        assert (ours.description or "").startswith(theirs.description or ""), name
    if model.TAG:
        tag = model.model_fields[model.TAG]
        assert typing.get_origin(tag.annotation) is typing.Literal
        assert tag.is_required()  # the discriminator must be written


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (CostAndVolume, {"mechanism": "cost_and_volume", "base_value": -1.0}, "base_value"),
        (CostAndVolume, {"mechanism": "cost_and_volume", "marginal_rate": 1.5}, "marginal_rate"),
        (CostAndVolume, {"mechanism": "cost_and_volume", "base_value": float("inf")}, "base_value"),
        (Blended, {"mechanism": "blended", "variable_rate": 1.5}, "variable_rate"),
        (Mret, {"rule": "mret", "rate": 1.5}, "rate"),
        (Goal, {"weight": -0.5}, "weight"),
        (
            Capitation,
            {"mechanism": "capitation", "weighted_population": 10.0, "rate_per_head": -1.0},
            "rate_per_head",
        ),
    ],
)
def test_a_design_refuses_what_the_contract_refuses(
    model: type[DesignTerms], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as design_error:
        model.model_validate(data)
    contract_data = {k: v for k, v in data.items() if k in model.TERMS.model_fields}
    with pytest.raises(ValidationError) as contract_error:
        model.TERMS.model_validate(contract_data)
    ours = next(e for e in design_error.value.errors() if e["loc"] == (field,))
    theirs = next(e for e in contract_error.value.errors() if e["loc"] == (field,))
    assert (ours["type"], ours["msg"]) == (theirs["type"], theirs["msg"])


def _scenario(line_design: dict[str, Any], pod: str = "elective", **design: Any) -> Any:
    return parse_scenario(
        {
            "name": "one line",
            "draws": 10,
            "parties": [
                {"code": "C1", "role": "commissioner"},
                {"code": "P1", "role": "provider"},
                {"code": "P2", "role": "provider"},
            ],
            "lines": [
                {
                    "id": "x",
                    "commissioner": "C1",
                    "provider": "P1",
                    "pod": pod,
                    "planned_activity": PLAN,
                    "unit_price_gbp": PRICE,
                }
            ],
            "uncertainty": {"achievement": {"outcomes": {"probability": 0.5}}},
            "designs": [{"name": "d", "lines": {"*": line_design}, **design}],
        },
        source="s.toml",
    )


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("rate_per_head", -1, "capitation.rate_per_head: Input should be greater than or equal"),
        ("outcome_share", 1.5, "capitation.outcome_share: Input should be less than or equal"),
        ("price", 100, "capitation.price: unknown key"),
        ("outcome_achievement", "outcome", "unknown achievement source 'outcome'"),
    ],
)
def test_bad_design_terms_are_config_errors_naming_the_file_and_field(
    where: str, value: Any, words: str
) -> None:
    design = {
        "mechanism": "capitation",
        "weighted_population": 1000,
        "rate_per_head": 200,
        where: value,
    }
    with pytest.raises(ConfigError) as info:
        _scenario(design)
    assert info.value.file == "s.toml"
    assert words in info.value.render()


#: Design line -> the contract terms (TOML) it means on a line of 1,000 units at £200.
EQUIVALENT = [
    ({"mechanism": "cost_per_case"}, 'mechanism = "cost_per_case"\n[lines.terms]\nprice = 200'),
    (
        {"mechanism": "block", "monthly_profile": [0.1] * 4 + [0.075] * 8},
        'mechanism = "block"\n[lines.terms]\nannual_value = 200_000\n'
        "monthly_profile = [0.1, 0.1, 0.1, 0.1, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075, "
        "0.075, 0.075]",
    ),
    (
        {"mechanism": "cost_and_volume", "marginal_rate": 0.6},
        'mechanism = "cost_and_volume"\n[lines.terms]\nbase_value = 200_000\n'
        "threshold_activity = 1000\nprice = 200\nmarginal_rate = 0.6",
    ),
    (
        {"mechanism": "caps_and_collars", "corridor": 0.1, "marginal_rate": 0.5},
        'mechanism = "caps_and_collars"\n[lines.terms]\nfixed_value = 200_000\n'
        "collar_activity = 900\ncap_activity = 1100\nprice = 200\nmarginal_rate = 0.5",
    ),
    (
        {"mechanism": "blended"},
        'mechanism = "blended"\n[lines.terms]\nplanned_value = 200_000\nvariable_rate = 0.2',
    ),
    (
        {"mechanism": "aligned_payment_incentive", "floor_value": 5000},
        'mechanism = "aligned_payment_incentive"\n[lines.terms]\nfixed_value = 200_000\n'
        "elective_threshold_value = 200_000\nvariable_rate = 0.75\nfloor_value = 5000",
    ),
    (
        {
            "mechanism": "capitation",
            "weighted_population": 1000,
            "rate_per_head": 200,
            "outcome_share": 0.05,
            "outcome_achievement": "outcomes",  # drawn: the contract holds the default
            "contingency_share": 0.03,
        },
        'mechanism = "capitation"\n[lines.terms]\nweighted_population = 1000\n'
        "rate_per_head = 200\noutcome_share = 0.05\noutcome_achievement = 1.0\n"
        "contingency_share = 0.03\ncontingency_released = 0.0",
    ),
    (
        {
            "mechanism": "national_tariff",
            "adjustments": [
                {"rule": "activity_cap"},
                {"rule": "mret", "rate": 0.3},
                {"rule": "cquin", "rate": 0.025, "goals": [{"weight": 0.5}, {"weight": 0.5}]},
            ],
        },
        'mechanism = "cost_per_case"\n[lines.terms]\nprice = 200\n'
        '[[lines.adjustments]]\nrule = "activity_cap"\nplan_value = 200_000\n'
        "allow_out_of_era = true\n"
        '[[lines.adjustments]]\nrule = "mret"\nrate = 0.3\nbaseline_value = 200_000\n'
        "allow_out_of_era = true\n"
        '[[lines.adjustments]]\nrule = "cquin"\nrate = 0.025\nallow_out_of_era = true\n'
        '[[lines.adjustments.goals]]\nname = "goal_1"\nweight = 0.5\nachievement = 1.0\n'
        '[[lines.adjustments.goals]]\nname = "goal_2"\nweight = 0.5\nachievement = 1.0',
    ),
]


def _pod(terms: str) -> str:
    """MRET is written for non-elective activity, the API for elective."""
    return "non_elective" if 'rule = "mret"' in terms else "elective"


def expected_contract(text: str) -> Any:
    """A 2025/26 contract of one line of 1,000 spells at £200 with these terms."""
    return parse_contract(
        'format = "quasimarket.contract/1"\nname = "c"\nyear = "2025/26"\n'
        '[[commissioners]]\ncode = "C1"\n[[providers]]\ncode = "P1"\n'
        '[[lines]]\nid = "x"\nservice = "x"\ncurrency = "spell"\n'
        f'pods = ["{_pod(text)}"]\nplanned_activity = 1000\nplanned_value_gbp = 200_000\n'
        f"allow_out_of_era = true\n{text}\n"
    )


def _contract_line(text: str) -> Any:
    return expected_contract(text).lines[0]


@pytest.mark.parametrize(("design", "contract"), EQUIVALENT, ids=lambda v: str(v)[:40])
def test_a_design_line_and_the_equivalent_contract_give_the_same_terms(
    design: dict[str, Any], contract: str
) -> None:
    expected = _contract_line(contract)
    scenario = _scenario(design, pod=_pod(contract))
    spec = scenario.line_design(scenario.designs[0], "x")
    line = scenario.lines[0]
    assert spec.contract_terms(line) == expected.terms  # TERMS(**design, **from the line)
    assert [adj.contract_terms(line) for adj in spec.adjustments] == list(expected.adjustments)
    (compiled,) = design_contracts(scenario, scenario.designs[0])
    assert compiled.contract.lines[0].terms == expected.terms
    assert compiled.contract.lines[0].adjustments == expected.adjustments


@pytest.mark.parametrize("contract", [c for _, c in EQUIVALENT], ids=lambda v: v[:40])
def test_a_contract_taken_as_a_design_gives_back_its_terms(contract: str) -> None:
    expected = _contract_line(contract)
    lines, _ = contract_design(expected_contract(contract))
    spec = TypeAdapter(LineDesign).validate_python(lines["x"])
    line = Line(
        id="x", commissioner="C1", provider="P1", planned_activity=PLAN, unit_price_gbp=PRICE
    )
    assert spec.contract_terms(line) == expected.terms
    assert [adj.contract_terms(line) for adj in spec.adjustments] == list(expected.adjustments)


def test_line_designs_cover_every_mechanism_and_adjustments_every_rule() -> None:
    assert set(LINE_DESIGNS) == {
        "cost_per_case",
        "national_tariff",
        "block",
        "cost_and_volume",
        "caps_and_collars",
        "blended",
        "aligned_payment_incentive",
        "capitation",
    }
    for mechanism, model in LINE_DESIGNS.items():
        if mechanism != "national_tariff":  # priced per unit, as cost per case
            assert model.TERMS is contract_terms.MECHANISMS[mechanism]
    assert set(ADJUSTMENTS) == {"mret", "cquin", "activity_cap"}
    assert design_terms.Cquin.model_fields["goals"].annotation == tuple[Goal, ...]


def test_alliance_takes_the_contract_names_and_reads_the_old_ones() -> None:
    base = {
        "commissioner": "C1",
        "partners": ["P1", "P2"],
        "shares": [0.5, 0.5],
        "outcome_achievement": "outcomes",
    }
    old = AllianceSpec.model_validate(
        {**base, "envelope_gbp": 1e6, "outcome_pot_gbp": 1e4, "service_development_gbp": 5e3}
    )
    new = AllianceSpec.model_validate(
        {**base, "envelope": 1e6, "outcome_pot": 1e4, "service_development": 5e3}
    )
    assert old == new
    assert (new.envelope, new.outcome_pot, new.service_development) == (1e6, 1e4, 5e3)
    assert "envelope_gbp" not in new.model_dump()
    assert new.contract_data()["partners"] == [
        {"code": "P1", "share": 0.5, "exempt": False},
        {"code": "P2", "share": 0.5, "exempt": False},
    ]
    with pytest.raises(ValidationError, match="give envelope \\(or its old name envelope_gbp\\)"):
        AllianceSpec.model_validate({**base, "envelope": 1.0, "envelope_gbp": 1.0})
    with pytest.raises(ValidationError, match=r"shares\.1"):
        AllianceSpec.model_validate({**base, "envelope": 1.0, "shares": [0.5, 1.5]})


def test_risk_share_is_checked_by_the_contract_model_when_read() -> None:
    with pytest.raises(ConfigError) as info:
        _scenario(
            {"mechanism": "block"}, risk_share={"band_edges": [0.02], "provider_shares": [1.0]}
        )
    assert "provider_shares has 1 values but there are 2 bands" in info.value.problem
    assert info.value.file == "s.toml"
    with pytest.raises(ConfigError, match="plan_valu: unknown key"):
        _scenario(
            {"mechanism": "block"},
            risk_share={"band_edges": [0.02], "provider_shares": [1, 0], "plan_valu": 1.0},
        )


# -- what a design assumes is said in the scenario's notes ------------------------------------
_ASSUMING = """
name = "assumptions"
draws = 10
[[parties]]
code = "C"
role = "commissioner"
[[parties]]
code = "P"
role = "provider"
[[lines]]
id = "a"
commissioner = "C"
provider = "P"
planned_activity = 100
unit_price_gbp = 10
[[lines]]
id = "b"
commissioner = "C"
provider = "P"
planned_activity = 50
unit_price_gbp = 20
{pod_b}
[[designs]]
name = "Blend"
[designs.lines."*"]
mechanism = "blended"
{rate}
[[designs.lines."*".adjustments]]
rule = "mret"
rate = 0.3
"""


def test_design_defaults_and_pod_defaults_are_noted_with_counts() -> None:
    from quasimarket.stress.scenario import parse_scenario

    notes = parse_scenario(_ASSUMING.format(pod_b="", rate="")).notes
    assert any("blended variable_rate = 0.2 assumed on 2 line(s) (a, b)" in n for n in notes), notes
    assert any("2 line(s) with no pod priced as non_elective" in n for n in notes), notes


def test_notes_go_when_the_scenario_states_the_values() -> None:
    from quasimarket.stress.scenario import parse_scenario

    notes = parse_scenario(
        _ASSUMING.format(pod_b='pod = "non_elective"', rate="variable_rate = 0.2")
    ).notes
    assert not any("variable_rate" in n for n in notes), notes
    assert any(
        "1 line(s) with no pod priced as non_elective because MRET applies (a)" in n for n in notes
    ), notes


def test_a_risk_share_plan_value_over_several_pairs_is_refused() -> None:
    """A scenario's own design shares risk per commissioner-provider pair, so one plan_value
    for two pairs has no meaning: compiling it is refused, naming the field."""
    from quasimarket.stress.engine import compile_scenario
    from quasimarket.stress.scenario import parse_scenario

    line = {"commissioner": "C", "planned_activity": 100, "unit_price_gbp": 10}
    scenario = parse_scenario(
        {
            "name": "two pairs",
            "draws": 10,
            "parties": [
                {"code": "C", "role": "commissioner"},
                {"code": "P1", "role": "provider"},
                {"code": "P2", "role": "provider"},
            ],
            "lines": [{**line, "id": "a", "provider": "P1"}, {**line, "id": "b", "provider": "P2"}],
            "designs": [
                {
                    "name": "shared",
                    "lines": {"*": {"mechanism": "cost_per_case"}},
                    "risk_share": {
                        "band_edges": [0.05],
                        "provider_shares": [1.0, 0.5],
                        "plan_value": 2000.0,
                    },
                }
            ],
        }
    )
    with pytest.raises(ConfigError, match="plan_value") as err:
        compile_scenario(scenario)
    assert "risk_share.plan_value" in str(err.value.location)
