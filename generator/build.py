"""The pipeline, stage by stage. The CLI and the live server only call these functions.

Every stage is memoized in the build cache (cache.py) by a hash of its inputs: an event file
is parsed, validated and converted once, a page is rendered once, and a site whose inputs are
all unchanged is put together from stored pages without parsing anything. Cold builds,
warm builds and the live server's rebuilds are the same code; `use_cache=False` skips the memo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import gc
import hashlib
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import TEMPLATES, collect, index, load, parallel, write
from . import cache as memo
from .problems import Problem, errors

# The stages that parse and render load pydantic, Jinja2 and cmark-gfm (≈ 0.3 s): they are
# imported where they are needed, so that a build with nothing changed does without them.
if TYPE_CHECKING:
    from . import validate

Progress = Callable[[str, int, int], None]  # (stage, done, total)
PROGRESS_STEP = 100


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class CheckResult:
    content: validate.ValidContent
    problems: list[Problem]

    def failed(self, strict: bool = False) -> bool:
        return failed(self.problems, strict)


@dataclass
class BuildResult:
    problems: list[Problem]
    pages: int = 0
    events: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0  # of `seconds`, the time Pagefind took
    written: bool = False
    events_cached: int = 0  # events taken from the cache rather than parsed
    pages_cached: int = 0  # files of the site taken from the cache rather than made
    cache_note: str = ""  # why the cache was thrown away, if it was
    search_key: str | None = None  # a hash of the pages the search index reads (with the cache)


def failed(problems: list[Problem], strict: bool = False) -> bool:
    return bool(errors(problems)) or (strict and bool(problems))


@dataclass
class _Parsed:
    """One event file after load, validate and convert: what the cache keeps per file."""

    display: str  # the file as messages show it
    event: validate.Event | None
    problems: list[Problem]
    html: str | None
    first_day: int | None  # the event's date as an ordinal: the future-date warning depends on it
    today: int

    def holds_on(self, today: dt.date) -> bool:
        """Whether the result is the same today as on the day it was made."""
        day = today.toordinal()
        return self.first_day is None or (self.first_day > day) == (self.first_day > self.today)


def _parse_event(path: Path, root: Path, today: dt.date, convert_body: bool, pickled: bool) -> _Parsed | bytes:
    """`root`: the content folder, resolved. `pickled`: the result as the cache stores it (and,
    made in a worker, as it travels back, pickled once); else as is, which costs nothing when
    this process made it."""
    from . import convert, validate
    doc = load.load_markdown_file(path, root)
    event, problems = validate.validate_event(doc, root, today)
    html = convert.markdown_to_html(doc.body) if event and convert_body else None
    first_day = event.meta.date.first_day.toordinal() if event else None
    parsed = _Parsed(doc.display, event, problems, html, first_day, today.toordinal())
    return pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL) if pickled else parsed


def _file_key(path: Path, cwd: str) -> str | None:
    """What a file's parsed result depends on: its bytes, its name, and the working folder
    (messages show paths relative to it)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None  # unreadable: parsed every time, so the problem is reported every time
    target = os.path.realpath(path) if path.is_symlink() else ""
    return memo.digest(cwd, str(path), target, hashlib.sha256(data).digest())


class _FileSeen:
    """An event file for the checks across files: its name, and its raw document read again
    only if a problem must point into it (a missing `related` id), which is rare."""

    def __init__(self, path: Path, display: str, root: Path):
        self.path, self.display, self._root = path, display, root

    def problem(self, *args, **kwargs) -> Problem:
        return load.load_markdown_file(self.path, self._root).problem(*args, **kwargs)


