"""The stress-test scenario: parties, lines, uncertainty and contract designs (TOML, validated).

A scenario says what is planned (each service line's activity, unit price and provider cost),
how uncertain it is (named sources of uncertainty, each with its own random stream), and which
contract designs to compare on the same draws. See ``docs/stress-testing.md`` for the format.

Validation happens in two layers: pydantic models (types, ranges, unknown keys refused,
``extra="forbid"``) and :func:`check_references` (every line, party and achievement source a
design or the uncertainty names must exist; correlation matrices must be valid). Both raise
:class:`quasimarket.errors.ConfigError` naming the file and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from quasimarket.contracts import Contract
from quasimarket.errors import ConfigError, from_validation_error, summarise_items
from quasimarket.io.config_files import parse_toml, read_config_text
from quasimarket.stress.design_terms import (
    AchievementRef,
    ActivityCap,
    AdjustmentSpec,
    AlignedPaymentIncentive,
    AllianceSpec,
    Blended,
    Block,
    Capitation,
    CapsAndCollars,
    CostAndVolume,
    CostPerCase,
    Cquin,
    Goal,
    LineDesign,
    Mret,
    RiskShareSpec,
)
from quasimarket.stress.distributions import (
    Continuous,
    Interval80,
    Normal,
    Triangular,
    VolumeDistribution,
)
from quasimarket.vocabulary import BED_BASED_CURRENCIES, Currency, Pod

__all__ = [
    "SCENARIO_FORMAT",
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
    "Design",
    "Goal",
    "Line",
    "LineDesign",
    "Mret",
    "Party",
    "RiskShareSpec",
    "Scenario",
    "Uncertainty",
    "check_references",
    "load_scenario",
    "parse_scenario",
]

#: The scenario format version this code reads.
SCENARIO_FORMAT: Literal["quasimarket.scenario/1"] = "quasimarket.scenario/1"
#: Draws of a scenario made from a contract (:meth:`Scenario.from_contract`), unless given.
DEFAULT_DRAWS = 10_000
#: Scenario files larger than this are refused (they are hand-written TOML).
MAX_SCENARIO_BYTES = 5 * 1024**2
#: Contract rules and sections a design taken from a contract may drop knowingly
#: (``ignore_rules``): the adjustment rules of the contract format, and the ``settlement``
#: and ``subcontracts`` sections (a test checks the rule names against the contract format).
IgnorableRule = Literal[
    "activity_cap",
    "mret",
    "readmissions",
    "cquin",
    "sanctions",
    "local_variation",
    "local_modification",
    "settlement",
    "subcontracts",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# -- parties and lines ---------------------------------------------------------------------


class Party(_Model):
    """A commissioner or provider whose financial outcome is reported.

    Attributes:
        code: Organisation code (e.g. ``QS01``, ``SR001``).
        role: ``commissioner`` or ``provider``.
        name: Display name.
        budget_gbp: Commissioners: the budget for the scenario's lines, £ (default: the planned
            value of its lines). Net position = budget − payments; breach = net < 0.
        control_total_gbp: Providers: the surplus (+) or deficit (−) it must achieve, £ (the
            NHS control total, digest §3.1). Breach = net < control total.
        loss_tolerance_gbp: The largest loss (£, ≥ 0) the party says it can bear; the
            results give P(loss > tolerance).
    """

    code: str = Field(min_length=1)
    role: Literal["commissioner", "provider"]
    name: str | None = None
    budget_gbp: float | None = Field(default=None, ge=0)
    control_total_gbp: float = 0.0
    loss_tolerance_gbp: float | None = Field(default=None, ge=0)


class Line(_Model):
    """A service line at aggregate (line × year) level.

    Attributes:
        id: Unique line id.
        service: Description.
        commissioner: Code of the commissioner that pays for the line.
        provider: Code of the provider that delivers it.
        currency: Unit of activity, one of :data:`quasimarket.vocabulary.CURRENCIES`
            (spell, attendance, bed_day, contact, registered_head …).
        pod: Point of delivery, one of :data:`quasimarket.vocabulary.PODS` (e.g.
            ``non_elective``), so that ``uncertainty.volume`` can describe every line of a
            POD at once with the key ``"pod:<name>"``.
        planned_activity: Planned activity for the year, units (> 0).
        unit_price_gbp: Price per unit, £ (national tariff or local price).
        fixed_cost_gbp: Provider's fixed cost of running the line for the year, £.
        variable_cost_gbp: Provider's variable cost per unit of activity, £.
        efficiency_target: Cost improvement target as a fraction of cost (e.g. 0.04).
        seasonality: 12 monthly fractions (April first) summing to 1; default flat. Used for
            the monthly cash-flow table.
        bed_based: Whether length-of-stay shifts change cost (default: spell or bed_day).
    """

    id: str = Field(min_length=1)
    service: str = ""
    commissioner: str
    provider: str
    currency: Currency = "spell"
    pod: Pod | None = None
    planned_activity: float = Field(gt=0)
    unit_price_gbp: float = Field(ge=0)
    fixed_cost_gbp: float = Field(default=0.0, ge=0)
    variable_cost_gbp: float = Field(default=0.0, ge=0)
    efficiency_target: float = Field(default=0.0, ge=0, lt=1)
    seasonality: list[float] | None = None
    bed_based: bool | None = None

    @model_validator(mode="after")
    def _profile(self) -> Line:
        if self.seasonality is not None:
            if len(self.seasonality) != 12 or min(self.seasonality) < 0:
                raise ValueError("seasonality needs 12 non-negative monthly fractions")
            if abs(sum(self.seasonality) - 1.0) > 1e-9:
                raise ValueError(f"seasonality must sum to 1, got {sum(self.seasonality):g}")
        return self

    @property
    def planned_value_gbp(self) -> float:
        """Planned activity × unit price, £."""
        return self.planned_activity * self.unit_price_gbp

    @property
    def is_bed_based(self) -> bool:
        """Whether length-of-stay shifts move this line's cost."""
        if self.bed_based is not None:
            return self.bed_based
        return self.currency in BED_BASED_CURRENCIES


