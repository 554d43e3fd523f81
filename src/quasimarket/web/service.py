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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from quasimarket.activity import ActivityTable, load_activity, synthetic_activity_for_contract
from quasimarket.contracts import Contract, load_contract
from quasimarket.economy import Economy, load_real_economy, small_economy, synthetic_economy
from quasimarket.errors import ConfigError, InputError, QuasimarketError
from quasimarket.io import atomic_dir
from quasimarket.money import round_pence
from quasimarket.payment.input_files import parse_achievement, parse_performance
from quasimarket.payment.inputs import Achievement, Performance
from quasimarket.pricing import PricingResult, price
from quasimarket.pricing.report import summary_payload, write_outputs
from quasimarket.tariff import TariffTable, load_tariff
from quasimarket.web.config import MAX_TARIFF_BYTES
from quasimarket.web.storage import Workspace, new_id

__all__ = [
    "MAX_GENERATED_RECORDS",
    "Upload",
    "check_activity_upload",
    "economy",
    "explain",
    "price_contract",
    "pricing_result",
    "stage_upload",
    "statement_bytes",
    "tariff",
]

#: Most synthetic records the web app generates for one pricing.
MAX_GENERATED_RECORDS = 200_000
_ACTIVITY_SUFFIX = {".csv": b"", ".parquet": b"PAR1", ".xlsx": b"PK\x03\x04"}
_TARIFF_SUFFIX = {".csv": b"", ".xlsx": b"PK\x03\x04"}
#: Bytes copied at a time from an upload to disk.
_CHUNK = 1024 * 1024
#: Bytes of a CSV upload checked for UTF-8 and NUL before it is read (the reader checks all).
_SNIFF = 64 * 1024
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


@dataclass(frozen=True)
class Upload:
    """A file a user uploaded, already streamed to disk (:func:`stage_upload`).

    Attributes:
        filename: The name the user gave it (messages use it, never the server path).
        path: Where it was written.
        size: Bytes.
    """

    filename: str
    path: Path
    size: int


