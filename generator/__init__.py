"""A static-site generator for a curated, searchable timeline of AI in Hollywood.

The build is a pipeline of plain functions, one module per stage:

    load ─▶ validate ─▶ convert ─▶ collect ─▶ render ─▶ write ─▶ index

`build.py` runs them in order; the CLI and the live server only call `build`.
"""

from pathlib import Path

__version__ = "0.1.0"

# Beside the package in the repository, read without loading any stage.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DOCS = Path(__file__).resolve().parent.parent / "docs"  # where `timeline reference` writes
