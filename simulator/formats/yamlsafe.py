"""Safe, line-numbered YAML loading for scenario files.

Facilitators write scenario files by hand, so the loader reports every problem
it can find at once, each at the line and column where it was written, and
records where every value came from so later validation can point at it too.
It only ever builds plain data: unknown tags, merge keys and alias bombs are
reported, never constructed.

The document is built straight from PyYAML's parser events rather than from
``yaml.compose``: the composed graph shares one node per anchor, so it loses
where each ``*alias`` was written and how often aliases were used.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.reader import ReaderError

_CLoader: type[yaml.CSafeLoader] | None
try:
    from yaml import CSafeLoader as _CLoader
except ImportError:  # PyYAML built without libyaml
    _CLoader = None

MAX_BYTES = 5 * 1024 * 1024
"""The largest scenario or transcript file read. Hudson, a full scenario, is 19 KB and a
strong playthrough's transcript 14 KB: 5 MB leaves room for a scenario 250 times richer
while a file that could only be a mistake (a log, a disk image) is refused unread."""
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 1_000_000

MarkPath = tuple[object, ...]
"""Keys (any YAML scalar) and list indices from the document's root."""
Position = tuple[int, int]

_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.SafeLoader if _CLoader is None else _CLoader)

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_INT = _CORE + "int"
_FLOAT = _CORE + "float"
_BOOL = _CORE + "bool"
_NULL = _CORE + "null"
_TIMESTAMP = _CORE + "timestamp"
_VALUE = _CORE + "value"
_MERGE = _CORE + "merge"
_SEQ = _CORE + "seq"
_MAP = _CORE + "map"

# Timestamps stay text so a date reaches the scenario model as the user wrote it;
# "=" and "<<" resolve to value/merge tags, which only mean something as keys.
_TEXT_TAGS = frozenset({_STR, _TIMESTAMP, _VALUE, _MERGE})
_CONVERTERS: dict[str, Callable[[SafeConstructor, yaml.ScalarNode], object]] = {
    _INT: SafeConstructor.construct_yaml_int,
    _FLOAT: SafeConstructor.construct_yaml_float,
    _BOOL: SafeConstructor.construct_yaml_bool,
    _NULL: SafeConstructor.construct_yaml_null,
}
_CORE_TAGS = _TEXT_TAGS | _CONVERTERS.keys() | {_SEQ, _MAP}

_R = TypeVar("_R")

_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_CUT = re.compile(r"[ \t]+(#)[^\s#]")
"""After a plain value: a comment that starts right after its ``#`` (``#1``), most likely
the rest of the value."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at a 1-based line and column."""

    line: int
    col: int
    message: str

    def format(self, path: str) -> str:
        """Render in the ``PATH:LINE:COL: message`` form editors and terminals link."""
        message = self.message.encode("unicode_escape").decode("ascii") if any(
            ch in self.message for ch in "\n\r\t\x0b\x0c\x85\u2028\u2029"
        ) else self.message
        return f"{path}:{self.line}:{self.col}: {message}"


class YamlError(Exception):
    """Raised with every problem found, so a user can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: (problem.line, problem.col))
        super().__init__("; ".join(f"{p.line}:{p.col}: {p.message}" for p in self.problems))


class FileProblems(Exception):
    """A file that cannot be used, with every problem found in it, sorted by position."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda p: (p.line, p.col))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Each problem as ``PATH:LINE:COL: message``."""
        return [p.format(self.path) for p in self.problems]


@dataclass(frozen=True)
class Loaded:
    """Plain data plus where each value was written, for error messages downstream."""

    data: object
    marks: dict[MarkPath, Position]
    warnings: tuple[Problem, ...] = ()
    """Things that load but are probably not what was meant (a value cut at ``' #'``)."""

    def locate(self, path: tuple) -> Position:
        """Best position for ``path``: its longest prefix that has a mark, else 1:1.

        Validators report paths the file may not contain (a missing field), so
        the nearest enclosing value is the most useful place to point at.
        """
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark is not None:
                return mark
        return (1, 1)


def load_text(text: str) -> Loaded:
    """Load one YAML document of plain data; raise YamlError listing every problem."""
    return _Builder(text).build()


