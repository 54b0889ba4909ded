"""Stage 1: read content files into raw documents, keeping the place of every YAML key.

Only this module reads the content folder. Nothing a contributor writes may raise: every
problem becomes a located `Problem` on the document.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .problems import Problem

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader

MAX_FILE_BYTES = 1_000_000
Place = tuple[int, int]  # 1-based line and column
FieldPath = tuple[str | int, ...]
KEY = "<key>"  # places[(*path, KEY)] is where the key of `path` is written; places[path], its value


@dataclass
class RawDocument:
    """One content file as read: YAML data with the place of each key, and the Markdown body."""

    path: Path  # absolute
    display: str  # as shown in messages
    data: Any = None
    places: dict[FieldPath, Place] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    digest: str = ""  # sha256 of the file's bytes: the cache key of everything derived from it
    problems: list[Problem] = field(default_factory=list)

    def place(self, path: FieldPath) -> Place | None:
        """The place of a field, or of its nearest parent that has one."""
        while path:
            if path in self.places:
                return self.places[path]
            path = path[:-1]
        return self.places.get(())

    def problem(self, path: FieldPath, message: str, severity: str = "error") -> Problem:
        line, column = self.place(path) or (None, None)
        name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path if p != KEY).replace(".[", "[")
        return Problem(self.display, line, column, name, message, severity)


class YamlProblem(Exception):
    def __init__(self, place: Place | None, message: str):
        super().__init__(message)
        self.place, self.message = place, message


_scalars = SafeConstructor()


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _place(node: yaml.Node, offset: int) -> Place:
    return node.start_mark.line + 1 + offset, node.start_mark.column + 1


def _to_python(node: yaml.Node, path: FieldPath, places: dict, seen: set[int], offset: int) -> Any:
    """Build plain data from a YAML node, recording places; refuse aliases and duplicate keys."""
    place = _place(node, offset)
    if id(node) in seen:
        # The composer hands an alias back as the very node its anchor named.
        raise YamlProblem(place, "anchors and aliases (&, *) are not allowed")
    seen.add(id(node))
    places[path] = place
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(_place(key_node, offset), "a key must be plain text")
            key = str(_scalars.construct_object(key_node))
            key_place = _place(key_node, offset)
            if key in result:
                raise YamlProblem(key_place, f"'{key}' appears twice; YAML would silently keep only the last")
            result[key] = _to_python(value_node, (*path, key), places, seen, offset)
            places[(*path, key, KEY)] = key_place
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), places, seen, offset) for i, item in enumerate(node.value)]
    if node.tag == _TIMESTAMP:  # dates stay text: the model checks them and says why one is wrong
        return node.value
    try:
        return _scalars.construct_object(node)
    except (yaml.YAMLError, ValueError) as exc:  # e.g. a timestamp-like value that is no real date
        raise YamlProblem(place, f"cannot read this value: {exc}") from None


def parse_yaml(text: str, line_offset: int = 0) -> tuple[Any, dict[FieldPath, Place]]:
    """Parse YAML text into data and key places. Raises YamlProblem with a place."""
    if "\t" in text:
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlProblem((number + line_offset, len(line) - len(stripped) + 1),
                                  "YAML does not allow tabs for indentation; use spaces")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = (mark.line + 1 + line_offset, mark.column + 1) if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        if "found character '\\t'" in str(exc):
            reason = "YAML does not allow tabs here; use spaces"
        raise YamlProblem(place, f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"invalid YAML: {exc}") from None
    if node is None:
        return None, {}
    places: dict[FieldPath, Place] = {}
    return _to_python(node, (), places, set(), line_offset), places


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _read_text(path: Path, doc: RawDocument, root: Path) -> str | None:
    """The file's text, or None with a problem recorded."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            doc.problems.append(Problem(doc.display, None, None, "", "is a link to a file outside the content folder; refused"))
            return None
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            doc.problems.append(Problem(doc.display, None, None, "",
                                        f"is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        doc.problems.append(Problem(doc.display, None, None, "", f"cannot be read: {exc.strerror or exc}"))
        return None
    doc.digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc.problems.append(Problem(doc.display, line, column, "", "is not valid UTF-8 text; save it as UTF-8"))
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def load_markdown_file(path: Path, root: Path) -> RawDocument:
    """A Markdown file with YAML front matter between `---` lines."""
    doc = RawDocument(path=path, display=display_path(path))
    text = _read_text(path, doc, root)
    if text is None:
        return doc
    if not text.strip():
        doc.problems.append(Problem(doc.display, 1, 1, "", "is empty; an event starts with front matter between '---' lines"))
        return doc
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        doc.problems.append(Problem(doc.display, 1, 1, "", "has no front matter: the first line must be '---'"))
        return doc
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    except StopIteration:
        doc.problems.append(Problem(doc.display, len(lines), 1, "",
                                    "front matter is not closed: add a line '---' after it"))
        return doc
    try:
        doc.data, doc.places = parse_yaml("\n".join(lines[1:end]), line_offset=1)
    except YamlProblem as exc:
        line, column = exc.place or (None, None)
        doc.problems.append(Problem(doc.display, line, column, "", exc.message))
        return doc
    doc.places.setdefault((), (2, 1))
    doc.body = "\n".join(lines[end + 1:])
    doc.body_line = end + 2
    if not isinstance(doc.data, dict):
        doc.problems.append(Problem(doc.display, 2, 1, "", "front matter must be a mapping of 'field: value' lines"))
        doc.data = None
    return doc


def load_yaml_file(path: Path, root: Path) -> RawDocument | None:
    """A whole-YAML content file (eras, settings); None when it does not exist."""
    if not path.exists() and not path.is_symlink():
        return None
    doc = RawDocument(path=path, display=display_path(path))
    text = _read_text(path, doc, root)
    if text is not None:
        try:
            doc.data, doc.places = parse_yaml(text)
        except YamlProblem as exc:
            line, column = exc.place or (None, None)
            doc.problems.append(Problem(doc.display, line, column, "", exc.message))
    return doc


def find_event_files(content: Path) -> list[Path]:
    return sorted((content / "events").glob("**/*.md"))


def load_events(content: Path) -> list[RawDocument]:
    return [load_markdown_file(path, content) for path in find_event_files(content) if not _hidden(path)]


def load_pages(content: Path) -> list[RawDocument]:
    return [load_markdown_file(path, content) for path in sorted((content / "pages").glob("*.md")) if not _hidden(path)]


def _hidden(path: Path) -> bool:
    # editors' lock and swap files are hidden (emacs's .#x.md): never content
    return path.name.startswith(".")


@dataclass
class RawContent:
    events: list[RawDocument]
    pages: list[RawDocument]
    eras: RawDocument | None
    settings: RawDocument | None


def load_content(content: Path) -> RawContent:
    return RawContent(
        events=load_events(content),
        pages=load_pages(content),
        eras=load_yaml_file(content / "eras.yaml", content),
        settings=load_yaml_file(content / "site.yaml", content),
    )