# -- uncertainty ---------------------------------------------------------------------------


class Achievement(_Model):
    """A quality goal or outcome achieved with a probability (each draw: achieved or not)."""

    probability: float = Field(ge=0, le=1)


class Factor(_Model):
    """A shared factor: lines that load on it move together.

    A line's volume score is ``z = √(1 − Σ loading²) · own + Σ loading · factor``, so two lines
    loading ``a`` and ``b`` on one factor have score correlation ``a × b``.
    """

    name: str = Field(min_length=1)
    lines: list[str] = Field(min_length=1)
    loading: float = Field(ge=-1, le=1)


class Correlation(_Model):
    """A Gaussian copula on the volume scores of some lines (matrix: symmetric, unit diagonal,
    positive semi-definite)."""

    lines: list[str] = Field(min_length=2)
    matrix: list[list[float]]


class Uncertainty(_Model):
    """The named sources of uncertainty. Each gets its own random stream.

    Attributes:
        volume: Per line id, or ``"pod:<pod>"`` for every line of a point of delivery, or
            ``"*"`` for every other line (looked up in that order): the distribution of the
            volume FACTOR (actual ÷ planned activity; central 1) for normal, lognormal,
            triangular and interval_80; or a count model (poisson, negative_binomial) whose
            mean is the planned activity.
        demand_growth: Growth rate of all activity (fraction; 0.03 = +3%).
        case_mix: Shift of the average price AND variable cost per unit (fraction).
        length_of_stay: Shift of length of stay (fraction): moves the variable cost of
            bed-based lines (prices are per spell, so payments do not move).
        cost_inflation: Inflation of all provider costs (fraction).
        efficiency_delivery: Fraction of each line's efficiency target delivered (clipped to
            [0, 1]); missing = fully delivered.
        achievement: Named goals/outcomes achieved with a probability.
        factors: Shared factors (correlation between lines' volumes).
        correlation: A Gaussian copula on some lines' volume scores.
    """

    volume: dict[str, VolumeDistribution] = Field(default_factory=dict)
    demand_growth: Continuous | None = None
    case_mix: Continuous | None = None
    length_of_stay: Continuous | None = None
    cost_inflation: Continuous | None = None
    efficiency_delivery: Continuous | None = None
    achievement: dict[str, Achievement] = Field(default_factory=dict)
    factors: list[Factor] = Field(default_factory=list)
    correlation: Correlation | None = None

    @field_validator("volume")
    @classmethod
    def _factors_not_negative(
        cls, value: dict[str, VolumeDistribution]
    ) -> dict[str, VolumeDistribution]:
        """A volume factor is actual ÷ planned activity: a range reaching below 0 is a typo
        (a change, -0.2, written for a factor, 0.8), not activity that can be negative."""
        for key, spec in value.items():
            low = _lowest(spec)
            if low is not None and low < 0:
                raise ValueError(
                    f"volume[{key!r}] reaches a factor of {low:g}: a volume factor is actual ÷ "
                    "planned activity, 0 or more (write 0.8 for 20% below plan, not -0.2)"
                )
        return value


