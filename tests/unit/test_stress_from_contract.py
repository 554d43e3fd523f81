"""Stress-test designs taken from contract files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quasimarket.errors import ConfigError
from quasimarket.stress.run import run_stress
from quasimarket.stress.scenario import load_scenario

pytestmark = pytest.mark.unit

CONTRACT = """
format = "quasimarket.contract/1"
name = "Blended emergency care 2019/20"
year = "2019/20"
form = "nhs_standard_contract"
[[commissioners]]
code = "C1"
[[providers]]
code = "P1"
[[lines]]
id = "emergency"
service = "Emergency care"
currency = "spell"
mechanism = "blended"
planned_activity = 1000
planned_value_gbp = 200000
[lines.terms]
planned_value = 200000
variable_rate = 0.2
[[lines.adjustments]]
rule = "cquin"
[[lines.adjustments.goals]]
name = "flu"
weight = 0.5
[[lines.adjustments.goals]]
name = "sepsis"
weight = 0.5
achievement = 1.0
"""

SCENARIO = """
name = "from a contract"
draws = 4000
seed = 5
[[parties]]
code = "C1"
role = "commissioner"
[[parties]]
code = "P1"
role = "provider"
[[lines]]
id = "emergency"
commissioner = "C1"
provider = "P1"
planned_activity = 1000
unit_price_gbp = 200
[uncertainty.volume.emergency]
interval_80 = [0.9, 1.1]
[uncertainty.achievement.flu]
probability = 0.5
[[designs]]
name = "contract"
contract = "contract.toml"
[[designs]]
name = "inline"
[designs.lines.emergency]
mechanism = "blended"
variable_rate = 0.2
[[designs.lines.emergency.adjustments]]
rule = "cquin"
rate = 0.0125
goals = [{weight = 0.5, achievement = "flu"}, {weight = 0.5, achievement = 1.0}]
"""


def write(tmp_path: Path, contract: str = CONTRACT, scenario: str = SCENARIO) -> Path:
    (tmp_path / "contract.toml").write_text(contract, encoding="utf-8")
    path = tmp_path / "scenario.toml"
    path.write_text(scenario, encoding="utf-8")
    return path


def test_contract_design_equals_the_same_design_written_inline(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path))
    design = scenario.designs[0]
    assert design.contract == "contract.toml"
    line = design.lines["emergency"]
    assert line.mechanism == "blended"
    # the CQUIN rate comes from the payment-rule calendar for 2019/20 (1.25%, A9 [V]); the
    # goal without an achievement uses the uncertainty source of the same name
    cquin = line.adjustments[0]
    assert cquin.rate == pytest.approx(0.0125)
    assert [g.achievement for g in cquin.goals] == ["flu", 1.0]
    result = run_stress(scenario)
    np.testing.assert_array_equal(result.outcomes[0], result.outcomes[1])


def test_record_level_rules_must_be_ignored_explicitly(tmp_path: Path) -> None:
    contract = CONTRACT.replace(
        '[[lines.adjustments]]\nrule = "cquin"',
        '[[lines.adjustments]]\nrule = "readmissions"\navoidable_share = 0.5\n'
        "allow_out_of_era = true\n\n"
        '[[lines.adjustments]]\nrule = "cquin"',
    )
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, contract=contract))
    assert "readmissions" in info.value.problem
    assert info.value.fix is not None
    assert 'ignore_rules = ["readmissions"]' in info.value.fix
    scenario = SCENARIO.replace(
        'contract = "contract.toml"', 'contract = "contract.toml"\nignore_rules = ["readmissions"]'
    )
    assert load_scenario(write(tmp_path, contract=contract, scenario=scenario)).designs[0].lines


def test_contract_line_must_exist_in_the_scenario(tmp_path: Path) -> None:
    contract = CONTRACT.replace('id = "emergency"', 'id = "urgent"')
    with pytest.raises(ConfigError, match="contract line 'urgent' is not a scenario line"):
        load_scenario(write(tmp_path, contract=contract))
