"""The contributor docs derived from the models, so they cannot drift from the validator:
the field reference (Markdown) and the JSON Schema of an event's front matter.

`timeline reference` writes both into docs/; a test fails when the checked-in copies are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .model import DATE_RE, SLUG_RE, Era, EventFrontMatter, PageFrontMatter, Settings, Source

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Each model with where contributors meet it, in the order the reference lists them.
SECTIONS: list[tuple[type[BaseModel], str, str]] = [
    (EventFrontMatter, "Event", "the front matter of `content/events/<YYYY>/<date>-<slug>.md`"),
    (Source, "Source", "each item of an event's (or an era's) `sources`"),
    (Era, "Era", "each item of the list in `content/eras.yaml`"),
    (PageFrontMatter, "Page", "the front matter of `content/pages/<slug>.md`"),
    (Settings, "Site settings", "`content/site.yaml`; every field has a default"),
]


def json_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """A model's JSON Schema, with the dialect and a title editors show."""
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema(), "title": title}


def front_matter_schema() -> dict[str, Any]:
    return json_schema(EventFrontMatter, "Event front matter")


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _type_label(prop: dict[str, Any]) -> str:
    """What a JSON Schema property accepts, in a contributor's words."""
    variants = [v for v in prop.get("anyOf", ()) if v.get("type") != "null"]
    if variants:
        return " or ".join(_type_label(v) for v in variants)
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name.lower()}](#{name.lower()})"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        label = "list of " + _type_label(prop["items"])
        if prop.get("minItems"):
            label += f", at least {prop['minItems']}"
        if prop.get("uniqueItems"):
            label += ", no repeats"
        return label
    if kind == "string":
        if prop.get("pattern") == DATE_RE.pattern:
            return "date (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`)"
        if prop.get("pattern") == SLUG_RE.pattern:
            return "slug (`a-z`, `0-9`, `-`)"
        if prop.get("format") == "uri":
            return "http(s) URL"
        if "pattern" in prop:
            return f"text matching `{prop['pattern']}`"
        low, high = prop.get("minLength"), prop.get("maxLength")
        if high:
            return f"text, {low or 0}–{high} characters"
        return "text, not empty" if low else "text"
    return str(kind)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section(model: type[BaseModel], heading: str, where: str) -> list[str]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    lines = [f"## {heading}", "", f"{model.__doc__.strip()} Where: {where}.", "",
             "| Field | Required | Accepts | Meaning |", "| --- | --- | --- | --- |"]
    for name, prop in schema["properties"].items():
        if name in required:
            needed = "yes"
        elif prop.get("default") not in (None, []):
            needed = f"no (default: `{prop['default']}`)"
        else:
            needed = "no"
        lines.append(f"| `{name}` | {_cell(needed)} | {_cell(_type_label(prop))} | "
                     f"{_cell(prop.get('description', ''))} |")
    return lines + [""]


def field_reference() -> str:
    lines = ["# Field reference", "",
             "<!-- Generated from generator/model.py by `timeline reference`; edit the models, not this file. -->",
             "", "Every content file is checked against these fields by `timeline check`. A field not listed "
             "here is an error. The same rules, as a JSON Schema for editors, are in "
             "[schema.json](schema.json).", ""]
    for model, heading, where in SECTIONS:
        lines += _section(model, heading, where)
    return "\n".join(lines)


def documents() -> dict[str, str]:
    """The generated docs: file name → text."""
    return {"fields.md": field_reference(), "schema.json": schema_text(front_matter_schema())}


def stale(folder: Path) -> list[Path]:
    """The generated docs in `folder` that differ from what the models give now."""
    return [folder / name for name, text in documents().items()
            if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in documents().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
