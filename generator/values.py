"""The content format's plain values: categories, partial dates, and the checks of slugs and
URLs. The pydantic models in model.py build on them; the stages after validation (and a build
with nothing to parse) use them without loading pydantic."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

CATEGORIES: dict[str, tuple[str, str]] = {
    "production": ("Production", "AI used to make films, series and shows: VFX, voices, de-ageing, footage."),
    "labor": ("Labor", "Unions, guilds, strikes and contracts, and the work of writers and performers."),
    "law-policy": ("Law & policy", "Lawsuits, rulings, legislation, copyright and regulators."),
    "business": ("Business", "Studios, streamers and AI companies: deals, investments, products and policies."),
    "technology": ("Technology", "AI tools and models that change how screen work is made."),
    "culture": ("Culture", "Festivals, awards, public debate and the reception of AI-made work."),
}

MONTHS = list(calendar.month_name)


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day, kept at that precision."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Any) -> "PartialDate":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError("must be a date written YYYY-MM-DD, YYYY-MM or YYYY")
        match = DATE_RE.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a date written YYYY-MM-DD, YYYY-MM or YYYY")
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"'{value}' has no month {month}")
        if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise ValueError(f"'{value}' is not a real date: {MONTHS[month]} {year} has no day {day}")
        return cls(year, month, day)

    @property
    def iso(self) -> str:
        """As written: the value of a `<time datetime>` and of the file name's prefix."""
        text = f"{self.year:04d}"
        if self.month:
            text += f"-{self.month:02d}"
            if self.day:
                text += f"-{self.day:02d}"
        return text

    @property
    def label(self) -> str:
        if self.day:
            return f"{self.day} {MONTHS[self.month]} {self.year}"
        if self.month:
            return f"{MONTHS[self.month]} {self.year}"
        return str(self.year)

    @functools.cached_property  # sorting and grouping a large timeline ask for it many times per event
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @functools.cached_property
    def last_day(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return self.iso


_SPACE = re.compile(r"\s")  # any Unicode space, as str.isspace


def check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{value}' must be an http or https URL")
    if _SPACE.search(value):
        raise ValueError(f"'{value}' must not contain spaces")
    return value


# Where an archived copy may live: public web archives whose copies do not change or vanish.
ARCHIVE_HOSTS = ("web.archive.org", "archive.org", "archive.today", "archive.ph", "archive.is", "perma.cc")


WAYBACK_LOOKUP = "https://web.archive.org/web/{stamp}/{url}"


def wayback_lookup(url: str, date: PartialDate | None) -> str:
    """The Wayback Machine's page for the copies of `url` nearest `date` (all of them without
    one): a lookup, not a saved copy. The event page offers it beside a source that has no
    archive_url, and `timeline links` beside a dead one."""
    return WAYBACK_LOOKUP.format(stamp=date.iso.replace("-", "") if date else "*", url=url)


def check_archive_url(value: str) -> str:
    """An http(s) URL on one of the archive hosts (or a host under one, such as web.archive.org)."""
    check_url(value)
    host = (urlsplit(value).hostname or "").lower()
    if not any(host == allowed or host.endswith("." + allowed) for allowed in ARCHIVE_HOSTS):
        raise ValueError(f"'{value}' is not on a web archive; an archived copy must be on "
                         f"{', '.join(ARCHIVE_HOSTS[:-1])} or {ARCHIVE_HOSTS[-1]}")
    return value


def check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"'{value}' is not a valid regular expression: {exc}") from None
    return value


def check_base_url(value: str) -> str:
    # it prefixes every link and the canonical URL: a path on this host, or an http(s) URL
    if value.startswith("/") and not value.startswith("//") and not _SPACE.search(value):
        return value
    try:
        return check_url(value)
    except ValueError:
        raise ValueError(f"'{value}' must be a path such as / or /repo/, or an http or https URL") from None


def site_url(base_url: str) -> str | None:
    """The site's full URL, ending in "/", or None when the base URL is only a path: canonical
    links, og:url and the sitemap must be full URLs, so a site built without one leaves them out."""
    return base_url.rstrip("/") + "/" if urlsplit(base_url).scheme else None


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' must be lowercase letters, digits and single hyphens (a-z0-9-)")
    return value


def unique(values: list) -> list:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"'{value}' is listed twice")
        seen.add(value)
    return values
