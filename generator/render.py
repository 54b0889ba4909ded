"""Stage 5: the timeline → pages (site path → bytes), through Jinja2 with autoescape on.

`plan_pages` lists every page with the template and context it is rendered from and the
digests of the content it depends on; `page_keys` hashes those with everything else a page is
made from (its templates, the settings, the generator), so a page whose key is unchanged is
never rendered again (see cache.py). A template that reads more of the timeline than a page's
`inputs` name must add it there, or `page_keys` to its global part: tests/test_cache.py checks
that a cached build equals a cold one byte for byte. A template mistake is a located problem
(`template_problem`), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import jinja2
import jinja2.meta
from markupsafe import Markup, escape

from . import index, linktext, paging, parallel
from .cache import Memo, digest
from .collect import EraMark, FacetValue, Timeline
from .load import display_path
from .overview import overview
from .problems import Problem
from .templates import static_sources
from .values import CATEGORIES, PartialDate, site_url, wayback_lookup
from .vocabulary import FACETS, site_path, slug

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
    dated_by: Sequence[Event] = ()  # the events whose last change is its own (the sitemap's lastmod); none: unknown


def base_path(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


DEFAULT_PREFIX = "default"  # "default:event.html": the packaged event.html, whatever the project overrides
DELIMITER = ":"


def make_loader(folders: list[Path]) -> jinja2.BaseLoader:
    """A Jinja2 loader over `folders` (as `template_folders` gives them: the packaged folder
    last): a name is looked up in each folder in turn, and `default:NAME` in the packaged
    folder only. `list_templates()` lists both, so that anything that hashes every template
    (the build cache's keys) also sees the packaged file an override extends."""
    search = jinja2.FileSystemLoader([str(f) for f in folders])
    packaged = jinja2.FileSystemLoader(str(folders[-1]))
    return jinja2.ChoiceLoader([search, jinja2.PrefixLoader({DEFAULT_PREFIX: packaged}, delimiter=DELIMITER)])


def make_environment(settings: Settings, templates: list[Path], cards: Memo, today: dt.date | None = None,
                     bytecode: Path | None = None) -> jinja2.Environment:
    """`templates`: the folders templates are looked up in, first match wins; `cards`: the memo of
    rendered cards (see Snippets); `bytecode`: a folder where compiled templates are kept from
    one build to the next."""
    env = jinja2.Environment(
        loader=make_loader(templates),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # one environment per build: no need to stat every template at every use
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode)) if bytecode else None,
    )
    prefix = base_path(settings.base_url)
    full = site_url(settings.base_url)

    def url(path: str = "") -> str:
        return prefix + path.lstrip("/")

    def abs_url(path: str = "") -> str:
        """A full URL where the base URL is one, else the same as url()."""
        return (full or prefix) + path.lstrip("/")

    def url_for(route: str, *parts: Any, absolute: bool = False) -> str:
        """The link to a page by its route (vocabulary.ROUTES): url_for('event', event.id)."""
        return (abs_url if absolute else url)(site_path(route, *map(str, parts)))
    env.globals.update(
        site=settings,
        categories=CATEGORIES,
        facets=FACETS,
        url=url,
        url_for=url_for,
        abs_url=abs_url,
        site_url=full,
        link_text=lambda text, kind: linktext.link_text(text, kind, settings.language),
        today=today or dt.date.today(),
        search_fields=index.event_fields,
        search_labels=lambda timeline: index.filter_labels(timeline, url),
        wayback=wayback_lookup,
    )
    env.globals["span"] = time_span
    env.globals["when"] = lambda meta: time_span(meta.date, meta.end_date)
    env.filters["json_ld"] = event_json_ld
    env.filters["groupby_initial"] = by_initial
    env.filters["groupby_year"] = by_year
    env.filters["day_label"] = lambda day: PartialDate(day.year, day.month, day.day).label
    env.globals["snippets"] = Snippets(env, settings, cards)
    return env


