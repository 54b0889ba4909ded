"""The built site works where it is served: under /<repo>/ (a project site) and at / (a custom
domain). Served on 127.0.0.1 and crawled: no broken link, none escaping the prefix, a styled 404."""

import json
from urllib.parse import urljoin

import pytest

from conftest import FIXTURES, run_timeline
from sitekit import PageParser, crawl, fetch, sitemap_locs, write_corpus

PUBLIC = "https://example.org/ai-hollywood-timeline/"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """The minimal fixture and a synthetic corpus with awkward names."""
    return {"minimal": FIXTURES / "minimal",
            "synthetic": write_corpus(tmp_path_factory.mktemp("synthetic"), 40)}


@pytest.mark.parametrize("corpus", ["minimal", "synthetic"])
@pytest.mark.parametrize("prefix", ["/ai-hollywood-timeline/", "/"])
def test_every_link_works_where_the_site_is_served(corpora, corpus, prefix, tmp_path, static_server):
    public = PUBLIC if prefix != "/" else "https://timeline.example.org/"
    out = tmp_path / "site"
    result = run_timeline("build", "--content", corpora[corpus], "--output", out, "--base-url", public,
                          "--repository-url", "https://github.com/example/ai-hollywood-timeline")
    assert result.returncode == 0, result.stderr
    base = static_server(out, prefix)

    sitemap = fetch(base + "sitemap.xml")[2]
    feed = json.loads(fetch(base + "feed.json")[2])
    data = json.loads(fetch(base + "data/events.json")[2])
    entry_points = [base, base + "feed.xml", base + "robots.txt", base + "data/events.csv"]
    linked = sitemap_locs(sitemap) + [item["url"] for item in feed["items"]] + [e["url"] for e in data["events"]]
    assert all(url.startswith(public) for url in linked)
    crawled = crawl(base, public, entry_points + [base + url[len(public):] for url in linked])

    assert crawled.broken == []
    assert crawled.escaping == []
    assert crawled.missing_anchors == []
    html_files = {p.relative_to(out).as_posix() for p in out.rglob("*.html")} - {"404.html"}
    assert len(crawled.pages) == len(html_files)
    # the stylesheet, the feeds and the data page are reached from the pages themselves
    assert {base + "static/style.css", base + "feed.xml", base + "feed.json", base + "data/"} <= crawled.fetched


@pytest.mark.parametrize("prefix", ["/ai-hollywood-timeline/", "/"])
def test_the_404_page_is_styled_at_a_deep_missing_path(tmp_path, static_server, prefix):
    out = tmp_path / "site"
    public = PUBLIC if prefix != "/" else "https://timeline.example.org/"
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out, "--base-url", public).returncode == 0
    base = static_server(out, prefix)
    missing = base + "no/such/event/at/all/"
    status, _, body = fetch(missing)
    assert status == 404
    page = PageParser()
    page.feed(body.decode())
    assert "Page not found" in body.decode()
    [stylesheet] = page.stylesheets
    assert stylesheet == prefix + "static/style.css"
    status, kind, css = fetch(urljoin(missing, stylesheet))
    assert (status, kind) == (200, "text/css") and css == (out / "static/style.css").read_bytes()
    home_links = [link for link in page.links if link == prefix]
    assert home_links, "the 404 page links back to the timeline"
