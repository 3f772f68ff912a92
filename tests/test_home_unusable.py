"""A pmsim home that can't be: a message naming it and exit 1, never a traceback or a
folder created in the wrong place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pmsim.cli import main
from simulator.session.home import Home, HomeError, open_store

ROOT = Path(__file__).resolve().parents[1]
NO_USER = "~nosuchuser-pmsim"


def unusable_homes(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Name → (the home, a phrase the message must hold)."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return {
        "missing user": (f"{NO_USER}/pmsim", "user 'nosuchuser-pmsim'"),
        "missing parent": (str(tmp_path / "no" / "such" / "home"), "does not exist"),
        "parent a file": (str(a_file / "home"), "is a file"),
        "home a file": (str(a_file), "is a file, not a folder"),
    }


CASES = ["missing user", "missing parent", "parent a file", "home a file"]
COMMANDS = [
    ["session", "list"],
    ["report", "abcdefgh", "--replications", "2"],
    ["session", "export", "abcdefgh"],
    ["progress"],
    ["debrief", "hudson", "--transcript", str(ROOT / "scenarios/hudson-weak-transcript.yaml"),
     "--replications", "2"],
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_unusable_pmsim_home_is_a_message(
        case: str, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    home, phrase = unusable_homes(tmp_path)[case]
    monkeypatch.setenv("PMSIM_HOME", home)
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("pmsim: $PMSIM_HOME ") and phrase in err
    assert "Traceback" not in err
    assert not (tmp_path / NO_USER).exists(), "no folder named after the user in the cwd"
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("case", CASES)
def test_home_option_is_checked_as_pmsim_home(case: str, tmp_path: Path) -> None:
    home, phrase = unusable_homes(tmp_path)[case]
    with pytest.raises(HomeError, match="--home") as caught:
        Home.locate(home)
    assert phrase in str(caught.value)


def test_a_store_url_of_a_missing_user_is_a_message(tmp_path: Path) -> None:
    with pytest.raises(HomeError, match="nosuchuser-pmsim"):
        open_store(f"sqlite:///{NO_USER}/s.sqlite3", Home(tmp_path))


def test_a_home_still_to_be_created_in_an_existing_folder_is_fine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "new"))
    assert Home.locate().root == tmp_path / "new"
    assert main(["session", "list"]) == 0


def test_play_refuses_the_home_before_the_tui_starts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pmsim.cli", "play", "hudson"], capture_output=True, text=True,
        timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL,
        env={**os.environ, "PMSIM_HOME": f"{NO_USER}/x", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1
    assert done.stderr.startswith("pmsim: $PMSIM_HOME ~nosuchuser-pmsim/x starts with")
    assert "Traceback" not in done.stderr
