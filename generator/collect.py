"""Stage 4: validated events → the timeline: ordered, grouped by year, indexed by facet.

Everything a page needs to know about other events (neighbours, related events, facet
members, eras) is worked out here, once, so that rendering is a pure function of it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .cache import Memo, digest
from .values import CATEGORIES
from .vocabulary import FACETS, site_path, slug

if TYPE_CHECKING:
    from .model import Era, Settings
    from .validate import Event, Page

RELATED_LIMIT = 6


@dataclass
class FacetValue:
    kind: str
    name: str
    slug: str
    events: list[Event] = field(default_factory=list)

    @property
    def path(self) -> str:
        return site_path("facet", self.kind, self.slug)

    @property
    def label(self) -> str:
        """As readers see it: a category by its label, anything else by its name."""
        return CATEGORIES[self.name][0] if self.kind == "categories" else self.name


@dataclass(frozen=True)
class EraMark:
    """Where an era starts or ends inside the timeline's list of events."""

    era: Era
    edge: str  # "start" or "end"


@dataclass
class YearBlock:
    """One year of the home page: its events with the era marks that fall among them."""

    year: str
    events: list[Event]
    entries: list[Event | EraMark]


@dataclass
class Timeline:
    events: list[Event]  # in time order
    eras: list[Era]
    pages: list[Page]
    settings: Settings
    facets: dict[str, list[FacetValue]]  # kind → values, in display order
    facet_of: dict[tuple[str, str], FacetValue]  # (kind, name) → value
    by_id: dict[str, Event]
    neighbours: dict[str, tuple[Event | None, Event | None]]
    related: dict[str, list[Event]]
    eras_of: dict[str, list[Era]]
    html: dict[str, str]  # rendered Markdown bodies: event id, or "pages/<slug>" → HTML
    blocks: list[YearBlock]  # the home page's timeline, year by year
    fingerprints: dict[str, str]  # event id → what a page that shows the event reads of it (_fingerprint)

    @property
    def years(self) -> list[FacetValue]:
        return self.facets["years"]

    def link(self, kind: str, name: str) -> FacetValue:
        return self.facet_of[(kind, name)]

    def eras_in_year(self, year: str) -> list[Era]:
        return [era for era in self.eras if era.start.year <= int(year) <= era.end.year]


def event_sort_key(event: Event) -> tuple:
    return (event.meta.date.first_day, event.id)


def facet_names(event: Event) -> dict[str, list[str]]:
    meta = event.meta
    return {
        "categories": [meta.category],
        "years": [str(meta.date.year)],
        "organizations": meta.organizations,
        "people": meta.people,
        "works": meta.works,
        "tags": meta.tags,
    }


