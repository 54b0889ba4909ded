"""Stage 3: Markdown bodies → HTML that cannot run script.

Python-Markdown, with the extensions that render what contributors write as GitHub shows it in
a pull request (tables, fenced code, lists that do not merge). Bodies come from strangers' pull
requests, so its HTML (raw HTML included) goes through nh3 (the Ammonia sanitizer) with a
small allowlist.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    "sup", "sub", "abbr", "del", "ins", "dl", "dt", "dd", "figure", "figcaption", "q", "cite",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"align", "scope"},
    "td": {"align"},
    "ol": {"start"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    """An image from another host would be a request the CSP refuses (and a reader tracked): drop it."""
    if tag == "img" and attribute == "src":
        # read the URL as a browser does: tabs and newlines dropped, ends trimmed, a backslash taken for /
        seen = re.sub(r"[\t\n\r]", "", value).strip(_C0_AND_SPACE).replace("\\", "/")
        parts = urlsplit(seen)
        return value if not parts.scheme and not parts.netloc and not seen.startswith("//") else None
    return value


# The sanitizer with the allowlists above (a constant: nh3.clean would build it for every body).
SANITIZER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    attribute_filter=_local_images_only,
    link_rel="noopener noreferrer nofollow",
)

_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")


def close_heading_gaps(html: str) -> str:
    """Renumber headings from h2 without skipped levels, so that a body written with `##`
    sections (as most writers do) still follows the page's h1 in order."""
    levels = sorted({int(level) for _, level in _HEADING_TAG.findall(html)})
    renumber = {level: min(2 + rank, 6) for rank, level in enumerate(levels)}
    if all(level == new for level, new in renumber.items()):
        return html  # already in order from h2, as most bodies are
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{renumber[int(m[2])]}", html)


def markdown_to_html(text: str) -> str:
    """Safe HTML for a Markdown body: no script, no event handler, no javascript: or data: URL."""
    html = markdown.markdown(text, extensions=EXTENSIONS, output_format="html")
    return SANITIZER.clean(close_heading_gaps(html))
