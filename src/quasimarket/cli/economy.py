"""CLI commands: ``economy describe`` and ``economy build`` (synthetic or real England)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from quasimarket.economy import Economy

SeedOption = Annotated[int, typer.Option("--seed", help="Random seed of the synthetic economy.")]
YearOption = Annotated[str, typer.Option("--year", help="Financial year, e.g. 2025/26.")]
LevelOption = Annotated[
    str | None,
    typer.Option("--level", help="Commissioners: ICB or CCG (default: ICB from 2022/23)."),
]
SmallOption = Annotated[
    bool, typer.Option("--small", help="The small economy (1 commissioner, 3 providers).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _economy(seed: int, year: str, level: str | None, real: Path | None, small: bool) -> Economy:
    from quasimarket.economy import load_real_economy, small_economy, synthetic_economy
    from quasimarket.economy.real import REAL_YEAR
    from quasimarket.errors import ConfigError
    from quasimarket.financial_year import FinancialYear

    if real is not None:
        if small or level is not None or FinancialYear.parse(year) != REAL_YEAR:
            raise ConfigError(
                "real England is built for 2025/26 only, from the files given",
                location="--real/--from",
                expected="no --small, --level or --year other than 2025/26 with --real/--from",
                fix="drop --small/--level/--year, or drop --real/--from for a synthetic economy",
            )
        return load_real_economy(real)
    if small:
        return small_economy(seed, year, level=level)
    return synthetic_economy(seed, year, level)


def register(app: typer.Typer) -> None:
    """Add the ``economy`` group to *app*."""
    group = typer.Typer(
        help="Build and describe health economies (synthetic England-like, or real England "
        "from the public NHS files).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="economy")

    @group.command("describe")
    def describe(
        seed: SeedOption = 0,
        year: YearOption = "2025/26",
        level: LevelOption = None,
        real: Annotated[
            Path | None,
            typer.Option("--real", help="Folder of public NHS files: describe real England."),
        ] = None,
        small: SmallOption = False,
        top: Annotated[int, typer.Option("--top", min=1, help="Commissioners listed.")] = 5,
        json_out: JsonOption = False,
    ) -> None:
        """Summarise an economy: counts, population and allocation, providers, prices."""
        from quasimarket.cli._output import emit_json
        from quasimarket.economy.describe import describe_economy

        summary = describe_economy(_economy(seed, year, level, real, small))
        if json_out:
            emit_json(summary)
        else:
            _print_summary(summary, top)

    @group.command("build")
    def build(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the economy to.")],
        source: Annotated[
            Path | None,
            typer.Option("--from", help="Folder of public NHS files: build real England."),
        ] = None,
        seed: SeedOption = 0,
        year: YearOption = "2025/26",
        level: LevelOption = None,
        small: SmallOption = False,
        json_out: JsonOption = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="Replace an earlier --out folder written by economy build (never other "
                "files).",
            ),
        ] = False,
    ) -> None:
        """Build an economy and write it (Parquet tables + economy.json) atomically to --out."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.economy import save_economy
        from quasimarket.economy.describe import describe_economy
        from quasimarket.economy.store import OUTPUT_COMMAND
        from quasimarket.io import prepare_output

        inputs = {"--from": source}
        prepare_output(out, command=OUTPUT_COMMAND, force=force, inputs=inputs)  # before work
        economy = _economy(seed, year, level, source, small)
        written = save_economy(economy, out, replace=force, inputs=inputs)
        summary = describe_economy(economy)
        if json_out:
            emit_json({"written": str(written), **summary})
            return
        _print_summary(summary, 5)
        console().print(f"written: {written}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _money(gbp: float) -> str:
    """£ in billions from £1bn, else in millions."""
    return f"£{gbp / 1e9:,.1f}bn" if abs(gbp) >= 1e9 else f"£{gbp / 1e6:,.1f}m"


def _print_summary(summary: dict[str, Any], top: int) -> None:
    """Human-readable summary tables (rich)."""
    from rich.table import Table

    from quasimarket.cli._output import console

    out = console()
    counts = summary["counts"]
    kind = "synthetic" if summary["synthetic"] else "real data"
    out.print(f"[bold]{summary['name']}[/] ({kind}), {summary['year']}")
    level = summary["commissioner_level"]
    out.print(
        ", ".join(
            [
                _count(counts["regions"], "region"),
                _count(counts["commissioners"], level, f"{level}s"),
                _count(counts["practices"], "practice"),
                _count(counts["providers"], "provider"),
                _count(counts["local_authorities"], "local authority", "local authorities"),
            ]
        )
    )
    out.print(
        f"population {summary['population'] / 1e6:,.2f}m; allocations "
        f"{_money(summary['allocation_gbp'])} "
        f"(£{summary['allocation_per_head_gbp']:,.0f} a head); public health grant "
        f"{_money(summary['public_health_grant_gbp'])}"
    )

    regions = Table(
        "region",
        "commissioners",
        "practices",
        "population (m)",
        "allocation (£bn)",
        "£ a head",
        title="By region",
    )
    for r in summary["regions"]:
        regions.add_row(
            f"{r['region_code']} {r['region_name']}",
            str(r["commissioners"]),
            f"{r['practices']:,}",
            f"{r['population'] / 1e6:,.2f}",
            f"{r['allocation_gbp'] / 1e9:,.2f}",
            f"{r['allocation_per_head_gbp']:,.0f}",
        )
    out.print(regions)

    rows = summary["commissioners"]
    shown = rows if len(rows) <= 2 * top else rows[:top] + rows[-top:]
    title = (
        "Commissioners"
        if len(shown) == len(rows)
        else (f"Commissioners: largest and smallest {top} of {len(rows)} (all with --json)")
    )
    comm = Table(
        "code",
        "name",
        "population",
        "need index",
        "allocation (£m)",
        "distance from target",
        title=title,
    )
    for c in shown:
        comm.add_row(
            c["code"],
            c["name"],
            f"{c['population']:,.0f}",
            f"{c['need_index']:.3f}",
            f"{c['allocation_gbp'] / 1e6:,.1f}",
            f"{c['distance_from_target']:+.1%}",
        )
    out.print(comm)

    providers = Table("kind", "providers", "beds", "elective spells", title="Providers by kind")
    for name, p in summary["providers_by_kind"].items():
        providers.add_row(
            name, str(p["providers"]), f"{p['beds']:,.0f}", f"{p['elective_capacity_spells']:,.0f}"
        )
    out.print(providers)

    las = Table(
        "kind",
        "authorities",
        "population (m)",
        "public health grant (£m)",
        title="Local authorities by kind",
    )
    for name, la in summary["local_authorities_by_kind"].items():
        las.add_row(
            name,
            str(la["authorities"]),
            f"{la['population'] / 1e6:,.2f}",
            f"{la['public_health_grant_gbp'] / 1e6:,.1f}",
        )
    out.print(las)

    t = summary["tariff"]

    def gbp(value: float | None) -> str:
        return "-" if value is None else f"£{value:,.0f}"

    out.print(
        f"Price catalogue: {t['apc_hrgs']:,} HRGs"
        f"{' (SYNTHETIC)' if t['synthetic_names'] else ''}; medians: day case "
        f"{gbp(t['median_day_case_gbp'])}, elective {gbp(t['median_elective_gbp'])}, "
        f"non-elective {gbp(t['median_non_elective_gbp'])}, excess bed day "
        f"{gbp(t['median_excess_bed_day_gbp'])}; {t['rsse_hrgs']} with short-stay emergency "
        f"price, {t['bpt_hrgs']} best-practice, {t['top_up_hrgs']} top-up eligible; "
        f"{t['outpatient_treatment_functions']} outpatient treatment functions, "
        f"{t['ae_hrgs']} A&E HRGs"
    )
