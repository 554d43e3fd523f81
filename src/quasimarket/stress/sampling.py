"""Named random streams and the draws of every source of uncertainty.

**Named streams.** Each source of uncertainty (``volume:<line>``, ``factor:<name>``,
``demand_growth``, ``case_mix``, ``length_of_stay``, ``cost_inflation``,
``efficiency_delivery``, ``achievement:<name>``) has its own stream, keyed by its NAME:
block ``b`` of source ``s`` is the named stream
``quasimarket.random_streams.stream(seed, s, b)``, that is
``np.random.SeedSequence(seed, spawn_key=(stable_hash(s), b))``. So adding or removing a
source never changes another source's draws, and every contract design is evaluated on the
same draws (common random numbers).

**Fixed random layout.** Draws are generated in fixed blocks of :data:`RANDOM_BLOCK` draws,
whatever the compute chunk size: draw ``i`` of a source is always element ``i mod
RANDOM_BLOCK`` of block ``i // RANDOM_BLOCK``. Results therefore do not depend on how the draws
are chunked or spread over Dask workers.

**Draw 0 is the central case**: every continuous source at its median (score 0), every count
at the planned activity, every achievement at "achieved" when its probability exceeds 1/2.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray
from quasimarket.random_streams import stable_hash, stream
from quasimarket.stress.distributions import NegativeBinomial, Poisson
from quasimarket.stress.scenario import Scenario, check_correlation_matrix

__all__ = [
    "ATTRIBUTION_BINS",
    "ATTRIBUTION_MAX_DRAWS",
    "RANDOM_BLOCK",
    "Draws",
    "Source",
    "draw_sources",
    "normal_scores",
    "sources_of",
    "stable_hash",
]


#: Draws per fixed random block (the unit of the random layout; compute chunks are whole
#: multiples of it).
RANDOM_BLOCK = 4096
#: Equal-probability bins of each source's score used by the variance attribution.
ATTRIBUTION_BINS = 20
#: The variance attribution uses draws 1 … this (all draws in smaller runs): its bin
#: estimates have converged long before, so later draws are not binned at all.
ATTRIBUTION_MAX_DRAWS = 250_000
_BIN_EDGES = np.array(
    [NormalDist().inv_cdf(k / ATTRIBUTION_BINS) for k in range(1, ATTRIBUTION_BINS)]
)


def _blocks(start: int, stop: int) -> range:
    return range(start // RANDOM_BLOCK, (stop - 1) // RANDOM_BLOCK + 1)


def normal_scores(seed: int, name: str, start: int, stop: int) -> FloatArray:
    """Standard-normal scores of source *name* for draws ``start ≤ i < stop`` (draw 0 → 0)."""
    parts = [stream(seed, name, b).standard_normal(RANDOM_BLOCK) for b in _blocks(start, stop)]
    first = _blocks(start, stop).start * RANDOM_BLOCK
    out = np.concatenate(parts)[start - first : stop - first]
    if start == 0:
        out[0] = 0.0
    return out


def _counts(
    seed: int, name: str, start: int, stop: int, spec: Poisson | NegativeBinomial, mean: float
) -> FloatArray:
    parts = []
    for b in _blocks(start, stop):
        rng = stream(seed, name, b)
        if isinstance(spec, Poisson):
            parts.append(rng.poisson(mean, RANDOM_BLOCK).astype(np.float64))
        else:
            r = spec.dispersion
            parts.append(rng.negative_binomial(r, r / (r + mean), RANDOM_BLOCK).astype(np.float64))
    first = _blocks(start, stop).start * RANDOM_BLOCK
    out = np.concatenate(parts)[start - first : stop - first]
    if start == 0:
        out[0] = mean
    return out


@dataclass(frozen=True)
class Source:
    """A named source of uncertainty.

    Attributes:
        name: Stream name (e.g. ``volume:nel``).
        kind: ``volume``, ``factor``, ``scalar`` or ``achievement``.
        description: For tables and the report.
    """

    name: str
    kind: str
    description: str


def sources_of(scenario: Scenario) -> list[Source]:
    """Every source of uncertainty of *scenario*, in a fixed order."""
    unc = scenario.uncertainty
    out: list[Source] = []
    for line in scenario.lines:
        spec = scenario.volume_spec(line)
        if spec is not None:
            out.append(Source(f"volume:{line.id}", "volume", f"activity volume of {line.id}"))
    out += [Source(f"factor:{f.name}", "factor", "shared volume factor") for f in unc.factors]
    scalars = {
        "demand_growth": "demand growth (all activity)",
        "case_mix": "case-mix shift (price and variable cost)",
        "length_of_stay": "length-of-stay shift (cost of bed-based lines)",
        "cost_inflation": "provider cost inflation",
        "efficiency_delivery": "share of efficiency target delivered",
    }
    out += [Source(k, "scalar", v) for k, v in scalars.items() if getattr(unc, k) is not None]
    out += [
        Source(f"achievement:{name}", "achievement", f"achievement of {name} (p={a.probability:g})")
        for name, a in unc.achievement.items()
    ]
    return out


@dataclass(frozen=True)
class Draws:
    """The drawn values of every source for draws ``start ≤ i < stop``.

    Attributes:
        start, stop: Draw range.
        volume_factor: ``(lines, n)`` actual ÷ planned activity (before demand growth).
        growth, case_mix, length_of_stay, inflation, efficiency: ``(n,)`` fractions (0 when
            the source is absent; efficiency is the share delivered, 1 when absent).
        achievement: Name → ``(n,)`` 1.0 achieved / 0.0 not.
        bins: ``(sources, m)`` uint8 equal-probability bin of each source's score (for the
            variance attribution), in :func:`sources_of` order, for the chunk's draws up to
            :data:`ATTRIBUTION_MAX_DRAWS` (``m`` may be 0).
    """

    start: int
    stop: int
    volume_factor: FloatArray
    growth: FloatArray
    case_mix: FloatArray
    length_of_stay: FloatArray
    inflation: FloatArray
    efficiency: FloatArray
    achievement: dict[str, FloatArray]
    bins: npt.NDArray[np.uint8]


def _copula_matrix(scenario: Scenario) -> FloatArray | None:
    corr = scenario.uncertainty.correlation
    if corr is None:
        return None
    matrix = check_correlation_matrix(
        corr.matrix, len(corr.lines), file=None, location="correlation"
    )
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:  # singular but PSD: use the symmetric square root
        values, vectors = np.linalg.eigh(matrix)
        root: FloatArray = vectors * np.sqrt(np.clip(values, 0.0, None))
        return root


def draw_sources(scenario: Scenario, start: int, stop: int) -> Draws:
    """Draw every source for draws ``start ≤ i < stop`` (deterministic in seed and names)."""
    seed, n = scenario.seed, stop - start
    binned = max(0, min(stop, ATTRIBUTION_MAX_DRAWS + 1) - start)  # draws to bin
    unc = scenario.uncertainty
    line_ids = [line.id for line in scenario.lines]
    index = {lid: i for i, lid in enumerate(line_ids)}
    scores: dict[str, FloatArray] = {}
    # volume scores (continuous lines), then correlation
    z = np.zeros((len(line_ids), n))
    count_lines: dict[int, FloatArray] = {}
    for i, line in enumerate(scenario.lines):
        spec = scenario.volume_spec(line)
        if spec is None:
            continue
        name = f"volume:{line.id}"
        if isinstance(spec, Poisson | NegativeBinomial):
            counts = _counts(seed, name, start, stop, spec, line.planned_activity)
            count_lines[i] = counts
            mean = line.planned_activity
            var = mean if isinstance(spec, Poisson) else mean + mean**2 / spec.dispersion
            scores[name] = (counts - mean) / np.sqrt(var)
        else:
            z[i] = normal_scores(seed, name, start, stop)
            # attribution uses the line's OWN (idiosyncratic) innovation, so shared factors
            # get their own share instead of being counted again in every line
            scores[name] = z[i, :binned].copy()
    loadings = np.zeros(len(line_ids))
    factor_part = np.zeros_like(z)
    for factor in unc.factors:
        f = normal_scores(seed, f"factor:{factor.name}", start, stop)
        scores[f"factor:{factor.name}"] = f
        for lid in factor.lines:
            loadings[index[lid]] += factor.loading**2
            factor_part[index[lid]] += factor.loading * f
    z = np.sqrt(1.0 - np.minimum(loadings, 1.0))[:, np.newaxis] * z + factor_part
    root = _copula_matrix(scenario)
    if root is not None and unc.correlation is not None:
        rows = [index[lid] for lid in unc.correlation.lines]
        z[rows] = root @ z[rows]
    vol_factor = np.ones((len(line_ids), n))
    for i, line in enumerate(scenario.lines):
        spec = scenario.volume_spec(line)
        if spec is None:
            continue
        if isinstance(spec, Poisson | NegativeBinomial):
            vol_factor[i] = count_lines[i] / line.planned_activity
        else:
            vol_factor[i] = np.maximum(spec.transform(z[i]), 0.0)
    scalar: dict[str, FloatArray] = {}
    for key in (
        "demand_growth",
        "case_mix",
        "length_of_stay",
        "cost_inflation",
        "efficiency_delivery",
    ):
        spec_s = getattr(unc, key)
        if spec_s is None:
            scalar[key] = np.full(n, 1.0 if key == "efficiency_delivery" else 0.0)
            continue
        s = normal_scores(seed, key, start, stop)
        scores[key] = s
        scalar[key] = spec_s.transform(s)
    achievement: dict[str, FloatArray] = {}
    for name, item in unc.achievement.items():
        s = normal_scores(seed, f"achievement:{name}", start, stop)
        scores[f"achievement:{name}"] = s
        # achieved when Φ(s) < p, i.e. s < Φ⁻¹(p); at the central draw (s = 0) iff p > 1/2
        cut = (
            NormalDist().inv_cdf(item.probability)
            if 0 < item.probability < 1
            else (np.inf if item.probability >= 1 else -np.inf)
        )
        achievement[name] = (s < cut).astype(np.float64)
    names = [source.name for source in sources_of(scenario)]
    bins = np.zeros((len(names), binned), dtype=np.uint8)
    if binned:
        for k, name in enumerate(names):
            bins[k] = np.searchsorted(_BIN_EDGES, scores[name][:binned])
    return Draws(
        start=start,
        stop=stop,
        volume_factor=vol_factor,
        growth=scalar["demand_growth"],
        case_mix=scalar["case_mix"],
        length_of_stay=scalar["length_of_stay"],
        inflation=scalar["cost_inflation"],
        efficiency=np.clip(scalar["efficiency_delivery"], 0.0, 1.0),
        achievement=achievement,
        bins=bins,
    )
