"""Student names for simulated rosters, fast enough for a million students.

Faker makes only a few thousand names a second, so it is asked once per seed
for two pools of distinct first and last names; students then get uniformly
drawn pairs, combined by numpy without a Python loop per name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker

FIRST_POOL = 512
# en_US has only 1,000 distinct last names; 768 fills quickly without long redraws.
LAST_POOL = 768
# Locales with fewer names than a pool's size get a smaller pool after this many
# draws per slot instead of drawing forever.
_DRAWS_PER_NAME = 20


@dataclass(frozen=True, eq=False)
class NamePool:
    """Distinct first and last names, combined by index into "First Last"."""

    first: np.ndarray
    last: np.ndarray

    @classmethod
    def build(cls, seed: int, locale: str = "en_US") -> NamePool:
        """The pools for ``seed``: identical in every process, built once per process."""
        return _build_pool(seed, locale)

    def names(self, first_idx: np.ndarray, last_idx: np.ndarray) -> np.ndarray:
        """Full names for paired indices, as a numpy StringDType array."""
        with_space = np.strings.add(self.first, " ")
        return np.strings.add(with_space[first_idx], self.last[last_idx])

    def draw_indices(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` uniform (first, last) index pairs; the caller's rng keeps runs reproducible."""
        return (
            rng.integers(0, len(self.first), size=n),
            rng.integers(0, len(self.last), size=n),
        )


def student_names(seed: int, rng: np.random.Generator, n: int, locale: str = "en_US") -> np.ndarray:
    """``n`` student names from the pools for ``seed``, drawn with ``rng``."""
    pool = NamePool.build(seed, locale)
    return pool.names(*pool.draw_indices(rng, n))


@lru_cache(maxsize=8)
def _build_pool(seed: int, locale: str) -> NamePool:
    # Weighting off: uniform draws are ~100x faster and fill the pools with
    # fewer repeats; the pool is sampled uniformly afterwards anyway.
    fake = Faker(locale, use_weighting=False)
    fake.seed_instance(seed)
    first = _distinct(fake.first_name, FIRST_POOL)
    last = _distinct(fake.last_name, LAST_POOL)
    for array in (first, last):
        array.flags.writeable = False  # shared by every caller through the cache
    return NamePool(first, last)


def _distinct(draw: Callable[[], str], size: int) -> np.ndarray:
    """Up to ``size`` distinct names in draw order (a set's order would vary by process)."""
    names: dict[str, None] = {}
    for _ in range(size * _DRAWS_PER_NAME):
        names[draw()] = None
        if len(names) == size:
            break
    return np.array(list(names), dtype=np.dtypes.StringDType())
