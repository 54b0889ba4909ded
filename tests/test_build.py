"""`timeline build` and `timeline new`, read through their output."""

import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_timeline


def build(tmp_path, fixture="minimal", *extra):
    out = tmp_path / "site"
    result = run_timeline("build", "--content", FIXTURES / fixture, "--output", out, *extra)
    return result, out


def test_build_writes_home_event_category_and_404(tmp_path):
    result, out = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"built 3 events, \d+ pages", result.stdout)
    home = (out / "index.html").read_text()
    # the home page groups events by year, newest markup: an <ol> of <article>s with <time datetime>
    assert home.index('id="y2023"') < home.index('id="y2025"')
    assert re.search(r'<ol class="event-list" role="list">\s*<li>\s*<article', home)
    assert '<time datetime="2023-06">June 2023</time>' in home
    event = (out / "events/2025-07-17-netflix-el-eternauta/index.html").read_text()
    assert re.search(r"<h1[^>]*>Netflix says El Eternauta used generative AI in final footage</h1>", event)
    assert '<time datetime="2025-07-17">17 July 2025</time>' in event
    assert "<strong>the first</strong>" in event
    category = (out / "categories/labor/index.html").read_text()
    assert "Writers Guild of America goes on strike" in category and "El Eternauta" not in category
    assert "Page not found" in (out / "404.html").read_text()


