"""Stage 6: pages → the output folder, swapped in whole so a failed build loses nothing.

Only this module writes the site. Pages go to a fresh folder beside the output; only when
all are written is the old site moved aside and the new one renamed into its place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

MARKER = ".timeline-site"  # marks a folder as ours, so we never replace anything else


class OutputRefused(Exception):
    """The output folder is not one we may replace."""


def check_output(output: Path, content: Path) -> None:
    out, content = output.resolve(), content.resolve()
    home = Path.home().resolve()
    if out == Path(out.anchor) or out == home or out in home.parents:
        raise OutputRefused(f"refusing to write the site to {output}: pick a folder such as site/")
    if out == content or content.is_relative_to(out):
        raise OutputRefused(f"refusing to write the site to {output}: it holds the content folder {content}")
    if out.is_relative_to(content):
        raise OutputRefused(f"refusing to write the site to {output}: it is inside the content folder")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputRefused(f"refusing to replace {output}: it exists and was not written by timeline build; "
                            "remove it or pick another --output")


def write_site(files: dict[str, bytes], output: Path, before_swap: Callable[[Path], None] | None = None) -> None:
    """Write every file into a new folder, then swap it in for the old site.

    `before_swap(folder)` finishes the new site in place (the search index); if it raises,
    the old site stays."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MARKER).write_text("Written by timeline build; replaced whole on the next build.\n")
        if before_swap:
            before_swap(staging)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a site is for reading
        old = output.parent / f".{output.name}.old-{os.getpid()}"
        if output.exists():
            output.rename(old)
        staging.rename(output)
    except BaseException:  # Ctrl-C included: the previous site stays where it was
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
