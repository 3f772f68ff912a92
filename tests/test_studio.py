"""The facilitator's studio: `pmsim scenario new`, `scenario add`, `scenario list` with one's
own scenarios, own scenarios by id everywhere, and on the TUI home screen."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from test_tui_meetings import until
from textual.widgets import OptionList

from pmsim.cli import main
from simulator.formats import atomic
from simulator.formats.atomic import PARTIAL_SUFFIX
from simulator.formats.loading import builtin_dir, load_scenario, scenario_ref
from simulator.formats.scenario import Scenario
from simulator.formats.studio import (
    SCHEMA_LINE,
    copy_text,
    listed_scenarios,
    own_scenarios,
    slug,
)
from simulator.session.client import Room
from simulator.session.home import Home

HUDSON = builtin_dir() / "hudson.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private pmsim home (also $PMSIM_HOME, for commands without --home)."""
    root = tmp_path / "home"
    monkeypatch.setenv("PMSIM_HOME", str(root))
    return root


# --------------------------------------------------------------------------- scenario new


def test_new_writes_a_commented_scaffold_that_validates_and_plays(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    path = tmp_path / "My District.yaml"
    code, out, err = cli(capsys, "scenario", "new", str(path))
    assert code == 0, err
    assert out.strip() == str(path)
    assert "check it with: pmsim scenario validate" in err
    text = path.read_text(encoding="utf-8")
    first, *lines = text.splitlines()
    schema = Path(first.removeprefix(SCHEMA_LINE))
    assert first.startswith(SCHEMA_LINE) and schema.is_absolute() and schema.is_file()
    assert json.loads(schema.read_text())["title"]  # the installed scenario schema
    # Every top-level section of the format is there, each under a comment saying what it is.
    for field in Scenario.model_fields:
        at = [i for i, line in enumerate(lines) if re.match(rf"(# )?{field}:", line)]
        assert at, f"no {field} section"
        assert lines[at[0] - 1].startswith("#"), f"{field} has no comment above it"
    assert cli(capsys, "scenario", "validate", str(path))[:2] == (0, f"{path}: ok\n")
    sc = load_scenario(path).scenario
    assert (sc.id, sc.title) == ("my-district", "My District")
    assert len(sc.priority_schools) == 1 and len(sc.schools) == 2
    assert [m.after_quarter for m in sc.calendar.meetings] == ["q2", "q3"]
    assert 3 <= len(sc.strategies) <= 4 and sc.needs[0].strand and sc.hidden_truths[0].evidence
    code, out, err = cli(capsys, "run", str(path), "--format", "json",
                         "--strategies", sc.strategies[0].id)
    assert code == 0, err
    assert [q["label"] for q in json.loads(out)["quarters"]] == ["Q1", "Q2", "Q3", "Q4"]


def test_the_scaffold_takes_the_published_norms_of_its_grades(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                home: Path) -> None:
    import yaml

    path = tmp_path / "n.yaml"
    assert cli(capsys, "scenario", "new", str(path))[0] == 0
    sc = load_scenario(path).scenario
    published = yaml.safe_load((Path(atomic.__file__).parent / "published.yaml").read_text())
    for subject in sc.subjects:
        for grade in sc.grades:
            want = published["norms"][subject.id]["grades"][grade]["mean"]
            got = subject.norms[grade].model_dump()
            assert got == want, (subject.id, grade)


def test_new_never_overwrites(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              home: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("mine\n")
    for extra in ((), ("--from", "hudson")):
        code, _, err = cli(capsys, "scenario", "new", str(path), *extra)
        assert code == 2 and "already exists" in err
        assert path.read_text() == "mine\n"


def test_new_from_a_built_in_copies_it_under_a_new_id(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path, home: Path) -> None:
    path = tmp_path / "Lake_View 2.yaml"
    code, _, err = cli(capsys, "scenario", "new", str(path), "--from", "hudson")
    assert code == 0, err
    new, old = path.read_text().splitlines(), HUDSON.read_text().splitlines()
    assert len(new) == len(old)
    changed = [i for i, (a, b) in enumerate(zip(new, old, strict=True)) if a != b]
    assert new[0].startswith(SCHEMA_LINE) and Path(new[0].removeprefix(SCHEMA_LINE)).is_file()
    assert [new[i] for i in changed[1:]] == [
        "id: lake-view-2", 'title: "Hudson School District — Hudson Middle School (copy)"']
    assert cli(capsys, "scenario", "validate", str(path))[0] == 0


def test_new_from_an_own_scenario_or_a_path(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, home: Path) -> None:
    first = tmp_path / "first.yaml"
    assert cli(capsys, "scenario", "new", str(first))[0] == 0
    assert cli(capsys, "scenario", "add", str(first), "--home", str(home))[0] == 0
    by_id, by_path = tmp_path / "second.yaml", tmp_path / "third.yaml"
    assert cli(capsys, "scenario", "new", str(by_id), "--from", "first")[0] == 0
    assert cli(capsys, "scenario", "new", str(by_path), "--from", str(first))[0] == 0
    for path, ident in ((by_id, "second"), (by_path, "third")):
        sc = load_scenario(path).scenario
        assert (sc.id, sc.title) == (ident, "First (copy)")
    code, _, err = cli(capsys, "scenario", "new", str(tmp_path / "x.yaml"), "--from", "nope")
    assert code == 1 and "no scenario 'nope'" in err and "Traceback" not in err


def test_a_copy_of_a_title_over_several_lines_keeps_the_rest() -> None:
    text = ("# c\nid: old\ntitle: >-\n  A long\n  title\nsummary: s # kept\n  \n"
            "roles: {}\n")
    copied = copy_text(text, "new-id", "T (copy)")
    assert copied.splitlines()[1:] == ["# c", "id: new-id", 'title: "T (copy)"',
                                       "summary: s # kept", "  ", "roles: {}"]


@pytest.mark.parametrize(("stem", "ident"), [
    ("My District", "my-district"), ("2025_plan", "s-2025-plan"), ("--", "my-scenario"),
    ("Ünïcode Town", "n-code-town"), ("x" * 60, "x" * 40)])
def test_ids_from_file_names(stem: str, ident: str) -> None:
    assert slug(stem) == ident


def test_a_failed_write_leaves_no_file_and_no_partial(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device", dst)

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    code, _, err = cli(capsys, "scenario", "new", str(tmp_path / "d.yaml"))
    assert code == 1 and "No space left" in err and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == []  # neither d.yaml nor a *{PARTIAL_SUFFIX}
    assert PARTIAL_SUFFIX.startswith(".")


# --------------------------------------------------------------------------- scenario add / list


def _scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    assert cli(capsys, "scenario", "new", str(path))[0] == 0
    return path


def test_add_copies_a_valid_file_into_the_home(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, home: Path) -> None:
    path = _scenario(tmp_path, capsys, "elm")
    code, out, _ = cli(capsys, "scenario", "add", str(path), "--home", str(home))
    dest = home / "scenarios" / "elm.yaml"
    assert code == 0 and out.strip() == str(dest)
    assert dest.read_bytes() == path.read_bytes()
    code, out, err = cli(capsys, "scenario", "add", str(path), "--home", str(home))
    assert code == 0 and "already there" in err


def test_add_refuses_a_different_file_of_the_same_id_unless_replace(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    path = _scenario(tmp_path, capsys, "elm")
    assert cli(capsys, "scenario", "add", str(path))[0] == 0
    dest = home / "scenarios" / "elm.yaml"
    before = dest.read_bytes()
    path.write_text(path.read_text().replace("budget: 120000", "budget: 130000"))
    code, _, err = cli(capsys, "scenario", "add", str(path))
    assert code == 2 and "--replace" in err and dest.read_bytes() == before
    assert cli(capsys, "scenario", "add", str(path), "--replace")[0] == 0
    assert dest.read_bytes() == path.read_bytes()


def test_add_refuses_a_built_in_id_and_an_invalid_file(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path, home: Path) -> None:
    code, _, err = cli(capsys, "scenario", "add", str(HUDSON))
    assert code == 2 and "built-in" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(_scenario(tmp_path, capsys, "ok").read_text().replace(
        "budget: 120000", "budget: lots"))
    code, _, err = cli(capsys, "scenario", "add", str(bad))
    assert code == 1 and re.search(rf"^{re.escape(str(bad))}:\d+:\d+: ", err, re.M)
    assert not (home / "scenarios").exists()


def test_list_shows_built_ins_then_own_scenarios_and_their_problems(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    code, before, _ = cli(capsys, "scenario", "list")
    assert code == 0
    for name in ("zeta", "alpha"):
        assert cli(capsys, "scenario", "add", str(_scenario(tmp_path, capsys, name)))[0] == 0
    (home / "scenarios" / "broken.yaml").write_text("id: [\n")
    code, out, err = cli(capsys, "scenario", "list", "--home", str(home))
    assert code == 0
    assert out == before + "alpha\tAlpha\nzeta\tZeta\n"
    assert "broken" in err and "broken.yaml:" in err and "Traceback" not in err
    code, out, _ = cli(capsys, "scenario", "list", "--format", "json")
    rows = json.loads(out)
    assert rows[0] == {"id": "hudson", "title": rows[0]["title"], "source": "built-in",
                       "path": str(HUDSON)}
    own = {r["id"]: r for r in rows if r["source"] == "own"}
    assert set(own) == {"alpha", "broken", "zeta"}
    assert own["alpha"]["path"] == str(home / "scenarios" / "alpha.yaml")
    assert "problem" not in own["alpha"] and own["broken"]["problem"]


def test_an_own_file_under_a_built_in_id_or_another_name_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "hudson.yaml").write_bytes(HUDSON.read_bytes())
    (folder / "other.yaml").write_bytes(HUDSON.read_bytes())
    found = {o.id: o.problem for o in own_scenarios(folder, {"hudson"})}
    assert "built-in" in found["hudson"] and "id is 'hudson'" in found["other"]



def test_built_ins_and_own_scenarios_are_listed_and_checked_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One check for both (the TUI home lists them so): a broken built-in shows its problem
    # as a broken own file does, and a session is started on a built-in by its id, on
    # one's own by the file's absolute path.
    import scenarios

    shipped = tmp_path / "shipped"
    folder = tmp_path / "s"
    shipped.mkdir()
    folder.mkdir()
    (shipped / "hudson.yaml").write_bytes(HUDSON.read_bytes())
    (shipped / "cracked.yaml").write_text("id: cracked\ntitle: [\n")
    (folder / "cracked.yaml").write_text("id: cracked\ntitle: [\n")
    (folder / "hudson.yaml").write_bytes(HUDSON.read_bytes())
    monkeypatch.setattr(scenarios, "builtin_paths",
                        lambda: [shipped / "hudson.yaml", shipped / "cracked.yaml"])
    listed = listed_scenarios(folder)
    assert [(e.id, e.own) for e in listed] == [("hudson", False), ("cracked", False),
                                               ("cracked", True), ("hudson", True)]
    hudson, broken, own_broken, own_hudson = listed
    assert hudson.ref == "hudson" and not hudson.problem and hudson.summary
    assert own_hudson.ref == str((folder / "hudson.yaml").resolve())
    assert "built-in" in own_hudson.problem  # cracked is a built-in id here too
    for entry, where in ((broken, shipped), (own_broken, folder)):
        assert entry.problem.startswith(f"{where / 'cracked.yaml'}:3:1: YAML cannot read")
        assert entry.title == "cracked.yaml"

# --------------------------------------------------------------------------- by id


def test_an_own_scenario_resolves_by_id_in_run_show_and_validate(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    path = _scenario(tmp_path, capsys, "elm")
    code, _, err = cli(capsys, "run", "elm", "--format", "json")
    assert code == 1 and "no scenario 'elm'" in err
    assert cli(capsys, "scenario", "add", str(path))[0] == 0
    path.unlink()  # from now on only the home's copy can answer
    code, out, err = cli(capsys, "run", "elm", "--format", "json", "--home", str(home))
    assert code == 0, err
    assert json.loads(out)["scenario"] == "elm"
    assert cli(capsys, "scenario", "show", "elm", "--format", "json")[0] == 0
    assert cli(capsys, "scenario", "validate", "elm")[:2] == (0, "elm: ok\n")



@pytest.mark.parametrize("named", ["elm", "district.yaml"], ids=["own id", "beside it"])
def test_validate_and_import_find_a_transcripts_scenario_in_the_same_places(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path,
        monkeypatch: pytest.MonkeyPatch, named: str) -> None:
    # One's own scenario by id, or a file beside the transcript (not beside the cwd): both
    # commands check the transcript against it, so both see the misspelt strategy.
    folder = tmp_path / "workshop"
    folder.mkdir()
    copy = folder / ("elm.yaml" if named == "elm" else named)
    assert cli(capsys, "scenario", "new", str(copy), "--from", "hudson")[0] == 0
    if named == "elm":
        assert cli(capsys, "scenario", "add", str(copy))[0] == 0
        copy.unlink()  # only the home's copy can answer
    strong = (builtin_dir() / "hudson-strong-transcript.yaml").read_text(encoding="utf-8")
    good, bad = folder / "good-transcript.yaml", folder / "bad-transcript.yaml"
    good.write_text(strong.replace("scenario: hudson", f"scenario: {named}", 1),
                    encoding="utf-8")
    bad.write_text(good.read_text(encoding="utf-8").replace(
        "strategy: structured-literacy", "strategy: structured-literacyy", 1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    typo = "unknown strategy 'structured-literacyy'"
    code, _, err = cli(capsys, "scenario", "validate", str(bad))
    assert code == 1 and typo in err
    code, _, err = cli(capsys, "session", "import", str(bad))
    assert code == 1 and typo in err
    assert cli(capsys, "scenario", "validate", str(good))[:2] == (0, f"{good}: ok\n")
    assert cli(capsys, "session", "import", str(good))[0] == 0


def test_a_scenario_not_found_names_the_own_ids_the_list_shows(tmp_path: Path) -> None:
    from simulator.formats.loading import ScenarioNotFound, find_scenario, resolve

    folder = tmp_path / "s"
    (folder / "folder.yaml").mkdir(parents=True)  # neither a folder nor a hidden file is one
    (folder / ".hidden.yaml").write_bytes(HUDSON.read_bytes())
    (folder / "elm.yaml").write_bytes(HUDSON.read_bytes())
    assert find_scenario("elk", (folder,)) is None
    with pytest.raises(ScenarioNotFound) as info:
        resolve("elk", (folder,))
    listed = [o.id for o in own_scenarios(folder, set())]
    assert listed == ["elm"]
    assert "(did you mean 'elm'?)" in str(info.value)
    assert f"one of yours ({', '.join(listed)})" in str(info.value)

def test_play_by_own_id_names_the_file_by_its_absolute_path(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    assert cli(capsys, "scenario", "add", str(_scenario(tmp_path, capsys, "elm")))[0] == 0
    room = Room.new(Home(home), "elm", 1)
    try:
        dest = home / "scenarios" / "elm.yaml"
        assert room.state.scenario == str(dest.resolve()) == scenario_ref(room.loaded)
        assert room.loaded.scenario.id == "elm"
    finally:
        room.close()


# --------------------------------------------------------------------------- the TUI home


def test_the_home_screen_lists_own_scenarios_and_plays_them(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path) -> None:
    from tui.app import PmsimApp

    assert cli(capsys, "scenario", "add", str(_scenario(tmp_path, capsys, "elm")))[0] == 0
    (home / "scenarios" / "broken.yaml").write_text("id: broken\ntitle: Broken\n")
    app = PmsimApp(home=home, pace=0)
    dest = str((home / "scenarios" / "elm.yaml").resolve())

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            scenarios = app.screen.query_one("#scenarios", OptionList)

            def ids() -> list[str | None]:
                return [scenarios.get_option_at_index(i).id
                        for i in range(scenarios.option_count)]

            broken = str((home / "scenarios" / "broken.yaml").resolve())
            await until(pilot, lambda: ids()[:1] == ["hudson"] and broken in ids()
                        and scenarios.get_option(broken).disabled)
            assert ids().index(dest) > 0  # after the built-ins
            option = scenarios.get_option(dest)
            assert "Elm" in str(option.prompt) and "(yours)" in str(option.prompt)
            assert "⚠" in str(scenarios.get_option(broken).prompt)
            scenarios.highlighted = ids().index(dest)
            scenarios.focus()
            await pilot.press("n")
            await until(pilot, lambda: type(app.screen).__name__ == "BriefingScreen")
            assert app.room is not None and app.room.loaded.scenario.id == "elm"
            assert app.room.state.scenario == dest

    asyncio.run(run())
