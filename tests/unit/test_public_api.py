"""The public API is a tested artefact: sorted ``__all__``, every name importable, nothing stray."""

from __future__ import annotations

import subprocess
import sys

import pytest

import quasimarket

pytestmark = pytest.mark.unit


def test_all_is_unique_and_complete() -> None:
    exported = quasimarket.__all__
    assert len(exported) == len(set(exported))
    eager = {"ConfigError", "FinancialYear", "InputError", "QuasimarketError", "RunError"}
    eager |= {"__version__", "round_pence"}
    assert set(exported) == set(quasimarket._LAZY) | eager


@pytest.mark.parametrize("name", quasimarket.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    assert getattr(quasimarket, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = quasimarket.no_such_thing  # type: ignore[attr-defined]


def test_exported_aliases_point_at_the_registry() -> None:
    from quasimarket import mechanisms

    assert quasimarket.MECHANISMS is mechanisms.REGISTRY
    assert quasimarket.get_mechanism("mret") is mechanisms.REGISTRY["mret"]


def test_import_is_lazy() -> None:
    """``import quasimarket`` must not pull in the engines (they load on first use)."""
    code = "import sys, quasimarket; print('quasimarket.pricing' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