def _lowest(spec: Any) -> float | None:
    """The stated lower end of a volume factor distribution (None for count models)."""
    if isinstance(spec, Triangular):
        return spec.low
    if isinstance(spec, Interval80):
        return spec.interval_80[0]
    if isinstance(spec, Normal):
        return spec.mean
    return None


# -- designs -------------------------------------------------------------------------------


class Design(_Model):
    """One contract design: a mechanism for every line, and optional contract-level terms.

    ``lines`` is keyed by line id; the key ``"*"`` gives the design for every line not
    listed. The terms of a line (:data:`LineDesign`, with its ``adjustments``), the
    ``risk_share`` and the ``alliance`` are the contract's own terms models, derived for a
    scenario (:mod:`quasimarket.stress.design_terms`: terms left out come from the line's
    plan; achievements may name an ``uncertainty.achievement`` source).

    Alternatively ``contract`` gives a contract whose lines become the design (see
    :mod:`quasimarket.stress.from_contract`; ``ignore_rules`` drops record-level rules and
    sections knowingly): the path of a ``quasimarket.contract/1`` file (relative to the
    scenario file), a ``[designs.contract]`` table in the same schema, or (from Python,
    :meth:`Scenario.from_contract`) a :class:`~quasimarket.contracts.Contract`. A path stays
    a path in the validated design; :attr:`source_contract` is the contract it loaded.
    """

    name: str = Field(min_length=1)
    description: str = ""
    lines: dict[str, LineDesign] = Field(default_factory=dict)
    risk_share: RiskShareSpec | None = None
    alliance: AllianceSpec | None = None
    contract: str | Contract | None = None
    ignore_rules: list[IgnorableRule] = Field(default_factory=list)

    _loaded: Contract | None = PrivateAttr(default=None)

    @property
    def source_contract(self) -> Contract | None:
        """The contract this design was taken from (``None``: written in the scenario).

        For a ``contract = "file.toml"`` reference, the contract loaded when the scenario was
        parsed (``None`` again after a round trip through ``model_dump``).
        """
        if isinstance(self.contract, Contract):
            return self.contract
        return self._loaded


