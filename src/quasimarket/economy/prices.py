"""A synthetic HRG-like national price catalogue in the Annex A shape.

The catalogue is generated, never copied: every price is drawn from a lognormal distribution
per HRG chapter whose medians were chosen to give realistic magnitudes (day case about
£500-£3,000, ordinary elective about £1,500-£15,000, non-elective about £500-£12,000, trim
points mostly 2-60 days, excess bed days £200-£450) [K]. Those magnitudes were cross-checked
(in a test only) against the public 2015/16 reference costs and the 2017/18 trim points in
``/work/shared/data``. HRG codes follow the HRG4+ *shape* (chapter letter, sub-chapter letter,
two digits, split letter) but all use sub-chapter letter ``S`` (for "synthetic"), which no real
HRG4+ code uses, so they can never be mistaken for real codes; every name starts
``"Synthetic"``.

Column names come from :mod:`quasimarket.tariff.annex_a`. Conventions of these tables:

* prices are in £ excluding MFF, whole pounds; a blank (NaN) price means "no national price
  for this point of delivery";
* an HRG with a *combined* day case / elective price has blank day case and elective prices;
* percentages (RSSE %, top-up %) are fractions: ``0.25`` means 25%;
* ``RSSE_APPLICABLE`` is ``"Yes"`` or ``"No"`` as in the published workbook;
* ``BPT_PRICE`` is blank when no best-practice tariff applies; ``TOP_UP_CATEGORY`` is blank
  when the HRG is not eligible for a specialised top-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quasimarket.financial_year import FinancialYear
from quasimarket.random_streams import stream
from quasimarket.tariff import annex_a as A  # noqa: N812

__all__ = [
    "CATALOGUE_BASE_YEAR",
    "CHAPTERS",
    "PRICE_GROWTH",
    "TOP_UP_CATEGORIES",
    "TREATMENT_FUNCTIONS",
    "ae_table",
    "apc_table",
    "mff_table",
    "outpatient_table",
    "synthetic_tariff",
    "top_up_table",
]

#: The year whose price level the medians below describe.
CATALOGUE_BASE_YEAR = 2025
#: Annual change in national prices, applied back and forward from the base year [K:
#: approximate net of the cost uplift and efficiency factor].
PRICE_GROWTH = 0.02

#: HRG chapters: letter, synthetic description, number of HRG roots, median ordinary elective
#: price (£, base year) and the share of roots that are procedures (have day-case prices) [K:
#: chosen so that the whole catalogue reproduces the spread of reference-cost unit costs].
CHAPTERS: tuple[tuple[str, str, int, float, float], ...] = (
    ("A", "nervous system", 35, 5040.0, 0.45),
    ("B", "eyes and periorbita", 20, 1800.0, 0.85),
    ("C", "mouth, head, neck and ears", 30, 2760.0, 0.75),
    ("D", "respiratory system", 30, 3840.0, 0.35),
    ("E", "cardiac surgery and primary cardiac conditions", 35, 6240.0, 0.50),
    ("F", "digestive system", 40, 3360.0, 0.60),
    ("G", "hepatobiliary and pancreatic system", 20, 5040.0, 0.55),
    ("H", "musculoskeletal system", 45, 5760.0, 0.75),
    ("J", "skin, breast and burns", 30, 2640.0, 0.75),
    ("K", "endocrine and metabolic system", 15, 3120.0, 0.35),
    ("L", "urinary tract and male reproductive system", 35, 3600.0, 0.65),
    ("M", "female reproductive system", 20, 3120.0, 0.75),
    ("N", "obstetrics", 15, 2400.0, 0.30),
    ("P", "paediatric medicine", 40, 2760.0, 0.30),
    ("S", "haematology and chemotherapy", 20, 3600.0, 0.35),
    ("V", "multiple trauma and emergency", 15, 7800.0, 0.30),
    ("W", "immunology, infectious disease and poisoning", 25, 3000.0, 0.25),
    ("Y", "vascular procedures and interventional radiology", 25, 4800.0, 0.70),
)

#: Specialised top-up categories and the range of their % uplift [K: payment-rules.md A1.4,
#: "up to 30%" (2011/12) and the four pre-2017 areas; synthetic codes].
TOP_UP_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("STU-NEURO", "neurosciences"),
    ("STU-ORTHO", "orthopaedics"),
    ("STU-PAED", "children's services"),
    ("STU-SPINAL", "spinal surgery"),
    ("STU-CARDIAC", "cardiac"),
    ("STU-CANCER", "cancer"),
)
_TOP_UP_CHAPTERS = {"STU-NEURO": "A", "STU-ORTHO": "H", "STU-PAED": "P", "STU-SPINAL": "H"}

#: Treatment functions for outpatient attendance prices: the public NHS Data Dictionary
#: treatment function codes and names (a classification, not prices).
TREATMENT_FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("100", "General Surgery"),
    ("101", "Urology"),
    ("103", "Breast Surgery"),
    ("104", "Colorectal Surgery"),
    ("107", "Vascular Surgery"),
    ("110", "Trauma and Orthopaedics"),
    ("120", "Ear Nose and Throat"),
    ("130", "Ophthalmology"),
    ("140", "Oral Surgery"),
    ("150", "Neurosurgery"),
    ("160", "Plastic Surgery"),
    ("170", "Cardiothoracic Surgery"),
    ("191", "Pain Management"),
    ("300", "General Internal Medicine"),
    ("301", "Gastroenterology"),
    ("302", "Endocrinology"),
    ("303", "Clinical Haematology"),
    ("314", "Rehabilitation Medicine"),
    ("320", "Cardiology"),
    ("330", "Dermatology"),
    ("340", "Respiratory Medicine"),
    ("361", "Nephrology"),
    ("370", "Medical Oncology"),
    ("400", "Neurology"),
    ("410", "Rheumatology"),
    ("420", "Paediatrics"),
    ("430", "Elderly Medicine"),
    ("501", "Obstetrics"),
    ("502", "Gynaecology"),
    ("650", "Physiotherapy"),
    ("654", "Dietetics"),
    ("800", "Clinical Oncology"),
)

_SPLITS = "ABCDE"


def _year_factor(year: FinancialYear) -> float:
    return float((1.0 + PRICE_GROWTH) ** (year.start - CATALOGUE_BASE_YEAR))


def apc_table(rng: np.random.Generator, year: FinancialYear) -> pd.DataFrame:
    """The admitted patient care sheet: one row per synthetic HRG (about 1,500 rows).

    Args:
        rng: Random stream (the same stream gives the same catalogue).
        year: Financial year; prices scale by :data:`PRICE_GROWTH` a year from 2025/26.

    Returns:
        A frame with ``APC_COLUMNS + APC_OPTIONAL_COLUMNS``.
    """
    letters = np.array([c[0] for c in CHAPTERS])
    chapter_names = np.array([c[1] for c in CHAPTERS])
    n_roots = np.array([c[2] for c in CHAPTERS])
    medians = np.array([c[3] for c in CHAPTERS])
    procedural_share = np.array([c[4] for c in CHAPTERS])

    # Roots: chapter, root number, base price, procedure flag, number of splits.
    root_chapter = np.repeat(np.arange(len(CHAPTERS)), n_roots)
    root_number = np.concatenate([np.arange(1, n + 1) for n in n_roots])
    n_root = root_chapter.size
    base = medians[root_chapter] * rng.lognormal(0.0, 0.65, n_root)
    procedure = rng.random(n_root) < procedural_share[root_chapter]
    n_splits = rng.choice(np.array([1, 2, 3, 4, 5]), n_root, p=[0.12, 0.18, 0.25, 0.25, 0.20])

    # HRGs: one row per (root, split); split A carries the most complications (highest price).
    hrg_root = np.repeat(np.arange(n_root), n_splits)
    first_of_root = np.concatenate(([0], np.cumsum(n_splits)[:-1]))
    split = np.arange(hrg_root.size) - np.repeat(first_of_root, n_splits)
    splits_here = n_splits[hrg_root]
    n = hrg_root.size
    split_letter = np.where(splits_here == 1, "Z", np.array(list(_SPLITS))[split])
    chapter = root_chapter[hrg_root]
    codes = np.char.add(
        np.char.add(letters[chapter], "S"),
        np.char.add(np.char.zfill(root_number[hrg_root].astype(str), 2), split_letter),
    )
    proc = procedure[hrg_root]
    kind = np.where(proc, "procedure", "condition")
    names = [
        f"Synthetic {chapter_names[c]} {k} {r:02d}"
        + ("" if s == "Z" else f", complication level {_SPLITS.index(s) + 1}")
        for c, k, r, s in zip(chapter, kind, root_number[hrg_root], split_letter, strict=True)
    ]

    split_mult = np.exp(0.35 * ((splits_here - 1) / 2.0 - split))
    elective = base[hrg_root] * split_mult * rng.lognormal(0.0, 0.10, n)
    elective *= _year_factor(year)

    # Day case: procedures mostly have one; a few medical HRGs do too.
    has_dc = np.where(proc, rng.random(n) < 0.90, rng.random(n) < 0.35)
    day_case = elective * np.where(proc, rng.uniform(0.25, 0.60, n), rng.uniform(0.15, 0.35, n))
    # Non-elective: most HRGs; medical conditions cost more as emergencies.
    has_nel = np.where(proc, rng.random(n) < 0.75, rng.random(n) < 0.97)
    non_elective = elective * np.where(proc, rng.uniform(0.85, 1.35, n), rng.uniform(0.55, 1.10, n))
    # Some medical HRGs have no elective price at all (emergency-only).
    has_el = np.where(proc, True, rng.random(n) < 0.80)
    has_nel |= ~(has_dc | has_el)  # every HRG has at least one admitted price
    # A combined day case / elective price replaces both for some procedures.
    combined_flag = has_dc & has_el & proc & (rng.random(n) < 0.30)
    combined = 0.65 * day_case + 0.35 * elective

    el_trim = np.clip(
        np.round(5.0 * rng.lognormal(0.0, 0.55, n) * (elective / elective.mean()) ** 0.25), 2, 60
    )
    nel_trim = np.clip(
        np.round(12.0 * rng.lognormal(0.0, 0.80, n) * (non_elective / non_elective.mean()) ** 0.3),
        2,
        90,
    )
    excess = np.clip(330.0 * rng.lognormal(0.0, 0.20, n), 200.0, 450.0) * _year_factor(year)

    rsse_applicable = has_nel & (rng.random(n) < 0.45)
    rsse_pct = np.round(rng.uniform(0.30, 0.80, n), 2)

    def money(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        return np.where(present, np.round(values), np.nan)

    frame = pd.DataFrame(
        {
            A.HRG_CODE: codes.astype(str),
            A.HRG_NAME: names,
            A.OP_PROCEDURE: money(
                day_case * rng.uniform(0.20, 0.50, n), proc & has_dc & (rng.random(n) < 0.2)
            ),
            A.COMBINED_DC_EL: money(combined, combined_flag),
            A.DAY_CASE: money(day_case, has_dc & ~combined_flag),
            A.ELECTIVE: money(elective, has_el & ~combined_flag),
            A.ELECTIVE_TRIM: np.where(has_el, el_trim, np.nan),
            A.NON_ELECTIVE: money(non_elective, has_nel),
            A.NON_ELECTIVE_TRIM: np.where(has_nel, nel_trim, np.nan),
            A.EXCESS_BED_DAY: np.round(excess),
            A.RSSE_APPLICABLE: np.where(rsse_applicable, "Yes", "No"),
            A.RSSE_PERCENT: np.where(rsse_applicable, rsse_pct, np.nan),
            A.RSSE_PRICE: money(np.round(non_elective) * rsse_pct, rsse_applicable),
        }
    )

    # Best-practice tariffs on a dozen non-elective or elective HRGs: the BPT price is the
    # price paid when the best-practice criteria are met [payment-rules.md A1.3; K: level].
    bpt = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(has_nel | (has_el & ~combined_flag))
    bpt[rng.choice(candidates, size=min(12, candidates.size), replace=False)] = True
    standard = np.where(has_nel, non_elective, elective)
    bpt_number = np.cumsum(bpt)
    frame[A.BPT_LEVEL] = pd.Series(np.where(bpt, "HRG", "")).where(bpt, None)
    frame[A.BPT_NAME] = [
        f"Synthetic best practice {k:02d}" if b else None
        for b, k in zip(bpt, bpt_number, strict=True)
    ]
    frame[A.BPT_PRICE] = money(standard * rng.uniform(1.05, 1.20, n), bpt)

    # Specialised top-up eligibility: about 8% of HRGs, concentrated in matching chapters.
    categories = np.array([c[0] for c in TOP_UP_CATEGORIES])
    preferred = {letter: code for code, letter in _TOP_UP_CHAPTERS.items()}
    pick = categories[rng.integers(0, categories.size, n)]
    own = np.array([preferred.get(str(letters[c]), "") for c in chapter])
    category = np.where(own != "", own, pick)
    eligible = rng.random(n) < np.where(own != "", 0.25, 0.04)
    frame[A.TOP_UP_CATEGORY] = pd.Series(category).where(eligible, None)
    return frame.sort_values(A.HRG_CODE, kind="stable").reset_index(drop=True)


def outpatient_table(rng: np.random.Generator, year: FinancialYear) -> pd.DataFrame:
    """Outpatient attendance prices by treatment function (first and follow-up, £).

    First attendances about £120-£400; follow-ups 1.5-2.2 times cheaper [K: payment-rules.md A2
    "first attendance ≈ 1.5-2 × follow-up price"].
    """
    n = len(TREATMENT_FUNCTIONS)
    first = np.clip(200.0 * rng.lognormal(0.0, 0.30, n), 110.0, 420.0) * _year_factor(year)
    follow = first / rng.uniform(1.5, 2.2, n)
    return pd.DataFrame(
        {
            A.TFC_CODE: [c for c, _ in TREATMENT_FUNCTIONS],
            A.TFC_NAME: [f"Synthetic {name}" for _, name in TREATMENT_FUNCTIONS],
            A.OP_FIRST: np.round(first),
            A.OP_FOLLOW_UP: np.round(follow),
        }
    )


def ae_table(rng: np.random.Generator, year: FinancialYear) -> pd.DataFrame:
    """A&E prices for VB01Z-VB11Z and VB99Z by department type (£).

    The emergency-medicine HRG codes VB01Z-VB11Z, VB99Z are the national currency
    [payment-rules.md A3]; their prices here are synthetic: type 1/2 falling from about £370
    (VB01Z, most investigation and treatment) to about £75 (VB11Z), VB99Z about £70; type 3/4
    one lower flat price of about £65-£85 [K].
    """
    codes = [f"VB{k:02d}Z" for k in range(1, 12)] + ["VB99Z"]
    level = np.arange(11)
    type12 = 370.0 * (75.0 / 370.0) ** (level / 10.0) * rng.lognormal(0.0, 0.04, 11)
    type12 = np.append(type12, 70.0 * rng.lognormal(0.0, 0.04))
    type34 = np.minimum(type12, rng.uniform(65.0, 85.0))
    factor = _year_factor(year)
    names = [f"Synthetic emergency medicine, category {k:02d}" for k in range(1, 12)]
    names.append("Synthetic emergency medicine, dead on arrival or no treatment")
    return pd.DataFrame(
        {
            A.AE_HRG_CODE: codes,
            A.AE_HRG_NAME: names,
            A.AE_TYPE_1_2: np.round(type12 * factor),
            A.AE_TYPE_3_4: np.round(type34 * factor),
        }
    )


def top_up_table(rng: np.random.Generator) -> pd.DataFrame:
    """Specialised top-up categories with their % uplift as fractions (0.10-0.30) [K: A1.4]."""
    pct = np.round(rng.uniform(0.10, 0.30, len(TOP_UP_CATEGORIES)), 2)
    return pd.DataFrame(
        {A.TOP_UP_CATEGORY_CODE: [c for c, _ in TOP_UP_CATEGORIES], A.TOP_UP_PERCENT: pct}
    )


def mff_table(providers: pd.DataFrame) -> pd.DataFrame:
    """The MFF sheet: one row per provider, from the ``providers`` table's ``mff`` column."""
    return pd.DataFrame(
        {
            A.MFF_ORG_CODE: providers["code"].to_numpy(),
            A.MFF_ORG_NAME: providers["name"].to_numpy(),
            A.MFF_INDEX: providers["mff"].to_numpy(dtype=float),
        }
    )


def synthetic_tariff(
    seed: int, year: FinancialYear | str, providers: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The whole synthetic catalogue: ``apc, outpatient, ae, mff, top_up`` tables.

    The HRG list and relative prices depend only on *seed*, so every year and every economy
    built from the same seed shares one catalogue; *year* scales the price level.
    """
    fy = FinancialYear.parse(year)
    return {
        "apc": apc_table(stream(seed, "tariff:apc"), fy),
        "outpatient": outpatient_table(stream(seed, "tariff:outpatient"), fy),
        "ae": ae_table(stream(seed, "tariff:ae"), fy),
        "mff": mff_table(providers),
        "top_up": top_up_table(stream(seed, "tariff:top_up")),
    }
