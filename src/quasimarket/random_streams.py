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
"""

from __future__ import annotations

import functools
import hashlib
import operator

import numpy as np

__all__ = ["seed_sequence", "spawn_key", "stable_hash", "stream"]

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
