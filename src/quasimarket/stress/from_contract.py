"""Designs and whole scenarios taken from contracts.

**A design from a contract.** A scenario design may say ``contract = "acute.toml"`` (a
``quasimarket.contract/1`` file, path relative to the scenario file), embed the contract as a
``[designs.contract]`` table in the same schema, or (from Python) hold a
:class:`~quasimarket.contracts.Contract`. The contract is validated by the contract format
(so calendar defaults such as the MRET rate of its year apply), and each contract line
becomes the design entry of the scenario line with the same id, with the mechanism's terms as
given in the contract: a design's terms are the contract's own terms models
(:mod:`quasimarket.stress.design_terms`), so every term the design takes is copied
(:func:`~quasimarket.stress.design_terms.design_fields`). Prices, plans and costs come from
the SCENARIO lines (the stress test works on line aggregates), so a contract's unit
``price`` is not copied.

Supported adjustment rules: ``mret``, ``cquin`` and ``activity_cap``. A CQUIN goal without an
achievement in the contract uses the ``uncertainty.achievement`` source of the same name if
there is one, else 1 (fully achieved; said in the scenario's notes). Record-level rules
(``readmissions``, ``sanctions``, ``local_variation``, ``local_modification``) and the
``settlement`` and ``subcontracts`` sections cannot be evaluated on line aggregates: the
design must list them in ``ignore_rules`` to drop them knowingly (also said in the notes).
An alliance agreement becomes the design's ``alliance`` table (:func:`contract_alliance`).

**A scenario from a contract.** :func:`scenario_from_contract` (``Scenario.from_contract``
and ``quasimarket stress run --contract FILE``) takes the parties, lines, plans and prices
from the contract and the stress-specific inputs (uncertainty, provider costs, budgets,
tolerances) from its arguments; see ``docs/stress-testing.md`` ("Stress-testing a contract
file") for the defaults.
"""

from __future__ import annotations

import difflib
import importlib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, TypeAdapter, ValidationError

from quasimarket.contracts import Contract, ServiceLine, contract_from_data, load_contract
from quasimarket.errors import ConfigError, from_validation_error, summarise_items
from quasimarket.io.config_files import load_toml
from quasimarket.stress.design_terms import (
    ADJUSTMENTS,
    LINE_DESIGNS,
    AllianceSpec,
    Goal,
    design_fields,
)
from quasimarket.stress.scenario import (
    DEFAULT_DRAWS,
    IgnorableRule,
    LineDesign,
    Uncertainty,
    _Model,
    _unknown,
)

if TYPE_CHECKING:
    from quasimarket.stress.scenario import Scenario

__all__ = [
    "SUPPORTED_RULES",
    "UNSUPPORTED_SECTIONS",
    "LineCosts",
    "PartyTerms",
    "StressInputs",
    "contract_design",
    "design_from_contract",
    "load_stress_inputs",
    "load_uncertainty",
    "scenario_from_contract",
]

#: Adjustment rules a stress test evaluates on line aggregates.
SUPPORTED_RULES = tuple(ADJUSTMENTS)
#: Contract sections a stress test cannot evaluate on line aggregates (drop them knowingly
#: with ``ignore_rules``).
UNSUPPORTED_SECTIONS = ("settlement", "subcontracts")
#: Mechanisms with no terms at line level (priced per unit at the scenario line's price).
_PER_UNIT = {"national_tariff": "national_tariff", "local_price": "cost_per_case"}
_LINE_DESIGNS: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, LineDesign])


# -- one design ----------------------------------------------------------------------------


