"""The A&E calibration check runs on the shared real data and gives finite error measures."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def test_validate_ae_on_shared_data(shared_data: Path) -> None:
    from validate_ae import validate

    stats = validate(shared_data)
    assert stats["trusts_compared"] >= 100
    for key in ("trust_month", "trust_year", "trust_year_level_adjusted"):
        for value in stats[key].values():
            assert math.isfinite(value)
    assert 0.0 < stats["trust_year"]["pearson_r"] <= 1.0
