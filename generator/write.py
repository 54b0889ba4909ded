"""Stage 6: pages → the output folder, swapped in whole so a failed build loses nothing.

Only this module writes the site. Pages go to a fresh folder beside the output; only when
all are written is the old site moved aside and the new one renamed into its place. The live
server, which rebuilds on every save, instead changes only the files that changed (update_site).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

MARKER = ".timeline-site"  # marks a folder as ours, so we never replace anything else
WRITERS = 4  # threads writing files: enough to keep the kernel busy on every core of a laptop


class OutputRefused(Exception):
    """The output folder is not one we may replace."""


def check_output(output: Path, content: Path) -> None:
    # as written and with links resolved: a link must not lead the site into (or around) the content
    outs = {Path(os.path.abspath(output)), output.resolve()}
    contents = {Path(os.path.abspath(content)), content.resolve()}
    homes = {Path(os.path.abspath(Path.home())), Path.home().resolve()}
    out = output.resolve()
    if any(o == Path(o.anchor) or o == h or o in h.parents for o in outs for h in homes):
        raise OutputRefused(f"refusing to write the site to {output}: pick a folder such as site/")
    if any(c.is_relative_to(o) for o in outs for c in contents):
        raise OutputRefused(f"refusing to write the site to {output}: it holds the content folder {content}")
    if any(o.is_relative_to(c) for o in outs for c in contents):
        raise OutputRefused(f"refusing to write the site to {output}: it is inside the content folder")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise OutputRefused(f"refusing to replace {output}: it exists and was not written by timeline build; "
                            "remove it or pick another --output")


def link_file(stored: Path, target: Path) -> None:
    """A page unchanged since it was stored (the build cache) is linked, not written again."""
    try:
        os.link(stored, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(stored, target)


def _write_files(files: dict[str, bytes | Path], folder: Path) -> None:
    """Every file into `folder`, a folder's files per task, on a few threads: creating files and
    folders is mostly the kernel's work, which threads run side by side on every core."""
    by_folder: dict[Path, list[tuple[Path, bytes | Path]]] = {}
    for rel, data in files.items():
        target = folder / rel
        by_folder.setdefault(target.parent, []).append((target, data))

    def write_folder(item: tuple[Path, list[tuple[Path, bytes | Path]]]) -> None:
        parent, members = item
        parent.mkdir(parents=True, exist_ok=True)
        for target, data in members:
            if isinstance(data, Path):
                link_file(data, target)
            else:
                target.write_bytes(data)
    # Ctrl-C and kill wait until the files are written: raised inside the pool's own locks, they
    # could leave it waiting forever. The caller then removes the folder as for any interruption.
    with _signals_held(), ThreadPoolExecutor(WRITERS, thread_name_prefix="timeline-write") as pool:
        for _ in pool.map(write_folder, by_folder.items()):
            pass


def write_file(folder: Path, rel: str, data: bytes) -> None:
    """One file of a new site (see new_site), its folder made as needed; safe in a worker process."""
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def write_site(files: dict[str, bytes | Path], output: Path, before_swap: Callable[[Path], None] | None = None) -> None:
    """Write every file into a new folder, then swap it in for the old site (see new_site). A
    file given as a Path (a page stored in the build cache) is hard-linked rather than written."""
    with new_site(output, before_swap) as folder:
        _write_files(files, folder)


@contextlib.contextmanager
def new_site(output: Path, before_swap: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """A new, empty folder beside the output for the block to write the site into; when the
    block ends, `before_swap(folder)` finishes it in place (the search index) and it is swapped
    in for the old site. If the block or `before_swap` raises, the old site stays. Only the new
    folder, and the old site once replaced, are ever deleted."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    old = staging.with_name(staging.name.replace(".new-", ".old-", 1))  # unique as the staging name is
    try:
        yield staging
        (staging / MARKER).write_text("Written by timeline build; replaced whole on the next build.\n")
        if before_swap:
            before_swap(staging)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a site is for reading
        _swap(staging, output, old)
    except BaseException:  # Ctrl-C included: the previous site stays where it was
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def update_site(changed: dict[str, Path], removed: list[str], output: Path) -> None:
    """Change the site in place: put in each changed file (a stored page, linked to a temporary
    name and renamed over the old file, so a reader never gets half a page) and remove the
    files the site no longer has, with the folders they leave empty. For the live server,
    where a whole-folder swap per save costs seconds: a failed build still writes nothing, but
    an interrupted update can leave old and new pages side by side until the next one."""
    for rel, stored in changed.items():
        target = output / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.new-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        link_file(stored, temporary)
        os.replace(temporary, target)
    for rel in removed:
        target = output / rel
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        folder = target.parent
        while folder != output and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _swap(new: Path, output: Path, old: Path) -> None:
    """Two renames with Ctrl-C held back between them, and the old site put back if the second fails."""
    with _signals_held():
        if output.exists():
            output.rename(old)
        try:
            new.rename(output)
        except OSError:
            if old.exists():
                old.rename(output)
            raise


@contextlib.contextmanager
def _signals_held():
    """Delay SIGINT and SIGTERM until the block ends (where the platform can), so that no
    interruption falls between taking the old site away and putting the new one in."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
