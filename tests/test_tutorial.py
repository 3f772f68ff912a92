"""The facilitator tutorial works as written: its edits build its end state, its commands
run in order, and what it quotes pmsim saying is what pmsim says.

facilitator_guide/tutorial.md builds a district from ``pmsim scenario new``'s scaffold
by YAML snippets the reader copies; facilitator_guide/tutorial/my-district.yaml is where
it ends. Here the scaffold is written by the tutorial's own first command, the snippets
are applied to it in order as the tutorial says (a mapping's keys replace the
scaffold's, a list entry replaces or extends the entry with the same ``id``; the one
section replaced whole and the one entry deleted are named in the prose and checked
there), and the result must be the end-state file, key for key. Then every ``pmsim``
line of the tutorial runs, in order, in a temporary folder with its own pmsim home, on
that built file. ``pmsim play`` opens the meeting room and cannot run headless: it is
checked to name the scenario ``scenario add`` registered.

Calibration runs at 200 replications (the default is 1,000; the outcome bands narrow,
the seeds' shares do not change) and the default 100 seeds, Hudson's bar in
tests/test_calibrate.py: every calibration of this small district takes about a second.
"""

from __future__ import annotations

import copy
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_guide_commands import run

from simulator.debrief.calibrate import calibrate
from simulator.formats.loading import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "facilitator_guide" / "tutorial.md"
END_STATE = ROOT / "facilitator_guide" / "tutorial" / "my-district.yaml"
FILE = "my-district.yaml"
NO_WARNING = "none: the scenario teaches what it intends"

# The tutorial's instructions that are not merges (each checked to be in its prose).
REPLACED_WHOLE = {"schools": "replace the whole `schools` section"}
DELETED = {("strategies", "reading-program"): "delete the scaffold's `reading-program` entry"}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    lang: str
    text: str


