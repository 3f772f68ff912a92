"""How much memory a simulation needs, estimated before any array is allocated.

The engine keeps every student of every replication in memory (DESIGN.md,
"Vectorized"), so memory grows as students × replications: a request the machine
cannot hold is refused up front with the figures, instead of ending in a
``MemoryError`` traceback or the kernel killing the process halfway through.

The engine steps a quarter's replications in chunks (``CHUNK_ELEMENTS``) and the
statistics read them in chunks too (``STAT_ROWS``), so what grows with the replications
is only the state and the quarter's results (about 2 of them at a quarter's peak: the
previous one is still held while the next is made); the temporaries are bounded.

The coefficients were measured with ``tracemalloc`` (``pmsim run`` at 200 and 400
replications, the slope per student-replication) on scenarios of Hudson's shape with
subjects, strands, needs and strategies added one kind at a time, and rounded up: the
estimate runs about 20% above what is measured (tests/test_bounds_memory.py keeps it
above and near).
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from simulator.formats.scenario import Scenario

GIB = 1024**3
OVERHEAD = 64 * 1024**2
"""The interpreter, numpy, the scenario and the name pools: there at any size."""
CHUNK_ELEMENTS = 32_768
"""Student-replications the engine steps at a time (``Simulation.advance``): a chunk's
float32 temporaries fit in a processor's cache, and memory beyond the state and the
results stays bounded however many replications there are."""
STAT_ROWS = 65_536
"""Student-replications the group statistics convert to float64 at a time
(``metrics.quarter_json``): their temporaries stay a few megabytes."""
USABLE = 0.75
"""Share of the available memory one simulation may take: the rest is left to the other
programs running (a machine driven into swap is as stuck as one out of memory)."""


def per_student(scenario: Scenario) -> int:
    """Bytes per student whatever the replications: the population and per-quarter norms
    and cut scores (float32 per subject and quarter)."""
    subjects = len(scenario.subjects)
    strands = sum(len(s.strands) for s in scenario.subjects)
    quarters = len(scenario.calendar.quarters)
    return 40 + 8 * subjects * (quarters + 4) + len(scenario.subgroups) + 4 * strands


def per_replication(scenario: Scenario, active: int = 0) -> int:
    """Bytes per student per replication at a quarter's peak (measured 6 + 11.3 per
    subject + 8.3 per strand + 4.6 per need + 5.1 per strategy): abilities and scores per
    subject, strand scores, remediation per hidden need, who each of the ``active``
    strategies serves and takes up, and attendance."""
    subjects = len(scenario.subjects)
    strands = sum(len(s.strands) for s in scenario.subjects)
    return 8 + 14 * subjects + 10 * strands + 6 * len(scenario.needs) + 6 * active


def temporaries(scenario: Scenario) -> int:
    """Bytes of a chunk's temporaries, whatever the replications: float32 draws and sums
    for a chunk of the engine (at least one replication of every student) and float64
    copies for a chunk of the statistics."""
    students = scenario.enrolled
    widest = max((len(s.strands) for s in scenario.subjects), default=0)
    engine = max(CHUNK_ELEMENTS, students) * 4 * (6 + 2 * len(scenario.subjects) + widest)
    return engine + max(STAT_ROWS, students) * 24


def bytes_needed(scenario: Scenario, replications: int, active: int = 0) -> int:
    """Peak memory of a simulation of ``scenario`` with ``replications`` and ``active``
    strategies running."""
    students = scenario.enrolled
    return (OVERHEAD + students * per_student(scenario) + temporaries(scenario)
            + students * replications * per_replication(scenario, active))


def available_bytes() -> int | None:
    """Memory this process can still use: the system's available memory, or what its
    control group allows if that is less; None where neither can be read."""
    found: list[int] = []
    with suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    if not found:
        with suppress(AttributeError, OSError, ValueError):  # no sysconf on Windows
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    group = Path("/sys/fs/cgroup")
    with suppress(OSError, ValueError):
        limit = (group / "memory.max").read_text().strip()
        if limit != "max":
            found.append(int(limit) - int((group / "memory.current").read_text()))
    return max(min(found), 0) if found else None


def memory_problem(scenario: Scenario, replications: int, active: int = 0) -> str | None:
    """Why a simulation of ``replications`` would take more than ``USABLE`` of this
    machine's available memory, with the figures and how many replications would fit;
    None when it fits (or memory is unknown)."""
    available = available_bytes()
    needed = bytes_needed(scenario, replications, active)
    if available is None or needed <= available * USABLE:
        return None
    students = scenario.enrolled
    room = (int(available * USABLE) - OVERHEAD - students * per_student(scenario)
            - temporaries(scenario))
    fit = max(room // max(students * per_replication(scenario, active), 1), 0)
    return (f"{replications:,} replications of {scenario.id} ({students:,} students) need "
            f"about {_gib(needed)}; this machine has {_gib(available)} available "
            f"(at most {_round_down(fit):,} replications fit in {USABLE:.0%} of it)")


def _gib(n: int) -> str:
    return f"{n / GIB:,.1f} GiB" if n < 10 * GIB else f"{n / GIB:,.0f} GiB"


def _round_down(n: int) -> int:
    """Two significant figures, rounded down, so "at most" stays true."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return n // step * step
