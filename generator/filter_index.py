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
from typing import Callable

from .collect import Timeline, facet_names
from .linktext import link_text
from .vocabulary import FACETS, site_path


def filter_index(timeline: Timeline, url: Callable[[str], str]) -> bytes:
    kinds = [kind for kind in FACETS.values() if kind.home_filter]
    language = timeline.settings.language
    values = {kind.key: timeline.facets[kind.name] for kind in kinds}
    number = {(value.kind, value.name): n for listed in values.values() for n, value in enumerate(listed)}
    events: dict[str, list] = {name: [] for name in ("url", "datetime", "date", "title", "summary", "sources",
                                                      "end", "facets")}
    for event in timeline.events:
        meta, names = event.meta, facet_names(event)
        end = meta.end_date
        for name, value in (("url", url(site_path("event", event.id))), ("datetime", meta.date.iso),
                            ("date", meta.date.label), ("title", link_text(meta.title, "event", language)),
                            ("summary", meta.summary), ("sources", len(meta.sources)),
                            ("end", [end.iso, end.label] if end else None),
                            ("facets", [[number[(kind.name, name)] for name in names[kind.name]] for kind in kinds])):
            events[name].append(value)
    document = {"keys": [kind.key for kind in kinds],
                "values": {kind.key: [[v.slug, link_text(v.label, kind.singular.lower(), language), url(v.path)]
                                      for v in values[kind.key]] for kind in kinds},
                "events": events}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
