"""The reader's pages as built from the `reader` fixture (15 real events, three eras, a page):
home with overview and eras, event pages, facet and index pages, links and HTML validity."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import FIXTURES, ROOT, run_timeline

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ETERNAUTA = "2025-07-17-netflix-eternaut-genai-final-footage"


def build(content: Path, out: Path, *extra: str) -> Path:
    result = run_timeline("build", "--content", content, "--output", out, *extra)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build(FIXTURES / "reader", tmp_path_factory.mktemp("reader") / "site")


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory) -> Path:
    """The shipped content, as the Pages workflow builds it."""
    return build(ROOT / "content", tmp_path_factory.mktemp("shipped") / "site",
                 "--base-url", "https://example.org/ai-timeline/",
                 "--repository-url", "https://github.com/example/ai-timeline")


@pytest.fixture(scope="module")
def prefixed_site(tmp_path_factory) -> Path:
    """Built for a project site: every link must carry the /ai-timeline/ prefix."""
    return build(FIXTURES / "reader", tmp_path_factory.mktemp("prefixed") / "site",
                 "--base-url", "https://example.org/ai-timeline/")


class Links(HTMLParser):
    """Every href/src of a page, and every id it defines."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append(attrs[name])


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text())
    return parser


def test_home_has_overview_with_bars_eras_and_year_links(site):
    home = (site / "index.html").read_text()
    svg = home[home.index("<svg"):home.index("</svg>")]
    # 2023 holds five fixture events: four labor, one production, stacked as two bars
    column = svg[svg.index('<a href="/years/2023/"'):]
    column = column[:column.index("</a>")]
    assert "2023: 5 events (1 Production, 4 Labor)" in column
    assert column.count('class="ov-bar category-labor"') == 1 and 'class="ov-bar category-production"' in column
    # the three eras are bands with labels; years without events get no link
    assert [m for m in re.findall(r'class="ov-era-label"[^>]*>([^<]+)<', svg)] == [
        "2023 WGA strike", "2023 SAG-AFTRA strike", "Video-game performers&#39; strike"]
    assert 'href="/years/2017/"' not in svg and ">2017</text>" in svg
    # narrow screens show numbered keys in the bands; the caption names them
    assert re.findall(r'class="ov-era-key"[^>]*>(\d)<', svg) == ["1", "2", "3"]
    assert '<span class="era-key">2</span> <a href="#era-sag-aftra-strike-2023">2023 SAG-AFTRA strike</a>' in home
    # no inline style anywhere: the CSP would block it
    assert "style=" not in home
    # the text alternative: a table with a row per year that has events
    table = home[home.index("<table"):home.index("</table>")]
    assert re.search(r'<th scope="row"><a href="/years/2023/">2023</a></th>\s*<td>1</td>\s*<td>4</td>', table)
    assert table.count('<th scope="row">') == 6


def test_eras_appear_where_they_start_and_end(site):
    home = (site / "index.html").read_text()
    year = home[home.index('id="y2023"'):home.index('id="y2024"')]
    order = re.findall(r'class="era-mark era-(start|end)">\s*<p class="era-label">.*?href="#era-([a-z0-9-]+)"'
                       r'|href="/events/([^/]+)/"', year)
    flat = [f"{edge}:{era}" if edge else event for edge, era, event in order]
    assert flat == [
        "start:wga-strike-2023", "2023-05-02-wga-strike-begins-ai-demands",
        "2023-06-21-secret-invasion-ai-opening-titles",
        "start:sag-aftra-strike-2023", "2023-07-14-sag-aftra-strike-begins",
        "2023-09-27-wga-tentative-agreement-ai-terms", "end:wga-strike-2023",
        "2023-11-08-sag-aftra-2023-tentative-deal-ai", "end:sag-aftra-strike-2023",
    ]
    # each era once, in the list of eras that the marks, the chart and the event pages link to
    eras = home[home.index('<section class="eras"'):]
    assert re.findall(r'<li class="era-item" id="era-([a-z0-9-]+)">', eras) == [
        "wga-strike-2023", "sag-aftra-strike-2023", "video-game-strike-2024"]
    assert home.count('id="era-sag-aftra-strike-2023"') == 1 and "for 118 days" in eras


