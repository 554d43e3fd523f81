"""The schema table: every numeric input column's hard and plausibility limits, in one place.

Each limit says where it comes from: the NHS Data Dictionary or a payment rule where one
exists, [K] where the limit is our judgement of what cannot be real (an overridable default in
spirit: widen it here, with a reason, if a genuine record falls outside).
``docs/input-validation.md`` is generated from these tables (a unit test checks it is current).
"""

from __future__ import annotations

from quasimarket.validation.bounds import Bound

__all__ = [
    "ACTIVITY_BOUNDS",
    "ALL_BOUNDS",
    "APC_TARIFF_BOUNDS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MFF_BOUNDS",
    "OTHER_TARIFF_BOUNDS",
]

#: Activity dates before the NHS began (5 July 1948) or this far ahead are typing errors [K].
EARLIEST_DATE = "1948-07-05"
LATEST_DATE = "2100-01-01"

ACTIVITY_BOUNDS: dict[str, Bound] = {
    "age": Bound(
        "activity",
        "age",
        "years",
        refuse_below=0,
        refuse_above=130,
        warn_above=115,
        whole=True,
        why="age in whole years at admission (SUS startage); no one has lived past 122 [K]",
        fix="correct those ages (whole years, e.g. 67)",
    ),
    "los_days": Bound(
        "activity",
        "los_days",
        "days",
        refuse_below=0,
        refuse_above=3653,
        warn_above=365,
        whole=True,
        why="length of stay in days (HES spelldur); over 10 years is a unit or typing error, "
        "over a year is rare enough to check [K]",
        fix="correct the length of stay (days between admission and discharge), or drop the "
        "column and give both dates",
    ),
    "month": Bound(
        "activity",
        "month",
        "(1 = April)",
        refuse_below=1,
        refuse_above=12,
        whole=True,
        why="month of the financial year, 1 = April, 12 = March",
        fix="give the month of the financial year, 1 (April) to 12 (March)",
    ),
    "count": Bound(
        "activity",
        "count",
        "units",
        refuse_below=1,
        refuse_above=10_000_000,
        whole=True,
        why="units of the line's currency a row stands for (a SLAM 'Activity' column); a row "
        "of zero or fewer units, or a part unit, is an extract error",
        fix="give whole numbers of 1 or more, or drop rows of no activity",
    ),
    "ae_dept_type": Bound(
        "activity",
        "ae_dept_type",
        "",
        allowed=(1, 2, 3, 4),
        why="A&E department type 01-04 (NHS Data Dictionary, Emergency Care Department Type); "
        "'99 not known' cannot be priced",
        fix="give the department type 1-4 (1 = consultant-led 24-hour A&E)",
    ),
}

#: Prices, trims and shares of the APC & OPROC sheet (payment-rules.md A1-A3).
APC_TARIFF_BOUNDS: dict[str, Bound] = {
    "price": Bound(
        "tariff",
        "price",
        "£",
        refuse_below=0,
        warn_above=1_000_000,
        why="a national price is never negative; over £1m a spell is an export error [K]",
        fix="correct those prices (£ per spell or attendance; blank or '-' = no price)",
    ),
    "trim": Bound(
        "tariff",
        "trim point",
        "days",
        refuse_below=0,
        refuse_above=3653,
        warn_above=365,
        why="trim points are days of stay (A1); published ones are well under a year [K]",
        fix="correct those trim points (days; blank = no trim point)",
    ),
    "excess_bed_day": Bound(
        "tariff",
        "excess bed day price",
        "£ a day",
        refuse_below=0,
        warn_above=10_000,
        why="the long-stay payment per day beyond the trim point (A1) is never negative [K]",
        fix="correct those prices (£ a day)",
    ),
    "share": Bound(
        "tariff",
        "percentage",
        "(share)",
        refuse_below=0,
        refuse_above=1,
        why="the short-stay (RSSE) and specialised top-up percentages are shares of a price "
        "(A1); written as 0.46 or 46, never above 100%",
        fix="give the percentage as a share (0.46) or in points (46), at most 100",
    ),
}

#: A&E and outpatient prices.
OTHER_TARIFF_BOUNDS: dict[str, Bound] = {"price": APC_TARIFF_BOUNDS["price"]}

#: The market forces factor payment index (payment-rules.md A1.2).
MFF_BOUNDS: dict[str, Bound] = {
    "index": Bound(
        "MFF",
        "MFF payment index",
        "(1.000 = national average)",
        refuse_below=0.5,
        refuse_above=2.0,
        warn_below=0.85,
        warn_above=1.35,
        why="published payment indices are about 0.90-1.30 (payment-rules.md A1.2 [K]); "
        "outside 0.5-2 it is a percentage (96.5) or a typing error",
        fix="give the index as a factor (0.965, not 96.5 or 100)",
    ),
}

#: Every table, for the docs.
ALL_BOUNDS: dict[str, dict[str, Bound]] = {
    "activity": ACTIVITY_BOUNDS,
    "APC tariff": APC_TARIFF_BOUNDS,
    "A&E and outpatient tariff": OTHER_TARIFF_BOUNDS,
    "MFF": MFF_BOUNDS,
}
