"""Open data and feeds, beside the pages: every event as JSON and CSV, the JSON Schemas, Atom and
JSON Feed 1.1 of the events added last, the /data/ page that explains them, a sitemap and robots.txt.

Like rendering, a pure function of the timeline: no clock, no git, no file times, so the same
content gives the same bytes. When an event came and when it last changed are its `added` and
`checked` dates (`added_on`, `updated_on`).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from xml.sax.saxutils import escape

import jinja2
from pydantic import Field

from .cache import Memo
from .collect import Timeline, event_sort_key
from .filter_index import filter_entry, filter_index
from .model import EventFrontMatter, Slug, StrictModel
from .reference import front_matter_schema, json_schema, schema_text
from .validate import Event
from .values import CATEGORIES
from .vocabulary import site_path

FEED_LIMIT = 30
ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 cannot carry; a feed with one is not well-formed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "
CSV_COLUMNS = ["id", "url", "date", "end_date", "title", "summary", "category", "tags", "organizations",
               "people", "works", "sources", "related", "caveat", "checked", "added"]
EVENT_NAMESPACE = uuid.UUID("5b0f1f7e-6a8e-4f53-9a51-2f1c1b0e7d7a")  # fixed: entry ids outlive domain moves


class ExportedEvent(EventFrontMatter):
    """One event in /data/events.json: its front matter, where its page is, and its body."""

    id: Slug = Field(description="The event's id: its file name without `.md`.")
    url: str = Field(description="The event's page on this site.")
    body_html: str = Field(description="The longer account, rendered from Markdown and sanitized.")


class EventsFile(StrictModel):
    """/data/events.json: every event, in time order."""

    title: str
    home_page_url: str
    license: str
    events: list[ExportedEvent]


@dataclass(frozen=True)
class EventRow:
    """One event in the data files: its object in events.json and its line in events.csv,
    encoded, and its entry in the home filter's index (filter_index.filter_entry)."""

    json: bytes
    csv: bytes
    filter: tuple[tuple, dict[str, list[str]]]


def event_rows(timeline: Timeline, abs_url: Callable[[str], str], url: Callable[[str], str], memo: Memo
               ) -> list[EventRow]:
    """Every event's rows, in time order. An event with the same fingerprint (collect.py) on a site
    at the same address, in the same language, has the same rows: `memo` keeps them from one build
    to the next (the live server's), which saves ≈ 0.3 s of a rebuild at 4000 events."""
    key_of_site = (abs_url(""), url(""), timeline.settings.language)
    rows = []
    for event in timeline.events:
        key = (timeline.fingerprints[event.id], key_of_site)
        rows.append(memo.get(key) or memo.put(key, _event_row(event, timeline, abs_url, url)))
    return rows


def _event_row(event: Event, timeline: Timeline, abs_url: Callable[[str], str], url: Callable[[str], str]
               ) -> EventRow:
    """id, page URL, every front-matter field and the body HTML; in the CSV, lists joined with
    "; " and sources as "publisher <url>"."""
    data = {"id": event.id, "url": abs_url(site_path("event", event.id)), **event.meta.model_dump(mode="json"),
            "body_html": timeline.html[event.id]}
    # compact: events.json is the largest file of the site, and json's C encoder only runs without indent
    as_json = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    flat = dict(data, sources=[f"{s['publisher']} <{s['url']}>" for s in data["sources"]])
    line = _csv_line([_csv_cell(LIST_SEPARATOR.join(flat[c]) if isinstance(flat[c], list) else flat[c])
                      for c in CSV_COLUMNS])
    return EventRow(as_json.encode("utf-8"), line.encode("utf-8"),
                    filter_entry(event, url, timeline.settings.language))


def events_json(timeline: Timeline, rows: list[EventRow], abs_url: Callable[[str], str]) -> bytes:
    document = {"title": timeline.settings.title, "home_page_url": abs_url(""),
                "license": timeline.settings.license, "events": []}
    # The events go between the brackets of the empty list, already encoded: joined once, since
    # each concatenation would copy megabytes into memory the process touches for the first time.
    head = json.dumps(document, ensure_ascii=False, separators=(",", ":")).removesuffix("[]}")
    pieces = [(head + "[").encode("utf-8")]
    for row in rows:
        pieces += (row.json, b",")
    if rows:
        pieces.pop()
    pieces.append(b"]}\n")
    return b"".join(pieces)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def events_csv(rows: list[EventRow]) -> bytes:
    """A header, then one line per event; UTF-8 with a BOM so that spreadsheet programs read
    accents right."""
    return b"".join([_csv_line(CSV_COLUMNS).encode("utf-8-sig"), *(row.csv for row in rows)])


def entry_id(event: Event) -> str:
    return uuid.uuid5(EVENT_NAMESPACE, event.id).urn


def added_on(event: Event) -> dt.date:
    """The day the event came to the timeline: `added`, or without it the event's date, the
    earliest it can have come (so an event that does not say never goes ahead of those that do)."""
    return (event.meta.added or event.meta.date).first_day


def updated_on(event: Event) -> dt.date:
    """The day the event last changed for its readers: the later of its addition and the last
    check of its claims against its sources, which is when corrections land."""
    checked = event.meta.checked
    return max(added_on(event), checked.first_day) if checked else added_on(event)


def newest_additions(timeline: Timeline) -> list[Event]:
    """What the feeds list: the FEED_LIMIT events added last, newest first; of those added on
    the same day, the latest by date first."""
    return heapq.nlargest(FEED_LIMIT, timeline.events, key=lambda e: (added_on(e), event_sort_key(e)))


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _xml(text: str) -> str:
    return NOT_XML.sub("", text)


