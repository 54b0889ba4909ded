"""Curation checks: what is valid in each file but likely a slip across the timeline. Each is a
warning (`--strict` makes it fail), located at the list item or field, with what to do:

- names (organizations, people, works, tags) written two ways: equal once case, spacing,
  punctuation, accents, invisible characters and a plural -s are ignored;
- one source page cited by two events, or twice by one event;
- two events a few days apart with near-identical titles (compared word by word);
- the `timeline new` scaffold's placeholder text left in the body or the summary.

Two events of which one lists the other in `related` are known to belong together: a shared
source or a near-identical title between them is not reported.
"""

from __future__ import annotations

import bisect
import difflib
import unicodedata
from collections import Counter, defaultdict
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Iterator, Mapping, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from .load import FieldPath, RawDocument
from .problems import Problem
from .scaffold import PLACEHOLDER_BODY

if TYPE_CHECKING:
    from .model import EventFrontMatter
    from .validate import Event  # which imports this module

NAME_FIELDS = ("organizations", "people", "works", "tags")
# Query parameters that say where a reader came from, not which page it is.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref",
                                 "ref_src", "_ga"})
DEFAULT_PORTS = (80, 443)
TITLE_DAYS = 3  # how far apart two events with near-identical titles are still suspect
# difflib's similarity of two titles' words: 0.8 is one word in five changed, added or removed
TITLE_RATIO = 0.8

Finding = tuple["Event", FieldPath, str]  # an event, where in it, and the message
# FEW_OBJECTS: the checks across events run on every rebuild of the live server, among the whole
# site's objects. A few thousand lists or tuples kept at once (one per event or per name) set off
# Python's full garbage collection, which cost 3× the checks themselves at 4000 events; they
# allocate per event only what they drop at once.


class Compared(NamedTuple):
    """An event's sources, day and title as the checks across events compare them. Made with the event,
    per file (in the parse that the build cache keeps and runs on every core), not on every rebuild."""

    urls: tuple[str, ...]  # url_key() of each source
    day: int  # the date's ordinal when it is known to the day, else 0
    words: tuple[str, ...]  # the title's folded words
    bag: frozenset[str]  # the same as a set that keeps repeats apart: 'the', 'the ', 'the  '


def compared(meta: EventFrontMatter) -> Compared:
    words = title_words(meta.title)
    day = meta.date.first_day.toordinal() if meta.date.day else 0
    return Compared(tuple(url_key(source.url) for source in meta.sources), day, words, _bag(words))


def title_words(title: str) -> tuple[str, ...]:
    return tuple(fold(title).split())


