"""Stage 2: raw documents → validated events, eras, pages and settings, plus every problem found.

Validation never stops at the first problem: each file is checked in full, then the checks
across files (unique ids, related events, eras) run on what was valid.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .curation import Compared, compared, curation_checks, placeholder_problems
from .load import KEY, RawDocument, RawSiteFiles
from .model import Era, EventFrontMatter, PageFrontMatter, Settings
from .problems import Problem
from .values import CATEGORIES, SLUG_RE
from .vocabulary import RESERVED_SLUGS

M = TypeVar("M", bound=BaseModel)
FILE_NAME_RE = re.compile(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Event:
    id: str
    display: str  # the file as shown in messages
    relpath: str  # the file relative to the content folder, for edit links
    digest: str
    meta: EventFrontMatter  # no Markdown body: the build keeps its HTML, and the body would only travel between processes
    compared: Compared  # its title and sources as the curation checks across events compare them


@dataclass(frozen=True)
class Page:
    slug: str
    display: str
    digest: str
    meta: PageFrontMatter
    body: str


@dataclass
class ValidContent:
    events: list[Event]
    eras: list[Era]
    pages: list[Page]
    settings: Settings
    problems: list[Problem] = field(default_factory=list)


def _suggest(value: Any, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _message(error: dict, fields: list[str]) -> tuple[str, bool]:
    """A contributor's wording of one pydantic error, and whether it points at a key."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "missing":
        return "is required", False
    if kind == "extra_forbidden":
        return f"is not a known field{_suggest(error['loc'][-1], fields)} (known: {', '.join(fields)})", True
    if kind == "literal_error":
        choices = list(CATEGORIES)
        return f"'{value}' is not one of {', '.join(choices)}{_suggest(value, choices)}", False
    if kind in ("string_too_long", "string_too_short"):
        length = len(value) if isinstance(value, str) else 0
        limit = ctx.get("max_length", ctx.get("min_length"))
        if kind == "string_too_short":
            return "must not be empty", False
        return f"is {length} characters; at most {limit} are allowed", False
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s)", False
    if kind == "list_type":
        return "must be a list (one '- item' a line, or [a, b])", False
    if kind == "string_type":
        return f"must be text, not {type(value).__name__} ({value!r}); put it in quotes", False
    if kind in ("model_type", "dict_type"):
        return "must be a mapping of 'field: value' lines", False
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])), False
    return error["msg"][0].lower() + error["msg"][1:], False


