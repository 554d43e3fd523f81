"""Stress scenarios: validation, bad input (one clear ConfigError each), built-in examples."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from quasimarket.errors import ConfigError, RunError
from quasimarket.stress.builtin import EXAMPLES, example_text, load_example
from quasimarket.stress.run import estimate_memory_bytes, run_stress
from quasimarket.stress.scenario import load_scenario, parse_scenario

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def base() -> dict[str, Any]:
    """A small valid scenario as a dict: one commissioner, two providers, three lines."""
    return {
        "name": "small",
        "draws": 500,
        "seed": 3,
        "parties": [
            {"code": "QS01", "role": "commissioner"},
            {"code": "SR001", "role": "provider"},
            {"code": "SR002", "role": "provider"},
        ],
        "lines": [
            {
                "id": "a",
                "commissioner": "QS01",
                "provider": "SR001",
                "planned_activity": 1000,
                "unit_price_gbp": 100,
                "variable_cost_gbp": 80,
            },
            {
                "id": "b",
                "commissioner": "QS01",
                "provider": "SR001",
                "planned_activity": 500,
                "unit_price_gbp": 300,
            },
            {
                "id": "c",
                "commissioner": "QS01",
                "provider": "SR002",
                "planned_activity": 200,
                "unit_price_gbp": 50,
            },
        ],
        "uncertainty": {"volume": {"*": {"interval_80": [0.9, 1.1]}}},
        "designs": [{"name": "pbr", "lines": {"*": {"mechanism": "cost_per_case"}}}],
    }


def test_valid_scenario_and_defaults() -> None:
    scenario = parse_scenario(base())
    assert scenario.lines[0].planned_value_gbp == 100_000
    assert scenario.lines[0].is_bed_based  # currency defaults to spell
    assert scenario.chunk_size == 65_536
    spec = scenario.uncertainty.volume["*"]
    assert spec.distribution == "interval"  # inferred from interval_80


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_builtin_examples_validate_and_match_repo_copies(name: str) -> None:
    scenario = load_example(name)
    assert scenario.draws > 0
    assert len(scenario.designs) >= 2
    copy_in_repo = ROOT / "examples" / "scenarios" / f"{name}.toml"
    assert copy_in_repo.read_text(encoding="utf-8") == example_text(name)
    assert load_scenario(copy_in_repo) == scenario


def _error(data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_scenario(data, source="s.toml")
    assert info.value.file == "s.toml"
    return info.value


def test_unknown_distribution() -> None:
    data = base()
    data["uncertainty"]["volume"]["a"] = {"distribution": "gamma", "shape": 2}
    error = _error(data)
    assert "uncertainty.volume.a" in error.problem
    assert "unknown or missing distribution" in error.problem
    assert "lognormal" in error.problem  # lists the valid ones


def test_unknown_parameter() -> None:
    data = base()
    data["uncertainty"]["demand_growth"] = {"distribution": "normal", "mean": 0.0, "sdd": 0.1}
    error = _error(data)
    assert "uncertainty.demand_growth.normal.sdd: unknown key" in error.problem
    assert error.fix is not None
    assert "sdd" in error.fix


def test_interval_low_above_high() -> None:
    data = base()
    data["uncertainty"]["volume"]["b"] = {"interval_80": [1.2, 0.9]}
    error = _error(data)
    assert "interval_80 low (1.2) is above high (0.9)" in error.problem


def test_correlation_not_positive_semidefinite() -> None:
    data = base()
    data["uncertainty"]["correlation"] = {
        "lines": ["a", "b", "c"],
        "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
    }
    error = _error(data)
    assert error.location == "uncertainty.correlation.matrix"
    assert "not positive semi-definite" in error.problem
    assert error.fix is not None


def test_correlation_not_symmetric() -> None:
    data = base()
    data["uncertainty"]["correlation"] = {"lines": ["a", "b"], "matrix": [[1, 0.2], [0.3, 1]]}
    assert "not symmetric" in _error(data).problem


@pytest.mark.parametrize("draws", [0, -5])
def test_draws_must_be_positive(draws: int) -> None:
    data = base()
    data["draws"] = draws
    error = _error(data)
    assert "draws" in error.problem
    assert "greater than 0" in error.problem


def test_absurd_draws_refused_up_front() -> None:
    data = base()
    data["draws"] = 900_000_000
    scenario = parse_scenario(data)
    assert estimate_memory_bytes(scenario) > 4 * 1024**3
    with pytest.raises(RunError) as info:
        run_stress(scenario)
    assert info.value.location == "draws"
    assert "GiB" in info.value.problem
    assert info.value.fix is not None
    assert "set draws to" in info.value.fix
    assert "chunk_size" in info.value.fix


def test_design_refers_to_unknown_party() -> None:
    data = base()
    data["designs"].append(
        {
            "name": "alliance",
            "alliance": {
                "commissioner": "QS01",
                "partners": ["SR001", "SR099"],
                "envelope_gbp": 300_000,
                "shares": [0.5, 0.5],
            },
        }
    )
    error = _error(data)
    assert "unknown party 'SR099'" in error.problem
    assert error.location == "designs[1].alliance.partners"
    assert error.expected is not None
    assert "SR001" in error.expected


def test_line_refers_to_unknown_party_with_suggestion() -> None:
    data = base()
    data["lines"][2]["provider"] = "SR02"
    error = _error(data)
    assert error.location == "lines[2].provider"
    assert error.fix is not None
    assert "did you mean 'SR002'" in error.fix


def test_line_party_with_wrong_role() -> None:
    data = base()
    data["lines"][0]["provider"] = "QS01"
    assert "is a commissioner, not a provider" in _error(data).problem


def test_design_missing_lines_and_unknown_achievement() -> None:
    data = base()
    data["designs"][0]["lines"] = {"a": {"mechanism": "block"}}
    assert "no mechanism for line(s) b, c" in _error(data).problem
    data = base()
    data["designs"][0]["lines"]["a"] = {
        "mechanism": "cost_per_case",
        "adjustments": [
            {"rule": "cquin", "rate": 0.025, "goals": [{"weight": 1, "achievement": "gaols"}]}
        ],
    }
    data["uncertainty"]["achievement"] = {"goals": {"probability": 0.5}}
    error = _error(data)
    assert "unknown achievement source 'gaols'" in error.problem


def test_count_distribution_cannot_be_correlated() -> None:
    data = base()
    data["uncertainty"]["volume"]["a"] = {"distribution": "poisson"}
    data["uncertainty"]["factors"] = [{"name": "f", "lines": ["a", "b"], "loading": 0.5}]
    assert "cannot be correlated" in _error(data).problem


def test_toml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\ndraws = = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.location is not None
    assert info.value.location.startswith("line 2, column")


def test_unsupported_format_and_binary_file(tmp_path: Path) -> None:
    data = copy.deepcopy(base())
    data["format"] = "quasimarket.scenario/9"
    assert "unsupported scenario format" in _error(data).problem
    path = tmp_path / "x.toml"
    path.write_bytes(b"name = 1\x00\x01")
    with pytest.raises(ConfigError, match="not text"):
        load_scenario(path)
    with pytest.raises(ConfigError, match="not found"):
        load_scenario(tmp_path / "missing.toml")


def test_unknown_example() -> None:
    with pytest.raises(ConfigError) as info:
        load_example("acute")
    assert info.value.expected is not None
    assert "acute-designs" in info.value.expected


def test_alliance_lines_cannot_also_have_a_mechanism() -> None:
    data = base()
    data["designs"].append(
        {
            "name": "alliance",
            "lines": {"a": {"mechanism": "block"}, "c": {"mechanism": "block"}},
            "alliance": {
                "commissioner": "QS01",
                "partners": ["SR001"],
                "envelope_gbp": 250_000,
                "shares": [1.0],
            },
        }
    )
    error = _error(data)
    assert "line(s) a are delivered by alliance partners" in error.problem
    assert error.location == "designs[1].lines"


def test_mechanism_refusal_names_design_and_line() -> None:
    data = base()
    data["designs"][0]["lines"]["b"] = {
        "mechanism": "caps_and_collars",
        "collar_activity": 600,
        "cap_activity": 400,
    }
    with pytest.raises(ConfigError) as info:
        run_stress(parse_scenario(data), workers=2)  # fails on the central draw, no cluster
    assert info.value.location == "design 'pbr', line 'b': collar_activity"
    assert "above cap_activity" in info.value.problem


def test_refused_rule_combination_names_design_and_line() -> None:
    """MRET on a block line is refused by the one pipeline, in a stress test as in price."""
    data = base()
    data["designs"][0]["lines"]["b"] = {
        "mechanism": "block",
        "adjustments": [{"rule": "mret", "rate": 0.3}],
    }
    with pytest.raises(ConfigError) as info:
        run_stress(parse_scenario(data), workers=2)
    assert info.value.location.startswith("design 'pbr': lines.b.adjustments.mret")
    assert "cannot apply to a 'block' line" in info.value.problem


def test_correlated_line_needs_a_volume_distribution() -> None:
    data = base()
    data["uncertainty"] = {
        "volume": {"a": {"interval_80": [0.9, 1.1]}},
        "factors": [{"name": "f", "lines": ["a", "b"], "loading": 0.5}],
    }
    error = _error(data)
    assert "line 'b' is correlated but its volume has no distribution" in error.problem


# -- strict types: the scenario is validated as strictly as the contract (issue 10) ---------


@pytest.mark.parametrize(
    ("field", "value", "suggestion"),
    [
        ("currency", "spel", "spell"),
        ("currency", "attendence", "attendance"),
        ("pod", "non-elective", "non_elective"),
        ("pod", "banana", None),
    ],
)
def test_unknown_currency_or_pod_is_refused_with_a_suggestion(
    field: str, value: str, suggestion: str | None
) -> None:
    data = base()
    data["lines"][1][field] = value
    error = _error(data)
    assert f"lines.1.{field}" in error.problem
    assert repr(value) in error.problem
    assert "spell" in error.problem if field == "currency" else "non_elective" in error.problem
    assert error.fix is not None
    if suggestion is None:
        assert "did you mean" not in error.fix
        assert f"use one of the values listed for lines.1.{field}" in error.fix
    else:
        assert f"did you mean '{suggestion}' for lines.1.{field}?" in error.fix


def test_bed_based_lines_follow_the_shared_vocabulary() -> None:
    from quasimarket import vocabulary
    from quasimarket.stress import scenario as module

    assert module.BED_BASED_CURRENCIES is vocabulary.BED_BASED_CURRENCIES
    data = base()
    data["lines"][0]["currency"] = "bed_day"
    data["lines"][1]["currency"] = "attendance"
    data["lines"][2]["pod"] = "non_elective"
    scenario = parse_scenario(data)
    assert [line.is_bed_based for line in scenario.lines] == [True, False, True]
    assert scenario.lines[2].pod == "non_elective"


def test_unknown_mechanism_and_mechanism_term_suggest_the_closest() -> None:
    data = base()
    data["designs"][0]["lines"]["*"] = {"mechanism": "blendd", "variable_rate": 0.2}
    error = _error(data)
    assert "designs.0.lines.*" in error.problem
    assert "'blended'" in error.problem  # the valid mechanisms are listed
    assert error.fix is not None
    assert "did you mean 'blended'" in error.fix
    data["designs"][0]["lines"]["*"] = {"mechanism": "blended", "variabl_rate": 0.2}
    error = _error(data)
    assert "designs.0.lines.*.blended.variabl_rate: unknown key" in error.problem
    assert error.fix is not None
    assert "did you mean 'variable_rate'?" in error.fix
    data["designs"][0]["lines"]["*"] = {
        "mechanism": "cost_per_case",
        "adjustments": [{"rule": "mert", "rate": 0.3}],
    }
    error = _error(data)
    assert error.fix is not None
    assert "did you mean 'mret'" in error.fix


def test_unknown_ignore_rule_and_format_are_refused() -> None:
    data = base()
    data["designs"][0]["ignore_rules"] = ["readmission"]
    error = _error(data)
    assert "designs.0.ignore_rules.0" in error.problem
    assert error.fix is not None
    assert "did you mean 'readmissions'" in error.fix
    data = base()
    data["format"] = "quasimarket.scenario/2"
    assert "unsupported scenario format" in _error(data).problem


def test_every_scenario_model_refuses_unknown_keys_and_enumerations_are_literal() -> None:
    import typing

    from pydantic import BaseModel

    from quasimarket.contracts import RULES
    from quasimarket.stress import design_terms, distributions, from_contract
    from quasimarket.stress import scenario as module
    from quasimarket.vocabulary import CURRENCIES, PODS

    models = [
        value
        for mod in (module, design_terms, distributions, from_contract)
        for value in vars(mod).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == mod.__name__
    ]
    assert len(models) > 25
    for model in models:
        assert model.model_config.get("extra") == "forbid", model.__name__
        assert model.model_config.get("frozen") is True, model.__name__
    line = module.Line.model_fields
    assert set(typing.get_args(line["currency"].annotation)) == set(CURRENCIES)
    pod_args = typing.get_args(line["pod"].annotation)
    assert set(typing.get_args(pod_args[0])) == set(PODS)
    assert type(None) in pod_args
    ignorable = set(typing.get_args(module.IgnorableRule))
    assert ignorable == set(RULES) | {"settlement", "subcontracts"}
    assert typing.get_origin(module.Party.model_fields["role"].annotation) is typing.Literal
    assert typing.get_origin(module.Scenario.model_fields["format"].annotation) is typing.Literal
