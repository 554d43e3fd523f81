"""Realistic synthetic activity for any economy: any size, seeded, vectorised.

The mix and distributions are stylised [K] (chosen to look like HES/SUS acute activity, not
fitted): point-of-delivery shares, HRG frequencies falling with price, lengths of stay scaled
to each HRG's trim point with a long-stay tail, a U-shaped age profile for emergency care, mild
winter seasonality for emergency admissions, and ~7% emergency readmissions within 30 days
(the rule of payment-rules.md A5). 10 million records take a few seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.activity.table import categorical
from quasimarket.errors import ConfigError, summarise_items
from quasimarket.financial_year import FinancialYear
from quasimarket.random_streams import stream, validate_seed
from quasimarket.tariff.table import AE_TYPE_3_4_COLUMN, TFC_PREFIX, TariffTable
from quasimarket.vocabulary import POD_CODES, POD_NAMES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract
    from quasimarket.economy.model import Economy

__all__ = [
    "DEFAULT_POD_MIX",
    "OTHER_POD_MIX",
    "synthetic_activity",
    "synthetic_activity_for_contract",
]

#: Share of records by point of delivery for an acute provider [K: stylised, roughly the
#: proportions of HES admitted, outpatient and A&E records].
DEFAULT_POD_MIX: dict[str, float] = {
    "day_case": 0.10,
    "elective": 0.03,
    "non_elective": 0.09,
    "op_first": 0.16,
    "op_follow_up": 0.34,
    "op_procedure": 0.08,
    "ae": 0.20,
}
#: Relative volume of non-tariff records (community and mental health contacts, bed days)
#: when those pods are asked for [K: stylised].
OTHER_POD_MIX: dict[str, float] = {"community_contact": 0.5, "mh_contact": 0.3, "bed_day": 0.2}
_ALL_MIX = {**DEFAULT_POD_MIX, **OTHER_POD_MIX}
#: Relative volume by month of the financial year (April first) for emergency care: a mild
#: winter peak in January [K].
_SEASON = 1.0 + 0.06 * np.cos(2 * np.pi * (np.arange(12) - 9) / 12)
_MONTH_DAYS = np.array([30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31])
#: Share of spells that are long stays beyond the trim point [K, a few per cent].
_LONG_STAY_SHARE = 0.03
#: Share of emergency spells that are short stays (0-1 day) [K].
_SHORT_STAY_SHARE = 0.35
#: Share of records on a best-practice HRG that meet the criteria [K].
_BPT_MET_SHARE = 0.6


def _draw(rng: np.random.Generator, p: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.int64]:
    """*size* draws of category indices with probabilities *p* (Walker's alias method).

    O(1) per draw (two gathers), where ``rng.choice(p=...)`` does a binary search per draw;
    the table is built with a loop over the categories (not the records).
    """
    k = p.shape[0]
    scaled = np.asarray(p, dtype=np.float64) * (k / p.sum())
    prob = np.ones(k)
    alias = np.arange(k)
    small = [i for i in range(k) if scaled[i] < 1.0]
    large = [i for i in range(k) if scaled[i] >= 1.0]
    while small and large:
        s_i, l_i = small.pop(), large.pop()
        prob[s_i], alias[s_i] = scaled[s_i], l_i
        scaled[l_i] -= 1.0 - scaled[s_i]
        (small if scaled[l_i] < 1.0 else large).append(l_i)
    u = rng.random(size) * k
    column = u.astype(np.int64)
    np.minimum(column, k - 1, out=column)
    keep = (u - column) < prob[column]
    drawn: npt.NDArray[np.int64] = np.where(keep, column, alias[column])
    return drawn


def _hrg_weights(
    price: npt.NDArray[np.float64], rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Relative frequency of each priced HRG: falls with price, lognormal scatter [K]."""
    ok = np.isfinite(price) & (price > 0)
    w = np.zeros(price.shape)
    w[ok] = rng.lognormal(0.0, 1.0, int(ok.sum())) / np.sqrt(price[ok])
    total = w.sum()
    return w / total if total > 0 else w


def synthetic_activity(
    economy: Economy | None,
    *,
    n_records: int,
    year: str | int | FinancialYear,
    seed: int = 0,
    providers: Sequence[str] | None = None,
    commissioners: Sequence[str] | None = None,
    readmission_rate: float = 0.07,
    pods: Sequence[str] | None = None,
    tariff: TariffTable | None = None,
    check_codes: bool = True,
) -> pd.DataFrame:
    """Generate activity records in the schema of ``docs/activity-schema.md``.

    Args:
        economy: The economy whose providers, catchments and price catalogue to use (may be
            None when *tariff*, *providers* and *commissioners* are all given).
        n_records: Number of records.
        year: Financial year of the activity (records are discharged within it).
        seed: Random seed; the same seed gives the same table (random stream ``activity``).
        providers: Provider codes to generate for (default: the economy's acute providers).
        commissioners: Commissioner codes (default: each provider's catchment).
        readmission_rate: Share of emergency spells that are readmissions within 30 days.
        pods: Points of delivery to generate (default :data:`DEFAULT_POD_MIX`, renormalised).
        tariff: Prices to draw HRGs from (default: the economy's catalogue).
        check_codes: Refuse provider/commissioner codes the economy lacks (set False to
            generate for a contract's own codes, e.g. a 2016/17 CCG).

    Returns:
        A DataFrame with categorical code columns, int64 ``record_id``/``patient_id`` and
        nullable ``readmission_of``.

    Raises:
        ConfigError: Unknown provider/commissioner/pod codes or a rate outside [0, 0.5].
    """
    validate_seed(seed, location="seed")
    return _generate(
        economy,
        n_records=n_records,
        year=year,
        rng=stream(seed, "activity"),
        providers=providers,
        commissioners=commissioners,
        readmission_rate=readmission_rate,
        pods=pods,
        tariff=tariff,
        check_codes=check_codes,
    )


def _generate(
    economy: Economy | None,
    *,
    n_records: int,
    year: str | int | FinancialYear,
    rng: np.random.Generator,
    providers: Sequence[str] | None,
    commissioners: Sequence[str] | None,
    readmission_rate: float,
    pods: Sequence[str] | None,
    tariff: TariffTable | None,
    check_codes: bool,
) -> pd.DataFrame:
    """:func:`synthetic_activity` drawing from the random stream *rng*."""
    fy = year if isinstance(year, FinancialYear) else FinancialYear.parse(str(year))
    if not 0.0 <= readmission_rate <= 0.5:
        raise ConfigError(
            f"readmission_rate {readmission_rate} outside [0, 0.5]",
            location="readmission_rate",
            expected="a share such as 0.07",
            fix="give a rate between 0 and 0.5",
        )
    if n_records < 1:
        raise ConfigError("n_records must be at least 1", location="n_records", fix="give --n 1000")
    table = tariff if tariff is not None else _tariff_of(economy)
    prov_codes, comm_codes, comm_of_prov = _parties(
        economy, providers, commissioners, check=check_codes
    )

    wanted = list(pods) if pods else list(DEFAULT_POD_MIX)
    unknown = [p for p in wanted if p not in _ALL_MIX]
    if unknown:
        raise ConfigError(
            "cannot generate points of delivery " + summarise_items(map(repr, unknown)),
            location="pods",
            expected="one of " + ", ".join(_ALL_MIX),
            fix="choose from those",
        )
    mix = np.array([_ALL_MIX[p] for p in wanted])
    n = int(n_records)
    pod_choice = _draw(rng, mix / mix.sum(), n)
    pod = np.array([POD_CODES[p] for p in wanted], dtype=np.int8)[pod_choice]

    # HRG / TFC per pod, weighted by frequency; key = tariff row
    key = np.zeros(n, dtype=np.int32)
    is_tfc = np.array([c.startswith(TFC_PREFIX) for c in table.codes])
    key[pod >= POD_CODES["community_contact"]] = -1  # no HRG: locally priced contacts
    for p in np.unique(pod[pod < POD_CODES["community_contact"]]):
        rows = np.flatnonzero(pod == p)
        price = table.unit_price[:, int(p)].copy()
        if p in (POD_CODES["op_first"], POD_CODES["op_follow_up"]):
            price[~is_tfc] = np.nan
        else:
            price[is_tfc] = np.nan
        w = _hrg_weights(price, rng)
        if w.sum() == 0:
            raise ConfigError(
                f"the tariff has no prices for point of delivery {POD_NAMES[int(p)]!r}",
                location="pods",
                fix="choose pods the tariff prices",
            )
        key[rows] = _draw(rng, w, rows.size).astype(np.int32)

    # length of stay relative to trim points
    los = np.zeros(n, dtype=np.int32)
    for p, trim_arr in (
        (POD_CODES["elective"], table.elective_trim),
        (POD_CODES["non_elective"], table.non_elective_trim),
    ):
        rows = np.flatnonzero(pod == p)
        trim = trim_arr[key[rows]]
        trim = np.where(np.isfinite(trim), trim, 10.0)
        stay = rng.exponential(np.maximum(trim, 1.0) / 4.0)
        long = rng.random(rows.size) < _LONG_STAY_SHARE
        stay = np.where(long, trim + 1.0 + rng.exponential(np.maximum(trim, 2.0) / 3.0), stay)
        if p == POD_CODES["non_elective"]:
            short = rng.random(rows.size) < _SHORT_STAY_SHARE
            stay = np.where(short, rng.integers(0, 2, rows.size), stay + 2.0)
        else:
            stay = stay + 1.0
        los[rows] = np.minimum(stay, 365).astype(np.int32)

    # age: emergency U-shaped, otherwise adult-heavy [K]
    age = np.clip(rng.normal(52.0, 22.0, n), 0, 104)
    young = rng.random(n) < np.where(pod == POD_CODES["non_elective"], 0.15, 0.08)
    age = np.where(young, rng.integers(0, 18, n), age).astype(np.int16)

    # discharge month with mild seasonality, then a day in that month
    season = _SEASON / _SEASON.sum()
    month0 = _draw(rng, season, n)
    start = np.datetime64(f"{fy.start}-04-01").astype(np.int64)
    month_start = start + np.concatenate([[0], np.cumsum(_MONTH_DAYS)[:-1]])
    if (fy.start + 1) % 4 == 0:  # February of a leap year
        month_start[11] += 1
    mdays = _MONTH_DAYS.copy()
    if (fy.start + 1) % 4 == 0:
        mdays[10] = 29
    discharge = month_start[month0] + (rng.random(n) * mdays[month0]).astype(np.int64)
    admission = discharge - los

    # providers and commissioners
    prov = rng.integers(0, len(prov_codes), n).astype(np.int32)
    comm = np.zeros(n, dtype=np.int32)
    for i, (choices, shares) in enumerate(comm_of_prov):
        rows = np.flatnonzero(prov == i)
        comm[rows] = rng.choice(choices, size=rows.size, p=shares).astype(np.int32)

    record_id = np.arange(1, n + 1, dtype=np.int64)
    patient = 10_000_000_000 + record_id
    readm = np.full(n, -1, dtype=np.int64)
    nel = np.flatnonzero(pod == POD_CODES["non_elective"])
    apc = pod <= POD_CODES["non_elective"]
    n_readm = round(readmission_rate * nel.size)
    if n_readm:
        r = rng.choice(nel, size=n_readm, replace=False)
        # index spells: other admitted-care spells discharged early enough in the year
        candidate = apc.copy()
        candidate[r] = False
        candidate &= discharge <= start + 365 - 31 - 60
        pool = np.flatnonzero(candidate)
        k = min(n_readm, int(pool.size))
        r = r[:k]
        index = np.asarray(rng.choice(pool, size=k, replace=False), dtype=np.int64)
        los[r] = np.minimum(los[r], 60)
        admission[r] = discharge[index] + rng.integers(1, 31, k)
        discharge[r] = admission[r] + los[r]
        month0[r] = _month_index(discharge[r], month_start)
        patient[r] = patient[index]
        prov[r] = prov[index]
        comm[r] = comm[index]
        age[r] = age[index]
        readm[r] = record_id[index]

    coded = key >= 0
    safe = np.maximum(key, 0)
    hrg_key = np.where(coded & ~is_tfc[safe], key, -1)
    tfc_key = np.where(coded & is_tfc[safe], key, -1)
    ae_rows = pod == POD_CODES["ae"]
    ae_type = np.ones(n, dtype=np.int8)
    has34 = np.isfinite(table.unit_price[safe, AE_TYPE_3_4_COLUMN])
    ae_type[ae_rows & has34 & (rng.random(n) < 0.25)] = 3
    bpt_met = np.isfinite(table.bpt_price[safe]) & apc & (rng.random(n) < _BPT_MET_SHARE)
    frame = pd.DataFrame(
        {
            "record_id": record_id,
            "patient_id": patient,
            "commissioner": categorical(comm, comm_codes),
            "provider": categorical(prov, prov_codes),
            "pod": categorical(pod, POD_NAMES),
            "hrg": _key_cat(hrg_key, table.codes),
            "tfc": _key_cat(tfc_key, tuple(c.removeprefix(TFC_PREFIX) for c in table.codes)),
            "admission_date": admission.astype("datetime64[D]"),
            "discharge_date": discharge.astype("datetime64[D]"),
            "los_days": los,
            "age": age,
            "month": (month0 + 1).astype(np.int8),
            "year": categorical(np.zeros(n, dtype=np.int8), [str(fy)]),
            "ae_dept_type": ae_type,
            "bpt_met": bpt_met,
            "top_up_eligible": np.ones(n, dtype=bool),
            "readmission_of": pd.arrays.IntegerArray(np.maximum(readm, 0), readm < 0),
        }
    )
    return frame


def _month_index(
    day: npt.NDArray[np.int64], month_start: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    return np.clip(np.searchsorted(month_start, day, side="right") - 1, 0, 11).astype(np.int64)


def _key_cat(key: npt.NDArray[np.int32], codes: tuple[str, ...]) -> pd.Categorical[str]:
    """Categorical of the codes used (only the used categories are kept)."""
    used = np.unique(key[key >= 0])
    remap = np.full(len(codes) + 1, -1, dtype=np.int32)
    remap[used] = np.arange(used.size, dtype=np.int32)
    out = remap[np.where(key >= 0, key, len(codes))]
    return categorical(out, [codes[i] for i in used])


def _tariff_of(economy: Economy | None) -> TariffTable:
    if economy is None:
        raise ConfigError(
            "no economy and no tariff given", location="economy", fix="pass an economy or tariff="
        )
    return TariffTable.from_economy(economy)


def _parties(
    economy: Economy | None,
    providers: Sequence[str] | None,
    commissioners: Sequence[str] | None,
    *,
    check: bool = True,
) -> tuple[
    tuple[str, ...], tuple[str, ...], list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]
]:
    """Provider codes, commissioner codes and each provider's commissioner shares."""
    known_p: list[str] = []
    if economy is not None:
        known_p = [str(c) for c in economy.providers["code"]]
    if providers is None:
        if economy is None:
            raise ConfigError("no providers given", location="providers", fix="pass providers=")
        acute = economy.providers[economy.providers["kind"] == "acute"]["code"]
        prov = tuple(str(c) for c in (acute if len(acute) else economy.providers["code"]))
    else:
        prov = tuple(str(p) for p in providers)
        unknown = [p for p in prov if check and known_p and p not in known_p]
        if unknown:
            raise ConfigError(
                "providers not in the economy: " + summarise_items(unknown),
                location="providers",
                expected="codes such as " + summarise_items(known_p, first=3),
                fix="use provider codes of the economy",
            )
    if commissioners is not None:
        comm = tuple(str(c) for c in commissioners)
        share = np.full(len(comm), 1.0 / len(comm))
        if economy is not None:
            known_c = {str(c) for c in economy.commissioners["code"]}
            unknown = [c for c in comm if check and c not in known_c]
            if unknown:
                raise ConfigError(
                    "commissioners not in the economy: " + summarise_items(unknown),
                    location="commissioners",
                    fix="use commissioner codes of the economy",
                )
        per = [(np.arange(len(comm), dtype=np.int64), share) for _ in prov]
        if economy is not None:  # weight by catchment where it overlaps
            per = [_catchment(economy, p, comm) or (np.arange(len(comm)), share) for p in prov]
        return prov, comm, per
    if economy is None:
        raise ConfigError("no commissioners given", location="commissioners", fix="pass them")
    catch = economy.catchments
    comm = tuple(
        sorted(
            {
                str(c)
                for c in catch[catch["provider_code"].astype(str).isin(prov)]["commissioner_code"]
            }
        )
    )
    if not comm:
        comm = tuple(str(c) for c in economy.commissioners["code"])
    per = [
        _catchment(economy, p, comm) or (np.arange(len(comm)), np.full(len(comm), 1 / len(comm)))
        for p in prov
    ]
    return prov, comm, per


def _catchment(
    economy: Economy, provider: str, comm: tuple[str, ...]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
    catch = economy.catchments
    rows = catch[(catch["provider_code"].astype(str) == provider)]
    rows = rows[rows["commissioner_code"].astype(str).isin(comm)]
    if rows.empty or rows["share"].sum() <= 0:
        return None
    index = np.array([comm.index(str(c)) for c in rows["commissioner_code"]], dtype=np.int64)
    share = rows["share"].to_numpy(dtype=np.float64)
    return index, share / share.sum()


def synthetic_activity_for_contract(
    contract: Contract,
    economy: Economy,
    *,
    n_records: int,
    seed: int = 0,
    readmission_rate: float = 0.07,
) -> pd.DataFrame:
    """Synthetic activity for each line of *contract*, with a ``line_id`` column.

    Records are shared between the lines that cover some activity in proportion to their
    ``planned_activity`` when every such line gives one, else to ``planned_value_gbp``
    (equally where neither is given), and generated for each line's
    provider, commissioners and points of delivery, so every record is covered by its line.
    Each line's records come from its own random stream (``activity:line``, keyed by the line
    id), so adding a line does not change the records of the others.

    Raises:
        ConfigError: No line of the contract covers any point of delivery.
    """
    validate_seed(seed, location="seed")
    lines = [line for line in contract.lines if any(p in _ALL_MIX for p in line.pods)]
    if not lines:
        raise ConfigError(
            "the contract's lines cover no point of delivery (no activity to generate)",
            location="lines.pods",
            fix="add pods to the contract's lines, or generate without a contract",
        )
    # Records are units of activity, so planned activity (when every line gives it) is the
    # natural weight; otherwise planned value, otherwise equal shares.
    planned = np.array([float(line.planned_activity or 0.0) for line in lines])
    valued = np.array([float(line.planned_value_gbp or 0.0) for line in lines])
    if (planned > 0).all():
        weight = planned
    elif valued.sum() > 0:
        weight = valued
    else:
        weight = np.ones(len(lines))
    weight = np.where(weight > 0, weight, weight[weight > 0].min())
    counts = np.floor(n_records * weight / weight.sum()).astype(np.int64)
    counts[: n_records - int(counts.sum())] += 1
    frames = []
    offset = 0
    for line, count in zip(lines, counts.tolist(), strict=True):
        if count == 0:
            continue
        comms = (
            [line.commissioner] if line.commissioner else [c.code for c in contract.commissioners]
        )
        part = _generate(
            economy,
            n_records=count,
            year=contract.year,
            rng=stream(seed, "activity:line", line.id),
            tariff=None,
            providers=[contract.provider_of(line).code],
            commissioners=comms,
            readmission_rate=readmission_rate,
            pods=[p for p in line.pods if p in _ALL_MIX],
            check_codes=False,
        )
        part["record_id"] += offset
        part["patient_id"] += offset
        part["readmission_of"] += offset
        part.insert(1, "line_id", line.id)
        frames.append(part)
        offset += count
    out = pd.concat(frames, ignore_index=True)
    for column in ("commissioner", "provider", "pod", "hrg", "tfc", "year", "line_id"):
        out[column] = out[column].astype("category")
    return out
