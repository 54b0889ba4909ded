"""`timeline new`: a new event file, its fields and their hints taken from the model."""

from __future__ import annotations

import json
import typing

from .model import EventFrontMatter

PLACEHOLDER_BODY = "The longer account, in your own words: one to three short paragraphs."


def new_event_text(schema: str | None, **given: str) -> str:
    """A pre-filled event file: every required field and every list of the model, in the model's
    order, each with its description as a hint; `given` fills fields in. `schema` is the JSON
    Schema's path or URL, for editors, if there is one."""
    lines = ["---", *([f"# yaml-language-server: $schema={schema}"] if schema else [])]
    for name, info in EventFrontMatter.model_fields.items():
        is_list = typing.get_origin(info.annotation) is list or "list[" in str(info.annotation)
        if name in given:
            value = json.dumps(given[name], ensure_ascii=False)  # JSON strings are YAML strings
        elif is_list:
            value = "[]"
        elif info.is_required():
            value = "''"
        else:
            continue
        lines.append(f"{name}: {value}  # {info.description}")
    return "\n".join([*lines, "---", PLACEHOLDER_BODY]) + "\n"
