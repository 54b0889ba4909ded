"""Search: the Pagefind index `timeline build` writes, and the /search/ page driven in Chromium.

The fixture corpus `search` holds nine real events (2022–2025, five categories) with the sources
named in shared/research/factbase.yaml.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import FIXTURES, ROOT, run_timeline

CORPUS = FIXTURES / "search"
EVENT_IDS = sorted(p.stem for p in CORPUS.glob("events/*/*.md"))
ETERNAUTA = "Netflix says El Eternauta used generative AI in final footage"
PREFIXES = ["/", "/ai-timeline/"]  # at a domain's root, and as a GitHub Pages project site


def titles_of(ids):
    return {re.search(r'^title: "(.*)"$', next(CORPUS.glob(f"events/*/{i}.md")).read_text(), re.M).group(1)
            for i in ids}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The fixture corpus built once per base path: prefix → site folder."""
    built = {}
    for prefix in PREFIXES:
        out = tmp_path_factory.mktemp("search-site") / "site"
        result = run_timeline("build", "--content", CORPUS, "--output", out, "--base-url", prefix)
        assert result.returncode == 0, result.stderr
        built[prefix] = out
    return built


# --- the index, read on disk ---------------------------------------------------------------

def test_build_indexes_the_event_pages_only(sites):
    bundle = sites["/"] / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert [lang["page_count"] for lang in entry["languages"].values()] == [len(EVENT_IDS)]
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-worker.js").is_file()


def test_event_pages_carry_filters_sort_and_meta(sites):
    html = (sites["/"] / "events/2025-07-17-netflix-el-eternauta/index.html").read_text()
    assert '<article class="event" data-pagefind-body>' in html
    for field in ["category:production", "year:2025", "organization:netflix", "organization:eyeline-studios",
                  "person:ted-sarandos", "work:el-eternauta", "tag:vfx", "tag:streaming"]:
        assert f'data-pagefind-filter="{field}"' in html
    assert 'data-pagefind-sort="date:2025-07-17"' in html
    assert 'data-pagefind-meta="date:17 July 2025"' in html
    assert re.search(r'<h1 data-pagefind-weight="10">', html)


def test_no_search_skips_the_index(tmp_path):
    out = tmp_path / "site"
    result = run_timeline("build", "--content", CORPUS, "--output", out, "--no-search")
    assert result.returncode == 0, result.stderr
    assert (out / "search/index.html").is_file() and not (out / "pagefind").exists()


def test_a_failed_index_leaves_the_previous_site(tmp_path):
    out = tmp_path / "site"
    assert run_timeline("build", "--content", CORPUS, "--output", out).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # a Pagefind that fails, as a broken install would
    env = os.environ | {"PAGEFIND_BINARY_PATH": "/bin/false"}
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--content", str(FIXTURES / "minimal"),
                             "--output", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 3  # the build could not finish: not a content problem
    assert "search index: Pagefind failed" in result.stderr and "unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".site.new-*"))  # the half-built site was cleaned up


def test_a_site_without_events_builds_without_an_index(tmp_path):
    content = tmp_path / "content"
    (content / "events").mkdir(parents=True)
    result = run_timeline("build", "--content", content, "--output", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "site/pagefind").exists()


# --- the search page in Chromium ------------------------------------------------------------

@pytest.fixture(params=PREFIXES)
def search_site(request, sites, static_server, page):
    """(page, base URL) with the built site served under a prefix; records what a reader's
    browser would complain about and every request it makes."""
    prefix = request.param
    base = static_server(sites[prefix], prefix)
    page.problems = []
    page.requests = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    yield page, base
    origin = base[: base.index("/", len("http://"))]
    assert [u for u in page.requests if not u.startswith(origin + "/")] == [], "a request left the local server"
    assert page.problems == [], "console errors"


def status(page):
    """The live region's text, once the latest search has finished."""
    page.locator('#search-results[aria-busy="false"]').wait_for(state="attached")
    return page.locator("#search-status").inner_text()


def results(page):
    return page.locator("#search-results > li h3").all_inner_texts()


def shown_count(text):
    return int(re.match(r"(\d+) events? found", text).group(1))


def wait_for_url(page, **expected):
    page.wait_for_url(lambda url: all(parse_qs(urlsplit(url).query).get(k) == v for k, v in expected.items()))


def test_eternauta_finds_the_el_eternauta_event_first(search_site):
    page, base = search_site
    page.goto(base + "search/?q=Eternauta")
    assert shown_count(status(page)) >= 1
    assert results(page)[0] == ETERNAUTA
    first = page.locator("#search-results > li").first
    assert first.locator("mark").first.inner_text().lower() == "eternauta"  # the match is marked
    assert first.locator("time").get_attribute("datetime") == "2025-07-17"
    assert "Production" in first.locator(".card-meta").inner_text()
    first.locator("h3 a").click()
    page.wait_for_url(base + "events/2025-07-17-netflix-el-eternauta/")


def test_words_every_event_page_repeats_are_not_indexed(search_site):
    """Each event page ends with "Cite this event" and a citation of itself: indexed, those
    words would match every event."""
    page, base = search_site
    page.goto(base + "search/?q=Cite")
    assert shown_count(status(page)) == 0


def test_the_header_box_leads_to_the_search_page(search_site):
    page, base = search_site
    page.goto(base + "events/2023-05-02-wga-strike-begins/")
    page.get_by_role("searchbox", name="Search events").fill("Eternauta")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "search/?q=Eternauta")
    assert shown_count(status(page)) >= 1
    assert results(page)[0] == ETERNAUTA


def tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_query_and_category_filter_by_keyboard(search_site):
    page, base = search_site
    page.goto(base + "search/")
    assert "Type a word" in status(page)
    page.locator("#search-q").focus()
    page.keyboard.type("studios")  # no Enter: the search runs once typing pauses
    wait_for_url(page, q=["studios"])
    assert shown_count(status(page)) == len(results(page)) == 7
    law = page.get_by_role("checkbox", name=re.compile(r"^Law & policy \(2\)$"))
    tab_to(page, law)
    page.keyboard.press("Space")
    wait_for_url(page, q=["studios"], category=["law-policy"])
    assert shown_count(status(page)) == len(results(page)) == 2
    assert set(results(page)) == titles_of(["2025-06-11-disney-universal-sue-midjourney",
                                            "2025-09-04-warner-bros-discovery-sues-midjourney"])
    cards = page.locator("#search-results article")
    assert cards.count() == 2 and all(c.inner_text().count("Law & policy") == 1 for c in cards.all())
    # the live region says it politely
    assert page.locator("#search-status").get_attribute("role") == "status"


def test_empty_query_with_a_year_lists_that_year_in_time_order(search_site):
    page, base = search_site
    page.goto(base + "search/")
    status(page)
    page.get_by_role("checkbox", name=re.compile(r"^2024 ")).check()
    wait_for_url(page, year=["2024"])
    in_2024 = [i for i in EVENT_IDS if i.startswith("2024-")]
    assert shown_count(status(page)) == len(in_2024) == 3
    assert results(page) == [t for i in in_2024 for t in titles_of([i])]  # file names sort by date
    page.locator("#search-sort").select_option("newest")
    wait_for_url(page, year=["2024"], sort=["newest"])
    status(page)
    assert results(page) == [t for i in reversed(in_2024) for t in titles_of([i])]


def test_state_survives_reload_and_back(search_site):
    page, base = search_site
    page.goto(base + "search/?q=studios")
    assert shown_count(status(page)) == 7
    page.get_by_role("checkbox", name=re.compile(r"^Law & policy ")).check()
    wait_for_url(page, q=["studios"], category=["law-policy"])
    page.reload()
    assert shown_count(status(page)) == 2
    assert page.locator("#search-q").input_value() == "studios"
    assert page.get_by_role("checkbox", name=re.compile(r"^Law & policy ")).is_checked()
    page.go_back()
    wait_for_url(page, q=["studios"], category=None)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Law & policy "))).not_to_be_checked()
    assert shown_count(status(page)) == len(results(page)) == 7


def test_the_csp_lets_pagefind_fall_back_to_the_main_thread(sites, static_server, page, tmp_path):
    # where a worker cannot start, Pagefind runs its WebAssembly in the page: 'wasm-unsafe-eval'
    site = tmp_path / "site"
    shutil.copytree(sites["/"], site)
    search_page = site / "search/index.html"
    html = search_page.read_text()
    assert "worker-src 'self';" in html and "'wasm-unsafe-eval'" in html
    search_page.write_text(html.replace("worker-src 'self';", "worker-src 'none';"))
    page.goto(static_server(site) + "search/?q=Eternauta")
    assert shown_count(status(page)) == 1
    assert results(page) == [ETERNAUTA]


def test_without_javascript_the_form_leads_to_the_browse_pages(browser, sites, static_server):
    base = static_server(sites["/ai-timeline/"], "/ai-timeline/")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base)
    page.get_by_role("searchbox", name="Search events").fill("voice")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "search/?q=voice")
    assert "needs JavaScript" in page.locator("main").inner_text()
    page.get_by_role("link", name="Categories").last.click()
    page.wait_for_url(base + "categories/")
    context.close()


def test_search_page_passes_axe_in_both_schemes(search_site):
    from axe_playwright_python.sync_playwright import Axe

    page, base = search_site
    for scheme in ["light", "dark"]:
        page.emulate_media(color_scheme=scheme)
        page.goto(base + "search/?q=voice")
        status(page)
        page.locator("details[data-key=organization] summary").click()  # an open list of checkboxes too
        report = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]})
        assert report.violations_count == 0, (scheme, report.generate_report())


def test_indexing_stops_when_asked_and_leaves_no_bundle(tmp_path, monkeypatch):
    """The live server stops Pagefind when a new save comes in."""
    import threading

    from generator import index

    site = tmp_path / "site"
    page = site / "events" / "e0" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html><body><article data-pagefind-body><h1>One</h1></article></body></html>")
    stop = threading.Event()
    stop.set()
    with pytest.raises(index.IndexStopped):
        index.index_site(site, ".pagefind-new", stop)
    assert not (site / ".pagefind-new").exists()
    words = " ".join(f"word{i}" for i in range(400))
    for i in range(1, 3000):  # enough pages that Pagefind is still at work when the stop comes
        page = site / "events" / f"e{i}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<html><body><article data-pagefind-body><h1>Event {i}</h1><p>{words} x{i}</p></article></body></html>")
    # A stop is seen the moment it comes, not at the next look at Pagefind: with looks 10 minutes
    # apart, a run stopped after 0.3 s must still end well within the 60 s given here.
    monkeypatch.setattr(index, "STOP_POLL", 600)
    stop, ended = threading.Event(), []

    def run() -> None:
        try:
            index.index_site(site, ".pagefind-new", stop)
        except index.IndexStopped:
            ended.append("stopped")
    indexing = threading.Thread(target=run)
    indexing.start()
    threading.Timer(0.3, stop.set).start()
    indexing.join(timeout=60)
    assert ended == ["stopped"]
    assert not (site / ".pagefind-new" / "pagefind.js").exists()
    assert index.index_site(site, ".pagefind-new") > 0  # not stopped: the bundle is made
    assert (site / ".pagefind-new" / "pagefind.js").is_file()