def blocks() -> list[Block]:
    """The fenced code blocks of the tutorial, in order."""
    found, lang, start, body = [], None, 0, []
    for n, line in enumerate(TUTORIAL.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            if lang is None:
                lang, start, body = line.strip()[3:], n, []
            else:
                found.append(Block(start, lang, "\n".join(body) + "\n"))
                lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, f"tutorial.md:{start}: a code block is never closed"
    return found


def snippets() -> list[Block]:
    return [b for b in blocks() if b.lang == "yaml"]


def commands() -> list[tuple[int, str]]:
    """Every `pmsim …` line of the tutorial's code blocks, in order, with its line."""
    out = []
    for b in blocks():
        for i, line in enumerate(b.text.splitlines(), 1):
            if line.strip().startswith("pmsim "):
                out.append((b.line + i, line.strip()))
    return out


def contained(part: Any, whole: Any, where: str = "") -> list[str]:
    """Where ``part`` (a snippet's data) is not in ``whole``: mappings key by key, lists of
    entries with an ``id`` entry by entry, anything else by equality."""
    if isinstance(part, dict):
        if not isinstance(whole, dict):
            return [f"{where}: a mapping in the snippet, {type(whole).__name__} in the file"]
        missing = []
        for key, value in part.items():
            if key not in whole:
                missing.append(f"{where}.{key}: not in the file")
            else:
                missing += contained(value, whole[key], f"{where}.{key}")
        return missing
    if isinstance(part, list) and part and all(isinstance(p, dict) and "id" in p for p in part):
        by_id = {w.get("id"): w for w in whole if isinstance(w, dict)} if isinstance(
            whole, list) else {}
        missing = []
        for p in part:
            if p["id"] not in by_id:
                missing.append(f"{where}[{p['id']}]: no entry with this id in the file")
            else:
                missing += contained(p, by_id[p["id"]], f"{where}[{p['id']}]")
        return missing
    return [] if part == whole else [f"{where}: {part!r} in the snippet, {whole!r} in the file"]


def apply(doc: dict[str, Any], snippet: dict[str, Any]) -> None:
    """One snippet copied into the file as the tutorial says: its keys replace the file's;
    a list entry with an ``id`` replaces the entry's keys it names, or is added at the end;
    a section the tutorial replaces whole is replaced by entries new to it."""
    for key, value in snippet.items():
        old = doc.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            apply(old, value)
        elif (isinstance(value, list) and isinstance(old, list)
              and all(isinstance(v, dict) and "id" in v for v in value)
              and not (key in REPLACED_WHOLE and not {v["id"] for v in value} & {
                  o.get("id") for o in old if isinstance(o, dict)})):
            for entry in value:
                same = [o for o in old if isinstance(o, dict) and o.get("id") == entry["id"]]
                if same:
                    apply(same[0], entry)
                else:
                    old.append(copy.deepcopy(entry))
        else:
            doc[key] = copy.deepcopy(value)


def build(scaffold: dict[str, Any]) -> dict[str, Any]:
    """The scaffold with every edit of the tutorial made, in order."""
    doc = copy.deepcopy(scaffold)
    for block in snippets():
        apply(doc, yaml.safe_load(block.text))
    for section, entry in DELETED:
        doc[section] = [e for e in doc[section] if e.get("id") != entry]
    return doc


def argv_of(text: str) -> list[str]:
    """A tutorial line as `main` gets it: `pmsim` and a `# comment` dropped; calibrate's
    default 1,000 replications lowered to 200 (the seeds stay at the default 100)."""
    words = shlex.split(text, comments=True)[1:]
    if words[:2] == ["scenario", "calibrate"] and "--replications" not in words:
        words += ["--replications", "200"]
    return words


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the tutorial's first command writes."""
    folder = tmp_path_factory.mktemp("scaffold")
    first = commands()[0][1]
    assert argv_of(first) == ["scenario", "new", FILE], first
    ran = run([*argv_of(first)[:2], str(folder / FILE)])
    assert ran.code == 0, ran.err
    return yaml.safe_load((folder / FILE).read_text(encoding="utf-8"))


def end_state() -> dict[str, Any]:
    return yaml.safe_load(END_STATE.read_text(encoding="utf-8"))


def test_every_snippet_is_yaml_an_edit_of_the_scaffold_and_in_the_end_state(
        scaffold: dict[str, Any]) -> None:
    found = snippets()
    assert len(found) >= 10, "the tutorial shows its edits as ```yaml blocks"
    whole = end_state()
    for block in found:
        data = yaml.safe_load(block.text)  # a YAML error fails here, at the block
        assert isinstance(data, dict) and data, f"tutorial.md:{block.line}: not a mapping"
        assert contained(data, whole) == [], f"tutorial.md:{block.line}: not in the end state"
        assert contained(data, scaffold) != [], f"tutorial.md:{block.line}: changes nothing"


def test_the_tutorial_names_each_edit_that_is_not_a_merge() -> None:
    prose = " ".join(TUTORIAL.read_text(encoding="utf-8").split())
    for said in (*REPLACED_WHOLE.values(), *DELETED.values()):
        assert said in prose, said


def test_the_snippets_applied_to_the_scaffold_give_the_end_state(
        scaffold: dict[str, Any]) -> None:
    built, whole = build(scaffold), end_state()
    assert set(built) == set(whole)
    for key in whole:  # one section at a time, so a failure names it
        assert built[key] == whole[key], key


def test_contained_and_apply_catch_what_differs() -> None:
    """The control of the two tests above: a changed value, a missing entry, an added one."""
    whole = {"schools": [{"id": "a", "enrollment": {3: 60}}], "title": "T"}
    assert contained({"schools": [{"id": "a", "enrollment": {3: 60}}]}, whole) == []
    assert contained({"schools": [{"id": "a", "enrollment": {3: 61}}]}, whole) != []
    assert contained({"schools": [{"id": "b"}]}, whole) != []
    assert contained({"title": "U"}, whole) != []
    doc = copy.deepcopy(whole)
    apply(doc, {"schools": [{"id": "a", "effect_sd": -0.2}, {"id": "b"}]})
    assert doc["schools"] == [{"id": "a", "enrollment": {3: 60}, "effect_sd": -0.2},
                              {"id": "b"}]


def test_the_end_state_validates_and_calibrates_with_no_warning() -> None:
    """Issue 9's bar for a scenario that teaches, each part on its own (as Hudson's)."""
    ran = run(["scenario", "validate", str(END_STATE)])
    assert (ran.code, ran.out.strip()) == (0, f"{END_STATE}: ok"), ran.err
    sc = parse_scenario(END_STATE.read_bytes(), str(END_STATE))
    doc = calibrate(sc, replications=200, seeds=100)
    first = sc.calendar.meetings[0].id
    (need,) = doc["needs"]
    assert [g["group"] for g in need["groups"]] == ["el"]
    assert need["groups"][0]["detected"][first] >= 0.8
    for s in doc["strategies"]:  # effects within the published ranges
        for value in (s["effect_sd_per_year"] or {}).values():
            assert s["published"]["low"] <= value <= s["published"]["high"], s
    growth = doc["monte_carlo"]["business_as_usual"]["growth"]
    for g in growth.values():  # below the grade norms, but growing
        assert g["p10"] > 0.0 and g["mean"] < g["norm"], g
    assert doc["warnings"] == []


def test_every_command_runs_in_order_on_the_file_the_tutorial_builds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scaffold: dict[str, Any]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "home"))
    lines = commands()
    assert [argv_of(t)[:2] for _, t in lines[:2]] == [["scenario", "new"],
                                                      ["scenario", "validate"]]
    added: str | None = None
    for n, text in lines:
        argv = argv_of(text)
        if argv[0] == "play":  # the meeting room: it must name the scenario just added
            assert added is not None and argv[1:] == [added], f"tutorial.md:{n}: {text}"
            continue
        ran = run(argv)
        assert ran.code == 0, f"tutorial.md:{n}: {text}\nexit {ran.code}\n{ran.err}"
        assert "Traceback" not in ran.out + ran.err and ran.out.strip(), f"tutorial.md:{n}"
        if argv[:2] == ["scenario", "new"]:
            assert yaml.safe_load((tmp_path / FILE).read_text(encoding="utf-8")) == scaffold
            continue
        if argv[:2] == ["scenario", "validate"]:
            assert ran.out.strip() == f"{FILE}: ok"
            if yaml.safe_load((tmp_path / FILE).read_text(encoding="utf-8")) == scaffold:
                # the reader now makes the tutorial's edits
                built = yaml.safe_dump(build(scaffold), sort_keys=False, allow_unicode=True)
                (tmp_path / FILE).write_text(built, encoding="utf-8")
        if argv[:2] == ["scenario", "calibrate"]:
            assert NO_WARNING in ran.out, f"tutorial.md:{n}: {ran.out}"
        if argv[:2] == ["scenario", "add"]:
            added = yaml.safe_load((tmp_path / FILE).read_text(encoding="utf-8"))["id"]
            assert (tmp_path / "home" / "scenarios" / f"{added}.yaml").is_file()
            listed = run(["scenario", "list"])
            assert any(line.startswith(f"{added}\t") for line in listed.out.splitlines())
    assert added == "my-district"


