"""The terms of a stress-test design: the contract's terms models, derived for a scenario.

A scenario design says, per line, which payment mechanism pays it and with which terms
(``[designs.lines.<id>]``), which adjustment rules apply (``[[….adjustments]]``), and
optionally a risk share and an alliance. None of these terms is declared here: each design
model is DERIVED by :func:`derive` from the contract model of the same mechanism or rule
(:mod:`quasimarket.contracts.terms`, :mod:`quasimarket.contracts.adjustments`,
:class:`~quasimarket.contracts.model.RiskShare`, :class:`~quasimarket.contracts.model.Alliance`),
so every term has one declaration — the contract's name, type, constraints and description.
A design differs from the contract only in what :func:`derive` is told, per model:

* ``from_line``: terms the scenario LINE supplies when the design leaves them out (the
  contract's ``LINE_DEFAULTS`` on ``planned_value_gbp``, plus the terms listed): optional,
  ``None`` meaning "from the line's plan" (:data:`PLAN` says how, e.g. the planned value
  = planned_activity × unit_price_gbp);
* ``line``: terms that are always the line's and that a design does not take (the unit
  ``price`` is the line's ``unit_price_gbp``: prices, plans and costs come from the lines);
* ``defaults`` and ``required``: where the contract leaves a term out for the payment-rule
  calendar of its year (or for population data) to fill, a design has no year: the term is
  required, or has the stated default;
* ``achievements``: achievement terms (CQUIN goals, capitation outcomes and contingency, the
  alliance outcomes) take a fraction 0–1 or the name of an ``uncertainty.achievement``
  source (:data:`AchievementRef`); the drawn value is passed at pricing;
* ``excluded``: contract terms a line-aggregate stress test cannot honour, each with why;
* ``set_by_compile``: contract terms the design contracts always set (``allow_out_of_era``:
  a scenario's rates are written in it, so no rule is tied to a year).

Stress-only conveniences with no contract field (the caps-and-collars ``corridor``, the
alliance's partner lists) are ordinary fields declared in the class body: the design-only
fields, which the contract never sees. Every model refuses unknown keys (``extra="forbid"``)
and its tag (``mechanism`` or ``rule``) is a ``Literal``, so :data:`LineDesign` and
:data:`AdjustmentSpec` are discriminated unions.

:meth:`DesignTerms.contract_data` is the one compiler from a design to contract data
(:mod:`quasimarket.stress.design_contracts`); :func:`design_fields` is its inverse, from a
contract's terms to a design's (:mod:`quasimarket.stress.from_contract`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from quasimarket.contracts import adjustments as rules
from quasimarket.contracts import terms as mechanisms
from quasimarket.contracts._base import rule_error
from quasimarket.contracts.model import Alliance, RiskShare, ServiceLine
from quasimarket.contracts.terms import Fraction

__all__ = [
    "ADJUSTMENTS",
    "LINE_DESIGNS",
    "PLAN",
    "AchievementRef",
    "ActivityCap",
    "AdjustmentSpec",
    "AlignedPaymentIncentive",
    "AllianceSpec",
    "Blended",
    "Block",
    "Capitation",
    "CapsAndCollars",
    "CostAndVolume",
    "CostPerCase",
    "Cquin",
    "DesignTerms",
    "Goal",
    "LineDesign",
    "LineDesignTerms",
    "Mret",
    "RiskShareSpec",
    "derive",
    "design_fields",
]

AchievementRef = float | str
"""A fixed achievement in [0, 1], or the name of an ``uncertainty.achievement`` source."""


class PlannedLine(Protocol):
    """What a design reads from its scenario line (:class:`quasimarket.stress.scenario.Line`)."""

    @property
    def planned_activity(self) -> float: ...

    @property
    def unit_price_gbp(self) -> float: ...


def _planned_value(line: PlannedLine, spec: Any) -> float:
    return line.planned_activity * line.unit_price_gbp


def _planned_activity(line: PlannedLine, spec: Any) -> float:
    return line.planned_activity


def _unit_price(line: PlannedLine, spec: Any) -> float:
    return line.unit_price_gbp


def _collar(line: PlannedLine, spec: Any) -> float:
    return line.planned_activity * (1 - float(spec.corridor))


def _cap(line: PlannedLine, spec: Any) -> float:
    return line.planned_activity * (1 + float(spec.corridor))


#: How a term a design leaves out is taken from the scenario line: kind -> (words, rule).
PLAN: dict[str, tuple[str, Callable[[PlannedLine, Any], float]]] = {
    "planned_value": (
        "the line's planned value (planned_activity × unit_price_gbp)",
        _planned_value,
    ),
    "planned_activity": ("the line's planned_activity", _planned_activity),
    "unit_price": ("the line's unit_price_gbp", _unit_price),
    "collar": ("planned_activity × (1 − corridor)", _collar),
    "cap": ("planned_activity × (1 + corridor)", _cap),
}


class DesignTerms(BaseModel):
    """Base of the design models: frozen, unknown keys refused; the derivation in ClassVars.

    The ClassVars are set by :func:`derive` (see the module doc); a subclass declares its
    design-only fields and its docstring.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: The contract model the design is derived from.
    TERMS: ClassVar[type[BaseModel]] = BaseModel
    #: The discriminator field (``mechanism`` or ``rule``), or ``""``.
    TAG: ClassVar[str] = ""
    #: Fields taken from the contract model, in its order.
    DERIVED: ClassVar[tuple[str, ...]] = ()
    #: Field -> :data:`PLAN` kind: optional, from the line's plan when left out.
    FROM_LINE: ClassVar[Mapping[str, str]] = {}
    #: Contract field -> :data:`PLAN` kind: always the line's; not a design field.
    LINE: ClassVar[Mapping[str, str]] = {}
    #: Field -> key of the achievement in ``DesignContract.refs`` (fraction or source name).
    ACHIEVEMENTS: ClassVar[Mapping[str, str]] = {}
    #: Field -> the design's default where the contract's comes from the calendar of its
    #: year (the scenario's notes say when one is taken: ``design_contracts.assumption_notes``).
    DEFAULTS: ClassVar[Mapping[str, Any]] = {}
    #: Contract field -> why a design does not take it.
    EXCLUDED: ClassVar[Mapping[str, str]] = {}
    #: Contract field -> the value the design contracts always give it.
    SET_BY_COMPILE: ClassVar[Mapping[str, Any]] = {}
    #: For an item of a list (a CQUIN goal): its contract ``name``, formatted with its 1-based
    #: position ``n`` (the engine passes the drawn achievements under these names).
    ITEM_NAME: ClassVar[str] = ""
    #: Old scenario names still read (real scenario files use them) -> the contract's name.
    OLD_NAMES: ClassVar[Mapping[str, str]] = {}
    #: Check the design with the contract model when it is read (only for models that take
    #: nothing from a line: the risk share and the alliance).
    CHECK: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _read_old_names(cls, data: Any) -> Any:
        if not (cls.OLD_NAMES and isinstance(data, dict)):
            return data
        out = dict(data)
        for old, new in cls.OLD_NAMES.items():
            if old in out:
                if new in out:
                    raise ValueError(f"give {new} (or its old name {old}), not both")
                out[new] = out.pop(old)
        return out

    @model_validator(mode="after")
    def _check_with_the_contract(self) -> DesignTerms:
        if type(self).CHECK:
            try:
                self.TERMS.model_validate(self.contract_data())
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first.get("loc", ()))
                ctx = first.get("ctx") or {}
                raise rule_error(
                    f"{where + ': ' if where else ''}{first.get('msg', error)}",
                    expected=str(ctx.get("expected", "")),
                    fix=str(ctx.get("fix", "")),
                ) from None
        return self

    def contract_data(
        self, line: PlannedLine | None = None, refs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The contract model's data for this design on *line*.

        Terms left out that the line supplies are taken from its plan (:data:`PLAN`);
        achievement terms get the design's default and their value (a fraction or an
        achievement source name) goes into *refs* under its key; design-only fields are
        left out; ``None`` terms are left out (the contract's own default applies).
        """
        cls = type(self)
        refs = {} if refs is None else refs
        data: dict[str, Any] = {}
        if cls.TAG:
            data[cls.TAG] = cls.TERMS.model_fields[cls.TAG].default
        for name in cls.DERIVED:
            if name == cls.TAG:
                continue
            value = getattr(self, name)
            if name in cls.ACHIEVEMENTS:
                refs[cls.ACHIEVEMENTS[name]] = value
                value = cls.model_fields[name].default
            elif value is None and name in cls.FROM_LINE:
                value = _from_plan(cls.FROM_LINE[name], line, self)
            elif isinstance(value, tuple) and any(isinstance(v, DesignTerms) for v in value):
                value = _items(value, line, refs)
            elif isinstance(value, tuple):
                value = list(value)
            if value is not None:
                data[name] = value
        for name, kind in cls.LINE.items():
            data[name] = _from_plan(kind, line, self)
        data.update(cls.SET_BY_COMPILE)
        return data

    def contract_terms(
        self, line: PlannedLine | None = None, refs: dict[str, Any] | None = None
    ) -> BaseModel:
        """The contract's own model of these terms on *line*: ``TERMS(**contract_data)``.

        Raises:
            pydantic.ValidationError: the terms the contract model refuses.
        """
        return self.TERMS.model_validate(self.contract_data(line, refs))

    def achievement_refs(self) -> list[tuple[str, AchievementRef]]:
        """Every achievement term of the design (nested ones too): ``(path, value)``."""
        out: list[tuple[str, AchievementRef]] = [
            (name, getattr(self, name)) for name in type(self).ACHIEVEMENTS
        ]
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, tuple):
                for i, item in enumerate(value):
                    if isinstance(item, DesignTerms):
                        nested = item.achievement_refs()
                        out += [(f"{name}[{i}].{path}", ref) for path, ref in nested]
        return out


def _from_plan(kind: str, line: PlannedLine | None, spec: DesignTerms) -> float:
    if line is None:
        raise TypeError(f"{type(spec).__name__} takes terms from a scenario line: give the line")
    return float(PLAN[kind][1](line, spec))


def _items(items: tuple[Any, ...], line: PlannedLine | None, refs: dict[str, Any]) -> list[Any]:
    """A list of design items (CQUIN goals) as contract data; their refs as lists in *refs*."""
    out = []
    listed: dict[str, list[Any]] = {}
    for k, item in enumerate(items):
        own: dict[str, Any] = {}
        entry = item.contract_data(line, own)
        if item.ITEM_NAME:
            entry = {"name": item.ITEM_NAME.format(n=k + 1), **entry}
        out.append(entry)
        for key, ref in own.items():
            listed.setdefault(key, []).append(ref)
    refs.update(listed)
    return out


# -- derivation ----------------------------------------------------------------------------


def _without_none(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (other annotations unchanged)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
        return typing.Union[tuple(members)]  # noqa: UP007 - a runtime union of members
    return annotation


def _annotation(info: FieldInfo, annotation: Any = None) -> Any:
    """The field's annotation with its constraints (pydantic keeps them in ``metadata``)."""
    base = info.annotation if annotation is None else annotation
    return Annotated[(base, *info.metadata)] if info.metadata else base


def _noted(info: FieldInfo, note: str) -> str:
    text = info.description or ""
    return f"{text}; {note}" if text else note


def derive(
    terms: type[BaseModel],
    *,
    name: str,
    tag: str = "",
    tags: Iterable[str] = (),
    from_line: Mapping[str, str] | None = None,
    line: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    required: Mapping[str, str] | None = None,
    achievements: Mapping[str, str] | None = None,
    replace: Mapping[str, Any] | None = None,
    excluded: Mapping[str, str] | None = None,
    set_by_compile: Mapping[str, Any] | None = None,
    base: type[DesignTerms] = DesignTerms,
) -> type[DesignTerms]:
    """The design variant of the contract model *terms* (see the module doc).

    Every field of *terms* is kept, with its type, constraints and description, except those
    in *line*, *excluded* and *set_by_compile*; then:

    Args:
        terms: The contract model.
        name: Name of the derived model (the class that subclasses it gives its own).
        tag: The discriminator field (``mechanism``/``rule``): a required ``Literal``.
        tags: The tag's values (default: the contract's one value).
        from_line: Field -> :data:`PLAN` kind, besides the contract's ``LINE_DEFAULTS`` on
            ``planned_value_gbp``: optional, from the line when left out.
        line: Field -> :data:`PLAN` kind: always the line's, not a design field.
        defaults: Field -> the design's default (``None`` dropped from the type).
        required: Field -> why the design requires it (``None`` dropped from the type).
        achievements: Field -> refs key: the type becomes :data:`AchievementRef`.
        replace: Field -> its annotation in the design (a list of design items), keeping the
            contract's constraints and description.
        excluded: Field -> why a design does not take it.
        set_by_compile: Field -> the value the design contracts give it.
        base: The design base class (:class:`LineDesignTerms` for line designs).

    Raises:
        TypeError: a name that is not a field of *terms* (a contract field renamed).
    """
    fields = terms.model_fields
    plan_defaults = {
        field: "planned_value"
        for field, source in getattr(terms, "LINE_DEFAULTS", {}).items()
        if source == "planned_value_gbp"
    }
    from_line = {**plan_defaults, **(from_line or {})}
    line, defaults = dict(line or {}), dict(defaults or {})
    achievements, replace = dict(achievements or {}), dict(replace or {})
    excluded, set_by_compile = dict(excluded or {}), dict(set_by_compile or {})
    required = dict(required or {})
    named = [
        *from_line,
        *line,
        *defaults,
        *required,
        *achievements,
        *replace,
        *excluded,
        *set_by_compile,
    ]
    unknown = sorted({n for n in [*named, *([tag] if tag else [])] if n not in fields})
    if unknown:
        raise TypeError(f"{terms.__name__} has no field(s) {', '.join(unknown)}")
    definitions: dict[str, Any] = {}
    for field, info in fields.items():
        if field in line or field in excluded or field in set_by_compile:
            continue
        description = info.description
        annotation = _annotation(info, replace.get(field))
        default: Any = ... if info.is_required() else info.default
        factory = info.default_factory
        if field == tag:
            values = tuple(tags) or (info.default,)
            definitions[field] = (Literal[values], Field(description=description))
            continue
        if field in achievements:
            annotation = AchievementRef
            default = defaults.get(field, default)
            factory = None if field in defaults else factory
            description = _noted(
                info, "or the name of an uncertainty.achievement source (drawn per run)"
            )
        elif field in from_line:
            annotation = _without_none(annotation) | None
            default, factory = None, None
            description = _noted(
                info, f"in a scenario design, omitted = {PLAN[from_line[field]][0]}"
            )
        elif field in required:
            annotation, default, factory = _without_none(annotation), ..., None
            description = _noted(info, f"required in a scenario design: {required[field]}")
        elif field in defaults:
            annotation, default, factory = _without_none(annotation), defaults[field], None
            description = _noted(info, f"scenario design default {defaults[field]!r}")
        kwargs: dict[str, Any] = {"description": description}
        if info.examples is not None:
            kwargs["examples"] = info.examples
        if factory is not None and default is PydanticUndefined:
            kwargs["default_factory"] = factory
        else:
            kwargs["default"] = default
        definitions[field] = (annotation, Field(**kwargs))
    model = create_model(
        name,
        __base__=base,
        __module__=__name__,
        __doc__=f"{terms.__name__}, derived for a scenario design.",
        **definitions,
    )
    model.TERMS = terms
    model.TAG = tag
    model.DERIVED = tuple(definitions)
    model.FROM_LINE = from_line
    model.LINE = line
    model.ACHIEVEMENTS = achievements
    model.DEFAULTS = defaults
    model.EXCLUDED = excluded
    model.SET_BY_COMPILE = set_by_compile
    return model


def design_fields(design: type[DesignTerms], contract_terms: BaseModel) -> dict[str, Any]:
    """The design fields a contract's terms give (the inverse of ``contract_data``).

    Every derived term the contract sets (``None`` left out, so the design's default
    applies), except the tag and lists of items (CQUIN goals), which the caller converts.
    """
    out: dict[str, Any] = {}
    for name in design.DERIVED:
        if name == design.TAG:
            continue
        value = getattr(contract_terms, name, None)
        if isinstance(value, tuple) and any(isinstance(v, BaseModel) for v in value):
            continue
        if value is not None:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


# -- adjustment rules ----------------------------------------------------------------------

#: The design contracts apply every rule whatever the year: a scenario's rates are its own.
_ANY_YEAR = {"allow_out_of_era": True}
#: Why a design requires a rate the contract may leave out (for the calendar to fill).
_NO_CALENDAR = {"rate": "a scenario has no contract year, so no payment-rule calendar rate"}


class ActivityCap(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        rules.ActivityCap, name="ActivityCapDesign", tag="rule", set_by_compile=_ANY_YEAR
    )
):
    """2011/12 activity cap: nothing paid above ``plan_value`` (002@249037)."""


