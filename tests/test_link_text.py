"""Link text that says where a link leads: a name that is only a generic phrase, such as the film
*Here*, gets the kind of thing it names ("Here (work)"), on the pages and in the home filter's
index, as Lighthouse's SEO audit asks (generator/linktext.py)."""

import json
import re

import pytest

from conftest import ROOT, run_timeline
from generator.linktext import GENERIC_LINK_TEXT, is_generic, link_text

LIGHTHOUSE_AUDIT = ROOT / "node_modules" / "lighthouse" / "core" / "audits" / "seo" / "link-text.js"
ETERNAUTA = "2025-07-17-netflix-el-eternauta"
WGA = "2023-05-02-wga-strike-begins"


@pytest.fixture
def generic(fixture_copy, tmp_path):
    """The minimal fixture with a work named Here, a tag `more`, and the month-precision event
    (related to the strike's) titled Start."""
    content = fixture_copy("minimal")
    eternauta = content / f"events/2025/{ETERNAUTA}.md"
    eternauta.write_text(eternauta.read_text().replace("works: [El Eternauta]", "works: [El Eternauta, Here]")
                         .replace("tags: [vfx, streaming]", "tags: [vfx, more]"))
    watch = content / "events/2023/2023-06-writers-watch.md"
    watch.write_text(watch.read_text().replace('title: "A month-precision event for the fixture"', 'title: "Start"'))
    out = tmp_path / "site"
    result = run_timeline("build", "--content", content, "--output", out, "--no-search")
    assert result.returncode == 0, result.stderr
    return out


def link_texts(html: str) -> set[str]:
    return set(re.findall(r"<a [^>]*>([^<]*)</a>", html))


def test_a_generic_name_gets_its_kind_wherever_it_is_a_link(generic):
    event = link_texts((generic / f"events/{ETERNAUTA}/index.html").read_text())
    assert {"Here (work)", "more (tag)", "El Eternauta", "Netflix"} <= event and not {"Here", "more"} & event
    home = link_texts((generic / "index.html").read_text())
    assert {"Here (work)", "Start (event)"} <= home and not {"Here", "Start"} & home
    assert "Here (work)" in link_texts((generic / "works/index.html").read_text())
    assert "more (tag)" in link_texts((generic / "tags/index.html").read_text())
    assert "Start (event)" in link_texts((generic / f"events/{WGA}/index.html").read_text())  # a related event
    # where it is not a link, a name stays as it is
    assert re.search(r"<h1[^>]*>Start</h1>", (generic / "events/2023-06-writers-watch/index.html").read_text())
    assert re.search(r"<h1>Here\b", (generic / "works/here/index.html").read_text())


def test_the_home_filters_cards_get_the_same_link_text(generic):
    index = json.loads((generic / "filter.json").read_text())
    assert "Here (work)" in [label for _, label, _ in index["values"]["work"]]
    assert "Start (event)" in index["events"]["title"]


@pytest.mark.parametrize("text, language, generic", [
    ("Here", "en", True), ("  Click \n HERE ", "en-GB", True), ("Here's why", "en", False),
    ("Here", "de", False), ("hier", "de-AT", True), ("here", "fr", False),  # no list for French: nothing to fix
])
def test_generic_is_the_whole_text_in_the_pages_language(text, language, generic):
    assert is_generic(text, language) is generic
    assert link_text(text, "work", language) == (f"{text} (work)" if generic else text)


@pytest.mark.skipif(not LIGHTHOUSE_AUDIT.exists(), reason="Lighthouse is not installed (npm ci)")
def test_the_list_is_lighthouses():
    source = LIGHTHOUSE_AUDIT.read_text(encoding="utf-8")
    table = source[source.index("nonDescriptiveLinkTexts = {"):source.index("const UIStrings")]
    lighthouse = {language: frozenset(re.findall(r"'([^']*)'", texts))
                  for language, texts in re.findall(r"'(\w+)': new Set\(\[(.*?)\]\)", table, re.S)}
    assert lighthouse and lighthouse == GENERIC_LINK_TEXT
