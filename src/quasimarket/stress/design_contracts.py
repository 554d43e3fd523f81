"""A stress-test design as contracts, so the one payment pipeline prices every draw.

Each design becomes one :class:`~quasimarket.contracts.Contract` per commissioner–provider
pair (the design's risk share applies per pair, as in a real contract round) and, when the
design has an alliance, one alliance agreement holding the partners' lines. Plans and prices
come from the scenario lines. A design's terms are the contract's own terms models, derived
for a scenario (:mod:`quasimarket.stress.design_terms`), so one generic step builds each
contract line: ``TERMS(**design terms, **terms from the line's plan)``; terms a design leaves
out take the line's plan, as documented in ``docs/stress-testing.md`` (block and fixed values
= planned value, thresholds = planned activity, caps and collars corridor around plan).

Two scope defaults, because a scenario line may omit its point of delivery: a line with MRET
and no ``pod`` is the non-elective line the rule is written for; an API line with no ``pod``
is elective activity (the API's variable element covers elective care only).

Dated defaults do not apply: every rate a scenario design uses is written in the scenario, so
the contracts carry ``allow_out_of_era`` and a nominal year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from quasimarket.errors import ConfigError, QuasimarketError, summarise_items
from quasimarket.stress.design_terms import CostPerCase
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract
    from quasimarket.stress.scenario import Design, Scenario

__all__ = ["DesignContract", "assumption_notes", "design_contracts"]

#: Nominal year of a design's contracts (no dated default is read: see the module doc).
_YEAR = "2025/26"


@dataclass(frozen=True)
class DesignContract:
    """One contract of a design and the scenario lines it covers.

    Attributes:
        contract: The contract (lines in the order of ``rows``).
        rows: Scenario line index of each contract line.
        pods: Point-of-delivery code of each line's unit (-1: none).
        refs: Per line, ``{"cquin": [goal achievement refs], "outcome": ref,
            "contingency": ref}`` (floats or ``uncertainty.achievement`` names).
        partners: Alliance partner codes (alliance contract only).
    """

    contract: Contract
    rows: npt.NDArray[np.intp]
    pods: npt.NDArray[np.intp]
    refs: tuple[dict[str, Any], ...]
    partners: tuple[str, ...] = ()


def design_contracts(scenario: Scenario, design: Design) -> list[DesignContract]:
    """The contracts of *design* (see module doc).

    Raises:
        ConfigError: a design term the contract format refuses, naming the design and line.
    """
    alliance = design.alliance
    partners = set(alliance.partners) if alliance else set()
    groups: dict[tuple[str, str], list[int]] = {}
    allied: list[int] = []
    for i, line in enumerate(scenario.lines):
        if line.provider in partners:
            allied.append(i)
        else:
            groups.setdefault((line.commissioner, line.provider), []).append(i)
    if design.contract is not None and groups:
        # taken from a contract: priced as that one contract (its risk share spans its lines)
        rows = sorted(i for group in groups.values() for i in group)
        out = [
            _contract(
                scenario,
                design,
                rows,
                commissioners=sorted({comm for comm, _ in groups}),
                providers=sorted({prov for _, prov in groups}),
            )
        ]
    else:
        share = design.risk_share
        if share is not None and share.plan_value is not None and len(groups) > 1:
            raise ConfigError(
                f"design '{design.name}': a risk share plan_value with {len(groups)} "
                "commissioner-provider pairs",
                location=f"design '{design.name}': risk_share.plan_value",
                expected="no plan_value (each pair's planned value), or a design with one pair",
                fix="remove plan_value, or take the design from a contract file",
            )
        out = [
            _contract(scenario, design, rows, commissioners=[comm], providers=[prov])
            for (comm, prov), rows in sorted(groups.items())
        ]
    if alliance is not None:
        out.append(
            _contract(
                scenario,
                design,
                allied,
                commissioners=[alliance.commissioner],
                providers=list(alliance.partners),
            )
        )
    return out


def _default_pod(line: Any, spec: Any) -> str | None:
    """The point of delivery of a scenario line with no ``pod``, from the rules it has."""
    if line.pod is not None or spec is None:
        return str(line.pod) if line.pod is not None else None
    if any(adj.rule == "mret" for adj in spec.adjustments):
        return "non_elective"  # the rule is written for emergency activity
    if spec.mechanism == "aligned_payment_incentive":
        return "elective"  # the API's variable element covers elective care only
    return None


def assumption_notes(scenario: Scenario) -> list[str]:
    """What the designs assume where the scenario leaves a value out, with counts.

    Money depends on these, so the results say so (``Scenario.notes``): a point of delivery
    taken from a line's rules, and a design default in place of the payment-rule calendar's
    dated value (a scenario design has no calendar year) or of a stated achievement.
    """
    notes: list[str] = []
    for design in scenario.designs:
        pods: dict[str, list[str]] = {}
        taken: dict[tuple[str, str, Any], list[str]] = {}
        for line in scenario.lines:
            spec = scenario.line_design(design, line.id)
            if spec is None:
                continue
            pod = _default_pod(line, spec)
            if line.pod is None and pod is not None:
                pods.setdefault(pod, []).append(line.id)
            items = [spec, *spec.adjustments]
            items += [goal for adj in spec.adjustments for goal in getattr(adj, "goals", ())]
            for item in items:
                label = str(getattr(item, "mechanism", None) or getattr(item, "rule", "goal"))
                for field, value in type(item).DEFAULTS.items():
                    if field not in item.model_fields_set:
                        taken.setdefault((label, field, value), []).append(line.id)
        for pod, ids in pods.items():
            why = "MRET applies" if pod == "non_elective" else "the API's variable element"
            notes.append(
                f"design '{design.name}': {len(ids)} line(s) with no pod priced as {pod} "
                f"because {why} ({summarise_items(ids)}); set pod on the line to change it"
            )
        for (label, field, value), ids in taken.items():
            notes.append(
                f"design '{design.name}': {label} {field} = {value!r} assumed on {len(ids)} "
                f"line(s) ({summarise_items(ids)}); write {field} in the design to change it"
            )
    return notes


def _contract(
    scenario: Scenario,
    design: Design,
    rows: list[int],
    *,
    commissioners: list[str],
    providers: list[str],
) -> DesignContract:
    from quasimarket.contracts.model import CONTRACT_FORMAT, Contract

    lines = []
    pods = []
    refs = []
    for i in rows:
        line = scenario.lines[i]
        spec = scenario.line_design(design, line.id)
        entry, pod, ref = _line(design, line, spec)
        lines.append(entry)
        pods.append(POD_CODES[pod] if pod else -1)
        refs.append(ref)
    data: dict[str, Any] = {
        "format": CONTRACT_FORMAT,
        "name": f"{design.name} ({', '.join(commissioners)} / {', '.join(providers)})",
        "year": _YEAR,
        "form": "nhs_standard_contract",
        "commissioners": [{"code": code} for code in commissioners],
        "providers": [{"code": code} for code in providers],
        "lines": lines,
    }
    alliance = design.alliance
    partners: tuple[str, ...] = ()
    if design.risk_share is not None and not (alliance and providers == list(alliance.partners)):
        share = design.risk_share.contract_data()
        ids = {entry["id"] for entry in lines}
        named = share.get("lines")
        if named:  # only the named lines of this contract (none of them: no risk share here)
            share["lines"] = [i for i in named if i in ids]
        if not named or share["lines"]:
            data["risk_share"] = share
    if alliance is not None and providers == list(alliance.partners):
        partners = tuple(alliance.partners)
        data["form"] = "alliance_agreement"
        # the outcome achievement is drawn: the engine passes it at pricing
        data["alliance"] = alliance.contract_data()
    try:
        contract = Contract.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first.get("loc", ())
        where = f"design '{design.name}'"
        if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
            field = _field(first, lines[loc[1]].get("terms", {}))
            where += f", line '{lines[loc[1]]['id']}': {field}"
        raise ConfigError(
            str(first.get("msg", error)).removeprefix("Value error, "),
            location=where,
            expected="terms the contract format accepts",
            fix="correct the design's line terms",
        ) from None
    except QuasimarketError as error:
        raise ConfigError(
            f"design '{design.name}' cannot be written as a contract: {error}",
            location=f"design '{design.name}'",
            fix="correct the design's line terms",
        ) from None
    from quasimarket.payment.pipeline import check_contract

    try:
        check_contract(contract, record_level=False)
    except ConfigError as error:
        raise ConfigError(
            error.problem,
            location=f"design '{design.name}': {error.location}",
            expected=error.expected,
            fix=error.fix,
        ) from None
    return DesignContract(
        contract=contract,
        rows=np.array(rows, dtype=np.intp),
        pods=np.array(pods, dtype=np.intp),
        refs=tuple(refs),
        partners=partners,
    )


def _line(
    design: Design, line: Any, spec: Any
) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """The contract line of a scenario line under *spec*; its pod; its achievement refs.

    The terms and adjustments are the contract's own models built from the design
    (:meth:`~quasimarket.stress.design_terms.DesignTerms.contract_terms`: the design's terms,
    plus what it leaves out taken from the line's plan).
    """
    # an alliance partner's line may have no design entry: the gain/loss share, not a
    # payment form, decides its money, so it is valued per unit at the line's price
    if spec is None:
        spec = CostPerCase(mechanism="cost_per_case")
    ref: dict[str, Any] = {}
    terms = _validated(design, line, spec, ref, "")
    adjustments = [_validated(design, line, adj, ref, f"{adj.rule}.") for adj in spec.adjustments]
    mechanism = terms["mechanism"]
    plan_value = line.planned_activity * line.unit_price_gbp
    pod = _default_pod(line, spec)
    entry: dict[str, Any] = {
        "id": line.id,
        "service": line.service or line.id,
        "currency": line.currency,
        "provider": line.provider,
        "commissioner": line.commissioner,
        "mechanism": mechanism,
        "planned_activity": line.planned_activity,
        "planned_value_gbp": plan_value,
        "allow_out_of_era": True,
        "terms": terms,
        "adjustments": adjustments,
    }
    if pod is not None:
        entry["pods"] = [pod]
    return entry, pod, ref


def _validated(
    design: Design, line: Any, spec: Any, ref: dict[str, Any], prefix: str
) -> dict[str, Any]:
    """The contract data of one design model on *line*, validated by the contract's model.

    Raises:
        ConfigError: terms the contract model refuses, naming the design, line and term.
    """
    try:
        return dict(spec.contract_terms(line, ref).model_dump(exclude_unset=True))
    except ValidationError as error:
        first = error.errors()[0]
        data = spec.contract_data(line, {})
        raise ConfigError(
            str(first.get("msg", error)).removeprefix("Value error, "),
            location=f"design '{design.name}', line '{line.id}': {prefix}{_field(first, data)}",
            expected=str((first.get("ctx") or {}).get("expected") or "")
            or "terms the contract format accepts",
            fix=str((first.get("ctx") or {}).get("fix") or "") or "correct the design's line terms",
        ) from None


def _field(error: Any, terms: dict[str, Any]) -> str:
    """The term an error is about: the last name in its location, else (a check across
    terms) the first term its message mentions."""
    loc = error.get("loc", ())
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if field not in terms:
        msg = str(error.get("msg", ""))
        field = min((k for k in terms if k in msg), key=msg.index, default=field)
    return field
