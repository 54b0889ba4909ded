"""Stage 1: read content files into raw documents, keeping the place of every YAML key.

Only this module reads the content folder. Nothing a contributor writes may raise: every
problem becomes a located `Problem` on the document. The YAML is read by yaml_places.py,
imported only when a file is read (a build with nothing changed finds files, reads none).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .problems import Problem

if TYPE_CHECKING:
    from . import yaml_places

MAX_FILE_BYTES = 1_000_000
Place = tuple[int, int]  # 1-based line and column
FieldPath = tuple[str | int, ...]
KEY = "<key>"  # places[(*path, KEY)] is where the key of `path` is written; places[path], its value


@dataclass
class RawDocument:
    """One content file as read: YAML data with the place of each key, and the Markdown body."""

    path: Path  # as given: absolute, or relative to the working folder
    display: str  # as shown in messages
    real: Path | None = None  # resolved, once the file was found inside the content folder
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
        return Problem(self.display, line, column, field_name(path), message, severity)


def field_name(path: FieldPath) -> str:
    """`sources[0].url` for ('sources', 0, 'url')."""
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path if p != KEY).replace(".[", "[")


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _refusal(path: Path, real: Path, root: Path) -> str | None:
    """Why a content path (resolved: `real`) may not be read: it leads outside the content folder
    (`root`, resolved), or is no plain file."""
    if not real.is_relative_to(root):
        if not path.is_symlink():
            return "lies outside the content folder (through a linked folder); refused"
        return f"is a link to a {'folder' if path.is_dir() else 'file'} outside the content folder; refused"
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return "is a link to a folder; links to folders are not followed: move the files here instead"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a pipe or a device); refused"
    return None


def _read_text(path: Path, doc: RawDocument, root: Path) -> str | None:
    """The file's text, or None with a problem recorded."""
    try:
        real = path.resolve()
        refusal = _refusal(path, real, root)
        if refusal:
            doc.problems.append(Problem(doc.display, None, None, "", refusal))
            return None
        doc.real = real
        with path.open("rb") as file:  # never more than the cap, even if the file grew meanwhile
            # A read of the file's size: a read of the cap would allocate (and fault in) a
            # megabyte for every few kilobytes of event.
            size = os.fstat(file.fileno()).st_size
            raw = file.read(min(size, MAX_FILE_BYTES) + 1)
            if size < len(raw) <= MAX_FILE_BYTES:  # it grew since
                raw += file.read(MAX_FILE_BYTES + 1 - len(raw))
        if len(raw) > MAX_FILE_BYTES:
            doc.problems.append(Problem(doc.display, None, None, "",
                                        f"is over the limit of {MAX_FILE_BYTES:,} bytes; shorten it"))
            return None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links, before Python 3.13
        doc.problems.append(Problem(doc.display, None, None, "", f"cannot be read: {getattr(exc, 'strerror', None) or exc}"))
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


def _yaml_problem(doc: RawDocument, exc: yaml_places.YamlProblem) -> Problem:
    line, column = exc.place or (None, None)
    return Problem(doc.display, line, column, field_name(exc.path), exc.message)


def load_markdown_file(path: Path, root: Path) -> RawDocument:
    """A Markdown file with YAML front matter between `---` lines; `root`: the content folder, resolved."""
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
    from .yaml_places import YamlProblem, parse_yaml
    try:
        doc.data, doc.places = parse_yaml("\n".join(lines[1:end]), line_offset=1)
    except YamlProblem as exc:
        doc.problems.append(_yaml_problem(doc, exc))
        return doc
    doc.places.setdefault((), (2, 1))
    doc.body = "\n".join(lines[end + 1:])
    doc.body_line = end + 2
    if not isinstance(doc.data, dict):
        doc.problems.append(Problem(doc.display, 2, 1, "", "front matter must be a mapping of 'field: value' lines"))
        doc.data = None
    return doc


def load_yaml_file(path: Path, root: Path) -> RawDocument | None:
    """A whole-YAML content file (eras, settings), None when it does not exist; `root` as above."""
    if not path.exists() and not path.is_symlink():
        return None
    from .yaml_places import YamlProblem, parse_yaml
    doc = RawDocument(path=path, display=display_path(path))
    text = _read_text(path, doc, root)
    if text is not None:
        try:
            doc.data, doc.places = parse_yaml(text)
        except YamlProblem as exc:
            doc.problems.append(_yaml_problem(doc, exc))
    return doc


def find_event_files(content: Path) -> list[Path]:
    """Every `.md` file under events/, and every linked folder there (refused when loaded, never walked)."""
    found = []
    for folder, dirs, files in os.walk(content / "events"):
        found += [os.path.join(folder, name) for name in files
                  if name.endswith(".md") and not _EDITOR_FILE.search(name)]
        found += [os.path.join(folder, name) for name in dirs if not _EDITOR_FILE.search(name)
                  and (name.endswith(".md") or os.path.islink(os.path.join(folder, name)))]
    return [Path(name) for name in sorted(found, key=lambda name: name.split(os.sep))]  # in Path order


def find_page_files(content: Path) -> list[Path]:
    return sorted(p for p in (content / "pages").glob("*.md") if not is_editor_file(p))


def load_pages(content: Path) -> list[RawDocument]:
    root = content.resolve()
    return [load_markdown_file(path, root) for path in find_page_files(content)]


# What editors write around a save: hidden swap and lock files (vim's .x.swp, emacs's .#x),
# vim's 4913 probe, emacs's #x# auto-save and ~ backups. Never content, never a change to act on.
_EDITOR_FILE = re.compile(r"^\.|^4913$|^#.*#$|~$")


def is_editor_file(path: Path | str) -> bool:
    return bool(_EDITOR_FILE.search(Path(path).name))


@dataclass
class RawSiteFiles:
    """Every content file but the events."""

    pages: list[RawDocument]
    eras: RawDocument | None
    settings: RawDocument | None


def load_site_files(content: Path) -> RawSiteFiles:
    """Pages, eras and settings; the build loads event files one by one, through its cache."""
    root = content.resolve()
    return RawSiteFiles(
        pages=load_pages(content),
        eras=load_yaml_file(content / "eras.yaml", root),
        settings=load_yaml_file(content / "site.yaml", root),
    )