def design_from_contract(
    design: dict[str, Any],
    *,
    base_dir: Path | None,
    achievements: set[str],
    line_ids: list[str],
    location: str,
    notes: list[str] | None = None,
) -> tuple[dict[str, Any], Contract]:
    """The design table with ``lines`` (and ``risk_share``) filled in from its contract.

    ``design["contract"]`` is a path (relative to *base_dir*), a contract table (dict) or a
    :class:`Contract`. A path stays a path in the returned table; a table becomes the
    validated :class:`Contract`. A design that also lists lines is accepted only if they are
    the lines the contract gives (a validated scenario dumped and read again).

    Returns:
        The design table, and the contract.

    Raises:
        ConfigError: the contract is missing or invalid, names an unknown line, uses an
            unsupported mechanism or rule (not listed in ``ignore_rules``), or an alliance the
            stress tester cannot express (:func:`contract_alliance`).
            Problems in a contract file name that file; others have no file (the caller adds
            the scenario's).
    """
    ref = design.get("contract")
    contract, path = _load(ref, base_dir=base_dir, location=location)
    ignore = design.get("ignore_rules", ()) or ()
    lines, risk_share = contract_design(
        contract,
        ignore_rules=ignore if isinstance(ignore, list | tuple) else (),
        achievements=achievements,
        line_ids=line_ids,
        location=location,
        file=path,
        notes=notes,
        design_name=str(design.get("name", "")),
    )
    given = design.get("lines")
    if given and not _same_lines(given, lines):
        raise ConfigError(
            "a design with a contract cannot also list lines",
            location=f"{location}.lines",
            expected="either contract = FILE (or a [designs.contract] table) or "
            "[designs.lines] tables",
            fix="remove the lines table or the contract key",
        )
    out = {key: value for key, value in design.items() if key != "lines"}
    out["lines"] = lines
    out["contract"] = ref if isinstance(ref, str) else contract
    if risk_share is not None and "risk_share" not in design:
        out["risk_share"] = risk_share
    alliance = contract_alliance(contract, file=path, notes=notes)
    if alliance is not None and "alliance" not in design:
        out["alliance"] = alliance
    return out, contract


