"""The build cache: what each stage made, under a hash of what it was made from.

It lives in `.cache/timeline/` beside the content folder (git-ignored; CI may keep it):

- `index.pickle`: a magic line, the SHA-256 of the payload, then the payload (an `Index`);
- `events.pickle`: the parsed event files (`Events`), stored the same way but apart from the index,
  so that a build with nothing changed need not read them (most of the cache's bytes are these);
- `pages/<key>.html`: each rendered page, stored once (a `BlobStore`); the site's files are hard
  links to them, so an unchanged page is neither rendered nor written again;
- `search/<key>/`: each search bundle Pagefind wrote, stored the same way.

Nothing in it is trusted: an index whose checksum, format or generator differ is thrown away
with every stored file (and events.pickle: events that fail the same checks are parsed again);
a stored file whose size, mtime or inode changed counts as missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Iterable, Iterator, TypeVar

MAGIC = b"timeline-cache 3\n"
DIGEST_BYTES = 32
LIBRARIES = ("jinja2", "markdown", "nh3", "pydantic", "pyyaml", "markupsafe", "python-slugify", "pagefind-bin")
# An event file's key is written to the index only once the file has not changed for this long:
# a write within the same tick of the file system's clock could leave its size and times as they
# were (git's "racily clean" files). Until then the next build reads the file again.
SETTLED_NS = 3_000_000_000
Stat = tuple[int, int, int]  # size, mtime_ns, inode
K = TypeVar("K")
V = TypeVar("V")


def folder_for(content: Path) -> Path:
    return content.resolve().parent / ".cache" / "timeline"


def digest(*parts: str | bytes) -> str:
    """A SHA-256 over parts, led by their count and lengths so that ("ab", "c") ≠ ("a", "bc")."""
    data = [part.encode() if isinstance(part, str) else part for part in parts]
    sha = hashlib.sha256(struct.pack(f"<{len(data) + 1}Q", len(data), *map(len, data)))
    for chunk in data:  # not joined: a part may be a data file of megabytes
        sha.update(chunk)
    return sha.hexdigest()


def code_digest() -> str:
    """The generator's version: its own source, the libraries it renders with, and Python."""
    import importlib.metadata
    parts: list[str | bytes] = [sys.version]
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        parts += [path.name, path.read_bytes()]
    for name in LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts += [name, importlib.metadata.version(name)]
    return digest(*parts)


def stat_of(path: Path | str) -> Stat | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return s.st_size, s.st_mtime_ns, s.st_ino


@dataclass
class Memo(Generic[K, V]):
    """Results by key. A build marks what it used (get, put, keep); `sweep` drops the rest."""

    entries: dict[K, V] = field(default_factory=dict)
    used: set[K] = field(default_factory=set, repr=False, compare=False)
    changed: bool = field(default=False, repr=False, compare=False)  # since it was read or written

    def get(self, key: K) -> V | None:
        value = self.entries.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def put(self, key: K, value: V) -> V:
        self.changed = self.changed or self.entries.get(key) != value
        self.entries[key] = value
        self.used.add(key)
        return value

    def keep(self, keys: Iterable[K]) -> None:
        self.used.update(keys)

    def sweep(self) -> list[K]:
        """Drop the entries no build used since the last sweep; returns their keys."""
        gone = [key for key in self.entries if key not in self.used]
        for key in gone:
            del self.entries[key]
        self.used = set()
        self.changed = self.changed or bool(gone)
        return gone

    def __getstate__(self):  # `used` and `changed` belong to this process's builds, not to the index
        return {"entries": self.entries}

    def __setstate__(self, state):
        self.entries, self.used, self.changed = state["entries"], set(), False


