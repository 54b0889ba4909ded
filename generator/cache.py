"""The build cache: a memo of each stage, keyed by a hash of what the result was made from.

It lives in `.cache/timeline/` beside the content folder (git-ignored; CI may keep it):

- `index.pickle`: a magic line, the SHA-256 of the payload, then the payload: parsed events
  (file key → pickled entry), stored pages (page key → size, mtime and inode of the file),
  the last site (site key → every output path with its page key, and the problems) and each
  event file's key with the size, times and inode it had (so an unchanged file is not read);
- `pages/<key>.html`: each rendered page, once; the site's files are hard links to these, so an
  unchanged page is neither rendered nor rewritten.

Nothing in it is trusted: an index whose checksum, format or generator code differ is thrown
away with every stored page, a stored page whose size, mtime or inode changed is rendered
again, and an event file whose size, times or inode changed is read and hashed again. The
memo stays in memory too, so the live server's repeated builds skip the reading.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .write import MARKER

MAGIC = b"timeline-cache 2\n"
DIGEST_BYTES = 32
LIBRARIES = ("jinja2", "cmarkgfm", "nh3", "pydantic", "pyyaml", "markupsafe", "pagefind", "pagefind-bin")
Stat = tuple[int, int, int]  # size, mtime_ns, inode
FileStat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
# An event file's key is remembered across processes only once the file has not changed for
# this long before a save: a write within the same tick of the file system's clock as the
# recorded one could leave size and times as they were (git's "racily clean" files).
SETTLED_NS = 3_000_000_000


def folder_for(content: Path) -> Path:
    return content.resolve().parent / ".cache" / "timeline"


def digest(*parts: str | bytes) -> str:
    """A SHA-256 over parts, each length-prefixed so that ("ab", "c") ≠ ("a", "bc")."""
    sha = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "little"))
        sha.update(data)
    return sha.hexdigest()


_code_digest: str | None = None


def code_digest() -> str:
    """The generator's version: its own source, the libraries it renders with, and Python."""
    global _code_digest
    if _code_digest is None:
        import importlib.metadata  # here: it takes as long to load as a build of a small site takes to start
        package = Path(__file__).resolve().parent
        parts: list[str | bytes] = [sys.version]
        for path in sorted(package.glob("*.py")):
            parts += [path.name, path.read_bytes()]
        for name in LIBRARIES:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                parts += [name, importlib.metadata.version(name)]
        _code_digest = digest(*parts)
    return _code_digest


def _stat(path: Path | str) -> Stat | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return s.st_size, s.st_mtime_ns, s.st_ino


class _HashingWriter:
    """The index file as the pickler streams into it, frame by frame, hashing as it goes: the
    payload (tens of MB on a large site) is never whole in memory, and the live server's page
    requests can run between two writes rather than wait for the whole pickling."""

    def __init__(self, handle):
        self.handle, self.sha = handle, hashlib.sha256()

    def write(self, data) -> int:
        self.sha.update(data)
        return self.handle.write(data)


@dataclass
class SiteMemo:
    """What a successful build made from one exact set of inputs."""

    files: dict[str, str]  # output path → page key
    problems: list[Any]  # warnings (errors never reach a memo)
    events: int


@dataclass(frozen=True)
class Held:
    """What the last build wrote into an output folder: each site path's stored page, by name."""

    made: str  # what else the folder holds (with or without the search bundle)
    files: dict[str, str]


@dataclass
class Index:
    code: str
    events: dict[str, bytes] = field(default_factory=dict)  # file key → pickled entry
    pages: dict[str, Stat] = field(default_factory=dict)  # page key → its stored file's stat
    sites: dict[str, SiteMemo] = field(default_factory=dict)  # site key → memo (the last one)
    outputs: dict[str, Held] = field(default_factory=dict)  # output folder → what it holds
    bundles: dict[str, dict[str, Stat]] = field(default_factory=dict)  # search key → the bundle's files
    # (working folder, event file) → its size, times and inode, and its file key (settled files only)
    files: dict[tuple[str, str], tuple[FileStat, str]] = field(default_factory=dict)


