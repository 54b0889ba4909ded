"""The reader's site in real Chromium: the in-place filter, its URL state, keyboard use,
axe-core's WCAG 2.2 AA rules in both colour schemes, and reading without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from conftest import FIXTURES, ROOT, paged_reader, run_timeline

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
EVENT = "events/2023-07-14-sag-aftra-strike-begins/"
FACET = "organizations/sag-aftra/"


def built(folder: Path, content: Path, *extra: str) -> Path:
    out = folder / "site"
    result = run_timeline("build", "--content", content, "--output", out, *extra)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built(tmp_path_factory.mktemp("reader-browser"), FIXTURES / "reader",
                 "--base-url", "https://example.org/ai-timeline/")


@pytest.fixture
def base(site, static_server) -> str:
    """Served as a project site under /ai-timeline/, as GitHub Pages would."""
    return static_server(site, "/ai-timeline/")


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory) -> Path:
    return built(tmp_path_factory.mktemp("shipped-browser"), ROOT / "content",
                 "--repository-url", "https://github.com/example/ai-timeline")


def shown_titles(page) -> list[str]:
    return page.locator("article.card:visible .card-title").all_inner_texts()


def test_filter_by_category_and_year_shows_matching_cards_and_announces_the_count(page, base):
    page.goto(base)
    status = page.locator("#filter-status")
    assert page.locator("#filters").is_visible()
    assert status.get_attribute("role") == "status"
    expect(status).to_have_text("Showing all 15 events.")
    page.select_option("#filter-category", "labor")
    expect(status).to_have_text("Showing 6 of 15 events.")
    assert all(c == "Labor" for c in page.locator("article.card:visible .category").all_inner_texts())
    page.select_option("#filter-year", "2023")
    expect(status).to_have_text("Showing 4 of 15 events.")
    assert shown_titles(page) == [
        "Writers Guild of America strikes; AI limits among its rejected demands",
        "SAG-AFTRA begins TV/theatrical strike with AI replicas a central issue",
        "WGA ends 148-day strike under a tentative deal with first AI rules for writers",
        "SAG-AFTRA reaches tentative deal with first AI digital-replica protections, ending strike",
    ]
    # the matches stand in for the timeline, under their year's heading
    assert page.locator("#unfiltered").is_hidden()
    assert page.locator("#filter-results section.year h2").all_inner_texts() == ["2023 4 events"]
    page.select_option("#filter-tag", "video-games")
    expect(status).to_contain_text("No events match")
    page.get_by_role("button", name="Clear filters").click()
    expect(status).to_have_text("Showing all 15 events.")
    assert len(shown_titles(page)) == 15 and page.locator("#filter-results").is_hidden()


def test_organization_work_and_tag_filters(page, base):
    page.goto(base)
    page.select_option("#filter-organization", "sag-aftra")
    expect(page.locator("#filter-status")).to_have_text("Showing 4 of 15 events.")
    page.select_option("#filter-organization", "")
    page.select_option("#filter-work", "el-eternauta-the-eternaut")
    expect(page.locator("#filter-status")).to_have_text("Showing 1 of 15 events.")
    assert shown_titles(page) == ["Netflix says El Eternauta used generative AI in final footage, a first for the streamer"]
    page.select_option("#filter-work", "")
    page.select_option("#filter-tag", "voice")
    expect(page.locator("#filter-status")).to_have_text("Showing 2 of 15 events.")
    assert len(shown_titles(page)) == 2


def test_the_url_keeps_the_state_through_reload_back_and_a_shared_link(page, base):
    page.goto(base)
    status = page.locator("#filter-status")
    page.select_option("#filter-category", "labor")
    page.select_option("#filter-year", "2023")
    expect(status).to_have_text("Showing 4 of 15 events.")
    assert parse_qs(urlsplit(page.url).query) == {"category": ["labor"], "year": ["2023"]}
    page.reload()
    assert page.locator("#filter-category").input_value() == "labor"
    assert page.locator("#filter-year").input_value() == "2023"
    expect(status).to_have_text("Showing 4 of 15 events.")
    page.go_back()  # to category only
    assert parse_qs(urlsplit(page.url).query) == {"category": ["labor"]}
    expect(status).to_have_text("Showing 6 of 15 events.")
    assert page.locator("#filter-year").input_value() == ""
    page.go_back()  # to no filter
    assert urlsplit(page.url).query == ""
    expect(status).to_have_text("Showing all 15 events.")
    # a link someone shared opens on the same view; an unknown value is ignored, not fatal
    page.goto(base + "?tag=strike&organization=no-such-company")
    expect(status).to_have_text("Showing 3 of 15 events.")


def tab_through(page, limit: int = 400) -> list[str]:
    """Press Tab until focus comes back round; a description of each element reached."""
    reached = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        key = page.evaluate("""() => { const e = document.activeElement;
            return e === document.body ? 'body' : e.tagName + '|' + (e.id || e.getAttribute('href') || e.textContent.trim()); }""")
        if reached and key == reached[0]:
            break
        reached.append(key)
    return reached


def controls(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('a[href], select, button, summary, input')]
        .filter(e => e.getClientRects().length && e.tabIndex >= 0)
        .map(e => e.tagName + '|' + (e.id || e.getAttribute('href') || e.textContent.trim()))""")