class Mret(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        rules.Mret,
        name="MretDesign",
        tag="rule",
        from_line={"baseline_value": "planned_value"},
        required=_NO_CALENDAR,
        excluded={"baseline_year": "information only: the baseline is baseline_value"},
        set_by_compile=_ANY_YEAR,
    )
):
    """Marginal rate emergency rule: above ``baseline_value`` only ``rate`` of the value is
    paid (payment-rules.md A4 [V]: 30% in 2010/11–2014/15; 002@249400)."""


class Goal(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        rules.CquinGoal,
        name="GoalDesign",
        achievements={"achievement": "cquin"},
        defaults={"achievement": 1.0},
        excluded={"name": "the design contracts name the goals goal_1, goal_2 … in order"},
    )
):
    """A CQUIN goal: its weight (share of the CQUIN pot) and its achievement."""

    ITEM_NAME = "goal_{n}"


class Cquin(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        rules.Cquin,
        name="CquinDesign",
        tag="rule",
        required=_NO_CALENDAR,
        replace={"goals": tuple[Goal, ...]},
        set_by_compile=_ANY_YEAR,
    )
):
    """CQUIN: ``rate`` of the outturn value is available, earned by goals (A9 [V])."""


#: One adjustment rule of a design line, chosen by ``rule``.
AdjustmentSpec = Annotated[Mret | Cquin | ActivityCap, Field(discriminator="rule")]
#: The design model of each adjustment rule a stress test evaluates on line aggregates.
ADJUSTMENTS: dict[str, type[DesignTerms]] = {
    "mret": Mret,
    "cquin": Cquin,
    "activity_cap": ActivityCap,
}


