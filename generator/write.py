"""Stage 6: pages → the output folder. Only this module writes the site.

Two kinds of output, one interface (`holds`, `changes`, `begin`, `put`, `finish`, `abort`),
keyed by site path with a key per file (a hash of what the file was made from):

- `StagedSite` (`timeline build`): the site is written whole into a new folder beside the output,
  and only once it is complete (search index included) is the old site moved aside and the new one
  renamed into its place, so a failed or interrupted build loses nothing. The folder carries a
  manifest of what it holds, so a build that would write the same files writes nothing.
- `LiveSite` (`timeline serve`): the server's own scratch folder, changed in place file by file
  (each file renamed over the old one, so a reader never gets half a page): a whole-folder swap
  per save would cost seconds on a large site.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable, Iterator

MARKER = ".timeline-site"  # marks a folder as ours (we never replace anything else); holds the manifest
Finish = Callable[[Path], None]  # run on the complete site before it is put in place (the search index)


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


def put_file(target: Path, data: bytes | Path) -> None:
    """Bytes are written; a Path (a page stored in the build cache) is hard-linked, not copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
        return
    try:
        os.link(data, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(data, target)


def _stat(path: Path | str) -> list[int] | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return [s.st_size, s.st_mtime_ns, s.st_ino]


class StagedSite:
    """`timeline build`'s output, swapped in whole (see the module's docstring)."""

    def __init__(self, output: Path, content: Path):
        check_output(output, content)
        self.output = output.resolve()
        self.root: Path | None = None  # the new site's folder, between begin() and finish()

    def holds(self, rel: str, key: str) -> bool:
        return False  # a new site is written whole

    def changes(self, keys: dict[str, str], bundle: str | None) -> list[str] | None:
        """Every file, or None when the output already holds exactly these files (each as the
        manifest recorded it) and the same search bundle (`bundle`: its key, or None for none)."""
        try:
            manifest = json.loads((self.output / MARKER).read_text(encoding="utf-8"))
            files, root = manifest["files"], str(self.output)
            same = (manifest["bundle"] == bundle and files.keys() == keys.keys()
                    and all(files[rel][0] == key and _stat(f"{root}/{rel}") == files[rel][1]
                            for rel, key in keys.items()))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            same = False
        return None if same else list(keys)

    def begin(self) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.new-", dir=self.output.parent))

    def put(self, rel: str, data: bytes | Path) -> None:
        """Safe in a worker process."""
        put_file(self.root / rel, data)

    def finish(self, keys: dict[str, str], bundle: str | None = None, before: Finish | None = None) -> None:
        """Run `before` on the complete new site (it installs the search bundle `bundle`), then
        swap the site in for the old one."""
        manifest = {"bundle": bundle, "files": {rel: [key, _stat(self.root / rel)] for rel, key in keys.items()}}
        (self.root / MARKER).write_text(json.dumps(manifest), encoding="utf-8")
        if before:
            before(self.root)
        os.chmod(self.root, 0o755)  # mkdtemp makes it private; a site is for reading
        old = self.root.with_name(self.root.name.replace(".new-", ".old-", 1))  # unique as the new one is
        swap(self.root, self.output, old)
        self.root = None
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        """The new folder goes; the old site stays where it was."""
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


class LiveSite:
    """The live server's folder, changed in place (see the module's docstring). Nothing else
    writes it, so what it holds is what this object put there."""

    def __init__(self, folder: Path):
        self.root = folder
        self.held: dict[str, str] = {}  # site path → key of the file there
        self.bundle: str | None = None  # the key of the search bundle it put there, if any
        self._before: dict[str, str] = {}  # what it held when the update began

    def holds(self, rel: str, key: str) -> bool:
        return self.held.get(rel) == key

    def changes(self, keys: dict[str, str], bundle: str | None) -> list[str] | None:
        put = [rel for rel, key in keys.items() if self.held.get(rel) != key]
        return put if put or self.held.keys() - keys.keys() or bundle != self.bundle else None

    def begin(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._before, self.held = self.held, {}  # until finish(): an interrupted update leaves it unknown

    def put(self, rel: str, data: bytes | Path) -> None:
        target = self.root / rel
        temporary = target.with_name(f".{target.name}.new-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        put_file(temporary, data)
        os.replace(temporary, target)

    def finish(self, keys: dict[str, str], bundle: str | None = None, before: Finish | None = None) -> None:
        """Remove the files the site no longer has (with the folders they leave empty), then run
        `before` (it installs the search bundle `bundle`)."""
        for rel in self._before.keys() - keys.keys():
            target = self.root / rel
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            folder = target.parent
            while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        if before:
            before(self.root)
        self.held, self.bundle = dict(keys), bundle

    def abort(self) -> None:
        """Each file it held may now be old or new: all are put again, or removed, next time."""
        self.held = {rel: "" for rel in self._before}


def swap(new: Path, output: Path, old: Path) -> None:
    """Two renames with Ctrl-C held back between them, and the old site put back if the second fails."""
    with signals_held():
        if output.exists():
            output.rename(old)
        try:
            new.rename(output)
        except OSError:
            if old.exists():
                old.rename(output)
            raise


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
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
