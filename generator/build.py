"""The pipeline, stage by stage: `check` and `build` over a Site. The CLI and the live server
only call these.

    content ─load─▶ raw documents ─validate─▶ events ─convert─▶ HTML bodies ─collect─▶ timeline
            ─render─▶ pages ─write─▶ output ─index─▶ search bundle

Every stage is memoized in the build cache (cache.py) by a hash of its inputs: an event file
is parsed, validated and converted once, a page is rendered once, and a site whose inputs are
all unchanged is put together from stored pages without parsing anything. Cold builds, warm
builds and the live server's rebuilds are the same code; `Options(use_cache=False)` skips it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import functools
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from . import load
from .cache import Cache, SiteMemo, digest
from .problems import Problem, errors
from .site import Site
from .templates import template_files
from .values import site_url
from .vocabulary import EVENT_PAGES

# The stages after load (and pydantic, Jinja2, Python-Markdown and multiprocessing with them, ≈ 0.35 s)
# are imported where they are needed, so that a build with nothing changed does without them.
if TYPE_CHECKING:
    from . import validate
    from .write import StagedSite, LiveSite

Progress = Callable[[str, int, int], None]  # (stage, done, total)
PROGRESS_STEP = 100


@dataclass(frozen=True)
class Options:
    strict: bool = False  # warnings fail the build too
    search: bool = True  # index the site with Pagefind
    use_cache: bool = True  # read and write the build cache


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
    written: bool = False  # the site is in place (written, or already there)
    events_cached: int = 0  # events taken from the cache rather than parsed
    pages_cached: int = 0  # files of the site taken from the cache rather than made
    cache_note: str = ""  # why the cache was thrown away, if it was
    search_key: str | None = None  # a hash of the pages the search index reads
    site_url: str | None = None  # the site's full URL; None when built with a path as base URL (or not built)


def failed(problems: list[Problem], strict: bool = False) -> bool:
    return bool(errors(problems)) or (strict and bool(problems))


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


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


def _file_key(path: Path, cwd: str) -> str | None:
    """What a file's parsed result depends on: its bytes, its name, and the working folder
    (messages show paths relative to it)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None  # unreadable: parsed every time, so the problem is reported every time
    target = os.path.realpath(path) if path.is_symlink() else ""
    return digest(cwd, str(path), target, hashlib.sha256(data).digest())


class _FileSeen:
    """An event file for the checks across files: its name, and its raw document read again
    (once) only if a problem must point into it (a missing `related` id, a curation warning),
    which is rare."""

    def __init__(self, path: Path, display: str, root: Path):
        self.path, self.display, self._root = path, display, root

    @functools.cached_property
    def _doc(self) -> load.RawDocument:
        return load.load_markdown_file(self.path, self._root)

    def problem(self, *args, **kwargs) -> Problem:
        return self._doc.problem(*args, **kwargs)


def _parse(content: Path, paths: list[Path], keys: list[str | None], today: dt.date, cache: Cache | None,
           convert_bodies: bool, progress: Progress) -> tuple[validate.ValidContent, dict[str, str], int]:
    """Load, validate and (for a build) convert every file, each event file through the cache.
    Returns the valid content, the HTML of every body, and how many events came from the cache."""
    from . import convert, parallel, validate
    parsed: list[_Parsed | None] = [None] * len(paths)
    if cache:
        for i, key in enumerate(keys):
            entry = cache.event(key) if key else None
            parsed[i] = entry if entry and entry.holds_on(today) else None
    todo = [i for i, entry in enumerate(parsed) if entry is None]
    root = content.resolve()

    def parse(path: Path) -> _Parsed:
        doc = load.load_markdown_file(path, root)
        event, problems = validate.validate_event(doc, root, today)
        html = convert.markdown_to_html(doc.body) if event and convert_bodies else None
        first_day = event.meta.date.first_day.toordinal() if event else None
        return _Parsed(doc.display, event, problems, html, first_day, today.toordinal())
    work = parallel.map_ordered(parse, [paths[i] for i in todo])
    for i, entry in zip(todo, _counted(work, "parse", len(todo), progress)):
        parsed[i] = entry
        if cache and keys[i]:
            cache.put_event(keys[i], entry)
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


