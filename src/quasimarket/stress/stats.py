"""Risk statistics per party and design, and the variance attribution across sources.

All statistics use draws 1 … N−1 (draw 0, the central case, is reported separately as
``central_gbp``); with a single draw they fall back to it. Quantiles are exact order
statistics of the kept per-draw outcomes (numpy's default linear interpolation).

* ``var95_gbp`` (value at risk at 95%) = −P5: the loss not exceeded in 95% of draws
  (negative = even the 5th-percentile outcome is a surplus).
* ``es95_gbp`` (expected shortfall at 95%) = −mean of the outcomes at or below P5.
* ``p_breach``: commissioners P(net < 0) (spending above budget); providers
  P(net < control total); both beyond half a penny.
* ``p_loss_over_tolerance``: P(net < −loss_tolerance) when a tolerance is given.
* ``variance_share``: the party's outcome variance ÷ the sum of all parties' variances (the
  system row is left out of the denominator): who bears the risk.

**Variance attribution** (which uncertainty drives whose risk): for each source ``X`` and each
party's outcome ``Y`` we estimate the first-order (main-effect) sensitivity index
``S = Var(E[Y | X]) / Var(Y)`` (Sobol 1993; Saltelli et al., *Global Sensitivity Analysis:
The Primer*, 2008, §4.1) by binning: each source's standard-normal score is cut into
:data:`~quasimarket.stress.sampling.ATTRIBUTION_BINS` equal-probability bins and ``S`` is the
between-bin share of the sum of squares, corrected for the finite-sample bias of binning
(the adjusted correlation ratio: ``(SS_between − (B − 1) · SS_within / (N − B)) / SS_total``,
floored at 0). It needs no extra model runs, uses the same draws (common random numbers) and
works for any design, including non-linear ones (caps, MRET, step-in cliffs). A line's
volume source is binned on its OWN innovation (before shared factors or the copula mix it
with others), so a shared factor gets its own share rather than being counted again in every
line that loads on it; with a correlation matrix the innovations are those of the Cholesky
factor, i.e. attributed in the order the lines are listed. For independent sources the indices
sum to at most 1; the remainder (``interaction``) is the share from interactions between
sources.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.stress.engine import SYSTEM, Compiled
from quasimarket.stress.sampling import ATTRIBUTION_BINS, ATTRIBUTION_MAX_DRAWS

__all__ = ["ATTRIBUTION_MAX_DRAWS", "attribution_table", "comparison_table", "summary_table"]

# The attribution uses at most ATTRIBUTION_MAX_DRAWS draws (draws 1 … 250,000): its Monte
# Carlo error is then about 0.003 and it costs a bounded time however large the run.
#: Breaches are counted only beyond half a penny, so float rounding in budget − Σ payments
#: (about 1e-8 on £100m) never counts as a breach.
PENNY_SLACK = 0.005


def _used(outcomes: FloatArray) -> FloatArray:
    return outcomes[..., 1:] if outcomes.shape[-1] > 1 else outcomes


def _row_statistics(y: FloatArray, threshold: float, tolerance: float | None) -> dict[str, float]:
    """Statistics of one party's outcomes (numpy releases the GIL: rows can run in threads)."""
    p5, p50, p95 = np.quantile(y, [0.05, 0.5, 0.95])
    return {
        "mean_gbp": float(y.mean()),
        "variance": float(y.var()),
        "p5_gbp": float(p5),
        "p50_gbp": float(p50),
        "p95_gbp": float(p95),
        "es95_gbp": float(-y[y <= p5].mean()),
        "p_breach": float(np.mean(y < threshold - PENNY_SLACK)),
        "p_loss_over_tolerance": (
            float(np.mean(y < -tolerance - PENNY_SLACK)) if tolerance is not None else float("nan")
        ),
    }


def _map(function: Any, items: list[Any], threads: int) -> list[Any]:
    if threads <= 1 or len(items) <= 1:
        return [function(*item) for item in items]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda item: function(*item), items))


