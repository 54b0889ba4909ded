"""Template lookup: a project's own templates over the packaged ones, file by file.

A project is the folder that holds the content folder: `timeline build --content DIR` looks for
`DIR/../templates/` (with the default `--content content`, `./templates/`). Every file there
replaces the packaged file of the same name (the same path below templates/); every other name
falls through to the packaged templates, as Hugo's and Zola's layout lookup does. So a project
that only wants another footer overrides `base.html` alone, and every packaged page that
extends `base.html` gets it.

An override may build on the packaged file of the same name: the packaged templates are also
reachable under the prefix `default:`, so a project's `templates/event.html` can say

    {% extends "default:event.html" %}
    {% block content %}{{ super() }}<p>Our own note under every event.</p>{% endblock %}

Names inside a packaged template (its own `{% extends "base.html" %}`, `{% import
"macros.html" %}`) are looked up through the project first, like any other name.

Static files (`templates/static/…`, copied to the site's `/static/…`) are overridden the same
way, file by file: see `static_sources`.

This module is plain functions over paths, without Jinja2 (a build that renders nothing does not
import it); render.make_loader turns the folders into a loader (see docs/templates.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


from . import TEMPLATES
from .load import is_editor_file

def project_folder(content: Path) -> Path:
    """The project a content folder belongs to: the folder that holds it."""
    return content.resolve().parent


def template_folders(project: Path, packaged: Path = TEMPLATES) -> list[Path]:
    """Where templates are looked up, first match wins: the project's `templates/` folder if it
    exists, then the packaged templates. A project whose `templates/` is the packaged folder
    itself (this repository, with an editable install) gets it once."""
    folders = [packaged.resolve()]
    own = (project / "templates").resolve()
    if own.is_dir() and own != folders[0]:
        folders.insert(0, own)
    return folders


def template_files(folders: list[Path]) -> list[Path]:
    """Every file in every template folder (overridden ones included), in a stable order: what a
    hash of "the templates" must cover once a project can override them."""
    return [p for folder in folders for p in sorted(folder.rglob("*"))
            if p.is_file() and not is_editor_file(p) and "__pycache__" not in p.parts]


def static_sources(folders: Iterable[Path]) -> dict[str, Path]:
    """Site path (`static/…`) → the file it is copied from: each folder's `static/`, the first
    folder that has a file of that name winning."""
    found: dict[str, Path] = {}
    for folder in folders:
        static = folder / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not is_editor_file(path):
                found.setdefault(f"static/{path.relative_to(static).as_posix()}", path)
    return dict(sorted(found.items()))
