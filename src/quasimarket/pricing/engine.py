"""The pricing engine: activity + contract + tariff -> an itemised, explained statement.

``price`` = records -> cells -> the payment pipeline -> attribution back to records:

1. unit price (national tariff components, or a local price) per record;
2. local variation / local modification (record level, by date);
3-11. the contract's line and contract rules, in :mod:`quasimarket.payment.pipeline` (the one
   payment pipeline the stress tester and the simulation call too).

Line-level rules act on line aggregates and are attributed back to the units (cells or
records) they act on pro rata to each unit's value at that step (by count where the value is
zero); an amount with no record to carry it (e.g. a block month with no activity) stays in the
statement only. Money is float64 pounds throughout; rounding happens only when reporting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.activity import schema
from quasimarket.activity.table import ActivityTable
from quasimarket.errors import ConfigError, InputError, summarise_items
from quasimarket.mechanisms import local_price, local_variation
from quasimarket.payment import pipeline
from quasimarket.payment.pipeline import RULE_COLUMNS, SettlementResult
from quasimarket.payment.units import LineRule, Units, group_sum
from quasimarket.pricing.cells import (
    N_POD,
    SUM_COUNT,
    CellPass,
    LineSetup,
    cell_parts,
    record_cells,
)
from quasimarket.pricing.non_contract import non_contract_rows, non_contract_terms
from quasimarket.pricing.tariff_prices import lookup_tariff
from quasimarket.tariff.table import TariffTable
from quasimarket.validation.dates import NO_DAY
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, ServiceLine
    from quasimarket.pricing.result import PricingResult

__all__ = [
    "RULE_COLUMNS",
    "TARIFF_COMPONENTS",
    "TARIFF_MECHANISMS",
    "LineRule",
    "PricingResult",
    "SettlementResult",
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
#: GP practice payments paid per unit of their currency (weighted head, QOF point, unit of
#: service): a record is one unit, valued by the mechanism's own function at one unit.
PRACTICE_UNIT_MECHANISMS = frozenset({"gms_global_sum", "qof", "enhanced_services"})


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
    non_contract: str = "price",
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
        non_contract: What to do with the contract providers' records for commissioners
            the contract does not name: ``"price"`` them at the national tariff in a separate
            statement (:attr:`PricingResult.non_contract`, by commissioner), or ``"refuse"``
            them (an error).

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
    if non_contract not in ("price", "refuse"):
        raise ConfigError(
            f"non_contract must be 'price' or 'refuse', got {non_contract!r}",
            expected="'price' (at tariff, in a separate statement) or 'refuse'",
        )
    outside = non_contract_rows(contract, table) if non_contract == "price" else None
    nca_result: PricingResult | None = None
    if outside is not None and outside.any():
        # a line_id names the contract's lines, which do not cover these commissioners
        nca_table = replace(
            table.take(outside), line=np.full(int(outside.sum()), -1, np.int32), line_ids=()
        )
        table = table.take(~outside)
        nca_result = price(
            non_contract_terms(contract, nca_table),
            nca_table,
            tariff,
            per_record=per_record,
            non_contract="refuse",
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
    if note := _mff_note(contract, table, tariff):
        work.notes.append(note)
    if nca_result is not None:
        nca = nca_result.activity
        work.notes.append(
            f"{len(nca):,} record(s) for commissioners not on the contract ("
            + summarise_items(nca.commissioners[c] for c in np.unique(nca.commissioner))
            + ") priced at the national tariff as non-contract activity, in a separate "
            f"statement: £{nca_result.totals()['formal_gbp']:,.2f} (non_contract_statement.csv)"
        )
    if setup.readm_line.any():
        work.notes.extend(table.readmission_notes)
    if setup.readm_line.any() and not table.readmission_basis:
        work.notes.append(
            f"the activity ({table.source}) has neither patient_id nor readmission_of: no "
            "emergency readmission can be found, so the readmissions rule deducts £0; give "
            "patient_id with admission and discharge dates, or readmission_of"
        )
    if setup.window >= 0:
        linked = np.flatnonzero(table.readmission_of >= 0)
        index = table.readmission_of[linked]
        if n_undated := int(((table.day[linked] == NO_DAY) | (table.day[index] == NO_DAY)).sum()):
            work.notes.append(
                f"{n_undated:,} readmission link(s) of {table.source} have no dates to measure "
                f"the contract's {setup.window}-day window: they keep the link's own "
                f"{schema.READMISSION_WINDOW_DAYS}-day window"
            )
    _unit_prices(contract, setup, cells, work)
    _local_variations(contract, table, work)
    result = pipeline.run(
        contract,
        work,
        achievement=achievement,
        performance=performance,
        avoidable_share=avoidable_share,
        affordable=affordable,
    )
    formal = work.value  # settlement and subcontracts do not change the running value
    formal_resid = sum(work.resid.values(), np.zeros((work.n_lines, 12)))
    settle = result.settlement
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
        notes=(*table.notes, *(tariff.notes if tariff is not None else ()), *work.notes),
        subcontracts=result.subcontracts,
        alliance=result.alliance,
        non_contract=nca_result,
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


def _units(setup: LineSetup, table: ActivityTable, cells: CellPass, per_record: bool) -> Units:
    """The units of the run: one per cell, or one per record (with its cell's flags)."""
    if per_record:
        assert cells.cell is not None
        cell = cells.cell
        line = (cell // (24 * N_POD)).astype(_line_dtype(setup.n_lines))
        n = len(table)
        return Units(
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
    return Units(
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
    work: Units, line: ServiceLine, column: str, rule: str, note: str = "", title: str = ""
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
def _mff_needed(contract: Contract, tariff: TariffTable | None) -> bool:
    """Whether some national-tariff line takes its MFF from the tariff (no ``mff`` term)."""
    return tariff is not None and any(
        line.mechanism in TARIFF_MECHANISMS and getattr(line.terms, "mff", None) is None
        for line in contract.lines
    )


def _provider_mff(
    contract: Contract, table: ActivityTable, tariff: TariffTable | None
) -> npt.NDArray[np.float64] | None:
    """Each activity provider's MFF index from the tariff's MFF table.

    A provider missing from a given MFF table is refused: the published table has a row for
    every trust, so a missing one is the wrong table (or a typo), and 1.000 would move money.
    A tariff with no MFF table at all prices at 1.000 with a note (:func:`_mff_note`).
    """
    if tariff is None:
        return None
    if _mff_needed(contract, tariff) and len(tariff.mff_providers):
        known = set(tariff.mff_providers)
        missing = [p for p in table.providers if p not in known]
        if missing:
            raise InputError(
                "the MFF table has no row for provider " + summarise_items(missing),
                file=tariff.mff_source or tariff.source,
                location="MFF table",
                expected="one row per provider priced at national tariff",
                fix="add the provider's MFF payment index (Annex A 'MFF' tab; 1.000 if it has "
                "none), give the right table with --mff, or set 'mff' in the line's terms",
            )
    return tariff.mff_for(table.providers)


def _mff_note(contract: Contract, table: ActivityTable, tariff: TariffTable | None) -> str | None:
    if tariff is None or len(tariff.mff_providers) or not _mff_needed(contract, tariff):
        return None
    return (
        f"the tariff ({tariff.source}) has no MFF table: national prices are paid at MFF 1.000 "
        f"for {summarise_items(table.providers)} (give --mff FILE, or 'mff' in the line's "
        "terms)"
    )


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
    prov_mff = _provider_mff(contract, table, tariff)
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
        if line.mechanism in LOCAL_PRICE_MECHANISMS | PRACTICE_UNIT_MECHANISMS:
            local_unit[li] = _local_unit_price(line)
        elif line.mechanism == "locally_agreed_sum":
            raise ConfigError(
                f"line '{line.id}': a locally agreed sum (PMS/APMS) is a fixed annual sum, "
                "not a price per record",
                location=f"lines.{line.id}.mechanism",
                expected="a mechanism that prices activity records",
                fix='write the agreed sum as a block line (mechanism = "block", '
                "annual_value = the agreed sum) to price it against activity",
            )
    readm_line = np.array([bool(line.adjustments_of("readmissions")) for line in lines], bool)
    window = -1
    for with_rule in np.flatnonzero(readm_line):
        rule: Any = lines[int(with_rule)].adjustments_of("readmissions")[0]
        if rule.window_days is not None and rule.window_days < schema.READMISSION_WINDOW_DAYS:
            window = int(rule.window_days)
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


def _unit_prices(contract: Contract, setup: LineSetup, cells: CellPass, work: Units) -> None:
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
    local = [
        li
        for li, line in enumerate(lines)
        if line.mechanism in LOCAL_PRICE_MECHANISMS | PRACTICE_UNIT_MECHANISMS
    ]
    if local:
        for li in local:
            line = lines[li]
            if line.mechanism == "local_price":
                rule, title = _LOCAL_PRICE_RULES[getattr(line.terms, "method", "agreed")]
            elif line.mechanism in PRACTICE_UNIT_MECHANISMS:
                rule, title = line.mechanism, "GP practice payment per unit (the line's terms)"
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
    if mech in PRACTICE_UNIT_MECHANISMS:  # the mechanism's payment for one unit
        from quasimarket.mechanisms import REGISTRY

        return float(REGISTRY[mech].function(1.0, **terms.kwargs()).payment)
    return float(terms.price)


# -- 2. local variations ----------------------------------------------------------------------
def _local_variations(contract: Contract, table: ActivityTable, work: Units) -> None:
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


# -- 5. readmission scope (record level) ---------------------------------------------------


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
    if window_days is not None:
        # a shorter window than the link's 30 days (e.g. the 14-day rule of 2010/11),
        # measured where both spells have dates (pricing notes the others)
        dated = (table.day[rows] != NO_DAY) & (table.day[index] != NO_DAY)
        admission = table.day[rows].astype(np.int64) - table.los_days[rows]
        ok &= ~dated | ((admission - table.day[index].astype(np.int64)) <= window_days)
    result: IntArray = rows[ok]
    return result
