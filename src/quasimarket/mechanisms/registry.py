"""The mechanism registry: every payment mechanism by name, with its rule source and risk note.

Contract files and scenarios name mechanisms (``mechanism = "block"``, ``rule = "mret"``); the
pricing and stress-test engines look them up here, and the docs list them from here. Each module
in :mod:`quasimarket.mechanisms` registers its functions when imported, so
``import quasimarket.mechanisms`` fills :data:`REGISTRY`.

Example:
    >>> from quasimarket import mechanisms
    >>> m = mechanisms.get("mret")
    >>> m.kind
    'adjustment'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

from quasimarket.errors import ConfigError

__all__ = ["KINDS", "REGISTRY", "Basis", "Kind", "Mechanism", "get", "register", "registered"]

Kind = Literal["unit_price", "payment_form", "adjustment", "contract", "practice"]
Basis = Literal["", "unit", "count", "value", "scope_value", "month_value", "terms"]
"""What a payment form is computed from, on the line's aggregates (the pipeline's dispatch).

* ``unit``: nothing at line level; the unit price is the payment (national tariff, cost per case).
* ``count``: the line's activity count (cost and volume, caps and collars).
* ``value``: the line's value at that step (blended payment).
* ``scope_value``: the value of the line's activity in the mechanism's ``scope`` (API: elective).
* ``month_value``: each month's value is replaced (block).
* ``terms``: the terms alone (capitation: weighted population × rate).
"""
"""What a mechanism acts on.

* ``unit_price``: sets the price of one unit of activity (record level).
* ``payment_form``: turns a line's activity or value into a payment.
* ``adjustment``: changes a line's payment (MRET, CQUIN, sanctions, …).
* ``contract``: acts on a whole contract or alliance (risk share, gain/loss share, settlement).
* ``practice``: GP practice payments.
"""

KINDS: tuple[str, ...] = get_args(Kind)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One registered payment mechanism.

    Attributes:
        name: Registry key used in contract files, e.g. ``"mret"``.
        title: Human title, e.g. ``"Marginal rate emergency rule"``.
        kind: One of :data:`KINDS`.
        function: The pure vectorised function implementing the rule.
        rule_source: Where the rule comes from (document, section, year; seed locations).
        risk_note: Who bears which financial risk under the rule, in one or two sentences.
        scope: Points of delivery the rule acts on (empty: every point of delivery of the line),
            names from :mod:`quasimarket.vocabulary`. The payment pipeline reads it, so the
            pricing engine, the stress tester and the simulation all apply the same scope.
        basis: For payment forms, the line aggregate the function is applied to (:data:`Basis`).
    """

    name: str
    title: str
    kind: Kind
    function: Callable[..., Any]
    rule_source: str
    risk_note: str
    scope: tuple[str, ...] = ()
    basis: Basis = ""

    @property
    def qualified_name(self) -> str:
        """``module.function`` under :mod:`quasimarket.mechanisms`, e.g. ``mret.cquin_payment``."""
        module = self.function.__module__.removeprefix("quasimarket.mechanisms.")
        return f"{module}.{self.function.__name__}"


REGISTRY: dict[str, Mechanism] = {}
"""All registered mechanisms by name (filled on ``import quasimarket.mechanisms``)."""


def _same_function(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def register(
    mechanism: Mechanism | str,
    *,
    title: str | None = None,
    kind: Kind | None = None,
    function: Callable[..., Any] | None = None,
    rule_source: str | None = None,
    risk_note: str | None = None,
    scope: tuple[str, ...] = (),
    basis: Basis = "",
) -> Mechanism:
    """Add a mechanism to :data:`REGISTRY` and return it.

    Call it with a :class:`Mechanism`, or with the name and the other fields as keywords::

        register("national_tariff", title="National tariff", kind="unit_price",
                 function=national_tariff_price, rule_source="payment-rules.md A1 [K]",
                 risk_note="Commissioner bears volume risk; provider bears cost risk.")

    Re-registering the same function under the same name (a module reload) is allowed;
    registering a different function under a taken name is a programming error.

    Raises:
        ValueError: The name is taken by another function, a field is missing or the kind
            is unknown.
    """
    if isinstance(mechanism, str):
        if title is None or kind is None or function is None or rule_source is None:
            raise ValueError("register(name, ...) needs title, kind, function and rule_source")
        mechanism = Mechanism(
            name=mechanism,
            title=title,
            kind=kind,
            function=function,
            rule_source=rule_source,
            risk_note=risk_note or "",
            scope=scope,
            basis=basis,
        )
    if mechanism.kind not in KINDS:
        raise ValueError(f"mechanism kind must be one of {KINDS}, got {mechanism.kind!r}")
    existing = REGISTRY.get(mechanism.name)
    if existing is not None and not _same_function(existing.function, mechanism.function):
        raise ValueError(
            f"mechanism name {mechanism.name!r} is already registered to {existing.qualified_name}"
        )
    REGISTRY[mechanism.name] = mechanism
    return mechanism


def registered(
    name: str, *, title: str, kind: Kind, rule_source: str, risk_note: str
) -> Callable[[F], F]:
    """Decorator form of :func:`register`: ``@registered("block", title=..., ...)``."""

    def decorate(function: F) -> F:
        register(
            name,
            title=title,
            kind=kind,
            function=function,
            rule_source=rule_source,
            risk_note=risk_note,
        )
        return function

    return decorate


def get(name: str) -> Mechanism:
    """The registered mechanism called ``name``.

    Raises:
        ConfigError: ``name`` is not registered; the message lists the known names.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(
            f"unknown payment mechanism {name!r}",
            location="mechanism",
            expected=f"one of: {known}",
            fix="correct the spelling; `quasimarket.mechanisms.REGISTRY` lists every mechanism",
        ) from None