def test_home_has_a_hidden_filter_over_an_index_of_every_event(site):
    home = (site / "index.html").read_text()
    assert re.search(r'<form class="filters" id="filters" hidden aria-labelledby="filters-title"\s+'
                     r'data-index="/filter.json" data-batch="50" data-total="15" data-shown="15">', home)
    assert '<p class="filter-status" id="filter-status" role="status"></p>' in home
    assert '<option value="sag-aftra">SAG-AFTRA (4)</option>' in home
    assert '<script type="module" src="/static/filter.js"></script>' in home
    assert all((site / "static" / name).exists() for name in ("filter.js", "card.js"))
    # the empty card the script fills in is the event_card macro's, with every part it may fill
    template = home[home.index('<template id="template-card">'):]
    template = template[:template.index("</template>")]
    for part in ('<article class="card">', '<p class="card-meta"><time datetime="2000">2000</time>', 'class="card-title"',
                 'class="card-summary"', 'class="card-organizations"', 'class="card-works"', 'class="card-sources"'):
        assert part in template
    # the index holds every event, in time order, with its card's text and its facets' numbers
    index = json.loads((site / "filter.json").read_text())
    assert index["keys"] == ["category", "year", "organization", "work", "tag"]
    events, values = index["events"], index["values"]
    assert len(events["url"]) == 15 and all(len(column) == 15 for column in events.values())
    n = events["url"].index(f"/events/{ETERNAUTA}/")
    assert events["title"][n] == "Netflix says El Eternauta used generative AI in final footage, a first for the streamer"
    assert (events["datetime"][n], events["date"][n], events["end"][n]) == ("2025-07-17", "17 July 2025", None)
    named = [[values[key][number][0] for number in numbers] for key, numbers in zip(index["keys"], events["facets"][n])]
    assert named == [["production"], ["2025"], ["netflix", "eyeline-studios"],
                     ["el-eternauta-the-eternaut", "happy-gilmore-2", "billionaires-bunker"], ["vfx", "streaming"]]
    assert values["category"][1] == ["labor", "Labor", "/categories/labor/"]
    assert events["datetime"] == sorted(events["datetime"])


def test_event_page_has_eras_sources_caveat_citation_and_neighbours(site):
    page = (site / "events/2023-07-14-sag-aftra-strike-begins/index.html").read_text()
    assert re.search(r'During <a href="/#era-wga-strike-2023">2023 WGA strike</a>.*'
                     r'<a href="/#era-sag-aftra-strike-2023">2023 SAG-AFTRA strike</a>', page)
    assert '<a rel="prev" href="/events/2023-06-21-secret-invasion-ai-opening-titles/">' in page
    assert '<a rel="next" href="/events/2023-09-27-wga-tentative-agreement-ai-terms/">' in page
    today = dt.date.today()
    assert f'(accessed <time datetime="{today.isoformat()}">{today.day} {today:%B %Y}</time>)' in page
    vader = (site / "events/2022-09-james-earl-jones-respeecher-vader/index.html").read_text()
    assert '<aside class="caveat" aria-labelledby="caveat-title">' in vader and "Tech ARP argues" in vader
    assert '<time datetime="2022-09">September 2022</time>' in vader
    eternauta = (site / f"events/{ETERNAUTA}/index.html").read_text()
    assert ('(<a href="https://web.archive.org/web/2025/https://financialbooklet.com/news/'
            'netflix-nflx-q2-2025-earnings-call-transcript" rel="noopener noreferrer">archived copy</a>)') in eternauta
    assert '<p class="checked">Sources checked on <time datetime="2026-12-01">1 December 2026</time>.</p>' in page
    # related: the listed event first, then those sharing an organization or work
    wga = (site / "events/2023-05-02-wga-strike-begins-ai-demands/index.html").read_text()
    related = re.findall(r'href="/events/([^/]+)/"', wga[wga.index('id="related"'):wga.index("prev-next")])
    assert related[0] == "2023-09-27-wga-tentative-agreement-ai-terms" and len(related) >= 2


def test_event_page_meta_canonical_open_graph_and_json_ld(prefixed_site):
    page = (prefixed_site / f"events/{ETERNAUTA}/index.html").read_text()
    url = f"https://example.org/ai-timeline/events/{ETERNAUTA}/"
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
    assert data["@type"] == "Article" and data["url"] == url
    assert data["about"]["startDate"] == "2025-07-17"
    assert {"@type": "CreativeWork", "name": "El Eternauta (The Eternaut)"} in data["mentions"]
    assert data["citation"][3]["archivedAt"].startswith("https://web.archive.org/")
    assert f"In <cite>AI in Hollywood: a timeline</cite>. {url} (accessed" in page


