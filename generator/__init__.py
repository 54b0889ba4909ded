"""A static-site generator for a curated, searchable timeline of AI in Hollywood.

The build is a pipeline of plain functions, one module per stage:

    load ─▶ validate ─▶ convert ─▶ collect ─▶ render ─▶ write ─▶ index

`build.py` runs them in order; the CLI and the live server only call `build`.
"""

from importlib.resources import files
from pathlib import Path

DISTRIBUTION = "ai-hollywood-timeline"  # the name pip knows: its version is `timeline --version`


def _packaged_templates() -> Path:
    """The default templates: the top-level templates/ folder of the repository, which the
    package carries as `generator.default_templates` (see pyproject.toml; not
    `generator.templates`, which is the module that layers a project's own templates over
    these). importlib.resources finds it in an editable install (the folder itself), a regular
    one and a wheel (site-packages/generator/default_templates/). pip unpacks a wheel, so the
    result is a real folder (a zipped package is not supported); a source checkout run without
    installing falls back to the folder beside the package."""
    try:
        return Path(str(files("generator.default_templates"))).resolve()
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "templates"


TEMPLATES = _packaged_templates()
STARTER = Path(__file__).resolve().parent / "starter"  # the files `timeline init` writes (see init.py)


def __getattr__(name: str):
    """`generator.__version__`: the installed distribution's version (pyproject.toml's), read
    from its metadata only when asked, since importlib.metadata is slow to import."""
    if name == "__version__":
        from importlib.metadata import version
        return version(DISTRIBUTION)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
