"""Open data and feeds, read back as their users read them: feedparser, jsonschema, csv."""

import csv
import datetime as dt
import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import feedparser
import jsonschema
import pytest

from conftest import FIXTURES, run_timeline
from sitekit import NAMES, PageParser, sitemap_locs, write_corpus

PUBLIC = "https://example.org/ai-hollywood-timeline/"
REPO = "https://github.com/example/ai-hollywood-timeline"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The minimal fixture and a synthetic corpus (awkward names), built with a full base URL."""
    root = tmp_path_factory.mktemp("export")
    sites = {}
    for name, content in {"minimal": FIXTURES / "minimal",
                          "synthetic": write_corpus(root / "synthetic", 45)}.items():
        out = root / f"site-{name}"
        result = run_timeline("build", "--content", content, "--output", out, "--base-url", PUBLIC,
                              "--repository-url", REPO)
        assert result.returncode == 0, result.stderr
        sites[name] = out
    return sites


def events_of(site):
    return json.loads((site / "data/events.json").read_text())["events"]


# JSON Feed 1.1 (https://jsonfeed.org/version/1.1), what the spec requires; feedparser 6.0, the
# newest on PyPI, reads Atom but not JSON Feed, so the JSON feed is checked against this instead.
JSON_FEED_11 = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"}, "home_page_url": {"type": "string"}, "feed_url": {"type": "string"},
        "language": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id"],
            "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
            "properties": {
                "id": {"type": "string"}, "url": {"type": "string"}, "title": {"type": "string"},
                "summary": {"type": "string"}, "content_html": {"type": "string"},
                "content_text": {"type": "string"}, "date_published": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        }},
    },
}


def _first_day(date: str) -> str:
    return date + "-01" * ((10 - len(date)) // 3)


def _newest(events, count=30):
    """Added last first (an event without `added` by its date), then the latest by date."""
    added = lambda e: e["added"] or _first_day(e["date"])  # noqa: E731
    return sorted(events, key=lambda e: (added(e), _first_day(e["date"]), e["id"]), reverse=True)[:count]


@pytest.mark.parametrize("corpus", ["minimal", "synthetic"])
def test_atom_feed_parses_without_bozo_and_lists_the_newest_events(built, corpus):
    site = built[corpus]
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert parsed.version == "atom10"
    assert not parsed.bozo, parsed.get("bozo_exception")
    newest = _newest(events_of(site))
    assert [entry.link for entry in parsed.entries] == [e["url"] for e in newest]
    assert [entry.title for entry in parsed.entries] == [e["title"] for e in newest]
    assert len({entry.id for entry in parsed.entries}) == len(newest)
    assert parsed.feed.title == "AI in Hollywood: a timeline"


@pytest.mark.parametrize("corpus", ["minimal", "synthetic"])
def test_json_feed_follows_the_spec_and_lists_the_same_events(built, corpus):
    site = built[corpus]
    feed = json.loads((site / "feed.json").read_text())
    jsonschema.validate(feed, JSON_FEED_11)
    newest = _newest(events_of(site))
    assert [(i["url"], i["title"]) for i in feed["items"]] == [(e["url"], e["title"]) for e in newest]
    for item in feed["items"]:
        assert dt.datetime.fromisoformat(item["date_published"]).tzinfo is not None  # RFC 3339
    atom_ids = [entry.id for entry in feedparser.parse((site / "feed.xml").read_bytes()).entries]
    assert [i["id"] for i in feed["items"]] == atom_ids


def test_atom_feed_escapes_markup_and_keeps_the_body_as_html(built):
    site = built["synthetic"]
    root = ET.parse(site / "feed.xml").getroot()  # well-formed XML, or this raises
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [t.text for t in root.iter(f"{atom}title")]
    assert any("& <b>co</b>" in t for t in titles)  # text, not markup: escaped in the XML
    assert b"<b>co</b>" not in (site / "feed.xml").read_bytes()
    entry = next(e for e in root.iter(f"{atom}entry") if e.find(f"{atom}content") is not None)
    assert entry.find(f"{atom}content").get("type") == "html"
    assert "<strong>bold</strong>" in entry.find(f"{atom}content").text


def test_a_title_with_a_control_character_still_gives_well_formed_feeds(tmp_path, fixture_copy):
    content = fixture_copy("minimal")
    path = content / "events/2023/2023-06-writers-watch.md"
    path.write_text(path.read_text().replace('title: "A month', 'title: "A\\x0b month'))
    out = tmp_path / "site"
    assert run_timeline("build", "--content", content, "--output", out, "--base-url", PUBLIC).returncode == 0
    assert "A\x0b month-precision event for the fixture" in [e["title"] for e in events_of(out)]  # the data keeps it
    assert not feedparser.parse((out / "feed.xml").read_bytes()).bozo
    ET.parse(out / "sitemap.xml")


@pytest.mark.parametrize("corpus", ["minimal", "synthetic"])
def test_json_export_validates_against_the_published_schemas(built, corpus):
    site = built[corpus]
    document = json.loads((site / "data/events.json").read_text())
    jsonschema.validate(document, json.loads((site / "data/events.schema.json").read_text()))
    front_matter = json.loads((site / "data/schema.json").read_text())
    for event in document["events"]:
        fields = {k: v for k, v in event.items() if k not in ("id", "url", "body_html")}
        jsonschema.validate(fields, front_matter)
    assert len(document["events"]) == len(list(site.glob("events/*/index.html")))


def test_json_export_has_every_field_and_the_rendered_body(built):
    [event] = [e for e in events_of(built["minimal"]) if e["id"] == "2025-07-17-netflix-el-eternauta"]
    assert event["url"] == PUBLIC + "events/2025-07-17-netflix-el-eternauta/"
    assert event["date"] == "2025-07-17" and event["people"] == ["Ted Sarandos"]
    assert event["sources"][0]["publisher"] == "Financial Booklet"
    assert "<strong>the first</strong>" in event["body_html"]


def test_a_changed_schema_rejects_the_export(built):
    # the check above can fail: a schema that forbids what the export holds rejects it
    schema = json.loads((built["minimal"] / "data/events.schema.json").read_text())
    schema["$defs"]["ExportedEvent"]["properties"]["url"]["pattern"] = "^ftp:"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads((built["minimal"] / "data/events.json").read_text()), schema)


def _read_csv(site):
    with open(site / "data/events.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _unneutralised(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


@pytest.mark.parametrize("corpus", ["minimal", "synthetic"])
def test_csv_reads_back_to_the_same_events(built, corpus):
    site = built[corpus]
    rows, events = _read_csv(site), events_of(site)
    assert len(rows) == len(events)
    assert any(event["checked"] for event in events)
    for row, event in zip(rows, events):
        row = {k: _unneutralised(v) for k, v in row.items()}
        for column in ("id", "url", "title", "summary", "category", "date"):
            assert row[column] == event[column]
        for column in ("end_date", "caveat", "checked", "added"):
            assert row[column] == (event[column] or "")
        for column in ("tags", "organizations", "people", "works", "related"):
            assert (row[column].split("; ") if row[column] else []) == event[column]
        assert row["sources"].split("; ") == [f"{s['publisher']} <{s['url']}>" for s in event["sources"]]


def test_csv_neutralises_spreadsheet_formulas(built):
    rows = _read_csv(built["synthetic"])
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    formula = NAMES[2]
    assert "'" + formula in cells  # an organizations cell that starts with it
    assert any(c.startswith(f"'{formula}; ") for c in cells)


def test_sitemap_lists_every_page_and_robots_points_at_it(built):
    site = built["synthetic"]
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")} - {"404.html"}
    expected = {PUBLIC + (p[: -len("index.html")] if p.endswith("index.html") else p) for p in pages}
    locs = sitemap_locs((site / "sitemap.xml").read_bytes())
    assert len(locs) == len(set(locs)) and set(locs) == expected
    assert PUBLIC + "data/" in locs
    assert f"Sitemap: {PUBLIC}sitemap.xml" in (site / "robots.txt").read_text().splitlines()


def test_data_page_explains_the_files_and_their_licence(built):
    html = (built["minimal"] / "data/index.html").read_text()
    for path in ("data/events.json", "data/events.csv", "data/schema.json", "feed.xml", "feed.json"):
        assert f'href="/ai-hollywood-timeline/{path}"' in html
    assert "Text CC BY 4.0; code MIT" in html and "all 3 events" in html


def test_edit_and_correction_links_on_an_event_page(built):
    html = (built["minimal"] / "events/2023-05-02-wga-strike-begins/index.html").read_text()
    page = PageParser()
    page.feed(html)
    edit = [l for l in page.links if "/edit/" in l]
    assert edit == [f"{REPO}/edit/main/content/events/2023/2023-05-02-wga-strike-begins.md"]
    [issue] = [l for l in page.links if "/issues/new" in l]
    parts = urlsplit(issue)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{REPO}/issues/new"
    assert parse_qs(parts.query) == {
        "template": ["report-correction.yml"],
        "title": ["Correction: Writers Guild of America goes on strike, with limits on AI among its demands"],
        "event": ["2023-05-02-wga-strike-begins"],
    }
    assert " " not in issue and "," not in parts.query


def test_no_contribution_links_without_a_repository(tmp_path):
    out = tmp_path / "site"
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out).returncode == 0
    html = (out / "events/2023-05-02-wga-strike-begins/index.html").read_text()
    assert "Edit this event" not in html and "/issues/new" not in html


def test_repository_url_must_be_a_web_address(tmp_path):
    result = run_timeline("build", "--content", FIXTURES / "minimal", "--output", tmp_path / "site",
                          "--repository-url", "git@github.com:example/x.git")
    assert result.returncode == 2 and "must be an http or https URL" in result.stderr


WGA, WATCH, ETERNAUTA = "2023-05-02-wga-strike-begins", "2023-06-writers-watch", "2025-07-17-netflix-el-eternauta"


@pytest.fixture
def dated(fixture_copy, tmp_path):
    """The minimal fixture with `added` dates, built for PUBLIC: the strike of 2023, added last
    (2026-11-20, checked 2026-11-25); El Eternauta of 2025 (added and checked 2025-08-01); the
    month-precision event of June 2023 without `added` (checked 2026-12-01)."""
    content = fixture_copy("minimal")
    events = content / "events"
    for path, old, new in [
        (events / f"2023/{WGA}.md", 'checked: "2026-12-01"', 'checked: "2026-11-25"\nadded: "2026-11-20"'),
        (events / f"2025/{ETERNAUTA}.md", 'checked: "2026-12-01"', 'checked: "2025-08-01"\nadded: "2025-08-01"'),
    ]:
        path.write_text(path.read_text().replace(old, new))
    out = tmp_path / "site"
    result = run_timeline("build", "--content", content, "--output", out, "--base-url", PUBLIC)
    assert result.returncode == 0, result.stderr
    return out


def test_feeds_list_the_newest_additions_first_published_when_added_updated_when_checked(dated):
    atom = feedparser.parse((dated / "feed.xml").read_bytes())
    assert not atom.bozo
    pages = [PUBLIC + f"events/{e}/" for e in (WGA, ETERNAUTA, WATCH)]  # an event of 2023 added last comes first
    assert [entry.link for entry in atom.entries] == pages
    assert [(entry.published, entry.updated) for entry in atom.entries] == [
        ("2026-11-20T00:00:00Z", "2026-11-25T00:00:00Z"),
        ("2025-08-01T00:00:00Z", "2025-08-01T00:00:00Z"),
        ("2023-06-01T00:00:00Z", "2026-12-01T00:00:00Z"),  # without `added`: its date
    ]
    assert atom.feed.updated == "2026-12-01T00:00:00Z"  # the latest change of an entry
    items = json.loads((dated / "feed.json").read_text())["items"]
    assert [(i["url"], i["date_published"], i["date_modified"]) for i in items] == [
        (entry.link, entry.published, entry.updated) for entry in atom.entries]


def test_the_sitemap_says_when_each_page_last_changed(dated):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.parse(dated / "sitemap.xml").getroot()
    lastmod = {url.findtext("s:loc", namespaces=ns): url.findtext("s:lastmod", namespaces=ns)
               for url in root.findall("s:url", ns)}
    assert {path: lastmod[PUBLIC + path] for path in [
        f"events/{WGA}/", f"events/{ETERNAUTA}/", f"events/{WATCH}/",
        "", "categories/labor/", "categories/production/", "organizations/writers-guild-of-america/",
        "search/", "categories/", "data/",
    ]} == {
        f"events/{WGA}/": "2026-11-25", f"events/{ETERNAUTA}/": "2025-08-01", f"events/{WATCH}/": "2026-12-01",
        "": "2026-12-01",  # the home page counts every event
        "categories/labor/": "2026-11-25", "categories/production/": "2025-08-01",
        "organizations/writers-guild-of-america/": "2026-12-01",
        "search/": None, "categories/": None, "data/": None,  # they list no events: no date to give
    }


def _build_output(content, out, *extra):
    result = run_timeline("build", "--content", content, "--output", out, *extra)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_without_an_absolute_base_url_no_canonical_og_url_or_sitemap_and_one_warning(tmp_path):
    out = tmp_path / "site"
    for extra in [(), ("--strict",), ("--base-url", "/repo/")]:  # cold, from the cache, and a path
        warnings = [line for line in _build_output(FIXTURES / "minimal", out, *extra).splitlines()
                    if "no absolute base URL" in line]
        assert warnings == ["warning: no absolute base URL (base_url in site.yaml, or --base-url https://…): "
                            "canonical links, og:url and sitemap.xml are left out, and the feeds use relative links"]
        assert not (out / "sitemap.xml").exists()
        assert "Sitemap" not in (out / "robots.txt").read_text()
        pages = list(out.rglob("*.html"))
        assert len(pages) > 10
        for page in pages:
            html = page.read_text()
            assert 'rel="canonical"' not in html and "og:url" not in html, page
        prefix = extra[-1] if extra[-1:] == ("/repo/",) else "/"
        atom = feedparser.parse((out / "feed.xml").read_bytes())
        assert not atom.bozo and atom.feed.links[0].href == prefix + "feed.xml"
        assert {entry.link for entry in atom.entries} == {prefix + f"events/{e}/" for e in (WGA, WATCH, ETERNAUTA)}
        assert json.loads((out / "feed.json").read_text())["items"][0]["url"].startswith(prefix + "events/")


def test_with_an_absolute_base_url_every_canonical_og_url_and_loc_is_absolute_and_no_warning(tmp_path):
    out = tmp_path / "site"
    for _ in range(2):  # the second from the cache
        assert "no absolute base URL" not in _build_output(FIXTURES / "minimal", out, "--base-url", PUBLIC)
    pages = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}
    for path, html in pages.items():
        if path == "404.html":
            continue
        url = PUBLIC + path.removesuffix("index.html")
        assert f'<link rel="canonical" href="{url}">' in html and f'<meta property="og:url" content="{url}">' in html
    locs = sitemap_locs((out / "sitemap.xml").read_bytes())
    assert set(locs) == {PUBLIC + p.removesuffix("index.html") for p in pages if p != "404.html"}
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    assert all(link.href.startswith(PUBLIC) for link in atom.feed.links)
    assert all(entry.link.startswith(PUBLIC) for entry in atom.entries)
