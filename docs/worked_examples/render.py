"""Render every worked example (``docs/worked_examples/*.toml``) into ``docs/worked-examples.md``.

The same TOML files drive the golden tests (``tests/golden/test_worked_examples.py``), and a
golden test checks the committed markdown equals :func:`render`, so the docs cannot drift from the
tested numbers. Run after adding or changing an example::

    .venv/bin/python docs/worked_examples/render.py

Each example file has: ``title``, ``mechanism`` (registry name), ``function`` (module.function),
``rule_source``, ``numbers_source``, ``working`` (the hand calculation), ``[inputs]`` (keyword
arguments) and ``[expected]`` (result field → exact decimal string, or a list of them).
"""

from __future__ import annotations

import math
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from quasimarket.io import atomic_write_text
from quasimarket.mechanisms import REGISTRY
from quasimarket.mechanisms.alliance import CASE_B, CASE_B_YEARS, case_b_statement
from quasimarket.money import decimal_pence

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "worked-examples.md"
KIND_ORDER = ("unit_price", "payment_form", "adjustment", "contract", "practice")
KIND_TITLES = {
    "unit_price": "Unit prices",
    "payment_form": "Payment forms",
    "adjustment": "Adjustments",
    "contract": "Contract-level mechanisms",
    "practice": "GP practice payments",
}


def load_examples(folder: Path = HERE) -> list[tuple[Path, dict[str, Any]]]:
    """Every example file in ``folder``, sorted by file name, parsed."""
    return [
        (p, tomllib.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.toml"))
    ]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format(value, ",")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _money(value: float) -> str:
    if math.isnan(value):
        return ""
    pence = decimal_pence(value)
    if pence == 0:
        pence = Decimal("0.00")
    sign = "−" if pence < 0 else ""
    return f"{sign}£{abs(pence):,.2f}"


def _expected(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_expected(v) for v in value) + "]"
    if isinstance(value, str):
        amount = Decimal(value)
        sign = "−" if amount < 0 else ""
        return f"{sign}£{abs(amount):,.2f}"
    return _value(value)


def _example(path: Path, case: dict[str, Any]) -> list[str]:
    lines = [
        f"### {case['title']}",
        "",
        f"*File:* `docs/worked_examples/{path.name}` · *Function:* `{case['function']}`",
        "",
        f"*Rule source:* {case['rule_source']}",
        "",
        f"*Numbers:* {case['numbers_source']}",
        "",
        "| input | value |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {_value(v)} |" for k, v in case["inputs"].items()]
    lines += ["", "Working:", "", "```text", case["working"].strip(), "```", ""]
    lines += ["| result | expected |", "|---|---|"]
    lines += [f"| `{k}` | {_expected(v)} |" for k, v in case["expected"].items()]
    lines.append("")
    return lines


def _statement(year: str) -> list[str]:
    table = case_b_statement(year)
    head = ["party", *(c.replace("_", " ") for c in table.columns)]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(table.columns) + "|"]
    for party, row in table.iterrows():
        cells = [str(party), *(_money(float(v)) for v in row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _alliance_case_b() -> list[str]:
    lines = [
        "## Alliance case study B: gain/loss share statements",
        "",
        "Produced by `quasimarket.mechanisms.case_b_statement(year)` from "
        "`gain_loss_share.gain_loss_share`; the figures are checked by hand in "
        "`tests/golden/test_alliance_case_b.py`. Terms and their sources:",
        "",
    ]
    lines += [f"* **{key}**: {text}" for key, text in CASE_B.sources.items()]
    lines += [
        "",
        "Signs: *under/over spend* and *net position* are positive for an underspend or surplus. "
        "The commissioner's *step-in funding* is what it pays (negative); its *outcome pot lost* "
        "is the unearned pot it keeps. The *System* row is the column total; its net position is "
        'envelope − Σ actual costs (money is conserved). With `step_in_funds="all"` (the literal '
        "reading of the research) partners are better off 12% over plan than 5% over: a cliff "
        'edge at the 10% threshold; `case_b_statement(year, step_in_funds="excess")` removes it.',
        "",
    ]
    for key, year in CASE_B_YEARS.items():
        lines += [
            f"### Year {year.year_index}: {year.label} (`{key}`)",
            "",
            f"Actual costs {_value(list(year.actual_costs))}; demand over plan "
            f"{year.demand_over_plan:+.1%}; outcome achievement {year.outcome_achievement:.0%}.",
            "",
            *_statement(key),
            "",
        ]
    return lines


def render(folder: Path = HERE) -> str:
    """The full markdown for ``docs/worked-examples.md``."""
    examples = load_examples(folder)
    by_mechanism: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path, case in examples:
        by_mechanism.setdefault(case["mechanism"], []).append((path, case))
    lines = [
        "# Worked examples",
        "",
        "<!-- Generated by docs/worked_examples/render.py from docs/worked_examples/*.toml. "
        "Do not edit by hand. -->",
        "",
        "Every payment mechanism with hand-checked examples. Each example is a TOML file in "
        "`docs/worked_examples/`; the golden tests call the function with the inputs shown and "
        "compare each result, rounded to the penny (half away from zero), with the expected "
        "decimal exactly. Money is in pounds.",
        "",
    ]
    names = sorted(
        by_mechanism,
        key=lambda n: (
            KIND_ORDER.index(REGISTRY[n].kind) if n in REGISTRY else len(KIND_ORDER),
            n,
        ),
    )
    lines += ["Contents:", ""]
    for name in names:
        count = len(by_mechanism[name])
        title = REGISTRY[name].title if name in REGISTRY else name
        lines.append(f"* `{name}`: {title} ({count} example{'s' if count != 1 else ''})")
    lines += [
        "* Alliance case study B: gain/loss share statements (three years)",
        "",
    ]
    kind = None
    for name in names:
        mechanism = REGISTRY.get(name)
        this_kind = mechanism.kind if mechanism else "unregistered"
        if this_kind != kind:
            kind = this_kind
            lines += [f"## {KIND_TITLES.get(kind, 'Unregistered')}", ""]
        title = mechanism.title if mechanism else name
        lines += [f"### `{name}`: {title}", ""]
        if mechanism:
            lines += [f"Rule: {mechanism.rule_source}. Risk: {mechanism.risk_note}", ""]
        for path, case in by_mechanism[name]:
            lines += [
                "#" + line if line.startswith("### ") else line for line in _example(path, case)
            ]
    lines += _alliance_case_b()
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    """Write ``docs/worked-examples.md``."""
    atomic_write_text(OUTPUT, render())
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