@pytest.mark.parametrize("path", ["", EVENT, FACET])
def test_keyboard_alone_reaches_every_control(page, base, path):
    page.goto(base + path)
    reached = tab_through(page)
    missing = [c for c in controls(page) if c not in reached]
    assert missing == []
    assert reached[0] == "A|#main"  # the skip link comes first
    if not path:
        assert "SELECT|filter-category" in reached and "BUTTON|Clear filters" in reached
        # a select works from the keyboard: the filter follows
        page.focus("#filter-category")
        page.keyboard.press("ArrowDown")
        expect(page.locator("#filter-status")).to_have_text("Showing 3 of 15 events.")  # production


def test_focus_is_visible(page, base):
    page.goto(base)
    for _ in range(3):
        page.keyboard.press("Tab")
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
        assert float(outline.removesuffix("px")) >= 2


@pytest.mark.parametrize("path", ["", EVENT, FACET, "people/"])
def test_nothing_overflows_a_320_px_screen(browser, base, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(base + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_skip_link_moves_focus_to_main(page, base):
    page.goto(base + EVENT)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def axe_violations(browser, url: str, scheme: str) -> list[str]:
    """axe-core's WCAG 2.2 AA rules on a page: light on a desktop, dark on a phone."""
    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 900}
                                  if scheme == "dark" else {"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    if "?" in url:  # the filter in use: wait for what it found
        page.locator("#filter-results article.card").first.wait_for()
    if page.locator("details.overview-table summary").count():
        page.locator("details.overview-table summary").click()  # check the table too
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    context.close()
    assert len(results.response["passes"]) > 10  # axe did run its rules
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", EVENT, FACET, "categories/", "about/"])
def test_axe_finds_no_wcag_22_aa_violation(browser, base, path, scheme):
    assert axe_violations(browser, base + path, scheme) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "events/2023-09-27-wga-strike-ends/", "organizations/sag-aftra/", "people/", "about/"])
def test_axe_on_the_shipped_content(browser, shipped_site, static_server, path, scheme):
    assert axe_violations(browser, static_server(shipped_site) + path, scheme) == []


def test_reads_without_javascript(browser, base):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base)
    assert page.locator("#filters").is_hidden()  # no control that cannot work
    assert len(shown_titles(page)) == 15
    assert page.locator(".overview svg .ov-bar").count() > 10  # the chart needs no script
    page.get_by_role("link", name="categories", exact=True).click()
    page.get_by_role("link", name="Labor").click()
    assert page.locator("h1").inner_text() == "Labor" and len(shown_titles(page)) == 6
    page.get_by_role("link", name="SAG-AFTRA begins TV/theatrical strike with AI replicas a central issue").click()
    assert page.get_by_role("heading", name="Cite this event").is_visible()
    page.locator("a[rel=next]").click()
    assert page.locator("h1").inner_text().startswith("WGA ends 148-day strike")
    context.close()


@pytest.mark.parametrize("path", ["", EVENT, FACET])
def test_pages_load_their_own_files_without_a_csp_violation(page, base, path):
    problems = []
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    assert problems == []
    assert hosts == {urlsplit(base).netloc}  # nothing from another host
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Charter")  # the stylesheet applied


# The paged site: the home page shows 2024 and 2025 (7 of 15 events), lists hold 4 events a page,
# and the filter shows 2 at a time (conftest.paged_reader).

@pytest.fixture(scope="module")
def paged_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("paged-browser")
    return built(folder, paged_reader(folder / "content"), "--base-url", "https://example.org/ai-timeline/")


@pytest.fixture
def paged_base(paged_site, static_server) -> str:
    return static_server(paged_site, "/ai-timeline/")


def index_requests(page) -> list[str]:
    requests = []
    page.on("request", lambda request: request.url.endswith("/filter.json") and requests.append(request.url))
    return requests


