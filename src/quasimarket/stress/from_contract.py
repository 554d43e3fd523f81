"""Designs taken from contract files: ``[[designs]] contract = "acute.toml"``.

A design may name a ``quasimarket.contract/1`` file (path relative to the scenario file)
instead of listing its line mechanisms. The contract is loaded and validated by
:func:`quasimarket.contracts.load_contract` (so calendar defaults such as the MRET rate of
its year apply), and each contract line becomes the design entry of the scenario line with
the same id, with the mechanism's terms as given in the contract (``terms.kwargs()``).
Prices, plans and costs come from the SCENARIO lines (the stress test works on line
aggregates), so a contract's own ``price`` is not used.

Supported adjustment rules: ``mret``, ``cquin`` and ``activity_cap``. A CQUIN goal without an
achievement in the contract uses the ``uncertainty.achievement`` source of the same name if
there is one, else 1 (fully achieved). Record-level rules (``readmissions``, ``sanctions``,
``local_variation``, ``local_modification``) cannot be evaluated on line aggregates: the
design must list them in ``ignore_rules`` to drop them knowingly. Alliance contracts are not
converted (write the ``[designs.alliance]`` table in the scenario).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quasimarket.errors import ConfigError, summarise_items

__all__ = ["SUPPORTED_RULES", "design_from_contract"]

#: Adjustment rules a stress test evaluates on line aggregates.
SUPPORTED_RULES = ("mret", "cquin", "activity_cap")
#: Mechanisms with no terms at line level (priced per unit at the scenario line's price).
_PER_UNIT = {"national_tariff": "national_tariff", "local_price": "cost_per_case"}
#: Terms the scenario's design models take, by mechanism.
_TERMS = {
    "cost_per_case": (),
    "block": ("annual_value", "monthly_profile"),
    "cost_and_volume": ("base_value", "threshold_activity", "marginal_rate"),
    "caps_and_collars": ("fixed_value", "collar_activity", "cap_activity", "marginal_rate"),
    "blended": ("planned_value", "variable_rate"),
    "aligned_payment_incentive": (
        "fixed_value",
        "elective_threshold_value",
        "variable_rate",
        "floor_value",
    ),
    "capitation": (
        "weighted_population",
        "rate_per_head",
        "outcome_share",
        "outcome_achievement",
        "contingency_share",
        "contingency_released",
    ),
}


def design_from_contract(
    design: dict[str, Any],
    *,
    base_dir: Path | None,
    achievements: set[str],
    line_ids: list[str],
    location: str,
) -> dict[str, Any]:
    """The design table with ``lines`` (and ``risk_share``) filled in from its contract.

    Raises:
        ConfigError: the contract cannot be loaded, names an unknown line, uses an unsupported
            mechanism or rule (not listed in ``ignore_rules``), or is an alliance.
    """
    from quasimarket.contracts import load_contract

    path = Path(str(design["contract"]))
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if design.get("lines"):
        raise ConfigError(
            "a design with a contract cannot also list lines",
            location=f"{location}.lines",
            expected="either contract = FILE or [designs.lines] tables",
            fix="remove the lines table or the contract key",
        )
    contract = load_contract(path)
    ignore = set(design.get("ignore_rules", ()))
    if contract.alliance is not None:
        raise ConfigError(
            "alliance contracts cannot be used as a stress-test design yet",
            file=path,
            location="alliance",
            expected="a contract without an [alliance] table",
            fix="write the alliance in the scenario as [designs.alliance]",
        )
    lines: dict[str, Any] = {}
    for line in contract.lines:
        where = f"{location}.contract lines.{line.id}"
        if line.id not in line_ids:
            raise ConfigError(
                f"contract line '{line.id}' is not a scenario line",
                file=path,
                location=where,
                expected=f"one of {summarise_items(line_ids)}",
                fix="give the scenario line the same id as the contract line",
            )
        mechanism = _PER_UNIT.get(line.mechanism, line.mechanism)
        if mechanism not in _TERMS and mechanism != "national_tariff":
            raise ConfigError(
                f"mechanism '{line.mechanism}' cannot be stress-tested on line aggregates",
                file=path,
                location=where,
                expected="one of " + ", ".join([*_PER_UNIT, *_TERMS]),
                fix="describe this line's design in the scenario instead",
            )
        kwargs = line.terms.kwargs()
        entry: dict[str, Any] = {"mechanism": mechanism}
        for name in _TERMS.get(mechanism, ()):
            if kwargs.get(name) is not None:
                entry[name] = kwargs[name]
        adjustments = []
        for adjustment in line.adjustments:
            if adjustment.rule in ignore:
                continue
            if adjustment.rule not in SUPPORTED_RULES:
                raise ConfigError(
                    f"adjustment rule '{adjustment.rule}' is record-level and cannot be "
                    "evaluated on line aggregates",
                    file=path,
                    location=where,
                    expected="rules " + ", ".join(SUPPORTED_RULES),
                    fix=f'add ignore_rules = ["{adjustment.rule}"] to the design to drop it',
                )
            adjustments.append(_adjustment(adjustment, achievements))
        if adjustments:
            entry["adjustments"] = adjustments
        lines[line.id] = entry
    out = {key: value for key, value in design.items() if key not in ("lines",)}
    out["lines"] = lines
    out["contract"] = str(design["contract"])
    if contract.risk_share is not None and "risk_share" not in design:
        shares = list(contract.risk_share.provider_shares)
        edges = list(contract.risk_share.band_edges) or [1.0]
        if len(shares) == 1:
            shares = shares * 2
        out["risk_share"] = {"band_edges": edges, "provider_shares": shares}
    return out


def _adjustment(adjustment: Any, achievements: set[str]) -> dict[str, Any]:
    kwargs = adjustment.kwargs()
    if adjustment.rule == "cquin":
        goals = []
        for goal in adjustment.goals:
            if goal.achievement is not None:
                achieved: float | str = float(goal.achievement)
            else:
                achieved = goal.name if goal.name in achievements else 1.0
            goals.append({"weight": goal.weight, "achievement": achieved})
        return {"rule": "cquin", "rate": kwargs["rate"], "goals": goals}
    if adjustment.rule == "mret":
        return {"rule": "mret", "rate": kwargs["rate"], "baseline_value": kwargs["baseline_value"]}
    return {"rule": adjustment.rule, "plan_value": kwargs.get("plan_value")}
