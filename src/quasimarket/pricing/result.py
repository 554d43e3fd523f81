"""The result of pricing: per-record money, the line x month statement, totals and explain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.activity.table import ActivityTable, categorical
from quasimarket.financial_year import MONTHS
from quasimarket.pricing.engine import (
    RULE_COLUMNS,
    TARIFF_COMPONENTS,
    TARIFF_MECHANISMS,
    LineArray,
    LineRule,
    Money,
    SettlementResult,
    group_sum,
)
from quasimarket.tariff.table import TariffTable
from quasimarket.vocabulary import POD_CODES, POD_NAMES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract

__all__ = ["ExplainItem", "PricingResult"]


_COMPONENT_TITLES = {
    "base_gbp": "National tariff: base price",
    "excess_bed_days_gbp": "National tariff: long-stay excess bed days",
    "short_stay_gbp": "National tariff: reduced short-stay emergency adjustment",
    "bpt_gbp": "National tariff: best-practice tariff",
    "top_up_gbp": "National tariff: specialised top-up",
    "mff_gbp": "National tariff: market forces factor",
}
_COMPONENT_SOURCES = {
    "base_gbp": "payment-rules.md A1-A3 [K]; 002@72285",
    "excess_bed_days_gbp": "payment-rules.md A1 trim points / per day long stay payment [K]",
    "short_stay_gbp": "payment-rules.md A1 RSSE, age >= 19 [K]",
    "bpt_gbp": "payment-rules.md A1.3 [V: bgs.org.uk; nos.org.uk]",
    "top_up_gbp": "payment-rules.md A1.4 [V: hfma 1 Dec 2015]",
    "mff_gbp": "payment-rules.md A1.2 [V]",
}


class ExplainItem(NamedTuple):
    """One rule's effect on one record."""

    title: str
    amount_gbp: float
    source: str


