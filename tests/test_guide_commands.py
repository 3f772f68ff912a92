"""Every `pmsim …` command shown in the facilitator guide and the README runs.

Each line of a fenced code block (```) in facilitator_guide/**/*.md and README.md that
starts with ``pmsim `` is run through :func:`pmsim.cli.main`, as a facilitator would
type it, and must exit 0 without a traceback. Lines that are placeholders (ID is
substituted, the others skipped) or open the interactive meeting room are left out;
the slow ones are made quick by capping replications and seeds, which changes how
precise the figures are, not whether the command works.

All commands run in one workspace folder that holds a link to the repository's
``scenarios`` folder (the guide names worked transcripts by ``scenarios/…``), with its
own pmsim home, and a session imported from the strong Hudson transcript for ``ID``.
A command that reads a file another documented command writes (``pmsim session export
ID > mine.yaml`` then ``pmsim session import mine.yaml``) gets that command run first.

``my-district.yaml`` is the facilitator's own scenario. A page that names it runs in a
folder of its own, with a home of its own, where it is the scenario that page is about:
a copy of Hudson on Writing a scenario (which makes it with ``--from hudson`` and adopts
Hudson's strategies), the tutorial's end state (facilitator_guide/tutorial/) everywhere
else; it is added to that home, so ``my-district`` works as an id too. ``pmsim scenario
new`` never overwrites a file, so its lines run in a fresh empty folder, and must write
a file that validates.

A ``postgresql://…`` store URL is replaced by a database of the tests' PostgreSQL server
(tests/conftest.py), holding a session imported the same way; without a server those
commands are skipped, as every PostgreSQL test is.
"""

from __future__ import annotations

import argparse
import io
import re
import shlex
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from pmsim import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "facilitator_guide").rglob("*.md")), ROOT / "README.md"]

# Placeholders a facilitator replaces with their own (ID is replaced here: see `ID`).
PLACEHOLDERS = re.compile(r"\bFILE\b|\bPATH\b|\bSCENARIO\b|<")
INTERACTIVE = ("play", "serve", "console")
POSTGRES_URL = re.compile(r"^postgres(ql)?://")
MAX_REPLICATIONS = 5
MAX_SEEDS = 3
OWN = "my-district"
OWN_FILE = f"{OWN}.yaml"
TUTORIAL_END = ROOT / "facilitator_guide" / "tutorial" / OWN_FILE
# The page whose my-district.yaml is a copy of Hudson; every other page's is the tutorial's.
FROM_HUDSON = {"facilitator_guide/authoring-scenarios.md"}


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.text}"


def documented() -> list[Command]:
    """Every line starting with `pmsim ` in a fenced code block of the guide or README."""
    found = []
    for page in PAGES:
        fenced = False
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            if text.startswith("```"):
                fenced = not fenced
            elif fenced and (text == "pmsim" or text.startswith("pmsim ")):
                found.append(Command(str(page.relative_to(ROOT)), n, text))
    return found


def skipped(text: str) -> bool:
    """A placeholder line, or one that opens the interactive meeting room."""
    words = shlex.split(text, comments=True)
    return (PLACEHOLDERS.search(text) is not None or len(words) < 2
            or words[1] in INTERACTIVE)


@dataclass
class Argv:
    argv: list[str]
    stdout_to: str | None  # the file of a trailing `> file`


def to_argv(text: str, session_id: str) -> Argv:
    """The arguments `main` gets for a documented line: the `# comment` and a `| …` pipe
    dropped, a `> file` redirection kept apart, ID substituted, replications and seeds
    capped (and added to `calibrate`, `debrief` and `report`, whose defaults are slow)."""
    words = shlex.split(text, comments=True)[1:]
    if "|" in words:
        words = words[:words.index("|")]
    stdout_to = None
    for i, w in enumerate(words):
        if w == ">":
            stdout_to, words = words[i + 1], words[:i]
            break
        if w.startswith(">"):
            stdout_to, words = w[1:], words[:i]
            break
    words = [session_id if w == "ID" else w for w in words]
    for option, cap in (("--replications", MAX_REPLICATIONS), ("--seeds", MAX_SEEDS)):
        if option in words:
            i = words.index(option) + 1
            words[i] = str(min(int(words[i]), cap))
    calibrate = words[:2] == ["scenario", "calibrate"]
    if "--replications" not in words and (calibrate or words[0] in ("debrief", "report")):
        words += ["--replications", str(MAX_REPLICATIONS)]
    if calibrate and "--seeds" not in words:
        words += ["--seeds", str(MAX_SEEDS)]
    return Argv(words, stdout_to)


def accepts_home(argv: list[str]) -> bool:
    """Whether the command takes `--home` (else it lands among the unknown arguments)."""
    _, unknown = cli._parser().parse_known_args([*argv, "--home", "."])
    return "--home" not in unknown


@dataclass
class Ran:
    code: int
    out: str
    err: str


def run(argv: list[str]) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's usage error
            code = exc.code if isinstance(exc.code, int) else 1
    return Ran(code, out.getvalue(), err.getvalue())