def check(site: Site, today: dt.date | None = None) -> CheckResult:
    """Load and validate: every problem in every file."""
    paths = load.find_event_files(site.content)
    valid, _, _ = _parse(site.content, paths, [None] * len(paths), today or dt.date.today(), None, False,
                         _no_progress)
    return CheckResult(valid, valid.problems)


def _site_key(site: Site, event_keys: list[str | None], today: dt.date) -> str | None:
    """A hash of every input of the site: when it is unchanged, so is every page."""
    if None in event_keys:
        return None
    content = site.content
    others = [content / "eras.yaml", content / "site.yaml", *load.find_page_files(content),
              *template_files(site.templates)]
    parts: list[str | bytes] = [os.getcwd(), str(content), repr(sorted(site.overrides.items())),
                                repr([str(folder) for folder in site.templates]), today.isoformat(), *event_keys]
    for path in others:
        parts += [str(path), path.read_bytes() if path.exists() else b"\0missing"]
    return digest(*parts)


def build(site: Site, output: StagedSite | LiveSite, options: Options = Options(),
          progress: Progress | None = None) -> BuildResult:
    """Check, render, write and index the site. Nothing is written when the content (or a
    template) has errors, and a failed search index (index.IndexFailed) leaves the previous
    site in place. The cache's index is written by `site.save()`, not here."""
    started = time.perf_counter()
    cache = site.cache() if options.use_cache else None
    with cache.locked() if cache else contextlib.nullcontext():
        result = _build(site, output, options, cache, progress or _no_progress)
    result.seconds = time.perf_counter() - started
    return result


def _build(site: Site, output: StagedSite | LiveSite, options: Options, cache: Cache | None,
           progress: Progress) -> BuildResult:
    today = dt.date.today()
    paths = load.find_event_files(site.content)
    cwd = os.getcwd()
    keys = [cache.file_key(path, cwd, lambda p: _file_key(p, cwd)) for path in paths] if cache else [None] * len(paths)
    site_key = _site_key(site, keys, today) if cache else None
    if cache and site_key and cache.index.site and cache.index.site[0] == site_key:
        memo = cache.index.site[1]  # every input as it was for the last good build: its pages are the site
        result = BuildResult(memo.problems, events=memo.events, events_cached=memo.events,
                             pages_cached=len(memo.files), cache_note=cache.note, site_url=memo.site_url)
        if failed(memo.problems, options.strict):
            return result
        if installed := _install(result, output, memo.files, options, cache):
            cache.keep_events(keys)
            return installed

    valid, html, events_cached = _parse(site.content, paths, keys, today, cache, True, progress)
    result = BuildResult(valid.problems, events=len(valid.events), events_cached=events_cached,
                         cache_note=cache.note if cache else "")
    if failed(valid.problems, options.strict):
        return result
    import jinja2

    from . import collect, export, render
    settings = valid.settings.model_copy(update=site.overrides)
    result.site_url = site_url(settings.base_url)
    timeline = collect.collect(valid.events, valid.eras, valid.pages, settings, html, site.related)
    env = render.make_environment(settings, site.templates, site.cards, today, cache.bytecode if cache else None)
    specs = render.plan_pages(timeline)
    try:
        keys_of = dict(zip((spec.path for spec in specs), render.page_keys(specs, env, timeline, site.keys)))
    except jinja2.TemplateError as exc:
        result.problems.append(render.template_problem(exc, site.templates))
        return result
    # a page the output holds already (the live server's own folder) is neither rendered nor looked up
    held = {rel for rel, key in keys_of.items() if output.holds(rel, key)}
    stored = {rel: cache.page(key) for rel, key in keys_of.items() if rel not in held} if cache else {}
    todo = [spec for spec in specs if spec.path not in held and stored.get(spec.path) is None]

    def deliver(n: int, page: bytes) -> Any:  # in a worker: store the page, or write it into the new site
        spec = todo[n]
        return cache.pages.write(keys_of[spec.path], page) if cache else output.put(spec.path, page)

    def data_files() -> dict[str, bytes]:
        return export.export_files(timeline, env, {spec.path: spec.dated_by for spec in specs}, site.rows,
                                   export.schema_files())
    if not cache:
        output.begin()
    try:
        made = render.render_pages(todo, env, timeline, deliver, data_files, site.templates)
        data = next(made)
        statics = render.static_files(site.templates)
        template_problems = []
        for spec, delivered in zip(todo, _counted(made, "render", len(todo), progress)):
            if isinstance(delivered, Problem):
                template_problems.append(delivered)
            elif cache:
                stored[spec.path] = cache.put_page(keys_of[spec.path], delivered)
        site.sweep()
        if template_problems:
            output.abort()
            result.problems += sorted(set(template_problems))
            return result
        for rel, content in (data | statics).items():
            keys_of[rel] = digest("file", rel, content)  # made from every event: keyed by their bytes
            if cache:
                stored[rel] = cache.page(keys_of[rel]) or cache.put_page(keys_of[rel],
                                                                          cache.pages.write(keys_of[rel], content))
            else:
                output.put(rel, content)
        result.pages_cached = len(specs) - len(todo)
        if cache:
            if site_key:
                cache.set_site(site_key, SiteMemo(keys_of, valid.problems, len(valid.events), result.site_url))
            installed = _install(result, output, keys_of, options, cache, stored)
            if installed is None:
                raise OSError(f"stored pages in {cache.pages.folder} were removed during the build")
            return installed
        output.finish(keys_of, *_search(result, keys_of, None, options))
    except BaseException:
        output.abort()
        raise
    return _written(result, keys_of)


