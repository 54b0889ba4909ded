"""Stage 7: the finished site → its search index, written by Pagefind into `<site>/pagefind/`.

Pagefind comes from the `pagefind[bin]` wheel, so nothing is downloaded at build time. It reads
the event pages only (they carry `data-pagefind-body`, and the filters, sort and meta of
`event_fields`); the search page loads the bundle with static/search.js. `install_bundle` is
the one place a bundle is put into a site, by `timeline build` and by the live server.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from markupsafe import Markup, escape

from .collect import Timeline, facet_names
from .values import CATEGORIES
from .vocabulary import EVENT_PAGES, FACETS, SEARCH_BUNDLE
from .write import put_file

if TYPE_CHECKING:
    from .cache import Cache
    from .validate import Event

STOP_POLL = 0.1  # seconds between looks at whether Pagefind ended (a stop is seen at once)
TIME_LIMIT = 1800  # seconds


class IndexFailed(Exception):
    """Pagefind could not index the site; the message says why."""


class IndexStopped(Exception):
    """The caller asked the indexing to stop (the live server, on a new save)."""


def install_bundle(root: Path, key: str | None, cache: Cache | None = None, stop: threading.Event | None = None
                   ) -> float:
    """Put the search bundle into `root/pagefind/`: the one stored under `key` (a hash of the
    event pages it reads), or a new one from Pagefind, then stored. It is made beside the bundle
    in place and renamed over it, so the site keeps a whole bundle throughout. Returns the
    seconds Pagefind took (0 for a stored bundle)."""
    stored = cache.bundle(key) if cache and key else None
    new, old, bundle = root / f".{SEARCH_BUNDLE}-new", root / f".{SEARCH_BUNDLE}-old", root / SEARCH_BUNDLE
    shutil.rmtree(new, ignore_errors=True)  # what a stopped run left
    seconds = 0.0
    if stored:
        for path in (p for p in stored.rglob("*") if p.is_file()):
            put_file(new / path.relative_to(stored), path)
    else:
        seconds = index_site(root, new.name, stop)
        if cache and key and new.exists():
            cache.put_bundle(key, new)
    shutil.rmtree(old, ignore_errors=True)
    if bundle.exists():
        bundle.rename(old)
    if new.exists():  # none when the site has no event pages: no bundle, and the search page says so
        new.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)
    return seconds


def index_site(site: Path, bundle: str, stop: threading.Event | None = None) -> float:
    """Write the search bundle into `site / bundle`; returns the seconds it took. A site without
    event pages gets no bundle (Pagefind refuses an empty index) and its search page says so.
    Setting `stop` ends Pagefind early (IndexStopped)."""
    if not any(site.glob(EVENT_PAGES)):
        return 0.0
    from pagefind.service import get_executable  # here: it loads asyncio, which a --no-search build never needs

    binary = get_executable()
    if binary is None:
        raise IndexFailed("the Pagefind binary is missing: reinstall the project (pip install -e .) "
                          "or build with --no-search")
    if stop and stop.is_set():
        raise IndexStopped()
    started = time.perf_counter()
    argv = [str(binary), "--site", str(site), "--output-subdir", bundle, "--glob", EVENT_PAGES, "--silent"]
    # Its messages go to a file, not a pipe: nobody reads a pipe while this waits on `stop`.
    with tempfile.TemporaryFile() as log:
        try:
            run = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise IndexFailed(f"could not run Pagefind ({binary}): {exc}") from exc
        with run:
            _wait(run, started + TIME_LIMIT, stop)
        log.seek(0)
        said = log.read().decode("utf-8", "replace").strip()
    if run.returncode != 0 or not (site / bundle / "pagefind.js").is_file():
        detail = said or f"exit status {run.returncode}"
        raise IndexFailed(f"Pagefind failed: {detail}")
    return time.perf_counter() - started


def _wait(run: subprocess.Popen, deadline: float, stop: threading.Event | None) -> None:
    """Until Pagefind ends. Killed the moment `stop` is set (IndexStopped), or at the deadline."""
    while run.poll() is None:
        stopped = stop is not None and stop.is_set()
        if stopped or time.perf_counter() > deadline:
            run.kill()
            run.wait()
            if stopped:
                raise IndexStopped()
            raise IndexFailed(f"Pagefind took over {TIME_LIMIT} s and was stopped")
        if stop is not None:
            stop.wait(STOP_POLL)  # returns as soon as it is set
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.wait(timeout=STOP_POLL)


def event_filters(timeline: Timeline, event: Event) -> dict[str, list[str]]:
    """What an event page tells Pagefind to filter on: filter key → facet slugs (URL-safe, no commas)."""
    return {FACETS[kind].key: [timeline.link(kind, name).slug for name in names]
            for kind, names in facet_names(event).items()}


def event_fields(timeline: Timeline, event: Event) -> Markup:
    """What Pagefind reads from an event page besides its text, in a hidden block: a filter per
    facet slug, the date to sort on, and meta for the result list. Made here rather than by a
    template macro, which took ≈ 7% of the time of every event page."""
    meta = event.meta
    fields = [("sort", f"date:{meta.date.first_day.isoformat()}"), ("meta", f"date:{meta.date.label}"),
              ("meta", f"datetime:{meta.date.iso}"), ("meta", f"category:{CATEGORIES[meta.category][0]}"),
              ("meta", f"category_slug:{meta.category}")]
    fields += [("filter", f"{key}:{slug}") for key, slugs in event_filters(timeline, event).items() for slug in slugs]
    spans = "".join(f'  <span data-pagefind-{kind}="{escape(value)}"></span>\n' for kind, value in fields)
    return Markup(f"<div hidden>\n{spans}</div>\n")


def filter_labels(timeline: Timeline, url: Callable[[str], str]) -> list[dict]:
    """For the search page: each filter's key and label, and its values as [slug, label, link]
    in display order (lists, since Jinja's tojson sorts the keys of a dict)."""
    return [{"key": kind.key, "label": kind.singular,
             "values": [[v.slug, v.label, url(v.path)] for v in timeline.facets[kind.name]]}
            for kind in FACETS.values()]
