"""Curation checks: what is valid in each file but likely a slip across the timeline. Each is a
warning (`--strict` makes it fail), located at the list item or field, with what to do:

- names (organizations, people, works, tags) written two ways: equal once case, spacing,
  punctuation, accents, invisible characters and a plural -s are ignored;
- one source page cited by two events, or twice by one event;
- two events a few days apart with near-identical titles;
- the `timeline new` scaffold's placeholder text left in the body or the summary.

Two events that list each other in `related` (either way) are known to be linked: a shared
source or a near-identical title between them is not reported.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Iterator, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .load import FieldPath, RawDocument
from .model import EventFrontMatter
from .problems import Problem
from .scaffold import PLACEHOLDER_BODY

if TYPE_CHECKING:  # validate imports this module
    from .validate import Event

NAME_FIELDS = ("organizations", "people", "works", "tags")
# Query parameters that say where a reader came from, not which page it is.
TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref",
                                 "ref_src", "_ga"})
DEFAULT_PORTS = (":80", ":443")
TITLE_DAYS = 3  # how far apart two events with near-identical titles are still suspect
TITLE_RATIO = 0.9  # difflib's similarity of the folded titles: ≥ 0.9 is a word or two changed in ten
# What the scaffold writes as hints: a summary that is still one was never written.
SUMMARY_HINT = EventFrontMatter.model_fields["summary"].description

Finding = tuple["Event", FieldPath, str]  # an event, where in it, and the message


def curation_checks(events: list[Event], docs: Mapping[str, RawDocument]) -> list[Problem]:
    """Every curation warning across `events`, located in their documents (by display path)."""
    related = {(event.id, other) for event in events for other in event.meta.related}
    linked = related | {(b, a) for a, b in related}
    findings = [*_name_variants(events), *_shared_sources(events, linked), *_similar_titles(events, linked)]
    return [docs[event.display].problem(path, message, "warning") for event, path, message in findings]


def placeholder_problems(doc: RawDocument, meta: EventFrontMatter) -> list[Problem]:
    """The scaffold's text still in the body or the summary: checked per file, where the body is."""
    problems = []
    if PLACEHOLDER_BODY in meta.summary or meta.summary == SUMMARY_HINT:
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
    kept = []
    for char in unicodedata.normalize("NFKD", text).casefold():
        kind = unicodedata.category(char)
        if kind not in ("Mn", "Cf"):
            kept.append(" " if kind[0] == "P" else char)
    return " ".join("".join(kept).split())


def name_key(name: str) -> str:
    """Equal for 'SAG-AFTRA', 'Sag Aftra' and 'SAG–AFTRA.'; for 'digital-replica' and
    'digital-replicas'."""
    return fold(name).replace(" ", "").removesuffix("s")


def _name_variants(events: list[Event]) -> Iterator[Finding]:
    """Every use of a spelling that is not its group's most used one (ties: the first in
    alphabetical order), with that spelling as the suggestion."""
    for kind in NAME_FIELDS:
        uses = Counter(name for event in events for name in getattr(event.meta, kind))
        spellings: dict[str, list[str]] = defaultdict(list)
        for name in uses:
            spellings[name_key(name)].append(name)
        canonical: dict[str, str] = {}
        for key, group in spellings.items():
            if key and len(group) > 1:
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
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    for port in DEFAULT_PORTS:
        host = host.removesuffix(port)
    query = sorted((name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
                   if name.lower() not in TRACKING_PARAMETERS and not name.lower().startswith(TRACKING_PREFIXES))
    return urlunsplit(("", host, parts.path.rstrip("/"), urlencode(query), ""))


def _shared_sources(events: list[Event], linked: set[tuple[str, str]]) -> Iterator[Finding]:
    """A page cited twice by one event; a page cited by an earlier event (by id, which starts
    with the date) that is not linked to this one."""
    first_cited: dict[str, list[Event]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.id):
        seen: dict[str, int] = {}
        for index, source in enumerate(event.meta.sources):
            key, where = url_key(source.url), ("sources", index, "url")
            if key in seen:
                yield event, where, f"the same page as sources[{seen[key]}]; cite it once"
                continue
            seen[key] = index
            other = next((e for e in first_cited[key] if (event.id, e.id) not in linked), None)
            if other:
                yield event, where, (f"the same page is a source of {other.display}; is it one event? Merge them; "
                                     f"if not, cite a report of this one, or list one in the other's `related`")
            first_cited[key].append(event)


def _similar_titles(events: list[Event], linked: set[tuple[str, str]]) -> Iterator[Finding]:
    """Events dated to the day, at most TITLE_DAYS apart, whose folded titles are TITLE_RATIO
    alike. Only neighbours in date order are compared, so this stays linear in the events.
    Events known only to the month or year are left out: 'a few days apart' means nothing for
    them, and comparing each with every event of its month or year would be quadratic."""
    dated = sorted(((e.meta.date.first_day.toordinal(), e.id, e, fold(e.meta.title))
                    for e in events if e.meta.date.day), key=lambda row: row[:2])
    for at, (day, _, event, title) in enumerate(dated):
        matcher = difflib.SequenceMatcher(None, b=title)  # b is the side difflib indexes, once
        before = at - 1
        while before >= 0 and day - dated[before][0] <= TITLE_DAYS:
            before_day, _, other, other_title = dated[before]
            before -= 1
            matcher.set_seq1(other_title)
            if ((event.id, other.id) not in linked and matcher.real_quick_ratio() >= TITLE_RATIO
                    and matcher.quick_ratio() >= TITLE_RATIO and matcher.ratio() >= TITLE_RATIO):
                yield event, ("title",), (f"nearly the same title as {other.display}, {day - before_day} day(s) "
                                          f"earlier; is it one event? Merge them; if not, list one in the "
                                          f"other's `related`")
                break
