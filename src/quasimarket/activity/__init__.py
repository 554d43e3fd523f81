"""Activity data: the schema, the SUS/SLAM column map, loading/validation and synthetic records."""

from quasimarket.activity.schema import ACTIVITY_COLUMNS, SUS_COLUMN_MAP, classify_pod
from quasimarket.activity.synthetic import (
    DEFAULT_POD_MIX,
    OTHER_POD_MIX,
    synthetic_activity,
    synthetic_activity_for_contract,
)
from quasimarket.activity.table import ActivityTable, link_readmissions, load_activity

__all__ = [
    "ACTIVITY_COLUMNS",
    "DEFAULT_POD_MIX",
    "OTHER_POD_MIX",
    "SUS_COLUMN_MAP",
    "ActivityTable",
    "classify_pod",
    "link_readmissions",
    "load_activity",
    "synthetic_activity",
    "synthetic_activity_for_contract",
]
