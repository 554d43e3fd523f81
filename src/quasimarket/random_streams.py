"""Named random streams: one deterministic, independent generator per (seed, name, keys).

Every random number in the package comes from :func:`stream`::

    rng = stream(seed, "volume:nel", block)      # the stress tester, block b of a source
    rng = stream(seed, "behaviour:procurement", draw)
    rng = stream(seed, "economy:practices", level)

A stream is ``np.random.SeedSequence(seed, spawn_key=spawn_key(name, *keys))`` feeding a PCG64
bit generator. The spawn key is the 64-bit BLAKE2b hash of the UTF-8 *name* followed by each
key (an integer key as itself, a text key by the same hash), so:

* the same arguments always give the same draws, on every machine, run and Python process (no
  use of Python's salted ``hash()``; ``PYTHONHASHSEED`` does not matter);
* streams with a different name or keys are statistically independent (``SeedSequence`` spawn
  keys), so adding, removing or reordering one source of randomness never changes another's
  draws (common random numbers across designs, regimes and chunkings);
* the seed is the root entropy of every stream, so a different seed changes them all.

Two different (name, keys) give the same stream only if two names' 64-bit hashes collide (about
one chance in 2⁶⁴ per pair).

:func:`validate_seed` is the one check of a user's seed; every entry point that takes one (a
stress run, a simulation, an economy or activity build) calls it before doing any work.
"""

from __future__ import annotations

import functools
import hashlib
import operator

import numpy as np

from quasimarket.errors import InputError

__all__ = ["MAX_SEED", "seed_sequence", "spawn_key", "stable_hash", "stream", "validate_seed"]

#: The largest seed: seeds are stored in the run catalog as signed 64-bit integers (``BIGINT``).
MAX_SEED = 2**63 - 1

#: Integer keys are single 32-bit words of the spawn key (so a key is never split in two).
_MAX_INT_KEY = 2**32 - 1


@functools.lru_cache(maxsize=4096)
def stable_hash(name: str) -> int:
    """A 64-bit integer from *name* (BLAKE2b of its UTF-8), the same on every machine and run."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def _key(key: int | str) -> int:
    if isinstance(key, str):
        return stable_hash(key)
    if isinstance(key, bool) or not isinstance(key, int | np.integer):
        raise TypeError(f"a stream key must be an int or a str, got {key!r}")
    value = operator.index(key)
    if not 0 <= value <= _MAX_INT_KEY:
        raise ValueError(f"an integer stream key must be in [0, 2**32), got {value}")
    return value


def spawn_key(name: str, *keys: int | str) -> tuple[int, ...]:
    """The ``SeedSequence`` spawn key of stream *name* with *keys*.

    Args:
        name: Stream name, e.g. ``"volume:nel"`` (any text; its hash is the first key).
        keys: Further keys: integers in [0, 2**32) (a draw, block or year index) or text
            (hashed like the name).

    Raises:
        TypeError: *name* is not text, or a key is neither an integer nor text.
        ValueError: an integer key is negative or 2**32 or more.
    """
    if not isinstance(name, str):
        raise TypeError(f"a stream name must be a str, got {name!r}")
    return (stable_hash(name), *(_key(k) for k in keys))


def validate_seed(seed: object, *, location: str) -> int:
    """*seed* as a plain ``int``, if it is a whole number from 0 to :data:`MAX_SEED` (2**63 - 1).

    Python and numpy integers are accepted; ``True``/``False``, floats, text and anything
    outside the range are not. Entry points call this first, so a bad seed fails at once
    rather than after the whole run, when the run store cannot record it.

    Args:
        seed: The seed as given.
        location: Where the seed came from, for the message (e.g. ``"seed"``, ``"--seed"``).

    Raises:
        InputError: *seed* is not an integer, or is negative or 2**63 or more.

    Example:
        >>> validate_seed(np.int64(42), location="seed")
        42
    """
    expected = f"a whole number from 0 to 2**63 - 1 ({MAX_SEED:,})"
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InputError(
            f"the seed must be a whole number, got {seed!r}",
            location=location,
            expected=expected,
            fix="give a seed such as 0 or 42",
        )
    value = int(seed)
    if not 0 <= value <= MAX_SEED:
        raise InputError(
            f"the seed {value} is out of range",
            location=location,
            expected=expected,
            fix="give a non-negative seed such as 0 or 42"
            if value < 0
            else "give a seed below 2**63 (e.g. the seed modulo 2**63)",
        )
    return value


def seed_sequence(seed: int, name: str, *keys: int | str) -> np.random.SeedSequence:
    """The ``SeedSequence`` of stream *name* with *keys* under *seed* (see :func:`stream`)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"a random seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed), spawn_key=spawn_key(name, *keys))


def stream(seed: int, name: str, *keys: int | str) -> np.random.Generator:
    """A fresh generator for stream *name* with *keys* under *seed*.

    Deterministic in its arguments and independent of every other (name, keys).

    Args:
        seed: Root seed, a non-negative integer (a scenario's or economy's ``seed``).
        name: Stream name, e.g. ``"volume:nel"``, ``"behaviour:procurement"``.
        keys: Further keys (see :func:`spawn_key`).

    Returns:
        ``np.random.Generator(np.random.PCG64(seed_sequence(seed, name, *keys)))``.

    Raises:
        ValueError: a negative or non-integer seed, or an integer key out of range.
        TypeError: a name or key of the wrong type.

    Example:
        >>> a = stream(7, "demo", 0).random(3)
        >>> bool((a == stream(7, "demo", 0).random(3)).all())
        True
        >>> bool((a == stream(7, "demo", 1).random(3)).any())
        False
    """
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, name, *keys)))