def contract_design(
    contract: Contract,
    *,
    ignore_rules: Iterable[str] = (),
    achievements: set[str] | frozenset[str] = frozenset(),
    line_ids: list[str] | None = None,
    location: str = "designs[0]",
    file: str | Path | None = None,
    notes: list[str] | None = None,
    design_name: str = "",
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The scenario design lines (by line id) and risk share of an already-loaded contract.

    Args:
        contract: The validated contract.
        ignore_rules: Rules and sections to drop knowingly.
        achievements: Names of the scenario's ``uncertainty.achievement`` sources (a CQUIN
            goal without an achievement uses the source of its name).
        line_ids: The scenario's line ids (default: the contract's).
        location: Where the design is, for messages (``""``: a contract on its own; the
            contract's lines are then named as the contract loader names them).
        file: The contract file, for messages.
        notes: Caveats (rules dropped, achievements assumed) are appended here.
        design_name: For the notes.

    Raises:
        ConfigError: as :func:`design_from_contract`.
    """
    ignore = set(ignore_rules)
    known = [line.id for line in contract.lines] if line_ids is None else line_ids
    label = f"design '{design_name}'" if design_name else f"contract '{contract.name}'"
    present = [name for name in UNSUPPORTED_SECTIONS if getattr(contract, name)]
    for section in present:
        if section not in ignore:
            raise ConfigError(
                f"the contract's {section} section cannot be evaluated on line aggregates",
                file=file,
                location=section,
                expected="a contract without it, or the section dropped knowingly",
                fix=f'add ignore_rules = ["{section}"] to the design (or --ignore-rule '
                f"{section} with --contract) to drop it",
            )
    dropped: dict[str, list[str]] = {name: [] for name in present}
    assumed: dict[str, list[str]] = {}  # what is assumed achieved -> line ids
    lines: dict[str, Any] = {}
    for index, line in enumerate(contract.lines):
        where = f"{location}.contract lines.{line.id}" if location else _line_where(index, line)
        if line.id not in known:
            raise ConfigError(
                f"contract line '{line.id}' is not a scenario line",
                file=file,
                location=where,
                expected=f"one of {summarise_items(known)}",
                fix="give the scenario line the same id as the contract line",
            )
        mechanism = _PER_UNIT.get(line.mechanism, line.mechanism)
        if mechanism not in LINE_DESIGNS:
            raise ConfigError(
                f"mechanism '{line.mechanism}' cannot be stress-tested on line aggregates",
                file=file,
                location=where,
                expected="one of "
                + ", ".join([*_PER_UNIT, *(m for m in LINE_DESIGNS if m not in _PER_UNIT)]),
                fix="describe this line's design in the scenario instead",
            )
        # the design takes the contract's own terms (prices and plans are the scenario's)
        entry: dict[str, Any] = {
            "mechanism": mechanism,
            **design_fields(LINE_DESIGNS[mechanism], line.terms),
        }
        if (
            mechanism == "capitation"
            and getattr(line.terms, "outcome_achievement", None) is None
            and float(getattr(line.terms, "outcome_share", 0.0) or 0.0) > 0
        ):
            assumed.setdefault("the capitation outcome payment", []).append(line.id)
        adjustments = []
        for adjustment in line.adjustments:
            if adjustment.rule in ignore:
                dropped.setdefault(adjustment.rule, []).append(line.id)
                continue
            if adjustment.rule not in SUPPORTED_RULES:
                why = (
                    "needs performance against standards, which a stress test does not draw"
                    if adjustment.rule == "sanctions"
                    else "is record-level and cannot be evaluated on line aggregates"
                )
                raise ConfigError(
                    f"adjustment rule '{adjustment.rule}' {why}",
                    file=file,
                    location=where,
                    expected="rules " + ", ".join(SUPPORTED_RULES),
                    fix=f'add ignore_rules = ["{adjustment.rule}"] to the design (or '
                    f"--ignore-rule {adjustment.rule} with --contract) to drop it",
                )
            adjustments.append(_adjustment(adjustment, achievements, line.id, assumed))
        if adjustments:
            entry["adjustments"] = adjustments
        lines[line.id] = entry
    risk_share = None
    if contract.risk_share is not None:
        # the contract's risk share as it is priced: its lines, its plan (by default the
        # in-scope lines' planned values, as the pipeline takes it) and both parties' shares
        share = contract.risk_share
        scope = set(share.lines) or {line.id for line in contract.lines}
        plan = share.plan_value
        if plan is None:
            plan = sum(
                float(line.planned_value_gbp or 0.0) for line in contract.lines if line.id in scope
            )
        risk_share = {
            "band_edges": list(share.band_edges),
            "provider_shares": list(share.provider_shares),
            "plan_value": float(plan),
        }
        if share.lines:
            risk_share["lines"] = list(share.lines)
        if share.commissioner_shares is not None:
            risk_share["commissioner_shares"] = list(share.commissioner_shares)
    if notes is not None:
        if dropped:
            listed = "; ".join(
                f"{rule} ({'line(s) ' + summarise_items(ids) if ids else 'the section'})"
                for rule, ids in dropped.items()
            )
            notes.append(
                f"{label}: dropped knowingly (ignore_rules), so their effect on payments is "
                f"not in these results: {listed}."
            )
        if assumed:
            listed = "; ".join(
                f"{what} (line(s) {summarise_items(ids)})" for what, ids in assumed.items()
            )
            notes.append(
                f"{label}: assumed fully achieved (100%), as neither the contract nor an "
                f"uncertainty.achievement source of the same name gives an achievement: {listed}."
            )
    return lines, risk_share


def contract_alliance(
    contract: Contract, *, file: str | Path | None = None, notes: list[str] | None = None
) -> dict[str, Any] | None:
    """The scenario's ``[designs.alliance]`` table of a contract's alliance (None if none).

    The stress tester computes demand over plan per draw (from the partners' activity at
    contract prices), so the contract's ``demand_over_plan`` is not used; an outcome
    achievement the contract leaves out is taken as 100% (noted).

    Raises:
        ConfigError: the alliance has more than one commissioner, or ``outcome_gate =
            false`` (the stress tester gates gains on drawn outcome achievement instead).
    """
    alliance = contract.alliance
    if alliance is None:
        return None
    if len(contract.commissioners) != 1:
        raise ConfigError(
            "an alliance stress test needs the one commissioner holding the envelope",
            file=file,
            location="commissioners",
            expected="one commissioner in an alliance agreement",
            fix="split the contract so one commissioner holds the alliance envelope",
        )
    if not alliance.outcome_gate:
        raise ConfigError(
            "outcome_gate = false cannot be stress-tested (gains follow drawn outcomes)",
            file=file,
            location="alliance.outcome_gate",
            expected="outcome_gate = true, with outcome_achievement",
            fix="remove outcome_gate, or set outcome_achievement = 0 to forfeit gains",
        )
    achieved: float = 1.0
    if alliance.outcome_achievement is not None:
        achieved = float(alliance.outcome_achievement)
    elif notes is not None and alliance.outcome_pot > 0:
        notes.append(
            f"contract '{contract.name}': alliance outcome achievement assumed 100% (the "
            "contract does not give it)."
        )
    return {
        **design_fields(AllianceSpec, alliance),
        "commissioner": contract.commissioners[0].code,
        "partners": list(alliance.partner_codes),
        "shares": [float(p.share) for p in alliance.partners],
        "exempt": [p.code for p in alliance.partners if p.exempt],
        "outcome_achievement": achieved,
    }


def _load(ref: Any, *, base_dir: Path | None, location: str) -> tuple[Contract, str | None]:
    """The contract a design refers to, and its file (``None`` if not from a file)."""
    if isinstance(ref, Contract):
        return ref, None
    if isinstance(ref, dict):
        try:
            return contract_from_data(ref, source="<embedded>"), None
        except ConfigError as error:
            where = " > ".join(part for part in (f"{location}.contract", error.location) if part)
            raise ConfigError(
                error.problem, location=where, expected=error.expected, fix=error.fix
            ) from None
    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError(
            f"contract must be a file path or a contract table, got {ref!r}",
            location=f"{location}.contract",
            expected='contract = "file.toml" (relative to the scenario) or a '
            "[designs.contract] table",
            fix="write the path of the contract file in quotes",
        )
    path = Path(ref)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        found = "is a folder" if path.exists() else "not found"
        raise ConfigError(
            f"contract file '{ref}' {found} (looked for {path.absolute()})",
            location=f"{location}.contract",
            expected="the path of a quasimarket.contract/1 TOML file, relative to the "
            "scenario file",
            fix="correct the path, or write the contract file (`quasimarket contract new`)",
        )
    return load_contract(path), str(path)


def _same_lines(given: Any, derived: dict[str, Any]) -> bool:
    """Whether a design's own ``lines`` are exactly what its contract gives."""
    try:
        return bool(_LINE_DESIGNS.validate_python(given) == _LINE_DESIGNS.validate_python(derived))
    except ValidationError:
        return False


def _adjustment(
    adjustment: Any,
    achievements: set[str] | frozenset[str],
    line_id: str,
    assumed: dict[str, list[str]],
) -> dict[str, Any]:
    entry = {"rule": adjustment.rule, **design_fields(ADJUSTMENTS[adjustment.rule], adjustment)}
    if adjustment.rule == "cquin":
        goals = []
        for goal in adjustment.goals:
            if goal.achievement is not None:
                achieved: float | str = float(goal.achievement)
            elif goal.name in achievements:
                achieved = goal.name
            else:
                achieved = 1.0
                assumed.setdefault(f"CQUIN goal '{goal.name}'", []).append(line_id)
            goals.append({**design_fields(Goal, goal), "achievement": achieved})
        entry["goals"] = goals
    return entry


# -- a whole scenario ----------------------------------------------------------------------


class LineCosts(_Model):
    """A provider's cost of one contract line (the stress-specific part of a scenario line;
    same meaning and limits as :class:`~quasimarket.stress.scenario.Line`)."""

    fixed_cost_gbp: float = Field(default=0.0, ge=0)
    variable_cost_gbp: float = Field(default=0.0, ge=0)
    efficiency_target: float = Field(default=0.0, ge=0, lt=1)
    seasonality: list[float] | None = None
    bed_based: bool | None = None


class PartyTerms(_Model):
    """A party's budget, control total and loss tolerance (see
    :class:`~quasimarket.stress.scenario.Party`)."""

    name: str | None = None
    budget_gbp: float | None = Field(default=None, ge=0)
    control_total_gbp: float = 0.0
    loss_tolerance_gbp: float | None = Field(default=None, ge=0)


class StressInputs(_Model):
    """The ``--costs FILE`` of ``quasimarket stress run --contract``: ``[lines.<id>]`` cost
    tables and ``[parties.<code>]`` budget/tolerance tables."""

    lines: dict[str, LineCosts] = Field(default_factory=dict)
    parties: dict[str, PartyTerms] = Field(default_factory=dict)


def scenario_from_contract(
    cls: type[Scenario],
    contract: Contract | str | Path,
    uncertainty: Uncertainty | Mapping[str, Any] | None = None,
    *,
    costs: Mapping[str, LineCosts | Mapping[str, Any]] | None = None,
    parties: Mapping[str, PartyTerms | Mapping[str, Any]] | None = None,
    name: str | None = None,
    description: str | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    ignore_rules: Iterable[str] = (),
    sources: Mapping[str, str | Path] | None = None,
) -> Scenario:
    """The implementation of :meth:`quasimarket.stress.scenario.Scenario.from_contract`."""
    from quasimarket.stress.builtin import DEFAULT_UNCERTAINTY_TEXT, default_uncertainty
    from quasimarket.stress.scenario import check_references

    files = {key: str(value) for key, value in (sources or {}).items()}
    ignore_rules = list(dict.fromkeys(ignore_rules))
    allowed = list(typing.get_args(IgnorableRule))
    for rule in ignore_rules:
        if rule not in allowed:
            close = difflib.get_close_matches(rule, allowed, n=1)
            raise ConfigError(
                f"unknown rule or section '{rule}' to ignore",
                location="ignore_rules",
                expected="ignore_rules (--ignore-rule) among " + ", ".join(allowed),
                fix=f"did you mean '{close[0]}'?" if close else "use a contract rule name",
            )
    if not isinstance(contract, Contract):
        files.setdefault("contract", str(contract))
        contract = load_contract(contract)
    contract_file = files.get("contract")
    costs_file = files.get("costs")
    unc_file = files.get("uncertainty")
    notes: list[str] = []

    if uncertainty is None:
        pods = sorted({line.pods[0] for line in contract.lines if line.pods})
        unc = default_uncertainty(pods)
        notes.append(
            "No uncertainty was given, so the built-in default volume uncertainty is used: "
            f"{DEFAULT_UNCERTAINTY_TEXT} Give your own (--uncertainty FILE, or uncertainty= "
            "in Python) for a real stress test."
        )
    elif isinstance(uncertainty, Uncertainty):
        unc = uncertainty
    else:
        try:
            unc = Uncertainty.model_validate(dict(uncertainty))
        except ValidationError as error:
            raise from_validation_error(
                error, file=unc_file, what="uncertainty", model=Uncertainty
            ) from None
    try:
        inputs = StressInputs.model_validate(
            {"lines": dict(costs or {}), "parties": dict(parties or {})}
        )
    except ValidationError as error:
        raise from_validation_error(
            error, file=costs_file, what="costs", model=StressInputs
        ) from None

    line_ids = [line.id for line in contract.lines]
    design_notes: list[str] = []
    design_lines, risk_share = contract_design(
        contract,
        ignore_rules=ignore_rules,
        achievements=set(unc.achievement),
        line_ids=line_ids,
        location="",
        file=contract_file,
        notes=design_notes,
        design_name=contract.name,
    )
    for key in inputs.lines:
        if key not in line_ids:
            raise _unknown(
                "line",
                key,
                line_ids,
                file=costs_file,
                location=f"lines.{key}",
                among="not in the contract",
                advice="use a line of the contract",
            )
    party_codes = [p.code for p in (*contract.commissioners, *contract.providers)]
    for key in inputs.parties:
        if key not in party_codes:
            raise _unknown(
                "party",
                key,
                party_codes,
                file=costs_file,
                location=f"parties.{key}",
                among="not in the contract",
                advice="use a party of the contract",
            )

    scenario_parties = []
    for role, members in (
        ("commissioner", contract.commissioners),
        ("provider", contract.providers),
    ):
        for party in members:
            terms = inputs.parties.get(party.code, PartyTerms())
            scenario_parties.append(
                {
                    "code": party.code,
                    "role": role,
                    "name": terms.name or party.name or None,
                    "budget_gbp": terms.budget_gbp,
                    "control_total_gbp": terms.control_total_gbp,
                    "loss_tolerance_gbp": terms.loss_tolerance_gbp,
                }
            )
    scenario_lines = []
    for index, line in enumerate(contract.lines):
        cost = inputs.lines.get(line.id)
        entry: dict[str, Any] = {
            "id": line.id,
            "service": line.service,
            "commissioner": _commissioner(contract, line, index, contract_file),
            "provider": contract.provider_of(line).code,
            "currency": line.currency,
            "pod": line.pods[0] if line.pods else None,
            "planned_activity": _planned_activity(line, index, contract_file),
            "unit_price_gbp": _unit_price(line, index, contract_file),
        }
        if cost is not None:
            entry.update(cost.model_dump(exclude_unset=True))
        scenario_lines.append(entry)
    priced = {"fixed_cost_gbp", "variable_cost_gbp"}
    missing = [
        line.id
        for line in contract.lines
        if line.id not in inputs.lines or not priced & inputs.lines[line.id].model_fields_set
    ]
    if missing:
        notes.append(
            f"Provider costs were not given for line(s) {summarise_items(missing)}: their "
            "cost is taken as £0, so the providers' net positions (income − cost) and their "
            "control-total breaches are not meaningful; the commissioners' positions are. "
            "Give costs (--costs FILE, or costs= in Python)."
        )
    notes += design_notes
    design: dict[str, Any] = {
        "name": contract.name,
        "description": contract.description,
        "contract": contract,
        "ignore_rules": ignore_rules,
        "lines": design_lines,
    }
    if risk_share is not None:
        design["risk_share"] = risk_share
    alliance = contract_alliance(contract, file=contract_file, notes=notes)
    if alliance is not None:
        design["alliance"] = alliance
    data = {
        "name": name or contract.name,
        "description": description
        if description is not None
        else (contract.description or f"Stress test of the contract '{contract.name}'."),
        "notes": notes,
        "year": str(contract.year),
        "draws": draws,
        "seed": seed,
        "parties": scenario_parties,
        "lines": scenario_lines,
        "uncertainty": unc,
        "designs": [design],
    }
    try:
        scenario = cls.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, file=contract_file, what="scenario", model=cls) from None
    try:
        check_references(scenario)
    except ConfigError as error:
        if error.file is not None:
            raise
        where = error.location or ""
        file = unc_file if where.startswith("uncertainty") else contract_file
        raise ConfigError(
            error.problem, file=file, location=where, expected=error.expected, fix=error.fix
        ) from None
    return scenario


