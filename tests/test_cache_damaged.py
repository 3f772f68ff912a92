"""A damaged outcomes cache is ignored and rebuilt: never a traceback, never a wrong figure."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.debrief.outcomes import _cache_path, best_bundle, search_best
from simulator.formats.atomic import PARTIAL_SUFFIX
from simulator.formats.scenario import Scenario

SEED, REPS = 1, 2


@pytest.fixture(scope="module")
def fresh(hudson: Scenario) -> tuple[tuple[str, ...], float]:
    found = search_best(hudson, SEED, REPS)
    return found.bundle, found.objective


def _good_doc(cache: Path, hudson: Scenario) -> dict:
    best_bundle(hudson, SEED, REPS, cache_dir=cache)
    return json.loads(_cache_path(cache, hudson, SEED, REPS).read_text())


def _rewrite(edit: Callable[[dict], object]) -> Callable[[Path, dict], None]:
    def damage(path: Path, doc: dict) -> None:
        doc = copy.deepcopy(doc)
        changed = edit(doc)
        path.write_text(json.dumps(doc if changed is None else changed))
    return damage


def _best(**fields: object) -> Callable[[Path, dict], None]:
    return _rewrite(lambda doc: doc["best"].update(fields))


DAMAGE: dict[str, Callable[[Path, dict], None]] = {
    "truncated": lambda p, doc: p.write_bytes(p.read_bytes()[:40]),
    "empty": lambda p, doc: p.write_bytes(b""),
    "not utf-8": lambda p, doc: p.write_bytes(b"\xff\xfe{\x00"),
    "not JSON": lambda p, doc: p.write_text("best: [structured-literacy]\n"),
    "deeply nested": lambda p, doc: p.write_text("[" * 100_000),
    "a list": _rewrite(lambda doc: [doc]),
    "a string": _rewrite(lambda doc: "cache"),
    "best missing": _rewrite(lambda doc: doc.pop("best") and None),
    "best a list": _rewrite(lambda doc: doc.update(best=[1, 2])),
    "bundle a string": _best(bundle="structured-literacy"),
    "bundle of numbers": _best(bundle=[1, 2]),
    "bundle of unknown strategies": _best(bundle=["no-such-strategy"]),
    "objective a string": _best(objective="high"),
    "objective NaN": lambda p, doc: p.write_text(
        json.dumps(doc).replace(str(doc["best"]["objective"]), "NaN")),
    "objective a bool": _best(objective=True),
    "screened negative": _best(screened=-1),
    "confirmed a float": _best(confirmed=2.5),
    "method missing": _rewrite(lambda doc: doc["best"].pop("method") and None),
    "huge": lambda p, doc: p.write_text(json.dumps(doc) + " " * (2 << 20)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_cache_file_is_rebuilt(
        damage: Callable[[Path, dict], None], tmp_path: Path, hudson: Scenario,
        fresh: tuple[tuple[str, ...], float]) -> None:
    cache = tmp_path / "cache"
    doc = _good_doc(cache, hudson)
    path = _cache_path(cache, hudson, SEED, REPS)
    damage(path, doc)
    found = best_bundle(hudson, SEED, REPS, cache_dir=cache)
    assert (found.bundle, found.objective) == fresh
    assert json.loads(path.read_text()) == doc, "the cache is written again, whole"
    assert sorted(p.name for p in cache.iterdir()) == [path.name]


def _unreadable_by_a_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def _a_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _a_directory(path: Path) -> None:
    path.unlink()
    (path / "inside").mkdir(parents=True)


@pytest.mark.parametrize("damage", [_unreadable_by_a_loop, _a_fifo, _a_directory],
                         ids=["symlink loop", "fifo", "directory"])
def test_a_cache_entry_that_is_not_a_file_is_ignored(
        damage: Callable[[Path], None], tmp_path: Path, hudson: Scenario,
        fresh: tuple[tuple[str, ...], float]) -> None:
    """Not a file pmsim may overwrite: the figures are computed afresh, it is left alone."""
    cache = tmp_path / "cache"
    _good_doc(cache, hudson)
    path = _cache_path(cache, hudson, SEED, REPS)
    damage(path)
    found = best_bundle(hudson, SEED, REPS, cache_dir=cache)
    assert (found.bundle, found.objective) == fresh
    assert not [p for p in cache.iterdir() if p.name.endswith(PARTIAL_SUFFIX)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_cache_file_is_rebuilt(tmp_path: Path, hudson: Scenario,
                                             fresh: tuple[tuple[str, ...], float]) -> None:
    cache = tmp_path / "cache"
    _good_doc(cache, hudson)
    path = _cache_path(cache, hudson, SEED, REPS)
    path.chmod(0)
    found = best_bundle(hudson, SEED, REPS, cache_dir=cache)
    assert (found.bundle, found.objective) == fresh


def test_a_cache_folder_that_is_a_file_only_costs_time(
        tmp_path: Path, hudson: Scenario, fresh: tuple[tuple[str, ...], float]) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    found = best_bundle(hudson, SEED, REPS, cache_dir=cache)
    assert (found.bundle, found.objective) == fresh
    assert cache.read_text() == "not a folder"