class Snippets:
    """What a page shows of another event is the same on every page that shows it, and from
    build to build while the event's fingerprint (collect.py) is: its card (on the home page and
    the facet pages) and its item among an event page's related events. Each is rendered once, from macros.html, and kept in `memo` under the
    fingerprint and a hash of the templates and settings (a rebuild of the live server renders
    only the changed event's, where all 4000 took ≈ 0.6 s). Templates call `snippets.cards(…)`
    and `snippets.related(…)`."""

    def __init__(self, env: jinja2.Environment, settings: Settings, memo: Memo):
        sources = [part for name in env.list_templates(filter_func=_is_template)
                   for part in (name, env.loader.get_source(env, name)[0])]
        self._generation = digest(settings.model_dump_json(), *sources)
        self._env, self._memo = env, memo
        self._made: dict[str, tuple[str, str]] = {}  # this build's: fingerprint → card, related item

    def fill(self, events: Iterable[Event], timeline: Timeline) -> None:
        """Render the snippets of these events that are not rendered yet, across all cores when
        there are many: before the pages are, so that no worker renders one another did."""
        fingerprints, missing = timeline.fingerprints, {}
        for event in events:
            fingerprint = fingerprints[event.id]
            if fingerprint not in self._made:
                kept = self._memo.get((self._generation, fingerprint))
                if kept:
                    self._made[fingerprint] = kept
                else:
                    missing[fingerprint] = event
        macros = self._env.get_template("macros.html").module

        def make(event: Event) -> tuple[str, str]:
            return str(macros.event_card(event, timeline)), str(macros.related_item(event))
        for fingerprint, made in zip(missing, parallel.map_ordered(make, list(missing.values()))):
            self._made[fingerprint] = self._memo.put((self._generation, fingerprint), made)

    def cards(self, entries: list, timeline: Timeline) -> Markup:
        """A list item per entry: an event's card, or where an era starts or ends (the home page).
        Joined here rather than in a template loop, whose passes cost more than the stored cards
        they put out."""
        self.fill((entry for entry in entries if not isinstance(entry, EraMark)), timeline)
        era_mark = self._env.get_template("macros.html").module.era_mark
        fingerprints = timeline.fingerprints

        return Markup("\n".join(str(era_mark(entry)) if isinstance(entry, EraMark)
                                else f"<li>{self._made[fingerprints[entry.id]][0]}</li>" for entry in entries))

    def related(self, events: list[Event], timeline: Timeline) -> Markup:
        """The list items of an event page's related events."""
        self.fill(events, timeline)
        return Markup("\n".join(self._made[timeline.fingerprints[event.id]][1] for event in events))


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
        initial = slug(value.name)[0].upper()
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
    settings = timeline.settings  # their page sizes are in every page's key (page_keys)
    everything = (digest(*fp.values()),)  # pages that show every event: one hash of them all
    # The index pages and the search page show each facet value's name, link and count, not its events.
    names = {kind: digest(repr([(v.name, v.slug, len(v.events)) for v in values]))
             for kind, values in timeline.facets.items()}
    home = {"timeline": timeline, "overview": overview(timeline),
            "recent": paging.recent(timeline.blocks, settings.home_events),
            "year_pages": {year.name: paging.split(year, settings.page_events) for year in timeline.years}}
    specs = [
        # the home page's chart and list of years count every event
        PageSpec(_file("home"), "home.html", home, everything, [e for b in home["recent"] for e in b.events],
                 timeline.events),
        PageSpec("404.html", "404.html", {"timeline": timeline}, tuple(p.digest for p in timeline.pages)),
        PageSpec(_file("search"), "search.html", {"timeline": timeline}, tuple(names.values())),
    ]
    for event in timeline.events:
        prev, next_ = timeline.neighbours[event.id]
        specs.append(PageSpec(
            _file("event", event.id), "event.html",
            {"event": event, "timeline": timeline, "prev": prev, "next": next_,
             "related": timeline.related[event.id], "eras": timeline.eras_of[event.id]},
            _event_inputs(timeline, event.id), timeline.related[event.id], (event,)))
    for kind, values in timeline.facets.items():
        specs.append(PageSpec(_file("facet_index", kind), "facet_index.html",
                              {"kind": kind, "values": values, "timeline": timeline}, (names[kind],)))
        for n, value in enumerate(values):
            # Besides its own events, a page shows the value's count and years, and a year's its neighbours.
            whole = [len(value.events), value.events[0].meta.date.year, value.events[-1].meta.date.year]
            if kind == "years":
                whole += [v.name for v in values[max(n - 1, 0):n + 2]]
            for page in paging.split(value, settings.page_events):
                specs.append(PageSpec(page.path + "index.html", "facet.html",
                                      {"value": value, "page": page, "timeline": timeline},
                                      (digest(repr([whole, page.year_counts])), *[fp[e.id] for e in page.events]),
                                      page.events, page.events))
    for page in timeline.pages:
        specs.append(PageSpec(_file("page", page.slug), "page.html", {"page": page, "timeline": timeline},
                              (page.digest,)))
    return specs