def _check(content: Path, today: dt.date, store: memo.Cache | None, convert_bodies: bool, progress: Progress,
           paths: list[Path] | None = None, keys: list[str | None] | None = None
           ) -> tuple[validate.ValidContent, dict[str, str], int]:
    """Load, validate and (for a build) convert every file, each event file (`paths`, with their
    cache `keys`) through the cache. Returns the valid content, the HTML of every body and how
    many events came from the cache."""
    from . import convert, validate
    paths = load.find_event_files(content) if paths is None else paths
    keys = keys or [None] * len(paths)
    parsed: list[_Parsed | None] = [None] * len(paths)
    if store:
        for i, key in enumerate(keys):
            entry = store.event(key) if key else None
            parsed[i] = entry if entry and entry.holds_on(today) else None
    todo = [i for i, entry in enumerate(parsed) if entry is None]
    root = content.resolve()
    pickled = store is not None
    work = parallel.map_ordered(lambda path: _parse_event(path, root, today, convert_bodies, pickled),
                                [paths[i] for i in todo])
    for i, result in zip(todo, _counted(work, "parse", len(todo), progress)):
        parsed[i] = pickle.loads(result) if pickled else result
        if store and keys[i]:
            store.put_event(keys[i], result, parsed[i])
    events = [entry.event for entry in parsed if entry.event]
    problems = [problem for entry in parsed for problem in entry.problems]
    problems += validate.cross_checks(events, [_FileSeen(p, entry.display, root) for p, entry in zip(paths, parsed)])
    # Eras, settings and pages: few files, validated as `timeline check` does (with no events).
    rest = validate.validate_site_files(load.load_site_files(content))
    html = {entry.event.id: entry.html for entry in parsed if entry.event}
    if convert_bodies:
        html |= {f"pages/{page.slug}": convert.markdown_to_html(page.body) for page in rest.pages}
    valid = validate.ValidContent(events, rest.eras, rest.pages, rest.settings, problems + rest.problems)
    return valid, html, len(paths) - len(todo)


def check(content: Path, today: dt.date | None = None) -> CheckResult:
    """Load and validate: every problem in every file."""
    with _collector_paused():
        valid, _, _ = _check(content, today or dt.date.today(), None, False, _no_progress)
    return CheckResult(valid, valid.problems)


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a build runs. A build makes millions of objects and
    keeps most of them to the end (every event, every card), so each full collection walks them
    all again for little garbage; in forked workers it also writes to every page of memory they
    share with this process, which the kernel must then copy. At 4000 events the collections took
    0.25 s of the main process in a cold build on two cores, and 2 s of 7 in one process; peak
    memory is the same without them. The state is put back as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _site_key(content: Path, event_keys: list[str | None], overrides: dict[str, str], today: dt.date) -> str | None:
    """A hash of every input of the site: when it is unchanged, so is every page."""
    if None in event_keys:
        return None
    others = [content / "eras.yaml", content / "site.yaml", *load.find_page_files(content),
              *sorted(p for p in TEMPLATES.rglob("*") if p.is_file())]
    parts: list[str | bytes] = [os.getcwd(), str(content), repr(sorted(overrides.items())), today.isoformat(), *event_keys]
    for path in others:
        parts += [str(path), path.read_bytes() if path.exists() else b"\0missing"]
    return memo.digest(*parts)


# The event files each content folder had at its last build in this process (see `same_files`).
_listed: dict[str, list[Path]] = {}


def build(content: Path, output: Path, base_url: str | None = None, strict: bool = False,
          repository_url: str | None = None, search: bool = True, use_cache: bool = True,
          progress: Progress | None = None, in_place: bool = False,
          written: Callable[[], None] | None = None, same_files: bool = False, prime: bool = False,
          save_later: bool = False) -> BuildResult:
    """Check, render, write and index the site; nothing is written when the content has errors,
    and a failed search index (index.IndexFailed) leaves the previous site in place.

    `in_place` (the live server, with the cache and without search, which it indexes itself):
    change only the files that changed in an output folder the last build wrote, rather than
    writing a new folder and swapping it in. With search, the new folder is still swapped in.
    The folder is the caller's own: once this process wrote it, it is taken to hold what the
    build left there, and only the pages whose keys changed are looked at.
    `written()` runs once the new site is in place, before the cache is saved (the live server
    reloads the open pages there). `same_files`: the caller knows that no file was added or
    removed since this process last built `content` (the live server's watcher saw files changed
    in place only), so the event files are not listed again. `prime` (the live server's first
    build): fill this process's memos for the rebuilds to come even when the whole site is in the
    cache, so that the first save is nearly as quick as the next: the events are collected and
    every card is rendered rather than the stored site taken whole. `save_later` (the live server):
    the cache's index is written when `save_cache` is called, not at the end of the build."""
    started = time.perf_counter()
    write.check_output(output, content)
    given = {"base_url": base_url, "repository_url": repository_url}
    overrides = {k: v for k, v in given.items() if v is not None}
    with _collector_paused():
        store = memo.Cache.open(memo.folder_for(content)) if use_cache else None
        if store:
            store.later = save_later
        with store.locked() if store else contextlib.nullcontext():
            paths = _listed.get(str(content)) if same_files else None
            if paths is None:
                paths = _listed[str(content)] = load.find_event_files(content)
            result = _build(content, paths, output.resolve(), overrides, strict, search, in_place, store,
                            progress or _no_progress, written or (lambda: None), prime)
    result.seconds = time.perf_counter() - started
    return result


