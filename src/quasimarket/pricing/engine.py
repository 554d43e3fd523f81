"""The pricing engine: activity + contract + tariff -> an itemised, explained statement.

Rules apply in this fixed order (``docs/pricing.md``), each to the value left by the previous:

1. unit price (national tariff components, or a local price) per record;
2. local variation / local modification (record level, by date);
3. activity cap (line level);
4. marginal rate emergency rule, on the line's non-elective value;
5. emergency readmissions, on the line's linked, non-excluded readmissions;
6. payment form (block, cost and volume, caps and collars, blended, API, capitation);
7. sanctions;
8. CQUIN on the resulting outturn;
9. contract-level risk share  -> the formal outturn;
10. year-end settlement -> the settled amount and the gap.

Line-level rules act on line aggregates (:func:`group_sum` by line) through the mechanism
functions, vectorised across lines, and are attributed back to the records they act on pro
rata to each record's value at that step (by count where the value is zero); an amount with
no record to carry it (e.g. a block month with no activity) stays in the statement only.
Money is float64 pounds throughout; rounding happens only when reporting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.activity import schema
from quasimarket.activity.table import ActivityTable
from quasimarket.errors import ConfigError, InputError, summarise_items
from quasimarket.mechanisms import (
    activity_cap,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_and_volume,
    cquin,
    local_price,
    local_variation,
    mret,
    readmissions,
    risk_share,
    sanctions,
    settlement,
)
from quasimarket.mechanisms.national_tariff import POD_CODES
from quasimarket.pricing.cells import (
    N_POD,
    SUM_COUNT,
    CellPass,
    LineSetup,
    cell_parts,
    record_cells,
)
from quasimarket.pricing.tariff_prices import lookup_tariff
from quasimarket.tariff.table import TariffTable

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, ServiceLine
    from quasimarket.pricing.result import PricingResult

__all__ = [
    "TARIFF_COMPONENTS",
    "TARIFF_MECHANISMS",
    "LineRule",
    "PricingResult",
    "group_sum",
    "price",
    "readmission_in_scope",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
#: Line index per record (int8/int16/int32, the smallest that fits the contract's lines).
LineArray = npt.NDArray[np.signedinteger[Any]]

#: Per-record national tariff component columns, in order.
TARIFF_COMPONENTS = (
    "base_gbp",
    "excess_bed_days_gbp",
    "short_stay_gbp",
    "bpt_gbp",
    "top_up_gbp",
    "mff_gbp",
)
#: Mechanisms whose records are valued at the national tariff.
TARIFF_MECHANISMS = frozenset({"national_tariff", "blended", "aligned_payment_incentive"})
#: Mechanisms whose records are valued at a local unit price.
LOCAL_PRICE_MECHANISMS = frozenset(
    {"local_price", "cost_per_case", "cost_and_volume", "caps_and_collars"}
)
#: Elective points of delivery in the API variable element: elective ordinary, day case,
#: outpatient procedures and first attendances (payment-rules.md A8 2023/24 ERF scope [V]).
API_ELECTIVE_PODS = (
    POD_CODES["day_case"],
    POD_CODES["elective"],
    POD_CODES["op_procedure"],
    POD_CODES["op_first"],
)
#: Column, registry name and statement title of each line-level rule, in application order.
RULE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("local_price_gbp", "local_price", "Local price"),
    ("local_variation_gbp", "local_variation", "Local variation / modification"),
    ("activity_cap_gbp", "activity_cap", "Activity cap"),
    ("mret_gbp", "mret", "Marginal rate emergency rule"),
    ("readmissions_gbp", "readmissions", "Emergency readmissions within 30 days"),
    ("payment_form_gbp", "payment_form", "Payment form"),
    ("sanctions_gbp", "sanctions", "Sanctions"),
    ("cquin_gbp", "cquin", "CQUIN"),
    ("risk_share_gbp", "risk_share", "Risk share"),
)


#: Records per block in :func:`group_sum`.
SUM_BLOCK = 16_384


def group_sum(
    group: npt.NDArray[np.signedinteger[Any]], weights: FloatArray, size: int
) -> FloatArray:
    """Sums of *weights* by *group* (``np.bincount``), accurate to well under a penny.

    ``np.bincount`` adds sequentially, so over 10 million records worth £20bn its rounding
    error can reach pennies. Summing blocks of :data:`SUM_BLOCK` records and then adding the
    block sums keeps the error near that of pairwise summation, at the same cost (a loop
    over blocks, not records).
    """
    n = group.shape[0]
    if n <= SUM_BLOCK:
        return np.asarray(np.bincount(group, weights=weights, minlength=size), dtype=np.float64)
    blocks = np.empty(((n + SUM_BLOCK - 1) // SUM_BLOCK, size))
    for b, start in enumerate(range(0, n, SUM_BLOCK)):
        stop = start + SUM_BLOCK
        blocks[b] = np.bincount(group[start:stop], weights=weights[start:stop], minlength=size)
    return np.asarray(blocks.sum(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class LineRule:
    """One rule that acted on one line (for the statement notes and ``explain``)."""

    line_id: str
    column: str
    rule: str
    title: str
    source: str
    note: str = ""


@dataclass
class _Work:
    """Mutable state of one pricing run, over **units**: cells (the default) or records.

    A unit is either one record (``per_record``) or one cell of records sharing line, month,
    pod and readmission flag (:mod:`quasimarket.pricing.cells`). ``count`` is the records in
    each unit and ``value`` their summed running value, so every line-level rule reads the
    same line sums either way. In cell mode the run also tracks, per cell, how each record's
    money follows from its unit price ``v0`` (tariff price + local price): every rule adds
    ``value * mult + k`` per record, so a record's amount in column ``c`` is
    ``alpha[c] * v0 + beta[c]`` and its running value ``a * v0 + b``. That is what lets the
    per-record table be rebuilt lazily, exactly as if priced record by record.
    """

    n: int
    n_lines: int
    line_of: npt.NDArray[np.signedinteger[Any]]
    month0: IntArray
    pod: npt.NDArray[np.integer[Any]]
    readm: npt.NDArray[np.bool_]
    count: FloatArray
    value: FloatArray
    track: bool
    cols: dict[str, FloatArray] = field(default_factory=dict)
    resid: dict[str, FloatArray] = field(default_factory=dict)
    applied: list[LineRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    alpha: dict[str, FloatArray] = field(default_factory=dict)
    beta: dict[str, FloatArray] = field(default_factory=dict)
    a: FloatArray | None = None
    b: FloatArray | None = None

    def col(self, name: str) -> FloatArray:
        if name not in self.cols:
            self.cols[name] = np.zeros(self.n)
        return self.cols[name]

    def res(self, name: str) -> FloatArray:
        if name not in self.resid:
            self.resid[name] = np.zeros((self.n_lines, 12))
        return self.resid[name]

    def counts(self) -> FloatArray:
        """Records per line."""
        return self.line_sum(self.count)

    def line_sum(self, weights: FloatArray) -> FloatArray:
        return group_sum(self.line_of, weights, self.n_lines)

    def add(self, name: str, rec: FloatArray) -> None:
        """Add per-record amounts to column *name* (record mode only) and the running value."""
        assert not self.track, "record-dependent amounts need per-record units"
        if name in self.cols:
            self.cols[name] += rec
        else:
            self.cols[name] = rec
        self.value += rec

    def apply(
        self,
        name: str,
        mult: FloatArray,
        k: FloatArray | None = None,
        rows: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        """Add ``value * mult + k`` per record (of units *rows*) to column *name* and the value.

        *mult* and *k* are per unit (restricted to *rows* when given); *k* is £ per record.
        """
        value = self.value if rows is None else self.value[rows]
        rec = value * mult
        if k is not None:
            rec += (1.0 if not self.track else self.count if rows is None else self.count[rows]) * k
        if self.track:
            assert self.a is not None
            assert self.b is not None
            a = self.a if rows is None else self.a[rows]
            b = self.b if rows is None else self.b[rows]
            da = a * mult
            db = b * mult
            if k is not None:
                db += k
            for store, delta in ((self.alpha, da), (self.beta, db)):
                if name not in store:
                    store[name] = np.zeros(self.n)
                if rows is None:
                    store[name] += delta
                else:
                    store[name][rows] += delta
            if rows is None:
                self.a += da
                self.b += db
            else:
                self.a[rows] += da
                self.b[rows] += db
        if rows is None:
            self.col(name)[:] += rec
            self.value += rec
        else:
            self.col(name)[rows] += rec
            self.value[rows] += rec

    def spread(
        self,
        name: str,
        amount: FloatArray,
        *,
        scope: npt.NDArray[np.bool_] | None = None,
        total: FloatArray | None = None,
    ) -> None:
        """Attribute per-line *amount* to records pro rata to value, into column *name*.

        Records share by their value at this step (only records in *scope*, when given);
        *total* is the line sums of that value if already known. Lines whose value is zero
        share by count (of *scope*, else all records); lines with no such records keep the
        amount as a statement residual spread evenly over the 12 months. The amounts are
        added to the running value.
        """
        if total is None:
            total = self.line_sum(self.value if scope is None else self.value * scope)
        by_value = total != 0
        factor = np.divide(amount, total, out=np.zeros_like(amount), where=by_value)
        mult = factor[self.line_of]
        if scope is not None:
            mult *= scope
        k: FloatArray | None = None
        rest = ~by_value & (amount != 0)
        if rest.any():  # rare: lines with no value to share by
            one = self.count if scope is None else self.count * scope
            count = self.line_sum(one)
            by_count = rest & (count > 0)
            per = np.divide(amount, count, out=np.zeros_like(amount), where=by_count)
            k = per[self.line_of]
            if scope is not None:
                k *= scope
            orphan = rest & (count == 0)
            if orphan.any():
                self.res(name)[orphan] += (amount[orphan] / 12.0)[:, None]
        self.apply(name, mult, k)


def price(
    contract: Contract,
    activity: ActivityTable | pd.DataFrame,
    tariff: TariffTable | None = None,
    *,
    affordable: float | None = None,
    achievement: float | Mapping[str, float] | None = None,
    avoidable_share: float | None = None,
    performance: Mapping[str, Mapping[str, float]] | None = None,
    per_record: bool = False,
) -> PricingResult:
    """Price *activity* under *contract* at *tariff*: per-record and per-line-month money.

    Args:
        contract: A validated contract (:func:`quasimarket.contracts.load_contract`).
        activity: Compiled activity (:func:`quasimarket.activity.load_activity`) or a
            DataFrame in the activity schema.
        tariff: National prices (required when a line uses a tariff-based mechanism).
        affordable: What the commissioner can afford, £ (overrides the contract's settlement).
        achievement: CQUIN achievement (0-1) for every goal, or by goal name; goals without
            one in the contract or here are assumed fully achieved (noted in the result).
        avoidable_share: Readmissions avoidable share where the contract leaves it out.
        performance: Sanction inputs by standard name: ``{"ae_4_hour": {"numerator": ...,
            "denominator": ...}}`` (threshold) or ``{"count": ...}`` (per breach).
        per_record: Price record by record, keeping every per-record array (the default
            prices cells of records and builds per-record money only when asked for; the
            money is the same). Contracts with a local variation always price per record.

    Returns:
        :class:`PricingResult`.

    Raises:
        InputError: Activity for a year, provider or commissioner the contract does not
            cover, records no line covers, or HRG codes the tariff lacks.
        ConfigError: A tariff-based line but no tariff, or lines covering the same records.
    """
    from quasimarket.pricing.result import PricingResult

    table = (
        activity
        if isinstance(activity, ActivityTable)
        else ActivityTable.from_frame(activity, file="activity table")
    )
    _check_year(contract, table)
    lines = contract.lines
    setup = _line_setup(contract, table, tariff)
    # record-dependent rules (local variation by date) need per-record units
    per_record = per_record or any(
        a.rule in ("local_variation", "local_modification")
        for line in lines
        for a in line.adjustments
    )
    cells = record_cells(table, tariff, setup, want_records=per_record)
    if cells.uncovered:  # the general path names the records and lines in its error
        _assign_lines(contract, table)
        raise AssertionError("line look-up and line assignment disagree")  # pragma: no cover
    if setup.tariff_line.any() and tariff is None:
        first = lines[int(np.flatnonzero(setup.tariff_line)[0])]
        raise ConfigError(
            f"line '{first.id}' uses '{first.mechanism}', which needs national prices, but "
            "no tariff was given",
            location=f"lines.{first.id}.mechanism",
            fix="give a tariff (--tariff FILE, or --economy for the synthetic catalogue)",
        )
    if cells.unknown:  # the numpy look-up names the unknown codes in its error
        assert tariff is not None
        lookup_tariff(table, tariff, setup.tariff_line[_assign_lines(contract, table)])
    work = _units(setup, table, cells, per_record)
    _unit_prices(contract, setup, cells, work)
    _local_variations(contract, table, work)
    _activity_cap(contract, work)
    _mret(contract, work)
    _readmissions(contract, work, avoidable_share)
    _payment_forms(contract, work)
    _sanctions(contract, work, performance or {})
    _cquin(contract, work, achievement)
    _risk_share(contract, work)
    formal = work.value  # settlement does not change the running value
    formal_resid = sum(work.resid.values(), np.zeros((work.n_lines, 12)))
    settle = _settlement(contract, work, affordable)
    money = Money(
        per_record=not work.track,
        line=work.line_of,
        month0=work.month0,
        count=work.count,
        cols=work.cols,
        formal=formal,
        residuals=work.resid,
        formal_residual=formal_resid,
        alpha=work.alpha,
        beta=work.beta,
        a=work.a,
        b=work.b,
        setup=setup,
    )
    return PricingResult(
        contract=contract,
        activity=table,
        tariff=tariff,
        money=money,
        settlement=settle,
        applied=tuple(work.applied),
        notes=tuple(work.notes),
    )


@dataclass(frozen=True)
class Money:
    """Money by unit (cell, or record when ``per_record``), and how to get it per record.

    Attributes:
        per_record: Units are records (else cells, :mod:`quasimarket.pricing.cells`).
        line: Line index of each unit.
        month0: Month index of each unit (0 = April).
        count: Records in each unit.
        cols: £ per unit by column.
        formal: Formal outturn per unit, £.
        residuals: Per ``(line, month)`` £ that no record carries, by column.
        formal_residual: Per ``(line, month)`` formal outturn no record carries, £.
        alpha: Cell mode: per cell, a record's amount in each rule column per £ of unit price.
        beta: Cell mode: per cell, a record's fixed amount in each rule column, £.
        a: Cell mode: per cell, a record's formal outturn per £ of unit price.
        b: Cell mode: per cell, a record's fixed formal outturn, £.
        setup: Per-line parameters of the record-level pass (to re-run it for records).
    """

    per_record: bool
    line: npt.NDArray[np.signedinteger[Any]]
    month0: IntArray
    count: FloatArray
    cols: dict[str, FloatArray]
    formal: FloatArray
    residuals: dict[str, FloatArray]
    formal_residual: FloatArray
    alpha: dict[str, FloatArray]
    beta: dict[str, FloatArray]
    a: FloatArray | None
    b: FloatArray | None
    setup: LineSetup

    def records(
        self, table: ActivityTable, tariff: TariffTable | None, rows: IntArray | None = None
    ) -> tuple[dict[str, FloatArray], FloatArray, LineArray]:
        """Per-record £ columns, formal outturn and line of all records (or *rows*).

        In cell mode this re-runs the record-level pass for those records and applies each
        cell's attribution (``alpha * v0 + beta``): the same money as pricing record by record.
        """
        dtype = _line_dtype(self.setup.n_lines)
        if self.per_record:
            pick: slice | IntArray = slice(None) if rows is None else rows
            cols = {name: arr[pick] for name, arr in self.cols.items()}
            return cols, self.formal[pick], self.line[pick].astype(dtype)
        assert self.a is not None
        assert self.b is not None
        cells = record_cells(table, tariff, self.setup, rows=rows, want_records=True)
        assert cells.parts is not None
        assert cells.cell is not None
        cell = cells.cell
        line = cell // (24 * N_POD)
        local = self.setup.local_unit[line]
        out: dict[str, FloatArray] = {}
        v0 = local
        if "tariff_gbp" in self.cols:
            for k, name in enumerate((*TARIFF_COMPONENTS, "tariff_gbp")):
                out[name] = cells.parts[k]
            v0 = cells.parts[6] + local
        if "local_price_gbp" in self.cols:
            out["local_price_gbp"] = local
        for name in self.cols:
            if name in self.alpha:
                rec = self.alpha[name][cell] * v0
                rec += self.beta[name][cell]
                out[name] = rec
            elif name not in out:  # a rule column no record carries (e.g. no data to apply)
                out[name] = np.zeros(cell.shape[0])
        formal = self.a[cell] * v0
        formal += self.b[cell]
        return out, formal, line.astype(dtype)


def _units(setup: LineSetup, table: ActivityTable, cells: CellPass, per_record: bool) -> _Work:
    """The units of the run: one per cell, or one per record (with its cell's flags)."""
    if per_record:
        assert cells.cell is not None
        cell = cells.cell
        line = (cell // (24 * N_POD)).astype(_line_dtype(setup.n_lines))
        n = len(table)
        return _Work(
            n=n,
            n_lines=setup.n_lines,
            line_of=line,
            month0=table.month.astype(np.intp) - 1,
            pod=table.pod,
            readm=(cell % 2).astype(bool),
            count=np.ones(n),
            value=np.zeros(n),
            track=False,
        )
    line_c, month_c, pod_c, readm_c = cell_parts(setup.n_cells)
    n = setup.n_cells
    return _Work(
        n=n,
        n_lines=setup.n_lines,
        line_of=line_c,
        month0=month_c,
        pod=pod_c,
        readm=readm_c,
        count=cells.sums[:, SUM_COUNT].copy(),
        value=np.zeros(n),
        track=True,
        a=np.ones(n),
        b=np.zeros(n),
    )


# -- checks and line assignment ------------------------------------------------------------
def _check_year(contract: Contract, table: ActivityTable) -> None:
    fy = table.fy_start
    if fy.size == 0 or fy.min() == fy.max() == contract.year.start:
        return  # every record in the contract year (two reductions, no temporaries)
    known = table.fy_start >= 0
    other = known & (table.fy_start != contract.year.start)
    if other.any():
        years = sorted({str(y) for y in table.years if y != str(contract.year)})
        raise InputError(
            f"{int(other.sum()):,} records are for {summarise_items(years)}, but the contract "
            f"covers {contract.year}",
            file=table.source,
            location="column 'year' / discharge dates, rows "
            + summarise_items(np.flatnonzero(other) + 2),
            expected=f"activity discharged in {contract.year} (1 April to 31 March)",
            fix=f"filter the activity to {contract.year}, or price it under that year's contract",
        )


def _line_commissioners(contract: Contract, line: ServiceLine) -> list[str]:
    if line.commissioner is not None:
        return [line.commissioner]
    return [party.code for party in contract.commissioners]


def _line_lut(contract: Contract, table: ActivityTable) -> npt.NDArray[np.int16]:
    """Flat (provider, commissioner, pod) -> line index table (-1 none, -2 ambiguous).

    Raises:
        InputError: Activity for providers or commissioners the contract does not cover.
    """
    providers = {p.code for p in contract.providers}
    commissioners = {c.code for c in contract.commissioners}
    for what, codes, index, allowed in (
        ("providers", table.providers, table.provider, providers),
        ("commissioners", table.commissioners, table.commissioner, commissioners),
    ):
        bad_codes = [i for i, code in enumerate(codes) if code not in allowed]
        if bad_codes:
            rows = np.isin(index, bad_codes)
            if rows.any():
                names = [codes[i] for i in bad_codes if (index == i).any()]
                raise InputError(
                    f"activity for {what} the contract does not cover: "
                    f"{summarise_items(names)} ({int(rows.sum()):,} records)",
                    file=table.source,
                    location=f"column {what[:-1]!r}, rows "
                    + summarise_items(np.flatnonzero(rows) + 2),
                    expected=f"{what} of contract '{contract.name}': "
                    + summarise_items(sorted(allowed)),
                    fix=f"filter the activity to the contract's {what}, or add them to the "
                    "contract",
                )
    n_pod = len(POD_CODES)
    lut = np.full((len(table.providers), len(table.commissioners), n_pod), -1, dtype=np.int16)
    prov_index = {code: i for i, code in enumerate(table.providers)}
    comm_index = {code: i for i, code in enumerate(table.commissioners)}
    for li, line in enumerate(contract.lines):
        provider = contract.provider_of(line).code
        p = prov_index.get(provider)
        if p is None:
            continue
        for comm in _line_commissioners(contract, line):
            c = comm_index.get(comm)
            if c is None:
                continue
            for pod_name in line.pods:
                pod = POD_CODES[pod_name]
                # two lines covering the same activity: the record must name its line
                lut[p, c, pod] = li if lut[p, c, pod] == -1 else _AMBIGUOUS
    flat: npt.NDArray[np.int16] = lut.ravel()
    return flat


def _assign_lines(contract: Contract, table: ActivityTable) -> IntArray:
    """The line index of every record, from one gather in a (provider, commissioner, pod) table.

    The general path: records naming their line (``line_id``), and the errors naming records
    that no line, or more than one line, covers. The kernel uses the look-up table directly.
    """
    flat = _line_lut(contract, table)
    n_pod = len(POD_CODES)
    idx = (table.provider.astype(np.intp) * len(table.commissioners) + table.commissioner) * n_pod
    line_of: IntArray = flat[idx + table.pod].astype(np.intp)
    if table.line_ids:
        line_of = _named_lines(contract, table, line_of)
    ambiguous = line_of == _AMBIGUOUS
    if ambiguous.any():
        i = int(np.flatnonzero(ambiguous)[0])
        pod_name = _pod_name(int(table.pod[i]))
        names = [
            line.id
            for line in contract.lines
            if pod_name in line.pods
            and contract.provider_of(line).code == table.providers[table.provider[i]]
        ]
        raise InputError(
            f"{int(ambiguous.sum()):,} records could belong to more than one line "
            f"({summarise_items(names)} all cover {pod_name} activity of "
            f"{table.providers[table.provider[i]]})",
            file=table.source,
            location="rows " + summarise_items(np.flatnonzero(ambiguous) + 2),
            expected="a 'line_id' column naming each record's line when lines share pods",
            fix="add a line_id column to the activity (activity generate --contract does)",
        )
    uncovered = line_of < 0
    if uncovered.any():
        combos = sorted(
            {
                f"{table.providers[p]}/{table.commissioners[c]}/{_pod_name(int(d))}"
                for p, c, d in zip(
                    table.provider[uncovered][:10_000].tolist(),
                    table.commissioner[uncovered][:10_000].tolist(),
                    table.pod[uncovered][:10_000].tolist(),
                    strict=True,
                )
            }
        )
        raise InputError(
            f"{int(uncovered.sum()):,} records are not covered by any line of the contract "
            f"(provider/commissioner/pod: {summarise_items(combos)})",
            file=table.source,
            location="rows " + summarise_items(np.flatnonzero(uncovered) + 2),
            expected="every record's provider, commissioner and pod covered by one line's pods",
            fix="add the pods to a line of the contract, or filter the activity",
        )
    return line_of


_AMBIGUOUS = -2


def _named_lines(contract: Contract, table: ActivityTable, line_of: IntArray) -> IntArray:
    """Records with a ``line_id`` take that line (it must exist and cover the record's pod)."""
    ids = [line.id for line in contract.lines]
    unknown = [name for name in table.line_ids if name not in ids]
    used = np.isin(table.line, [table.line_ids.index(name) for name in unknown])
    if unknown and used.any():
        raise InputError(
            "line_id names lines the contract does not have: " + summarise_items(unknown),
            file=table.source,
            location="column 'line_id', rows " + summarise_items(np.flatnonzero(used) + 2),
            expected="one of " + ", ".join(ids),
            fix="correct the line ids, or drop the column to assign lines by pod",
        )
    remap = np.array([ids.index(name) if name in ids else -1 for name in table.line_ids] + [-1])
    named = remap[table.line]
    out = np.where(named >= 0, named, line_of)
    covers = np.zeros((len(ids), len(POD_CODES)), dtype=bool)
    for li, line in enumerate(contract.lines):
        for pod in line.pods:
            covers[li, POD_CODES[pod]] = True
    wrong = (named >= 0) & ~covers[np.maximum(named, 0), table.pod]
    if wrong.any():
        raise InputError(
            f"{int(wrong.sum()):,} records name a line that does not cover their pod",
            file=table.source,
            location="column 'line_id', rows " + summarise_items(np.flatnonzero(wrong) + 2),
            expected="the line's pods to include the record's pod",
            fix="correct the line_id or the pod of those records",
        )
    result: IntArray = out.astype(np.intp)
    return result


def _line_dtype(n_lines: int) -> type[np.signedinteger[Any]]:
    if n_lines < np.iinfo(np.int8).max:
        return np.int8
    return np.int16 if n_lines < np.iinfo(np.int16).max else np.int32


def _pod_name(code: int) -> str:
    return next(name for name, c in POD_CODES.items() if c == code)


def _registry_source(name: str) -> tuple[str, str]:
    from quasimarket.mechanisms import REGISTRY

    mech = REGISTRY.get(name)
    return (mech.title, mech.rule_source) if mech else (name, "")


def _record(
    work: _Work, line: ServiceLine, column: str, rule: str, note: str = "", title: str = ""
) -> None:
    registry_title, source = _registry_source(rule)
    work.applied.append(LineRule(line.id, column, rule, title or registry_title, source, note))


#: Registry entry and title of a line's local unit price, by local_price ``method``.
_LOCAL_PRICE_RULES = {
    "agreed": ("local_price", "Local price (agreed)"),
    "roll_forward": ("local_price", ""),
    "benchmark": ("local_price_benchmark", ""),
    "costing": ("local_price_costing", ""),
}


# -- 1. unit prices -------------------------------------------------------------------------
def _line_setup(contract: Contract, table: ActivityTable, tariff: TariffTable | None) -> LineSetup:
    """Per-line parameters of the record-level pass, and the line look-up table."""
    lines = contract.lines
    n_lines = len(lines)
    lut = _line_lut(contract, table)
    line_of = (
        _assign_lines(contract, table).astype(_line_dtype(n_lines)) if table.line_ids else None
    )
    is_tariff = np.array([line.mechanism in TARIFF_MECHANISMS for line in lines], dtype=bool)
    mff_lp = np.ones((n_lines, max(len(table.providers), 1)))
    top_override = np.full(n_lines, np.nan)
    age_min = np.full(n_lines, float(_default_rsse_age()))
    prov_mff = tariff.mff_for(table.providers) if tariff is not None else None
    local_unit = np.zeros(n_lines)
    for li, line in enumerate(lines):
        terms: Any = line.terms
        if prov_mff is not None and prov_mff.size:
            mff_lp[li] = prov_mff
        if getattr(terms, "mff", None) is not None:
            mff_lp[li] = float(terms.mff)
        if getattr(terms, "top_up_pct", None) is not None:
            top_override[li] = float(terms.top_up_pct)
        if getattr(terms, "rsse_min_age", None) is not None:
            age_min[li] = float(terms.rsse_min_age)
        if line.mechanism in LOCAL_PRICE_MECHANISMS:
            local_unit[li] = _local_unit_price(line)
    readm_line = np.array([bool(line.adjustments_of("readmissions")) for line in lines], bool)
    window = -1
    for with_rule in np.flatnonzero(readm_line):
        rule: Any = lines[int(with_rule)].adjustments_of("readmissions")[0]
        if rule.window_days is not None and rule.window_days < schema.READMISSION_WINDOW_DAYS:
            window = int(rule.window_days)
    if window >= 0 and not (table.day != np.iinfo(np.int32).min).all():
        window = -1  # no dates to measure a shorter window: the link's own 30 days
    return LineSetup(
        n_lines=n_lines,
        lut=lut,
        line_of=line_of,
        tariff_line=is_tariff,
        mff_lp=mff_lp,
        top_override=top_override,
        rsse_age=age_min,
        local_unit=local_unit,
        readm_line=readm_line,
        window=window,
    )


def _unit_prices(contract: Contract, setup: LineSetup, cells: CellPass, work: _Work) -> None:
    """Unit prices: national tariff components (from the record pass) and local prices."""
    lines = contract.lines
    if setup.tariff_line.any():
        if cells.parts is not None:  # per-record units
            for k, name in enumerate((*TARIFF_COMPONENTS, "tariff_gbp")):
                work.cols[name] = cells.parts[k]
        else:
            for k, name in enumerate((*TARIFF_COMPONENTS, "tariff_gbp")):
                work.cols[name] = cells.sums[:, k].copy()
        work.value += work.cols["tariff_gbp"]
        if cells.unpriced:
            work.notes.append(
                f"{cells.unpriced:,} records have an HRG with no national price for their "
                "point of delivery; they are priced at £0 (agree a local price)"
            )
        for li, line in enumerate(lines):
            if setup.tariff_line[li]:
                _record(work, line, "tariff_gbp", "national_tariff")
    local = [li for li, line in enumerate(lines) if line.mechanism in LOCAL_PRICE_MECHANISMS]
    if local:
        for li in local:
            line = lines[li]
            if line.mechanism == "local_price":
                rule, title = _LOCAL_PRICE_RULES[getattr(line.terms, "method", "agreed")]
            else:  # cost per case, cost and volume, caps and collars: the terms' unit price
                rule, title = line.mechanism, "Local price per unit (the line's agreed price)"
            _record(work, line, "local_price_gbp", rule, title=title)
        rec = setup.local_unit[work.line_of]
        if work.track:
            rec *= work.count
        work.col("local_price_gbp")[:] += rec
        work.value += rec


def _default_rsse_age() -> int:
    from quasimarket.mechanisms.national_tariff import RSSE_MIN_AGE

    return RSSE_MIN_AGE


def _local_unit_price(line: ServiceLine) -> float:
    terms: Any = line.terms
    mech = line.mechanism
    if mech == "local_price":
        method = terms.method
        if method == "agreed":
            return float(terms.price)
        if method == "roll_forward":
            return float(local_price.roll_forward_price(**terms.kwargs()))
        if method == "benchmark":
            return float(local_price.benchmark_price(**terms.kwargs()))
        return float(local_price.costing_price(**terms.kwargs()))
    return float(terms.price)


# -- 2. local variations ----------------------------------------------------------------------
def _local_variations(contract: Contract, table: ActivityTable, work: _Work) -> None:
    day: npt.NDArray[np.int64] | None = None
    for li, line in enumerate(contract.lines):
        changes = [
            a for a in line.adjustments if a.rule in ("local_variation", "local_modification")
        ]
        if not changes:
            continue
        if day is None:
            day = _record_days(contract, table)
        rows = np.flatnonzero(work.line_of == li)
        for change in changes:
            kw: Any = change.kwargs()
            res = local_variation.apply_local_variation(
                work.value[rows],
                day[rows],
                effective_from=np.datetime64(kw.pop("effective_from"), "D"),
                effective_to=np.datetime64(kw.pop("effective_to"), "D"),
                **kw,
            )
            adj = np.asarray(res.adjustment, dtype=np.float64)
            work.col("local_variation_gbp")[rows] += adj
            work.value[rows] += adj
            _record(work, line, "local_variation_gbp", change.rule)


def _record_days(contract: Contract, table: ActivityTable) -> npt.NDArray[np.int64]:
    """Day numbers of records; mid-month of the contract year where the file has no dates."""
    day = table.day.astype(np.int64)
    missing = day == np.iinfo(np.int32).min
    if missing.any():
        start = np.datetime64(f"{contract.year.start}-04-01", "M")
        mid = (start + (table.month.astype(np.int64) - 1)).astype("datetime64[D]") + 14
        day = np.where(missing, mid.astype(np.int64), day)
    return day


# -- 3-5. activity cap, MRET, readmissions ---------------------------------------------------------
def _param(contract: Contract, rule: str, name: str) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Which lines have *rule* and its parameter *name* per line (first such adjustment)."""
    has = np.zeros(len(contract.lines), dtype=bool)
    values = np.zeros(len(contract.lines))
    for li, line in enumerate(contract.lines):
        found = line.adjustments_of(rule)
        if found:
            value = getattr(found[0], name)
            if value is not None:
                has[li] = True
                values[li] = float(value)
            elif name in ("plan_value",) and line.planned_value_gbp is not None:
                has[li] = True
                values[li] = float(line.planned_value_gbp)
    return has, values


def _activity_cap(contract: Contract, work: _Work) -> None:
    has, plan = _param(contract, "activity_cap", "plan_value")
    if not has.any():
        return
    value = work.line_sum(work.value)
    adj = np.where(has, activity_cap.activity_cap(value, plan_value=plan).adjustment, 0.0)
    work.spread("activity_cap_gbp", adj, total=value)
    for li in np.flatnonzero(has):
        _record(work, contract.lines[li], "activity_cap_gbp", "activity_cap")


def _mret(contract: Contract, work: _Work) -> None:
    has, baseline = _param(contract, "mret", "baseline_value")
    if not has.any():
        return
    _, rate = _param(contract, "mret", "rate")
    scope = work.pod == POD_CODES["non_elective"]
    nel_value = work.line_sum(work.value * scope)
    res = mret.marginal_rate_emergency(nel_value, baseline_value=baseline, rate=rate)
    adj = np.where(has, res.adjustment, 0.0)
    work.spread("mret_gbp", adj, scope=scope, total=nel_value)
    for li in np.flatnonzero(has):
        _record(work, contract.lines[li], "mret_gbp", "mret")


def readmission_in_scope(
    table: ActivityTable, *, window_days: int | None = None
) -> npt.NDArray[np.bool_]:
    """Records that are emergency readmissions the rule applies to (payment-rules.md A5).

    A record counts when it is a non-elective spell linked (``readmission_of``) to an index
    admitted-care spell and none of the exclusions the schema can express holds [V: A5;
    PMC5226021 Table 1]: maternity, chemotherapy/radiotherapy, renal dialysis and transplant
    HRGs (by HRG prefix, :data:`~quasimarket.activity.schema.READMISSION_EXCLUDED_HRG_PREFIXES`,
    [K] mapping) on either spell; a child under 4 at readmission; a self-discharge against
    advice from the index spell; a transfer in from another provider; cross-border activity.
    Records with no national price are excluded by the pricing (their value is £0).
    """
    out = np.zeros(len(table), dtype=bool)
    out[readmission_rows(table, window_days=window_days)] = True
    return out


def readmission_rows(table: ActivityTable, *, window_days: int | None = None) -> IntArray:
    """Row indices of :func:`readmission_in_scope` (the checks run on the linked rows only)."""
    link = table.readmission_of
    linked: IntArray = np.flatnonzero(link >= 0)
    rows: IntArray = linked[table.pod[linked] == POD_CODES["non_elective"]]
    if rows.size == 0:
        return rows
    index = link[rows]
    excluded_hrg = np.array(
        [h.startswith(schema.READMISSION_EXCLUDED_HRG_PREFIXES) for h in table.hrgs] + [False]
    )
    ok = (
        ~excluded_hrg[table.hrg[rows]]  # -1 (no HRG) picks the appended False
        & ~excluded_hrg[table.hrg[index]]
        & (table.age[rows] >= schema.READMISSION_MIN_AGE)
        & ~table.self_discharge[index]
        & ~table.transfer_in[rows]
        & ~table.cross_border[rows]
        & ~table.cross_border[index]
    )
    if window_days is not None and (table.day != np.iinfo(np.int32).min).all():
        # a shorter window than the link's 30 days (e.g. the 14-day rule of 2010/11)
        admission = table.day[rows].astype(np.int64) - table.los_days[rows]
        ok &= (admission - table.day[index].astype(np.int64)) <= window_days
    result: IntArray = rows[ok]
    return result


def _readmissions(contract: Contract, work: _Work, avoidable: float | None) -> None:
    """Readmissions: the units' readmission flag already holds the rule's scope (A5)."""
    lines = contract.lines
    has = np.array([bool(line.adjustments_of("readmissions")) for line in lines])
    if not has.any():
        return
    share = np.zeros(len(lines))
    for li in np.flatnonzero(has):
        rule: Any = lines[li].adjustments_of("readmissions")[0]
        value = rule.avoidable_share if rule.avoidable_share is not None else avoidable
        if value is None:
            raise ConfigError(
                f"line '{lines[li].id}': the readmissions rule needs the avoidable share from "
                "the clinical review",
                location=f"lines.{lines[li].id}.adjustments.readmissions.avoidable_share",
                expected="a share between 0 and 1",
                fix="set avoidable_share in the contract, or pass --avoidable-share",
            )
        share[li] = float(value)
    scope = work.readm & has[work.line_of]
    readm_value = work.line_sum(work.value * scope)
    res = readmissions.readmission_deduction(readm_value, avoidable_share=share)
    adj = np.where(has, res.adjustment, 0.0)
    work.spread("readmissions_gbp", adj, scope=scope, total=readm_value)
    per_line = work.line_sum(work.count * scope)
    for li in np.flatnonzero(has):
        _record(
            work,
            lines[li],
            "readmissions_gbp",
            "readmissions",
            f"{int(per_line[li]):,} readmissions in scope",
        )


# -- 6. payment forms ---------------------------------------------------------------------------
def _payment_forms(contract: Contract, work: _Work) -> None:
    lines = contract.lines
    forms = [
        li
        for li, line in enumerate(lines)
        if line.mechanism not in ("national_tariff", "local_price", "cost_per_case")
    ]
    if not forms:
        return
    value = work.line_sum(work.value)
    count = work.counts()
    adj = np.zeros(len(lines))
    for li in forms:
        line = lines[li]
        terms: Any = line.terms
        kw = terms.kwargs()
        mech = line.mechanism
        if mech == "block":
            monthly = np.asarray(block.block_payment(**kw).monthly, dtype=np.float64)
            _block_line(work, li, monthly)
            _record(work, line, "payment_form_gbp", "block")
            continue
        if mech == "cost_and_volume":
            payment = cost_and_volume.cost_and_volume(count[li], **kw).payment
        elif mech == "caps_and_collars":
            payment = caps_and_collars.caps_and_collars(count[li], **kw).payment
        elif mech == "blended":
            payment = blended.blended_payment(value[li], **kw).payment
        elif mech == "aligned_payment_incentive":
            mask = (work.line_of == li) & np.isin(work.pod, API_ELECTIVE_PODS)
            elective = float(work.value[mask].sum())
            # the fixed element covers all planned work; only elective value varies (A7)
            payment = blended.aligned_payment_incentive(elective, **kw).payment
        elif mech == "capitation":
            if kw.get("weighted_population") is None:
                raise ConfigError(
                    f"line '{line.id}': capitation needs weighted_population",
                    location=f"lines.{line.id}.terms.weighted_population",
                    fix="set weighted_population (weighted heads) in the contract",
                )
            population = kw.pop("weighted_population")
            payment = capitation.capitation(population, **kw).payment
        else:
            work.notes.append(f"line '{line.id}': mechanism '{mech}' is not priced from activity")
            continue
        adj[li] = float(payment) - value[li]
        _record(work, line, "payment_form_gbp", mech)
    if adj.any():
        work.spread("payment_form_gbp", adj)


def _block_line(work: _Work, li: int, monthly: FloatArray) -> None:
    """Block: each month's instalment replaces the value of that month's records."""
    rows = work.line_of == li
    m = work.month0[rows]
    month_value = group_sum(m, work.value[rows], 12)
    month_count = group_sum(m, work.count[rows], 12)
    amount = monthly - month_value
    by_value = month_value != 0
    factor = np.divide(amount, month_value, out=np.zeros(12), where=by_value)
    per = np.divide(amount, month_count, out=np.zeros(12), where=~by_value & (month_count > 0))
    work.apply("payment_form_gbp", factor[m], per[m], rows=rows)
    orphan = ~by_value & (month_count == 0)
    work.res("payment_form_gbp")[li, orphan] += amount[orphan]


# -- 7-8. sanctions and CQUIN ----------------------------------------------------------------------
def _sanctions(
    contract: Contract, work: _Work, performance: Mapping[str, Mapping[str, float]]
) -> None:
    lines = contract.lines
    adj = np.zeros(len(lines))
    revenue = work.line_sum(work.value)
    any_rule = False
    for li, line in enumerate(lines):
        rules: Any = line.adjustments_of("sanctions")
        total = 0.0
        cap_pct = None
        for rule in rules:
            any_rule = True
            data = performance.get(rule.standard, {})
            if rule.kind == "revenue":
                amount = sanctions.revenue_sanction(revenue[li], pct=rule.pct).adjustment
            elif rule.kind == "threshold" and "numerator" in data and "denominator" in data:
                amount = sanctions.threshold_sanction(
                    data["numerator"], data["denominator"], **rule.kwargs()
                ).adjustment
            elif rule.kind == "per_breach" and "count" in data:
                amount = sanctions.per_breach_sanction(data["count"], **rule.kwargs()).adjustment
            else:
                work.notes.append(
                    f"line '{line.id}': no performance data for standard '{rule.standard}', "
                    "so no sanction applied (pass --performance)"
                )
                continue
            total += float(amount)
            if rule.cap_pct is not None:
                cap_pct = rule.cap_pct if cap_pct is None else min(cap_pct, rule.cap_pct)
            _record(work, line, "sanctions_gbp", "sanctions", rule.standard)
        if cap_pct is not None and total:
            total = float(
                sanctions.cap_sanctions(total, revenue=revenue[li], cap_pct=cap_pct).adjustment
            )
        adj[li] = total
    if any_rule:
        work.col("sanctions_gbp")
    if adj.any():
        work.spread("sanctions_gbp", adj)


def _cquin(
    contract: Contract, work: _Work, achievement: float | Mapping[str, float] | None
) -> None:
    lines = contract.lines
    has = np.array([bool(line.adjustments_of("cquin")) for line in lines])
    if not has.any():
        return
    outturn = work.line_sum(work.value)
    earned = np.zeros(len(lines))
    for li in np.flatnonzero(has):
        rule: Any = lines[li].adjustments_of("cquin")[0]
        weights = [g.weight for g in rule.goals]
        ach = []
        assumed = []
        for goal in rule.goals:
            if isinstance(achievement, Mapping) and goal.name in achievement:
                ach.append(float(achievement[goal.name]))
            elif achievement is not None and not isinstance(achievement, Mapping):
                ach.append(float(achievement))
            elif goal.achievement is not None:
                ach.append(float(goal.achievement))
            else:
                ach.append(1.0)
                assumed.append(goal.name)
        if assumed:
            work.notes.append(
                f"line '{lines[li].id}': CQUIN achievement assumed 100% for "
                f"{summarise_items(assumed)} (pass --achievement)"
            )
        res = cquin.cquin_payment(outturn[li], rate=rule.rate, weights=weights, achievement=ach)
        earned[li] = float(res.earned)
        _record(work, lines[li], "cquin_gbp", "cquin")
    work.spread("cquin_gbp", earned)


# -- 9-10. contract level ----------------------------------------------------------------------
def _risk_share(contract: Contract, work: _Work) -> None:
    share = contract.risk_share
    if share is None:
        return
    ids = set(share.lines) or {line.id for line in contract.lines}
    in_scope = np.array([line.id in ids for line in contract.lines])
    value = work.line_sum(work.value)
    resid_total = sum(r.sum(axis=1) for r in work.resid.values()) if work.resid else 0.0
    actual = float((value + resid_total)[in_scope].sum())
    kw = share.kwargs()
    if kw["plan_value"] is None:
        kw["plan_value"] = sum(
            float(line.planned_value_gbp or 0.0) for line in contract.lines if line.id in ids
        )
    res = risk_share.risk_share(actual, **kw)
    amount = float(res.payment) - actual
    line_amount = np.where(in_scope, value, 0.0)
    total = line_amount.sum()
    per_line = (
        line_amount / total * amount if total else np.where(in_scope, amount / in_scope.sum(), 0.0)
    )
    work.spread("risk_share_gbp", per_line)
    for li in np.flatnonzero(in_scope):
        _record(work, contract.lines[li], "risk_share_gbp", "risk_share")


@dataclass(frozen=True)
class SettlementResult:
    """The year-end settlement of the contract (pounds)."""

    formal: float
    settled: float
    gap: float
    non_recurrent: float
    transitional: float
    rule: str


def _settlement(contract: Contract, work: _Work, affordable: float | None) -> SettlementResult:
    resid_total = float(sum(r.sum() for r in work.resid.values())) if work.resid else 0.0
    formal = float(work.value.sum()) + resid_total
    terms = contract.settlement
    if terms is None and affordable is None:
        return SettlementResult(formal, formal, 0.0, 0.0, 0.0, "pay_in_full")
    kw: dict[str, Any] = terms.kwargs() if terms is not None else {"rule": "cap_at_affordable"}
    if affordable is not None:
        kw["affordable"] = affordable
        if kw.get("rule") == "pay_in_full":
            kw["rule"] = "cap_at_affordable"
    if kw.get("affordable") is None:
        kw["affordable"] = formal
    independent = all(p.independent for p in contract.providers)
    res = settlement.year_end_settlement(formal, independent=independent, **kw)
    return SettlementResult(
        formal=formal,
        settled=float(res.settled),
        gap=float(res.gap),
        non_recurrent=float(res.non_recurrent),
        transitional=float(res.transitional),
        rule=str(kw.get("rule")),
    )
