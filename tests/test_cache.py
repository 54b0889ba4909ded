"""The build cache, seen from outside: what a second build renders, rewrites and writes.

A page that was not rendered again is the very file of the last build (same inode: it is
hard-linked from the cache), so inodes tell which pages a build touched. Every cached result
is compared byte for byte with a cold build (`--no-cache`) of the same content.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_timeline

CATEGORIES = ["production", "labor", "law-policy", "business", "technology", "culture"]
ORGS = ["Netflix", "SAG-AFTRA", "Disney", "Lionsgate", "Runway", "WGA", "Eyeline Studios"]
TAGS = ["strike", "voice", "vfx", "copyright", "de-ageing", "contracts", "dubbing"]


def event_text(i: int, title: str | None = None, body: str = "") -> str:
    year = 2018 + i % 7
    return (
        "---\n"
        f'title: "{title or f"Event number {i}"}"\n'
        f'date: "{year}-{1 + i % 12:02d}-{1 + i % 27:02d}"\n'
        f'summary: "What happened in event {i}."\n'
        f"category: {CATEGORIES[i % 6]}\n"
        f"tags: [{TAGS[i % 7]}, {TAGS[(i // 2 + 3) % 7] if (i // 2 + 3) % 7 != i % 7 else TAGS[(i + 1) % 7]}]\n"
        f"organizations: [{ORGS[i % 7]}]\n"
        "sources:\n"
        f'  - {{title: "Report {i}", publisher: "Trade paper", url: "https://example.com/{i}"}}\n'
        'checked: "2026-11-30"\n'
        "---\n"
        f"{body or f'The account of event {i}, with **bold** words.'}\n"
    )


def event_path(content: Path, i: int) -> Path:
    year = 2018 + i % 7
    return content / "events" / str(year) / f"{year}-{1 + i % 12:02d}-{1 + i % 27:02d}-event-{i}.md"


def make_corpus(root: Path, events: int) -> Path:
    content = root / "project" / "content"
    for i in range(events):
        path = event_path(content, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(event_text(i))
    return content


@pytest.fixture
def corpus(tmp_path):
    """A content folder of 40 events over 7 years, 6 categories, 7 organizations, 7 tags."""
    return make_corpus(tmp_path, 40)


def build(content: Path, out: Path, *extra) -> str:
    result = run_timeline("build", "--content", content, "--output", out, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def files(site: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a site but its search bundle (Pagefind's file names change from run to run):
    relative path → (inode, bytes)."""
    return {rel: (p.stat().st_ino, p.read_bytes()) for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != ".timeline-site" and not (rel := p.relative_to(site).as_posix()).startswith("pagefind/")}


def assert_same_as_cold_build(content: Path, site: Path, tmp_path: Path) -> None:
    cold = tmp_path / "cold-site"
    build(content, cold, "--no-cache")
    got, want = files(site), files(cold)
    assert sorted(got) == sorted(want)
    for rel in want:
        assert got[rel][1] == want[rel][1], f"{rel} differs from a cold build"


def rewritten(before: dict, after: dict) -> set[str]:
    return {rel for rel in after if rel not in before or before[rel][0] != after[rel][0]}


def test_warm_build_renders_nothing_and_rewrites_nothing(corpus, tmp_path):
    site = tmp_path / "site"
    first = build(corpus, site)
    assert "from cache: 0/40 events, 0 files" in first
    before = files(site)
    second = build(corpus, site)
    pages = len([rel for rel in before if rel.endswith(".html")])
    assert re.search(rf"built 40 events, {pages} pages .*from cache: 40/40 events, {len(before)} files", second)
    after = files(site)
    assert after == before  # the same bytes in the very same files
    assert (corpus.parent / ".cache" / "timeline" / "index.pickle").is_file()


