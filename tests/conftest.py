"""Shared fixtures: every test runs away from the user's real data folder."""

from __future__ import annotations

import pytest

from simulator.formats.loading import load_scenario
from simulator.formats.scenario import Scenario


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Point the pmsim home at a fresh folder (and no store elsewhere), so no test touches
    real sessions."""
    home = tmp_path_factory.mktemp("pmsim-home")
    monkeypatch.setenv("PMSIM_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    monkeypatch.delenv("PMSIM_STORE", raising=False)
    return home


@pytest.fixture(scope="session")
def hudson() -> Scenario:
    return load_scenario("hudson").scenario