def save_cache(content: Path) -> None:
    """Write the cache index that builds with `save_later` left unwritten (if any)."""
    memo.Cache.save_pending(memo.folder_for(content))


def _build(content: Path, paths: list[Path], output: Path, overrides: dict[str, str], strict: bool, search: bool,
           in_place: bool, store: memo.Cache | None, progress: Progress, written: Callable[[], None],
           prime: bool = False) -> BuildResult:
    today = dt.date.today()
    cwd = os.getcwd()
    keys = [store.file_key(path, cwd, lambda p: _file_key(p, cwd)) for path in paths] if store else None
    site_key = _site_key(content, keys, overrides, today) if store else None
    site = store.site(site_key) if store and site_key else None
    placed = store.placed(output, _made(search)) if store and in_place else None
    if site and not prime:  # every input as it was for the last good build: its pages are the site
        files = store.pages(site.files, placed)
        if all(files.values()):
            store.keep_events(keys)
            result = BuildResult(site.problems, events=site.events, events_cached=site.events,
                                 pages_cached=len(files), cache_note=store.note)
            return _finish(result, files, output, strict, search, in_place, placed, store, site_key, site, written)

    valid, html, events_cached = _check(content, today, store, True, progress, paths, keys)
    result = BuildResult(valid.problems, events=len(valid.events), events_cached=events_cached,
                         cache_note=store.note if store else "")
    if failed(valid.problems, strict):
        if store:
            store.save()
        return result
    settings = valid.settings.model_copy(update=overrides)
    timeline = collect.collect(valid.events, valid.eras, valid.pages, settings, html)
    if store is None:
        return _write_uncached(result, timeline, today, output, search, progress, written)
    files, page_keys, result.pages_cached = _render_site(timeline, today, store, progress, prime, placed)
    site = memo.SiteMemo(page_keys, valid.problems, len(valid.events))
    return _finish(result, files, output, strict, search, in_place, placed, store, site_key, site, written)


def _counted(items, stage: str, total: int, progress: Progress):
    for done, item in enumerate(items, start=1):
        if done % PROGRESS_STEP == 0 or done == total:
            progress(stage, done, total)
        yield item


def _render_site(timeline: collect.Timeline, today: dt.date, store: memo.Cache, progress: Progress,
                 prime: bool = False, placed: dict[str, str] | None = None
                 ) -> tuple[dict[str, Path], dict[str, str], int]:
    """Every file of the site (a stored page where its key is unchanged, else rendered), each
    file's key, and how many pages came from the cache. `placed`: see Cache.pages."""
    from . import export, render
    specs = render.plan_pages(timeline)
    env = render.make_environment(timeline.settings, today=today, bytecode=store.bytecode_folder)
    store.prepare_pages()
    statics = render.static_files()
    keys = dict(zip((spec.path for spec in specs), render.page_keys(specs, env, timeline)))
    files = store.pages(keys, placed)
    cached = sum(1 for stored in files.values() if stored)
    todo = [spec for spec in specs if files[spec.path] is None]

    def store_page(n: int, page: bytes) -> memo.Stat:  # in the worker: only the file's stat comes back
        return store.write_page(keys[todo[n].path], page)
    results = render.render_pages(todo, env, timeline, store_page,
                                  alongside=lambda: export.export_files(timeline, env, [spec.path for spec in specs]))
    made = next(results)
    for spec, stat in zip(todo, _counted(results, "render", len(todo), progress)):
        files[spec.path] = store.record_page(keys[spec.path], stat)
    if prime:
        render.prime(env, timeline)
    # The data files and feeds depend on every event: made again unless nothing changed at all.
    for rel, data in (statics | made).items():
        keys[rel] = memo.digest("file", rel, data)
        files[rel] = store.page(keys[rel])
        cached += files[rel] is not None
        files[rel] = files[rel] or store.put_page(keys[rel], data)
    return files, keys, cached


