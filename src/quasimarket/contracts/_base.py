"""Shared base of the contract models: frozen, unknown keys refused, ``kwargs()``."""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["ContractModel", "MechanismTerms", "rule_error"]


def rule_error(message: str, *, expected: str = "", fix: str = "") -> PydanticCustomError:
    """A validation error that carries *expected* and *fix* through to the ConfigError.

    Raise it from a validator; the loader turns it into one message with the field's location.
    """
    return PydanticCustomError(
        "contract_rule",
        message.replace("{", "(").replace("}", ")"),
        {"expected": expected, "fix": fix},
    )


class ContractModel(BaseModel):
    """Base of every contract-file model: immutable, and unknown keys are an error."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _no_true_for_a_number(cls, data: Any) -> Any:
        # pydantic reads true as 1 for a number field; in a contract that is a typo, not 100%
        if isinstance(data, dict):
            for name, value in data.items():
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if isinstance(value, bool) and field and _number_not_bool(field.annotation):
                    written = str(value).lower()
                    raise rule_error(
                        f"{name} = {written} is true/false, not a number",
                        expected="a number",
                        fix=f"write {name} as a number, e.g. 0.5",
                    )
        return data


def _types_in(annotation: Any) -> set[Any]:
    """Every plain type named in *annotation* (through Optional, unions and Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return {annotation}
    if origin is typing.Annotated:
        return _types_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_types_in(arg) for arg in typing.get_args(annotation)))
    return {origin}


def _number_not_bool(annotation: Any) -> bool:
    named = _types_in(annotation)
    return bool(named & {int, float}) and bool not in named and Any not in named


class MechanismTerms(ContractModel):
    """Terms that parameterise one function in :mod:`quasimarket.mechanisms`.

    Subclasses list, in ``KWARGS``, the fields whose names are keyword arguments of the
    mechanism function named in ``FUNCTION``; :meth:`kwargs` returns those that are set, so
    the pricing engine can call ``function(activity_or_value, **terms.kwargs())``.
    """

    #: Dotted name of the mechanism function under ``quasimarket.mechanisms``.
    FUNCTION: ClassVar[str] = ""
    #: Field names passed to that function as keyword arguments.
    KWARGS: ClassVar[tuple[str, ...]] = ()
    #: Fields whose omitted value comes from the payment-rule calendar: field -> calendar field.
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {}
    #: Fields whose omitted value comes from the service line: field -> line field.
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {}
    #: Fields that must have a value once defaults are applied (else the contract is refused).
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    #: Payment-rule calendar field that is true / not None in years when this rule applies
    #: (empty: allowed in every year).
    IN_FORCE: ClassVar[str] = ""
    #: Human name of that condition, for messages ("the MRET was in force").
    IN_FORCE_TEXT: ClassVar[str] = ""
    #: One-line description for summaries and templates.
    TITLE: ClassVar[str] = ""
    #: Source of the rule (payment-rules.md section and/or seed location).
    SOURCE: ClassVar[str] = ""

    @property
    def function_name(self) -> str:
        """Dotted name of the mechanism function these terms parameterise."""
        return self.FUNCTION

    def kwargs(self) -> dict[str, Any]:
        """The mechanism function's keyword arguments that this contract sets (``None`` left out).

        Tuples are returned as lists, so they can be turned into numpy arrays directly.
        """
        out: dict[str, Any] = {}
        for name in self.KWARGS:
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out
