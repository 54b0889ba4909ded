"""`timeline init DIR`: a new timeline project that checks and builds at once.

The files it writes are the ones under generator/starter/ (package data), with a few
placeholders filled in:

    @TITLE@, @TITLE_YAML@   the site's title (as text; as a quoted YAML string)
    @TODAY@                 today, YYYY-MM-DD: the example event's date, `checked` and `added`
    @GENERATOR_PIP@         what the workflows and the README `pip install`
    @GENERATOR_HOME@        the generator's repository, for the README's link

`content/events/example-event.md` lands as `content/events/<year>/<today>-example-event.md`,
where the checker wants it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from . import STARTER

# Until the generator's repository has a settled address, new projects get this placeholder
# (the workflows stop with a clear error while it is there); `--generator` gives the real one.
GENERATOR_PLACEHOLDER = "git+https://github.com/REPLACE-WITH-OWNER/REPLACE-WITH-REPOSITORY.git"
EXAMPLE_EVENT = Path("content/events/example-event.md")


class InitRefused(Exception):
    """The target exists and is not an empty folder: nothing was written."""


def default_title(folder: Path) -> str:
    """'my-ai-timeline' → 'My ai timeline': the folder's name, words apart, the first capitalised."""
    words = re.sub(r"[-_.\s]+", " ", folder.resolve().name).strip() or "My timeline"
    return words[:1].upper() + words[1:]


def _home(generator: str) -> str:
    """The web page of a pip requirement such as git+https://host/owner/repo.git@v1."""
    url = generator.removeprefix("git+").split("#", 1)[0]
    url = re.sub(r"@[^/@]*$", "", url)
    return url.removesuffix(".git")


def _stray(path: Path) -> bool:
    """An editor's or Python's file beside the scaffold's (which has dotfiles of its own)."""
    return "__pycache__" in path.parts or path.name.endswith(("~", ".swp", ".swo", ".pyc")) or path.name == ".DS_Store"


def scaffold_files(title: str, today: dt.date, generator: str = GENERATOR_PLACEHOLDER) -> dict[Path, str]:
    """Relative path → text of every file of a new project."""
    values = {
        "@TITLE_YAML@": json.dumps(title, ensure_ascii=False),  # a JSON string is a YAML string
        "@TITLE@": title,
        "@TODAY@": today.isoformat(),
        "@GENERATOR_PIP@": generator,
        "@GENERATOR_HOME@": _home(generator),
    }
    pattern = re.compile("|".join(map(re.escape, values)))
    files = {}
    for path in sorted(STARTER.rglob("*")):
        if not path.is_file() or _stray(path):
            continue
        relative = path.relative_to(STARTER)
        if relative == EXAMPLE_EVENT:
            relative = relative.parent / f"{today.year:04d}" / f"{today.isoformat()}-example-event.md"
        files[relative] = pattern.sub(lambda m: values[m.group(0)], path.read_text(encoding="utf-8"))
    return files


def init(folder: Path, title: str | None = None, generator: str | None = None,
         today: dt.date | None = None) -> list[Path]:
    """Write a new project into `folder` (which must not exist, or be empty); the paths written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "is not empty" if folder.is_dir() else "exists and is not a folder"
        raise InitRefused(f"{folder} {what}: give the name of a new or empty folder")
    files = scaffold_files(title or default_title(folder), today or dt.date.today(), generator or GENERATOR_PLACEHOLDER)
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
