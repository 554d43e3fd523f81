"""Who commissions what, when: the worked examples of the brief, matching, ambiguity."""

from __future__ import annotations

import pytest

from quasimarket.errors import ConfigError
from quasimarket.structure import find_service, services, who_commissions

pytestmark = pytest.mark.unit


def ids(service: str, year: int | str) -> list[str]:
    return [body.id for body in who_commissions(service, year).bodies]


def test_sexual_health_2016_local_authority_grant() -> None:
    answer = who_commissions("sexual health services", 2016)
    assert [b.id for b in answer.bodies] == ["local_authority"]
    assert "public health grant" in answer.arrangement
    assert "ring-fenced" in answer.arrangement
    assert "002@64221" in answer.source
    assert not answer.ambiguities
    assert not answer.beyond_research


def test_sexual_health_2010_pct() -> None:
    assert ids("sexual health", 2010) == ["pct"]


@pytest.mark.parametrize(("year", "body"), [(2014, "nhs_england"), (2016, "local_authority")])
def test_children_0_5_public_health_moves_2015(year: int, body: str) -> None:
    assert ids("0–5 children's public health", year) == [body]
    assert ids("health visiting", year) == [body]


def test_primary_medical_care_2016_co_commissioning() -> None:
    answer = who_commissions("primary medical care", 2016)
    assert answer.statutory is not None
    assert answer.statutory.id == "nhs_england"
    assert {b.id for b in answer.bodies} == {"nhs_england", "ccg"}
    levels = {level.level: level for level in answer.levels}
    assert [levels[i].name for i in (1, 2, 3)] == [
        "Greater involvement",
        "Joint commissioning",
        "Delegated authority",
    ]
    assert [levels[i].ccgs_april_2015 for i in (1, 2, 3)] == [58, 87, 64]
    assert sum(level.ccgs_april_2015 or 0 for level in answer.levels) == 209
    assert levels[3].ccgs_2016_17 == 115
    assert "002@159093" in answer.source
    assert "002@155960" in answer.source


def test_primary_medical_care_2014_nhse_only() -> None:
    assert ids("GP services", 2014) == ["nhs_england"]
    assert who_commissions("GP services", 2014).levels == ()


def test_out_of_hours_2014_ambiguity() -> None:
    answer = who_commissions("out-of-hours care", 2014)
    assert len(answer.ambiguities) == 1
    ambiguity = answer.ambiguities[0]
    assert set(ambiguity.bodies) == {"ccg", "nhs_england"}
    assert "002@64221" in ambiguity.sources
    assert "002@54597" in ambiguity.sources


def test_specialised_2016_nhse() -> None:
    assert ids("specialised services", 2016) == ["nhs_england"]


def test_elective_1993_ha_and_fundholders() -> None:
    assert ids("elective care", 1993) == ["health_authority", "gp_fundholder"]


def test_elective_eras() -> None:
    assert ids("elective care", 1999) == ["pcg"]
    assert ids("elective care", 2003) == ["pct"]
    assert ids("elective care", 2008) == ["pct", "pbc_group"]
    assert ids("elective care", 2016) == ["ccg"]


def test_pcg_date_ambiguity_shown_in_1997_only() -> None:
    early = who_commissions("mental health", 1997)
    assert any("1999" in a.note for a in early.ambiguities)
    assert not who_commissions("mental health", 1999).ambiguities


def test_pct_date_ambiguity_2001() -> None:
    assert any("2003" in a.note for a in who_commissions("maternity", 2001).ambiguities)
    assert not who_commissions("maternity", 2005).ambiguities


def test_icb_replaces_ccg_beyond_research() -> None:
    answer = who_commissions("A&E", 2023)
    assert [b.id for b in answer.bodies] == ["icb"]
    assert answer.beyond_research
    assert "not in seeds" in answer.source
    assert ids("A&E", 2021) == ["ccg"]
    assert not who_commissions("A&E", 2021).beyond_research


def test_three_way_split_obesity_with_ambiguity() -> None:
    answer = who_commissions("tier 3 obesity", 2016)
    assert {b.id for b in answer.bodies} == {"local_authority", "ccg", "nhs_england"}
    assert set(answer.ambiguities[0].bodies) == {"ccg", "local_authority"}


def test_undescribed_year_is_answered_not_invented() -> None:
    answer = who_commissions("prison health", 2005)
    assert not answer.described
    assert answer.bodies == ()
    assert "do not say" in answer.note


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        ("A&E", "urgent_emergency_care"),
        ("accident and emergency", "urgent_emergency_care"),
        ("Accident & Emergency services", "urgent_emergency_care"),
        ("GP services", "primary_medical_care"),
        ("primary medical services", "primary_medical_care"),
        ("SEXUAL HEALTH", "sexual_health"),
        ("sexual health service", "sexual_health"),
        ("Mental Health Services", "mental_health"),
        ("specialised service", "specialised_services"),
        ("dental", "dental"),
        ("health visitors", "children_0_5_public_health"),
        ("stop smoking services", "public_health_improvement"),
    ],
)
def test_forgiving_matching(text: str, service_id: str) -> None:
    assert find_service(text).id == service_id


def test_unknown_service_lists_closest() -> None:
    with pytest.raises(ConfigError) as caught:
        who_commissions("sexual helth", 2016)
    error = caught.value
    assert "unknown service 'sexual helth'" in error.problem
    assert error.fix is not None
    assert "Sexual health services" in error.fix
    assert "quasimarket services" in error.fix


@pytest.mark.parametrize("year", [1990, 2026, "20x6"])
def test_bad_year(year: object) -> None:
    with pytest.raises(ConfigError):
        who_commissions("A&E", year)  # type: ignore[arg-type]


def test_services_by_year() -> None:
    assert len(services()) >= 20
    in_1993 = {s.id for s in services(1993)}
    assert "elective_care" in in_1993
    assert "hiv_treatment" not in in_1993
    assert "hiv_treatment" in {s.id for s in services(2016)}


def test_to_dict_carries_sources() -> None:
    data = who_commissions("out of hours", 2014).to_dict()
    assert data["year"] == "2014/15"
    assert data["source"]
    assert data["quote"]
    assert {b["id"] for b in data["ambiguities"][0]["bodies"]} == {"ccg", "nhs_england"}
