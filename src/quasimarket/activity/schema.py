"""The activity table schema, the SUS/SLAM column-name map and the point-of-delivery rule.

Documented for users in ``docs/activity-schema.md``. One row per record: an admitted patient
care spell, an outpatient attendance, an A&E attendance, a community or mental health contact,
or a bed day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.activity.formats import FORMATS, code_text
from quasimarket.vocabulary import POD_CODES

__all__ = [
    "ACTIVITY_COLUMNS",
    "ELECTIVE_ADMIMETH",
    "EMERGENCY_ADMIMETH",
    "READMISSION_EXCLUDED_HRG_PREFIXES",
    "SUS_COLUMN_MAP",
    "Column",
    "classify_pod",
]


@dataclass(frozen=True)
class Column:
    """One column of the activity schema."""

    name: str
    kind: str
    required: str
    description: str


#: The activity table columns (name, type, when required, meaning).
ACTIVITY_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text or integer", "always", "Unique id of the record (spell/attendance)."),
    Column("patient_id", "text or integer", "to derive readmissions", "Pseudonymised patient."),
    Column("commissioner", "text", "always", "Commissioner code (ICB/CCG/NHS England)."),
    Column("provider", "text", "always", "Provider code (trust or independent provider)."),
    Column(
        "pod",
        "text",
        "unless admission_method is given",
        "Point of delivery: " + ", ".join(POD_CODES) + ".",
    ),
    Column("hrg", "text", "admitted care, OP procedures, A&E", "HRG code, e.g. HN12A or VB03Z."),
    Column("tfc", "text", "outpatient attendances", "Treatment function code, e.g. 100."),
    Column("admission_date", "date", "optional", "Admission/attendance date (YYYY-MM-DD)."),
    Column("discharge_date", "date", "optional", "Discharge date; spells are counted on it."),
    Column("los_days", "integer", "unless both dates are given", "Length of stay in days."),
    Column("age", "integer", "always", "Age in years at admission (SUS startage)."),
    Column("month", "integer 1-12", "unless a date is given", "Month of the year, 1 = April."),
    Column("year", "text", "optional", "Financial year, e.g. 2016/17 (else from the dates)."),
    Column("ae_dept_type", "integer 1-4", "optional (1)", "A&E department type."),
    Column("bpt_met", "true/false", "optional (false)", "Best-practice criteria met."),
    Column(
        "top_up_eligible",
        "true/false",
        "optional (true)",
        "The provider may claim the specialised top-up for this record.",
    ),
    Column(
        "readmission_of",
        "record id",
        "optional",
        "record_id of the index spell this emergency spell readmits within 30 days "
        "(derived from patient_id and dates when absent).",
    ),
    Column("admission_method", "text", "optional", "SUS admimeth (11-13 elective, 2x emergency)."),
    Column("patient_class", "text", "optional", "SUS classpat (1 ordinary, 2 day case)."),
    Column("self_discharge", "true/false", "optional (false)", "Discharged against advice."),
    Column("transfer_in", "true/false", "optional (false)", "Transferred from another provider."),
    Column("cross_border", "true/false", "optional (false)", "Cross-border (Wales/Scotland)."),
    Column(
        "count",
        "integer >= 1",
        "optional (1)",
        "Units of activity the row stands for (a SLAM 'Activity' column): priced exactly as "
        "that many records.",
    ),
    Column(
        "line_id",
        "text",
        "when two contract lines cover the same pods",
        "The contract service line the record belongs to (else found from provider, "
        "commissioner and pod).",
    ),
)

#: Every extract column name any format maps (:mod:`quasimarket.activity.formats`), in the
#: matched form (lower case, underscores) -> schema column.
SUS_COLUMN_MAP: dict[str, str] = {k: v for f in FORMATS.values() for k, v in f.columns.items()}

#: SUS admission methods for elective admissions (payment-rules.md A1 classify [K]).
ELECTIVE_ADMIMETH = frozenset({"11", "12", "13"})
#: SUS admission methods for emergency admissions (payment-rules.md A1 classify [K]).
EMERGENCY_ADMIMETH = frozenset({"21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D"})
#: Every admission method of the NHS Data Dictionary ("Admission Method"): elective 11-13,
#: emergency 21-25, 28, 2A-2D, maternity 31-32, other 81-84, 89, not applicable/known 98-99.
ADMIMETH_CODES = (
    ELECTIVE_ADMIMETH
    | EMERGENCY_ADMIMETH
    | frozenset({"31", "32", "81", "82", "83", "84", "89", "98", "99"})
)
#: Every patient classification (NHS Data Dictionary "Patient Classification"): 1 ordinary,
#: 2 day case, 3 regular day attender, 4 regular night attender, 5 mothers and babies using
#: only delivery facilities, 8 not applicable, 9 not known.
CLASSPAT_CODES = frozenset({"1", "2", "3", "4", "5", "8", "9"})
#: SUS discharge method 2 = self-discharged against clinical advice [K NHS Data Dictionary].
SELF_DISCHARGE_DISMETH = frozenset({"2"})
#: Admission sources 51-53 and method 2B/81 = transfer from another provider [K NHS Data
#: Dictionary].
TRANSFER_ADMISORC = frozenset({"51", "52", "53"})
TRANSFER_ADMIMETH = frozenset({"2B", "81"})

#: HRG prefixes whose readmissions stay paid (payment-rules.md A5 exclusions [V: PMC5226021
#: Table 1]; the HRG chapter mapping is [K]): maternity (NZ), chemotherapy (SB), radiotherapy
#: (SC), renal dialysis (LD), transplants (LA01-LA03 kidney, SA bone marrow).
READMISSION_EXCLUDED_HRG_PREFIXES: tuple[str, ...] = (
    "NZ",
    "SB",
    "SC",
    "LD",
    "LA01",
    "LA02",
    "LA03",
    "SA",
)
#: Children under this age at readmission are excluded (A5 [V]).
READMISSION_MIN_AGE = 4
#: Readmission window, days after the index discharge (A5 [V], 2011/12 onward).
READMISSION_WINDOW_DAYS = 30


def classify_pod(
    admission_method: pd.Series, patient_class: pd.Series | None, los_days: npt.ArrayLike
) -> npt.NDArray[np.int8]:
    """Point of delivery of admitted care from SUS fields (payment-rules.md A1 classify [K]).

    admimeth 11-13 -> elective, and day case when classpat = 2 and LOS = 0; admimeth 21-25, 28,
    2A-2D -> non-elective; any other method (maternity 31/32, transfers 81-83, ...) ->
    non-elective price [K].

    Returns:
        int8 pod codes (:data:`POD_CODES`).
    """
    meth = code_text(admission_method)
    los = np.asarray(los_days)
    elective = meth.isin(ELECTIVE_ADMIMETH).to_numpy()
    if patient_class is not None:
        day = (code_text(patient_class) == "2").to_numpy(dtype=bool, na_value=False)
    else:
        day = np.zeros(len(meth), dtype=bool)
    pod = np.full(len(meth), POD_CODES["non_elective"], dtype=np.int8)
    pod[elective] = POD_CODES["elective"]
    pod[elective & day & (los == 0)] = POD_CODES["day_case"]
    return pod
