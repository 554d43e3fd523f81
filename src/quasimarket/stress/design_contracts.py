"""A stress-test design as contracts, so the one payment pipeline prices every draw.

Each design becomes one :class:`~quasimarket.contracts.Contract` per commissioner–provider
pair (the design's risk share applies per pair, as in a real contract round) and, when the
design has an alliance, one alliance agreement holding the partners' lines. Plans and prices
come from the scenario lines; terms a design leaves out take the line's plan, as documented
in ``docs/stress-testing.md`` (block and fixed values = planned value, thresholds = planned
activity, caps and collars corridor around plan).

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

from quasimarket.errors import ConfigError, QuasimarketError
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract
    from quasimarket.stress.scenario import Design, Scenario

__all__ = ["DesignContract", "design_contracts"]

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
        entry, pod, ref = _line(line, spec)
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
        data["risk_share"] = {
            "band_edges": list(design.risk_share.band_edges),
            "provider_shares": list(design.risk_share.provider_shares),
        }
    if alliance is not None and providers == list(alliance.partners):
        partners = tuple(alliance.partners)
        data["form"] = "alliance_agreement"
        data["alliance"] = {
            "envelope": alliance.envelope_gbp,
            "partners": [
                {"code": code, "share": share, "exempt": code in alliance.exempt}
                for code, share in zip(alliance.partners, alliance.shares, strict=True)
            ],
            "outcome_pot": alliance.outcome_pot_gbp,
            "outcome_achievement": 1.0,
            "step_in_threshold": alliance.step_in_threshold,
            "year_index": alliance.year_index,
            "service_development": alliance.service_development_gbp,
            "provider_split": alliance.provider_split,
        }
    try:
        contract = Contract.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = first.get("loc", ())
        where = f"design '{design.name}'"
        if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
            field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
            terms = lines[loc[1]].get("terms", {})
            if field not in terms:  # a check across terms: name the first term it mentions
                msg = str(first.get("msg", ""))
                field = min((k for k in terms if k in msg), key=msg.index, default=field)
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


def _line(line: Any, spec: Any) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """The contract line of a scenario line under *spec*; its pod; its achievement refs."""
    plan = float(line.planned_activity)
    price = float(line.unit_price_gbp)
    plan_value = plan * price
    # an alliance partner's line may have no design entry: the gain/loss share, not a
    # payment form, decides its money, so it is valued per unit at the line's price
    mech = "cost_per_case" if spec is None else spec.mechanism
    ref: dict[str, Any] = {}
    terms: dict[str, Any]
    if mech in ("cost_per_case", "national_tariff"):
        mechanism, terms = "cost_per_case", {"price": price}
    elif mech == "block":
        mechanism = "block"
        terms = {"annual_value": plan_value if spec.annual_value is None else spec.annual_value}
        if spec.monthly_profile is not None:
            terms["monthly_profile"] = list(spec.monthly_profile)
    elif mech == "cost_and_volume":
        mechanism = mech
        terms = {
            "base_value": plan_value if spec.base_value is None else spec.base_value,
            "threshold_activity": plan
            if spec.threshold_activity is None
            else spec.threshold_activity,
            "price": price,
            "marginal_rate": spec.marginal_rate,
        }
    elif mech == "caps_and_collars":
        mechanism = mech
        terms = {
            "fixed_value": plan_value if spec.fixed_value is None else spec.fixed_value,
            "collar_activity": plan * (1 - spec.corridor)
            if spec.collar_activity is None
            else spec.collar_activity,
            "cap_activity": plan * (1 + spec.corridor)
            if spec.cap_activity is None
            else spec.cap_activity,
            "price": price,
            "marginal_rate": spec.marginal_rate,
        }
    elif mech == "blended":
        mechanism = mech
        terms = {
            "planned_value": plan_value if spec.planned_value is None else spec.planned_value,
            "variable_rate": spec.variable_rate,
        }
    elif mech == "aligned_payment_incentive":
        mechanism = mech
        terms = {
            "fixed_value": plan_value if spec.fixed_value is None else spec.fixed_value,
            "elective_threshold_value": plan_value
            if spec.elective_threshold_value is None
            else spec.elective_threshold_value,
            "variable_rate": spec.variable_rate,
        }
        if spec.floor_value is not None:
            terms["floor_value"] = spec.floor_value
    elif mech == "capitation":
        mechanism = mech
        terms = {
            "weighted_population": spec.weighted_population,
            "rate_per_head": spec.rate_per_head,
            "outcome_share": spec.outcome_share,
            "outcome_achievement": 1.0,
            "contingency_share": spec.contingency_share,
            "contingency_released": 0.0,
        }
        ref["outcome"] = spec.outcome_achievement
        ref["contingency"] = spec.contingency_released
    else:  # pragma: no cover - the scenario model admits no other mechanism
        raise TypeError(mech)
    adjustments = []
    for adj in () if spec is None else spec.adjustments:
        if adj.rule == "mret":
            adjustments.append(
                {
                    "rule": "mret",
                    "rate": adj.rate,
                    "baseline_value": plan_value
                    if adj.baseline_value is None
                    else adj.baseline_value,
                    "allow_out_of_era": True,
                }
            )
        elif adj.rule == "activity_cap":
            adjustments.append(
                {
                    "rule": "activity_cap",
                    "plan_value": plan_value if adj.plan_value is None else adj.plan_value,
                    "allow_out_of_era": True,
                }
            )
        elif adj.rule == "cquin":
            goals = [
                {"name": f"goal_{k + 1}", "weight": goal.weight, "achievement": 1.0}
                for k, goal in enumerate(adj.goals)
            ]
            adjustments.append(
                {"rule": "cquin", "rate": adj.rate, "goals": goals, "allow_out_of_era": True}
            )
            ref["cquin"] = [goal.achievement for goal in adj.goals]
    pod = line.pod
    if pod is None and any(a["rule"] == "mret" for a in adjustments):
        pod = "non_elective"
    if pod is None and mechanism == "aligned_payment_incentive":
        pod = "elective"
    entry: dict[str, Any] = {
        "id": line.id,
        "service": line.service or line.id,
        "currency": line.currency,
        "provider": line.provider,
        "commissioner": line.commissioner,
        "mechanism": mechanism,
        "planned_activity": plan,
        "planned_value_gbp": plan_value,
        "allow_out_of_era": True,
        "terms": terms,
        "adjustments": adjustments,
    }
    if pod is not None:
        entry["pods"] = [pod]
    return entry, pod, ref
