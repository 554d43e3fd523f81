"""Named distributions for sources of uncertainty, as validated scenario fields.

Every continuous distribution is driven by one standard-normal score ``z`` per draw (so that
correlation can be imposed with a Gaussian copula on the scores) and turned into a value by
its quantile function: ``value = F⁻¹(Φ(z))``. Draw 0 (the central case) has ``z = 0``, i.e.
every source at its MEDIAN. The count distributions (Poisson, negative binomial) are drawn
directly from their stream and are only allowed for activity volumes; their central value is
the planned activity (the mean).

An ``interval_80 = [low, high]`` is the 80% interval (P10 to P90) of a normal (default) or
lognormal distribution: sd = (high − low) / (2 × 1.2816), where 1.2816 = Φ⁻¹(0.9).
"""

from __future__ import annotations

import difflib
import math
from statistics import NormalDist
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from quasimarket._types import FloatArray

__all__ = [
    "CONTINUOUS",
    "COUNT",
    "Continuous",
    "Count",
    "Interval80",
    "Lognormal",
    "NegativeBinomial",
    "Normal",
    "Poisson",
    "Triangular",
    "VolumeDistribution",
    "normal_cdf",
]


#: Φ⁻¹(0.9): half-width of an 80% normal interval in standard deviations.
Z90 = NormalDist().inv_cdf(0.9)


class _Spec(BaseModel):
    # A NaN or inf parameter would make every draw NaN: refused, like any bad number.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Normal(_Spec):
    """``distribution = "normal"``: mean and standard deviation (sd ≥ 0)."""

    distribution: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(ge=0)

    def transform(self, z: FloatArray) -> FloatArray:
        """Value for standard-normal scores *z*."""
        return self.mean + self.sd * z


class Lognormal(_Spec):
    """``distribution = "lognormal"``: median (> 0) and sigma, the sd of the log (≥ 0)."""

    distribution: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def transform(self, z: FloatArray) -> FloatArray:
        """Value for standard-normal scores *z*."""
        return self.median * np.exp(self.sigma * z)


class Triangular(_Spec):
    """``distribution = "triangular"``: low ≤ mode ≤ high (low < high)."""

    distribution: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"triangular needs low ≤ mode ≤ high and low < high, got low={self.low:g}, "
                f"mode={self.mode:g}, high={self.high:g}"
            )
        return self

    def transform(self, z: FloatArray) -> FloatArray:
        """Value for standard-normal scores *z* (inverse CDF of the triangular)."""
        u = normal_cdf(z)
        lo, mo, hi = self.low, self.mode, self.high
        cut = (mo - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mo - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mo))
        out: FloatArray = np.where(u < cut, left, right)
        return out


class Interval80(_Spec):
    """``interval_80 = [low, high]``: the P10–P90 interval of a normal or lognormal."""

    distribution: Literal["interval"] = "interval"
    interval_80: tuple[float, float]
    shape: Literal["normal", "lognormal"] = "normal"

    @model_validator(mode="after")
    def _ordered(self) -> Interval80:
        low, high = self.interval_80
        if low > high:
            raise ValueError(
                f"interval_80 low ({low:g}) is above high ({high:g}); write [low, high]"
            )
        if self.shape == "lognormal" and low <= 0:
            raise ValueError("a lognormal interval_80 needs low > 0")
        return self

    def transform(self, z: FloatArray) -> FloatArray:
        """Value for standard-normal scores *z*."""
        low, high = self.interval_80
        if self.shape == "lognormal":
            sigma = (math.log(high) - math.log(low)) / (2.0 * Z90)
            return math.sqrt(low * high) * np.exp(sigma * z)
        return (low + high) / 2.0 + (high - low) / (2.0 * Z90) * z


class Poisson(_Spec):
    """``distribution = "poisson"``: activity count with mean = the planned activity."""

    distribution: Literal["poisson"]


class NegativeBinomial(_Spec):
    """``distribution = "negative_binomial"``: count with mean = plan and variance
    ``plan + plan² / dispersion`` (dispersion > 0; large = close to Poisson)."""

    distribution: Literal["negative_binomial"]
    dispersion: float = Field(gt=0)


def _tag(value: Any) -> str | None:
    """The distribution name: ``distribution``, else ``"interval"`` when ``interval_80`` is
    given (so ``interval_80 = [a, b]`` needs no ``distribution`` key)."""
    if isinstance(value, dict):
        if "distribution" in value:
            return str(value["distribution"])
        return "interval" if "interval_80" in value else None
    return getattr(value, "distribution", None)


def _typo_of_tag_key(value: Any) -> Any:
    """Name a misspelt ``distribution`` or ``interval_80`` key rather than report neither."""
    if isinstance(value, dict) and "distribution" not in value and "interval_80" not in value:
        for key in value:
            close = difflib.get_close_matches(
                str(key), ("distribution", "interval_80"), n=1, cutoff=0.7
            )
            if close:
                raise ValueError(f"unknown key '{key}': did you mean '{close[0]}'?")
    return value


Continuous = Annotated[
    Annotated[Normal, Tag("normal")]
    | Annotated[Lognormal, Tag("lognormal")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Interval80, Tag("interval")],
    Discriminator(
        _tag,
        custom_error_type="unknown_distribution",
        custom_error_message="unknown or missing distribution: give distribution = one of "
        "normal, lognormal, triangular, or interval_80 = [low, high]",
    ),
    BeforeValidator(_typo_of_tag_key),
]
Count = Poisson | NegativeBinomial
VolumeDistribution = Annotated[
    Annotated[Normal, Tag("normal")]
    | Annotated[Lognormal, Tag("lognormal")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Interval80, Tag("interval")]
    | Annotated[Poisson, Tag("poisson")]
    | Annotated[NegativeBinomial, Tag("negative_binomial")],
    Discriminator(
        _tag,
        custom_error_type="unknown_distribution",
        custom_error_message="unknown or missing distribution: give distribution = one of "
        "normal, lognormal, triangular, poisson, negative_binomial, or "
        "interval_80 = [low, high]",
    ),
    BeforeValidator(_typo_of_tag_key),
]
#: Names accepted for ``distribution``.
CONTINUOUS = ("normal", "lognormal", "triangular", "interval")
COUNT = ("poisson", "negative_binomial")


def normal_cdf(z: FloatArray) -> FloatArray:
    """Φ(z), the standard normal CDF, vectorised (absolute error < 1.2e-7).

    Uses the Chebyshev fit to the complementary error function of Press et al.,
    *Numerical Recipes* (2nd ed., 1992, §6.2, ``erfcc``), with Φ(z) = erfc(−z/√2)/2.
    """
    x = -np.asarray(z, dtype=np.float64) / np.sqrt(2.0)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    erfc = t * np.exp(-a * a + poly)
    erfc = np.where(x >= 0, erfc, 2.0 - erfc)
    result: FloatArray = 0.5 * erfc
    return result
