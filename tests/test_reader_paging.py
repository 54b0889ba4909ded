"""Pages that stay light as the timeline grows: the home page's window of the newest years, long
lists split into numbered pages, and every event within two clicks of home without JavaScript.
Built from the `reader` fixture with small limits (conftest.paged_reader)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import paged_reader, run_timeline
from generator.collect import YearBlock
from generator.paging import recent
from sitekit import PageParser, crawl, fetch, sitemap_locs

PUBLIC = "https://example.org/ai-timeline/"
LABOR = [  # the six labor events, in time order
    "2023-05-02-wga-strike-begins-ai-demands", "2023-07-14-sag-aftra-strike-begins",
    "2023-09-27-wga-tentative-agreement-ai-terms", "2023-11-08-sag-aftra-2023-tentative-deal-ai",
    "2024-07-26-sag-aftra-video-game-strike-begins", "2025-07-09-sag-aftra-video-game-agreement-ratified",
]


def build(content: Path, out: Path, *extra: str) -> Path:
    result = run_timeline("build", "--content", content, "--output", out, "--no-search", *extra)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def paged(tmp_path_factory) -> Path:
    """Built for a project site under /ai-timeline/."""
    folder = tmp_path_factory.mktemp("paged")
    return build(paged_reader(folder / "content"), folder / "site", "--base-url", PUBLIC)


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text()


def event_links(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="/ai-timeline/events/([^/]+)/"', html)


def test_a_long_list_is_split_into_numbered_pages_with_prev_next_and_canonical_links(paged):
    first, second = read(paged, "categories/labor"), read(paged, "categories/labor/page/2")
    assert event_links(first) + event_links(second) == LABOR
    assert len(event_links(first)) == 4 and not (paged / "categories/labor/page/3").exists()
    assert '<link rel="canonical" href="https://example.org/ai-timeline/categories/labor/">' in first
    assert '<link rel="canonical" href="https://example.org/ai-timeline/categories/labor/page/2/">' in second
    assert '<link rel="next" href="https://example.org/ai-timeline/categories/labor/page/2/">' in first
    assert '<link rel="prev" href="https://example.org/ai-timeline/categories/labor/">' in second
    assert 'rel="prev"' not in first and 'rel="next"' not in second
    # the page count, the pager, and titles that tell the pages apart
    assert "6 events, 2023 to 2025, on 2 pages. This is page 1:" in first
    assert re.search(r'<a rel="next" href="/ai-timeline/categories/labor/page/2/">Next', first)
    assert re.search(r'<a href="/ai-timeline/categories/labor/" aria-current="page"><span class="visually-hidden">Page </span>1</a>', first)
    assert re.search(r'<a rel="prev" href="/ai-timeline/categories/labor/">Previous', second)
    assert "<title>Labor, page 2 of 2 · Categories" in second and "<title>Labor · Categories" in first
    # a short list stays one page, with no pager
    tech = read(paged, "categories/technology")
    assert 'class="pager"' not in tech and "on 2 pages" not in tech


def test_a_long_year_keeps_its_year_links_without_taking_rel(paged):
    first, second = read(paged, "years/2023"), read(paged, "years/2023/page/2")
    assert len(event_links(first)) == 4 and len(event_links(second)) == 1
    # a year over two pages says so in its heading on both
    assert '<h2 id="y2023">2023 <span class="count">4 of 5 events here</span>' in first
    assert '<h2 id="y2023">2023 <span class="count">1 of 5 events here</span>' in second
    assert '<a rel="next" href="/ai-timeline/years/2023/page/2/">' in first
    assert re.search(r'<a href="/ai-timeline/years/2024/"><span class="direction">Next year', second)
    short = read(paged, "years/2024")  # four events: one page, and the year links are its prev and next
    assert '<a rel="next" href="/ai-timeline/years/2025/">' in short


def test_the_sitemap_lists_every_page_of_a_list(paged):
    locs = sitemap_locs((paged / "sitemap.xml").read_bytes())
    assert {PUBLIC + "categories/labor/page/2/", PUBLIC + "years/2023/page/2/"} <= set(locs)
    pages = {p.relative_to(paged).as_posix() for p in paged.rglob("index.html")}
    assert len(locs) == len(pages)


def test_home_shows_the_newest_whole_years_and_links_every_year_and_page(paged):
    home = read(paged, "")
    assert re.findall(r'<h2 id="y(\d{4})">', home) == ["2024", "2025"]  # 7 events: 2023 would make 12 > 8
    assert len(event_links(home)) == 7
    assert "The newest 7 are below" in home
    years = home[home.index('id="years"'):home.index("</section>", home.index('id="years"'))]
    rows = re.findall(r'<li><a href="/ai-timeline/years/(\d{4})/">\1</a> <span class="count">(\d+) events?</span>', years)
    assert rows == [("2016", "1"), ("2021", "1"), ("2022", "1"), ("2023", "5"), ("2024", "4"), ("2025", "3")]
    assert 'href="/ai-timeline/years/2023/page/2/"><span class="visually-hidden">2023, page </span>2</a>' in years
    assert '<form class="filters" id="filters" hidden' in home and 'data-total="15" data-shown="7"' in home


def test_every_event_is_within_two_clicks_of_home(paged):
    """Every event page is linked from a list page that home links (not only by way of the
    previous and next links of event pages, which would reach them all)."""
    home_url = PUBLIC
    reached = set()

    def links(url: str) -> list[str]:
        page = PageParser()
        page.feed((paged / url[len(PUBLIC):] / "index.html").read_text())
        return [urljoin(url, link.replace("/ai-timeline/", PUBLIC, 1)) for link in page.links
                if link.startswith("/ai-timeline/") and "#" not in link and not link.endswith((".css", ".svg", ".js", ".json", ".xml"))]
    for first in links(home_url):
        if "/events/" not in first and (paged / first[len(PUBLIC):] / "index.html").exists():
            reached.update(links(first))
    events = {f"{PUBLIC}events/{p.parent.name}/" for p in (paged / "events").glob("*/index.html")}
    assert len(events) == 15 and events <= reached


def test_the_newest_year_alone_too_long_for_home_shows_its_latest_events(tmp_path):
    content = paged_reader(tmp_path / "content")
    (content / "site.yaml").write_text("home_events: 2\n")
    home = read(build(content, tmp_path / "site"), "")
    assert re.findall(r'<h2 id="y(\d{4})">', home) == ["2025"]
    assert re.findall(r'<h3 class="card-title"><a href="/events/([^/]+)/"', home) == [
        "2025-07-09-sag-aftra-video-game-agreement-ratified", "2025-07-17-netflix-eternaut-genai-final-footage"]
    assert "the newest 2 of 3 events" in home and '<a href="/years/2025/">All 3 events of 2025</a>' in home


def test_a_limit_below_one_is_refused(tmp_path):
    content = paged_reader(tmp_path / "content")
    (content / "site.yaml").write_text("page_events: 0\n")
    result = run_timeline("check", "--content", content)
    assert result.returncode == 1 and "page_events" in result.stdout + result.stderr


def block(year: int, events: int) -> YearBlock:
    items = [f"{year}-{n}" for n in range(events)]
    return YearBlock(str(year), items, list(items))


@pytest.mark.parametrize("limit, shown", [(100, ["2020:3", "2021:5", "2022:4"]), (9, ["2021:5", "2022:4"]),
                                          (8, ["2022:4"]), (4, ["2022:4"]), (3, ["2022:3"]), (1, ["2022:1"])])
def test_recent_takes_whole_years_while_they_fit(limit, shown):
    blocks = [block(2020, 3), block(2021, 5), block(2022, 4)]
    got = recent(blocks, limit)
    assert [f"{b.year}:{len(b.events)}" for b in got] == shown
    assert sum(len(b.events) for b in got) <= limit
    assert got[-1].events[-1] == "2022-3"  # always up to the newest
    assert recent([], 5) == []


def test_every_link_of_the_paged_site_works_under_its_prefix(paged, static_server):
    base = static_server(paged, "/ai-timeline/")
    status, kind, body = fetch(base + "filter.json")  # what the home page's data-index names
    index = json.loads(body)
    linked = index["events"]["url"] + [value[2] for values in index["values"].values() for value in values]
    assert status == 200 and kind == "application/json" and all(url.startswith("/ai-timeline/") for url in linked)
    crawled = crawl(base, PUBLIC, [base] + [urljoin(base, url) for url in linked])
    assert crawled.broken == [] and crawled.escaping == [] and crawled.missing_anchors == []
    assert {base + "categories/labor/page/2/", base + "years/2023/page/2/"} <= crawled.fetched
