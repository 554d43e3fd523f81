"""Extract formats analysts hold (HES, SUS+, ECDS, SLAM, NCDR) mapped to the activity schema.

Each :class:`ExtractFormat` names the extract's columns (matched case-insensitively, with
spaces, hyphens and dots read as underscores, so ``Provider Code`` is ``provider_code``), the
schema column each feeds, and the point of delivery its rows are when the extract is of one
kind (every HES A&E row is an A&E attendance). :func:`adapt` renames a frame, translates codes
(``firstatt`` -> first/follow-up, SLAM POD codes, HES ``attended``) and returns a
:class:`Mapping` report: which format, which column fed which, which were ignored.

Column names follow the data dictionaries cited per format; spellings this project has not
seen in a published dictionary are tagged [K] (an overridable assumption) in
``docs/activity-schema.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.errors import InputError, summarise_items

__all__ = [
    "FORMATS",
    "ExtractFormat",
    "Mapping",
    "adapt",
    "code_text",
    "column_key",
    "detect_format",
    "formats_markdown",
]


def column_key(name: object) -> str:
    """``Provider Code`` -> ``provider_code``: the form in which column names are matched."""
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True)
class ExtractFormat:
    """One extract layout.

    Attributes:
        name: The ``--format`` value.
        title: Plain name.
        source: The data dictionary the column names come from.
        columns: Extract column (:func:`column_key` form) -> schema column.
        pod: Point of delivery of every row, for single-kind extracts (None: per row).
        signature: Columns that identify the format for ``--format auto``.
    """

    name: str
    title: str
    source: str
    columns: MappingABC[str, str]
    pod: str | None = None
    signature: tuple[str, ...] = ()


_COMMON = {
    "commissioner_code": "commissioner",
    "org_code_commissioner": "commissioner",
    "ccg_code": "commissioner",
    "icb_code": "commissioner",
    "ccg_responsibility": "commissioner",
    "provider_code": "provider",
    "org_code_provider": "provider",
    "procode3": "provider",  # the trust (3 characters), which contracts name
    "procode": "provider",
    "procode5": "provider",  # a site of the trust: only when no trust code is given
    "hesid": "patient_id",
    "person_id": "patient_id",
    "pseudo_nhs_number": "patient_id",
    "nhs_number": "patient_id",
    "fyear": "year",
    "financial_year": "year",
    "sushrg": "hrg",
    "hrg_code": "hrg",
    "activity": "count",
    "activity_count": "count",
    "count": "count",
    "quantity": "count",
    "attendance_id": "record_id",
    "derived_pod": "pod",
    "ae_department_type": "ae_dept_type",
}

#: HES Admitted Patient Care (HES APC data dictionary, NHS Digital).
HES_APC = ExtractFormat(
    "hes-apc",
    "HES Admitted Patient Care",
    "HES APC data dictionary (NHS Digital)",
    {
        **_COMMON,
        "epikey": "record_id",
        "spell_id": "record_id",
        "spellid": "record_id",
        "admidate": "admission_date",
        "disdate": "discharge_date",
        "speldur": "los_days",
        "spelldur": "los_days",  # a common misspelling in analysts' extracts
        "admiage": "age",  # age on admission: the spell's start
        "startage": "age",  # age at the start of the episode
        "admimeth": "admission_method",
        "classpat": "patient_class",
        "dismeth": "discharge_method",
        "admisorc": "admission_source",
        "spelend": "spell_end",
        "spellhrg": "hrg",
        "tretspef": "tfc",
    },
    signature=("admimeth", "epikey", "admidate", "speldur", "classpat"),
)
#: HES Outpatients (HES OP data dictionary, NHS Digital).
HES_OP = ExtractFormat(
    "hes-op",
    "HES Outpatients",
    "HES OP data dictionary (NHS Digital)",
    {
        **_COMMON,
        "attendkey": "record_id",
        "attendid": "record_id",
        "apptdate": "admission_date",
        "appdate": "admission_date",
        "apptage": "age",
        "tretspef": "tfc",
        "firstatt": "first_attendance",
        "attended": "attended",
    },
    signature=("attendkey", "apptdate", "firstatt"),
)
#: HES Accident and Emergency (HES A&E data dictionary, NHS Digital; to 2019/20).
HES_AE = ExtractFormat(
    "hes-ae",
    "HES Accident and Emergency",
    "HES A&E data dictionary (NHS Digital)",
    {
        **_COMMON,
        "aekey": "record_id",
        "arrivaldate": "admission_date",
        "arrivalage": "age",
        "aedepttype": "ae_dept_type",
    },
    pod="ae",
    signature=("aekey", "arrivaldate", "aedepttype"),
)
#: SUS+ PbR spell extract and SEM (SUS+ PbR technical output specification [K]).
SUS_APC = ExtractFormat(
    "sus-apc",
    "SUS+ PbR spell extract / SEM",
    "SUS+ PbR Technical Output Specification [K]",
    {
        **_COMMON,
        "apcs_ident": "record_id",
        "spell_identifier": "record_id",
        "spell_core_hrg": "hrg",
        "spell_hrg": "hrg",
        "spell_los": "los_days",
        "admission_date": "admission_date",
        "discharge_date": "discharge_date",
        "admission_method": "admission_method",
        "patient_classification": "patient_class",
        "discharge_method": "discharge_method",
        "source_of_admission": "admission_source",
        "age_on_admission": "age",
        "age_at_start_of_spell_sus": "age",
        "treatment_function_code": "tfc",
        "der_provider_code": "provider",
        "der_commissioner_code": "commissioner",
        "der_pseudo_nhs_number": "patient_id",
        "der_spell_los": "los_days",
        "der_financial_year": "year",
        "der_activity_month": "month",
    },
    signature=("apcs_ident", "spell_core_hrg", "der_spell_los", "spell_identifier"),
)
#: Emergency Care Data Set (ECDS, from 2019; NHS Digital ECDS technical output [K]).
ECDS = ExtractFormat(
    "ecds",
    "Emergency Care Data Set",
    "ECDS Technical Output Specification (NHS Digital) [K]",
    {
        **_COMMON,
        "ec_ident": "record_id",
        "arrival_date": "admission_date",
        "age_at_arrival": "age",
        "ec_department_type": "ae_dept_type",
        "der_ec_hrg": "hrg",
        "ec_hrg": "hrg",
        "der_provider_code": "provider",
        "der_commissioner_code": "commissioner",
        "der_pseudo_nhs_number": "patient_id",
        "der_financial_year": "year",
        "der_activity_month": "month",
    },
    pod="ae",
    signature=("ec_ident", "ec_department_type", "age_at_arrival"),
)
#: SLAM-style contract monitoring files (Contract Monitoring / SLAM conventions [K]).
SLAM = ExtractFormat(
    "slam",
    "SLAM contract monitoring",
    "SLAM / Contract Monitoring conventions of NHS commissioners [K]",
    {
        **_COMMON,
        "spell_id": "record_id",
        "pod": "pod",
        "pod_code": "pod",
        "point_of_delivery": "pod",
        "hrg": "hrg",
        "tfc": "tfc",
        "treatment_function_code": "tfc",
        "specialty_code": "tfc",
        "month": "month",
        "activity_month": "month",
        "age": "age",
        "los": "los_days",
        "length_of_stay": "los_days",
        "admission_date": "admission_date",
        "discharge_date": "discharge_date",
    },
    signature=("pod_code", "activity"),
)

#: Every format by ``--format`` name.
FORMATS: dict[str, ExtractFormat] = {
    f.name: f for f in (HES_APC, HES_OP, HES_AE, SUS_APC, ECDS, SLAM)
}

#: SLAM point-of-delivery codes -> schema pod [K: common SLAM codes].
SLAM_POD_CODES = {
    "EL": "elective",
    "ELSPELL": "elective",
    "DC": "day_case",
    "DAYCASE": "day_case",
    "NEL": "non_elective",
    "NELNE": "non_elective",
    "NELST": "non_elective",
    "NE": "non_elective",
    "OPFA": "op_first",
    "OPFAMPCL": "op_first",
    "OPFASPCL": "op_first",
    "OPFUP": "op_follow_up",
    "OPFUPMPCL": "op_follow_up",
    "OPFUPSPCL": "op_follow_up",
    "OPPROC": "op_procedure",
    "OPPROCFA": "op_procedure",
    "OPPROCFUP": "op_procedure",
    "AE": "ae",
    "A&E": "ae",
}
#: SLAM excess bed day rows: priced here from each spell's length of stay, never as rows.
SLAM_EXCESS_BED_DAY_CODES = frozenset({"ELXBD", "NELXBD", "XBD", "EBD"})

#: HES ``firstatt`` (NHS Data Dictionary "First Attendance"): 1 face to face and 3
#: telephone/telemedicine first attendances, 5 first video [K]; 2, 4 and 6 are follow-ups.
FIRST_ATTENDANCE = {"1": "op_first", "3": "op_first", "5": "op_first"}
FOLLOW_UP_ATTENDANCE = {"2": "op_follow_up", "4": "op_follow_up", "6": "op_follow_up"}
#: HES ``attended`` (NHS Data Dictionary "Attended or Did Not Attend"): 5 seen on time, 6
#: arrived late and seen. Other codes (did not attend, cancelled) are not paid.
ATTENDED_SEEN = frozenset({"5", "6"})
#: The column :func:`adapt` writes from ``attended`` and ``spelend``: the row is paid (an
#: attended appointment; the last episode of a spell). Rows are dropped after validation.
ROW_KEPT = "row_kept"


@dataclass(frozen=True)
class Mapping:
    """What :func:`adapt` did to one file: the format, the columns used and ignored.

    Attributes:
        file: The file.
        format: The format name.
        used: Extract column -> schema column, in file order.
        ignored: Extract columns no schema column takes.
        notes: Rows dropped or codes translated, with counts.
    """

    file: str
    format: str
    used: tuple[tuple[str, str], ...]
    ignored: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One paragraph for the CLI and the statement notes."""
        used = ", ".join(f"{a} -> {b}" for a, b in self.used if column_key(a) != b)
        text = f"{self.file}: read as {FORMATS[self.format].title} ({self.format})"
        if used:
            text += f"; mapped {used}"
        if self.ignored:
            text += f"; ignored {summarise_items(self.ignored, first=12)}"
        return text