def _counted(items: Iterable, stage: str, total: int, progress: Progress):
    for done, item in enumerate(items, start=1):
        if done % PROGRESS_STEP == 0 or done == total:
            progress(stage, done, total)
        yield item


def _install(result: BuildResult, output: StagedSite | LiveSite, keys: dict[str, str], options: Options,
             cache: Cache, stored: dict[str, Path | None] | None = None) -> BuildResult | None:
    """Put the site's stored files in place, with its search bundle, unless the output holds
    them already; None (nothing done) when a stored file it needs is missing or changed.
    `stored`: the stored files the build already looked up or wrote."""
    bundle, install = _search(result, keys, cache, options)
    cache.index.pages.keep(keys.values())  # stored pages stay while the site they make is in use
    cache.index.bundles.keep([bundle] if bundle else [])
    change = output.changes(keys, bundle)
    if change is not None:
        stored = stored or {}
        files = {rel: stored.get(rel) or cache.page(keys[rel]) for rel in change}
        if not all(files.values()):
            return None
        output.begin()
        try:
            for rel in change:
                output.put(rel, files[rel])
            output.finish(keys, bundle, install)
        except BaseException:
            output.abort()
            raise
    return _written(result, keys)


def _written(result: BuildResult, keys: dict[str, str]) -> BuildResult:
    result.pages = sum(1 for rel in keys if rel.endswith(".html"))
    result.written = True
    result.search_key = search_key(keys)
    return result


def search_key(keys: dict[str, str]) -> str:
    """A hash of the pages Pagefind reads (site path → page key): the same, the same bundle."""
    indexed = sorted(fnmatch.filter(keys, EVENT_PAGES))
    return digest("search", *(part for rel in indexed for part in (rel, keys[rel])))


def _search(result: BuildResult, keys: dict[str, str], cache: Cache | None, options: Options
            ) -> tuple[str | None, Callable[[Path], None] | None]:
    """The search bundle the site gets (its key, and what puts it in place), if it gets one."""
    if not options.search:
        return None, None
    bundle = search_key(keys)

    def install(root: Path) -> None:
        from . import index
        result.index_seconds = index.install_bundle(root, bundle, cache)
    return bundle, install