def load_bytes(raw: bytes) -> Loaded:
    """Load a file's bytes, which must be UTF-8 and at most MAX_BYTES long."""
    if len(raw) > MAX_BYTES:
        raise YamlError([Problem(1, 1, "file is larger than 5 MB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = (
            f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save it as UTF-8"
        )
        raise YamlError([Problem(1, 1, message)]) from None
    return load_text(text)


def load_path(path: Path) -> Loaded:
    """Load a scenario file; OSError (FileRefused too) is left to the caller, which knows
    the context."""
    return load_bytes(read_limited(path))


class FileRefused(OSError):
    """A file that was not read: larger than allowed, or not a regular file."""

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


class FileTooLarge(FileRefused):
    """A regular file over the limit: a problem with the file, at its line 1."""


def read_limited(path: Path, limit: int = MAX_BYTES, what: str = "a scenario file") -> bytes:
    """The bytes of the regular file at ``path``, refused with :class:`FileRefused` before
    reading when it is not a regular file, or :class:`FileTooLarge` when it is larger
    than ``limit``.

    Opened without blocking and checked on the open file, so a FIFO (which would wait for
    a writer forever), a device or a directory is refused, and so is a file swapped for one
    after a check. Other OSErrors (no such file, no permission) are left to the caller.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(errno.EINVAL, f"is {_file_kind(info.st_mode)}, not a file",
                              str(path))
        if info.st_size <= limit:
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read(limit + 1)  # one more: the file may have grown since
            if len(raw) <= limit:
                return raw
    finally:
        os.close(fd)
    size = max(info.st_size, limit + 1)
    raise FileTooLarge(errno.EFBIG, f"file is larger than {_size(limit)} ({_size(size)}), the "
                                    f"most {what} may be", str(path))


def read_or_problem(path: Path | str, error: type[FileProblems], what: str) -> bytes:
    """The bytes of the file at ``path`` as :func:`read_limited` reads them, or ``error``
    (a :class:`FileProblems`) with the reason it can't be read at 1:1."""
    try:
        return read_limited(Path(path), what=what)
    except OSError as err:
        raise error(str(path), [Problem(1, 1, f"cannot read the file: "
                                              f"{err.strerror or err}")]) from None


def _size(n: int) -> str:
    """Bytes for people: whole megabytes from 10 MB, else exact bytes (5,242,881 is not
    "5 MB": it is one byte too many)."""
    mb = 1024 * 1024
    if n >= 10 * mb or (n >= mb and n % mb == 0):
        return f"{n / mb:,.0f} MB"
    return f"{n:,} bytes"


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@dataclass(frozen=True)
class _Anchor:
    """A finished anchored node, kept so every alias to it can be expanded cheaply."""

    data: object
    size: int
    height: int
    marks: list[_Mark]


# A node's path and position; at an alias, also the anchor whose marks it repeats.
# Those are expanded only once the document has loaded cleanly, so an alias bomb
# is rejected before any of its expansion is copied.
_Mark = tuple[MarkPath, Position, _Anchor | None]


class _Stop(Exception):
    """Building cannot go on (syntax error or a limit); the problem is already recorded."""


class _Builder:
    """Turns one parser event stream into plain data, marks and problems."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._problems: list[Problem] = []
        self._warnings: list[Problem] = []
        self._lines: list[str] | None = None
        self._marks: list[_Mark] = []
        self._anchors: dict[str, _Anchor] = {}
        self._open_anchors: set[str] = set()
        self._aliases = 0
        self._nodes = 0
        self._peeked: Any = None
        # PyYAML's loaders and events are loosely typed in its stubs (the C loader's
        # events have no common base with anchor and tag): Any at this one seam.
        self._loader: Any = None

    def build(self) -> Loaded:
        data: object = None
        try:
            self._loader = self._call(_LOADER, self._text)
            data = self._document()
        except _Stop:
            pass
        finally:
            if self._loader is not None:
                self._loader.dispose()
        if self._problems:
            raise YamlError(self._problems)
        return Loaded(data, dict(_expand(self._marks, ())), tuple(self._warnings))

    def _document(self) -> object:
        self._take()  # StreamStartEvent
        if isinstance(self._peek(), yaml.StreamEndEvent):
            return None
        self._take()  # DocumentStartEvent
        data, _ = self._node((), 0)
        self._take()  # DocumentEndEvent
        following = self._peek()
        if isinstance(following, yaml.DocumentStartEvent):
            self._report(_position(following.start_mark), "only one YAML document per file")
        return data

    def _node(self, path: MarkPath, depth: int) -> tuple[object, int]:
        """Build the node at ``path`` below ``depth`` containers; return it and its height."""
        event: Any = self._take()
        position = _position(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(str(event.anchor), path, depth, position)  # never None
        is_container = not isinstance(event, yaml.ScalarEvent)
        if is_container and depth + 1 > MAX_DEPTH:
            self._stop(position, f"nesting is deeper than {MAX_DEPTH} levels")
        self._count(1, position)
        first_mark = len(self._marks)
        first_node = self._nodes
        self._marks.append((path, position, None))
        anchor = event.anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
        data: object
        if isinstance(event, yaml.ScalarEvent):
            data, height = self._scalar(event, position), 0
        elif isinstance(event, yaml.SequenceStartEvent):
            self._check_container_tag(event.tag, _SEQ, "list", position)
            data, height = self._sequence(path, depth + 1)
        else:
            self._check_container_tag(event.tag, _MAP, "mapping", position)
            data, height = self._mapping(path, depth + 1)
        if anchor is not None:
            self._open_anchors.discard(anchor)
            relative = [(p[len(path) :], m, a) for p, m, a in self._marks[first_mark:]]
            self._anchors[anchor] = _Anchor(data, self._nodes - first_node, height, relative)
        return data, height

    def _alias(
        self, name: str, path: MarkPath, depth: int, position: Position
    ) -> tuple[object, int]:
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            self._stop(position, f"more than {MAX_ALIASES} aliases ('*name') in the document")
        if name in self._open_anchors:
            self._report(position, f"alias '*{name}' is inside its own anchor (recursive data)")
            self._marks.append((path, position, None))
            return None, 0
        anchor = self._anchors.get(name)
        if anchor is None:
            self._report(position, f"alias '*{name}' has no anchor '&{name}' before it")
            self._marks.append((path, position, None))
            return None, 0
        if depth + anchor.height > MAX_DEPTH:
            self._stop(position, f"nesting is deeper than {MAX_DEPTH} levels")
        self._count(anchor.size, position)
        self._marks.append((path, position, anchor))
        return anchor.data, anchor.height

    def _scalar(self, event: Any, position: Position) -> object:
        if not event.style:  # plain (unquoted): None from PyYAML, '' from libyaml
            self._check_cut(event)
        tag = self._scalar_tag(event)
        if tag in _TEXT_TAGS:
            return event.value
        convert = _CONVERTERS.get(tag)
        if convert is None:
            self._report_tag(tag, "single value", position)
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return convert(self._loader, node)
        except Exception:  # PyYAML raises ValueError, KeyError or IndexError on bad text
            self._report(position, f"cannot read {event.value!r} as {_show_tag(tag)}")
            return event.value

    def _check_cut(self, event: Any) -> None:
        """Warn when a plain value is followed on its line by `` #X``: YAML ends the value
        at the ``#`` and drops the rest as a comment, so ``title: Meeting #1`` reads
        "Meeting". A comment written the usual way, ``# text`` (or a ``##`` rule), is not
        warned about."""
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self._text)
        end = event.end_mark
        if end.line >= len(self._lines):
            return
        rest = self._lines[end.line][end.column:]
        cut = _CUT.match(rest)
        if cut is None:
            return
        column = end.column + cut.start(1) + 1
        self._warnings.append(Problem(
            end.line + 1, column,
            f"warning: the value was cut at ' #': YAML reads {event.value!r}; "
            "put the whole value in quotes"))

    def _scalar_tag(self, event: Any) -> str:
        if event.tag is None or event.tag == "!":
            return self._call(self._loader.resolve, yaml.ScalarNode, event.value, event.implicit)
        return event.tag

    def _sequence(self, path: MarkPath, depth: int) -> tuple[list[object], int]:
        items: list[object] = []
        height = 0
        while not isinstance(self._peek(), yaml.SequenceEndEvent):
            item, item_height = self._node((*path, len(items)), depth)
            items.append(item)
            height = max(height, item_height)
        self._take()
        return items, height + 1

    def _mapping(self, path: MarkPath, depth: int) -> tuple[dict[object, object], int]:
        result: dict[object, object] = {}
        first_lines: dict[object, int] = {}
        height = 0
        while not isinstance(self._peek(), yaml.MappingEndEvent):
            key_event = self._peek()
            key_position = _position(key_event.start_mark)
            key_marks = len(self._marks)
            key, key_height = self._node((*path, "<key>"), depth)
            del self._marks[key_marks:]
            problem = self._key_problem(key_event, key, first_lines)
            if problem is None:
                self._marks.append(((*path, key, "<key>"), key_position, None))
            else:
                self._report(key_position, problem)
            value_marks = len(self._marks)
            value, value_height = self._node((*path, key), depth)
            if problem is None:
                result[key] = value
                first_lines[key] = key_position[0]
            else:
                del self._marks[value_marks:]
            height = max(height, key_height, value_height)
        self._take()
        return result, height + 1

    def _key_problem(
        self, event: yaml.Event, key: object, first_lines: dict[object, int]
    ) -> str | None:
        if isinstance(key, list | dict):
            kind = "list" if isinstance(key, list) else "mapping"
            return f"a {kind} cannot be used as a key"
        if key is not None and not isinstance(key, str | int):
            return f"key {key!r} must be text, a whole number, true/false or null"
        if (
            key == "<<"
            and isinstance(event, yaml.ScalarEvent)
            and self._scalar_tag(event) == _MERGE
        ):
            return "merge keys ('<<') are not supported: write the keys out"
        if key in first_lines:
            return f"duplicate key {key!r} (first at line {first_lines[key]}): keep one of them"
        return None

    def _check_container_tag(
        self, tag: str | None, expected: str, kind: str, position: Position
    ) -> None:
        if tag is not None and tag not in ("!", expected):
            self._report_tag(tag, kind, position)

    def _report_tag(self, tag: str, kind: str, position: Position) -> None:
        shown = _show_tag(tag)
        if tag in _CORE_TAGS:
            self._report(position, f"tag {shown!r} cannot be used on a {kind}")
        else:
            self._report(position, f"tag {shown!r} is not allowed: scenario files are plain data")

    def _count(self, nodes: int, position: Position) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            self._stop(
                position,
                f"document expands to more than {MAX_NODES:,} values"
                " (each alias counts every value it repeats)",
            )

    def _peek(self) -> Any:
        if self._peeked is None:
            self._peeked = self._call(self._loader.get_event)
        return self._peeked

    def _take(self) -> Any:
        event = self._peek()
        self._peeked = None
        return event

    def _call(self, function: Callable[..., _R], *args: object) -> _R:
        """Call into PyYAML, turning anything it raises into a recorded problem."""
        try:
            return function(*args)
        except Exception as exc:  # no input may escape as a traceback
            self._problems.append(self._parser_problem(exc))
            raise _Stop from exc

    def _parser_problem(self, exc: Exception) -> Problem:
        if isinstance(exc, yaml.MarkedYAMLError):
            return _plain_syntax(self._text, exc)
        if isinstance(exc, ReaderError):
            index = exc.position
            if _CLoader is not None and issubclass(_LOADER, _CLoader):  # libyaml counts bytes
                index = len(self._text.encode("utf-8")[:index].decode("utf-8", "ignore"))
            return self._character_problem(index, f"is not allowed: {exc.reason}")
        if isinstance(exc, UnicodeEncodeError):
            return self._character_problem(exc.start, "is not valid Unicode text")
        return Problem(1, 1, f"could not read the YAML: {exc}")

    def _character_problem(self, index: int, complaint: str) -> Problem:
        if index < len(self._text):
            character = f"character U+{ord(self._text[index]):04X}"
        else:
            character = "a character"
        return Problem(*_position_at(self._text, index), f"{character} {complaint}")

    def _report(self, position: Position, message: str) -> None:
        self._problems.append(Problem(*position, message))

    def _stop(self, position: Position, message: str) -> NoReturn:
        self._report(position, message)
        raise _Stop


def _plain_syntax(text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error in words a scenario author can act on, at the place to fix.

    PyYAML's phrases ("mapping values are not allowed here", "could not find expected
    ':'") describe the parser's state, not the mistake; the common mistakes behind them
    are told apart here by looking at the line itself. Both the pure-Python and libyaml
    parsers' wordings are recognised.
    """
    mark = exc.problem_mark or exc.context_mark
    line, col = _position(mark) if mark else (1, 1)
    problem = " ".join((exc.problem or "").split())
    context = " ".join((exc.context or "").split())
    lines = _LINE_BREAK.split(text)
    source = lines[line - 1] if line <= len(lines) else ""
    indent = len(source) - len(source.lstrip(" \t"))
    at = source[col - 1] if 0 < col <= len(source) else ""
    opened = _position(exc.context_mark) if exc.context_mark else None
    opener = ""
    if opened is not None and opened[0] <= len(lines):
        opener = lines[opened[0] - 1][opened[1] - 1:opened[1]]

    tab = col - 1 if at == "\t" else source.find("\t", 0, indent)
    if tab >= 0 or "tab character" in problem:
        if tab < 0:
            tab = max(col - 1, 0)
        return Problem(line, tab + 1, "a tab cannot indent YAML: use spaces")
    if "mapping values are not allowed" in problem:
        before = source[indent:col - 1]
        if re.search(r":[ \t]", before):  # a key and its value on this line: the colon is in it
            return Problem(line, col, "a colon inside a value needs quotes: write the value "
                                      "in double quotes")
        return Problem(line, indent + 1, "this line is indented further than the key above it, "
                                         "so YAML reads it as more of that key's value: line it "
                                         "up with the keys around it")
    if "quoted scalar" in context and opened is not None:
        quote = opener if opener in "'\"" and opener else '"'
        return Problem(*opened, f"this quoted value is never closed: end it with a matching "
                                f"{quote} on the line where the value ends")
    if "flow sequence" in context or "flow mapping" in context:
        start, close, kind = ("[", "]", "list") if "sequence" in context else ("{", "}", "mapping")
        where = opened if opened is not None else (line, col)
        return Problem(*where, f"this '{start}' {kind} is not closed "
                               f"where YAML expects: end it with '{close}' and separate its "
                               f"items with commas (YAML gave up at line {line}, column {col})")
    if "could not find expected ':'" in problem and opened is not None:
        return Problem(*opened, "this line is not 'key: value' or a list item '- value': add "
                                "the missing ':' or join the line to the value above it")
    if problem.startswith(("did not find expected key", "expected <block end>",
                           "did not find expected '-'")):
        if col - 1 > indent and source[indent:col - 1].rstrip()[-1:] in ("'", '"'):
            return Problem(line, col, "text after a quoted value: put the whole value inside "
                                      "the quotes")
        if at in "]}":
            return Problem(line, col, f"a stray '{at}' with no '{'[' if at == ']' else '{'}' "
                                      "open before it: remove it")
        return Problem(line, indent + 1 if col - 1 <= indent else col,
                       "this line's indentation does not line up with the lines around it: "
                       "keys of one mapping, and items of one list, start at the same column")
    if "cannot start any token" in problem and at.strip():
        return Problem(line, col, f"a value cannot start with '{at}': put the value in quotes")
    plain = problem or context or "invalid YAML"
    return Problem(line, col, f"YAML cannot read this line: check it for a stray character or "
                              f"an unbalanced quote or bracket ({plain})")


def _expand(marks: list[_Mark], prefix: MarkPath) -> Iterator[tuple[MarkPath, Position]]:
    """Absolute marks, with each alias's own position first, then the values it repeats."""
    for path, position, anchor in marks:
        yield prefix + path, position
        if anchor is not None:
            yield from _expand([mark for mark in anchor.marks if mark[0]], prefix + path)


def _position(mark: Any) -> Position:
    """1-based (line, column) of a PyYAML mark (pure-Python or libyaml)."""
    return (mark.line + 1, mark.column + 1)


def _position_at(text: str, index: int) -> Position:
    """1-based position of a character index, breaking lines where YAML does."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    line_start = breaks[-1].end() if breaks else 0
    return (len(breaks) + 1, index - line_start + 1)


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