def _line_where(index: int, line: ServiceLine) -> str:
    return f"lines #{index + 1} ('{line.id}')"


def _commissioner(contract: Contract, line: ServiceLine, index: int, file: str | None) -> str:
    if line.commissioner is not None:
        return line.commissioner
    if len(contract.commissioners) == 1:
        return contract.commissioners[0].code
    codes = [party.code for party in contract.commissioners]
    raise ConfigError(
        f"line '{line.id}' is shared by several commissioners ({summarise_items(codes)}); a "
        "stress-test line has one commissioner, who pays for it and bears its risk",
        file=file,
        location=f"{_line_where(index, line)} > commissioner",
        expected='commissioner = "CODE" on the line',
        fix="split the line into one line per commissioner, each with its commissioner",
    )


def _planned_activity(line: ServiceLine, index: int, file: str | None) -> float:
    if line.planned_activity is None or line.planned_activity <= 0:
        raise ConfigError(
            f"line '{line.id}' has no planned activity: the stress test draws activity "
            "around the plan",
            file=file,
            location=f"{_line_where(index, line)} > planned_activity",
            expected="planned_activity > 0, in units of the line's currency",
            fix="add planned_activity to the line",
        )
    return float(line.planned_activity)


def _unit_price(line: ServiceLine, index: int, file: str | None) -> float:
    """The line's price per unit: its price term, else planned value ÷ planned activity."""
    terms = line.terms
    price: Any = getattr(terms, "price", None)
    if terms.mechanism == "local_price" and getattr(terms, "method", "agreed") != "agreed":
        module, function = terms.function_name.split(".")
        rule = getattr(importlib.import_module(f"quasimarket.mechanisms.{module}"), function)
        price = float(rule(**terms.kwargs()))
    if price is not None:
        return float(price)
    if line.planned_value_gbp is not None and line.planned_activity:
        return float(line.planned_value_gbp) / float(line.planned_activity)
    raise ConfigError(
        f"cannot derive a unit price for line '{line.id}' (mechanism '{line.mechanism}' has "
        "no price term and the line has no planned_value_gbp)",
        file=file,
        location=_line_where(index, line),
        expected="a price in the line's terms, or planned_value_gbp with planned_activity "
        "(the unit price is then planned value ÷ planned activity)",
        fix="add planned_value_gbp (the planned activity at its tariff or agreed prices) to "
        "the line",
    )