def test_every_page_has_one_h1_and_the_stylesheet(tmp_path):
    _, out = build(tmp_path)
    pages = list(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text()
        assert html.count("<h1") == 1, page
        assert 'href="/static/style.css"' in html


def test_base_url_prefixes_every_link(tmp_path):
    result, out = build(tmp_path, "minimal", "--base-url", "https://example.org/ai-timeline/")
    assert result.returncode == 0
    home = (out / "index.html").read_text()
    assert 'href="/ai-timeline/events/2025-07-17-netflix-el-eternauta/"' in home
    assert '<link rel="canonical" href="https://example.org/ai-timeline/">' in home
    assert not re.search(r'(href|src)="/(?!ai-timeline/)', home)


def test_a_failed_build_leaves_the_previous_site(tmp_path):
    _, out = build(tmp_path)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run_timeline("build", "--content", FIXTURES / "bad-category", "--output", out)
    assert result.returncode == 1
    assert "category: 'prodution'" in result.stderr and "unchanged" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = run_timeline("build", "--content", FIXTURES / "minimal", "--output", precious)
    assert result.returncode == 2
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_builds_a_content_folder_with_only_events(tmp_path):
    # the minimal fixture has no site.yaml, eras or pages: defaults apply
    result, out = build(tmp_path)
    assert "AI in Hollywood: a timeline" in (out / "index.html").read_text()


def test_settings_file_overrides_defaults(tmp_path, fixture_copy):
    content = fixture_copy("minimal")
    (content / "site.yaml").write_text('title: "Screen AI Tracker"\nlanguage: fr\n')
    out = tmp_path / "out"
    assert run_timeline("build", "--content", content, "--output", out).returncode == 0
    home = (out / "index.html").read_text()
    assert '<html lang="fr">' in home and "<title>Screen AI Tracker</title>" in home


def test_bad_settings_are_located(fixture_copy):
    content = fixture_copy("minimal")
    (content / "site.yaml").write_text('title: "ok"\nlanguge: en\n')
    result = run_timeline("check", "--content", content)
    assert result.returncode == 1
    assert "site.yaml:2:1: languge: is not a known field — did you mean 'language'?" in result.stderr


def test_new_writes_a_file_that_check_guides_to_completion(tmp_path, fixture_copy):
    content = fixture_copy("minimal")
    result = run_timeline("new", "AI dubbing: a first test!", "--date", "2024-03", "--category", "technology",
                          "--content", content)
    assert result.returncode == 0, result.stderr
    path = content / "events/2024/2024-03-ai-dubbing-a-first-test.md"
    assert result.stdout.strip() == str(path)
    checked = run_timeline("check", "--content", content)
    problems = [l for l in checked.stderr.splitlines() if "2024-03-ai-dubbing" in l]
    assert [p.split(": ", 2)[1] for p in problems] == ["summary", "sources"]
    # fill in what check asked for, and it passes
    text = path.read_text().replace("summary: ''", "summary: 'A test.'").replace(
        "sources: []", "sources: [{title: T, publisher: P, url: 'https://www.aljazeera.com/'}]")
    path.write_text(text)
    assert run_timeline("check", "--content", content).returncode == 0


def test_new_refuses_a_bad_date(fixture_copy):
    result = run_timeline("new", "X", "--date", "2024-13", "--category", "labor", "--content", fixture_copy("minimal"))
    assert result.returncode == 2 and "has no month 13" in result.stderr


@pytest.mark.parametrize("title", ["", "   ", "!!! ???"])
def test_new_refuses_a_title_that_names_no_file(fixture_copy, title):
    content = fixture_copy("minimal")
    before = sorted(content.rglob("*"))
    result = run_timeline("new", title, "--date", "2024-03", "--category", "labor", "--content", content)
    assert result.returncode == 2 and "has no letters or digits" in result.stderr
    assert sorted(content.rglob("*")) == before


def test_new_names_the_file_by_whole_words_and_lists_events_on_that_date(fixture_copy):
    content = fixture_copy("minimal")
    existing = content / "events/2025/2025-07-17-netflix-el-eternauta.md"
    date = "2025-07-17"
    title = "Él Eternauta: the studio's généré footage, a title far too long to keep whole as a file name"
    result = run_timeline("new", title, "--date", date, "--category", "production", "--content", content)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.name == f"{date}-el-eternauta-the-studio-s-genere-footage-a-title-far-too.md"
    assert f"added: \"{dt.date.today().isoformat()}\"" in path.read_text()
    listed = result.stderr.split("Already in the timeline on that date or with a similar title")[1].split("Next:")[0]
    assert existing.name in listed and "wga-strike" not in listed
    assert "then run `timeline check --strict`" in result.stderr


def test_new_lists_an_event_with_a_similar_title_on_another_day(fixture_copy):
    content = fixture_copy("minimal")
    result = run_timeline("new", "Writers Guild of America goes on strike, with limits on AI among demands",
                          "--date", "2023-05-03", "--category", "labor", "--content", content)
    assert result.returncode == 0, result.stderr
    listed = result.stderr.split("with a similar title")[1].split("Next:")[0]
    assert "2023-05-02-wga-strike-begins.md" in listed and "eternauta" not in listed


@pytest.mark.parametrize("command", [["check"], ["build"], ["links"], ["review", "--since", "HEAD"], ["serve"],
                                     ["new", "A title", "--date", "2024", "--category", "labor"]])
@pytest.mark.parametrize("folder", ["missing", "empty"])
def test_a_command_run_from_the_wrong_folder_is_a_usage_error_and_creates_nothing(tmp_path, command, folder):
    if folder == "empty":
        (tmp_path / "content").mkdir()
    before = sorted(tmp_path.rglob("*"))
    result = run_timeline(*command, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"timeline {command[0]}: no content folder at content ")
    assert "pass --content" in result.stderr
    assert sorted(tmp_path.rglob("*")) == before


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith("/"):
                self.links.append(value)


def test_every_internal_link_resolves(tmp_path):
    _, out = build(tmp_path)
    for page in out.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            target = out / link.split("#")[0].lstrip("/")
            assert target.is_file() or (target / "index.html").is_file(), f"{page}: {link}"


def test_a_page_cannot_take_a_folder_the_site_writes(fixture_copy):
    content = fixture_copy("minimal")
    (content / "pages").mkdir()
    (content / "pages" / "events.md").write_text("---\ntitle: Events\ndescription: Clash.\n---\nText.\n")
    result = run_timeline("check", "--content", content)
    assert result.returncode == 1
    assert "pages/events.md:2:1: 'events' is a folder the site writes itself" in result.stderr


def test_base_url_flag_obeys_the_settings_rule(tmp_path):
    result = run_timeline("build", "--content", FIXTURES / "minimal", "--output", tmp_path / "o",
                          "--base-url", "javascript:alert(1)//")
    assert result.returncode == 2
    assert "--base-url: 'javascript:alert(1)//' must be a path" in result.stderr
    assert not (tmp_path / "o").exists()


def test_editor_files_beside_content_are_not_content(fixture_copy):
    content = fixture_copy("minimal")
    events = content / "events" / "2025"
    for name in (".#2025-07-17-lock.md", "2025-07-17-backup.md~", "#2025-07-17-autosave.md#", ".x.md.swp"):
        (events / name).write_text("half-saved")
    result = run_timeline("check", "--content", content, "--strict")
    assert result.returncode == 0, result.stderr
    assert "checked 3 valid event(s)" in result.stderr


def test_body_headings_follow_the_page_title_without_skipped_levels():
    from generator.convert import markdown_to_html

    assert markdown_to_html("# Top\n\n### Deep\n") == "<h2>Top</h2>\n<h3>Deep</h3>"
    assert markdown_to_html("## Already\n\n### In order\n") == "<h2>Already</h2>\n<h3>In order</h3>"
    assert markdown_to_html("#### Alone\n") == "<h2>Alone</h2>"
