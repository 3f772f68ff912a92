"""Student names from pooled Faker draws: reproducible, distinct pools, vectorised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.engine.names import FIRST_POOL, LAST_POOL, NamePool, student_names

REPO_ROOT = Path(__file__).resolve().parents[1]

POOL_SCRIPT = """
import json, sys
from simulator.engine.names import NamePool
pool = NamePool.build(int(sys.argv[1]))
print(json.dumps([pool.first.tolist(), pool.last.tolist()]))
"""


def pools_in_fresh_process(seed: int, hash_seed: str) -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": hash_seed}
    completed = subprocess.run(
        [sys.executable, "-c", POOL_SCRIPT, str(seed)],
        capture_output=True,
        check=True,
        env=env,
        text=True,
    )
    return json.loads(completed.stdout)


def test_same_seed_gives_same_names() -> None:
    first = student_names(7, np.random.default_rng(1), 1_000)
    again = student_names(7, np.random.default_rng(1), 1_000)
    assert first.tolist() == again.tolist()


def test_pools_are_identical_in_other_processes_whatever_their_hash_seed() -> None:
    pool = NamePool.build(7)
    expected = [pool.first.tolist(), pool.last.tolist()]
    assert pools_in_fresh_process(7, "0") == expected
    assert pools_in_fresh_process(7, "12345") == expected


def test_different_seeds_give_different_pools() -> None:
    one, two = NamePool.build(1), NamePool.build(2)
    assert one.first.tolist() != two.first.tolist()
    assert one.last.tolist() != two.last.tolist()


def test_build_is_cached_per_seed_and_locale() -> None:
    assert NamePool.build(3) is NamePool.build(3)
    assert NamePool.build(3) is not NamePool.build(3, "en_GB")


def test_cached_pools_cannot_be_changed_by_a_caller() -> None:
    pool = NamePool.build(3)
    with pytest.raises(ValueError, match="read-only"):
        pool.first[0] = "Mallory"


def test_en_us_pools_are_full_and_have_no_duplicates() -> None:
    pool = NamePool.build(11)
    assert len(pool.first) == FIRST_POOL
    assert len(pool.last) == LAST_POOL
    assert len(set(pool.first.tolist())) == FIRST_POOL
    assert len(set(pool.last.tolist())) == LAST_POOL


def test_a_locale_with_few_names_gets_a_smaller_pool_without_duplicates() -> None:
    pool = NamePool.build(11, "ja_JP")
    assert 0 < len(pool.first) < FIRST_POOL
    assert len(set(pool.first.tolist())) == len(pool.first)
    assert len(set(pool.last.tolist())) == len(pool.last)


def test_names_join_the_indexed_first_and_last_names() -> None:
    pool = NamePool.build(5)
    first_idx = np.array([0, 3, 3])
    last_idx = np.array([2, 0, 2])
    names = pool.names(first_idx, last_idx)
    assert isinstance(names.dtype, np.dtypes.StringDType)
    assert names.tolist() == [
        f"{pool.first[i]} {pool.last[j]}" for i, j in zip(first_idx, last_idx, strict=True)
    ]


def test_names_keep_the_shape_of_the_indices() -> None:
    pool = NamePool.build(5)
    grid = np.arange(6).reshape(2, 3)
    assert pool.names(grid, grid).shape == (2, 3)


def test_draw_indices_are_in_range_and_follow_the_rng() -> None:
    pool = NamePool.build(5)
    first_idx, last_idx = pool.draw_indices(np.random.default_rng(9), 10_000)
    assert first_idx.shape == last_idx.shape == (10_000,)
    assert first_idx.min() >= 0 and first_idx.max() < len(pool.first)
    assert last_idx.min() >= 0 and last_idx.max() < len(pool.last)
    again = pool.draw_indices(np.random.default_rng(9), 10_000)
    assert np.array_equal(first_idx, again[0]) and np.array_equal(last_idx, again[1])


def test_a_million_students_get_names() -> None:
    names = student_names(2026, np.random.default_rng(0), 1_000_000)
    assert names.shape == (1_000_000,)
    assert bool(np.all(np.strings.find(names, " ") > 0))
    assert len(np.unique(names)) > 100_000
