"""Named, independently seeded random streams.

Every random draw in the engine comes from a generator keyed by
(seed, stream name, quarter, extra…). Keys are stable hashes of names, so that
adding a strategy, reordering strategies or making a decision at a meeting never
changes the draws of any other stream: the population, the Q1–Q2 data and the
growth of untreated students stay the same bytes.

Draws are shaped (replications, …) from a single generator, filled in C order,
so replication 0 of a 1,000-replication run equals a 1-replication run.
"""

from __future__ import annotations

import zlib

import numpy as np

SEED_MAX = 2**64 - 1
"""The largest seed: seeds are 64-bit unsigned, and a saved session keeps its seed."""


def parse_seed(text: str) -> int:
    """The seed ``text`` names, or ValueError saying which seeds there are."""
    try:
        seed = int(text.strip())
    except ValueError:
        seed = -1
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"the seed must be a whole number from 0 to {SEED_MAX}, not {text!r}")
    return seed


def _code(part: str | int) -> int:
    if isinstance(part, int):
        return part & 0xFFFFFFFF
    return zlib.crc32(part.encode("utf-8"))


def stream(seed: int, *key: str | int) -> np.random.Generator:
    """A generator for one named stream; the same key always gives the same draws."""
    entropy = [seed & 0xFFFFFFFFFFFFFFFF, *(_code(k) for k in key)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