def test_the_filter_covers_events_beyond_the_home_page_and_shows_more_on_request(page, paged_base):
    requests = index_requests(page)
    page.goto(paged_base)
    status = page.locator("#filter-status")
    expect(status).to_have_text("Showing the 7 newest of 15 events. Choose a filter to search them all.")
    assert len(shown_titles(page)) == 7
    page.wait_for_load_state("networkidle")
    assert requests == []  # the index waits for the reader to use the filter
    page.select_option("#filter-category", "labor")
    expect(status).to_have_text("6 of 15 events match. Showing the first 2.")
    # 2023 is not on the home page: these come from the index, as the same cards
    assert shown_titles(page) == ["Writers Guild of America strikes; AI limits among its rejected demands",
                                  "SAG-AFTRA begins TV/theatrical strike with AI replicas a central issue"]
    assert page.locator("#filter-results section.year h2").all_inner_texts() == ["2023 4 events"]
    more = page.get_by_role("button", name="Show more events")
    more.click()
    expect(status).to_have_text("6 of 15 events match. Showing the first 4.")
    # focus moves to the first new card, so the reader reads on from there
    assert page.evaluate("document.activeElement.textContent") == \
        "WGA ends 148-day strike under a tentative deal with first AI rules for writers"
    page.keyboard.press("Shift+Tab")
    more.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard works it
    expect(status).to_have_text("Showing 6 of 15 events.")
    assert more.is_hidden() and len(shown_titles(page)) == 6
    assert page.locator("#filter-results section.year h2").all_inner_texts() == ["2023 4 events", "2024 1 event",
                                                                                  "2025 1 event"]
    page.select_option("#filter-year", "2023")
    expect(status).to_have_text("4 of 15 events match. Showing the first 2.")
    assert len(requests) == 1  # fetched once


def test_a_found_card_is_the_card_of_the_static_pages(page, paged_base):
    page.goto(paged_base + "categories/labor/")
    static = page.locator("article.card").first
    expected = (static.inner_html(), static.get_attribute("class"))
    page.goto(paged_base + "?category=labor")
    found = page.locator("#filter-results article.card").first
    expect(found).to_be_visible()
    normalise = lambda html: re.sub(r'\s+|<div class="card-(organizations|works)">', " ", html).replace("<div>", " ")
    assert normalise(found.inner_html()) == normalise(expected[0]) and found.get_attribute("class") == expected[1]


def test_a_shared_filtered_link_loads_the_index_at_once_under_the_prefix(page, paged_base):
    requests = index_requests(page)
    page.goto(paged_base + "?year=2016")
    expect(page.locator("#filter-status")).to_have_text("Showing 1 of 15 events.")
    assert shown_titles(page) == ["Sunspring, a short film with an AI-generated screenplay, is released online"]
    assert requests == [paged_base + "filter.json"]
    link = page.locator("#filter-results .card-title a").get_attribute("href")
    assert link == "/ai-timeline/events/2016-06-09-sunspring-ai-written-short/"


def test_paged_lists_read_without_javascript(browser, paged_base):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(paged_base)
    assert page.locator("#filters").is_hidden() and len(shown_titles(page)) == 7
    # home → a year's second page → its event: two clicks
    page.get_by_role("link", name="2023, page 2").click()
    assert page.locator("h1").inner_text() == "2023 page 2 of 2"
    assert shown_titles(page) == ["SAG-AFTRA reaches tentative deal with first AI digital-replica protections, ending strike"]
    page.get_by_role("link", name=shown_titles(page)[0]).click()
    assert page.get_by_role("heading", name="Cite this event").is_visible()
    # a category's pages, one after the other
    page.goto(paged_base + "categories/labor/")
    assert len(shown_titles(page)) == 4
    page.get_by_role("navigation", name="Pages of Labor").get_by_role("link", name="Next page").click()
    assert urlsplit(page.url).path == "/ai-timeline/categories/labor/page/2/" and len(shown_titles(page)) == 2
    page.locator("a[rel=prev]").first.click()
    assert urlsplit(page.url).path == "/ai-timeline/categories/labor/"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "?category=labor", "categories/labor/page/2/", "years/2023/"])
def test_axe_on_the_paged_site_and_the_filter_in_use(browser, paged_base, path, scheme):
    assert axe_violations(browser, paged_base + path, scheme) == []


@pytest.mark.parametrize("path", ["?category=labor", "categories/labor/"])
def test_paged_views_fit_a_320_px_screen(browser, paged_base, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(paged_base + path)
    page.locator("article.card").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
