"""The home page's overview chart, worked out at build time: events per year stacked by
category, with the eras as labelled bands. The template draws it as inline SVG.

Horizontal positions are percentages of the chart's width and vertical ones are pixels, so
the chart fills any screen from 320 px up while its text keeps its size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .collect import Timeline
from .values import CATEGORIES

if TYPE_CHECKING:
    from .model import Era

BAR_AREA = 140  # px of the tallest bar
LANE = 20  # px per era label lane
COUNT_ROOM = 18  # px above a bar for its count
YEAR_ROOM = 26  # px below the baseline for the year labels
BAR_SHARE = 0.62  # of a year's column the bar fills


@dataclass(frozen=True)
class Segment:
    category: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    year: int
    x: float  # % of the width, the column's left edge
    width: float  # %
    bar_x: float  # %
    bar_width: float  # %
    total: int
    top: float  # px, top of the bar
    segments: list[Segment]
    labelled: bool  # whether the year's label is drawn (fewer labels when there are many years)
    minor: bool  # a label that narrow screens leave out, every other year counting back from the last

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def description(self) -> str:
        parts = ", ".join(f"{s.count} {CATEGORIES[s.category][0]}" for s in self.segments)
        return f"{self.year}: {self.total} event{'' if self.total == 1 else 's'}" + (f" ({parts})" if parts else "")


@dataclass(frozen=True)
class Band:
    era: Era
    x: float  # %
    width: float  # %
    top: float  # px
    label_y: float  # px
    anchor: str  # "start" or "end": which edge of the band the label hangs from
    key: int  # narrow screens show this number in the band; the caption says which era it is

    @property
    def label_x(self) -> float:
        return self.x if self.anchor == "start" else self.x + self.width

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Overview:
    columns: list[Column]
    bands: list[Band]
    baseline: float  # px
    height: float  # px
    busiest: Column

    @property
    def first_year(self) -> int:
        return self.columns[0].year

    @property
    def last_year(self) -> int:
        return self.columns[-1].year


def _position(day: dt.date, first_year: int, years: int) -> float:
    """Where a day falls across the chart, as a % of its width."""
    year_length = (dt.date(day.year + 1, 1, 1) - dt.date(day.year, 1, 1)).days
    offset = day.year - first_year + (day - dt.date(day.year, 1, 1)).days / year_length
    return 100 * offset / years


def overview(timeline: Timeline) -> Overview | None:
    if not timeline.events:
        return None
    counts: dict[int, dict[str, int]] = {}
    for event in timeline.events:
        per_year = counts.setdefault(event.meta.date.year, {})
        per_year[event.meta.category] = per_year.get(event.meta.category, 0) + 1
    eras = timeline.eras
    first = min([*counts, *(e.start.year for e in eras)])
    last = max([*counts, *(e.end.year for e in eras)])
    years = last - first + 1
    most = max(sum(c.values()) for c in counts.values())
    top = LANE * len(eras) + COUNT_ROOM + 6
    baseline = top + BAR_AREA
    label_every = 1 if years <= 16 else 2 if years <= 32 else 5
    width = 100 / years
    columns = []
    for index, year in enumerate(range(first, last + 1)):
        per_year = counts.get(year, {})
        segments, y = [], baseline
        for category in CATEGORIES:  # stacked in the fixed category order, bottom up
            if per_year.get(category):
                height = BAR_AREA * per_year[category] / most
                y -= height
                segments.append(Segment(category, per_year[category], round(y, 2), round(height, 2)))
        x = index * width
        columns.append(Column(year, round(x, 3), round(width, 3), round(x + width * (1 - BAR_SHARE) / 2, 3),
                              round(width * BAR_SHARE, 3), sum(per_year.values()), round(y, 2), segments,
                              year % label_every == 0 or year in (first, last),
                              years > 6 and (last - year) % 2 == 1))
    bands = []
    for lane, era in enumerate(eras):  # one lane per era: overlapping strikes stay readable
        x = _position(era.start.first_day, first, years)
        end = _position(era.end.last_day + dt.timedelta(days=1), first, years)
        bands.append(Band(era, round(x, 3), round(max(end - x, 0.4), 3), LANE * lane + 4, LANE * lane + 16,
                          "start" if x < 55 else "end", lane + 1))
    busiest = max(columns, key=lambda c: (c.total, c.year))
    return Overview(columns, bands, baseline, baseline + YEAR_ROOM, busiest)
