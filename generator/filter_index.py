"""The home page's filter over every event: a compact index of what an event's card shows and
of its facet values, which static/filter.js fetches once, when the reader first uses the filter.

    {"keys": ["category", "year", …],          the filter's query keys (vocabulary.FACETS)
     "values": {"category": [[slug, link text, url], …], …},
     "events": {"url": […], "datetime": […], "date": […], "title": […], "summary": […],
                "sources": [count, …], "end": [null or [datetime, date], …],
                "facets": [[[value number, …] per key], …]}}

Events are in time order, field by field (a column of titles compresses better than rows of
mixed fields: ≈ 20 % less, gzipped); a value number is its place in `values` of its key. A value's
link text, and an event's title (its card's link), are as the pages write them (linktext.py). A
pure function of the timeline, like the data files beside it (export.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable

from .collect import Timeline, facet_names
from .linktext import link_text
from .vocabulary import FACETS, site_path

if TYPE_CHECKING:
    from .validate import Event


COLUMNS = ("url", "datetime", "date", "title", "summary", "sources", "end")


def filter_entry(event: Event, url: Callable[[str], str], language: str) -> tuple[tuple, dict[str, list[str]]]:
    """An event's cells in the index (COLUMNS), and its facet values by kind, by name: numbered
    per build, since a value's number moves when another value comes or goes."""
    meta, end = event.meta, event.meta.end_date
    cells = (url(site_path("event", event.id)), meta.date.iso, meta.date.label,
             link_text(meta.title, "event", language), meta.summary, len(meta.sources),
             [end.iso, end.label] if end else None)
    return cells, facet_names(event)


def filter_index(timeline: Timeline, url: Callable[[str], str],
                 entries: list[tuple[tuple, dict[str, list[str]]]]) -> bytes:
    """The index of the timeline's events, from their `filter_entry` in time order."""
    kinds = [kind for kind in FACETS.values() if kind.home_filter]
    language = timeline.settings.language
    values = {kind.key: timeline.facets[kind.name] for kind in kinds}
    numbers = [(kind.name, {value.name: n for n, value in enumerate(values[kind.key])}) for kind in kinds]
    columns = list(zip(*(cells for cells, _ in entries))) or [()] * len(COLUMNS)
    events: dict[str, list] = {name: list(column) for name, column in zip(COLUMNS, columns)}
    events["facets"] = [[[number[name] for name in names[kind]] for kind, number in numbers] for _, names in entries]
    document = {"keys": [kind.key for kind in kinds],
                "values": {kind.key: [[v.slug, link_text(v.label, kind.singular.lower(), language), url(v.path)]
                                      for v in values[kind.key]] for kind in kinds},
                "events": events}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