def assign_slugs(names: list[str]) -> dict[str, str]:
    """Stable, collision-free slugs: the first name (alphabetically) to claim a slug keeps it;
    another name with the same slug gets a suffix from a hash of its own text, which does not
    change when other names come and go."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names, key=lambda n: (n.casefold(), n)):
        made = slug(name)
        if made in taken:
            made = f"{made}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
        taken.add(made)
        slugs[name] = made
    return slugs


def _facets(events: list[Event]) -> dict[str, list[FacetValue]]:
    members: dict[str, dict[str, list[Event]]] = {kind: defaultdict(list) for kind in FACETS}
    for event in events:
        for kind, names in facet_names(event).items():
            for name in names:
                members[kind][name].append(event)
    facets = {}
    for kind, by_name in members.items():
        slugs = assign_slugs(list(by_name)) if kind not in ("categories", "years") else {n: n for n in by_name}
        values = [FacetValue(kind, name, slugs[name], by_name[name]) for name in by_name]
        if kind == "categories":
            values.sort(key=lambda v: list(CATEGORIES).index(v.name))
        elif kind == "years":
            values.sort(key=lambda v: v.name)
        else:
            values.sort(key=lambda v: (v.name.casefold(), v.name))
        facets[kind] = values
    return facets


class _Members:
    """A work's or an organization's events: their ids in time order, as a set, and each id's
    place, worked out for a value when first asked (a rebuild asks for the few an edit touches)."""

    def __init__(self, facet_of: dict[tuple[str, str], FacetValue]):
        self.facet_of = facet_of
        self.ids: dict[tuple[str, str], list[str]] = {}
        self.sets: dict[tuple[str, str], set[str]] = {}
        self.place: dict[tuple[str, str], dict[str, int]] = {}

    def add(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            if key not in self.ids:
                ids = self.ids[key] = [e.id for e in self.facet_of[key].events]
                self.sets[key], self.place[key] = set(ids), {i: n for n, i in enumerate(ids)}


def _nearest(ids: list[str], start: int, step: int, day: dict[str, int], own_day: int,
             eligible: Callable[[str], bool], want: int) -> list[tuple[int, int, str]]:
    """Walking one way through a time-ordered list: the `want` nearest eligible ids as
    (distance, place, id), plus any further ones as near as the last (ties are decided later)."""
    found: list[tuple[int, int, str]] = []
    n = start + step
    while 0 <= n < len(ids):
        distance = abs(day[ids[n]] - own_day)
        if len(found) >= want and distance > found[-1][0]:
            break
        if eligible(ids[n]):
            found.append((distance, n, ids[n]))
        n += step
    return found


def _related(event: Event, by_id: dict[str, Event], members: _Members, day: dict[str, int]) -> list[Event]:
    """The listed related events first, then others sharing an organization or work: most
    shared first (a work counts twice), then the nearest in time, then the first found
    (going through the works, then the organizations, each in time order)."""
    chosen = [by_id[i] for i in event.meta.related if i in by_id]
    want = RELATED_LIMIT - len(chosen)
    if want <= 0:
        return chosen
    seen = {event.id, *(e.id for e in chosen)}
    works = [("works", name) for name in event.meta.works]
    orgs = [("organizations", name) for name in event.meta.organizations]
    lists = works + orgs
    members.add(lists)
    own_day = day[event.id]

    def score(i: str) -> int:
        return sum(2 if key[0] == "works" else 1 for key in lists if i in members.sets[key])

    def first_found(i: str) -> tuple[int, int]:
        return next((n, members.place[key][i]) for n, key in enumerate(lists) if i in members.sets[key])

    # Sharing a work or two organizations is rare: those few are ranked in full (set algebra in C).
    strong = set().union(*(members.sets[key] for key in works))
    for a, b in itertools.combinations(orgs, 2):
        strong |= members.sets[a] & members.sets[b]
    strong -= seen
    ranked = sorted(strong, key=lambda i: (-score(i), abs(day[i] - own_day), first_found(i)))[:want]
    if len(ranked) < want:
        # The rest share one organization: the nearest in time sit beside the event in its list.
        need = want - len(ranked)
        weak = []
        for n, key in enumerate(orgs, start=len(works)):
            ids, here = members.ids[key], members.place[key][event.id]
            for step in (-1, 1):
                weak += [(distance, (n, place), i) for distance, place, i in
                         _nearest(ids, here, step, day, own_day, lambda i: i not in strong and i not in seen, need)]
        ranked += [i for *_, i in sorted(weak)[:need]]
    return chosen + [by_id[i] for i in ranked]


def _all_related(ordered: list[Event], by_id: dict[str, Event], facet_of: dict[tuple[str, str], FacetValue],
                 day: dict[str, int], memo: Memo) -> dict[str, list[Event]]:
    """Each event's related events. `memo` keeps them under all they are chosen from (the event's
    file, which of its listed ids exist, the members and dates of its works and organizations):
    a rebuild of the live server works out only those of the events a save touched (≈ 70 ms of a
    rebuild at 4000 events)."""
    shared = {key: digest(" ".join(f"{e.id}:{day[e.id]}" for e in value.events))
              for key, value in facet_of.items() if key[0] in ("works", "organizations")}
    members = _Members(facet_of)
    related = {}
    for event in ordered:
        meta = event.meta
        key = (event.id, event.digest, tuple(i in by_id for i in meta.related),
               tuple(shared[("works", name)] for name in meta.works),
               tuple(shared[("organizations", name)] for name in meta.organizations))
        ids = memo.get(key)
        if ids is None:
            ids = memo.put(key, [e.id for e in _related(event, by_id, members, day)])
        related[event.id] = [by_id[i] for i in ids]
    return related


def eras_overlapping(eras: list[Era], event: Event) -> list[Era]:
    start, end = event.meta.date.first_day, (event.meta.end_date or event.meta.date).last_day
    return [era for era in eras if era.start.first_day <= end and start <= era.end.last_day]


def year_blocks(events: list[Event], eras: list[Era]) -> list[YearBlock]:
    """Events and era marks in time order, grouped by year: an era's start comes before the
    events of its first day, its end after the events of its last day."""
    entries: list[tuple[tuple, Event | EraMark]] = [
        ((e.meta.date.first_day, 1, i), e) for i, e in enumerate(events)]
    for i, era in enumerate(eras):
        entries.append(((era.start.first_day, 0, i), EraMark(era, "start")))
        entries.append(((era.end.last_day, 2, i), EraMark(era, "end")))
    blocks: dict[str, YearBlock] = {}
    for (day, _, _), entry in sorted(entries, key=lambda pair: pair[0]):
        block = blocks.setdefault(str(day.year), YearBlock(str(day.year), [], []))
        block.entries.append(entry)
        if not isinstance(entry, EraMark):
            block.events.append(entry)
    return list(blocks.values())


def collect(events: list[Event], eras: list[Era], pages: list[Page], settings: Settings,
            html: dict[str, str], related_memo: Memo | None = None) -> Timeline:
    """The timeline of these events: a function of them, the eras, pages and settings alone
    (`related_memo` only spares work, see _all_related)."""
    eras = sorted(eras, key=lambda era: (era.start.first_day, era.id))
    pages = sorted(pages, key=lambda p: p.slug)
    ordered = sorted(events, key=event_sort_key)
    facets = _facets(ordered)
    facet_of = {(v.kind, v.name): v for values in facets.values() for v in values}
    by_id = {e.id: e for e in ordered}
    neighbours = {
        e.id: (ordered[i - 1] if i else None, ordered[i + 1] if i + 1 < len(ordered) else None)
        for i, e in enumerate(ordered)
    }
    day = {e.id: e.meta.date.first_day.toordinal() for e in ordered}
    related = _all_related(ordered, by_id, facet_of, day, Memo() if related_memo is None else related_memo)
    eras_of = {e.id: eras_overlapping(eras, e) for e in ordered}
    fingerprints = {e.id: _fingerprint(e, facet_of) for e in ordered}
    return Timeline(ordered, eras, pages, settings, facets, facet_of, by_id, neighbours, related, eras_of, html,
                    year_blocks(ordered, eras), fingerprints)


def _fingerprint(event: Event, facet_of: dict[tuple[str, str], FacetValue]) -> str:
    """Its id, its file and the hash of its text, and where its links go (the slugs of its facet
    values), joined: none of them holds a NUL."""
    slugs = [facet_of[(kind, name)].slug for kind, names in facet_names(event).items() for name in names]
    return "\0".join((event.id, event.relpath, event.digest, *slugs))