class Cache:
    """One cache folder. `Cache.open` hands back the same object while the index file on disk
    is the one this process last read or wrote."""

    _open: dict[Path, tuple[Cache, Stat | None]] = {}

    def __init__(self, folder: Path):
        self.folder = folder
        self.index_file = folder / "index.pickle"
        self.pages_folder = folder / "pages"
        self.bytecode_folder = folder / "jinja"  # compiled templates (jinja2.FileSystemBytecodeCache)
        self.note = ""  # why the cache was rebuilt, for the build's summary
        self.changed = not self.index_file.exists()  # whether save() has anything new to write
        on_disk = _stat(self.index_file)  # before reading: a file written meanwhile is read again next time
        self.index = self._load()
        self.later = False  # see save
        self._pending: tuple | None = None  # the arguments of a save left for later
        Cache._open[self.folder] = (self, on_disk)
        self._live: dict[str, Any] = {}  # file key → its entry, unpickled (kept while this process runs)
        self._file_keys = dict(self.index.files)  # as index.files, and the unsettled files too
        self._page_paths: dict[str, Path] = {}  # page key → its stored file
        self._used_events: set[str] = set()
        self._used_pages: set[str] = set()
        self._used_bundles: set[str] = set()
        self._used_files: set[tuple[str, str]] = set()
        # output folder → the key of every page this process put there (see `placed`)
        self._placed: dict[str, tuple[str, dict[str, str]]] = {}

    @classmethod
    def open(cls, folder: Path) -> Cache:
        folder = folder.resolve()
        known = cls._open.get(folder)
        if known and known[1] == _stat(folder / "index.pickle") and known[0].index.code == code_digest():
            cache = known[0]
            cache.note, cache._pending = "", None  # a save left for later is this build's to make
            cache._used_events, cache._used_pages, cache._used_bundles, cache._used_files = set(), set(), set(), set()
            return cache
        return cls(folder)

    def _load(self) -> Index:
        try:
            raw = self.index_file.read_bytes()
        except FileNotFoundError:
            return self._fresh("")
        except OSError as exc:
            return self._fresh(f"could not read {self.index_file}: {exc.strerror}")
        payload = raw[len(MAGIC) + DIGEST_BYTES:]
        if not raw.startswith(MAGIC) or raw[len(MAGIC):len(MAGIC) + DIGEST_BYTES] != hashlib.sha256(payload).digest():
            return self._fresh(f"{self.index_file} is damaged (checksum mismatch)")
        try:
            index = pickle.loads(payload)
        except Exception:  # a payload that passed its checksum but not its unpickling: still not trusted
            return self._fresh(f"{self.index_file} could not be read")
        if not isinstance(index, Index):
            return self._fresh(f"{self.index_file} has an unknown format")
        if index.code != code_digest():
            return self._fresh("the generator changed since the last build")
        return index

    def _fresh(self, why: str) -> Index:
        """An empty index; stored pages of an index we cannot trust go too."""
        self.note = f"cache rebuilt: {why}" if why else ""
        self.changed = True
        for folder in (self.pages_folder, self.folder / "search", self.bytecode_folder):
            shutil.rmtree(folder, ignore_errors=True)
        return Index(code_digest())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One build at a time per cache (a `timeline build` beside a running `timeline serve`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
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

    # events: file key → the result of parsing, validating and converting that file
    def event(self, key: str) -> Any | None:
        data = self.index.events.get(key)
        if data is None:
            return None
        self._used_events.add(key)
        if key not in self._live:
            self._live[key] = pickle.loads(data)
        return self._live[key]

    def file_key(self, path: Path, cwd: str, make: Callable[[Path], str | None]) -> str | None:
        """`make(path)` (which depends on the working folder `cwd`), remembered while the file's
        size, times and inode stay the same: in this process (the live server's rebuilds), and
        in the index for the next build once the file has settled (see SETTLED_NS). An
        unchanged file is then neither read nor hashed again."""
        try:
            stat = path.stat()
            seen = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        except OSError:  # gone or unreadable: `make` reports it
            seen = None
        name = (cwd, str(path))
        known = self._file_keys.get(name)
        if seen and known and known[0] == seen:
            self._used_files.add(name)
            return known[1]
        key = make(path)
        if seen and key:
            self._file_keys[name] = (seen, key)
            self._used_files.add(name)
        return key

    def keep_events(self, keys: list[str]) -> None:
        """Keep these entries although this build did not need to read them."""
        self._used_events.update(keys)

    def put_event(self, key: str, data: bytes, entry: Any) -> None:
        """Store an entry (`data`: pickled) and keep it: the next build in this process gets this
        very object (collect patches the last timeline when its events are the same objects)."""
        self.index.events[key] = data
        self._live[key] = entry
        self.changed = True
        self._used_events.add(key)

    # pages: page key → a stored file
    def page_path(self, key: str) -> Path:
        if key not in self._page_paths:  # made once: a build asks for thousands, again and again under serve
            self._page_paths[key] = self.pages_folder / f"{key}.html"
        return self._page_paths[key]

    def prepare_pages(self) -> None:
        self.pages_folder.mkdir(parents=True, exist_ok=True)
        self.bytecode_folder.mkdir(parents=True, exist_ok=True)

    def pages(self, keys: dict[str, str], placed: dict[str, str] | None = None) -> dict[str, Path | None]:
        """`page` for each site path's key (a site has thousands: one call). `placed`: the keys
        of the pages this process put in the output folder it updates (see `placed`); a page
        whose key is the same is already there, and its stored file is not checked again."""
        page, placed = self.page, placed or {}
        found = {rel: page(key) for rel, key in keys.items() if placed.get(rel) != key}
        if len(found) < len(keys):
            self._used_pages.update(key for rel, key in keys.items() if rel not in found)
            found |= {rel: self.page_path(key) for rel, key in keys.items() if rel not in found}
        return found

    def page(self, key: str) -> Path | None:
        """The stored page for a key, if it is still exactly the file that was stored."""
        expected = self.index.pages.get(key)
        if expected is None:
            return None
        path = self.page_path(key)
        if _stat(path) != expected:
            del self.index.pages[key]
            self.changed = True
            return None
        self._used_pages.add(key)
        return path

    def write_page(self, key: str, data: bytes) -> Stat:
        """Store a page's file; safe in a worker process (the index is not touched: pass the
        result to `record_page`)."""
        path = self.page_path(key)
        try:
            with open(path, "xb") as handle:
                handle.write(data)
        except FileExistsError:
            # A new file, never an overwrite: the old one may be hard-linked into the live site.
            tmp = path.with_name(f".new-{os.getpid()}-{path.name}")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return _stat(path)

    def record_page(self, key: str, stat: Stat) -> Path:
        self.index.pages[key] = stat
        self.changed = True
        self._used_pages.add(key)
        return self.page_path(key)

    def put_page(self, key: str, data: bytes) -> Path:
        return self.record_page(key, self.write_page(key, data))

    # the whole site: site key → what the last successful build from those inputs made
    def site(self, key: str) -> SiteMemo | None:
        return self.index.sites.get(key)

    # the search bundle: a key (the event pages it was made from) → the files Pagefind wrote
    def bundle_folder(self, key: str) -> Path:
        return self.folder / "search" / key

    def search_bundle(self, key: str) -> dict[str, Path] | None:
        """The stored bundle's files (relative path → stored file), if every one is intact."""
        files = self.index.bundles.get(key)
        folder = self.bundle_folder(key)
        if files is None or any(_stat(folder / rel) != stat for rel, stat in files.items()):
            return None
        self._used_bundles.add(key)
        return {rel: folder / rel for rel in files}

    def put_search_bundle(self, key: str, bundle: Path) -> None:
        folder = self.bundle_folder(key)
        shutil.rmtree(folder, ignore_errors=True)
        files = {}
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            rel = path.relative_to(bundle).as_posix()
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, folder / rel)
            files[rel] = _stat(folder / rel)
        self.index.bundles[key] = files
        self._used_bundles.add(key)
        self.changed = True

    def placed(self, output: Path, made: str) -> dict[str, str] | None:
        """The key of every page in an output folder as this process left it (site path → key),
        if it wrote or updated the folder last and holds the same things (`made`): the live
        server's own folder, which nothing else writes. A build then need not check its files."""
        mark = self._placed.get(str(output))
        return mark[1] if mark and mark[0] == made else None

    def place(self, output: Path, made: str, keys: dict[str, str] | None) -> None:
        """Record what an output folder holds once a build put it there (None: it is being changed)."""
        if keys is None:
            self._placed.pop(str(output), None)
        else:
            self._placed[str(output)] = (made, keys)

    def output_changes(self, output: Path, files: dict[str, Path], keys: dict[str, str], made: str = "",
                       placed: dict[str, str] | None = None) -> tuple[dict[str, Path], list[str]] | None:
        """What the output folder lacks to hold exactly these stored pages (site path → stored
        file, and its key): the files to put in (absent, or not the stored file itself: another
        inode) and the paths to remove. None when the folder is not one this cache wrote, or
        holds other things (see `made`). `placed` (see `placed`): the folder as this process
        left it, taken as it is rather than checked file by file."""
        if placed is not None:
            return ({rel: stored for rel, stored in files.items() if placed.get(rel) != keys[rel]},
                    [rel for rel in placed if rel not in files])
        held = self.index.outputs.get(str(output))
        if held is None or held.made != made or not (output / MARKER).is_file():
            return None
        folder, stats = str(output), self.index.pages
        changed = {rel: stored for rel, stored in files.items() if _stat(f"{folder}/{rel}") != stats.get(keys[rel])}
        return changed, [rel for rel in held.files if rel not in files]

    def save(self, site_key: str | None = None, memo: SiteMemo | None = None,
             output: Path | None = None, files: dict[str, Path] | None = None, made: str = "") -> None:
        """Keep what this build used, drop the rest (and its stored pages), write the index
        (unless nothing in it changed: a warm build writes nothing). With `later` set, only
        when `save_pending` is called: the live server saves once no save of a file is coming,
        so that writing the index (≈ 0.1 s at 4000 events) does not compete with the pages
        reloading. A build that opens the cache meanwhile drops the pending save: it saves anew."""
        args = (site_key, memo, output, files, made)
        if self.later:
            self._pending = args
        else:
            self._save(*args)

    def _save(self, site_key: str | None, memo: SiteMemo | None, output: Path | None,
              files: dict[str, Path] | None, made: str) -> None:
        index = self.index
        unused_events = [k for k in index.events if k not in self._used_events]
        unused_pages = [k for k in index.pages if k not in self._used_pages]
        for key in unused_events:
            del index.events[key]
            self._live.pop(key, None)
        for key in unused_pages:
            del index.pages[key]
            with contextlib.suppress(FileNotFoundError):
                self.page_path(key).unlink()
        self._page_paths = {key: path for key, path in self._page_paths.items() if key in index.pages}
        # a build that left the output as it was (or built without search) keeps the bundle it holds
        unused_bundles = [k for k in index.bundles if k not in self._used_bundles] if self._used_bundles else []
        for key in unused_bundles:
            del index.bundles[key]
            shutil.rmtree(self.bundle_folder(key), ignore_errors=True)
        self._file_keys = {name: known for name, known in self._file_keys.items() if name in self._used_files}
        settled = time.time_ns() - SETTLED_NS
        keys = {name: known for name, known in self._file_keys.items() if max(known[0][1], known[0][2]) < settled}
        sites = {site_key: memo} if site_key and memo else index.sites
        outputs = index.outputs
        if output is not None and files is not None:
            outputs = {str(output): Held(made, {rel: path.name for rel, path in files.items()})}
        if not (self.changed or unused_events or unused_pages or unused_bundles
                or sites.keys() != index.sites.keys() or outputs != index.outputs or keys != index.files):
            return
        index.sites, index.outputs, index.files = sites, outputs, keys
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".index-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + bytes(DIGEST_BYTES))  # the checksum goes here once the payload is out
            payload = _HashingWriter(handle)
            pickle.dump(index, payload, protocol=pickle.HIGHEST_PROTOCOL)
            handle.seek(len(MAGIC))
            handle.write(payload.sha.digest())
        os.replace(tmp, self.index_file)
        self.changed = False
        Cache._open[self.folder] = (self, _stat(self.index_file))

    @classmethod
    def save_pending(cls, folder: Path) -> None:
        """Write the index a build left for later, unless another process wrote one since: this
        process's memo is then out of date, and its next build reads the index again."""
        known = cls._open.get(folder.resolve())
        if known is None or known[0]._pending is None:
            return
        cache = known[0]
        with cache.locked():
            if _stat(cache.index_file) == known[1]:
                cache._save(*cache._pending)
            cache._pending = None
