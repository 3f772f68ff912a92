"""A file's size and kind are checked before it is read: no input blows up memory or hangs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmsim.cli import main
from simulator.formats.loading import load_scenario
from simulator.formats.yamlsafe import MAX_BYTES, FileRefused, read_limited
from simulator.session.transcript import TranscriptError, load_transcript

MB = 1024 * 1024


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no room on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_a_huge_scenario_is_refused_with_its_size_before_it_is_read(tmp_path: Path) -> None:
    big = sparse(tmp_path / "big.yaml", 812 * MB)
    with pytest.raises(FileRefused) as raised:
        load_scenario(big)
    assert str(raised.value) == (
        f"{big}: file is larger than 5 MB (812 MB), the most a scenario file may be")


def test_pmsim_run_on_a_huge_file_is_one_message_and_exit_1(tmp_path: Path, capsys) -> None:
    big = sparse(tmp_path / "big.yaml", 812 * MB)
    assert main(["run", str(big)]) == 1
    err = capsys.readouterr().err
    assert err == (f"pmsim: cannot read {big}: file is larger than 5 MB (812 MB), the most a "
                   "scenario file may be\n")


def test_a_huge_transcript_is_one_problem_at_1_1(tmp_path: Path) -> None:
    big = sparse(tmp_path / "t.yaml", 40 * MB)
    with pytest.raises(TranscriptError) as raised:
        load_transcript(big)
    assert raised.value.lines() == [
        f"{big}:1:1: cannot read the file: file is larger than 5 MB (40 MB), the most a "
        "transcript may be"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("load", [load_scenario, load_transcript], ids=["scenario", "transcript"])
def test_a_fifo_named_as_a_file_is_refused_without_waiting_for_a_writer(tmp_path: Path,
                                                                        load) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            load(fifo)
        except Exception as exc:  # what it raised is checked below
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so the test process can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO hung")
    [error] = outcome
    assert "is a pipe (FIFO), not a file" in str(error)


@pytest.mark.parametrize(("target", "kind"), [(".", "a directory"), (os.devnull, "a device")])
def test_a_directory_or_a_device_is_refused(tmp_path: Path, target: str, kind: str) -> None:
    path = tmp_path if target == "." else Path(target)
    with pytest.raises(FileRefused) as raised:
        read_limited(path)
    assert raised.value.strerror == f"is {kind}, not a file"


def test_pmsim_debrief_of_a_fifo_ends_at_once_with_a_message(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    fifo = tmp_path / "transcript.yaml"
    os.mkfifo(fifo)
    out = subprocess.run(
        [sys.executable, "-m", "pmsim.cli", "debrief", "hudson", "--transcript", str(fifo),
         "--format", "json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"{fifo}:1:1: cannot read the file: is a pipe (FIFO), not a file" in out.stderr
    assert "Traceback" not in out.stderr


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(0, 64), limit=st.integers(0, 64))
def test_a_file_is_read_whole_exactly_when_it_is_within_the_limit(
    tmp_path: Path, size: int, limit: int
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * size)
    if size <= limit:
        assert read_limited(path, limit) == b"x" * size
    else:
        expected = f"{path}: file is larger than {limit:,} bytes ({size:,} bytes)"
        with pytest.raises(FileRefused, match=re.escape(expected)):
            read_limited(path, limit, "a test")


def test_the_limit_is_the_one_the_contract_states() -> None:
    """CONTRACTS.md: "a file over 5 MB … is one problem"; Hudson is far below it."""
    assert MAX_BYTES == 5 * MB
    hudson = Path(__file__).parents[1] / "scenarios" / "hudson.yaml"
    assert hudson.stat().st_size < MAX_BYTES / 100


def test_validate_reports_a_huge_file_at_1_1_and_a_fifo_at_once(tmp_path: Path) -> None:
    """CONTRACTS.md: a file over 5 MB is one problem at PATH:1:1 (exit 1); a FIFO is not a
    file to validate (exit 2, like a missing one), and never waits for a writer."""
    big = sparse(tmp_path / "big.yaml", 812 * MB)
    out = subprocess.run([sys.executable, "-m", "pmsim.cli", "scenario", "validate", str(big)],
                         capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stderr) == (
        1, f"{big}:1:1: file is larger than 5 MB (812 MB), the most a scenario file may be\n")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.yaml"
        os.mkfifo(fifo)
        out = subprocess.run(
            [sys.executable, "-m", "pmsim.cli", "scenario", "validate", str(fifo)],
            capture_output=True, text=True, timeout=60)
        assert (out.returncode, out.stderr) == (
            2, f"pmsim: {fifo}: is a pipe (FIFO), not a file\n")
