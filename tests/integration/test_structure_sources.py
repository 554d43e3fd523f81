"""Every structure data entry is sourced: its verbatim quote occurs near the cited location.

Seed citations (``002@64221``) are checked against ``/work/shared/seeds`` (beside the shared
data folder): the quote must occur within ±3,000 characters of the cited offset. Citations of
``payment-rules.md`` sections (``payment-rules.md A4``) are checked against that section of
``/work/shared/domain/payment-rules.md``. Entries marked ``beyond_research`` cite sources outside
the seeds and are exempt from the quote check, but must say so in their source.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from quasimarket.structure._data import (
    DATA_FILES,
    iter_citations,
    payment_rule_sections,
    seed_locations,
)

pytestmark = pytest.mark.integration

WINDOW = 3_000
_DROP = str.maketrans(dict.fromkeys("‘’“”'\"*`|", ""))


def normalise(text: str) -> str:
    """Lower case, no quote marks/markdown emphasis/table bars, dashes unified, spaces collapsed."""
    text = text.translate(_DROP).replace("–", "-").replace("—", "-").lower()
    return " ".join(text.split())


@cache
def seed_text(folder: Path, doc: str) -> str:
    (path,) = folder.glob(f"{doc}_*.txt")
    return path.read_text(encoding="utf-8")


@cache
def rule_sections(path: Path) -> dict[str, str]:
    """payment-rules.md split at '### A4.' / '#### A1.3' headings, heading line included."""
    sections: dict[str, str] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{2,4}\s+(A\d+(?:\.\d+)?)\.?\s", line)
        if heading:
            current = heading.group(1)
        elif line.startswith("#"):
            current = None
        if current:
            sections[current] = sections.get(current, "") + line + "\n"
    return sections


def _cases() -> list[tuple[str, str, str, str, bool]]:
    return [(name, *entry) for name in DATA_FILES for entry in iter_citations(name)]


CASES = _cases()


def test_every_data_file_has_sourced_entries() -> None:
    counts = {name: sum(1 for case in CASES if case[0] == name) for name in DATA_FILES}
    assert all(count >= 5 for count in counts.values()), counts


@pytest.mark.parametrize(
    ("name", "where", "source", "quote", "beyond"),
    CASES,
    ids=[f"{c[0]}:{c[1]}" for c in CASES],
)
def test_quote_occurs_near_cited_source(
    shared_data: Path, name: str, where: str, source: str, quote: str, beyond: bool
) -> None:
    seeds = shared_data.parent / "seeds"
    rules_md = shared_data.parent / "domain" / "payment-rules.md"
    seeds_cited = seed_locations(source)
    sections_cited = payment_rule_sections(source)
    if beyond:
        assert "not in seeds" in source.lower(), (
            f"{name} {where}: beyond-research entry must say so"
        )
        return
    assert seeds_cited or sections_cited, (
        f"{name} {where}: no seed location or section in {source!r}"
    )
    assert quote.strip(), f"{name} {where}: missing quote"
    wanted = normalise(quote)
    places: list[str] = []
    for doc, offset in seeds_cited:
        text = seed_text(seeds, doc)
        assert offset < len(text), f"{name} {where}: offset {doc}@{offset} beyond end of seed"
        window = text[max(0, offset - WINDOW) : offset + WINDOW]
        if wanted in normalise(window):
            return
        places.append(f"{doc}@{offset}")
    sections = rule_sections(rules_md)
    for tag in sections_cited:
        assert tag in sections, f"{name} {where}: payment-rules.md has no section {tag}"
        if wanted in normalise(sections[tag]):
            return
        places.append(f"payment-rules.md {tag}")
    pytest.fail(f"{name} {where}: quote {quote!r} not found near {', '.join(places)}")


def test_checker_rejects_misplaced_or_invented_quotes(shared_data: Path) -> None:
    """The check can fail: a true quote cited at the wrong place, or an invented one."""
    text = seed_text(shared_data.parent / "seeds", "002")
    true_quote = (
        "Councils are accountable to PHE for the appropriate use of the public health grant"
    )
    offset = text.find("Councils are accountable to PHE")
    assert offset > 0
    near = normalise(text[max(0, offset - WINDOW) : offset + WINDOW])
    far = normalise(text[max(0, 100_000 - WINDOW) : 100_000 + WINDOW])
    assert normalise(true_quote) in near
    assert normalise(true_quote) not in far
    assert normalise("Councils are accountable to NHS England for the grant") not in near