class BlobStore:
    """Files by key in a folder: a page's bytes (`<key>.html`), or a folder of files (`<key>/`)."""

    def __init__(self, folder: Path, suffix: str = ""):
        self.folder, self.suffix = folder, suffix

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{self.suffix}"

    def write(self, key: str, data: bytes) -> Stat:
        """Store bytes; safe in a worker process. Always a new file, never an overwrite: the old
        one may be hard-linked into a live site."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".new-{os.getpid()}-{path.name}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return stat_of(path)

    def write_tree(self, key: str, source: Path) -> dict[str, Stat]:
        """Store a folder's files (hard links); returns each file's stat by relative path."""
        target = self.path(key)
        shutil.rmtree(target, ignore_errors=True)
        files = {}
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            rel = path.relative_to(source).as_posix()
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target / rel)
            files[rel] = stat_of(target / rel)
        return files

    def remove(self, key: str) -> None:
        path = self.path(key)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


@dataclass
class SiteMemo:
    """What a successful build made from one exact set of inputs."""

    files: dict[str, str]  # site path → page key
    problems: list[Any]  # warnings (errors never reach a memo)
    events: int
    site_url: str | None  # see BuildResult


@dataclass
class Index:
    code: str
    files: Memo[tuple[str, str], tuple[tuple, str]] = field(default_factory=Memo)  # see Cache.file_key
    pages: Memo[str, Stat] = field(default_factory=Memo)  # page key → its stored file's stat
    bundles: Memo[str, dict[str, Stat]] = field(default_factory=Memo)  # search key → its stored files
    site: tuple[str, SiteMemo] | None = None  # the last good build: its site key and what it made


@dataclass
class Events:
    code: str
    memo: Memo[str, bytes] = field(default_factory=Memo)  # file key → the parsed file, pickled


Stored = TypeVar("Stored", Index, Events)


def read_stored(path: Path, kind: type[Stored], code: str) -> tuple[Stored | None, str]:
    """The index or events at `path`, or None and why they cannot be trusted ("" when there are none yet)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"could not read {path}: {exc.strerror}"
    payload = raw[len(MAGIC) + DIGEST_BYTES:]
    if not raw.startswith(MAGIC) or raw[len(MAGIC):len(MAGIC) + DIGEST_BYTES] != hashlib.sha256(payload).digest():
        return None, f"{path} is damaged (checksum mismatch)"
    try:
        stored = pickle.loads(payload)
    except Exception:  # a payload that passed its checksum but not its unpickling: still not trusted
        return None, f"{path} could not be read"
    if not isinstance(stored, kind):
        return None, f"{path} has an unknown format"
    if stored.code != code:
        return None, "the generator changed since the last build"
    return stored, ""


def write_stored(path: Path, stored: Index | Events) -> None:
    """Written beside and renamed into place, so a reader never sees half a file."""
    payload = pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(MAGIC + hashlib.sha256(payload).digest() + payload)
    os.replace(tmp, path)


