"""The content format v1 as pydantic models: the one source of truth for validation, the
`new` scaffold, the field reference, the JSON Schema and the exports."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from .values import (ARCHIVE_HOSTS, CATEGORIES, DATE_RE, SLUG_RE, PartialDate, check_archive_url, check_base_url,
                     check_regex, check_slug, check_url, unique)

Category = Literal["production", "labor", "law-policy", "business", "technology", "culture"]
assert set(CATEGORIES) == set(Category.__args__)  # one list, checked at import


DateField = Annotated[
    PartialDate,
    BeforeValidator(PartialDate.parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DATE_RE.pattern,
                    "description": "YYYY-MM-DD, YYYY-MM or YYYY; the precision is kept"}),
]
Url = Annotated[str, AfterValidator(check_url),
                Field(json_schema_extra={"format": "uri", "pattern": r"^https?://[^\s/?#]+[^\s]*$"})]
ArchiveUrl = Annotated[str, AfterValidator(check_archive_url), Field(json_schema_extra={
    "format": "uri",
    "pattern": r"^https?://([^\s/?#@]*\.)?(" + "|".join(h.replace(".", r"\.") for h in ARCHIVE_HOSTS) + r")(:\d+)?([/?#]\S*)?$"})]
Slug = Annotated[str, AfterValidator(check_slug), WithJsonSchema({"type": "string", "pattern": SLUG_RE.pattern})]
PlainText = Annotated[str, Field(min_length=1)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
T = TypeVar("T")
UniqueList = Annotated[list[T], AfterValidator(unique), Field(json_schema_extra={"uniqueItems": True})]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Source(StrictModel):
    """A published page the event rests on."""

    title: PlainText = Field(description="The page's title, as published.")
    publisher: PlainText = Field(description="Who published it: the outlet, court, company or union.")
    url: Url = Field(description="Where to read it: http or https, exactly as published.")
    date: DateField | None = Field(None, description="When it was published, at the precision known.")
    archive_url: ArchiveUrl | None = Field(
        None, description="An archived copy, for when the page moves: on " + ", ".join(ARCHIVE_HOSTS) + ". "
        "The event page links it as \"archived copy\"; without one, it links the Wayback Machine's lookup for "
        "the URL near the source's date, labelled \"look up archived copies\".")


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
    checked: DateField | None = Field(
        None, description="The day (YYYY-MM-DD) its claims were last checked against its sources; not in the future, "
                          "not before `date`. Without it, `timeline check` warns (and `--strict` fails). The feeds' "
                          "`updated` and the sitemap's `lastmod` are the later of `added` and `checked`.")
    added: DateField | None = Field(
        None, description="The day (YYYY-MM-DD) the event was added to the timeline: the feeds list the events "
                          "added last, newest first, published on this day. Without it, the event counts as added "
                          "on its `date`.")


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
    base_url: Annotated[str, AfterValidator(check_base_url)] = Field(
        "/", description="Where the site is served: `/`, `/repo/` or a full URL. Only with a full URL "
                         "(`https://host/repo/`) do pages get a canonical link and `og:url` and the site a "
                         "`sitemap.xml`, and do the feeds link with full URLs; `timeline build` warns without one.")
    repository_url: Url | None = Field(None, description="The GitHub repository, for edit and correction links.")
    branch: Annotated[str, Field(min_length=1)] = Field("main", description="The branch the edit links open.")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = Field(
        "en", description="The language of the text, as a BCP 47 tag such as `en` or `en-GB`.")
    license: PlainText = Field("Text CC BY 4.0; code MIT",
                               description="The licence of the text and data, shown in the footer and the exports.")
    links_exclude: list[Annotated[str, AfterValidator(check_regex)]] = Field(
        default_factory=list,
        description="Regular expressions (Python syntax, searched anywhere in the URL): `timeline links` "
                    "does not check a link that one of them matches, such as `^https://www\\.example\\.com/`.")
    home_events: Annotated[int, Field(ge=1)] = Field(
        100, description="The most events the home page shows: the newest whole years that fit, or the newest "
                         "year's latest events when it alone has more. Every year has its page, linked from there. At least 1.")
    page_events: Annotated[int, Field(ge=1)] = Field(
        100, description="The most events on one list page (a category, year, organization, work, person or tag); "
                         "a longer list is split into numbered pages: `/categories/labor/`, "
                         "`/categories/labor/page/2/`, …; at least 1.")
    filter_batch: Annotated[int, Field(ge=1)] = Field(
        50, description="How many matching events the home page's filter shows at first, and at each "
                        "“Show more”; at least 1.")