def load_uncertainty(path: str | Path) -> Uncertainty:
    """Read an uncertainty file: the scenario's ``[uncertainty]`` table, either as the whole
    file (``[volume.nel]``, ``[demand_growth]`` …) or inside an ``[uncertainty]`` table (a
    section copied from a scenario file).

    Raises:
        ConfigError: missing file, TOML syntax, or an invalid field (naming the file).
    """
    raw = load_toml(path, what="uncertainty", fix_syntax="correct the syntax at that line")
    if set(raw) == {"uncertainty"} and isinstance(raw["uncertainty"], dict):
        raw = raw["uncertainty"]
    try:
        return Uncertainty.model_validate(raw)
    except ValidationError as error:
        raise from_validation_error(
            error, file=str(path), what="uncertainty", model=Uncertainty
        ) from None


def load_stress_inputs(path: str | Path) -> StressInputs:
    """Read a costs file: ``[lines.<line id>]`` provider costs and optional
    ``[parties.<code>]`` budgets and tolerances (:class:`StressInputs`).

    Raises:
        ConfigError: missing file, TOML syntax, or an invalid field (naming the file).
    """
    raw = load_toml(path, what="costs", fix_syntax="correct the syntax at that line")
    try:
        return StressInputs.model_validate(raw)
    except ValidationError as error:
        raise from_validation_error(
            error, file=str(path), what="costs file", model=StressInputs
        ) from None
