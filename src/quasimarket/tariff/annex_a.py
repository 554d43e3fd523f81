"""Column names of the published national tariff workbook (Annex A), used everywhere.

The admitted patient care sheet ("1 APC & OPROC") column headers follow payment-rules.md A1
[V: column names repeated across public tariff projects]. The outpatient (by treatment
function), A&E and MFF sheets are simplified to the columns the engine needs [K].
Anything that produces or reads a tariff table (the synthetic catalogue, the CSV/XLSX loaders,
the reference-cost test loader) uses these constants, never its own spellings.
"""

from __future__ import annotations

# fmt: off
# --- "1 APC & OPROC": one row per HRG -------------------------------------------------------
HRG_CODE          = "HRG code"
HRG_NAME          = "HRG name"
OP_PROCEDURE      = "Outpatient procedure tariff (£)"
COMBINED_DC_EL    = "Combined day case / ordinary elective spell tariff (£)"
DAY_CASE          = "Day case spell tariff (£)"
ELECTIVE          = "Ordinary elective spell tariff (£)"
ELECTIVE_TRIM     = "Ordinary elective long stay trim point (days)"
NON_ELECTIVE      = "Non-elective spell tariff (£)"
NON_ELECTIVE_TRIM = "Non-elective long stay trim point (days)"
EXCESS_BED_DAY    = "Per day long stay payment (for days exceeding trim point) (£)"
RSSE_APPLICABLE   = "Reduced short stay emergency tariff _applicable?"
RSSE_PERCENT      = "% applied in calculation of reduced short stay emergency tariff"
RSSE_PRICE        = "Reduced short stay emergency tariff (£)"
BPT_LEVEL         = "BPT applies to HRG or sub-HRG level"
BPT_NAME          = "BPT name"
BPT_PRICE         = "BPT price (£)"               # best-practice price; blank = no BPT [K]
TOP_UP_CATEGORY   = "Specialised top-up category"  # blank = not eligible [K]

APC_COLUMNS = (
    HRG_CODE, HRG_NAME, OP_PROCEDURE, COMBINED_DC_EL, DAY_CASE, ELECTIVE, ELECTIVE_TRIM,
    NON_ELECTIVE, NON_ELECTIVE_TRIM, EXCESS_BED_DAY, RSSE_APPLICABLE, RSSE_PERCENT, RSSE_PRICE,
)
APC_OPTIONAL_COLUMNS = (BPT_LEVEL, BPT_NAME, BPT_PRICE, TOP_UP_CATEGORY)

# --- Outpatient attendances: one row per treatment function code (TFC) ------------------------
TFC_CODE          = "TFC code"
TFC_NAME          = "TFC name"
OP_FIRST          = "First attendance - single professional (£)"
OP_FOLLOW_UP      = "Follow-up attendance - single professional (£)"
OUTPATIENT_COLUMNS = (TFC_CODE, TFC_NAME, OP_FIRST, OP_FOLLOW_UP)

# --- A&E: one row per emergency medicine HRG (VB01Z-VB11Z, VB99Z) -----------------------------
AE_HRG_CODE       = "HRG code"
AE_HRG_NAME       = "HRG name"
AE_TYPE_1_2       = "Type 01 and 02 departments (£)"
AE_TYPE_3_4       = "Type 03 and 04 departments (£)"
AE_COLUMNS = (AE_HRG_CODE, AE_HRG_NAME, AE_TYPE_1_2, AE_TYPE_3_4)

# --- Market forces factor: one row per provider -----------------------------------------------
MFF_ORG_CODE      = "Org code"
MFF_ORG_NAME      = "Org name"
MFF_INDEX         = "MFF payment index"
MFF_COLUMNS = (MFF_ORG_CODE, MFF_ORG_NAME, MFF_INDEX)

# --- Specialised top-ups: one row per category ------------------------------------------------
TOP_UP_CATEGORY_CODE = "Specialised top-up category"
TOP_UP_PERCENT       = "Top-up %"
TOP_UP_COLUMNS = (TOP_UP_CATEGORY_CODE, TOP_UP_PERCENT)
# fmt: on