def detect_format(columns: list[str]) -> str:
    """The format whose signature columns a header has most of (schema files: ``slam``)."""
    keys = {column_key(c) for c in columns}
    best, score = "slam", 0
    for f in FORMATS.values():
        hits = sum(k in keys for k in f.signature)
        if hits > score:
            best, score = f.name, hits
    return best


_SCHEMA_NAMES: frozenset[str] = frozenset()


def _schema_names() -> frozenset[str]:
    global _SCHEMA_NAMES
    if not _SCHEMA_NAMES:
        from quasimarket.activity.schema import ACTIVITY_COLUMNS

        _SCHEMA_NAMES = frozenset(
            {c.name for c in ACTIVITY_COLUMNS} | {"discharge_method", "admission_source", ROW_KEPT}
        )
    return _SCHEMA_NAMES


def adapt(frame: pd.DataFrame, fmt: str, *, file: str) -> tuple[pd.DataFrame, Mapping]:
    """Rename *frame*'s columns to the schema by format *fmt* (or ``auto``) and translate codes.

    Schema names are always accepted as they are (any case) and win over an alias. Where two
    aliases feed one schema column (HES ``ADMIAGE`` and ``STARTAGE``), the one the format lists
    first feeds it and the other is reported as ignored; two columns with the same name
    (``Provider Code`` and ``provider_code``) are an error.

    Raises:
        InputError: Unknown format, two columns of one name, unknown codes.
    """
    auto = fmt == "auto"
    if auto:
        fmt = detect_format([str(c) for c in frame.columns])
    if fmt not in FORMATS:
        raise InputError(
            f"unknown activity format {fmt!r}",
            file=file,
            expected="one of " + ", ".join([*FORMATS, "auto"]),
            fix="pass --format with one of those",
        )
    spec = FORMATS[fmt]
    lookup = dict(spec.columns)
    if auto:  # any format's names too, after the detected format's
        for other in FORMATS.values():
            lookup = lookup | {k: v for k, v in other.columns.items() if k not in lookup}
    rank = {key: i for i, key in enumerate(lookup)}  # earlier = preferred (ExtractFormat)
    names = _schema_names()
    chosen: dict[str, Any] = {}  # schema column -> the extract column feeding it
    for column in frame.columns:
        key = column_key(column)
        target = key if key in names else lookup.get(key)
        if target is None:
            continue
        if target in chosen:
            other = chosen[target]
            mine, theirs = _rank(key, names, rank), _rank(column_key(other), names, rank)
            if mine == theirs:
                raise InputError(
                    f"columns {str(other)!r} and {str(column)!r} both give {target!r}",
                    file=file,
                    location="header row",
                    expected=f"one column for {target!r}",
                    fix="drop or rename one of them",
                )
            if mine > theirs:
                continue
        chosen[target] = column
    fed = {target: str(column) for target, column in chosen.items()}
    rename = {column: target for target, column in chosen.items()}
    ignored = [str(c) for c in frame.columns if c not in rename]
    out = frame.drop(columns=[c for c in frame.columns if c not in rename]).rename(columns=rename)
    notes: list[str] = []
    if spec.pod is not None and "pod" not in out.columns:
        out["pod"] = spec.pod
    # flags, not filters: rows are dropped after validation, so errors keep file rows
    kept = np.ones(len(out), dtype=bool)
    if "attended" in out.columns:
        seen = code_text(out.pop("attended")).isin(ATTENDED_SEEN).to_numpy(bool, na_value=False)
        if n := int((~seen).sum()):
            notes.append(
                f"{n:,} outpatient appointment(s) of {file} were not attended (HES attended "
                "not 5 or 6): left out, as they are not paid"
            )
        kept &= seen
    if "spell_end" in out.columns:
        # HES APC rows are episodes; a spell is paid once, on its last episode [K]
        last = (code_text(out.pop("spell_end")) == "Y").to_numpy(bool, na_value=False)
        if n := int((~last).sum()):
            notes.append(
                f"{n:,} episode(s) of {file} are not the last of their spell (HES spelend "
                "not Y): left out, as a spell is priced once"
            )
        kept &= last
    if not kept.all() or ROW_KEPT in out.columns:
        out[ROW_KEPT] = kept & _kept(out)
    if "first_attendance" in out.columns:
        out = _first_attendance(out, file=file)
    if "pod" in out.columns:
        out["pod"] = _pod_codes(out["pod"], file=file)
    mapping = Mapping(
        file=file,
        format=fmt,
        used=tuple((fed[t], t) for t in fed),
        ignored=tuple(ignored),
        notes=tuple(notes),
    )
    return out, mapping