def _write_uncached(result: BuildResult, timeline: collect.Timeline, today: dt.date, output: Path, search: bool,
                    progress: Progress, written: Callable[[], None]) -> BuildResult:
    """Without the cache, each page is written into the new site by the process that renders it
    (on every core for a large site), rather than sent back and written afterwards."""
    from . import export, render
    specs = render.plan_pages(timeline)
    env = render.make_environment(timeline.settings, today=today)
    paths = [spec.path for spec in specs]
    with write.new_site(output, _search_index(result, None) if search else None) as folder:
        def write_page(i: int, page: bytes) -> None:
            write.write_file(folder, specs[i].path, page)
        results = render.render_pages(specs, env, timeline, write_page,
                                      alongside=lambda: export.export_files(timeline, env, paths))
        rest = next(results)
        for _ in _counted(results, "render", len(specs), progress):
            pass
        rest |= render.static_files()
        for rel, data in rest.items():
            write.write_file(folder, rel, data)
    written()
    return _mark_written(result, [*paths, *rest])


def _mark_written(result: BuildResult, paths: Iterable[str]) -> BuildResult:
    result.pages = sum(1 for path in paths if path.endswith(".html"))
    result.written = True
    return result


def _finish(result: BuildResult, files: dict, output: Path, strict: bool, search: bool, in_place: bool,
            placed: dict[str, str] | None, store: memo.Cache, site_key: str | None, site: memo.SiteMemo,
            written: Callable[[], None]) -> BuildResult:
    """Write and index the site (unless the output already holds exactly these files) and the
    cache. `placed`: see Cache.placed."""
    if failed(result.problems, strict):
        store.save()
        return result
    result.search_key = _search_key(site.files)
    made = _made(search)
    changes = store.output_changes(output, files, site.files, made, placed)
    store.place(output, made, None)  # until the folder is as the build leaves it
    if changes is not None and in_place and not search:  # with search, Pagefind needs the new site whole
        write.update_site(*changes, output)
    elif changes is None or any(changes):
        indexer = _search_index(result, store) if search else None
        write.write_site(files, output, before_swap=indexer)
    store.place(output, made, site.files)
    written()
    store.save(site_key, site, output, files, made)
    return _mark_written(result, files)


def _made(search: bool) -> str:
    """What the output folder holds besides the site's pages (see Cache.output_changes)."""
    return f"search={search}"


def _search_key(keys: dict[str, str]) -> str | None:
    """A hash of the pages Pagefind reads (site path → page key): the same, the same bundle."""
    indexed = sorted(rel for rel in keys if fnmatch.fnmatch(rel, index.EVENT_PAGES))
    return memo.digest("search", *(part for rel in indexed for part in (rel, keys[rel]))) if keys else None


def _search_index(result: BuildResult, store: memo.Cache | None) -> Callable[[Path], None]:
    """Pagefind over the new site; or, when no page it reads changed, the bundle it made last time."""
    bundle_key = result.search_key

    def index_new_site(folder: Path) -> None:
        stored = store.search_bundle(bundle_key) if store and bundle_key else None
        if stored is None:
            result.index_seconds = index.index_site(folder)
            if store and bundle_key:
                store.put_search_bundle(bundle_key, folder / index.BUNDLE)
            return
        for rel, path in stored.items():
            target = folder / index.BUNDLE / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            write.link_file(path, target)
    return index_new_site
