"""The content format v1 as pydantic models: the one source of truth for validation, the
`new` scaffold, the field reference, the JSON Schema and the exports."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

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
Category = Literal["production", "labor", "law-policy", "business", "technology", "culture"]
assert set(CATEGORIES) == set(Category.__args__)  # one list, checked at import

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


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{value}' must be an http or https URL")
    if _SPACE.search(value):
        raise ValueError(f"'{value}' must not contain spaces")
    return value


def _check_base_url(value: str) -> str:
    # it prefixes every link and the canonical URL: a path on this host, or an http(s) URL
    if value.startswith("/") and not value.startswith("//") and not _SPACE.search(value):
        return value
    try:
        return _check_url(value)
    except ValueError:
        raise ValueError(f"'{value}' must be a path such as / or /repo/, or an http or https URL") from None


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' must be lowercase letters, digits and single hyphens (a-z0-9-)")
    return value


def _unique(values: list) -> list:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"'{value}' is listed twice")
        seen.add(value)
    return values


DateField = Annotated[
    PartialDate,
    BeforeValidator(PartialDate.parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DATE_RE.pattern,
                    "description": "YYYY-MM-DD, YYYY-MM or YYYY; the precision is kept"}),
]
Url = Annotated[str, AfterValidator(_check_url),
                Field(json_schema_extra={"format": "uri", "pattern": r"^https?://[^\s/?#]+[^\s]*$"})]
Slug = Annotated[str, AfterValidator(_check_slug), WithJsonSchema({"type": "string", "pattern": SLUG_RE.pattern})]
PlainText = Annotated[str, Field(min_length=1)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
T = TypeVar("T")
UniqueList = Annotated[list[T], AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True})]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Source(StrictModel):
    """A published page the event rests on."""

    title: PlainText = Field(description="The page's title, as published.")
    publisher: PlainText = Field(description="Who published it: the outlet, court, company or union.")
    url: Url = Field(description="Where to read it: http or https, exactly as published.")
    date: DateField | None = Field(None, description="When it was published, at the precision known.")
    archive_url: Url | None = Field(None, description="An archived copy, for when the page moves.")


class EventFrontMatter(StrictModel):
    """The YAML front matter of one event file. The Markdown body below it is the longer account."""

    title: Annotated[str, Field(min_length=1, max_length=140)] = Field(
        description="What happened, in plain text (1–140 characters).")
    date: DateField = Field(description="When it happened: YYYY-MM-DD, YYYY-MM or YYYY, as the sources give it.")
    end_date: DateField | None = Field(None, description="For spans: when it ended; not before `date`.")
    summary: Annotated[str, Field(min_length=1, max_length=400)] = Field(
        description="One or two sentences of plain text (1–400 characters).")
    category: Category = Field(description="One of: " + ", ".join(CATEGORIES) + ".")
    tags: UniqueList[Slug] = Field(
        default_factory=list, description="Lowercase slugs (a-z0-9-), no repeats.")
    organizations: UniqueList[Name] = Field(
        default_factory=list, description="Companies, studios, unions, courts, agencies; no repeats.")
    people: UniqueList[Name] = Field(
        default_factory=list, description="People named in the sources; no repeats.")
    works: UniqueList[Name] = Field(
        default_factory=list, description="Films, series, games and other works; no repeats.")
    sources: Annotated[list[Source], Field(min_length=1)] = Field(
        description="At least one published source that says what the event says.")
    related: UniqueList[Slug] = Field(
        default_factory=list, description="Ids of related events (their file names without `.md`).")
    caveat: PlainText | None = Field(
        None, description="What is disputed or uncertain, shown to readers as a notice.")


class Era(StrictModel):
    """A labelled span of time shown across the timeline, such as a strike."""

    id: Slug = Field(description="A stable slug (a-z0-9-).")
    title: Annotated[str, Field(min_length=1, max_length=80)] = Field(description="A short label.")
    start: DateField = Field(description="When it began.")
    end: DateField = Field(description="When it ended; not before `start`.")
    description: PlainText = Field(description="One or two sentences.")
    sources: Annotated[list[Source], Field(min_length=1)] = Field(description="Where the dates come from.")


class PageFrontMatter(StrictModel):
    """The front matter of a Markdown page in `content/pages/`."""

    title: Annotated[str, Field(min_length=1, max_length=140)] = Field(description="The page's heading and menu label.")
    description: PlainText = Field(description="One sentence for search engines and link previews.")


class Settings(StrictModel):
    """Site settings: defaults here, overridden by `content/site.yaml`."""

    title: PlainText = Field("AI in Hollywood: a timeline", description="The site's name, in every page title.")
    description: PlainText = Field(
        "A curated, sourced timeline of artificial intelligence in film, television, streaming, visual effects, "
        "performers, writers, studios, unions and the law.",
        description="One sentence for search engines, link previews and the feeds.")
    base_url: Annotated[str, AfterValidator(_check_base_url)] = Field(
        "/", description="Where the site is served: `/`, `/repo/` or a full URL.")
    repository_url: Url | None = Field(None, description="The GitHub repository, for edit and correction links.")
    branch: Annotated[str, Field(min_length=1)] = Field("main", description="The branch the edit links open.")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = Field(
        "en", description="The language of the text, as a BCP 47 tag such as `en` or `en-GB`.")
    license: PlainText = Field("Text CC BY 4.0; code MIT",
                               description="The licence of the text and data, shown in the footer and the exports.")
