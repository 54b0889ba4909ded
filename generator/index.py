"""Stage 7: the finished site → its search index, written by Pagefind into `<site>/pagefind/`.

Pagefind comes from the `pagefind[bin]` wheel, so nothing is downloaded at build time. It reads
the event pages only (they carry `data-pagefind-body`, and the filters, sort and meta of
`event_fields`); the search page loads the bundle with static/search.js.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from .collect import FACET_KINDS, Timeline, facet_names
from .values import CATEGORIES

if TYPE_CHECKING:
    from .validate import Event

BUNDLE = "pagefind"  # the folder under the site root; static/search.js imports ../pagefind/pagefind.js
EVENT_PAGES = "events/*/index.html"  # only these are search results; skipping the rest saves parsing
STOP_POLL = 0.1  # seconds between looks at whether Pagefind ended (a stop is seen at once)
TIME_LIMIT = 1800  # seconds

# facet kind → the filter's name in the index and in the search page's URL (?category=labor&year=2023)
FILTER_KEYS = {"categories": "category", "years": "year", "organizations": "organization", "works": "work",
               "people": "person", "tags": "tag"}


class IndexFailed(Exception):
    """Pagefind could not index the site; the message says why."""


class IndexStopped(Exception):
    """The caller asked the indexing to stop (the live server, on a new save)."""


def index_site(site: Path, bundle: str = BUNDLE, stop: threading.Event | None = None) -> float:
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
    return {FILTER_KEYS[kind]: [timeline.link(kind, name).slug for name in names]
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


def filter_labels(timeline: Timeline) -> list[dict]:
    """For the search page: each filter's key and label, and its values as [slug, label] pairs in
    display order (lists, since Jinja's tojson sorts the keys of a dict)."""
    def label(kind: str, name: str) -> str:
        return CATEGORIES[name][0] if kind == "categories" else name
    return [{"key": key, "label": FACET_KINDS[kind][1],
             "values": [[v.slug, label(kind, v.name)] for v in timeline.facets[kind]]}
            for kind, key in FILTER_KEYS.items()]
