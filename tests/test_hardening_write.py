"""A failed build loses nothing: the previous site survives errors, exceptions, Ctrl-C and kill
byte for byte; `--output` refuses folders it must not replace; nothing beside the output is deleted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_timeline
from sitekit import write_corpus
from generator import write
from generator.write import OutputRefused, StagedSite, check_output



def write_site(files: dict[str, bytes], out: Path, before_swap=None) -> None:
    """What a build does with its output: a new folder, its files, then `before_swap`, then the swap."""
    site = StagedSite(out, out.parent / "content")
    site.begin()
    try:
        for rel, data in files.items():
            site.put(rel, data)
        site.finish({rel: "key" for rel in files}, None, before_swap)
    except BaseException:
        site.abort()
        raise


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def without_search_bundle(files: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if not path.startswith("site/pagefind/")}


@pytest.fixture
def previous_site(tmp_path):
    """A built site beside some files of the user's, and a snapshot of the whole parent folder."""
    parent = tmp_path / "work"
    parent.mkdir()
    (parent / "notes.txt").write_text("keep me")
    (parent / ".site.old-1").mkdir()  # looks like one of ours, is not
    (parent / ".site.old-1" / "draft.md").write_text("keep me too")
    out = parent / "site"
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out).returncode == 0
    return out, snapshot(parent)


@pytest.mark.parametrize("where, why", [
    (lambda content, home: Path("/"), "pick a folder such as site/"),
    (lambda content, home: home, "pick a folder such as site/"),
    (lambda content, home: home.parent, "pick a folder such as site/"),
    (lambda content, home: content, "it holds the content folder"),
    (lambda content, home: content.parent, "it holds the content folder"),
    (lambda content, home: content / "events" / "site", "it is inside the content folder"),
    (lambda content, home: content.parent / "thesis", "was not written by timeline build"),
    (lambda content, home: content.parent / "thesis" / "chapter.txt", "was not written by timeline build"),
], ids=["root", "home", "above-home", "content", "holds-content", "inside-content", "someone-elses", "a-file"])
def test_output_refuses_folders_it_must_not_replace(where, why, tmp_path, monkeypatch):
    home = tmp_path / "home" / "someone"
    monkeypatch.setenv("HOME", str(home))
    content = home / "project" / "content"
    (content / "events").mkdir(parents=True)
    (home / "project" / "thesis").mkdir()
    (home / "project" / "thesis" / "chapter.txt").write_text("years of work")
    with pytest.raises(OutputRefused, match=why):
        check_output(where(content, home), content)


def test_output_accepts_a_new_folder_an_empty_one_and_its_own_site(tmp_path, previous_site):
    content = tmp_path / "content"
    (tmp_path / "empty").mkdir()
    for output in (tmp_path / "new", tmp_path / "empty", previous_site[0]):
        check_output(output, content)


def test_build_into_the_content_folder_is_refused_and_touches_nothing(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "events").symlink_to(FIXTURES / "minimal" / "events")
    before = snapshot(tmp_path)
    for output in (content, tmp_path, content / "events"):
        result = run_timeline("build", "--content", content, "--output", output)
        assert result.returncode == 2, result.stderr
        assert f"refusing to write the site to {output}" in result.stderr
    assert snapshot(tmp_path) == before


def test_failed_builds_keep_the_previous_site_and_delete_nothing_beside_it(previous_site):
    out, before = previous_site
    for fixture in ("bad-category", "malformed-yaml", "eras-anchors-aliases"):
        assert run_timeline("build", "--content", FIXTURES / fixture, "--output", out).returncode == 1
    assert snapshot(out.parent) == before
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out).returncode == 0
    # a rebuild replaces the site with the same bytes, and only it (Pagefind names its chunks anew each run)
    assert without_search_bundle(snapshot(out.parent)) == without_search_bundle(before)
    assert sorted(p.name for p in out.parent.iterdir()) == [".site.old-1", "notes.txt", "site"]


@pytest.mark.parametrize("failure", [RuntimeError("the search index failed"), KeyboardInterrupt()])
def test_an_error_before_the_swap_keeps_the_previous_site(previous_site, failure):
    out, before = previous_site

    def fail(folder: Path):
        assert (folder / "index.html").read_bytes() == b"new"  # the new site is complete at this point
        raise failure
    with pytest.raises(type(failure)):
        write_site({"index.html": b"new"}, out, before_swap=fail)
    assert snapshot(out.parent) == before
    assert sorted(p.name for p in out.parent.iterdir()) == [".site.old-1", "notes.txt", "site"]


def test_a_failed_swap_puts_the_previous_site_back(previous_site, monkeypatch):
    out, before = previous_site
    rename = Path.rename

    def refuse_new_site(self, target):
        if Path(target) == out and ".new-" in self.name:
            raise OSError("disk full")
        return rename(self, target)
    monkeypatch.setattr(Path, "rename", refuse_new_site)
    with pytest.raises(OSError, match="disk full"):
        write_site({"index.html": b"new"}, out)
    assert snapshot(out.parent) == before
    assert sorted(p.name for p in out.parent.iterdir()) == [".site.old-1", "notes.txt", "site"]


def test_signals_are_held_only_during_the_swap(previous_site):
    """Ctrl-C arriving while the two renames run is delivered after them, with the new site in place."""
    out, _ = previous_site
    if not hasattr(signal, "pthread_sigmask"):
        pytest.skip("no signal masks on this platform")
    swap = write.swap

    def interrupted_swap(new, output, old):
        with write.signals_held():
            os.kill(os.getpid(), signal.SIGINT)  # held back until the renames are done
            swap(new, output, old)
    with pytest.raises(KeyboardInterrupt):
        write.swap = interrupted_swap
        try:
            write_site({"index.html": b"new"}, out)
        finally:
            write.swap = swap
    assert (out / "index.html").read_bytes() == b"new"


@pytest.fixture(scope="module")
def large_corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus") / "large" / "content", 1000)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_interrupting_a_build_midway_leaves_the_previous_site(previous_site, large_corpus, sig):
    out, before = previous_site
    build = subprocess.Popen([sys.executable, "-m", "generator", "build", "--content", large_corpus, "--output", out],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writing = None
    while writing is None and build.poll() is None:  # wait until the new site is being written
        writing = next((p for p in out.parent.glob(".site.new-*") if (p / "events").exists()), None)
        time.sleep(0.002)
    assert writing is not None, "the build ended before it was seen writing"
    build.send_signal(sig)
    _, stderr = build.communicate(timeout=600)
    assert build.returncode == 130, stderr
    assert f"build interrupted; the previous site in {out} is unchanged" in stderr
    assert "Traceback" not in stderr
    assert snapshot(out.parent) == before
    assert sorted(p.name for p in out.parent.iterdir()) == [".site.old-1", "notes.txt", "site"]