# -- line designs --------------------------------------------------------------------------


class LineDesignTerms(DesignTerms):
    """Base of the line designs: the terms of one mechanism, and the line's adjustments."""

    adjustments: tuple[AdjustmentSpec, ...] = Field(
        (), description=ServiceLine.model_fields["adjustments"].description
    )


_PRICE = {"price": "unit_price"}  # the unit price is the scenario line's unit_price_gbp


class CostPerCase(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.CostPerCaseTerms,
        name="CostPerCaseDesign",
        tag="mechanism",
        tags=("cost_per_case", "national_tariff"),
        line=_PRICE,
        base=LineDesignTerms,
    )
):
    """Every unit paid at the line's unit price. ``national_tariff`` is the same at line
    level (the record-level tariff lookup lives in the pricing engine)."""


class Block(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.BlockTerms, name="BlockDesign", tag="mechanism", base=LineDesignTerms
    )
):
    """A fixed annual sum regardless of activity (default: the planned value; 002@72285)."""


class CostAndVolume(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.CostAndVolumeTerms,
        name="CostAndVolumeDesign",
        tag="mechanism",
        from_line={"base_value": "planned_value", "threshold_activity": "planned_activity"},
        line=_PRICE,
        base=LineDesignTerms,
    )
):
    """Base value up to a threshold volume, then ``marginal_rate`` × price (002@72285)."""