@dataclass(frozen=True)
class PricingResult:
    """Money by line x month (and, on demand, by record) from :func:`quasimarket.pricing.price`.

    The statement, totals and breakdown come from the line x month x pod cells the engine
    priced. Per-record money (:attr:`records`, :attr:`columns`, :attr:`formal`,
    :meth:`explain`) is built lazily, on first use, by re-running the record-level pass for
    the records asked for and applying each cell's attribution of the line-level rules
    (``docs/pricing.md``); it adds up to the statement.

    Attributes:
        contract: The contract priced.
        activity: The records priced.
        tariff: The tariff used (None if no line needed one).
        money: Money by unit (cell or record) and how to get it per record.
        settlement: The contract's year-end settlement.
        applied: The rules that acted on each line.
        notes: Assumptions made while pricing (e.g. CQUIN achievement assumed).
        subcontracts: £ each lead provider passes to each subcontractor, by subcontract id.
        alliance: £ net position of each alliance partner (gain/loss share), if any.
        non_contract: The providers' activity for commissioners not on the contract, priced
            at the national tariff under generated terms (one line per commissioner and kind
            of activity), if there was any.
    """

    contract: Contract
    activity: ActivityTable
    tariff: TariffTable | None
    money: Money
    settlement: SettlementResult
    applied: tuple[LineRule, ...]
    notes: tuple[str, ...]
    subcontracts: dict[str, Any] = field(default_factory=dict)
    alliance: Any = None
    non_contract: PricingResult | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- columns -------------------------------------------------------------------------
    @property
    def money_columns(self) -> list[str]:
        """The per-record £ columns present, in statement order."""
        order = [*TARIFF_COMPONENTS, "tariff_gbp"] + [c for c, _, _ in RULE_COLUMNS]
        return [c for c in order if c in self.money.cols]

    @property
    def gap_share(self) -> float:
        """Settlement gap as a share of the formal outturn (0 when fully paid)."""
        f = self.settlement.formal
        return self.settlement.gap / f if f else 0.0

    @property
    def residuals(self) -> dict[str, FloatArray]:
        """Per ``(line, month)`` £ that no record carries, by column."""
        return self.money.residuals

    @property
    def formal_residual(self) -> FloatArray:
        """Per ``(line, month)`` formal outturn no record carries, £."""
        return self.money.formal_residual

    def _per_record(self) -> tuple[dict[str, FloatArray], FloatArray, LineArray]:
        if "per_record" not in self._cache:
            self._cache["per_record"] = self.money.records(self.activity, self.tariff)
        out: tuple[dict[str, FloatArray], FloatArray, LineArray] = self._cache["per_record"]
        return out

    @property
    def columns(self) -> dict[str, FloatArray]:
        """Per-record £ arrays by column name (tariff components and rule columns); lazy."""
        return self._per_record()[0]

    @property
    def formal(self) -> FloatArray:
        """Per-record formal outturn, £ (lazy)."""
        return self._per_record()[1]

    @property
    def line_of(self) -> LineArray:
        """Line index of each record (lazy)."""
        return self._per_record()[2]

    # -- records ---------------------------------------------------------------------------
    @property
    def records(self) -> pd.DataFrame:
        """Per-record table: ids, line, parties, month, pod, HRG, each £ column, formal (lazy)."""
        if "records" not in self._cache:
            a = self.activity
            columns, formal, line_of = self._per_record()
            line_ids = [line.id for line in self.contract.lines]
            frame = pd.DataFrame(
                {
                    "record_id": a.record_id,
                    "line_id": categorical(line_of, line_ids),
                    "commissioner": categorical(a.commissioner, a.commissioners),
                    "provider": categorical(a.provider, a.providers),
                    "month": a.month,
                    "pod": categorical(a.pod, POD_NAMES),
                    "hrg": categorical(a.hrg, a.hrgs),
                }
            )
            for name in self.money_columns:
                frame[name] = columns[name]
            frame["formal_gbp"] = formal
            gap = formal * self.gap_share
            frame["settlement_gap_gbp"] = gap
            frame["settled_gbp"] = formal + gap
            self._cache["records"] = frame
        out: pd.DataFrame = self._cache["records"]
        return out

    # -- statement ---------------------------------------------------------------------------
    @property
    def statement(self) -> pd.DataFrame:
        """Line x month statement (April first): activity, each £ column, formal, settled, gap."""
        if "statement" not in self._cache:
            m = self.money
            lines = self.contract.lines
            n_lines = len(lines)
            group = m.line.astype(np.intp) * 12 + m.month0
            size = n_lines * 12

            def by_cell(values: FloatArray) -> FloatArray:
                return group_sum(group, values, size)

            data: dict[str, Any] = {
                "line_id": np.repeat([line.id for line in lines], 12),
                "service": np.repeat([line.service for line in lines], 12),
                "mechanism": np.repeat([line.mechanism for line in lines], 12),
                "month": np.tile(np.arange(1, 13), n_lines),
                "month_name": np.tile(np.array(MONTHS), n_lines),
                "activity": by_cell(m.count),
            }
            for name in self.money_columns:
                cell = by_cell(m.cols[name])
                if name in m.residuals:
                    cell += m.residuals[name].ravel()
                data[name] = cell
            formal = by_cell(m.formal)
            formal += m.formal_residual.ravel()
            data["formal_gbp"] = formal
            data["settlement_gap_gbp"] = formal * self.gap_share
            data["settled_gbp"] = formal + data["settlement_gap_gbp"]
            self._cache["statement"] = pd.DataFrame(data)
        out: pd.DataFrame = self._cache["statement"]
        return out

    # -- totals ------------------------------------------------------------------------------
    def totals(self) -> dict[str, float]:
        """Contract totals (unrounded £): records, each £ column, formal, settled, gap."""
        m = self.money
        out: dict[str, float] = {"records": float(len(self.activity))}
        for name in self.money_columns:
            extra = float(m.residuals[name].sum()) if name in m.residuals else 0.0
            out[name] = float(m.cols[name].sum()) + extra
        s = self.settlement
        out["formal_gbp"] = s.formal
        out["settled_gbp"] = s.settled
        out["settlement_gap_gbp"] = s.gap
        out["non_recurrent_gbp"] = s.non_recurrent
        out["transitional_gbp"] = s.transitional
        return out

    def line_totals(self) -> dict[str, float]:
        """Formal outturn by line (unrounded £), summed pairwise per line for accuracy."""
        m = self.money
        out: dict[str, float] = {}
        residual = m.formal_residual.sum(axis=1)
        for li, line in enumerate(self.contract.lines):
            mask = m.line == li
            out[line.id] = float(m.formal[mask].sum()) + float(residual[li])
        return out

    def breakdown(self) -> list[dict[str, Any]]:
        """Per mechanism/rule: the £ it contributed, its title and rule source."""
        totals = self.totals()
        rows: list[dict[str, Any]] = []
        for name in TARIFF_COMPONENTS:
            if name in totals:
                rows.append(
                    {
                        "rule": f"national_tariff.{name.removesuffix('_gbp')}",
                        "title": _COMPONENT_TITLES[name],
                        "amount_gbp": totals[name],
                        "source": _COMPONENT_SOURCES[name],
                    }
                )
        sources: dict[str, LineRule] = {}
        for applied in self.applied:
            sources.setdefault(applied.column, applied)
        for column, rule, title in RULE_COLUMNS:
            if column in totals:
                item = sources.get(column)
                rows.append(
                    {
                        "rule": rule,
                        "title": item.title if item and column != "payment_form_gbp" else title,
                        "amount_gbp": totals[column],
                        "source": item.source if item else "",
                    }
                )
        rows.append(
            {
                "rule": "settlement",
                "title": f"Year-end settlement ({self.settlement.rule})",
                "amount_gbp": self.settlement.gap,
                "source": "002@250676; 002@251075; 002@255508",
            }
        )
        return rows

    # -- explain --------------------------------------------------------------------------------
    def explain(self, record_id: object) -> list[ExplainItem]:
        """Every rule that touched one record: (title with detail, £ effect, rule source).

        Prices just that record (the record-level pass for one row) and applies its cell's
        attribution of the line-level rules, unless the per-record money is already built.
        """
        i = self.activity.position(record_id)
        a = self.activity
        if "per_record" in self._cache:
            all_cols, all_formal, all_lines = self._cache["per_record"]
            cols = {name: arr[i : i + 1] for name, arr in all_cols.items()}
            formal, line_arr = all_formal[i : i + 1], all_lines[i : i + 1]
        else:
            cols, formal, line_arr = self.money.records(
                self.activity, self.tariff, np.array([i], dtype=np.intp)
            )
        li = int(line_arr[0])
        line = self.contract.lines[li]
        items: list[ExplainItem] = []
        pod = POD_NAMES[int(a.pod[i])]
        hrg = a.hrgs[a.hrg[i]] if a.hrg[i] >= 0 else "-"
        for name in TARIFF_COMPONENTS:
            if name not in cols or line.mechanism not in TARIFF_MECHANISMS:
                continue
            amount = float(cols[name][0])
            if name == "base_gbp" or amount != 0.0:
                items.append(
                    ExplainItem(
                        f"{_COMPONENT_TITLES[name]}{self._detail(name, i, hrg, pod)}",
                        amount,
                        _COMPONENT_SOURCES[name],
                    )
                )
        applied = {(r.line_id, r.column): r for r in self.applied}
        for column, _rule, title in RULE_COLUMNS:
            if column not in cols:
                continue
            amount = float(cols[column][0])
            rule = applied.get((line.id, column))
            if rule is None:
                continue
            label = rule.title if column != "payment_form_gbp" else f"{title}: {rule.title}"
            items.append(ExplainItem(f"{label} (line '{line.id}')", amount, rule.source))
        gap = float(formal[0]) * self.gap_share
        if gap:
            items.append(
                ExplainItem(
                    f"Year-end settlement ({self.settlement.rule}): share of the gap",
                    gap,
                    "002@250676; 002@251075; 002@255508",
                )
            )
        return items

    def _detail(self, name: str, i: int, hrg: str, pod: str) -> str:
        a = self.activity
        t = self.tariff
        if name == "base_gbp":
            return f" (HRG {hrg}, {pod})"
        if name == "excess_bed_days_gbp" and t is not None and a.hrg[i] >= 0:
            key = t.index_of([hrg])[0]
            if key >= 0:
                trim = (
                    t.non_elective_trim[key]
                    if a.pod[i] == POD_CODES["non_elective"]
                    else t.elective_trim[key]
                )
                return (
                    f" ({int(a.los_days[i])} days, trim point {trim:g}, "
                    f"£{t.excess_bed_day[key]:,.2f}/day)"
                )
        if name == "short_stay_gbp":
            return f" (LOS {int(a.los_days[i])} day(s), age {int(a.age[i])})"
        return ""
