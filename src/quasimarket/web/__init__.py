"""The quasimarket web application: the engines behind NHS-styled pages and a JSON API.

* :func:`create_app`: the FastAPI application for a :class:`WebConfig`.
* :class:`WebConfig`: where data lives, who may log in, where it listens.
* :func:`hash_secret`: an argon2id hash for the users file.

The web layer adds no modelling logic: every figure on a page comes from the public APIs of
:mod:`quasimarket.structure`, :mod:`quasimarket.economy`, :mod:`quasimarket.contracts`,
:mod:`quasimarket.pricing`, :mod:`quasimarket.stress`, :mod:`quasimarket.runs` and (when it is
installed) :mod:`quasimarket.simulation`. See ``docs/web.md``.
"""

from __future__ import annotations

from quasimarket.web.app import create_app
from quasimarket.web.auth import hash_secret
from quasimarket.web.config import WebConfig

__all__ = ["WebConfig", "create_app", "hash_secret"]
