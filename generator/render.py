"""Stage 5: the timeline → pages (site path → bytes), through Jinja2 with autoescape on.

`plan_pages` lists every page with the template and context it is rendered from and the
digests of the content it depends on; `page_keys` hashes those with everything else a page is
made from (its templates, the settings, the generator), so a page whose key is unchanged is
never rendered again (see cache.py). A template that reads more of the timeline than a page's
`inputs` name must add it there, or `page_keys` to its global part: tests/test_cache.py checks
that a cached build equals a cold one byte for byte.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import jinja2
import jinja2.meta
from markupsafe import Markup, escape

from . import TEMPLATES, index, parallel
from .cache import digest
from .collect import FACET_KINDS, FILTER_KEYS, EraMark, FacetValue, Timeline, slugify
from .load import is_editor_file
from .overview import overview
from .values import CATEGORIES, PartialDate

if TYPE_CHECKING:
    from .model import Settings
    from .validate import Event


@dataclass(frozen=True)
class PageSpec:
    path: str  # site path of the output file, e.g. "events/x/index.html"
    template: str
    context: dict[str, Any]
    inputs: tuple[str, ...]  # digests of the content the page is rendered from
    shows: list[Event] = field(default_factory=list)  # the events whose snippets it shows (see Snippets)


def base_path(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def make_environment(settings: Settings, templates: Path = TEMPLATES, today: dt.date | None = None,
                     bytecode: Path | None = None) -> jinja2.Environment:
    """`bytecode`: a folder where compiled templates are kept from one build to the next."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # one environment per build: no need to stat every template at every use
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode)) if bytecode else None,
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
        search_fields=index.event_fields,
        search_labels=index.filter_labels,
    )
    env.globals["span"] = time_span
    env.globals["when"] = lambda meta: time_span(meta.date, meta.end_date)
    env.filters["json_ld"] = event_json_ld
    env.filters["groupby_initial"] = by_initial
    env.filters["groupby_year"] = by_year
    env.filters["day_label"] = lambda day: PartialDate(day.year, day.month, day.day).label
    env.globals["snippets"] = Snippets(env, settings)
    return env


# The snippets of the last build, kept for the next one in this process (the live server's) under
# a hash of everything they are made with but the event: the templates and the settings.
_snippets: dict[str, dict[str, tuple[str, str, str]]] = {}  # fingerprint → card, related item, filter data


class Snippets:
    """What a page shows of another event is the same on every page that shows it, and from
    build to build while the event's fingerprint (collect.py) is: its card (on the home page and
    the facet pages, with its facet slugs for the home page's filter) and its item among an event
    page's related events. Each is rendered once, from macros.html. Templates call
    `snippets.cards(…)` and `snippets.related(…)`."""

    def __init__(self, env: jinja2.Environment, settings: Settings):
        sources = [part for name in env.list_templates(filter_func=_is_template)
                   for part in (name, env.loader.get_source(env, name)[0])]
        generation = digest(settings.model_dump_json(), *sources)
        if generation not in _snippets:
            _snippets.clear()
            _snippets[generation] = {}
        self._env, self._made = env, _snippets[generation]

    def fill(self, events: Iterable[Event], timeline: Timeline) -> None:
        """Render the snippets of these events that are not rendered yet, across all cores when
        there are many: before the pages are, so that no worker renders one another did."""
        fingerprints = timeline.fingerprints
        missing = list({fingerprints[event.id]: event for event in events
                        if fingerprints[event.id] not in self._made}.items())
        macros = self._env.get_template("macros.html").module

        def make(event: Event) -> tuple[str, str, str]:
            data = "".join(f' data-{key}="{escape(value)}"' for key, value in timeline.filter_data(event).items())
            return str(macros.event_card(event, timeline)), str(macros.related_item(event)), data
        made = parallel.map_ordered(lambda item: make(item[1]), missing)
        self._made.update(zip((fingerprint for fingerprint, _ in missing), made))

    def cards(self, entries: list, timeline: Timeline, filterable: bool = False) -> Markup:
        """A list item per entry: an event's card, or where an era starts or ends (the home page).
        `filterable` puts on each event's item the facet slugs the home page's filter reads.
        Joined here rather than in a template loop, whose passes cost more than the stored cards
        they put out: the home page lists every event."""
        self.fill((entry for entry in entries if not isinstance(entry, EraMark)), timeline)
        era_mark = self._env.get_template("macros.html").module.era_mark
        fingerprints = timeline.fingerprints

        def item(event: Event) -> str:
            card, _, data = self._made[fingerprints[event.id]]
            return f"<li{data if filterable else ''}>{card}</li>"
        return Markup("\n".join(str(era_mark(entry)) if isinstance(entry, EraMark) else item(entry)
                                for entry in entries))

    def related(self, events: list[Event], timeline: Timeline) -> Markup:
        """The list items of an event page's related events."""
        self.fill(events, timeline)
        return Markup("\n".join(self._made[timeline.fingerprints[event.id]][1] for event in events))


