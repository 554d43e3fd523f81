"""``docs/input-validation.md``, generated from the schema table so the docs cannot drift from it.

Regenerate with ``python -m quasimarket.validation.docs > docs/input-validation.md``.
"""

from __future__ import annotations

from quasimarket.validation.activity import CROSS_CHECKS
from quasimarket.validation.dates import _FAMILIES
from quasimarket.validation.schema import ALL_BOUNDS, EARLIEST_DATE, LATEST_DATE

__all__ = ["render_markdown"]

_HEAD = """\
# Input validation

Every input table goes through one validation layer (`src/quasimarket/validation/`) before any
money is computed. A value outside a **hard limit** refuses the file: exit code 2, one message
naming the file, the column, the rows, what was expected and how to fix it, and nothing
written. A value outside a **plausibility limit** is priced as given, and the output's notes
say how many rows and which ones, so nothing implausible passes silently.

Non-finite numbers (`inf`, `-inf`) are refused in every numeric column; a blank is accepted
only where the column is optional. Checks run on the values as read, before narrowing to the
compiled integer types, so an age of 65,566 is refused rather than wrapping round.

This page is generated from `src/quasimarket/validation/schema.py`
(`python -m quasimarket.validation.docs > docs/input-validation.md`); a test checks it is current.
"""


def _limit(value: float | None) -> str:
    return "" if value is None else f"{value:,g}"


def render_markdown() -> str:
    """The whole page."""
    out = [_HEAD]
    for table, bounds in ALL_BOUNDS.items():
        out.append(f"\n## {table}\n")
        out.append("| column | unit | refused outside | note outside | why |")
        out.append("|---|---|---|---|---|")
        for bound in bounds.values():
            hard = bound.describe_hard()
            warn = bound.describe_warn() or "-"
            out.append(f"| `{bound.column}` | {bound.unit} | {hard} | {warn} | {bound.why} |")
    out.append("\n## Checks between columns (activity)\n")
    out.append("| check | rule | outcome |")
    out.append("|---|---|---|")
    out.extend(f"| {name} | {rule} | {outcome} |" for name, rule, outcome in CROSS_CHECKS)
    out.append("\n## Dates\n")
    out.append(
        "`--date-format FORMAT` (a `strftime` format such as `%d/%m/%Y`) says how the date "
        "columns are written; every non-blank cell must match it. Without it, each column's "
        "format is recognised from its values, one format per column:\n"
    )
    out.extend(f"- {name}" for name in _FAMILIES)
    out.append(
        "\nSlashed dates are read **day first** (UK). A column whose slashed dates can only be "
        "month first (`12/25/2016`) is refused with the fix (`--date-format '%m/%d/%Y'`), and "
        "so is a column that mixes formats: dates decide the month and the financial year, so "
        f"a misread one moves money. Dates before {EARLIEST_DATE} (the NHS began) or from "
        f"{LATEST_DATE} are refused.\n"
    )
    out.append("\n## Tariff files\n")
    out.append(
        "- A folder with two tables of the same kind (two APC sheets) is refused, naming both.\n"
        "- An MFF table that lacks a provider priced at national tariff is refused (the "
        "published table has every trust). A tariff with no MFF table prices at 1.000 with a "
        "note naming the providers.\n"
        "- Percentages (short-stay RSSE, specialised top-up) are read as shares (0.46) or "
        "points (46) and refused above 100%.\n"
    )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