def summary_table(compiled: Compiled, outcomes: FloatArray, *, threads: int = 1) -> pd.DataFrame:
    """One row per design × party (and the system): mean, sd, quantiles, VaR, ES, breaches.

    Args:
        compiled: The compiled scenario.
        outcomes: ``(designs, parties + system, draws)`` net positions, £.
        threads: Rows computed in this many threads (results do not depend on it).
    """
    scenario = compiled.scenario
    used = _used(outcomes)
    tolerance = [p.loss_tolerance_gbp for p in scenario.parties] + [None]
    control = [p.control_total_gbp for p in scenario.parties] + [0.0]
    n_q = len(compiled.parties)
    thresholds = [
        0.0 if compiled.roles[q] in ("commissioner", SYSTEM) else control[q] for q in range(n_q)
    ]
    jobs = [
        (used[d, q], thresholds[q], tolerance[q])
        for d in range(len(scenario.designs))
        for q in range(n_q)
    ]
    stats = _map(_row_statistics, jobs, threads)
    rows = []
    for d, design in enumerate(scenario.designs):
        variances = np.array([stats[d * n_q + q]["variance"] for q in range(n_q)])
        party_total = float(variances[:-1].sum())
        for q, code in enumerate(compiled.parties):
            row = stats[d * n_q + q]
            rows.append(
                {
                    "design": design.name,
                    "party": code,
                    "role": compiled.roles[q],
                    "central_gbp": float(outcomes[d, q, 0]),
                    "mean_gbp": row["mean_gbp"],
                    "sd_gbp": float(np.sqrt(variances[q])),
                    "p5_gbp": row["p5_gbp"],
                    "p50_gbp": row["p50_gbp"],
                    "p95_gbp": row["p95_gbp"],
                    "var95_gbp": -row["p5_gbp"],
                    "es95_gbp": row["es95_gbp"],
                    "p_breach": row["p_breach"],
                    "p_loss_over_tolerance": row["p_loss_over_tolerance"],
                    "variance_share": (
                        float(variances[q] / party_total)
                        if q < n_q - 1 and party_total > 0
                        else float("nan")
                    ),
                    "draws": int(used.shape[-1]),
                }
            )
    return pd.DataFrame(rows)


def attribution_table(
    compiled: Compiled, outcomes: FloatArray, bins: npt.NDArray[np.uint8]
) -> pd.DataFrame:
    """First-order sensitivity index of every party's outcome to every source.

    Uses draws 1 … :data:`ATTRIBUTION_MAX_DRAWS` (all draws in smaller runs).

    Returns a long table ``design, party, source, index`` with an extra ``source`` row
    ``"interaction"`` = max(0, 1 − Σ indices). Parties with zero variance get index 0.
    """
    scenario = compiled.scenario
    used = _used(outcomes)[..., :ATTRIBUTION_MAX_DRAWS]
    used_bins = (bins[:, 1:] if bins.shape[-1] > 1 else bins)[:, :ATTRIBUTION_MAX_DRAWS]
    n = used.shape[-1]
    n_d, n_q = used.shape[0], used.shape[1]
    # row views, not a reshape: a reshape of the strided slice would copy every outcome
    flat = [used[d, q] for d in range(n_d) for q in range(n_q)]
    mean = np.array([row.mean() for row in flat])
    ss_total = np.array(
        [float(np.dot(row - m, row - m)) for row, m in zip(flat, mean, strict=True)]
    )
    rows = []
    indices = np.zeros((len(compiled.sources), n_d * n_q))
    bins_count = ATTRIBUTION_BINS
    for s in range(len(compiled.sources)):
        b = used_bins[s].astype(np.intp)
        counts = np.bincount(b, minlength=bins_count).astype(np.float64)
        sums = np.stack([np.bincount(b, weights=row, minlength=bins_count) for row in flat])
        occupied = counts > 0
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=occupied)
        between = (counts * (means - mean[:, np.newaxis]) ** 2).sum(axis=-1)
        within = ss_total - between
        k = int(occupied.sum())
        correction = (k - 1) * within / (n - k) if n > k else 0.0
        index = np.divide(
            between - correction, ss_total, out=np.zeros_like(between), where=ss_total > 0
        )
        indices[s] = np.clip(index, 0.0, 1.0)
    for d, design in enumerate(scenario.designs):
        for q, code in enumerate(compiled.parties):
            column = d * n_q + q
            total = 0.0
            for s, source in enumerate(compiled.sources):
                value = float(indices[s, column])
                total += value
                rows.append(
                    {"design": design.name, "party": code, "source": source.name, "index": value}
                )
            rows.append(
                {
                    "design": design.name,
                    "party": code,
                    "source": "interaction",
                    "index": max(0.0, 1.0 - total) if ss_total[column] > 0 else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["design", "party", "source", "index"])


def comparison_table(summary: pd.DataFrame, statistic: str = "mean_gbp") -> pd.DataFrame:
    """Designs side by side: one row per party, one column per design, for one statistic."""
    table = summary.pivot(index="party", columns="design", values=statistic)
    order = list(dict.fromkeys(summary["party"]))
    designs = list(dict.fromkeys(summary["design"]))
    return table.loc[order, designs].reset_index()
