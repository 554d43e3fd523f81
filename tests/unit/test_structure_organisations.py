"""Organisation types and eras: existence by year, lookup, the package data files."""

from __future__ import annotations

from importlib import resources

import pytest

from quasimarket.errors import ConfigError, InputError
from quasimarket.structure import era_of, eras, find_org_type, org_types
from quasimarket.structure._data import DATA_FILES, parse_model
from quasimarket.structure.eras import ErasFile
from quasimarket.structure.organisations import OrgTypesFile

pytestmark = pytest.mark.unit


def present(year: int) -> dict[str, bool]:
    return {org.id: org.beyond_research for org in org_types(year)}


def test_2005_has_pct_and_sha_not_ccg() -> None:
    found = present(2005)
    assert "pct" in found
    assert "sha" in found
    assert "pbc_group" in found
    assert "ccg" not in found
    assert "nhs_england" not in found


def test_2023_has_icb_marked_beyond_research() -> None:
    found = present(2023)
    assert found["icb"] is True
    assert "ccg" not in found
    assert "pct" not in found
    assert found["nhs_england"] is False


@pytest.mark.parametrize(
    ("org", "first", "last"),
    [
        ("health_authority", 1991, 2001),
        ("gp_fundholder", 1991, 1996),
        ("pcg", 1997, 1999),
        ("pct", 2000, 2012),
        ("sha", 2002, 2012),
        ("ccg", 2013, 2021),
        ("icb", 2022, 2025),
        ("nhs_england", 2013, 2025),
        ("monitor", 2004, 2015),
        ("nhs_improvement", 2016, 2021),
        ("cma", 2014, 2025),
        ("cqc", 2008, 2025),
        ("stp", 2016, 2020),
        ("ics", 2018, 2025),
    ],
)
def test_existence_periods(org: str, first: int, last: int) -> None:
    years = [y for y in range(1991, 2026) if org in present(y)]
    assert (years[0], years[-1]) == (first, last)
    assert years == list(range(first, last + 1))


def test_brief_timeline_covered() -> None:
    ids = {org.id for org in org_types()}
    for needed in [
        "health_authority",
        "gp_fundholder",
        "total_purchasing_pilot",
        "pcg",
        "pct",
        "pbc_group",
        "sha",
        "ccg",
        "nhs_england",
        "nhse_local_area_team",
        "nhse_area_team",
        "nhse_regional_team",
        "csu",
        "phe",
        "local_authority",
        "hwb",
        "monitor",
        "nhs_improvement",
        "cqc",
        "cma",
        "vanguard",
        "stp",
        "accountable_care",
        "ics",
        "integrated_care_partnership",
        "integrated_care_provider",
        "icb",
    ]:
        assert needed in ids


def test_known_ambiguities_recorded() -> None:
    notes = {org.id: org.ambiguity.note for org in org_types() if org.ambiguity}
    assert "1999" in notes["pcg"]
    assert "2003" in notes["pct"]
    assert "2002" in notes["health_authority"]
    quasi = eras()[0].ambiguity
    assert quasi is not None
    assert "1990" in quasi.note


@pytest.mark.parametrize(
    "text", ["CCG", "ccgs", "Clinical Commissioning Group", "clinical commissioning groups"]
)
def test_find_org_type(text: str) -> None:
    assert find_org_type(text).id == "ccg"


def test_find_org_type_unknown_suggests() -> None:
    with pytest.raises(ConfigError) as caught:
        find_org_type("NHS Englnd")
    assert "nhs england" in (caught.value.fix or "").lower()


def test_eras_contiguous_and_lookup() -> None:
    items = eras()
    assert items[0].start == 1991
    assert items[-1].end is None
    assert items[-1].beyond_research
    assert era_of(2016).id == "five_year_forward_view"
    assert era_of(1993).id == "internal_market"
    assert era_of("2013/14").id == "hsca_2012"


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_files_ship_as_package_resources(name: str) -> None:
    resource = resources.files("quasimarket.structure").joinpath("data", name)
    assert resource.is_file()
    assert resource.read_text("utf-8").strip()


_ORG = """
[[org_type]]
id = "ccg"
name = "Clinical Commissioning Group"
category = "commissioner"
role = "Commissions care."
start = 2013
source = "002@53914"
quote = "every GP practice in England became a member"
"""


def test_org_file_valid_snippet_parses() -> None:
    data = parse_model(_ORG, OrgTypesFile, file="orgs.toml", what="organisation types file")
    assert data.org_type[0].exists_in(2013)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('category = "commissioner"', 'category = "purchaser"'), "org_type.0.category"),
        (
            ('quote = "every GP practice in England became a member"', 'quote = "member"'),
            "4 to 15 words",
        ),
        (('source = "002@53914"', 'source = "a blog"'), "seed location"),
        (("start = 2013", "start = 2013\nend = 2010"), "must be after start"),
        (("start = 2013", "start = 2013\nfounded = 2013"), "org_type.0.founded: unknown key"),
    ],
)
def test_malformed_org_file_reported(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_model(
            _ORG.replace(*change), OrgTypesFile, file="orgs.toml", what="organisation types file"
        )
    message = caught.value.render()
    assert message.startswith("orgs.toml")
    assert expected in message


def test_malformed_eras_gap_reported() -> None:
    text = """
[[era]]
id = "a"
name = "A"
start = 1991
end = 1997
key_changes = ["x"]
source = "002@46034"
quote = "Provision of care split from purchasing"

[[era]]
id = "b"
name = "B"
start = 1998
key_changes = ["y"]
source = "002@46034"
quote = "Provision of care split from purchasing"
"""
    with pytest.raises(InputError) as caught:
        parse_model(text, ErasFile, file="eras.toml", what="eras file")
    assert "ends in 1997 but 'b' starts in 1998" in caught.value.render()
