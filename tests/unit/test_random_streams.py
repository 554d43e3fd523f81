"""Named random streams: deterministic, independent per (name, keys), stable across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from quasimarket.random_streams import seed_sequence, spawn_key, stable_hash, stream

pytestmark = pytest.mark.unit


def test_same_arguments_give_identical_draws() -> None:
    a = stream(11, "volume:nel", 3, "x").random(1000)
    b = stream(11, "volume:nel", 3, "x").random(1000)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ((11, "volume:nel"), (11, "volume:el")),  # name
        ((11, "volume:nel", 0), (11, "volume:nel", 1)),  # integer key
        ((11, "volume:nel", 0), (11, "volume:nel")),  # number of keys
        ((11, "volume:nel", "a"), (11, "volume:nel", "b")),  # text key
        ((11, "volume:nel", 0, 1), (11, "volume:nel", 1, 0)),  # key order
        ((11, "volume:nel"), (12, "volume:nel")),  # seed
    ],
)
def test_different_name_keys_or_seed_give_different_draws(
    left: tuple[Any, ...], right: tuple[Any, ...]
) -> None:
    a = stream(*left).random(1000)
    b = stream(*right).random(1000)
    assert not np.any(a == b)
    # Independent streams: no more correlation than chance (|r| < 5 / sqrt(n) comfortably).
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.15


def test_spawn_key_and_seed_sequence() -> None:
    assert spawn_key("demand_growth") == (stable_hash("demand_growth"),)
    assert spawn_key("volume:nel", 4, "x") == (stable_hash("volume:nel"), 4, stable_hash("x"))
    seq = seed_sequence(5, "volume:nel", 4)
    assert seq.entropy == 5
    assert seq.spawn_key == spawn_key("volume:nel", 4)
    # The stress tester's historical layout is this one: its draws are unchanged.
    legacy = np.random.SeedSequence(5, spawn_key=(stable_hash("volume:nel"), 4))
    np.testing.assert_array_equal(
        stream(5, "volume:nel", 4).standard_normal(10),
        np.random.Generator(np.random.PCG64(legacy)).standard_normal(10),
    )


def test_stable_hash_is_fixed() -> None:
    # BLAKE2b-64 of the UTF-8 name, pinned: a change of hash (every stream) is a visible change.
    assert stable_hash("volume:nel") == 15344041367941979976
    np.testing.assert_array_equal(
        stream(0, "x").random(2), [0.4872550481306881, 0.4480300687635911]
    )
    assert 0 <= stable_hash("£ and ü") < 2**64


@pytest.mark.parametrize(
    ("seed", "name", "keys", "error"),
    [
        (-1, "x", (), ValueError),
        (1.5, "x", (), ValueError),
        (True, "x", (), ValueError),
        (0, "x", (-1,), ValueError),
        (0, "x", (2**32,), ValueError),
        (0, "x", (1.0,), TypeError),
        (0, "x", (True,), TypeError),
        (0, 3, (), TypeError),
    ],
)
def test_bad_arguments_are_refused(
    seed: object, name: object, keys: tuple[object, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        stream(seed, name, *keys)  # type: ignore[arg-type]


def test_numpy_integer_seed_and_keys() -> None:
    a = stream(np.int64(3), "x", np.int32(2)).random(5)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a, stream(3, "x", 2).random(5))


_SNIPPET = (
    "from quasimarket.random_streams import stream;"
    "print(repr(stream(42, 'behaviour:procurement', 7, 'C1').random(4).tolist()))"
)


def test_independent_of_pythonhashseed() -> None:
    outputs = set()
    for hash_seed in ("0", "1", "12345", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _SNIPPET], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout.strip())
    assert len(outputs) == 1
    here = repr(stream(42, "behaviour:procurement", 7, "C1").random(4).tolist())
    assert outputs == {here}


#: numpy calls that make a generator or seed without the helper.
_SEEDING = {"default_rng", "SeedSequence", "RandomState", "seed", "Generator", "PCG64"}


def test_every_generator_in_the_package_comes_from_the_one_helper() -> None:
    """Issue "One payment engine": one random-stream helper for the stress tester, the
    simulation, its behaviour rules and the economy. Only ``random_streams`` may seed numpy."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "quasimarket"
    offenders = []
    for path in sorted(src.rglob("*.py")):
        if path.name == "random_streams.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in _SEEDING:
                base = ast.unparse(func.value)
                if base in {"np.random", "numpy.random", "random"}:
                    offenders.append(f"{path.relative_to(src)}:{node.lineno} {ast.unparse(func)}")
    assert offenders == [], "seed through quasimarket.random_streams.stream: " + ", ".join(
        offenders
    )


def test_the_economy_parts_draw_from_named_streams() -> None:
    """Each part of the synthetic economy has its own stream: the commissioners' sizes are the
    first draws of ``stream(seed, "economy:commissioners", level)`` (CCG sizes: sigma 0.5)."""
    from quasimarket.economy import synthetic_economy

    economy = synthetic_economy(seed=5, year="2015/16")
    n = len(economy.commissioners)

    def size(name: str) -> npt.NDArray[np.float64]:
        return 0.3 + np.minimum(stream(5, name, "CCG").lognormal(0.0, 0.5, n), 3.0)

    population = economy.commissioners["population"].to_numpy()
    # population follows size within each region (practice list sizes are floored and rounded)
    share = np.zeros(n)
    for r in np.unique(region := economy.commissioners["region_code"].to_numpy()):
        share[region == r] = population[region == r] / population[region == r].sum()

    def fit(name: str) -> float:
        drawn = size(name)
        for r in np.unique(region):
            drawn[region == r] /= drawn[region == r].sum()
        return float(np.corrcoef(share, drawn)[0, 1])

    assert fit("economy:commissioners") > 0.99
    assert fit("economy:practices") < 0.5
