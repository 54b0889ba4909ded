"""The site's vocabulary, written once: the facet kinds, and where every kind of page lives.

Python (collect, render, export, index), the templates (`url_for`, `facets`) and the data handed
to the scripts (filter keys and links) all read it from here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from slugify import slugify as _slugify


@dataclass(frozen=True)
class FacetKind:
    name: str  # also the URL folder of its pages: /organizations/<slug>/
    key: str  # the query key of the home page's filter and of the search page (?organization=…)
    singular: str
    plural: str
    home_filter: bool  # whether the home page's filter offers it


FACETS: dict[str, FacetKind] = {kind.name: kind for kind in (
    FacetKind("categories", "category", "Category", "Categories", True),
    FacetKind("years", "year", "Year", "Years", True),
    FacetKind("organizations", "organization", "Organization", "Organizations", True),
    FacetKind("people", "person", "Person", "People", False),
    FacetKind("works", "work", "Work", "Works", True),
    FacetKind("tags", "tag", "Tag", "Tags", True),
)}

# Where each kind of page lives, as a site path; `url_for` fills in the blanks.
ROUTES = {
    "home": "",
    "event": "events/{}/",
    "facet": "{}/{}/",  # kind, slug: a facet value's page, the first of its list
    "facet_page": "{}/{}/page/{}/",  # kind, slug, number (2, 3, …): the rest of a long list (see list_page)
    "facet_index": "{}/",  # kind
    "page": "{}/",  # slug of a page in content/pages/
    "search": "search/",
    "data": "data/",
    "static": "static/{}",
    "file": "{}",  # a file at the root: feed.xml, sitemap.xml
    "filter_index": "filter.json",  # the events as the home page's filter reads them (filter_index.py)
}
SEARCH_BUNDLE = "pagefind"  # the search index's folder; static/search.js imports ../pagefind/pagefind.js
EVENT_PAGES = "events/*/index.html"  # the pages the search index reads

# Folders the site writes itself: a page in content/pages/ may not take one of these names.
RESERVED_SLUGS = frozenset({*FACETS, SEARCH_BUNDLE,
                            *(route.split("/")[0] for route in ROUTES.values() if "/" in route and route[0] != "{")})


def site_path(route: str, *parts: str) -> str:
    """The site path of a page: site_path("event", "2025-07-17-x") == "events/2025-07-17-x/"."""
    return ROUTES[route].format(*parts)


def list_page(kind: str, value_slug: str, number: int) -> str:
    """The site path of page `number` of a facet value's list: page 1 is the value's own page."""
    return site_path("facet", kind, value_slug) if number == 1 else site_path("facet_page", kind, value_slug, str(number))


def slug(name: str) -> str:
    """A name as a URL segment (transliterated, lowercase, hyphens); a hash for names with no letters."""
    return _slugify(name) or "n-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def event_slug(title: str) -> str:
    """An event file's name after its date: the title transliterated, cut at a word boundary;
    empty for a title with no letters or digits."""
    return _slugify(title, max_length=60, word_boundary=True, save_order=True)