class Cache:
    """One cache folder: its index, its stored pages and search bundles, and the parsed events
    already unpickled in this process."""

    def __init__(self, folder: Path, code: str):
        self.folder = folder.resolve()
        self.index_file = self.folder / "index.pickle"
        self.events_file = self.folder / "events.pickle"
        self.pages = BlobStore(self.folder / "pages", ".html")
        self.bundles = BlobStore(self.folder / "search")
        self.bytecode = self.folder / "jinja"  # compiled templates (jinja2.FileSystemBytecodeCache)
        self.on_disk = stat_of(self.index_file)  # read before the file: one written meanwhile is read next time
        index, self.note = read_stored(self.index_file, Index, code)
        if index is None:  # nothing stored may be trusted without the index that vouches for it
            for folder in (self.pages.folder, self.bundles.folder, self.bytecode):
                shutil.rmtree(folder, ignore_errors=True)
            self.events_file.unlink(missing_ok=True)
            index = Index(code)
        self.index = index
        self.note = f"cache rebuilt: {self.note}" if self.note else ""
        self._events: Events | None = None  # read when first needed: a build with nothing changed needs none
        self.loaded: dict[str, Any] = {}  # file key → the parsed file, unpickled
        self.site_changed = False

    @property
    def events(self) -> Memo[str, bytes]:
        """Each parsed event file, pickled, by its file key."""
        if self._events is None:
            events, why = read_stored(self.events_file, Events, self.index.code)
            if why and not self.note:
                self.note = f"parsed events not reused: {why}"
            self._events = events or Events(self.index.code)
        return self._events.memo

    def keep_events(self, keys: Iterable[str]) -> None:
        """The parsed files a build used without reading them: unread, they are kept as they are."""
        if self._events is not None:
            self._events.memo.keep(keys)

    def is_current(self) -> bool:
        """Whether the index on disk is the one this object read or wrote last."""
        return stat_of(self.index_file) == self.on_disk

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One build at a time per cache (a `timeline build` beside a running `timeline serve`)."""
        for folder in (self.pages.folder, self.bundles.folder, self.bytecode):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows: no lock
            yield
            return
        with open(self.folder / "lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def event(self, key: str) -> Any | None:
        data = self.events.get(key)
        if data is None:
            return None
        if key not in self.loaded:
            self.loaded[key] = pickle.loads(data)
        return self.loaded[key]

    def put_event(self, key: str, entry: Any) -> None:
        self.events.put(key, pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
        self.loaded[key] = entry

    def file_key(self, path: Path, cwd: str, make) -> str | None:
        """`make(path)`, remembered while the file's size, times and inode stay the same, so that
        an unchanged file is neither read nor hashed again (see SETTLED_NS)."""
        try:
            s = os.stat(path)
            seen = (s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino)
        except OSError:  # gone or unreadable: `make` reports it
            return make(path)
        name = (cwd, str(path))
        known = self.index.files.get(name)
        if known and known[0] == seen:
            return known[1]
        key = make(path)
        if key:
            self.index.files.put(name, (seen, key))
        return key

    def page(self, key: str) -> Path | None:
        """The stored page for a key, if it is still exactly the file that was stored."""
        expected = self.index.pages.get(key)
        if expected is None:
            return None
        path = self.pages.path(key)
        return path if stat_of(path) == expected else None

    def put_page(self, key: str, stat: Stat) -> Path:
        self.index.pages.put(key, stat)
        return self.pages.path(key)

    def bundle(self, key: str) -> Path | None:
        """The stored search bundle's folder, if every file of it is intact."""
        files = self.index.bundles.get(key)
        folder = self.bundles.path(key)
        if files is None or any(stat_of(folder / rel) != stat for rel, stat in files.items()):
            return None
        return folder

    def put_bundle(self, key: str, source: Path) -> None:
        self.index.bundles.put(key, self.bundles.write_tree(key, source))

    def set_site(self, key: str, memo: SiteMemo) -> None:
        if self.index.site is None or self.index.site[0] != key:
            self.index.site = (key, memo)
            self.site_changed = True

    def save(self) -> None:
        """Keep what the builds since the last save used, drop the rest (and its stored files),
        and write the index if anything in it changed (a warm build writes nothing)."""
        index, events = self.index, self._events
        memos = (index.files, index.pages, index.bundles)
        if not any(memo.used for memo in memos):  # no build since the last save
            return
        if events is not None:
            gone = events.memo.sweep()
            for key in gone:
                self.loaded.pop(key, None)
            if events.memo.changed:
                self.folder.mkdir(parents=True, exist_ok=True)
                write_stored(self.events_file, events)
                events.memo.changed = False
        for key in index.pages.sweep():
            self.pages.remove(key)
        if index.bundles.used:  # a build without search keeps the bundle it did not need
            for key in index.bundles.sweep():
                self.bundles.remove(key)
        index.files.sweep()
        settled = time.time_ns() - SETTLED_NS
        unsettled = [name for name, (seen, _) in index.files.entries.items() if max(seen[1], seen[2]) >= settled]
        if not (self.site_changed or any(memo.changed for memo in memos)) and self.on_disk:
            return
        kept = {name: index.files.entries.pop(name) for name in unsettled}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_stored(self.index_file, index)
        index.files.entries.update(kept)  # this process may still trust them
        self.on_disk = stat_of(self.index_file)
        self.site_changed = False
        for memo in memos:
            memo.changed = False
