"""Stress-test designs taken from contract files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from quasimarket.contracts import Contract, parse_contract
from quasimarket.errors import ConfigError
from quasimarket.stress.engine import compile_scenario, evaluate_chunk
from quasimarket.stress.run import run_stress
from quasimarket.stress.scenario import (
    CostAndVolume,
    Mret,
    Scenario,
    load_scenario,
    parse_scenario,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

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


# -- contract references in a scenario ------------------------------------------------------


def test_missing_contract_reference_names_scenario_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, scenario=SCENARIO.replace('"contract.toml"', '"missing.toml"'))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.file == str(path)
    assert info.value.location == "designs[0].contract"
    assert "contract file 'missing.toml' not found" in info.value.problem
    assert str(tmp_path / "missing.toml") in info.value.problem
    scenario = SCENARIO.replace('contract = "contract.toml"', "contract = 5")
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, scenario=scenario))
    assert info.value.location == "designs[0].contract"
    assert "must be a file path or a contract table" in info.value.problem


def test_invalid_contract_file_names_the_contract_file(tmp_path: Path) -> None:
    path = write(tmp_path, contract=CONTRACT.replace('currency = "spell"', 'currency = "spel"'))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.file == str(tmp_path / "contract.toml")
    assert "spel" in info.value.render()


def test_embedded_contract_table_gives_the_same_design(tmp_path: Path) -> None:
    import tomllib

    by_file = load_scenario(write(tmp_path))
    data = tomllib.loads(SCENARIO)
    data["designs"][0]["contract"] = tomllib.loads(CONTRACT)
    embedded = parse_scenario(data, source="s.toml")
    assert embedded.designs[0].lines == by_file.designs[0].lines
    assert isinstance(embedded.designs[0].contract, Contract)
    assert embedded.designs[0].source_contract is embedded.designs[0].contract
    # the file reference stays a path, and the loaded contract is kept beside it
    assert by_file.designs[0].contract == "contract.toml"
    loaded = by_file.designs[0].source_contract
    assert loaded is not None
    assert loaded.name == "Blended emergency care 2019/20"
    assert by_file.designs[1].source_contract is None
    data["designs"][0]["contract"]["lines"][0]["currency"] = "spel"
    with pytest.raises(ConfigError) as info:
        parse_scenario(data, source="s.toml")
    assert info.value.file == "s.toml"
    assert info.value.location is not None
    assert info.value.location.startswith("designs[0].contract")


def test_resolved_scenario_reads_back_but_other_lines_are_refused(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path))
    data = scenario.model_dump(mode="json")
    again = parse_scenario(data, source="s.toml", base_dir=tmp_path)
    assert again.model_dump() == scenario.model_dump()
    data["designs"][0]["lines"]["emergency"]["variable_rate"] = 0.5
    with pytest.raises(ConfigError, match="cannot also list lines"):
        parse_scenario(data, source="s.toml", base_dir=tmp_path)


def test_contract_sections_that_cannot_be_evaluated_must_be_ignored(tmp_path: Path) -> None:
    contract = CONTRACT + '\n[settlement]\nrule = "pay_in_full"\n'
    with pytest.raises(ConfigError) as info:
        load_scenario(write(tmp_path, contract=contract))
    assert "settlement" in info.value.problem
    assert info.value.fix is not None
    assert 'ignore_rules = ["settlement"]' in info.value.fix
    scenario = SCENARIO.replace(
        'contract = "contract.toml"', 'contract = "contract.toml"\nignore_rules = ["settlement"]'
    )
    loaded = load_scenario(write(tmp_path, contract=contract, scenario=scenario))
    assert any("dropped knowingly" in n and "settlement (the section)" in n for n in loaded.notes)


# -- Scenario.from_contract -----------------------------------------------------------------

#: The case of issue 10: a 2014/15 cost-and-volume non-elective line with MRET.
CV_CONTRACT = """
format = "quasimarket.contract/1"
name = "Acute cost and volume 2014/15"
year = "2014/15"
[[commissioners]]
code = "QS01"
name = "Synthetic CCG"
[[providers]]
code = "SR001"
[[lines]]
id = "nel"
service = "Non-elective admissions"
currency = "spell"
pods = ["non_elective"]
mechanism = "cost_and_volume"
planned_activity = 12_000
[lines.terms]
base_value = 10_000_000
threshold_activity = 10_000
price = 1_000
[[lines.adjustments]]
rule = "mret"
baseline_value = 8_000_000
"""


def cv_contract(text: str = CV_CONTRACT) -> Contract:
    return parse_contract(text, source="cv.toml")


def test_from_contract_takes_parties_lines_and_design_from_the_contract() -> None:
    contract = cv_contract()
    scenario = Scenario.from_contract(contract, draws=500)
    assert [(p.code, p.role, p.name) for p in scenario.parties] == [
        ("QS01", "commissioner", "Synthetic CCG"),
        ("SR001", "provider", None),
    ]
    (line,) = scenario.lines
    assert (line.id, line.commissioner, line.provider) == ("nel", "QS01", "SR001")
    assert (line.currency, line.pod) == ("spell", "non_elective")
    assert line.planned_activity == 12_000
    assert line.unit_price_gbp == 1_000  # the line's price term
    assert (line.fixed_cost_gbp, line.variable_cost_gbp) == (0.0, 0.0)
    (design,) = scenario.designs
    assert design.name == contract.name
    assert design.contract is contract
    spec = design.lines["nel"]
    assert isinstance(spec, CostAndVolume)
    assert (spec.base_value, spec.threshold_activity) == (10_000_000, 10_000)
    assert isinstance(spec.adjustments[0], Mret)
    assert spec.adjustments[0].rate == pytest.approx(0.3)  # calendar default for 2014/15
    assert spec.adjustments[0].baseline_value == 8_000_000
    assert (scenario.name, scenario.year, scenario.draws) == (contract.name, "2014/15", 500)
    # defaults are said, not silent
    assert any("Provider costs were not given for line(s) nel" in n for n in scenario.notes)
    assert any("default volume uncertainty" in n for n in scenario.notes)
    assert set(scenario.uncertainty.volume) == {"*", "pod:non_elective"}


def test_from_contract_pays_as_the_same_design_written_inline() -> None:
    scenario = Scenario.from_contract(cv_contract(), draws=2000, seed=4)
    data = scenario.model_dump(mode="json")
    data["designs"] = [
        {
            "name": "inline",
            "lines": {
                "nel": {
                    "mechanism": "cost_and_volume",
                    "base_value": 10_000_000,
                    "threshold_activity": 10_000,
                    "adjustments": [{"rule": "mret", "rate": 0.3, "baseline_value": 8_000_000}],
                }
            },
        }
    ]
    inline = parse_scenario(data)
    np.testing.assert_array_equal(run_stress(scenario).outcomes, run_stress(inline).outcomes)
    # the scenario reads back from its JSON form (as the run store and the web keep it)
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert isinstance(again.designs[0].contract, Contract)
    assert again.model_dump() == scenario.model_dump()


def test_from_contract_costs_parties_and_uncertainty() -> None:
    scenario = Scenario.from_contract(
        cv_contract(),
        {"volume": {"nel": {"interval_80": [0.9, 1.2]}}},
        costs={"nel": {"fixed_cost_gbp": 4_000_000, "variable_cost_gbp": 500}},
        parties={"SR001": {"loss_tolerance_gbp": 1_000_000}, "QS01": {"budget_gbp": 11e6}},
        name="my test",
        draws=200,
    )
    assert scenario.name == "my test"
    assert scenario.notes == []  # nothing defaulted
    line = scenario.lines[0]
    assert (line.fixed_cost_gbp, line.variable_cost_gbp) == (4_000_000, 500)
    assert scenario.party("SR001").loss_tolerance_gbp == 1_000_000
    assert scenario.party("QS01").budget_gbp == 11e6
    assert set(scenario.uncertainty.volume) == {"nel"}
    # a cost table that gives no cost is not a cost
    scenario = Scenario.from_contract(cv_contract(), costs={"nel": {"efficiency_target": 0.02}})
    assert any("Provider costs were not given for line(s) nel" in n for n in scenario.notes)


@pytest.mark.parametrize(
    ("kwargs", "location", "words"),
    [
        ({"costs": {"ne": {"fixed_cost_gbp": 1.0}}}, "lines.ne", "did you mean 'nel'"),
        ({"parties": {"SR01": {"budget_gbp": 1.0}}}, "parties.SR01", "did you mean 'SR001'"),
        ({"costs": {"nel": {"fixed_cost": 1.0}}}, None, "did you mean 'fixed_cost_gbp'"),
        ({"costs": {"nel": {"fixed_cost_gbp": -1}}}, None, "greater than or equal to 0"),
        ({"ignore_rules": ["readmission"]}, "ignore_rules", "did you mean 'readmissions'"),
    ],
)
def test_from_contract_bad_inputs(
    kwargs: dict[str, object], location: str | None, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(cv_contract(), sources={"costs": "costs.toml"}, **kwargs)  # type: ignore[arg-type]
    assert info.value.location == location
    assert words in info.value.render()
    if "ignore_rules" not in kwargs:
        assert info.value.file == "costs.toml"


def test_from_contract_bad_uncertainty_names_its_file() -> None:
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(
            cv_contract(),
            {"volume": {"nell": {"interval_80": [0.9, 1.1]}}},
            sources={"uncertainty": "u.toml"},
        )
    assert (info.value.file, info.value.location) == ("u.toml", "uncertainty.volume.nell")
    assert info.value.fix is not None
    assert "did you mean 'nel'" in info.value.fix
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(cv_contract(), {"volumes": {}}, sources={"uncertainty": "u.toml"})
    assert info.value.file == "u.toml"
    assert "volumes: unknown key" in info.value.problem
    assert info.value.fix is not None
    assert "did you mean 'volume'" in info.value.fix


def test_from_contract_unit_prices() -> None:
    tariff = CV_CONTRACT.replace('mechanism = "cost_and_volume"', 'mechanism = "national_tariff"')
    tariff = tariff.replace(
        "[lines.terms]\nbase_value = 10_000_000\nthreshold_activity = 10_000\nprice = 1_000\n",
        "planned_value_gbp = 18_000_000\n",
    )
    scenario = Scenario.from_contract(cv_contract(tariff))
    assert scenario.lines[0].unit_price_gbp == pytest.approx(1_500)  # planned value ÷ activity
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(cv_contract(tariff.replace("planned_value_gbp = 18_000_000\n", "")))
    assert "cannot derive a unit price for line 'nel'" in info.value.problem
    assert info.value.location == "lines #1 ('nel')"
    rolled = tariff.replace('mechanism = "national_tariff"', 'mechanism = "local_price"').replace(
        "planned_value_gbp = 18_000_000\n",
        '[lines.terms]\nmethod = "roll_forward"\nprevious_price = 1_000\n'
        "efficiency_factor = 0.04\n",
    )
    rolled = rolled.replace(
        '[[lines.adjustments]]\nrule = "mret"\nbaseline_value = 8_000_000\n', ""
    )
    assert Scenario.from_contract(cv_contract(rolled)).lines[0].unit_price_gbp == pytest.approx(960)


def test_from_contract_line_needs_one_commissioner_and_a_plan() -> None:
    from quasimarket.contracts import Party

    contract = cv_contract()
    shared = contract.model_copy(
        update={"commissioners": (*contract.commissioners, Party(code="QS02"))}
    )  # a line without a commissioner among several (the contract format refuses this too)
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(shared)
    assert "line 'nel' is shared by several commissioners (QS01, QS02)" in info.value.problem
    assert info.value.location == "lines #1 ('nel') > commissioner"
    unplanned = CV_CONTRACT.replace("planned_activity = 12_000\n", "")
    with pytest.raises(ConfigError, match="line 'nel' has no planned activity"):
        Scenario.from_contract(cv_contract(unplanned))


def test_from_contract_notes_assumed_achievement_and_refuses_alliances(tmp_path: Path) -> None:
    scenario = Scenario.from_contract(parse_contract(CONTRACT))
    assert any(
        "CQUIN goal 'flu' (line(s) emergency)" in note and "100%" in note for note in scenario.notes
    )
    assert not any("'sepsis'" in note for note in scenario.notes)  # achievement given
    with_source = Scenario.from_contract(
        parse_contract(CONTRACT), {"achievement": {"flu": {"probability": 0.5}}}
    )
    assert not any("CQUIN" in note for note in with_source.notes)
    # an alliance agreement becomes the design's alliance (issue 10: price applies it, and
    # so does the stress tester); case B's example has no planned activity, so add some
    text = (ROOT / "examples" / "contracts" / "alliance_case_b.toml").read_text()
    with pytest.raises(ConfigError, match="no planned activity"):
        Scenario.from_contract(parse_contract(text))
    planned = re.sub(r"(?m)^(mechanism = .*)$", r"\1\nplanned_activity = 1000", text)
    allied = Scenario.from_contract(parse_contract(planned))
    alliance = allied.designs[0].alliance
    assert alliance is not None
    assert alliance.envelope == parse_contract(planned).alliance.envelope  # type: ignore[union-attr]
    chunk = evaluate_chunk(compile_scenario(allied), 0, 1)
    assert np.isfinite(chunk.first_payment).all()
    # a path is loaded, and named in errors
    (tmp_path / "c.toml").write_text(CV_CONTRACT.replace("price = 1_000", "price = -1"))
    with pytest.raises(ConfigError) as info:
        Scenario.from_contract(tmp_path / "c.toml")
    assert info.value.file == str(tmp_path / "c.toml")


def test_default_uncertainty() -> None:
    from quasimarket.stress.builtin import DEFAULT_UNCERTAINTY_TEXT, default_uncertainty

    unc = default_uncertainty(["elective", "ae"])
    assert set(unc.volume) == {"*", "pod:ae"}
    assert unc.volume["*"].interval_80 == (0.95, 1.05)
    assert unc.volume["pod:ae"].shape == "lognormal"
    assert unc.demand_growth is None
    assert unc.cost_inflation is None
    assert "95%-105%" in DEFAULT_UNCERTAINTY_TEXT