def _atom(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    element.text = None if text is None else _xml(text)
    return element


def atom_feed(timeline: Timeline, newest: list[Event], abs_url: Callable[[str], str]) -> bytes:
    settings = timeline.settings
    # Unprefixed names under an xmlns attribute: ElementTree would otherwise invent "ns0:" prefixes.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: settings.language})
    _atom(feed, "title", settings.title)
    _atom(feed, "subtitle", settings.description)
    _atom(feed, "id", uuid.uuid5(EVENT_NAMESPACE, "feed").urn)
    _atom(feed, "updated", _timestamp(max(map(updated_on, newest), default=dt.date(1970, 1, 1))))
    _atom(feed, "link", rel="self", type="application/atom+xml", href=abs_url("feed.xml"))
    _atom(feed, "link", rel="alternate", type="text/html", href=abs_url(""))
    _atom(_atom(feed, "author"), "name", settings.title)
    _atom(feed, "rights", settings.license)
    for event in newest:
        entry = _atom(feed, "entry")
        _atom(entry, "title", event.meta.title)
        _atom(entry, "id", entry_id(event))
        _atom(entry, "link", rel="alternate", type="text/html", href=abs_url(site_path("event", event.id)))
        _atom(entry, "published", _timestamp(added_on(event)))
        _atom(entry, "updated", _timestamp(updated_on(event)))
        _atom(entry, "category", term=event.meta.category, label=CATEGORIES[event.meta.category][0])
        _atom(entry, "summary", event.meta.summary)
        if timeline.html[event.id]:
            _atom(entry, "content", timeline.html[event.id], type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def json_feed(timeline: Timeline, newest: list[Event], abs_url: Callable[[str], str]) -> bytes:
    settings = timeline.settings
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": settings.title,
        "home_page_url": abs_url(""),
        "feed_url": abs_url("feed.json"),
        "description": settings.description,
        "language": settings.language,
        "authors": [{"name": settings.title}],
        "items": [{
            "id": entry_id(e),
            "url": abs_url(site_path("event", e.id)),
            "title": e.meta.title,
            "summary": e.meta.summary,
            # JSON Feed needs content: the body, or the summary for an event without one
            **({"content_html": timeline.html[e.id]} if timeline.html[e.id] else {"content_text": e.meta.summary}),
            "date_published": _timestamp(added_on(e)),
            "date_modified": _timestamp(updated_on(e)),
            "tags": [CATEGORIES[e.meta.category][0], *e.meta.tags],
        } for e in newest],
    }
    return (json.dumps(feed, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def page_url_path(path: str) -> str:
    """A page's file → its URL path: "events/x/index.html" → "events/x/"."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def last_changes(pages: dict[str, Sequence[Event]], timeline: Timeline) -> dict[str, dt.date | None]:
    """Each page (site path → the events that date it, render.PageSpec.dated_by) → the newest
    `updated_on` of those events; None for a page that none dates."""
    day = {event.id: updated_on(event) for event in timeline.events}
    return {path: max((day[event.id] for event in events), default=None) for path, events in pages.items()}


def sitemap(lastmods: dict[str, dt.date | None], site_url: str) -> bytes:
    """Every page but the 404 page, at its full URL, with the day it last changed where known.
    Written as text (escaped as ElementTree would): one element per page is slow to build on a large site."""
    urls = "".join(f"  <url>\n    <loc>{escape(_xml(site_url + url_path))}</loc>\n"
                   + (f"    <lastmod>{day.isoformat()}</lastmod>\n" if day else "") + "  </url>\n"
                   for url_path, day in sorted((page_url_path(path), day) for path, day in lastmods.items()
                                               if path != "404.html"))
    return f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP_NS}\">\n{urls}</urlset>\n".encode("utf-8")


def robots(site_url: str | None) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if site_url:  # the Sitemap line must be a full URL, and there is no sitemap without one
        lines.append(f"Sitemap: {site_url}sitemap.xml")
    return ("\n".join(lines) + "\n").encode("utf-8")


def schema_files() -> dict[str, bytes]:
    """The JSON Schemas: the same for every build by this generator."""
    return {"data/schema.json": schema_text(front_matter_schema()).encode("utf-8"),
            "data/events.schema.json": schema_text(json_schema(EventsFile, "Events export")).encode("utf-8")}


def export_files(timeline: Timeline, env: jinja2.Environment, pages: dict[str, Sequence[Event]], rows_memo: Memo,
                 schemas: dict[str, bytes]) -> dict[str, bytes]:
    """The data files, the feeds, the /data/ page, the home page filter's index, and, for a site
    with a full URL, the sitemap of every page (`pages`: site path → the events that date it, and
    /data/). Without one the feeds keep the site's relative links."""
    abs_url, url, full = env.globals["abs_url"], env.globals["url"], env.globals["site_url"]
    rows = event_rows(timeline, abs_url, url, rows_memo)
    newest = newest_additions(timeline)
    files = {
        "data/events.json": events_json(timeline, rows, abs_url),
        "data/events.csv": events_csv(rows),
        **schemas,
        "feed.xml": atom_feed(timeline, newest, abs_url),
        "feed.json": json_feed(timeline, newest, abs_url),
    }
    sizes = {path: len(data) for path, data in files.items()}
    files["data/index.html"] = env.get_template("data.html").render(
        timeline=timeline, sizes=sizes, feed_limit=FEED_LIMIT, page_path=site_path("data") + "index.html"
    ).encode("utf-8")
    if full:
        lastmods = last_changes(pages, timeline) | {path: None for path in files if path.endswith(".html")}
        files["sitemap.xml"] = sitemap(lastmods, full)
    files[site_path("filter_index")] = filter_index(timeline, url, [row.filter for row in rows])
    files["robots.txt"] = robots(full)
    return files