def prime(env: jinja2.Environment, timeline: Timeline) -> None:
    """Fill this process's memos for the rebuilds to come: every template compiled, and the
    snippets of every event."""
    for name in env.list_templates(filter_func=_is_template):
        env.get_template(name)
    env.globals["snippets"].fill(timeline.events, timeline)


def _is_template(name: str) -> bool:
    return name.endswith(".html") and not name.startswith("static/")


def time_span(start: PartialDate, end: PartialDate | None = None) -> Markup:
    """A date, or a span of dates, as <time> elements: templates call it as span(start, end),
    and as when(meta) for an event's dates."""
    html = f'<time datetime="{escape(start.iso)}">{escape(start.label)}</time>'
    if end:
        html += f' to <time datetime="{escape(end.iso)}">{escape(end.label)}</time>'
    return Markup(html)


def by_year(events: list[Event]) -> list[tuple[int, list[Event]]]:
    """Events in time order, grouped by year: what Jinja's groupby('meta.date.year') gives, at
    a fraction of its cost (it looks up each part of the path as an item first)."""
    return [(year, list(group)) for year, group in itertools.groupby(events, key=lambda e: e.meta.date.year)]


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
    """The fingerprints of the events an event page shows: its own, its related, its neighbours."""
    fp = timeline.fingerprints
    return (fp[event_id], *[fp[e.id] for e in timeline.related[event_id]],
            *[fp[e.id] for e in timeline.neighbours[event_id] if e])


def plan_pages(timeline: Timeline) -> list[PageSpec]:
    fp = timeline.fingerprints
    everything = (digest(*fp.values()),)  # pages that show every event: one hash of them all
    # The index pages and the search page show each facet value's name, link and count, not its events.
    names = {kind: digest(repr([(v.name, v.slug, len(v.events)) for v in values]))
             for kind, values in timeline.facets.items()}
    specs = [
        PageSpec("index.html", "home.html", {"timeline": timeline, "overview": overview(timeline)}, everything,
                 timeline.events),
        PageSpec("404.html", "404.html", {"timeline": timeline}, tuple(p.digest for p in timeline.pages)),
        PageSpec("search/index.html", "search.html", {"timeline": timeline}, tuple(names.values())),
    ]
    for event in timeline.events:
        prev, next_ = timeline.neighbours[event.id]
        specs.append(PageSpec(
            f"events/{event.id}/index.html", "event.html",
            {"event": event, "timeline": timeline, "prev": prev, "next": next_,
             "related": timeline.related[event.id], "eras": timeline.eras_of[event.id]},
            _event_inputs(timeline, event.id), timeline.related[event.id]))
    for kind, values in timeline.facets.items():
        specs.append(PageSpec(f"{kind}/index.html", "facet_index.html",
                              {"kind": kind, "values": values, "timeline": timeline}, (names[kind],)))
        for value in values:
            specs.append(PageSpec(f"{value.path}index.html", "facet.html",
                                  {"value": value, "timeline": timeline},
                                  tuple([fp[e.id] for e in value.events]), value.events))
    for page in timeline.pages:
        specs.append(PageSpec(f"{page.slug}/index.html", "page.html", {"page": page, "timeline": timeline},
                              (page.digest,)))
    return specs