def alike(words: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether two titles' folded words are near-identical (TITLE_RATIO)."""
    return difflib.SequenceMatcher(None, words, other).ratio() >= TITLE_RATIO


def _bag(words: tuple[str, ...]) -> frozenset[str]:
    bag = frozenset(words)
    if len(bag) < len(words):  # a word repeated (in few titles): one more space each time
        kept: set[str] = set()
        for word in words:
            while word in kept:
                word += " "
            kept.add(word)
        bag = frozenset(kept)
    return bag


def curation_checks(events: list[Event], docs: Mapping[str, RawDocument]) -> list[Problem]:
    """Every curation warning across `events`, located in their documents (by display path)."""
    findings = [*_name_variants(events), *_shared_sources(events), *_similar_titles(events)]
    return [docs[event.display].problem(path, message, "warning") for event, path, message in findings]


def placeholder_problems(doc: RawDocument, meta: EventFrontMatter) -> list[Problem]:
    """The scaffold's text still in the body or the summary: checked per file, where the body is."""
    problems = []
    if PLACEHOLDER_BODY in meta.summary:
        problems.append(doc.problem(("summary",), "still holds the text `timeline new` wrote; "
                                    "write one or two sentences of your own", "warning"))
    if (at := doc.body.find(PLACEHOLDER_BODY)) >= 0:
        before = doc.body[:at]
        line, column = doc.body_line + before.count("\n"), at - (before.rfind("\n") + 1) + 1
        problems.append(Problem(doc.display, line, column, "body", f"still holds the placeholder "
                                f"'{PLACEHOLDER_BODY}'; replace it with the account, or remove it", "warning"))
    return problems


def fold(text: str) -> str:
    """Text as a comparison sees it: no accents, case or invisible characters (Cf: zero-width
    spaces, soft hyphens, direction marks), punctuation as spaces, spaces collapsed. Symbols
    (Unicode S*) stay: 'Disney+' is not 'Disney'."""
    text = "".join(_fold_char(char) for char in unicodedata.normalize("NFKD", text).casefold())
    return " ".join(text.split())


def _fold_char(char: str) -> str:
    kind = unicodedata.category(char)
    return "" if kind in ("Mn", "Cf") else " " if kind[0] == "P" else char


def name_key(name: str) -> str:
    """Equal for 'SAG-AFTRA', 'Sag Aftra' and 'SAG–AFTRA.'; for 'digital-replica' and
    'digital-replicas'."""
    return fold(name).replace(" ", "").removesuffix("s")


def _name_variants(events: list[Event]) -> Iterator[Finding]:
    """Every use of a spelling that is not its group's most used one (ties: the first in
    alphabetical order), with that spelling as the suggestion."""
    metas = [event.meta for event in events]
    for kind in NAME_FIELDS:
        first: dict[str, str] = {}  # a key's first spelling; a list only for a key with two (FEW_OBJECTS)
        spellings: dict[str, list[str]] = {}
        for name in set(chain.from_iterable(map(attrgetter(kind), metas))):
            key = name_key(name)
            if key and (seen := first.setdefault(key, name)) != name:
                spellings.setdefault(key, [seen]).append(name)
        groups = list(spellings.values())
        if not groups:
            continue
        uses = Counter(chain.from_iterable(map(attrgetter(kind), metas)))  # counted only when there are variants
        canonical: dict[str, str] = {}
        for group in groups:
            canonical |= dict.fromkeys(group, min(group, key=lambda n: (-uses[n], n)))
        for event in events:
            for index, name in enumerate(getattr(event.meta, kind)):
                best = canonical.get(name, name)
                if best != name:
                    count = f"{uses[best]} event{'s' if uses[best] > 1 else ''}"
                    yield event, (kind, index), (f"'{name}' is written '{best}' elsewhere — did you mean "
                                                 f"'{best}' ({count})?")


def url_key(url: str) -> str:
    """A source URL as the page it names: either scheme, any case of the host, with or without
    `www.`, a default port, a trailing slash, a fragment or tracking parameters."""
    parts = urlsplit(url)  # the model let only http(s) URLs with a host through
    host = parts.hostname.removeprefix("www.")
    if parts.port not in (None, *DEFAULT_PORTS):
        host += f":{parts.port}"
    query = urlencode(sorted((name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
                             if not _tracking(name)))
    return f"{host}{parts.path.rstrip('/')}?{query}"


def _tracking(parameter: str) -> bool:
    name = parameter.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def _shared_sources(events: list[Event]) -> Iterator[Finding]:
    """A page cited twice by one event; a page cited by an earlier event (by id, which starts
    with the date) that is not linked to this one. Only the events citing a page more than once
    in all are looked at one by one."""
    cited = Counter(chain.from_iterable(event.compared.urls for event in events))
    shared = {key for key, count in cited.items() if count > 1}
    citing: dict[str, list[Event]] = defaultdict(list)  # a page's earlier citations
    for event in sorted((e for e in events if not shared.isdisjoint(e.compared.urls)), key=lambda e: e.id):
        keys = event.compared.urls
        for index, key in enumerate(keys):
            where = ("sources", index, "url")
            if (first := keys.index(key)) < index:
                yield event, where, f"the same page as sources[{first}]; cite it once"
            elif other := next((e for e in citing[key] if not _linked(event, e)), None):
                yield event, where, (f"the same page is a source of {other.display}; is it one event? Merge them; "
                                     f"if not, cite a report of this one, or list one in the other's `related`")
            citing[key].append(event)


def _similar_titles(events: list[Event]) -> Iterator[Finding]:
    """Events dated to the day, at most TITLE_DAYS apart, whose titles' folded words are
    TITLE_RATIO alike. Only neighbours in date order are compared, so this stays linear in the
    events. Events known only to the month or year are left out: 'a few days apart' means nothing
    for them, and comparing each with every event of its month or year would be quadratic."""
    dated = sorted((event for event in events if event.compared.day), key=attrgetter("id"))
    dated.sort(key=lambda event: event.compared.day)  # by day, then id: no tuple per event (FEW_OBJECTS)
    titles = [event.compared for event in dated]
    days = [title.day for title in titles]
    for at, (event, title) in enumerate(zip(dated, titles)):
        # difflib's quick_ratio from sets first (the words shared in any order, an upper bound of
        # its ratio): most pairs stop there
        size = len(title.words)
        near = [before for before in range(bisect.bisect_left(days, title.day - TITLE_DAYS), at)
                if 2 * len(title.bag & titles[before].bag) >= TITLE_RATIO * (size + len(titles[before].words))]
        for before in reversed(near):  # the nearest first
            other = dated[before]
            if not _linked(event, other) and alike(titles[before].words, title.words):
                yield event, ("title",), (f"(nearly) the same title as {other.display}, {title.day - days[before]} "
                                          f"day(s) earlier; is it one event? Merge them; if not, list one in the "
                                          f"other's `related`")
                break


def _linked(a: Event, b: Event) -> bool:
    """Whether one lists the other in `related`: known to belong together."""
    return b.id in a.meta.related or a.id in b.meta.related