class Scenario(_Model):
    """A stress-test scenario.

    Attributes:
        format: Must be ``"quasimarket.scenario/1"``.
        name: Display name.
        description: Free text.
        notes: Caveats the results carry (shown by the CLI and the report), e.g. that
            provider costs were not given (:meth:`from_contract` adds them).
        year: Financial year described (informational).
        draws: Number of Monte Carlo draws (draw 0 is the central case).
        seed: Master seed; with the scenario it fixes every result bit for bit.
        chunk_size: Draws evaluated at a time (memory bound; results do not depend on it).
        keep_draws: How many per-draw outcomes to store in the run (the statistics always use
            every draw).
        memory_limit_gb: Refuse runs whose estimated memory exceeds this.
        parties, lines, uncertainty, designs: See the classes.
    """

    format: Literal["quasimarket.scenario/1"] = SCENARIO_FORMAT
    name: str = Field(min_length=1)
    description: str = ""
    notes: list[str] = Field(default_factory=list)
    year: str | None = None
    draws: int = Field(gt=0)

    @field_validator("year")
    @classmethod
    def _financial_year(cls, value: str | None) -> str | None:
        """A financial year (``2016/17``), so a typo is not carried into the report."""
        if value is None:
            return None
        from quasimarket.financial_year import FinancialYear

        try:
            return str(FinancialYear.parse(value))
        except ConfigError as error:
            raise ValueError(f"{error.problem}; write it as YYYY/YY, e.g. 2016/17") from None

    seed: int = Field(default=0, ge=0)
    chunk_size: int = Field(default=65_536, gt=0)
    keep_draws: int = Field(default=100_000, ge=0)
    memory_limit_gb: float = Field(default=4.0, gt=0)
    parties: list[Party] = Field(min_length=1)
    lines: list[Line] = Field(min_length=1)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    designs: list[Design] = Field(min_length=1)

    @classmethod
    def from_contract(
        cls,
        contract: Contract | str | Path,
        uncertainty: Uncertainty | Mapping[str, Any] | None = None,
        *,
        costs: Mapping[str, Any] | None = None,
        parties: Mapping[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
        ignore_rules: Iterable[str] = (),
        sources: Mapping[str, str | Path] | None = None,
    ) -> Scenario:
        """A scenario that stress-tests one contract: plans, prices and parties from it.

        The parties are the contract's commissioners and providers; each contract line is a
        scenario line (its commissioner, provider, currency, first point of delivery,
        ``planned_activity``, and a unit price from its price term, else
        ``planned_value_gbp ÷ planned_activity``); the one design is the contract itself
        (``Design.contract`` holds it). Only the stress-specific inputs come from the
        arguments. Defaults are never silent: each one used adds a sentence to
        :attr:`notes`, which the CLI and the report show.

        Args:
            contract: A validated contract, or the path of a contract file.
            uncertainty: The ``[uncertainty]`` table (an :class:`Uncertainty` or a dict of
                the same shape). Default: the built-in default volume uncertainty
                (:func:`quasimarket.stress.builtin.default_uncertainty`; noted).
            costs: Provider costs by contract line id: ``{"nel": {"fixed_cost_gbp": …,
                "variable_cost_gbp": …}}`` (also ``efficiency_target``, ``seasonality``,
                ``bed_based``). A line without costs costs £0 (noted: provider margins are
                then not meaningful).
            parties: Budgets and tolerances by party code: ``budget_gbp``,
                ``control_total_gbp``, ``loss_tolerance_gbp``, ``name`` (defaults as
                :class:`Party`: a commissioner's budget is the planned value of its lines).
            name: The scenario's name (default: the contract's).
            description: Default: the contract's description.
            draws: Monte Carlo draws (default 10,000).
            seed: Master seed.
            ignore_rules: Record-level rules and sections to drop knowingly (noted).
            sources: File names for error messages: ``contract``, ``uncertainty``, ``costs``.

        Raises:
            ConfigError: the contract cannot be stress-tested (alliance, an unsupported
                mechanism or rule, a line shared by several commissioners, no planned
                activity, no price), or the uncertainty or costs are invalid or name lines or
                parties the contract does not have.
        """
        from quasimarket.stress.from_contract import scenario_from_contract

        return scenario_from_contract(
            cls,
            contract,
            uncertainty,
            costs=costs,
            parties=parties,
            name=name,
            description=description,
            draws=draws,
            seed=seed,
            ignore_rules=ignore_rules,
            sources=sources,
        )

    def party(self, code: str) -> Party:
        """The party with this code."""
        return next(p for p in self.parties if p.code == code)

    def volume_spec(self, line: Line) -> Any:
        """The volume distribution of *line*: by line id, else ``pod:<pod>``, else ``"*"``."""
        volume = self.uncertainty.volume
        if line.id in volume:
            return volume[line.id]
        if line.pod is not None and f"pod:{line.pod}" in volume:
            return volume[f"pod:{line.pod}"]
        return volume.get("*")

    def line_design(self, design: Design, line_id: str) -> Any:
        """The design of one line (its own entry, else the ``"*"`` entry)."""
        return design.lines.get(line_id, design.lines.get("*"))


# -- checks --------------------------------------------------------------------------------


def _unknown(
    kind: str,
    value: str,
    known: list[str],
    *,
    file: str | None,
    location: str,
    among: str = "",
    advice: str = "",
) -> ConfigError:
    """An unknown reference, with the closest known one (*among*: where it was looked for)."""
    import difflib

    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return ConfigError(
        f"refers to unknown {kind} '{value}'" + (f" ({among})" if among else ""),
        file=file,
        location=location,
        expected=f"one of {summarise_items(known, first=8)}",
        fix=hint + (advice or f"add the {kind} to the scenario or correct the code"),
    )


def check_references(scenario: Scenario, *, file: str | None = None) -> None:
    """Check every cross-reference and matrix in *scenario*; raise one ConfigError if bad.

    Checks: unique party codes and line ids; line commissioner/provider roles; uncertainty
    and design line ids; achievement names; factor loadings (Σ loading² ≤ 1 per line);
    correlation matrix shape, symmetry, unit diagonal and positive semi-definiteness;
    count distributions not correlated; alliance parties and exemptions; unique design names.
    """
    codes = [p.code for p in scenario.parties]
    roles = {p.code: p.role for p in scenario.parties}
    line_ids = [line.id for line in scenario.lines]
    for what, values in (("party code", codes), ("line id", line_ids)):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ConfigError(
                f"duplicate {what} {summarise_items(dupes)}",
                file=file,
                location="parties" if what == "party code" else "lines",
                expected=f"each {what} once",
                fix=f"rename or remove the duplicate {what}",
            )
    for i, line in enumerate(scenario.lines):
        for field, role in (("commissioner", "commissioner"), ("provider", "provider")):
            code = getattr(line, field)
            if code not in roles:
                raise _unknown("party", code, codes, file=file, location=f"lines[{i}].{field}")
            if roles[code] != role:
                raise ConfigError(
                    f"party '{code}' is a {roles[code]}, not a {role}",
                    file=file,
                    location=f"lines[{i}].{field}",
                    expected=f'the code of a party with role = "{role}"',
                    fix=f"use a {role}'s code or change the party's role",
                )
    unc = scenario.uncertainty
    achievements = list(unc.achievement)
    pods = sorted({f"pod:{line.pod}" for line in scenario.lines if line.pod is not None})
    for key in unc.volume:
        if key != "*" and key not in line_ids and key not in pods:
            raise _unknown(
                "line or point of delivery",
                key,
                line_ids + pods,
                file=file,
                location=f"uncertainty.volume.{key}",
            )
    counts = {
        lid
        for lid in line_ids
        if (vol := scenario.volume_spec(scenario.lines[line_ids.index(lid)])) is not None
        and vol.distribution in ("poisson", "negative_binomial")
    }
    loading2 = dict.fromkeys(line_ids, 0.0)
    factor_names = [f.name for f in unc.factors]
    if len(set(factor_names)) != len(factor_names):
        raise ConfigError(
            "duplicate factor name",
            file=file,
            location="uncertainty.factors",
            expected="unique names",
            fix="rename the factors",
        )
    correlated: list[tuple[str, str]] = []
    for i, factor in enumerate(unc.factors):
        for lid in factor.lines:
            where = f"uncertainty.factors[{i}].lines"
            if lid not in line_ids:
                raise _unknown("line", lid, line_ids, file=file, location=where)
            loading2[lid] += factor.loading**2
            correlated.append((lid, where))
    for lid, total in loading2.items():
        if total > 1.0 + 1e-12:
            raise ConfigError(
                f"line '{lid}' has total squared factor loading {total:g} > 1",
                file=file,
                location="uncertainty.factors",
                expected="Σ loading² ≤ 1 for each line",
                fix="reduce the loadings of this line's factors",
            )
    if unc.correlation is not None:
        corr = unc.correlation
        where = "uncertainty.correlation"
        for lid in corr.lines:
            if lid not in line_ids:
                raise _unknown("line", lid, line_ids, file=file, location=f"{where}.lines")
            correlated.append((lid, f"{where}.lines"))
        if len(set(corr.lines)) != len(corr.lines):
            raise ConfigError(
                "a line is listed twice in the correlation",
                file=file,
                location=f"{where}.lines",
                expected="distinct lines",
                fix="list each line once",
            )
        if loading2 and any(loading2[lid] > 0 for lid in corr.lines):
            raise ConfigError(
                "a line is in both a shared factor and the correlation matrix",
                file=file,
                location=where,
                expected="each line correlated one way",
                fix="use either factors or the correlation matrix for a line",
            )
        check_correlation_matrix(corr.matrix, len(corr.lines), file=file, location=where)
    for lid, where in correlated:
        if lid in counts:
            raise ConfigError(
                f"line '{lid}' has a count distribution (poisson/negative_binomial), which "
                "cannot be correlated",
                file=file,
                location=where,
                expected="a normal, lognormal, triangular or interval_80 volume",
                fix="describe the line's volume with interval_80 or a continuous distribution",
            )
        if scenario.volume_spec(scenario.lines[line_ids.index(lid)]) is None:
            raise ConfigError(
                f"line '{lid}' is correlated but its volume has no distribution",
                file=file,
                location=where,
                expected=f"an uncertainty.volume entry for '{lid}' (or a \"*\" entry)",
                fix=f"add [uncertainty.volume.{lid}] with interval_80 or a distribution",
            )
    names = [d.name for d in scenario.designs]
    if len(set(names)) != len(names):
        raise ConfigError(
            "duplicate design name",
            file=file,
            location="designs",
            expected="unique names",
            fix="rename the designs",
        )
    for d, design in enumerate(scenario.designs):
        base = f"designs[{d}]"
        for key, spec in design.lines.items():
            if key != "*" and key not in line_ids:
                raise _unknown("line", key, line_ids, file=file, location=f"{base}.lines.{key}")
            for field, ref in spec.achievement_refs():
                _check_achievement(ref, achievements, file, f"{base}.lines.{key}.{field}")
        missing = [lid for lid in line_ids if lid not in design.lines and "*" not in design.lines]
        if missing and design.alliance is None:
            raise ConfigError(
                f"design '{design.name}' has no mechanism for line(s) {summarise_items(missing)}",
                file=file,
                location=f"{base}.lines",
                expected="an entry per line id, or a '*' entry for the rest",
                fix='add [designs.lines."*"] or an entry for each line',
            )
        if design.alliance is not None:
            alliance = design.alliance
            where = f"{base}.alliance"
            if alliance.commissioner not in roles:
                raise _unknown(
                    "party",
                    alliance.commissioner,
                    codes,
                    file=file,
                    location=f"{where}.commissioner",
                )
            for code in [*alliance.partners, *alliance.exempt]:
                if code not in roles:
                    raise _unknown("party", code, codes, file=file, location=f"{where}.partners")
            for code in alliance.exempt:
                if code not in alliance.partners:
                    raise ConfigError(
                        f"exempt party '{code}' is not an alliance partner",
                        file=file,
                        location=f"{where}.exempt",
                        expected="codes listed in partners",
                        fix="add it to partners or remove it from exempt",
                    )
            for field, ref in alliance.achievement_refs():
                _check_achievement(ref, achievements, file, f"{where}.{field}")
            listed = [
                line.id
                for line in scenario.lines
                if line.provider in alliance.partners and line.id in design.lines
            ]
            # a design taken from an alliance agreement keeps the partners' lines' forms: they
            # set each line's outturn, by which the gain/loss share is split, as in pricing
            if listed and design.contract is None:
                raise ConfigError(
                    f"line(s) {summarise_items(listed)} are delivered by alliance partners, so "
                    "the alliance envelope pays for them; they cannot also have a mechanism",
                    file=file,
                    location=f"{base}.lines",
                    expected="mechanisms only for lines outside the alliance",
                    fix="remove these lines from the design's lines table",
                )
            outside = [
                line.id
                for line in scenario.lines
                if line.provider not in alliance.partners
                and line.id not in design.lines
                and "*" not in design.lines
            ]
            if outside:
                raise ConfigError(
                    f"line(s) {summarise_items(outside)} are not delivered by an alliance "
                    "partner and have no mechanism",
                    file=file,
                    location=f"{base}.lines",
                    expected="a mechanism for every line outside the alliance",
                    fix="add the provider to the alliance partners or give the line a mechanism",
                )


def _check_achievement(
    ref: AchievementRef, known: list[str], file: str | None, location: str
) -> None:
    if isinstance(ref, str):
        if ref not in known:
            raise _unknown("achievement source", ref, known, file=file, location=location)
    elif not 0.0 <= ref <= 1.0:
        raise ConfigError(
            f"achievement {ref:g} is outside [0, 1]",
            file=file,
            location=location,
            expected="a fraction from 0 to 1, or the name of an uncertainty.achievement source",
            fix="write the achievement as a fraction",
        )


def check_correlation_matrix(
    matrix: list[list[float]], size: int, *, file: str | None, location: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Check a correlation matrix (square, symmetric, unit diagonal, in [−1, 1], PSD)."""
    arr = np.asarray(matrix, dtype=np.float64)
    if arr.shape != (size, size):
        raise ConfigError(
            f"correlation matrix has shape {arr.shape}, but {size} lines are listed",
            file=file,
            location=f"{location}.matrix",
            expected=f"a {size} × {size} matrix",
            fix="give one row and one column per listed line",
        )
    problems = []
    if not np.allclose(arr, arr.T, atol=1e-12):
        problems.append("it is not symmetric")
    if not np.allclose(np.diag(arr), 1.0):
        problems.append("its diagonal is not all 1")
    if np.any(np.abs(arr) > 1.0):
        problems.append("an entry is outside [−1, 1]")
    if not problems:
        smallest = float(np.linalg.eigvalsh(arr).min())
        if smallest < -1e-10:
            problems.append(
                f"it is not positive semi-definite (smallest eigenvalue {smallest:.4g}): these "
                "correlations cannot all hold at once"
            )
    if problems:
        raise ConfigError(
            "invalid correlation matrix: " + "; ".join(problems),
            file=file,
            location=f"{location}.matrix",
            expected="a symmetric matrix with 1 on the diagonal and no negative eigenvalues",
            fix="lower the off-diagonal correlations (or use shared factors, which are always "
            "valid)",
        )
    return arr


# -- loading -------------------------------------------------------------------------------


def parse_scenario(
    data: str | dict[str, Any], *, source: str = "<string>", base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario from TOML text or an already-parsed dict.

    Raises:
        ConfigError: TOML syntax (with line and column), an unsupported ``format``, any
            invalid field, or a bad cross-reference.
    """
    if isinstance(data, str):
        raw = parse_toml(
            data, source=source, fix="correct the syntax at that line (quotes, brackets, = signs)"
        )
    else:
        raw = dict(data)
    fmt = raw.get("format", SCENARIO_FORMAT)
    if fmt != SCENARIO_FORMAT:
        raise ConfigError(
            f"unsupported scenario format {fmt!r}",
            file=source,
            location="format",
            expected=f"'{SCENARIO_FORMAT}'",
            fix=f'set format = "{SCENARIO_FORMAT}"',
        )
    raw, contracts, notes = _resolve_contracts(raw, base_dir=base_dir, source=source)
    if notes:
        given = raw.get("notes")
        earlier = list(given) if isinstance(given, list) else []
        raw = {**raw, "notes": list(dict.fromkeys([*earlier, *notes]))}
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as error:
        raise from_validation_error(error, file=source, what="scenario", model=Scenario) from None
    for k, contract in contracts.items():
        scenario.designs[k]._loaded = contract
    check_references(scenario, file=source)
    from quasimarket.stress.design_contracts import assumption_notes

    scenario.notes.extend(n for n in assumption_notes(scenario) if n not in scenario.notes)
    return scenario


def _resolve_contracts(
    raw: dict[str, Any], *, base_dir: Path | None, source: str
) -> tuple[dict[str, Any], dict[int, Contract], list[str]]:
    """Fill in the designs that refer to a contract; the contracts by design index; notes."""
    designs = raw.get("designs")
    if not isinstance(designs, list) or not any(
        isinstance(d, dict) and d.get("contract") is not None for d in designs
    ):
        return raw, {}, []
    from quasimarket.stress.from_contract import design_from_contract

    uncertainty = raw.get("uncertainty") if isinstance(raw.get("uncertainty"), dict) else {}
    achievements = set((uncertainty or {}).get("achievement", {}) or {})
    line_ids = [str(line.get("id")) for line in raw.get("lines", []) if isinstance(line, dict)]
    resolved = []
    contracts: dict[int, Contract] = {}
    notes: list[str] = []
    for k, d in enumerate(designs):
        if not (isinstance(d, dict) and d.get("contract") is not None):
            resolved.append(d)
            continue
        try:
            design, contracts[k] = design_from_contract(
                d,
                base_dir=base_dir,
                achievements=achievements,
                line_ids=line_ids,
                location=f"designs[{k}]",
                notes=notes,
            )
            resolved.append(design)
        except ConfigError as error:
            if error.file is not None:
                raise
            raise ConfigError(
                error.problem,
                file=source,
                location=error.location,
                expected=error.expected,
                fix=error.fix,
            ) from None
    return {**raw, "designs": resolved}, contracts, notes


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Raises:
        ConfigError: missing, too large or non-text file, or any problem of
            :func:`parse_scenario`.
    """
    file = Path(path)
    text = read_config_text(
        file,
        what="scenario",
        max_bytes=MAX_SCENARIO_BYTES,
        fix_missing="check the path, or run a built-in example with --example "
        "(list them with `quasimarket stress examples`)",
        fix_not_text="check you gave the scenario .toml file, not a data file",
    )
    return parse_scenario(text, source=str(file), base_dir=file.parent)
