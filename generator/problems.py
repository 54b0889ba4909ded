"""Located problems: what is wrong, where, and how bad. Errors are values, never exceptions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]
# Messages quote what the contributor wrote: a newline could forge a line (a GitHub `::command`),
# an escape sequence could drive the terminal. Shown escaped instead.
_INVISIBLE = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]} | {
    0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # as shown to the contributor, relative to the working folder when possible
    line: int | None
    column: int | None
    field: str
    message: str
    severity: Severity = "error"

    @property
    def location(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def as_text(self) -> str:
        field = f"{self.field}: " if self.field else ""
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.location}: {tag}{field}{self.message}".translate(_INVISIBLE)

    def as_github(self) -> str:
        # GitHub annotations: properties are comma-separated, so escape the separators they use.
        props = [f"file={_gh_escape(self.path, prop=True)}"]
        if self.line is not None:
            props.append(f"line={self.line}")
            if self.column is not None:
                props.append(f"col={self.column}")
        if self.field:
            props.append(f"title={_gh_escape(self.field, prop=True)}")
        return f"::{self.severity} {','.join(props)}::{_gh_escape(self.as_text())}"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def format_problems(problems: list[Problem], fmt: str) -> str:
    ordered = sorted(problems, key=lambda p: (p.path, p.line or 0, p.column or 0, p.field))
    if fmt == "json":
        return json.dumps([asdict(p) | {"text": p.as_text()} for p in ordered], indent=2)
    render = Problem.as_github if fmt == "github" else Problem.as_text
    return "\n".join(render(p) for p in ordered)