class CapsAndCollars(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.CapsAndCollarsTerms,
        name="CapsAndCollarsDesign",
        tag="mechanism",
        from_line={"collar_activity": "collar", "cap_activity": "cap"},
        line=_PRICE,
        defaults={"marginal_rate": 1.0},
        base=LineDesignTerms,
    )
):
    """Fixed value inside an activity corridor, marginal adjustments outside (002@254164).

    ``corridor`` (design-only; default 0.05, a [modelling note]: the seeds give no width) sets
    collar = plan × (1 − corridor) and cap = plan × (1 + corridor) unless given.
    """

    corridor: float = Field(
        0.05,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="design only: half-width of the activity corridor around planned "
        "activity, a fraction (collar_activity and cap_activity default to plan × (1 ∓ "
        "corridor))",
    )


class Blended(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.BlendedTerms,
        name="BlendedDesign",
        tag="mechanism",
        defaults={"variable_rate": 0.2},  # A6 [V]: 20% (a scenario has no calendar year)
        base=LineDesignTerms,
    )
):
    """Fixed planned value plus ``variable_rate`` × (actual − planned value) (A6 [V])."""


class AlignedPaymentIncentive(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.AlignedPaymentIncentiveTerms,
        name="AlignedPaymentIncentiveDesign",
        tag="mechanism",
        from_line={"fixed_value": "planned_value", "elective_threshold_value": "planned_value"},
        defaults={"variable_rate": 0.75},  # A7 [V]: 75% (a scenario has no calendar year)
        excluded={
            "planned_elective_value": "only the contract's fixed_value default reads it; a "
            "design's fixed_value defaults to the line's planned value"
        },
        base=LineDesignTerms,
    )
):
    """API: fixed element plus ``variable_rate`` × elective value vs threshold (A7 [V])."""


