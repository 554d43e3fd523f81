"""The bridge from requests to the engines: economy, pricing, explain, downloads.

Nothing here models anything: it calls :func:`quasimarket.pricing.price`,
:func:`quasimarket.activity.synthetic_activity_for_contract`,
:func:`quasimarket.pricing.report.summary_payload` and friends, and keeps results on disk (per
user) with a small in-memory cache so a record's explanation does not re-price.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.activity import ActivityTable, load_activity, synthetic_activity_for_contract
from quasimarket.contracts import Contract, load_contract
from quasimarket.economy import Economy, load_real_economy, small_economy, synthetic_economy
from quasimarket.errors import ConfigError, InputError
from quasimarket.io import atomic_dir, atomic_write_bytes
from quasimarket.money import round_pence
from quasimarket.payment.input_files import parse_achievement, parse_performance
from quasimarket.payment.inputs import Achievement, Performance
from quasimarket.pricing import PricingResult, price
from quasimarket.pricing.report import summary_payload, write_outputs
from quasimarket.tariff import TariffTable
from quasimarket.web.config import MAX_ACTIVITY_BYTES
from quasimarket.web.storage import Workspace, new_id

__all__ = [
    "MAX_GENERATED_RECORDS",
    "check_activity_upload",
    "economy",
    "explain",
    "price_contract",
    "pricing_result",
    "statement_bytes",
    "tariff",
]

#: Most synthetic records the web app generates for one pricing.
MAX_GENERATED_RECORDS = 200_000
#: Bytes read from an activity upload (one more than allowed, to detect oversize files).
MAX_ACTIVITY_READ = MAX_ACTIVITY_BYTES + 1
_ACTIVITY_SUFFIX = {".csv": b"", ".parquet": b"PAR1", ".xlsx": b"PK\x03\x04"}
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[str, str], PricingResult] = OrderedDict()
_cache_lock = threading.Lock()


_build_lock = threading.Lock()


def economy(seed: int = 0, year: str = "2025/26") -> Economy:
    """The built-in small synthetic economy of *year* (built once, by one thread)."""
    with _build_lock:
        return _economy(seed, str(year))


def tariff(seed: int = 0, year: str = "2025/26") -> TariffTable:
    """The synthetic price catalogue of the built-in economy for *year* (built once, by one
    thread): a contract is priced at its own year's prices."""
    with _build_lock:
        return _tariff(seed, str(year))


@lru_cache(maxsize=8)
def _economy(seed: int, year: str = "2025/26") -> Economy:
    return small_economy(seed=seed, year=year)


#: Economies the economy view can show.
ECONOMY_SOURCES = ("england", "small", "real")


def economy_for_view(source: str, *, seed: int = 0, real_dir: Path | None = None) -> Economy:
    """The economy the economy view shows.

    ``"england"``: the built-in England-like economy (42 ICBs); ``"small"``: the one-ICB
    economy that pricing uses by default; ``"real"``: 2025/26 England built from the public
    files in *real_dir* (``quasimarket serve --real-data DIR``).

    Raises:
        ConfigError: unknown source, or ``"real"`` with no folder configured.
    """
    with _build_lock:
        if source == "england":
            return _england(seed)
        if source == "small":
            return _economy(seed)
        if source == "real":
            if real_dir is None:
                raise ConfigError(
                    "no real-data folder is configured for this server",
                    location="source",
                    expected="a server started with --real-data DIR",
                    fix="start it with `quasimarket serve --real-data DIR`, where DIR holds the "
                    "public NHS files (see docs/economy.md), or choose the built-in economy",
                )
            return _real(str(real_dir))
    raise ConfigError(
        f"unknown economy {source!r}",
        location="source",
        expected=", ".join(ECONOMY_SOURCES),
        fix="choose one of the listed economies",
    )


@lru_cache(maxsize=2)
def _england(seed: int) -> Economy:
    return synthetic_economy(seed=seed)


@lru_cache(maxsize=2)
def _real(path: str) -> Economy:
    return load_real_economy(path)


@lru_cache(maxsize=8)
def _tariff(seed: int, year: str) -> TariffTable:
    return TariffTable.from_economy(_economy(seed, year))