def _file(route: str, *parts: str) -> str:
    return site_path(route, *parts) + "index.html"


def render_page(spec: PageSpec, env: jinja2.Environment) -> bytes:
    return env.get_template(spec.template).render(spec.context, page_path=spec.path).encode("utf-8")


def render_pages(specs: list[PageSpec], env: jinja2.Environment, timeline: Timeline,
                 deliver: Callable[[int, bytes], Any], alongside: Callable[[], Any], folders: list[Path]
                 ) -> Iterator[Any]:
    """`deliver(i, page)` for each spec's page (storing or writing it), in order, rendered across
    all cores when there are many; a page whose template fails gives a Problem instead.
    `alongside()`, the data files (as long to make as a few hundred pages), runs among the pages
    rather than before or after them; its result comes first."""
    for name in {spec.template for spec in specs} | {"macros.html"}:
        env.get_template(name)  # compiled once here, inherited by every worker
    env.globals["snippets"].fill((event for spec in specs for event in spec.shows), timeline)

    def job(n: int) -> Any:  # -1: the job alongside
        if n < 0:
            return alongside()
        try:
            page = render_page(specs[n], env)
        except jinja2.TemplateError as exc:
            return template_problem(exc, folders)
        return deliver(n, page)
    return parallel.map_ordered(job, range(-1, len(specs)))


def template_problem(exc: jinja2.TemplateError, folders: list[Path]) -> Problem:
    """A template mistake, located at the line Jinja2 reports or at the deepest template frame."""
    filename, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not filename:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if any(Path(f.filename).resolve().is_relative_to(folder) for folder in folders)]
        if frames:
            filename, line = frames[-1].filename, frames[-1].lineno
    where = display_path(Path(filename)) if filename else "templates"
    return Problem(where, line, None, "", f"template error: {exc.message or type(exc).__name__}")


def template_digests(env: jinja2.Environment, memo: Memo) -> dict[str, tuple[str, frozenset[str]]]:
    """Each template → a digest of its source and of every template it extends, imports or
    includes, and the names it reads from outside (so `today` only counts where it is used).
    Raises jinja2.TemplateSyntaxError, naming the file, for a template that does not parse.
    `memo` keeps what a source parses to (parsing them all is ≈ 10 % of a live rebuild)."""
    own = {}
    for name in env.list_templates(filter_func=_is_template):
        source, filename, _ = env.loader.get_source(env, name)
        parsed = memo.get((name, source))
        if parsed is None:
            tree = env.parse(source, name, filename)
            parsed = memo.put((name, source), ({r for r in jinja2.meta.find_referenced_templates(tree) if r},
                                               jinja2.meta.find_undeclared_variables(tree)))
        own[name] = (source, *parsed)

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


def page_keys(specs: list[PageSpec], env: jinja2.Environment, timeline: Timeline, memo: Memo) -> list[str]:
    """A key per page: a hash of everything it is rendered from (see the module's docstring).
    `memo` keeps the hash of the same parts (≈ 10 % of a live rebuild)."""
    settings = timeline.settings.model_dump_json()
    eras = repr([era.model_dump() for era in timeline.eras])
    nav = repr([(page.slug, page.meta.title) for page in timeline.pages])  # every page's header lists them
    common = digest(settings, eras, nav)
    templates = template_digests(env, memo)
    today = env.globals["today"].isoformat()
    keys = []
    for spec in specs:
        source, names = templates[spec.template]
        parts = (common, spec.template, source, spec.path, today if "today" in names else "", *spec.inputs)
        keys.append(memo.get(parts) or memo.put(parts, digest(*parts)))
    return keys


def static_files(templates: list[Path]) -> dict[str, bytes]:
    """Every file under static/ of the template folders; a file of an earlier folder wins."""
    return {rel: path.read_bytes() for rel, path in static_sources(templates).items()}
