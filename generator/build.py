"""The pipeline, stage by stage. The CLI and the live server only call these functions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from . import collect, convert, export, index, load, render, validate, write
from .problems import Problem, errors


@dataclass
class CheckResult:
    content: validate.ValidContent
    problems: list[Problem]

    def failed(self, strict: bool = False) -> bool:
        return bool(errors(self.problems)) or (strict and bool(self.problems))


@dataclass
class BuildResult:
    problems: list[Problem]
    pages: int = 0
    events: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0  # of `seconds`, the time Pagefind took
    written: bool = False


def check(content: Path, today: dt.date | None = None) -> CheckResult:
    """Load and validate: every problem in every file."""
    valid = validate.validate_content(load.load_content(content), content.resolve(), today)
    return CheckResult(valid, valid.problems)


def render_site(valid: validate.ValidContent, base_url: str | None = None,
                repository_url: str | None = None) -> dict[str, bytes]:
    """Validated content → every file of the site (path → bytes)."""
    given = {"base_url": base_url, "repository_url": repository_url}
    settings = valid.settings.model_copy(update={k: v for k, v in given.items() if v is not None})
    html = {e.id: convert.markdown_to_html(e.body) for e in valid.events}
    html |= {f"pages/{p.slug}": convert.markdown_to_html(p.body) for p in valid.pages}
    timeline = collect.collect(valid.events, valid.eras, valid.pages, settings, html)
    env = render.make_environment(settings)
    pages = render.render_pages(render.plan_pages(timeline), env) | render.static_files()
    return pages | export.export_files(timeline, env, pages)


def build(content: Path, output: Path, base_url: str | None = None, strict: bool = False,
          repository_url: str | None = None, search: bool = True) -> BuildResult:
    """Check, render, write and index the site; nothing is written when the content has errors,
    and a failed search index (index.IndexFailed) leaves the previous site in place."""
    started = time.perf_counter()
    write.check_output(output, content)
    checked = check(content)
    result = BuildResult(checked.problems, events=len(checked.content.events))
    if checked.failed(strict):
        return result
    files = render_site(checked.content, base_url, repository_url)

    def index_new_site(folder: Path) -> None:
        result.index_seconds = index.index_site(folder)

    write.write_site(files, output, before_swap=index_new_site if search else None)
    result.pages = sum(1 for path in files if path.endswith(".html"))
    result.written = True
    result.seconds = time.perf_counter() - started
    return result
