"""Stage 5: the timeline → pages (site path → bytes), through Jinja2 with autoescape on.

`plan_pages` lists every page with the template and context it is rendered from and the
digests of the content it depends on; `render_pages` renders a plan. Keeping the two apart
lets a cache skip any page whose inputs are unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from . import index
from .collect import FACET_KINDS, FILTER_KEYS, FacetValue, Timeline, slugify
from .load import is_editor_file
from .model import CATEGORIES, PartialDate, Settings
from .overview import overview
from .validate import Event

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class PageSpec:
    path: str  # site path of the output file, e.g. "events/x/index.html"
    template: str
    context: dict[str, Any]
    inputs: tuple[str, ...]  # digests of the content the page is rendered from


def base_path(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def make_environment(settings: Settings, templates: Path = TEMPLATES, today: dt.date | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    prefix = base_path(settings.base_url)
    absolute = settings.base_url if urlsplit(settings.base_url).scheme else None
    env.globals.update(
        site=settings,
        categories=CATEGORIES,
        facet_kinds=FACET_KINDS,
        url=lambda path="": prefix + path.lstrip("/"),
        abs_url=lambda path="": (absolute.rstrip("/") + "/" if absolute else prefix) + path.lstrip("/"),
        today=today or dt.date.today(),
        filter_keys=FILTER_KEYS,
        search_filters=index.event_filters,
        search_labels=index.filter_labels,
    )
    env.filters["json_ld"] = event_json_ld
    env.filters["groupby_initial"] = by_initial
    env.filters["day_label"] = lambda day: PartialDate(day.year, day.month, day.day).label
    return env


def by_initial(values: list[FacetValue]) -> list[tuple[str, list[FacetValue]]]:
    """Long index pages are grouped by first letter (A–Z, then '#' for the rest)."""
    groups: dict[str, list[FacetValue]] = {}
    for value in values:
        initial = slugify(value.name)[0].upper()
        groups.setdefault(initial if initial.isalpha() else "#", []).append(value)
    return sorted(groups.items(), key=lambda item: (item[0] == "#", item[0]))


def event_json_ld(event: Event, permalink: str, site_url: str, site: Settings) -> dict[str, Any]:
    """schema.org data for an event page: an article about the event, citing its sources."""
    meta = event.meta
    things = [("Organization", meta.organizations), ("Person", meta.people), ("CreativeWork", meta.works)]
    citations = []
    for source in meta.sources:
        citation = {"@type": "CreativeWork", "name": source.title, "url": source.url,
                    "publisher": {"@type": "Organization", "name": source.publisher}}
        if source.date:
            citation["datePublished"] = source.date.iso
        if source.archive_url:
            citation["archivedAt"] = source.archive_url
        citations.append(citation)
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": meta.title,
        "description": meta.summary,
        "url": permalink,
        "inLanguage": site.language,
        "isPartOf": {"@type": "WebSite", "name": site.title, "url": site_url},
        "about": {"@type": "Event", "name": meta.title, "startDate": meta.date.iso,
                  "endDate": (meta.end_date or meta.date).iso, "description": meta.summary},
        "keywords": [CATEGORIES[meta.category][0], *meta.tags],
        "mentions": [{"@type": kind, "name": name} for kind, names in things for name in names],
        "citation": citations,
    }


def _event_inputs(timeline: Timeline, event_id: str) -> tuple[str, ...]:
    prev, next_ = timeline.neighbours[event_id]
    shown = [timeline.by_id[event_id], *timeline.related[event_id], *(e for e in (prev, next_) if e)]
    return tuple(e.digest for e in shown)


def plan_pages(timeline: Timeline) -> list[PageSpec]:
    everything = tuple(e.digest for e in timeline.events)
    specs = [
        PageSpec("index.html", "home.html", {"timeline": timeline, "overview": overview(timeline)}, everything),
        PageSpec("404.html", "404.html", {"timeline": timeline}, tuple(p.digest for p in timeline.pages)),
        PageSpec("search/index.html", "search.html", {"timeline": timeline}, everything),
    ]
    for event in timeline.events:
        prev, next_ = timeline.neighbours[event.id]
        specs.append(PageSpec(
            f"events/{event.id}/index.html", "event.html",
            {"event": event, "timeline": timeline, "prev": prev, "next": next_,
             "related": timeline.related[event.id], "eras": timeline.eras_of[event.id]},
            _event_inputs(timeline, event.id)))
    for kind, values in timeline.facets.items():
        specs.append(PageSpec(f"{kind}/index.html", "facet_index.html",
                              {"kind": kind, "values": values, "timeline": timeline}, everything))
        for value in values:
            specs.append(PageSpec(f"{value.path}index.html", "facet.html",
                                  {"value": value, "timeline": timeline},
                                  tuple(e.digest for e in value.events)))
    for page in timeline.pages:
        specs.append(PageSpec(f"{page.slug}/index.html", "page.html", {"page": page, "timeline": timeline},
                              (page.digest,)))
    return specs


def render_pages(specs: list[PageSpec], env: jinja2.Environment) -> dict[str, bytes]:
    pages = {}
    for spec in specs:
        html = env.get_template(spec.template).render(spec.context, page_path=spec.path)
        pages[spec.path] = html.encode("utf-8")
    return pages


def static_files(templates: Path = TEMPLATES) -> dict[str, bytes]:
    folder = templates / "static"
    return {f"static/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not is_editor_file(p)}

