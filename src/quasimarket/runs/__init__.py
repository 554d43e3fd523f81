"""The run store shared by the stress tester and the system simulation."""

from quasimarket.runs.store import (
    RUN_KINDS,
    RunComparison,
    RunRecord,
    RunStore,
    TidyReport,
    default_store_path,
    scenario_hash,
)

__all__ = [
    "RUN_KINDS",
    "RunComparison",
    "RunRecord",
    "RunStore",
    "TidyReport",
    "default_store_path",
    "scenario_hash",
]