class Capitation(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        mechanisms.CapitationTerms,
        name="CapitationDesign",
        tag="mechanism",
        required={"weighted_population": "a scenario has no population data"},
        achievements={"outcome_achievement": "outcome", "contingency_released": "contingency"},
        defaults={"outcome_achievement": 1.0},
        base=LineDesignTerms,
    )
):
    """Rate per weighted head plus outcome and contingency elements (case C, 002@272684)."""


#: The design of one line, chosen by ``mechanism``.
LineDesign = Annotated[
    CostPerCase
    | Block
    | CostAndVolume
    | CapsAndCollars
    | Blended
    | AlignedPaymentIncentive
    | Capitation,
    Field(discriminator="mechanism"),
]
#: Mechanism name -> its line design model (``national_tariff`` is priced per unit).
LINE_DESIGNS: dict[str, type[DesignTerms]] = {
    value: model
    for model in typing.get_args(typing.get_args(LineDesign)[0])
    for value in typing.get_args(model.model_fields["mechanism"].annotation)
}


# -- contract-level terms ------------------------------------------------------------------


class RiskShareSpec(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        RiskShare,
        name="RiskShareDesign",
    )
):
    """Binary risk share around the planned value (002@260736; A11 [K]): ``band_edges``
    (fractions of plan) and ``provider_shares``. A scenario's own design applies it per
    commissioner–provider pair (``lines`` limits it to those lines of each pair, and a
    ``plan_value`` needs a design with one pair); a design taken from a contract applies it
    as the contract does, over the contract's lines."""

    CHECK = True