def check_activity_upload(filename: str, data: bytes) -> str:
    """The suffix of an activity upload after checking its size and type by content.

    Raises:
        InputError: too large, an unsupported suffix, or content that does not match it
            (Parquet starts with ``PAR1``, XLSX is a zip; CSV must be UTF-8 text without NUL).
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in _ACTIVITY_SUFFIX:
        raise InputError(
            f"unsupported activity file type {suffix or '(none)'}",
            file=Path(filename).name,
            expected="a .csv, .parquet or .xlsx file in the activity schema",
            fix="export the activity as CSV, Parquet or XLSX",
        )
    if len(data) > MAX_ACTIVITY_BYTES:
        raise InputError(
            f"activity file too large ({len(data):,} bytes)",
            file=Path(filename).name,
            expected=f"at most {MAX_ACTIVITY_BYTES:,} bytes",
            fix="price a smaller extract, or use `quasimarket price` on the command line",
        )
    magic = _ACTIVITY_SUFFIX[suffix]
    if magic and not data.startswith(magic):
        raise InputError(
            f"the file's content is not {suffix[1:].upper()}",
            file=Path(filename).name,
            expected=f"a {suffix} file",
            fix="upload the file in the format its name says",
        )
    if suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                "the CSV file is not UTF-8 text",
                file=Path(filename).name,
                expected="UTF-8 CSV",
                fix="save the file as CSV UTF-8",
            ) from None
        if "\x00" in text:
            raise InputError(
                "the CSV file contains NUL bytes (binary data)",
                file=Path(filename).name,
                expected="text",
                fix="upload the CSV itself",
            )
    return suffix


def price_contract(
    workspace: Workspace,
    contract_text: str,
    *,
    n_records: int = 5_000,
    activity_seed: int = 0,
    upload: tuple[str, bytes] | None = None,
    economy_seed: int = 0,
    achievement: Mapping[str, Any] | None = None,
    performance: Mapping[str, Any] | None = None,
) -> str:
    """Price a contract on generated (or uploaded) activity and store it; return its id.

    *achievement* and *performance* have the shape of the achievement and performance files
    (:mod:`quasimarket.payment.input_files`); they are stored with the pricing.

    Raises:
        ConfigError: bad contract text, record count, achievement or performance.
        InputError: bad activity upload, activity the contract does not cover, or a
            performance denominator that disagrees with the activity.
    """
    from quasimarket.contracts import parse_contract

    contract = parse_contract(contract_text, source="contract")
    achieved = (
        parse_achievement(achievement, contract, source="achievement")
        if achievement is not None
        else None
    )
    if not 1 <= n_records <= MAX_GENERATED_RECORDS:
        raise ConfigError(
            f"cannot generate {n_records:,} records",
            location="n_records",
            expected=f"1 to {MAX_GENERATED_RECORDS:,}",
            fix="choose a smaller number",
        )
    pricing_id = new_id()
    workspace.pricings.mkdir(parents=True, exist_ok=True)
    target = workspace.pricings / pricing_id
    with atomic_dir(target) as tmp:
        (tmp / "contract.toml").write_text(contract_text, encoding="utf-8")
        if upload is not None:
            suffix = check_activity_upload(*upload)
            raw = tmp / f"upload{suffix}"
            atomic_write_bytes(raw, upload[1])
            table = load_activity(raw)
            source: dict[str, Any] = {"activity": "upload", "file": Path(upload[0]).name}
            activity_file = raw.name
        else:
            frame = synthetic_activity_for_contract(
                contract,
                economy(economy_seed, str(contract.year)),
                n_records=n_records,
                seed=activity_seed,
            )
            frame.to_parquet(tmp / "activity.parquet", index=False)
            table = ActivityTable.from_frame(frame, file="generated activity")
            source = {"activity": "synthetic", "records": n_records, "seed": activity_seed}
            activity_file = "activity.parquet"
        performed = (
            parse_performance(performance, contract, table, source="performance")
            if performance is not None
            else None
        )
        for name, given in (("achievement", achievement), ("performance", performance)):
            if given is not None:
                (tmp / f"{name}.json").write_text(json.dumps(given), encoding="utf-8")
        result = _price(contract, table, economy_seed, achieved, performed)
        write_outputs(result, tmp / "out")
        options = {**source, "activity_file": activity_file, "economy_seed": economy_seed}
        (tmp / "options.json").write_text(json.dumps(options), encoding="utf-8")
        (tmp / "totals.json").write_text(
            json.dumps(summary_payload(result), ensure_ascii=False), encoding="utf-8"
        )
    _remember((workspace.user, pricing_id), result)
    return pricing_id


def _remember(key: tuple[str, str], result: PricingResult) -> None:
    with _cache_lock:
        _cache[key] = result
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def pricing_result(workspace: Workspace, pricing_id: str) -> PricingResult:
    """The pricing result (from the cache, or priced again from the stored inputs)."""
    folder = workspace.pricing(pricing_id)
    key = (workspace.user, pricing_id)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    options = json.loads((folder / "options.json").read_text(encoding="utf-8"))
    contract: Contract = load_contract(folder / "contract.toml")
    table = load_activity(folder / str(options["activity_file"]))
    achieved = performed = None
    if (folder / "achievement.json").exists():
        data = json.loads((folder / "achievement.json").read_text(encoding="utf-8"))
        achieved = parse_achievement(data, contract, source="achievement")
    if (folder / "performance.json").exists():
        data = json.loads((folder / "performance.json").read_text(encoding="utf-8"))
        performed = parse_performance(data, contract, table, source="performance")
    result = _price(contract, table, int(options.get("economy_seed", 0)), achieved, performed)
    _remember(key, result)
    return result


def _price(
    contract: Contract,
    table: ActivityTable,
    economy_seed: int,
    achievement: Achievement | None,
    performance: Performance | None,
) -> PricingResult:
    # Any: price() takes these objects from the payment pipeline change (issue 10)
    achieved: Any = achievement
    performed: Any = performance
    prices = tariff(economy_seed, str(contract.year))
    return price(contract, table, prices, achievement=achieved, performance=performed)


def summary(workspace: Workspace, pricing_id: str) -> dict[str, Any]:
    """The stored summary payload (totals, lines, breakdown, notes; £ rounded to pence)."""
    folder = workspace.pricing(pricing_id)
    payload: dict[str, Any] = json.loads((folder / "totals.json").read_text(encoding="utf-8"))
    payload["pricing_id"] = pricing_id
    payload["options"] = json.loads((folder / "options.json").read_text(encoding="utf-8"))
    return payload


def statement_frame(workspace: Workspace, pricing_id: str) -> pd.DataFrame:
    """The line × month statement as written (money rounded to pence)."""
    folder = workspace.pricing(pricing_id)
    return pd.read_csv(folder / "out" / "statement.csv")


def statement_bytes(workspace: Workspace, pricing_id: str, fmt: str) -> bytes:
    """The statement as ``csv`` or ``parquet`` bytes."""
    folder = workspace.pricing(pricing_id)
    if fmt == "csv":
        return (folder / "out" / "statement.csv").read_bytes()
    buffer = io.BytesIO()
    statement_frame(workspace, pricing_id).to_parquet(buffer, index=False)
    return buffer.getvalue()


def records_page(
    workspace: Workspace, pricing_id: str, offset: int = 0, limit: int = 50
) -> tuple[pd.DataFrame, int]:
    """A page of the per-record table (money rounded to pence) and the number of records."""
    records = pricing_result(workspace, pricing_id).records
    page = records.iloc[offset : offset + limit].copy()
    for column in page.columns:
        if column.endswith("_gbp"):
            page[column] = round_pence(page[column].to_numpy(dtype=np.float64))
    return page, len(records)


def explain(workspace: Workspace, pricing_id: str, record_id: str) -> dict[str, Any]:
    """Every rule that touched one record, with £ effect (to the penny) and source.

    Raises:
        InputError: no such record.
    """
    result = pricing_result(workspace, pricing_id)
    try:
        items = result.explain(record_id)
    except InputError:
        raise InputError(
            f"no record {record_id!r} in this pricing",
            location="record_id",
            expected="a record_id from the records table",
            fix="pick a record from the table",
        ) from None
    total = sum(a for _, a, _ in items)
    return {
        "pricing_id": pricing_id,
        "record_id": record_id,
        "items": [
            {"title": t, "amount_gbp": float(round_pence(a)), "source": s} for t, a, s in items
        ],
        "total_gbp": float(round_pence(total)),
    }
