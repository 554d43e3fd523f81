"""CLI commands: ``price`` (price activity under a contract) and ``activity generate``."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from quasimarket.cli._output import console, emit_json
from quasimarket.errors import ConfigError
from quasimarket.money import round_pence

activity_app = typer.Typer(
    help="Activity data: load and check extracts, generate synthetic activity.",
    no_args_is_help=True,
)


def _economy(name: str, seed: int, year: str | None) -> Any:
    from quasimarket.economy import small_economy, synthetic_economy

    if name == "small":  # priced at the contract's year, as every economy is
        return small_economy(seed=seed, year=year or "2025/26")
    if name == "england":
        return synthetic_economy(seed=seed, year=year or "2025/26")
    raise ConfigError(
        f"unknown economy {name!r}",
        location="--economy",
        expected="small or england",
        fix="use --economy small or --economy england",
    )


def _achievement(value: str, contract: Any) -> Any:
    """``--achievement``: an achievement file, or one CQUIN share (0-1) for every goal."""
    from quasimarket.payment.input_files import load_achievement

    path = Path(value)
    if not path.exists():
        try:
            share = float(value)
        except ValueError:
            share = None
        if share is not None:  # the older form: one CQUIN achievement for every goal
            _finite(share, "--achievement")
            if not 0.0 <= share <= 1.0:
                raise ConfigError(
                    f"--achievement {value} is outside 0-1",
                    location="--achievement",
                    expected="an achievement file, or a CQUIN share between 0 and 1",
                    fix="give a share such as 0.9, or an achievement file (docs/pricing.md)",
                )
            return share
    return load_achievement(path, contract)


def _finite(value: float, option: str) -> None:
    if not math.isfinite(value):
        raise ConfigError(
            f"{option} {value} is not a finite number",
            location=option,
            expected="a finite number (not nan or inf)",
            fix=f"give {option} as a plain number",
        )


def _options(affordable: float | None, avoidable_share: float | None) -> None:
    """Check the numeric options before any work, so a bad one writes nothing."""
    if affordable is not None:
        _finite(affordable, "--affordable")
    if avoidable_share is not None:
        _finite(avoidable_share, "--avoidable-share")
        if not 0.0 <= avoidable_share <= 1.0:
            raise ConfigError(
                f"--avoidable-share {avoidable_share} is outside 0-1",
                location="--avoidable-share",
                expected="the share of readmissions judged avoidable, between 0 and 1",
                fix="give a share such as 0.5 (it applies where the contract's readmissions "
                "terms leave avoidable_share out)",
            )


def _pence(value: float) -> float:
    return float(round_pence(value))


def price_command(
    contract: Annotated[Path, typer.Argument(help="Contract file (TOML).")],
    activity: Annotated[
        list[Path],
        typer.Argument(
            help="Activity file(s) (CSV, Parquet or XLSX): the schema's columns or an extract "
            "(HES, SUS+, ECDS, SLAM; see --format). Several files are combined."
        ),
    ],
    tariff: Annotated[
        Path | None, typer.Option("--tariff", help="Tariff file or folder (Annex A shape).")
    ] = None,
    mff: Annotated[
        Path | None, typer.Option("--mff", help="MFF table replacing the tariff's.")
    ] = None,
    economy: Annotated[
        str, typer.Option(help="Synthetic price catalogue when no --tariff: small or england.")
    ] = "small",
    economy_seed: Annotated[int, typer.Option(help="Seed of the synthetic economy.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write statement.csv, records.parquet, totals.json."),
    ] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Explain one record id.")] = None,
    affordable: Annotated[
        float | None, typer.Option(help="What the commissioner can afford, £.")
    ] = None,
    achievement: Annotated[
        str | None,
        typer.Option(
            "--achievement",
            metavar="FILE",
            help="Achievement file (quasimarket.achievement/1): CQUIN per goal, capitation "
            "and alliance outcomes; or one CQUIN share 0-1 for every goal.",
        ),
    ] = None,
    avoidable_share: Annotated[
        float | None, typer.Option(help="Readmissions avoidable share 0-1.")
    ] = None,
    performance: Annotated[
        Path | None,
        typer.Option(
            "--performance",
            metavar="FILE",
            help="Performance file (quasimarket.performance/1): numerator/denominator or "
            "count per standard, for the contract, a provider or a line.",
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            metavar="FORMAT",
            help="How the activity's dates are written, e.g. '%d/%m/%Y' (default: recognise "
            "YYYY-MM-DD, YYYYMMDD or UK day-first DD/MM/YYYY; one format per column).",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="Extract format of the activity files: hes-apc, hes-op, hes-ae, sus-apc, "
            "ecds, slam or auto (recognise each file by its columns).",
        ),
    ] = "auto",
    refuse_non_contract: Annotated[
        bool,
        typer.Option(
            "--refuse-non-contract",
            help="Refuse activity for commissioners not on the contract (default: price it "
            "at the national tariff in a separate non-contract statement).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON totals and breakdown.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an earlier --out folder written by quasimarket price (never other "
            "files).",
        ),
    ] = False,
) -> None:
    """Price ACTIVITY under CONTRACT: itemised statement, per-record prices, explain."""
    from quasimarket.activity import load_activity
    from quasimarket.contracts import load_contract
    from quasimarket.io import prepare_output
    from quasimarket.payment.input_files import load_performance
    from quasimarket.pricing import price
    from quasimarket.pricing.report import OUTPUT_COMMAND, summary_payload, write_outputs
    from quasimarket.tariff import TariffTable, load_tariff

    achievement_file = Path(achievement) if achievement is not None else None
    inputs: dict[str, Path | None] = {
        "contract": contract,
        **{("activity" if k == 0 else f"activity {k + 1}"): p for k, p in enumerate(activity)},
        "--tariff": tariff,
        "--mff": mff,
        "--achievement": achievement_file
        if achievement_file and achievement_file.exists()
        else None,
        "--performance": performance,
    }
    _options(affordable, avoidable_share)
    if out is not None:  # before any work: never replace the user's own files or the inputs
        prepare_output(out, command=OUTPUT_COMMAND, force=force, inputs=inputs)
    terms = load_contract(contract)
    table = load_activity(activity, date_format=_date_format(date_format), fmt=fmt)
    achieved = _achievement(achievement, terms) if achievement is not None else None
    # Any: price() takes a Performance from the payment pipeline change (issue 10)
    performed: Any = (
        load_performance(performance, terms, table) if performance is not None else None
    )
    if tariff is not None:
        prices = load_tariff(tariff, mff=mff)
    else:
        prices = TariffTable.from_economy(_economy(economy, economy_seed, str(terms.year)))
        if mff is not None:
            from quasimarket.tariff import load_mff

            prices = prices.with_mff(load_mff(mff), file=str(mff))
    result = price(
        terms,
        table,
        prices,
        affordable=affordable,
        achievement=achieved,
        avoidable_share=avoidable_share,
        performance=performed,
        non_contract="refuse" if refuse_non_contract else "price",
    )
    items = result.explain(explain) if explain is not None else None
    if out is not None:
        write_outputs(result, out, replace=force, inputs=inputs)
    payload = summary_payload(result)
    if items is not None:
        payload["explain"] = {
            "record_id": explain,
            "items": [{"title": t, "amount_gbp": _pence(a), "source": s} for t, a, s in items],
            "total_gbp": _pence(sum(a for _, a, _ in items)),
        }
    if as_json:
        emit_json(payload)
        return
    _print_summary(payload, out)


def _date_format(value: str | None) -> str | None:
    """``--date-format``: a strftime format with at least a day, a month and a year."""
    if value is None:
        return None
    has_month = any(m in value for m in ("%m", "%b", "%B"))
    if "%d" not in value or not has_month or not any(y in value for y in ("%Y", "%y")):
        raise ConfigError(
            f"--date-format {value!r} does not name a day, a month and a year",
            location="--date-format",
            expected="a strftime format such as '%d/%m/%Y', '%Y-%m-%d' or '%d %b %Y'",
            fix="write the format with %d (day), %m or %b (month) and %Y (year)",
        )
    return value


def _print_summary(payload: dict[str, Any], out: Path | None) -> None:
    con = console()
    con.print(f"[bold]{payload['contract']}[/] ({payload['year']}): {payload['records']:,} records")
    table = Table("line", "mechanism", "activity", "formal £", "settled £")
    for row in payload["lines"]:
        table.add_row(
            row["line_id"],
            row["mechanism"],
            f"{row['activity']:,.0f}",
            f"{row['formal_gbp']:,.2f}",
            f"{row['settled_gbp']:,.2f}",
        )
    con.print(table)
    rules = Table("rule", "£", "source")
    for row in payload["breakdown"]:
        rules.add_row(row["title"], f"{row['amount_gbp']:,.2f}", row["source"])
    con.print(rules)
    t = payload["totals"]
    con.print(
        f"formal outturn £{t['formal_gbp']:,.2f}; settled £{t['settled_gbp']:,.2f}; "
        f"gap £{t['settlement_gap_gbp']:,.2f}"
    )
    for note in payload["notes"]:
        con.print(f"[yellow]note:[/] {note}")
    if "non_contract" in payload:
        nca = Table("commissioner", "activity", "£ at tariff", title="non-contract activity")
        for row in payload["non_contract"]["by_commissioner"]:
            nca.add_row(row["commissioner"], f"{row['activity']:,.0f}", f"{row['formal_gbp']:,.2f}")
        con.print(nca)
    if "explain" in payload:
        ex = payload["explain"]
        et = Table("rule", "£", "source", title=f"record {ex['record_id']}")
        for item in ex["items"]:
            et.add_row(item["title"], f"{item['amount_gbp']:,.2f}", item["source"])
        et.add_row("[bold]total (settled)[/]", f"{ex['total_gbp']:,.2f}", "")
        con.print(et)
    if out is not None:
        extra = ", non_contract_statement.csv" if "non_contract" in payload else ""
        con.print(f"wrote {out}/ (statement.csv, records.parquet, totals.json{extra})")


#: The command recorded in a generated activity file's output marker.
GENERATE_COMMAND = "activity generate"
#: The formats ``activity generate`` writes, by file suffix.
ACTIVITY_SUFFIXES = (".parquet", ".csv", ".xlsx")
#: Rows in one Excel worksheet, the header row included.
XLSX_MAX_ROWS = 1_048_576


def _activity_bytes(frame: Any, suffix: str) -> bytes:
    """*frame* as the bytes of a ``.parquet``, ``.csv`` or ``.xlsx`` file."""
    if suffix == ".csv":
        return bytes(frame.to_csv(index=False).encode("utf-8"))
    buffer = io.BytesIO()
    if suffix == ".xlsx":
        frame.to_excel(buffer, index=False, engine="openpyxl")
    else:
        frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _activity_suffix(out: Path, n: int) -> str:
    """The format ``--out`` asks for, by its suffix (checked before any work)."""
    suffix = out.suffix.lower()
    if suffix not in ACTIVITY_SUFFIXES:
        raise ConfigError(
            f"cannot write activity as '{out.suffix or out.name}': unknown file type",
            file=out,
            location="--out",
            expected="a file name ending .parquet, .csv or .xlsx",
            fix=f"name the output e.g. {out.with_suffix('.parquet').name}",
        )
    if suffix == ".xlsx" and n > XLSX_MAX_ROWS - 1:
        raise ConfigError(
            f"{n:,} records do not fit in one Excel worksheet",
            file=out,
            location="--n",
            expected=f"at most {XLSX_MAX_ROWS - 1:,} records for .xlsx",
            fix="write .parquet or .csv, or generate fewer records",
        )
    return suffix


def generate_command(
    out: Annotated[
        Path,
        typer.Option("--out", help="Output file: .parquet, .csv or .xlsx (by its suffix)."),
    ],
    n: Annotated[int, typer.Option("--n", help="Number of records.")] = 10_000,
    year: Annotated[
        str | None, typer.Option(help="Financial year (with --contract: the contract's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the activity.")] = 0,
    economy: Annotated[str, typer.Option(help="small or england.")] = "small",
    economy_seed: Annotated[int, typer.Option(help="Seed of the synthetic economy.")] = 0,
    contract: Annotated[
        Path | None, typer.Option(help="Generate for this contract's parties and pods.")
    ] = None,
    readmission_rate: Annotated[
        float, typer.Option(help="Share of emergency spells that are readmissions.")
    ] = 0.07,
    force: Annotated[
        bool,
        typer.Option(
            help="Replace an earlier --out file written by quasimarket activity generate "
            "(never other files)."
        ),
    ] = False,
) -> None:
    """Generate synthetic activity in the activity schema."""
    from quasimarket.activity import synthetic_activity, synthetic_activity_for_contract
    from quasimarket.io import prepare_output, write_output_file

    inputs = {"--contract": contract}
    prepare_output(out, command=GENERATE_COMMAND, kind="file", force=force, inputs=inputs)
    suffix = _activity_suffix(out, n)
    if contract is not None:
        from quasimarket.contracts import load_contract

        terms = load_contract(contract)
        year = str(terms.year)
        frame = synthetic_activity_for_contract(
            terms,
            _economy(economy, economy_seed, year),
            n_records=n,
            seed=seed,
            readmission_rate=readmission_rate,
        )
    elif year is None:
        raise ConfigError(
            "give --year (or --contract)", location="--year", fix="e.g. --year 2016/17"
        )
    else:
        frame = synthetic_activity(
            _economy(economy, economy_seed, year),
            n_records=n,
            year=year,
            seed=seed,
            readmission_rate=readmission_rate,
        )
    data = _activity_bytes(frame, suffix)
    write_output_file(out, data, command=GENERATE_COMMAND, force=force, inputs=inputs)
    console().print(f"wrote {len(frame):,} records for {year} to {out}")


def register(app: typer.Typer) -> None:
    """Add ``price`` and the ``activity`` group to *app*."""
    from quasimarket.cli.activity import load_command

    app.command("price")(price_command)
    activity_app.command("generate")(generate_command)
    activity_app.command("load")(load_command)
    app.add_typer(activity_app, name="activity")