def check_model(model: type[M], data: Any, doc: RawDocument, prefix: tuple = ()) -> tuple[M | None, list[Problem]]:
    """Validate data against a model, turning every error into a located problem."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        fields = list(model.model_fields)
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            # Errors inside a list of sub-models name the sub-model's own fields.
            nested = _nested_fields(model, loc)
            message, at_key = _message(error, nested or fields)
            problems.append(doc.problem((*prefix, *loc, KEY) if at_key else (*prefix, *loc), message))
        return None, problems


def _nested_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        annotation = info.annotation
        for arg in getattr(annotation, "__args__", ()) or (annotation,):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
            inner = getattr(arg, "__args__", ())
            current = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), current)
    return list(current.model_fields) if current is not model else []


def _event_checks(doc: RawDocument, event_id: str, meta: EventFrontMatter, today: dt.date) -> list[Problem]:
    problems = []
    name = FILE_NAME_RE.match(event_id)
    if not name:
        problems.append(doc.problem(("date",), f"the file name '{event_id}.md' must be '<date>-<slug>.md', "
                                    f"like '{meta.date.iso}-short-title.md' (slug: a-z, 0-9 and hyphens)"))
    elif name[1] != meta.date.iso:
        problems.append(doc.problem(("date",), f"'{meta.date.iso}' does not match the file name's date "
                                    f"'{name[1]}'; rename the file or fix the date"))
    folder = doc.path.parent.name
    if folder != f"{meta.date.year:04d}":
        problems.append(doc.problem(("date",), f"the event is in {meta.date.year} but its file is in the folder "
                                    f"'{folder}'; move it to events/{meta.date.year}/"))
    if meta.end_date and meta.end_date.last_day < meta.date.first_day:
        problems.append(doc.problem(("end_date",), f"'{meta.end_date}' is before the date '{meta.date}'"))
    if meta.date.first_day > today:
        problems.append(doc.problem(("date",), f"'{meta.date}' is in the future", "warning"))
    if meta.checked is None:
        problems.append(doc.problem((), "checked: no date says when its claims were last checked against its "
                                    "sources; add `checked: YYYY-MM-DD` once you have", "warning"))
    for key in ("checked", "added"):
        value = getattr(meta, key)
        if value is None:
            continue
        if value.day is None:
            problems.append(doc.problem((key,), f"'{value}' must be a day, written YYYY-MM-DD"))
        elif value.first_day > today:
            problems.append(doc.problem((key,), f"'{value}' is in the future"))
        elif value.last_day < meta.date.first_day <= today:  # a future event gets its own warning
            problems.append(doc.problem((key,), f"'{value}' is before the event's date '{meta.date}'"))
    if event_id in meta.related:
        problems.append(doc.problem(("related", meta.related.index(event_id)), "an event cannot be related to itself"))
    return problems


def validate_event(doc: RawDocument, content_root, today: dt.date) -> tuple[Event | None, list[Problem]]:
    if doc.problems or doc.data is None:
        return None, list(doc.problems)
    meta, problems = check_model(EventFrontMatter, doc.data, doc)
    if meta is None:
        return None, problems
    event_id = doc.path.stem
    problems += _event_checks(doc, event_id, meta, today) + placeholder_problems(doc, meta)
    relpath = doc.real.relative_to(content_root).as_posix()  # load found it inside; both are resolved
    event = Event(event_id, doc.display, relpath, doc.digest, meta, compared(meta))
    return event, problems


def cross_checks(events: list[Event], docs: list[RawDocument]) -> list[Problem]:
    """Unique ids and existing `related` targets, over every event file: one broken file must
    neither hide a duplicate id nor make the events that point at it report a missing id. Then
    the curation warnings (curation.py) over the valid events."""
    problems = []
    first_with: dict[str, RawDocument] = {}
    for doc in docs:
        if not doc.path.name.endswith(".md"):
            continue
        event_id = doc.path.stem
        if event_id in first_with:
            problems.append(Problem(doc.display, 1, 1, "id", f"the id '{event_id}' is already used by "
                                    f"{first_with[event_id].display}; rename one of the files"))
        else:
            first_with[event_id] = doc
    by_display = {doc.display: doc for doc in docs}
    for event in events:
        for index, target in enumerate(event.meta.related):
            if target not in first_with:
                problems.append(by_display[event.display].problem(
                    ("related", index), f"no event has the id '{target}'{_suggest(target, list(first_with))}"))
    return problems + curation_checks(events, by_display)


def validate_eras(doc: RawDocument | None) -> tuple[list[Era], list[Problem]]:
    if doc is None:
        return [], []
    if doc.problems:
        return [], list(doc.problems)
    if doc.data is None:
        return [], []
    if not isinstance(doc.data, list):
        return [], [doc.problem((), "must be a list of eras, each starting with '- id: …'")]
    eras, problems, seen = [], [], set()
    for index, item in enumerate(doc.data):
        era, found = check_model(Era, item, doc, (index,))
        problems += found
        if era is None:
            continue
        if era.end.last_day < era.start.first_day:
            problems.append(doc.problem((index, "end"), f"'{era.end}' is before the start '{era.start}'"))
        if era.id in seen:
            problems.append(doc.problem((index, "id"), f"the era id '{era.id}' is used twice"))
        seen.add(era.id)
        eras.append(era)
    return eras, problems


def validate_settings(doc: RawDocument | None) -> tuple[Settings, list[Problem]]:
    if doc is None or doc.data is None and not doc.problems:
        return Settings(), []
    if doc.problems:
        return Settings(), list(doc.problems)
    settings, problems = check_model(Settings, doc.data, doc)
    return settings or Settings(), problems


def validate_page(doc: RawDocument) -> tuple[Page | None, list[Problem]]:
    if doc.problems or doc.data is None:
        return None, list(doc.problems)
    meta, problems = check_model(PageFrontMatter, doc.data, doc)
    if not SLUG_RE.match(doc.path.stem):
        problems.append(doc.problem((), f"the file name '{doc.path.name}' must be a slug (a-z, 0-9, hyphens) + '.md'"))
    elif doc.path.stem in RESERVED_SLUGS:
        problems.append(doc.problem((), f"'{doc.path.stem}' is a folder the site writes itself; rename the page "
                                    f"(reserved: {', '.join(sorted(RESERVED_SLUGS))})"))
    if meta is None or problems:
        return None, problems
    return Page(doc.path.stem, doc.display, doc.digest, meta, doc.body), problems


def validate_site_files(raw: RawSiteFiles) -> ValidContent:
    """Eras, settings and pages; events are validated one file at a time (`validate_event`)
    and across files (`cross_checks`) by the build."""
    eras, problems = validate_eras(raw.eras)
    settings, found = validate_settings(raw.settings)
    problems += found
    pages = []
    for doc in raw.pages:
        page, found = validate_page(doc)
        problems += found
        if page is not None:
            pages.append(page)
    return ValidContent([], eras, pages, settings, problems)