def stage_upload(source: BinaryIO, filename: str, folder: Path, *, budget: int) -> Upload:
    """Copy an upload to *folder* in chunks, counting bytes; refuse it past *budget*.

    The upload is never held whole in memory; a refused upload leaves nothing behind.

    Raises:
        InputError: the upload is larger than *budget* bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{new_id()}{Path(filename).suffix.lower()}"
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise InputError(
                        f"the uploads are larger than the server's limit ({budget:,} bytes "
                        "left for this file)",
                        file=Path(filename).name,
                        expected="uploads within the limit (quasimarket serve --max-upload-mb)",
                        fix="upload a smaller extract, ask for a larger --max-upload-mb, or "
                        "use `quasimarket price` on the command line",
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Upload(Path(filename).name, target, size)


def _check_kind(upload: Upload, suffixes: Mapping[str, bytes], what: str) -> str:
    """The suffix of *upload* after checking its type by content (magic bytes; CSV: UTF-8
    text without NUL in its first bytes, the reader checks the rest)."""
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in suffixes:
        raise InputError(
            f"unsupported {what} file type {suffix or '(none)'}",
            file=upload.filename,
            expected="a " + ", ".join(suffixes) + f" file ({what})",
            fix=f"export the {what} as " + " or ".join(k[1:].upper() for k in suffixes),
        )
    with upload.path.open("rb") as f:
        head = f.read(_SNIFF)
    magic = suffixes[suffix]
    if magic and not head.startswith(magic):
        raise InputError(
            f"the file's content is not {suffix[1:].upper()}",
            file=upload.filename,
            expected=f"a {suffix} file",
            fix="upload the file in the format its name says",
        )
    if suffix == ".csv":
        if b"\x00" in head:
            raise InputError(
                "the CSV file contains NUL bytes (binary data)",
                file=upload.filename,
                expected="text",
                fix="upload the CSV itself",
            )
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # not just a character cut at the sniff's end
                raise InputError(
                    "the CSV file is not UTF-8 text",
                    file=upload.filename,
                    expected="UTF-8 CSV",
                    fix="save the file as CSV UTF-8",
                ) from None
    return suffix


def check_activity_upload(upload: Upload) -> str:
    """The suffix of an activity upload (.csv, .parquet, .xlsx) after checking its content.

    Raises:
        InputError: an unsupported suffix, or content that does not match it (Parquet starts
            with ``PAR1``, XLSX is a zip; CSV must be UTF-8 text without NUL).
    """
    return _check_kind(upload, _ACTIVITY_SUFFIX, "activity")


def check_tariff_upload(upload: Upload) -> str:
    """The suffix of a tariff upload (.csv or .xlsx, Annex A or NHS Payment Scheme layout).

    Raises:
        InputError: an unsupported suffix, content that does not match it, or too large.
    """
    if upload.size > MAX_TARIFF_BYTES:
        raise InputError(
            f"tariff file too large ({upload.size:,} bytes)",
            file=upload.filename,
            expected=f"at most {MAX_TARIFF_BYTES:,} bytes",
            fix="upload the published tariff workbook or its CSV tables",
        )
    return _check_kind(upload, _TARIFF_SUFFIX, "tariff")


def price_contract(
    workspace: Workspace,
    contract_text: str,
    *,
    n_records: int = 5_000,
    activity_seed: int = 0,
    uploads: Sequence[Upload] = (),
    tariff_uploads: Sequence[Upload] = (),
    economy_seed: int = 0,
    achievement: Mapping[str, Any] | None = None,
    performance: Mapping[str, Any] | None = None,
) -> str:
    """Price a contract on generated (or uploaded) activity and store it; return its id.

    *uploads* are activity files in any extract format (``quasimarket.activity.formats``),
    combined as ``quasimarket price`` combines them; *tariff_uploads* are a tariff workbook or
    its CSV tables (APC, outpatients, A&E, MFF: each recognised by its header), read as
    ``quasimarket tariff check`` reads them (without any, the built-in economy's price
    catalogue prices). All are moved into the pricing's folder.

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
        tariff_file = None
        if len(tariff_uploads) == 1:
            tariff_file = f"tariff{check_tariff_upload(tariff_uploads[0])}"
            tariff_uploads[0].path.replace(tmp / tariff_file)
        elif tariff_uploads:  # a folder of tables, as `price --tariff FOLDER` reads
            tariff_file = "tariff"
            (tmp / tariff_file).mkdir()
            for k, upload in enumerate(tariff_uploads):
                upload.path.replace(
                    tmp / tariff_file / f"table-{k + 1}{check_tariff_upload(upload)}"
                )
        activity_files: list[str] = []
        if uploads:
            names = [u.filename for u in uploads]
            for k, upload in enumerate(uploads):
                stored = "upload" + ("" if len(uploads) == 1 else f"-{k + 1}")
                activity_files.append(stored + check_activity_upload(upload))
                upload.path.replace(tmp / activity_files[-1])
            table = load_activity([tmp / f for f in activity_files], labels=names)
            source: dict[str, Any] = {"activity": "upload", "file": ", ".join(names)}
            if len(uploads) > 1:
                source["files"] = names
            activity_file: str | list[str] = (
                activity_files[0] if len(activity_files) == 1 else activity_files
            )
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
        tariff_names = ", ".join(u.filename for u in tariff_uploads)
        if tariff_file is not None:
            prices = _uploaded_tariff(tmp / tariff_file, tariff_names)
        else:
            prices = tariff(economy_seed, str(contract.year))
        result = _price(contract, table, prices, achieved, performed)
        write_outputs(result, tmp / "out")
        options = {**source, "activity_file": activity_file, "economy_seed": economy_seed}
        if tariff_file is not None:
            options |= {"tariff": tariff_names, "tariff_file": tariff_file}
        (tmp / "options.json").write_text(json.dumps(options), encoding="utf-8")
        (tmp / "totals.json").write_text(
            json.dumps(summary_payload(result), ensure_ascii=False), encoding="utf-8"
        )
    _remember((workspace.user, pricing_id), result)
    return pricing_id


def _uploaded_tariff(path: Path, filename: str) -> TariffTable:
    """Load an uploaded tariff (a file, or a folder of its tables); its errors name the
    file(s) as the user uploaded them."""
    try:
        return load_tariff(path)
    except QuasimarketError as error:
        error.file = filename
        error.args = (error.render(),)
        raise


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
    stored = options["activity_file"]
    files = [stored] if isinstance(stored, str) else list(stored)
    labels = options.get("files") or ([options["file"]] if "file" in options else None)
    table = load_activity([folder / f for f in files], labels=labels)
    achieved = performed = None
    if (folder / "achievement.json").exists():
        data = json.loads((folder / "achievement.json").read_text(encoding="utf-8"))
        achieved = parse_achievement(data, contract, source="achievement")
    if (folder / "performance.json").exists():
        data = json.loads((folder / "performance.json").read_text(encoding="utf-8"))
        performed = parse_performance(data, contract, table, source="performance")
    prices = (
        load_tariff(folder / str(options["tariff_file"]))
        if "tariff_file" in options
        else tariff(int(options.get("economy_seed", 0)), str(contract.year))
    )
    result = _price(contract, table, prices, achieved, performed)
    _remember(key, result)
    return result


def _price(
    contract: Contract,
    table: ActivityTable,
    prices: TariffTable,
    achievement: Achievement | None,
    performance: Performance | None,
) -> PricingResult:
    # Any: price() takes these objects from the payment pipeline change (issue 10)
    achieved: Any = achievement
    performed: Any = performance
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