def render_page(spec: PageSpec, env: jinja2.Environment) -> bytes:
    return env.get_template(spec.template).render(spec.context, page_path=spec.path).encode("utf-8")


def render_pages(specs: list[PageSpec], env: jinja2.Environment, timeline: Timeline,
                 then: Callable[[int, bytes], Any] = lambda i, page: page,
                 alongside: Callable[[], Any] | None = None) -> Iterator[Any]:
    """`then(i, page)` for each spec's page, in order, rendered (and `then` run: storing the
    page, say) across all cores when there are many. `alongside()`, another job of the build
    (the data files, which take as long as a few hundred pages), runs among the pages rather
    than before or after them; its result comes first."""
    for name in {spec.template for spec in specs} | {"macros.html"}:
        env.get_template(name)  # compiled once here, inherited by every worker
    env.globals["snippets"].fill((event for spec in specs for event in spec.shows), timeline)

    def job(n: int) -> Any:  # -1: the job alongside
        return alongside() if n < 0 else then(n, render_page(specs[n], env))
    return parallel.map_ordered(job, range(-1 if alongside else 0, len(specs)))


# (name, source) → (the templates it extends, imports or includes; the names it reads from outside)
_parsed: dict[tuple[str, str], tuple[set[str], set[str]]] = {}


def template_digests(env: jinja2.Environment) -> dict[str, tuple[str, frozenset[str]]]:
    """Each template → a digest of its source and of every template it extends, imports or
    includes, and the names it reads from outside (so `today` only counts where it is used).
    A template is parsed once while its source stays the same."""
    own = {}
    for name in env.list_templates(filter_func=_is_template):
        source, filename, _ = env.loader.get_source(env, name)
        if (name, source) not in _parsed:
            tree = env.parse(source, name, filename)  # named, so a syntax error says which file
            _parsed[(name, source)] = ({r for r in jinja2.meta.find_referenced_templates(tree) if r},
                                       jinja2.meta.find_undeclared_variables(tree))
        own[name] = (source, *_parsed[(name, source)])
    for stale in _parsed.keys() - {(name, parts[0]) for name, parts in own.items()}:
        del _parsed[stale]

    def closure(name: str, seen: set[str]) -> set[str]:
        seen.add(name)
        for ref in own.get(name, ("", set(), set()))[1] - seen:
            closure(ref, seen)
        return seen
    result = {}
    for name in own:
        names = sorted(closure(name, set()))
        result[name] = (digest(*(part for n in names for part in (n, own.get(n, ("",))[0]))),
                        frozenset().union(*(own[n][2] for n in names if n in own)))
    return result


# The page keys of the last build, kept for the next one in this process (the live server's):
# page path → (what its key was made from, the key).
_keys: dict[str, tuple[tuple[str, ...], str]] = {}


def page_keys(specs: list[PageSpec], env: jinja2.Environment, timeline: Timeline) -> list[str]:
    """A key per page: a hash of everything it is rendered from (see the module's docstring)."""
    global _keys
    settings = timeline.settings.model_dump_json()
    eras = repr([era.model_dump() for era in timeline.eras])
    nav = repr([(page.slug, page.meta.title) for page in timeline.pages])  # every page's header lists them
    common = digest(settings, eras, nav)
    templates = template_digests(env)
    today = env.globals["today"].isoformat()
    memo = {}
    for spec in specs:
        source, names = templates[spec.template]
        parts = (common, spec.template, source, spec.path, today if "today" in names else "", *spec.inputs)
        held = _keys.get(spec.path)
        memo[spec.path] = held if held and held[0] == parts else (parts, digest(*parts))
    _keys = memo
    return [memo[spec.path][1] for spec in specs]


def static_files(templates: Path = TEMPLATES) -> dict[str, bytes]:
    folder = templates / "static"
    return {f"static/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not is_editor_file(p)}