def test_a_title_cannot_break_out_of_the_json_ld(tmp_path, fixture_copy):
    content = fixture_copy("reader")
    event = content / f"events/2025/{ETERNAUTA}.md"
    hostile = "</script><script>alert(1)</script> & <!-- Netflix"
    text = event.read_text().replace(
        "title: Netflix says El Eternauta used generative AI in final footage, a first for the streamer",
        f"title: '{hostile}'")
    event.write_text(text)
    page = (build(content, tmp_path / "site") / f"events/{ETERNAUTA}/index.html").read_text()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
    assert "<" not in script and json.loads(script)["headline"] == hostile
    assert "<script>alert" not in page


def test_facet_pages_group_by_year_and_index_pages_count(site):
    sag = (site / "organizations/sag-aftra/index.html").read_text()
    assert "<h1>SAG-AFTRA</h1>" in sag and "4 events, 2023 to 2025." in sag
    assert re.findall(r'<h2 id="y(\d{4})">', sag) == ["2023", "2024", "2025"]
    year = (site / "years/2024/index.html").read_text()
    assert 'Eras this year: <a href="/#era-video-game-strike-2024">' in year
    assert '<a rel="prev" href="/years/2023/">' in year and '<a rel="next" href="/years/2025/">' in year
    index = (site / "organizations/index.html").read_text()
    assert re.search(r'<a href="/organizations/sag-aftra/">SAG-AFTRA</a> <span class="count">4 events</span>', index)
    categories = (site / "categories/index.html").read_text()
    assert "Unions, guilds, strikes and contracts" in categories
    assert (site / "about/index.html").read_text().count("<h1") == 1


def test_long_indexes_are_grouped_by_letter(site):
    people = (site / "people/index.html").read_text()
    letters = re.findall(r'<h2 id="letter-([a-z])">', people)
    assert len(letters) > 5 and letters == sorted(letters)
    assert re.search(r'<h2 id="letter-f">F</h2>\s*<ul class="facet-index" role="list">\s*<li><a href="/people/fran-drescher/">', people)


def test_names_that_slug_alike_get_their_own_pages(tmp_path, fixture_copy):
    content = fixture_copy("reader")
    event = content / f"events/2025/{ETERNAUTA}.md"
    event.write_text(event.read_text().replace("- Eyeline Studios\n", "- Eyeline Studios\n- Eyeline-Studios\n"))
    out = build(content, tmp_path / "site")
    pages = sorted(p.parent.name for p in (out / "organizations").glob("eyeline-studios*/index.html"))
    assert len(pages) == 2 and pages[0] == "eyeline-studios"
    names = {(out / "organizations" / p / "index.html").read_text().split("<h1>")[1].split("</h1>")[0] for p in pages}
    assert names == {"Eyeline Studios", "Eyeline-Studios"}


@pytest.mark.parametrize("which", ["site", "prefixed_site", "shipped_site"])
def test_every_internal_link_resolves(which, request):
    out: Path = request.getfixturevalue(which)
    prefix = "/" if which == "site" else "/ai-timeline/"
    pages = {p: parse(p) for p in out.rglob("*.html")}
    checked = 0
    for page, parsed in pages.items():
        for link in parsed.links:
            if not urlsplit(link).scheme and not link.startswith(("/", "#")):
                # a relative link written in a content page (../about/) resolves from the page's own URL
                link = urljoin(prefix + page.relative_to(out).as_posix(), link)
            parts = urlsplit(link)
            if parts.scheme in ("http", "https") and parts.netloc != "example.org" or parts.scheme == "mailto":
                continue
            if not parts.path:  # a fragment on this page
                target = page
            else:
                assert parts.path.startswith(prefix), f"{page}: {link} lacks the base path"
                target = out / unquote(parts.path[len(prefix):])
                target = target / "index.html" if parts.path.endswith("/") else target
            assert target.is_file(), f"{page.relative_to(out)}: {link} does not resolve"
            if parts.fragment:
                assert parts.fragment in pages[target].ids, f"{page.relative_to(out)}: {link}: no such anchor"
            checked += 1
    assert checked > 1000


def java() -> str | None:
    return shutil.which("java")


@pytest.mark.parametrize("which", ["site", "shipped_site"])
def test_nu_html_checker_reports_no_error(which, request):
    site: Path = request.getfixturevalue(which)
    if not (java() and VNU.exists()):
        message = "the Nu HTML checker needs Java and node_modules/vnu-jar (make test installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run([java(), "-jar", str(VNU), "--errors-only", "--skip-non-html", "--format", "json",
                             str(site)], capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
              for m in messages if m["type"] == "error"]
    assert errors == []
    assert len(list(site.rglob("*.html"))) > 100  # the checker saw every page


def test_page_sections_written_with_two_hashes_follow_the_title_in_order(site):
    about = (site / "about/index.html").read_text()
    assert "<h2>What is in scope</h2>" in about and "<h3" not in about
