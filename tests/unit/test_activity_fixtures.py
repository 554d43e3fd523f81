"""Worked examples on committed extracts, one per documented layout (``tests/fixtures/activity``):
HES APC, OP and A&E, a SUS+ PbR spell extract, ECDS and a SLAM monitoring file, each loaded
with ``--format auto`` and priced by hand.

Tariff (``tests/fixtures/activity/tariff``, Annex A shape): HRG AA01A day case £800, elective
£2,000, non-elective £1,000, trim points 100 days, excess bed day £200, no short-stay price;
TFC 100 first attendance £150, follow-up £80; A&E VB01Z £120 (type 1/2), £60 (type 3/4).
The contract pays each kind of activity at tariff; emergency readmissions deduct 50%.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quasimarket.activity import load_activity
from quasimarket.activity.formats import detect_format
from quasimarket.contracts import parse_contract
from quasimarket.pricing import PricingResult, price
from quasimarket.tariff import load_tariff
from quasimarket.vocabulary import POD_NAMES

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "activity"

CONTRACT = (FIXTURES / "contract.toml").read_text(encoding="utf-8")


READMISSIONS = '[[lines.adjustments]]\nrule = "readmissions"\navoidable_share = 0.5\n'


def priced(*names: str, year: str = "2016/17") -> PricingResult:
    text = CONTRACT.replace('year = "2016/17"', f'year = "{year}"')
    if year != "2016/17":  # the national readmissions rule ended with 2018/19
        text = text.replace(READMISSIONS, "")
    table = load_activity([FIXTURES / n for n in names])
    return price(parse_contract(text), table, load_tariff(FIXTURES / "tariff"))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("hes_apc.csv", "hes-apc"),
        ("hes_op.csv", "hes-op"),
        ("hes_ae.csv", "hes-ae"),
        ("sus_apc.csv", "sus-apc"),
        ("ecds.csv", "ecds"),
        ("slam.csv", "slam"),
    ],
)
def test_each_fixture_is_recognised_as_its_layout(name: str, fmt: str) -> None:
    header = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert detect_format(header) == fmt


def test_hes_apc_by_hand() -> None:
    """1001 elective £2,000; 1002 is not the spell's last episode (SPELEND N): left out;
    1003 emergency £1,000, a readmission of 1001 (admitted 15 days after its discharge):
    −£500; 1004 admimeth 12 classpat 2 LOS 0: day case £800; 1005 emergency LOS 103 against
    a 100-day trim point: £1,000 + 3 x £200 = £1,600. Tariff £5,400, formal £4,900."""
    result = priced("hes_apc.csv")
    totals = result.totals()
    assert totals["tariff_gbp"] == pytest.approx(5400.0)
    assert totals["excess_bed_days_gbp"] == pytest.approx(600.0)
    assert totals["readmissions_gbp"] == pytest.approx(-500.0)
    assert totals["formal_gbp"] == pytest.approx(4900.0)
    assert result.activity.record_id.tolist() == [1001, 1003, 1004, 1005]
    assert any("ignored" in n and "STARTAGE" in n and "MYDOB" in n for n in result.notes)


def test_hes_op_by_hand() -> None:
    """2001 first £150 (WF01B is an attendance HRG, not a procedure); 2002 follow-up seen late
    (attended 6) £80; 2003 telephone follow-up (firstatt 4) £80; 2004 not attended (3): not
    paid; 2005 is QX99's, not on the contract: £150 non-contract. Formal £310."""
    result = priced("hes_op.csv")
    assert result.totals()["formal_gbp"] == pytest.approx(310.0)
    assert result.non_contract is not None
    assert result.non_contract.totals()["formal_gbp"] == pytest.approx(150.0)
    assert [POD_NAMES[p] for p in result.activity.pod] == [
        "op_first",
        "op_follow_up",
        "op_follow_up",
    ]


def test_hes_ae_by_hand() -> None:
    """3001 type 1 department £120, 3002 type 3 £60: £180."""
    assert priced("hes_ae.csv").totals()["formal_gbp"] == pytest.approx(180.0)


def test_hes_apc_op_and_ae_together() -> None:
    """The three HES files of one trust priced as one: £4,900 + £310 + £180 = £5,390, and
    QX99's £150 non-contract."""
    result = priced("hes_apc.csv", "hes_op.csv", "hes_ae.csv")
    assert result.totals()["formal_gbp"] == pytest.approx(5390.0)
    assert result.non_contract is not None
    assert result.non_contract.totals()["formal_gbp"] == pytest.approx(150.0)


def test_sus_pbr_spell_extract_by_hand() -> None:
    """A1 elective £2,000; A2 emergency £1,000 readmitting A1 (15 days): −£500; A3 day case
    £800. Formal £3,300."""
    totals = priced("sus_apc.csv").totals()
    assert totals["readmissions_gbp"] == pytest.approx(-500.0)
    assert totals["formal_gbp"] == pytest.approx(3300.0)


def test_ecds_by_hand() -> None:
    """2019/20: E1 and E3 type 1 £120 each, E2 type 3 £60: £300."""
    assert priced("ecds.csv", year="2019/20").totals()["formal_gbp"] == pytest.approx(300.0)


def test_slam_counted_rows_by_hand() -> None:
    """Counted rows (Activity): 2 electives £4,000, 3 emergency spells £3,000, 10 first
    attendances £1,500, 20 follow-ups £1,600, 4 day cases £3,200: £13,300. With no patient ids
    the readmissions rule cannot find readmissions, and says so."""
    result = priced("slam.csv")
    assert len(result.activity) == 2 + 3 + 10 + 20 + 4
    assert result.totals()["formal_gbp"] == pytest.approx(13300.0)
    assert any("neither patient_id nor readmission_of" in n for n in result.notes)
