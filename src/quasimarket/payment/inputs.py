"""What the payment rules need beyond activity: achievement and performance, per line.

Pricing, stress testing and the simulation all hand the pipeline these two objects. Values
are fractions (0-1) or counts, either plain floats or arrays over a leading draw axis
(the stress tester draws achievement per draw). Everything is resolved to contract LINE ids
before it reaches the pipeline; the file loaders (:mod:`quasimarket.payment.input_files`)
accept per-provider and contract-wide entries and resolve them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt

__all__ = ["Achievement", "Performance", "StandardData"]

#: One standard's data: ``{"numerator": n, "denominator": d}`` (threshold standards) or
#: ``{"count": n}`` (per-breach standards). Values may be arrays over draws.
StandardData = Mapping[str, "float | npt.NDArray[Any]"]


@dataclass(frozen=True)
class Achievement:
    """Achievement given at pricing time, by contract line.

    Attributes:
        cquin: line id -> CQUIN goal name -> share of the goal achieved (0-1).
        outcomes: line id -> capitation outcome achievement (0-1).
        alliance: the alliance's outcome achievement (0-1), or None.
        contingency: line id -> share of a capitation contingency released (0-1).
        source: Where these came from (a file name, ``--achievement``), for notes.
    """

    cquin: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    outcomes: Mapping[str, Any] = field(default_factory=dict)
    alliance: Any = None
    contingency: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class Performance:
    """Performance against operational standards, by contract line.

    Attributes:
        lines: line id -> standard name -> :data:`StandardData`.
        source: Where these came from, for notes.
    """

    lines: Mapping[str, Mapping[str, StandardData]] = field(default_factory=dict)
    source: str = ""