def test_a_warm_build_keeps_the_stored_pages_for_the_next_edit(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    build(corpus, site)  # the output holds the site already: nothing is looked up in the store
    event_path(corpus, 12).write_text(event_text(12, title="Edited after a warm build"))
    found = re.search(r"from cache: 39/40 events, (\d+) files", build(corpus, site))
    assert found and int(found[1]) > 40  # the pages the edit left as they were came from the store
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_warm_build_into_an_empty_output_folder_links_stored_pages(corpus, tmp_path):
    build(corpus, tmp_path / "site")
    out = build(corpus, tmp_path / "elsewhere")
    assert "from cache: 40/40 events" in out
    assert_same_as_cold_build(corpus, tmp_path / "elsewhere", tmp_path)


def test_editing_one_event_rerenders_its_page_and_the_lists_that_show_it_only(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    before = files(site)
    edited = event_path(corpus, 12)
    event_id = edited.stem
    edited.write_text(event_text(12, body="A new account of event 12."))
    out = build(corpus, site)
    assert "from cache: 39/40 events" in out
    after = files(site)
    changed = rewritten(before, after)
    assert f"events/{event_id}/index.html" in changed
    assert b"A new account of event 12." in after[f"events/{event_id}/index.html"][1]
    # every other page made again shows the event (links to it) or is about every event
    about_all = {f"{kind}/index.html" for kind in ("categories", "years", "organizations", "people", "works", "tags")}
    about_all |= {"search/index.html"} | {rel for rel in after if rel.startswith(("data/", "feed."))}
    for rel in changed - {f"events/{event_id}/index.html"} - about_all:
        assert f"/events/{event_id}/".encode() in after[rel][1], f"{rel} was rendered again but does not show the event"
    untouched = [rel for rel in after if rel not in changed]
    assert len(untouched) > len(after) / 2  # 40 event pages and 30 lists: most do not show event 12
    assert f"categories/{CATEGORIES[12 % 6]}/index.html" in changed and "index.html" in changed
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_renaming_a_title_updates_every_list_and_neighbour(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    event_path(corpus, 5).write_text(event_text(5, title="A renamed event"))
    build(corpus, site)
    mentions = [rel for rel, (_, data) in files(site).items() if b"A renamed event" in data]
    assert "index.html" in mentions and len(mentions) > 3
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_deleting_and_renaming_events_removes_their_pages(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    gone, moved = event_path(corpus, 3), event_path(corpus, 4)
    assert (site / "events" / gone.stem / "index.html").exists()
    gone.unlink()
    new_name = moved.with_name(moved.name.replace("event-4", "event-four"))
    moved.rename(new_name)
    out = build(corpus, site)
    assert "built 39 events" in out
    assert not (site / "events" / gone.stem).exists()
    assert not (site / "events" / moved.stem).exists()
    assert (site / "events" / new_name.stem / "index.html").exists()
    home = (site / "index.html").read_text()
    assert f"/events/{gone.stem}/" not in home and f"/events/{moved.stem}/" not in home
    assert f"/events/{new_name.stem}/" in home
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_paged_lists_and_the_home_window_equal_a_cold_build_through_edits(corpus, tmp_path):
    """Numbered pages move when an event comes or goes before them, and their count and the
    home page's window when the limits change: each cached build still equals a cold one."""
    (corpus / "site.yaml").write_text("home_events: 7\npage_events: 3\n")
    site = tmp_path / "site"
    build(corpus, site)
    assert (site / "categories/production/page/3/index.html").exists()
    steps = [
        lambda: event_path(corpus, 100).parent.mkdir(parents=True, exist_ok=True)
        or event_path(corpus, 100).write_text(event_text(100)),  # lands among the pages of its lists
        lambda: event_path(corpus, 6).unlink(),
        lambda: event_path(corpus, 13).write_text(event_text(13, title="Renamed on a later page")),
        lambda: (corpus / "site.yaml").write_text("home_events: 12\npage_events: 5\n"),  # fewer, longer pages
    ]
    for step in steps:
        step()
        build(corpus, site)
        assert_same_as_cold_build(corpus, site, tmp_path)
    assert not (site / "categories/production/page/3").exists()


def test_editing_one_template_rerenders_the_pages_that_use_it_only(corpus, tmp_path, monkeypatch):
    templates = Path(__file__).resolve().parent.parent / "templates"
    event_template = templates / "event.html"
    original = event_template.read_text()
    site = tmp_path / "site"
    build(corpus, site)
    before = files(site)
    try:
        event_template.write_text(original.replace('<article class="event"', '<article class="event" data-test="x"', 1))
        build(corpus, site)
        after = files(site)
        changed = rewritten(before, after)
        event_pages = {rel for rel in after if rel.startswith("events/")}
        assert changed == event_pages
        assert all(b'data-test="x"' in after[rel][1] for rel in event_pages)
        assert_same_as_cold_build(corpus, site, tmp_path)
    finally:
        event_template.write_text(original)


def test_a_damaged_index_is_detected_and_rebuilt(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    index = corpus.parent / ".cache" / "timeline" / "index.pickle"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index.write_bytes(bytes(data))
    event_path(corpus, 7).write_text(event_text(7, title="Changed while the cache was damaged"))
    out = build(corpus, site)
    assert "cache rebuilt" in out and "checksum" in out
    assert "from cache: 0/40 events, 0 files" in out
    assert_same_as_cold_build(corpus, site, tmp_path)
    assert "cache rebuilt" not in build(corpus, site)  # and the rebuilt cache is trusted again


def test_parsed_events_are_read_only_when_a_file_changed_and_never_trusted_damaged(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    events = corpus.parent / ".cache" / "timeline" / "events.pickle"
    events.write_bytes(b"damaged")
    assert "from cache: 40/40 events" in build(corpus, site)
    assert events.read_bytes() == b"damaged"  # a build with nothing changed neither reads nor writes them
    event_path(corpus, 7).write_text(event_text(7, title="Changed while the events were damaged"))
    out = build(corpus, site)
    assert "parsed events not reused" in out and "from cache: 0/40 events" in out
    assert_same_as_cold_build(corpus, site, tmp_path)
    event_path(corpus, 8).write_text(event_text(8, title="Changed next"))
    assert "from cache: 39/40 events" in build(corpus, site)  # the events written again are trusted


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_an_unreadable_index_is_never_trusted(corpus, tmp_path, damage):
    site = tmp_path / "site"
    build(corpus, site)
    index = corpus.parent / ".cache" / "timeline" / "index.pickle"
    data = index.read_bytes()
    index.write_bytes({"truncate": data[: len(data) // 3], "garbage": b"not a cache at all", "empty": b""}[damage])
    out = build(corpus, site)
    assert "cache rebuilt" in out
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_stored_page_changed_on_disk_is_rendered_again(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    page = site / "index.html"  # a hard link to the stored page: editing it in place edits both
    page.write_bytes(page.read_bytes().replace(b"<h1>", b"<h1>TAMPERED "))
    build(corpus, site)
    assert b"TAMPERED" not in page.read_bytes()
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_no_cache_neither_reads_nor_writes_the_cache(corpus, tmp_path):
    out = build(corpus, tmp_path / "site", "--no-cache")
    assert "cache off" in out
    assert not (corpus.parent / ".cache").exists()
    build(corpus, tmp_path / "site")  # now with the cache
    index = corpus.parent / ".cache" / "timeline" / "index.pickle"
    index.write_bytes(b"damaged")
    out = build(corpus, tmp_path / "site", "--no-cache")
    assert "cache rebuilt" not in out and index.read_bytes() == b"damaged"


def test_warnings_and_errors_are_reported_from_the_cache_too(corpus, tmp_path):
    site = tmp_path / "site"
    future = corpus / "events" / "2099" / "2099-01-01-far-future.md"
    future.parent.mkdir()
    # a copy of event 0 with its own source (a shared one is a curation warning of its own)
    future.write_text(event_text(0).replace("2018-01-01", "2099-01-01").replace("example.com/0", "example.com/far"))
    first = run_timeline("build", "--content", corpus, "--output", site)
    second = run_timeline("build", "--content", corpus, "--output", site)
    assert first.returncode == second.returncode == 0
    warnings = [[line for line in run.stderr.splitlines() if ": warning:" in line] for run in (first, second)]
    assert len(warnings[0]) == 1 and "is in the future" in warnings[0][0] and warnings[0] == warnings[1]
    strict = run_timeline("build", "--content", corpus, "--output", site, "--strict")
    assert strict.returncode == 1 and "is in the future" in strict.stderr
    event_path(corpus, 9).write_text(event_text(9).replace("category: ", "category: prodution-"))
    for _ in range(2):
        broken = run_timeline("build", "--content", corpus, "--output", site)
        assert broken.returncode == 1 and "is not one of" in broken.stderr


def in_process(content: Path, site: Path, live: bool = True, search: bool = False):
    """What the live server does: one Site, rebuilt again and again in this process, into its own
    folder (LiveSite) or, like `timeline build`, a folder swapped in whole (StagedSite)."""
    from generator.build import Options, build as pipeline
    from generator.site import Site
    from generator.write import LiveSite, StagedSite

    project = Site(content, base_url="/")
    output = LiveSite(site) if live else StagedSite(site, content)

    def rebuild():
        result = pipeline(project, output, Options(search=search))
        project.save()
        return result
    rebuild.site = project
    return rebuild


def test_in_process_rebuilds_use_the_memo_and_stay_correct(corpus, tmp_path):
    site = tmp_path / "site"
    rebuild = in_process(corpus, site, live=False)
    first, again = rebuild(), rebuild()
    assert first.written and again.written and again.pages_cached == len(files(site))
    event_path(corpus, 20).write_text(event_text(20, body="Edited while serving."))
    third = rebuild()
    assert third.events_cached == 39
    assert "Edited while serving." in (site / "events" / event_path(corpus, 20).stem / "index.html").read_text()
    assert_same_as_cold_build(corpus, site, tmp_path)


@pytest.mark.parametrize("edit", ["organization", "slug", "date", "related", "added", "removed", "title", "sources"])
def test_in_process_rebuilds_stay_correct_when_what_links_events_changes(corpus, tmp_path, edit):
    """The live server keeps each event's card and data-file rows in memory from one rebuild to
    the next: an edit that moves an event between organizations, in time, or in and out of the
    site, or moves another name's links, must change every page and file that depends on it, as
    a cold build does."""
    site = tmp_path / "site"
    rebuild = in_process(corpus, site)
    assert rebuild().written
    path, text = event_path(corpus, 20), event_text(20)
    if edit == "organization":  # from Eyeline's events to Netflix's and Runway's: three lists change
        path.write_text(text.replace("organizations: [Eyeline Studios]", "organizations: [Netflix, Runway]"))
    elif edit == "slug":  # "NETFLIX" sorts first and takes the slug netflix: every Netflix link moves
        path.write_text(text.replace("organizations: [Eyeline Studios]", "organizations: [NETFLIX]"))
    elif edit == "date":  # an event's date is in its id: the file moves to a new place in time
        path.unlink()
        path.with_name("2024-02-03-event-20.md").write_text(text.replace('"2024-09-21"', '"2024-02-03"'))
    elif edit == "related":
        path.write_text(text.replace("sources:", "related: [" + event_path(corpus, 3).stem + "]\nsources:"))
    elif edit == "added":
        event_path(corpus, 40).parent.mkdir(parents=True, exist_ok=True)
        event_path(corpus, 40).write_text(event_text(40))
    elif edit == "title":
        path.write_text(event_text(20, title="A title edited in place"))
    elif edit == "sources":
        path.write_text(text.replace("https://example.com/20", "https://example.org/report-20"))
    else:
        path.unlink()
    result = rebuild()
    assert result.written, result.problems
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_large_site_built_in_parallel_equals_the_cached_rebuild(tmp_path):
    """Enough events for the process pool; a rebuild after an edit renders serially."""
    content = make_corpus(tmp_path, 450)
    site = tmp_path / "site"
    build(content, site)
    event_path(content, 100).write_text(event_text(100, title="Edited in a big site"))
    out = build(content, site)
    assert "from cache: 449/450 events" in out
    assert_same_as_cold_build(content, site, tmp_path)


def test_a_parallel_build_leaves_every_card_with_the_site(tmp_path):
    """A large build renders its pages in worker processes, whose memory ends with them: the cards
    are rendered before the pages (across the workers too, but sent back), so the Site keeps them
    all for the rebuilds to come, and a rebuild after an edit renders one card."""
    from generator import parallel

    count = parallel.MIN_ITEMS + 50
    content = make_corpus(tmp_path, count)
    rebuild = in_process(content, tmp_path / "site")
    assert rebuild().written
    assert len(rebuild.site.cards.entries) == count
    kept = dict(rebuild.site.cards.entries)
    event_path(content, 7).write_text(event_text(7, title="One card to render"))
    assert rebuild().written
    made = {key for key, card in rebuild.site.cards.entries.items() if kept.get(key) != card}
    assert len(made) == 1 and "One card to render" in next(iter(rebuild.site.cards.entries[k] for k in made))[0]
    assert_same_as_cold_build(content, tmp_path / "site", tmp_path)


def test_the_search_index_is_made_again_only_when_an_event_page_changed(corpus, tmp_path):
    site = tmp_path / "site"
    assert "search index" in build(corpus, site)
    bundle = files(site / "pagefind")
    assert "pagefind.js" in bundle
    (site.parent / "moved").mkdir()
    site.rename(site.parent / "moved" / "site")  # an empty output folder: everything is linked again
    assert "search index" not in build(corpus, site)
    assert {rel: data for rel, (_, data) in files(site / "pagefind").items()} == \
        {rel: data for rel, (_, data) in bundle.items()}
    event_path(corpus, 30).write_text(event_text(30, body="Now the index must change."))
    assert "search index" in build(corpus, site)
    assert build(corpus, site, "--no-search").count("search index") == 0 and not (site / "pagefind").exists()
    assert "search index" not in build(corpus, site)  # back with search: the stored bundle, not Pagefind
    assert (site / "pagefind" / "pagefind.js").is_file()


def test_in_place_rebuilds_change_only_the_changed_files(corpus, tmp_path):
    """The live server's write: no new folder, the changed files replaced, the rest untouched."""
    site = tmp_path / "site"
    rebuild = in_process(corpus, site)
    rebuild()  # no site yet: written whole
    (site / "pagefind").mkdir()
    (site / "pagefind" / "pagefind.js").write_text("// the live server's own bundle")
    folder_inode = site.stat().st_ino
    before = files(site)
    edited, gone = event_path(corpus, 12), event_path(corpus, 3)
    edited.write_text(event_text(12, body="Changed in place."))
    gone.unlink()
    result = rebuild()
    assert result.written and site.stat().st_ino == folder_inode  # the same folder, not a swapped-in one
    after = files(site)
    changed = rewritten(before, after)
    assert f"events/{edited.stem}/index.html" in changed and "index.html" in changed
    assert "Changed in place." in (site / "events" / edited.stem / "index.html").read_text()
    untouched = [rel for rel in after if rel not in changed]
    assert len(untouched) > len(after) / 2
    assert all(after[rel] == before[rel] for rel in untouched)
    assert not (site / "events" / gone.stem).exists()  # its page and its folder are gone
    assert (site / "pagefind" / "pagefind.js").read_text() == "// the live server's own bundle"
    assert not list(site.rglob(".*.new-*"))
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_the_index_pages_are_rendered_again_only_when_a_name_link_or_count_changes(corpus, tmp_path):
    """The facet index pages and the search page list each facet value's name, link and count:
    a title edit leaves them as they were; a new organization changes the organizations index."""
    site = tmp_path / "site"
    rebuild = in_process(corpus, site)
    assert rebuild().written
    before = files(site)
    event_path(corpus, 12).write_text(event_text(12, title="A new title"))
    assert rebuild().written
    changed = rewritten(before, files(site))
    assert "index.html" in changed and f"events/{event_path(corpus, 12).stem}/index.html" in changed
    assert not {"search/index.html", "organizations/index.html", "tags/index.html", "years/index.html"} & changed
    assert_same_as_cold_build(corpus, site, tmp_path)

    before = files(site)
    event_path(corpus, 12).write_text(event_text(12, title="A new title").replace(
        "organizations: [", "organizations: [A New Studio, "))
    assert rebuild().written
    changed = rewritten(before, files(site))
    assert {"organizations/index.html", "search/index.html"} <= changed and "tags/index.html" not in changed
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_build_puts_back_a_page_changed_or_removed_in_its_output(corpus, tmp_path):
    site = tmp_path / "site"
    build(corpus, site)
    (site / "index.html").unlink()
    (site / "index.html").write_text("tampered")
    (site / "404.html").unlink()
    build(corpus, site)
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_live_rebuild_looks_only_at_the_pages_whose_keys_changed(corpus, tmp_path, monkeypatch):
    """The live server's folder is its own: after a save, the rebuild checks neither the
    output files nor the stored pages of the pages it left as they were (8600 `stat` calls
    at 4000 events), yet the site is the one a cold build makes."""
    from generator import cache

    site = tmp_path / "site"
    rebuild = in_process(corpus, site)
    rebuild()
    looked: list[str] = []
    stat = cache.stat_of
    monkeypatch.setattr(cache, "stat_of", lambda path: looked.append(str(path)) or stat(path))
    event_path(corpus, 12).write_text(event_text(12, title="Only this one"))
    assert rebuild().written
    pages = len(list(site.rglob("*.html")))
    outputs = [path for path in looked if Path(path).is_relative_to(site)]
    stored = [path for path in looked if "/pages/" in path]
    assert outputs == [] and len(stored) < pages / 2, (len(stored), pages)
    assert "Only this one" in (site / "events" / event_path(corpus, 12).stem / "index.html").read_text()
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_live_site_with_search_gets_its_bundle_in_place(corpus, tmp_path):
    site = tmp_path / "site"
    rebuild = in_process(corpus, site, search=True)
    rebuild()
    folder_inode = site.stat().st_ino
    event_path(corpus, 7).write_text(event_text(7, body="Indexed again."))
    result = rebuild()
    assert result.index_seconds > 0 and site.stat().st_ino == folder_inode
    assert (site / "pagefind" / "pagefind.js").is_file() and not list(site.glob(".pagefind-*"))


def test_a_new_process_reads_only_the_event_files_that_changed(corpus, tmp_path, monkeypatch):
    """Each event file's key is kept in the index with the file's size, times and inode, once
    the file has settled (it was not changed in the moments before the index was written): a
    build in a new process reads and hashes only files changed since."""
    from generator import build as pipeline
    from generator import cache

    site = tmp_path / "site"
    read = []
    make = pipeline._file_key
    monkeypatch.setattr(pipeline, "_file_key", lambda path, cwd: read.append(path.name) or make(path, cwd))

    def build_in_new_process() -> None:
        read.clear()
        assert in_process(corpus, site, live=False)().written

    monkeypatch.setattr(cache, "SETTLED_NS", 10**18)  # every file written "just now": not settled
    build_in_new_process()
    build_in_new_process()
    assert len(read) == 40
    monkeypatch.setattr(cache, "SETTLED_NS", 0)  # every file settled
    build_in_new_process()
    build_in_new_process()
    assert read == []
    event_path(corpus, 20).write_text(event_text(20, title="Changed since"))
    build_in_new_process()
    assert read == [event_path(corpus, 20).name]
    assert "Changed since" in (site / "events" / event_path(corpus, 20).stem / "index.html").read_text()
    assert_same_as_cold_build(corpus, site, tmp_path)


def test_a_build_with_nothing_changed_loads_neither_pydantic_nor_jinja2(corpus, tmp_path):
    """Parsing and rendering need pydantic, Jinja2, Python-Markdown and nh3, about a third of a
    second of start-up; a build that takes every page from the cache does without them."""
    site = tmp_path / "site"
    build(corpus, site)
    heavy = "{'pydantic', 'jinja2', 'markdown', 'nh3'}"
    probe = (f"import sys; from generator.cli import main; main(sys.argv[1:]); "
             f"print('loaded:', sorted({heavy} & {{name.split('.')[0] for name in sys.modules}}))")

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", probe, "build", "--content", str(corpus), "--output", str(site)],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-1]

    assert loaded() == "loaded: []"
    event_path(corpus, 3).write_text(event_text(3, title="Edited since"))
    assert loaded() == "loaded: ['jinja2', 'markdown', 'nh3', 'pydantic']"
    assert loaded() == "loaded: []"


def test_a_save_is_dropped_when_another_process_saved_meanwhile(corpus, tmp_path):
    """The live server writes the cache index once saves pause; if a build in another process
    wrote the index in between, the server's cache is out of date and its save is dropped
    rather than written over the other one."""
    from generator.build import Options, build as pipeline
    from generator.site import Site
    from generator.write import LiveSite

    index = corpus.parent / ".cache" / "timeline" / "index.pickle"
    server, output = Site(corpus, base_url="/"), LiveSite(tmp_path / "site")
    assert pipeline(server, output, Options(search=False)).written
    assert not index.exists()  # a build does not write the index: the Site does, when told to
    server.save()
    assert index.exists()
    written = index.stat().st_mtime_ns, index.read_bytes()
    server.save()  # nothing new: nothing written
    assert (index.stat().st_mtime_ns, index.read_bytes()) == written

    event_path(corpus, 5).write_text(event_text(5, title="Saved later"))
    assert pipeline(server, output, Options(search=False)).written
    build(corpus, tmp_path / "other")  # another process: it writes the index
    theirs = index.read_bytes()
    server.save()
    assert index.read_bytes() == theirs
    result = pipeline(Site(corpus, base_url="/"), LiveSite(tmp_path / "fresh"), Options(search=False))
    assert result.events_cached == result.events  # the other process's index holds the edit too