COMMANDS = documented()
RUNNABLE = [c for c in COMMANDS if not skipped(c.text)]
PRODUCERS = {a.stdout_to: c for c in RUNNABLE
             if (a := to_argv(c.text, "ID")).stdout_to is not None}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, str]:
    """The folder the commands run in, and the id of a session saved in its home."""
    folder = tmp_path_factory.mktemp("guide")
    (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    (folder / "home").mkdir()
    ran = run(["session", "import", str(ROOT / "scenarios/hudson-strong-transcript.yaml"),
               "--home", str(folder / "home")])
    assert ran.code == 0, ran.err
    return folder, ran.out.strip()


def own_folder(base: Path, page: str) -> Path:
    """The folder (with its home) where a page's lines about my-district.yaml run: the
    page's scenario there, added to the home."""
    folder = base / "pages" / page.replace("/", "_")
    if folder.is_dir():
        return folder
    (folder / "home").mkdir(parents=True)
    (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    if page in FROM_HUDSON:
        made = run(["scenario", "new", str(folder / OWN_FILE), "--from", "hudson"])
        assert made.code == 0, made.err
    else:
        (folder / OWN_FILE).write_bytes(TUTORIAL_END.read_bytes())
    added = run(["scenario", "add", str(folder / OWN_FILE), "--home", str(folder / "home")])
    assert added.code == 0, added.err
    return folder


@pytest.fixture(scope="module")
def guide_postgres(postgres_server: str, workspace: tuple[Path, str]) -> Iterator[str]:
    """The database a documented ``postgresql://`` URL stands for, with a session in it."""
    import pglib

    folder, _ = workspace
    with pglib.fresh_database(postgres_server) as url:
        ran = run(["session", "import", str(ROOT / "scenarios/hudson-strong-transcript.yaml"),
                   "--store", url, "--home", str(folder / "home")])
        assert ran.code == 0, ran.err
        yield url


def needs_postgres(command: Command) -> bool:
    return any(POSTGRES_URL.match(w) for w in shlex.split(command.text, comments=True))


def execute(command: Command, folder: Path, session_id: str,
            monkeypatch: pytest.MonkeyPatch, postgres: str | None = None) -> Ran:
    """Run a documented command in the workspace, its inputs from other commands first;
    ``postgres`` is the URL its ``postgresql://`` URLs stand for."""
    if OWN in command.text:
        folder = own_folder(folder, command.page)
    if shlex.split(command.text, comments=True)[1:3] == ["scenario", "new"]:
        folder = Path(tempfile.mkdtemp(dir=folder, prefix="new-"))  # a fresh path
        (folder / "home").mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PMSIM_HOME", str(folder / "home"))
    parsed = to_argv(command.text, session_id)
    for word in parsed.argv:
        producer = PRODUCERS.get(word)
        if producer is not None and producer != command and not (folder / word).exists():
            made = execute(producer, folder, session_id, monkeypatch, postgres)
            assert made.code == 0, f"{producer} (which writes {word}): {made.err}"
    argv = [postgres if postgres and POSTGRES_URL.match(w) else w for w in parsed.argv]
    if accepts_home(argv):
        argv = [*argv, "--home", str(folder / "home")]
    ran = run(argv)
    if parsed.stdout_to is not None:
        (folder / parsed.stdout_to).write_text(ran.out, encoding="utf-8")
    return ran


@pytest.mark.parametrize("command", RUNNABLE, ids=str)
def test_a_documented_command_runs(command: Command, workspace: tuple[Path, str],
                                   monkeypatch: pytest.MonkeyPatch,
                                   request: pytest.FixtureRequest) -> None:
    folder, session_id = workspace
    postgres = request.getfixturevalue("guide_postgres") if needs_postgres(command) else None
    ran = execute(command, folder, session_id, monkeypatch, postgres)
    assert ran.code == 0, f"{command}\nexit {ran.code}\n{ran.err}"
    assert "Traceback" not in ran.err + ran.out, str(command)
    assert ran.out.strip(), f"{command}: printed nothing"
    if to_argv(command.text, session_id).argv[:2] == ["scenario", "new"]:
        written = Path(ran.out.strip())
        assert written.is_file(), f"{command}: wrote no file"
        checked = run(["scenario", "validate", str(written)])
        assert checked.code == 0, f"{command}: what it wrote does not validate\n{checked.out}"


def test_the_guide_shows_commands_and_most_of_them_run() -> None:
    """The extraction finds the guide's commands, and skips only placeholders and the
    meeting room."""
    pages = {c.page for c in RUNNABLE}
    assert {"facilitator_guide/running-a-workshop.md", "facilitator_guide/choosing-a-seed.md",
            "facilitator_guide/tutorial.md", "facilitator_guide/authoring-scenarios.md",
            "facilitator_guide/calibration.md", "README.md"} <= pages
    assert len(RUNNABLE) >= 10
    for c in COMMANDS:
        if c not in RUNNABLE:
            assert PLACEHOLDERS.search(c.text) or shlex.split(c.text, comments=True)[1:2] in (
                [], *([w] for w in INTERACTIVE)), f"{c} skipped for no reason"


def test_a_documented_line_becomes_the_arguments_a_facilitator_means() -> None:
    line = ("pmsim scenario calibrate hudson --replications 200   # a quick look, "
            "not `> x`")
    assert to_argv(line, "s1").argv == ["scenario", "calibrate", "hudson",
                                        "--replications", "5", "--seeds", "3"]
    export = to_argv("pmsim session export ID > mine.yaml     # a transcript", "ab12cd34")
    assert (export.argv, export.stdout_to) == (["session", "export", "ab12cd34"], "mine.yaml")
    assert to_argv("pmsim session list | head -3", "x").argv == ["session", "list"]
    assert to_argv("pmsim run hudson --replications 2", "x").argv[-1] == "2"  # under the cap
    assert skipped("pmsim play --session ID --role district   # a second terminal")
    assert skipped("pmsim                      # home screen")
    assert not skipped("pmsim scenario validate my-district.yaml")
    assert skipped("pmsim play my-district")
    assert not skipped("pmsim report ID --format html > debrief.html")


def test_home_is_added_only_where_the_command_takes_it() -> None:
    assert accepts_home(["session", "list"])
    assert not accepts_home(["scenario", "schema"])  # the schema needs no home
    assert isinstance(cli._parser(), argparse.ArgumentParser)
