"""A static-site generator for a curated, searchable timeline of AI in Hollywood.

The build is a pipeline of plain functions, one module per stage:

    load ─▶ validate ─▶ convert ─▶ collect ─▶ render ─▶ write ─▶ index

`build.py` runs them in order; the CLI and the live server only call `build`.
"""

__version__ = "0.1.0"