def _rank(key: str, names: frozenset[str], rank: dict[str, int]) -> int:
    """Preference of a column feeding a schema column: its schema name first, then aliases
    in the format's order."""
    return -1 if key in names else rank[key]


def _kept(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """The row-kept flag already on *frame* (a table adapted before), else all True."""
    if ROW_KEPT not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    text = frame[ROW_KEPT].astype("string").str.strip().str.lower()  # combined files: text
    return ~text.isin(("false", "0")).to_numpy(dtype=bool, na_value=False)


def distinct(values: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Integer codes (-1 = blank) and the distinct values as stripped text.

    Codes are translated once per distinct value, never once per row: a year of one trust's
    outpatients is a million rows and a dozen codes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.intp)
        labels = [str(c).strip() for c in values.cat.categories]
    else:
        found, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(found, dtype=np.intp)
        labels = [str(u).strip() for u in uniques]
    return codes, labels


def as_categorical(
    codes: npt.NDArray[np.intp], labels: list[str | None], index: pd.Index[Any]
) -> pd.Series:
    """A Series of ``labels[codes]`` as a Categorical (code -1, None and "" are blank)."""
    categories = sorted({label for label in labels if label})
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.array(
        [position.get(label, -1) if label else -1 for label in labels] + [-1], dtype=np.int32
    )
    new: npt.NDArray[np.int32] = lookup[np.where(codes >= 0, codes, len(labels))]
    cats: pd.Index[str] = pd.Index(categories, dtype=object)
    return pd.Series(pd.Categorical.from_codes(new, categories=cats), index=index)


def _clean_code(text: str) -> str:
    text = text.upper()
    return text[:-2] if text.endswith(".0") else text


def code_text(values: pd.Series) -> pd.Series:
    """Codes as stripped upper-case text (``11.0`` read from a numeric column is ``11``), as a
    Categorical."""
    codes, labels = distinct(values)
    return as_categorical(codes, [_clean_code(v) for v in labels], values.index)


def _rows(mask: np.ndarray) -> str:
    return "rows " + summarise_items(np.flatnonzero(mask) + 2)


def _first_attendance(frame: pd.DataFrame, *, file: str) -> pd.DataFrame:
    """``firstatt`` -> op_first/op_follow_up; an outpatient procedure HRG (not a WF
    attendance HRG) makes the row an outpatient procedure [K]."""
    codes, labels = distinct(frame["first_attendance"])
    kinds = {**FIRST_ATTENDANCE, **FOLLOW_UP_ATTENDANCE}
    named = [kinds.get(_clean_code(v)) for v in labels]
    unknown = np.array([k is None for k in named] + [False])[np.where(codes >= 0, codes, -1)]
    if unknown.any():
        raise InputError(
            "unknown firstatt code(s): "
            + summarise_items(
                repr(v) for v in sorted({_clean_code(labels[c]) for c in codes[unknown]})
            ),
            file=file,
            location=f"column 'firstatt', {_rows(unknown)}",
            expected="1, 3, 5 (first attendance) or 2, 4, 6 (follow-up) (NHS Data Dictionary)",
            fix="correct those codes, or give a 'pod' column",
        )
    pods = np.array([*named, None], dtype=object)[np.where(codes >= 0, codes, -1)]
    if "hrg" in frame.columns:
        hrg_codes, hrgs = distinct(frame["hrg"])
        procedure_hrg = np.array(
            [bool(h) and not h.upper().startswith("WF") for h in hrgs] + [False]
        )
        procedure = procedure_hrg[np.where(hrg_codes >= 0, hrg_codes, -1)]
        pods[procedure & (pods != None)] = "op_procedure"  # noqa: E711 (elementwise)
    pod_codes, pod_labels = distinct(pd.Series(pods, index=frame.index))
    pod = as_categorical(pod_codes, list(pod_labels), frame.index)
    out = frame.drop(columns=["first_attendance"])
    if "pod" not in out.columns:
        out["pod"] = pod
    else:
        given = out["pod"].astype("string").str.strip()
        out["pod"] = given.mask(given.isna() | (given == ""), pod.astype("string"))
    return out


def _pod_codes(values: pd.Series, *, file: str) -> pd.Series:
    """Schema pod names in any case, and SLAM POD codes, as schema pod names (a Categorical)."""
    codes, labels = distinct(values)
    keys = [re.sub(r"[\s_\-]+", "", v.upper()) for v in labels]
    xbd_value = np.array([k in SLAM_EXCESS_BED_DAY_CODES for k in keys] + [False])
    xbd = xbd_value[np.where(codes >= 0, codes, -1)]
    if xbd.any():
        raise InputError(
            f"{int(xbd.sum()):,} row(s) are excess bed day rows (SLAM XBD codes)",
            file=file,
            location=f"column 'pod', {_rows(xbd)}",
            expected="spells and attendances only: excess bed days are priced from each "
            "spell's length of stay and the tariff's trim point",
            fix="drop the XBD rows and give los_days (or the dates) on the spells",
        )
    names: list[str | None] = [
        SLAM_POD_CODES.get(k, v.lower()) for k, v in zip(keys, labels, strict=True)
    ]
    return as_categorical(codes, names, values.index)


def formats_markdown() -> str:
    """The extract-format tables of ``docs/activity-schema.md`` (a test keeps them in step)."""
    out = []
    for spec in FORMATS.values():
        by_target: dict[str, list[str]] = {}
        for name, target in spec.columns.items():
            by_target.setdefault(target, []).append(f"`{name}`")
        out.append(f"### `{spec.name}`: {spec.title}\n")
        out.append(
            f"Source: {spec.source}. Recognised (`auto`) by: "
            + ", ".join(f"`{c}`" for c in spec.signature)
            + "."
        )
        if spec.pod:
            out.append(f"Every row is `{spec.pod}` unless a `pod` column says otherwise.")
        out.append("\n| schema column | extract columns |\n|---|---|")
        out += [f"| `{t}` | {', '.join(names)} |" for t, names in by_target.items()]
        out.append("")
    return "\n".join(out) + "\n"