class AllianceSpec(
    derive(  # type: ignore[misc]  # a model derived from the contract's
        Alliance,
        name="AllianceDesign",
        achievements={"outcome_achievement": "alliance"},
        defaults={"outcome_achievement": 1.0},
        excluded={
            "partners": "given as the lists partners, shares and exempt",
            "outcome_gate": "gains always follow the drawn outcome achievement",
            "demand_over_plan": "computed per draw from the partners' activity",
        },
    )
):
    """A multilateral gain/loss share (alliance agreement; case B, 002@273159–275,045).

    Replaces the line payments of the partners' lines: the commissioner pays the envelope,
    partners' costs are netted against it and the pool is shared by ``shares``. The
    envelope, outcome pot and service development take the contract's names; the old names
    ``envelope_gbp``, ``outcome_pot_gbp`` and ``service_development_gbp`` (used by the
    example scenarios) are read too.
    """

    OLD_NAMES: ClassVar[Mapping[str, str]] = {
        "envelope_gbp": "envelope",
        "outcome_pot_gbp": "outcome_pot",
        "service_development_gbp": "service_development",
    }
    CHECK = True

    commissioner: str = Field(
        min_length=1, description="design only: the commissioner that holds the envelope"
    )
    partners: list[str] = Field(
        min_length=1, description="design only: the partners' party codes, in order"
    )
    shares: list[Fraction] = Field(
        description="design only: each partner's share of gains and losses, in the order of "
        "partners (the contract's partner share)"
    )
    exempt: list[str] = Field(
        default_factory=list,
        description="design only: partners exempt from the risk share (the contract's "
        "partner exempt flag)",
    )

    @model_validator(mode="before")
    @classmethod
    def _shares_per_partner(cls, data: Any) -> Any:
        if isinstance(data, dict):
            partners, shares = data.get("partners"), data.get("shares")
            if (
                isinstance(partners, list)
                and isinstance(shares, list)
                and len(shares) != len(partners)
            ):
                raise ValueError(
                    f"shares needs one value per partner ({len(partners)}), got {len(shares)}"
                )
        return data

    def contract_data(
        self, line: PlannedLine | None = None, refs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The contract's ``[alliance]`` data: the derived terms and the partner tables."""
        data: dict[str, Any] = super().contract_data(line, refs)
        data["partners"] = [
            {"code": code, "share": share, "exempt": code in self.exempt}
            for code, share in zip(self.partners, self.shares, strict=True)
        ]
        return data
