"""`timeline review --since REF`: what a pull request changes, as Markdown for its reviewer.

The pull-request check appends it to the job summary ($GITHUB_STEP_SUMMARY): the events the
pull request adds or changes (date, title, category, sources as links) and every problem
`timeline check` finds, none left out (annotations on the diff stop at about ten).
"""

from __future__ import annotations

import re
from pathlib import Path

from .changes import ADDED, changed_files
from .problems import Problem
from .validate import Event, ValidContent

# What Markdown (or the HTML GitHub allows in it) could read as markup inside a line: a
# contributor's title is shown as text, never as a link, an image, a tag or a table cell.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~&])")


def text(value: str) -> str:
    return _MARKUP.sub(r"\\\1", " ".join(value.split()))


def summary(content: Path, ref: str, checked: ValidContent, problems: list[Problem]) -> str:
    """The Markdown summary of the content files changed since `ref` (ValueError from git for
    a ref it does not know), given what `timeline check` made of the content."""
    changed = changed_files(content, ref)
    root = content.resolve()
    events = sorted((e for e in checked.events if (root / e.relpath).resolve() in changed),
                    key=lambda e: (e.meta.date.iso, e.id))
    lines = [f"## Events changed since {text(ref)}", ""]
    if events:
        lines += ["| | date | event | category | sources |", "|---|---|---|---|---|"]
        lines += [_row(event, changed[(root / event.relpath).resolve()]) for event in events]
    else:
        lines.append("No event file that passes the checks is added or changed.")
    errors = sum(p.severity == "error" for p in problems)
    lines += ["", f"## Problems: {errors} error(s), {len(problems) - errors} warning(s)", ""]
    lines += [_problem(p) for p in sorted(problems)] or ["None."]
    return "\n".join(lines) + "\n"


def _row(event: Event, how: str) -> str:
    meta = event.meta
    sources = ", ".join(f"[{text(s.publisher)}](<{s.url}>)" for s in meta.sources)
    return (f"| {'added' if how == ADDED else 'changed'} | {meta.date.iso} | {text(meta.title)} "
            f"(`{event.relpath}`) | {meta.category} | {sources} |")


def _problem(problem: Problem) -> str:
    field = f" {text(problem.field)}:" if problem.field else ""
    return f"- **{problem.severity}** `{problem.location}`{field} {text(problem.message)}"
