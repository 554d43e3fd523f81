"""Strict JSON: outputs never hold NaN or Infinity, and a bug that makes one is named."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from quasimarket.errors import RunError
from quasimarket.io.json_output import dumps, non_finite_paths

pytestmark = pytest.mark.unit


def strict_loads(text: str) -> object:
    """A parser that refuses the NaN/Infinity extensions, as strict JSON readers do."""

    def refuse(name: str) -> object:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_finite_payload_is_plain_json() -> None:
    payload = {"total": 1.5, "lines": [{"value": 2}, {"value": -0.0}], "tiny": 5e-324}
    assert strict_loads(dumps(payload, what="x")) == payload


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_non_finite_is_refused_with_its_path(bad: float) -> None:
    payload = {"lines": [{"value": 1.0}, {"value": bad}], "ok": 2.0}
    with pytest.raises(RunError, match=r"totals.json would hold 1 non-finite") as err:
        dumps(payload, what="totals.json", default=lambda v: v.item())
    assert "$.lines[1].value" in err.value.problem


def test_paths_are_found_at_every_depth() -> None:
    found = list(non_finite_paths({"a": [math.nan, {"b": (1.0, math.inf)}], "c": -math.inf}))
    assert found == ["$.a[0]", "$.a[1].b[1]", "$.c"]


def test_the_strict_parser_really_refuses_nan() -> None:  # the check above can fail
    with pytest.raises(ValueError, match="NaN"):
        strict_loads(json.dumps({"x": math.nan}))
