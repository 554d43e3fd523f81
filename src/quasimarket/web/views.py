"""Presentation helpers: tables for templates and Plotly figures as safe embedded JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

__all__ = ["figure_json", "records", "table"]


def _cell(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return _cell(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and infinities as None)."""
    return [{str(k): _cell(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def fmt(value: Any, column: str = "") -> str:
    """One cell as text: £ columns with thousands separators and pence, shares as %."""
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if column.endswith("_gbp"):
            return f"£{value + 0.0:,.2f}"
        if column.startswith("p_") or column.endswith("_share") or column == "index":
            return f"{value:.1%}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(frame: pd.DataFrame, limit: int = 200) -> dict[str, Any]:
    """A frame as ``{"columns": [...], "rows": [[text, ...]], "numeric": [...], "more": n}``."""
    shown = frame.head(limit)
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    rows = [
        [fmt(v, str(c)) for c, v in zip(shown.columns, row, strict=True)]
        for row in shown.itertuples(index=False, name=None)
    ]
    return {
        "columns": [str(c) for c in shown.columns],
        "rows": rows,
        "numeric": numeric,
        "more": max(0, len(frame) - limit),
    }


def figure_json(fig: Any) -> str:
    """A Plotly figure as JSON safe inside ``<script type="application/json">``."""
    text: str = fig.to_json()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_script(value: Any) -> str:
    """Any JSON value, safe inside ``<script type="application/json">``."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
