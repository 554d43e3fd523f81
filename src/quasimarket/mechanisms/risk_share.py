"""Binary risk share: the deviation from plan split between provider and commissioner by bands.

"Risk sharing has previously been permissible on a binary basis (between commissioner and
provider) within the terms of the NHS standard contract … for use during a period of significant
service reconfiguration" (002@260736). payment-rules.md A11 [K] sketches the banded form, e.g.
0–2% of plan: provider 100%; 2–5%: 50/50; above 5%: commissioner 100%.

Bands apply symmetrically to the size of the deviation: an overspend is shared the same way as an
underspend (the provider keeps its share of a saving). Blended payment is the special case of one
band with provider share 0.8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import FloatArray, as_float, check_increasing, check_rate, fail
from quasimarket.mechanisms.registry import register

__all__ = ["RiskShare", "risk_share"]


@dataclass(frozen=True, slots=True)
class RiskShare:
    """A binary risk share.

    Attributes:
        deviation: ``actual − plan``, £ (positive = overspend / over-performance).
        provider_bears: Part of the deviation the provider bears, £ (same sign as deviation:
            for an overspend it is unpaid; for an underspend it is the saving the provider keeps).
        commissioner_bears: ``deviation − provider_bears``, £.
        payment: ``plan + commissioner_bears``: what the commissioner pays, £.
    """

    deviation: FloatArray
    provider_bears: FloatArray
    commissioner_bears: FloatArray
    payment: FloatArray


def risk_share(
    actual_value: npt.ArrayLike,
    *,
    plan_value: npt.ArrayLike,
    band_edges: npt.ArrayLike,
    provider_shares: npt.ArrayLike,
) -> RiskShare:
    """Split the deviation from plan between provider and commissioner, band by band.

    Band ``k`` covers deviations (in absolute size) from ``edge[k−1] × plan`` to
    ``edge[k] × plan`` (the first starts at 0, the last is open); the provider bears
    ``provider_shares[k]`` of the part of the deviation inside band ``k``.

    Args:
        actual_value: Actual value (activity at contract prices, or cost), £.
        plan_value: Planned value, £.
        band_edges: Band edges as fractions of plan on the LAST axis, positive and strictly
            increasing (e.g. ``[0.02, 0.05]``).
        provider_shares: Provider's share in each band, LAST axis of length
            ``len(band_edges) + 1``, each in [0, 1]; the commissioner bears the rest.

    Returns:
        :class:`RiskShare`; ``provider_bears + commissioner_bears == deviation``.

    Risk:
        Deviation from plan split band by band at pre-agreed ratios; provider and commissioner
        shares add up to the deviation.

    Source:
        002@260736; payment-rules.md A11 [K] (band shape and example shares).

    Raises:
        ConfigError: Edges not increasing; shares outside [0, 1]; wrong number of shares.
    """
    edges = check_increasing(band_edges, "band_edges")
    shares = np.atleast_1d(check_rate(provider_shares, "provider_shares"))
    if shares.shape[-1] != edges.shape[-1] + 1:
        fail(
            "provider_shares",
            f"provider_shares has {shares.shape[-1]} values for {edges.shape[-1]} band edges",
            expected=f"{edges.shape[-1] + 1} shares: one per band, i.e. len(band_edges) + 1",
            fix="give one provider share for each band, including the open top band",
        )
    actual = as_float(actual_value)
    plan = as_float(plan_value)
    deviation = actual - plan
    size = np.abs(deviation)[..., np.newaxis]
    scale = np.abs(plan)[..., np.newaxis]
    starts = np.concatenate([np.zeros((*edges.shape[:-1], 1)), edges], axis=-1)
    above_start = np.maximum(size - starts * scale, 0.0)  # (..., bands)
    widths = np.diff(starts, axis=-1) * scale  # closed bands only; the top band is open
    in_band = np.concatenate(
        [np.minimum(above_start[..., :-1], widths), above_start[..., -1:]], axis=-1
    )
    provider = np.sign(deviation) * np.sum(in_band * shares, axis=-1)
    commissioner = deviation - provider
    return RiskShare(
        deviation=deviation,
        provider_bears=provider,
        commissioner_bears=commissioner,
        payment=plan + commissioner,
    )


register(
    "risk_share",
    title="Binary risk share (banded)",
    kind="contract",
    function=risk_share,
    rule_source="002@260736; payment-rules.md A11 [K]",
    risk_note=(
        "Deviation from plan split band by band at pre-agreed ratios; provider and commissioner "
        "shares add up to the deviation."
    ),
)
