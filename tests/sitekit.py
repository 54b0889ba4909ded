"""Helpers for tests that read a built site: a synthetic corpus, and a crawler for a served site."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

CATEGORIES = ["production", "labor", "law-policy", "business", "technology", "culture"]
# Names that test escaping and slugs: markup, ampersands, quotes, accents, a formula-like start.
NAMES = ["Société Générale & Fils", "<Studio> \"X\"", "=HYPERLINK(\"http://evil\")", "Zoë O'Brien",
         "Writers Guild of America", "+Plus Films", "@Handle Media", "-Minus Pictures"]


def write_corpus(folder: Path, count: int) -> Path:
    """`count` valid events with varied facets under folder/events/; returns folder."""
    for i in range(count):
        year, month, day = 2015 + i % 11, 1 + i % 12, 1 + i % 28
        date = [f"{year}", f"{year}-{month:02d}", f"{year}-{month:02d}-{day:02d}"][i % 3]
        event_id = f"{date}-synthetic-event-{i}"
        body = "" if i % 4 == 0 else f"Paragraph with **bold** and a [link](https://example.com/{i}?a=1&b=2).\n"
        front = {
            "title": f"Synthetic event {i}: {NAMES[i % len(NAMES)]} & <b>co</b>",
            "date": date,
            "summary": f"A summary with \"quotes\", an ampersand & and a tag-like <i>{i}</i>.",
            "category": CATEGORIES[i % len(CATEGORIES)],
            "tags": [f"tag-{i % 5}", "shared"],
            "organizations": [NAMES[i % len(NAMES)], NAMES[(i + 3) % len(NAMES)]],
            "people": [NAMES[(i + 1) % len(NAMES)]] if i % 2 else [],
            "works": [f"Work {i % 7}"],
            "sources": [{"title": f"Report {i}", "publisher": f"Outlet {i % 4}",
                         "url": f"https://news.example.com/{i}?x=1&y=2", "date": date}],
            "checked": "2026-11-30",
        }
        path = folder / "events" / f"{year}" / f"{event_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is valid YAML: every value is written quoted, exactly as given
        path.write_text(f"---\n{json.dumps(front, ensure_ascii=False, indent=1)}\n---\n{body}", encoding="utf-8")
    return folder


class PageParser(HTMLParser):
    """The links (href, src) and the ids of one HTML page, and its stylesheets."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body), 404s included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def sitemap_locs(xml: bytes) -> list[str]:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [loc.text for loc in ET.fromstring(xml).findall("s:url/s:loc", ns)]


@dataclass
class Crawl:
    pages: dict[str, PageParser] = field(default_factory=dict)  # local URL → parsed page
    fetched: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)
    escaping: list[str] = field(default_factory=list)
    missing_anchors: list[str] = field(default_factory=list)


def crawl(local_base: str, public_base: str, seeds: list[str]) -> Crawl:
    """Fetch every page and file reachable from `seeds` by href/src within the site.

    `local_base` is where the site is served (…/prefix/); links to `public_base` (the --base-url)
    are followed there too. A link to this host outside the prefix is reported as escaping."""
    prefix = urlsplit(local_base).path
    host = urlsplit(local_base).netloc
    result, queue, anchors = Crawl(), list(seeds), []

    def local(url: str) -> str:
        return local_base + url[len(public_base):] if url.startswith(public_base) else url

    while queue:
        url = queue.pop()
        if url in result.fetched:
            continue
        result.fetched.add(url)
        status, kind, body = fetch(url)
        if status != 200:
            result.broken.append(f"{url} ({status})")
            continue
        if kind != "text/html":
            continue
        page = PageParser()
        page.feed(body.decode("utf-8"))
        result.pages[url] = page
        for link in page.links:
            target = local(urljoin(url, link))
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != host:
                continue  # another site, mailto:, data:
            if not parts.path.startswith(prefix):
                result.escaping.append(f"{url}: {link}")
                continue
            queue.append(target.split("#")[0])
            if parts.fragment:
                anchors.append((url, link, target.split("#")[0], parts.fragment))
    for url, link, target, fragment in anchors:
        if target in result.pages and fragment not in result.pages[target].ids:
            result.missing_anchors.append(f"{url}: {link}")
    return result
