"""Long lists in bounded pages: a facet value's events split into numbered pages, and the home
page's window of the newest events. A pure function of the timeline and the settings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .collect import FacetValue, YearBlock
from .vocabulary import list_page

if TYPE_CHECKING:
    from .validate import Event


@dataclass(frozen=True)
class ListPage:
    """Page `number` of `count` of a facet value's events."""

    value: FacetValue
    number: int
    count: int
    events: list[Event]
    year_counts: dict[int, int]  # each year on the page → the value's events in it, on every page

    @property
    def path(self) -> str:
        return list_page(self.value.kind, self.value.slug, self.number)

    def sibling(self, number: int) -> str:
        """The site path of another page of the same list."""
        return list_page(self.value.kind, self.value.slug, number)


def split(value: FacetValue, size: int) -> list[ListPage]:
    """`size` events a page, oldest first, as the timeline reads: a new event (most often the
    newest) lands on the last page, so the events of a page's URL stay where they were."""
    years = [event.meta.date.year for event in value.events]
    per_year = Counter(years)
    starts = range(0, len(years), size)
    return [ListPage(value, number, len(starts), value.events[i:i + size],
                     {year: per_year[year] for year in dict.fromkeys(years[i:i + size])})
            for number, i in enumerate(starts, start=1)]


def recent(blocks: list[YearBlock], limit: int) -> list[YearBlock]:
    """The home page's newest events, at most `limit`: the newest whole years that fit; when the
    newest year alone has more, its `limit` latest events with the era marks among them."""
    shown: list[YearBlock] = []
    total = 0
    for block in reversed(blocks):
        total += len(block.events)
        if total > limit:
            break
        shown.insert(0, block)
    if total <= limit or any(block.events for block in shown):
        return shown
    newest = next(block for block in reversed(blocks) if block.events)
    events = newest.events[-limit:]
    return [YearBlock(newest.year, events, newest.entries[newest.entries.index(events[0]):])]