def _calibrated(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / FILE
    path.write_text(text, encoding="utf-8")
    ran = run(["scenario", "calibrate", str(path), *args])
    assert ran.code == 0, ran.err
    return ran.out


def test_what_the_tutorial_quotes_is_what_pmsim_prints(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every warning, table and error message the tutorial quotes, from the file it says."""
    monkeypatch.setenv("PMSIM_HOME", str(tmp_path / "home"))
    page = TUTORIAL.read_text(encoding="utf-8")
    text = END_STATE.read_text(encoding="utf-8")
    (tmp_path / "new").mkdir()
    assert run(["scenario", "new", str(tmp_path / "new" / FILE)]).code == 0
    scaffold_text = (tmp_path / "new" / FILE).read_text(encoding="utf-8")

    # Step 3: grades 3–5 in the scaffold, before the grade 3 norms
    wrong = re.sub(r"(?m)^grades: \[4, 5\]$", "grades: [3, 4, 5]", scaffold_text)
    assert wrong != scaffold_text
    (tmp_path / FILE).write_text(wrong, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ran = run(["scenario", "validate", FILE])
    said = (ran.out + ran.err).strip()
    assert ran.code == 1 and said.count("has no entry for grade(s) [3]") == 6, said
    assert said in page, said

    # Step 3, with the two schools: what is left for steps 5 and 9
    doc = yaml.safe_load(scaffold_text)
    for block in snippets():
        apply(doc, yaml.safe_load(block.text))
        if "schools" in yaml.safe_load(block.text):
            break
    (tmp_path / FILE).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    ran = run(["scenario", "validate", FILE])
    messages = {line.split(": ", 1)[1] for line in (ran.out + ran.err).splitlines()}
    for message in ("unknown subgroup 'el'; known: econ", "unknown school in view "
                    "'elm-street-es'; known: juniper-es, westbrook-es, district"):
        assert message in messages and f"`{message}`" in page, ran.out

    # Step 12: the scaffold's own warning, at the defaults and at the quick look
    for args in ((), ("--replications", "200", "--seeds", "30")):
        out = _calibrated(tmp_path, scaffold_text, *args)
        (warning,) = [line for line in out.splitlines() if line.startswith("- ")]
        assert warning in page and "math grows as fast as the grade norms" in warning

    # Step 12: without Juniper's growth_sd, no warning, math a hair under the norms
    no_drag = text.replace("    growth_sd: -0.05\n", "")
    assert no_drag != text
    out = _calibrated(tmp_path, no_drag)
    assert NO_WARNING in out
    assert "Math     +0.515 [" in out and "+0.516" in out
    assert "+0.515 SD from Q1 to Q4 against the norms' +0.516" in " ".join(page.split())

    # Step 12: English learners 8% of Juniper instead of 30%
    small = text.replace("el: 0.30}", "el: 0.08}")
    assert small != text
    out = _calibrated(tmp_path, small)
    warnings = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(warnings) == 2 and all(w in page for w in warnings), warnings
    assert "shows in only 46 % of seeds at Meeting #1" in warnings[0]

    # Step 12: the finished file at the defaults
    out = _calibrated(tmp_path, text)
    quoted_table = next(b for b in blocks() if b.text.startswith("Business as usual"))
    assert quoted_table.text.strip() in out

    # Step 10: the two strand tables of the preview
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    ran = run(["scenario", "preview", FILE, "--format", "md"])
    tables = [b.text.strip() for b in blocks() if b.text.startswith("| Strand |")]
    assert len(tables) == 2
    for table in tables:
        assert table in ran.out, table

    # Step 11: English learners at Q3, with the fix and with the district's favourite
    for strategy, mean in (("structured-literacy", "165.5"), ("guided-reading", "164.6")):
        ran = run(["run", FILE, "--format", "table", "--replications", "200",
                   "--strategies", strategy])
        q3 = ran.out.split("\nQ3\n", 1)[1]
        el = next(line for line in q3.splitlines() if "Reading  English learners" in line)
        assert el.split()[-4] == mean, el
        assert f"about {mean}" in page
