"""No contributor text runs script in a reader's browser: an XSS corpus in every field and body,
built, then every page opened in Chromium, watching for dialogs, payload elements, dangerous
URLs, requests to other hosts and Content-Security-Policy reports."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from conftest import run_timeline, serve_folder

# Text fields: each goes into every text field of one event (title, summary, caveat, an organization,
# a person, a work, a source's title and publisher), so it lands in HTML text, attributes (<meta>,
# <title>), facet pages and their URLs. Element payloads carry an id starting "xss" to be found by.
FRONT_MATTER_PAYLOADS = [
    "<script>alert('fm1')</script>",
    "</script><script>alert('fm2')</script>",
    "</title><script>alert('fm3')</script>",
    '"><img src=x onerror=alert(\'fm4\') id=xss-fm4>',
    "'><svg onload=alert('fm5') id=xss-fm5>",
    '" autofocus onfocus="alert(\'fm6\')',
    "' onmouseover='alert(`fm7`)",
    "<iframe src=javascript:alert('fm8') id=xss-fm8></iframe>",
    "javascript:alert('fm9')",
    "<a href=\"javascript:alert('fm10')\" id=xss-fm10>click</a>",
    "<b onmouseover=alert('fm11') id=xss-fm11>bold</b>",
    "\u2028</script><script>alert('fm12')</script>",
    "<!--<script>alert('fm13')//-->",
    "<style>*{display:none}</style>fm14",
    "{{ 7*7 }} {% raw %}fm15",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('fm16') id=xss-fm16>",
    "]]><script>alert('fm17')</script>",
    "&lt;script&gt;alert('fm18')&lt;/script&gt;",
    "\"}]}</script><script>alert('fm19')</script>",
    "<img src=x onerror=alert('fm20') id=xss-fm20>",
]

# Markdown bodies: raw HTML, links and images.
MARKDOWN_PAYLOADS = [
    "<script>alert('md1')</script>",
    "<img src=x onerror=alert('md2') id=xss-md2>",
    "<svg><script>alert('md3')</script></svg>",
    "<svg onload=alert('md4') id=xss-md4>",
    "[click](javascript:alert('md5'))",
    "[click](JaVaScRiPt:alert('md6'))",
    "<a href=\"jav&#x09;ascript:alert('md7')\" id=xss-md7>tab</a>",
    "[click](&#106;avascript:alert('md8'))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgnbWQ5Jyk8L3NjcmlwdD4=)",
    "![img](javascript:alert('md10'))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoJ21kMTEnKT4=)",
    "[click](vbscript:msgbox('md12'))",
    "<a href=\"javascript:alert('md13')\" id=xss-md13>raw link</a>",
    "<iframe srcdoc=\"<script>alert('md14')</script>\" id=xss-md14></iframe>",
    "<object data=\"javascript:alert('md15')\" id=xss-md15></object><embed src=\"javascript:alert('md15')\">",
    "<details open ontoggle=alert('md16') id=xss-md16><summary>x</summary></details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('md17') id=xss-md17>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('md18') id=xss-md18>\">",
    "<form action=\"javascript:alert('md19')\"><button id=xss-md19>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('md20')\">",
    "<base href=\"javascript:alert('md21')//\">",
    "<div style=\"background:url(javascript:alert('md22'))\" id=xss-md22>styled</div>",
    "[click](  javascript:alert('md23'))",
    "[t](https://example.org \"a\\\" onmouseover=\\\"alert('md24')\")",
    "<img src=\"x\" alt=\"\\\" onerror=\\\"alert('md25')\" id=xss-md25>",
    "<link rel=import href=\"data:text/html,<script>alert('md26')</script>\">",
    "<<script>script>alert('md27')<</script>/script>",
    "<a href=\"java\nscript:alert('md28')\" id=xss-md28>newline</a>",
    "[ref][md29]\n\n[md29]: javascript:alert('md29')",
    "<javascript:alert('md30')>",
    "<input autofocus onfocus=alert('md31') id=xss-md31>",
    "<video><source onerror=alert('md32') id=xss-md32></video>",
    "![tracker](https://evil.example/md33.png) <img src=\"\\\\evil.example/md33.png\">",
    "<svg><a xlink:href=\"javascript:alert('md34')\" id=xss-md34><text>x</text></a></svg>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert('md35')\" id=xss-md35>hex</a>",
    "```html\n<script>alert('md36')</script>\n```",
    "<a href=\"javascript&colon;alert('md37')\" id=xss-md37>colon</a>",
    "<template><script>alert('md38')</script></template>",
    "<a href=\"#\" onclick=\"alert('md39')\" id=xss-md39>click</a>",
    "<img src=\"/&#9;/evil.example/md40.png\" id=xss-md40>",
]

# Source URLs that pass validation (http/https, no spaces) but try to break out of the href.
ACCEPTED_SOURCE_URLS = [
    "https://example.org/\"onmouseover=\"alert('su1')",
    "https://example.org/'><script>alert('su2')</script>",
    "https://example.org/?q=\"><img/src/onerror=alert('su3')>",
]
# Source URLs that must be refused by `timeline check`, each with its located message.
REFUSED_SOURCE_URLS = [
    "javascript:alert('su4')",
    "JaVaScRiPt:alert('su5')",
    " javascript:alert('su6')",
    "java\tscript:alert('su7')",
    "data:text/html,<script>alert('su8')</script>",
    "vbscript:msgbox('su9')",
    "https:alert('su10')",
    "//evil.example/su11",
    "javascript://example.org/%0aalert('su12')",
]


def payload_count() -> int:
    return len(FRONT_MATTER_PAYLOADS) + len(MARKDOWN_PAYLOADS) + len(ACCEPTED_SOURCE_URLS) + len(REFUSED_SOURCE_URLS)


def event_text(front: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000) + "---\n" + body + "\n"


def write_corpus(content):
    """One event per text payload, carrying two Markdown payloads in its body; a page, an era
    and the site settings carry text payloads too."""
    events = content / "events" / "2024"
    events.mkdir(parents=True)
    bodies = [MARKDOWN_PAYLOADS[i::len(FRONT_MATTER_PAYLOADS)] for i in range(len(FRONT_MATTER_PAYLOADS))]
    for n, (text, body) in enumerate(zip(FRONT_MATTER_PAYLOADS, bodies), start=1):
        event_id = f"2024-01-{n:02d}-payload-{n}"
        front = {
            "title": text, "date": f"2024-01-{n:02d}", "summary": f"Summary {text}", "category": "culture",
            "organizations": [f"Org {text}"], "people": [f"Person {text}"], "works": [f"Work {text}"],
            "sources": [{"title": text, "publisher": text,
                         "url": ACCEPTED_SOURCE_URLS[n % len(ACCEPTED_SOURCE_URLS)],
                         # an archived copy must be on an archive host; the payload rides in its path
                         "archive_url": "https://web.archive.org/web/2024/"
                                        + ACCEPTED_SOURCE_URLS[(n + 1) % len(ACCEPTED_SOURCE_URLS)]}],
            "caveat": text,
        }
        (events / f"{event_id}.md").write_text(event_text(front, "\n\n".join(body)))
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text(event_text(
        {"title": FRONT_MATTER_PAYLOADS[3], "description": FRONT_MATTER_PAYLOADS[1]}, "\n\n".join(MARKDOWN_PAYLOADS)))
    (content / "eras.yaml").write_text(yaml.safe_dump([{
        "id": "payload-era", "title": FRONT_MATTER_PAYLOADS[0], "start": "2024-01-01", "end": "2024-01-31",
        "description": FRONT_MATTER_PAYLOADS[4],
        "sources": [{"title": "t", "publisher": "p", "url": ACCEPTED_SOURCE_URLS[0]}]}], allow_unicode=True))
    (content / "site.yaml").write_text(yaml.safe_dump(
        {"title": FRONT_MATTER_PAYLOADS[2], "description": FRONT_MATTER_PAYLOADS[5],
         "repository_url": ACCEPTED_SOURCE_URLS[1]}, allow_unicode=True))


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("xss")
    write_corpus(root / "content")
    result = run_timeline("build", "--content", root / "content", "--output", root / "site")
    assert result.returncode == 0, result.stderr
    url, stop = serve_folder(root / "site")
    yield root / "site", url
    stop()


# Run in the page after load: every trace a payload could leave, whatever the templates hold.
INSPECT = """() => {
  const found = [];
  const here = location.origin;
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'srcdoc', 'poster', 'background'];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    if (['iframe', 'object', 'embed', 'frame', 'frameset', 'base', 'math', 'audio', 'video', 'source'].includes(tag))
      found.push('element <' + tag + '>');
    if (tag === 'meta' && (el.httpEquiv || '').toLowerCase() === 'refresh') found.push('meta refresh');
    if (tag === 'link' && (el.rel || '').toLowerCase() === 'import') found.push('link rel=import');
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(tag + '[' + name + ']');
      if (name === 'style') found.push(tag + '[style]');
      if (['id', 'class', 'name'].includes(name) && a.value.toLowerCase().includes('xss')) found.push(tag + '#' + a.value);
      if (urlAttributes.includes(name) && /^(javascript|data|vbscript):/.test(value)) found.push(tag + '[' + name + '=' + a.value + ']');
    }
  }
  for (const s of document.scripts) {
    if (s.type === 'application/ld+json' || s.type === 'application/json') {  // data blocks never run: they must parse
      try { JSON.parse(s.textContent); } catch (e) { found.push('JSON data broken: ' + s.textContent.slice(0, 80)); }
    } else if (!s.src || new URL(s.src).origin !== here) {
      found.push('script ' + (s.src || 'inline: ' + s.textContent.slice(0, 80)));
    }
  }
  for (const img of document.images) if (img.src && new URL(img.src).origin !== here) found.push('remote image ' + img.src);
  return found.concat(window.__cspReports || []);
}"""
LISTEN_FOR_CSP = """window.__cspReports = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspReports.push('CSP ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')));"""


def visit(context, url: str) -> list[str]:
    """Open a page; everything suspicious it did or holds."""
    page = context.new_page()
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda msg: seen.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused" in msg.text else None)
    page.on("request", lambda request: seen.append(f"request to another host: {request.url}")
            if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(url, wait_until="load")
    page.keyboard.press("Tab")  # focus-driven payloads (autofocus/onfocus) get their chance
    page.wait_for_timeout(50)
    seen += page.evaluate(INSPECT)
    page.close()
    return seen


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.add_init_script(LISTEN_FOR_CSP)
    yield context
    context.close()


def test_the_corpus_is_large_enough():
    assert payload_count() >= 30
    assert len(FRONT_MATTER_PAYLOADS) >= 20 and len(MARKDOWN_PAYLOADS) >= 30


def test_no_page_of_the_corpus_runs_or_holds_a_payload(corpus_site, context):
    site, url = corpus_site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) > len(FRONT_MATTER_PAYLOADS) * 3  # events, and org/person/work pages for each
    problems = {}
    for path in pages:
        found = visit(context, url + path.removesuffix("index.html"))
        if found:
            problems[path] = found
    assert problems == {}


def test_text_payloads_are_shown_as_text(corpus_site, context):
    """Escaped, not removed: the reader sees exactly what the contributor wrote."""
    _, url = corpus_site
    page = context.new_page()
    for n, text in enumerate(FRONT_MATTER_PAYLOADS, start=1):
        page.goto(f"{url}events/2024-01-{n:02d}-payload-{n}/")
        assert page.locator("h1").inner_text() == text.strip()
        assert page.title().startswith(text.strip())
    page.close()


def test_titles_with_script_end_tags_stay_inside_json(corpus_site):
    """Wherever a page embeds JSON in a <script> (JSON-LD), a title holding </script> stays inside it."""
    site, _ = corpus_site
    for n in (1, 2, 12, 19):
        html = (site / f"events/2024-01-{n:02d}-payload-{n}/index.html").read_text()
        for block in html.split("<script")[1:]:
            inner = block.split(">", 1)[1].split("</script>", 1)[0]
            if 'type="application/ld+json"' in block.split(">", 1)[0]:
                assert FRONT_MATTER_PAYLOADS[n - 1].strip() in json.dumps(json.loads(inner), ensure_ascii=False)


def test_the_inspection_catches_what_it_looks_for(corpus_site, context):
    """The checks above can fail: a page with payloads that got through is caught on every count."""
    site, url = corpus_site
    leaky = site / "leaky" / "index.html"
    leaky.parent.mkdir()
    csp = (site / "index.html").read_text().split("<meta http-equiv=\"Content-Security-Policy\"")[1].split(">")[0]
    leaky.write_text(f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy"{csp}></head><body>'
                     "<img src=x onerror=\"alert('leak')\" id=xss-leak><script>alert('leak')</script>"
                     "<a href=\"javascript:alert('leak')\">x</a></body></html>")
    no_csp = site / "no-csp" / "index.html"
    no_csp.parent.mkdir()
    no_csp.write_text("<!doctype html><body><script>alert('ran')</script></body>")
    try:
        found = " | ".join(visit(context, url + "leaky/"))
        assert "img[onerror]" in found and "img#xss-leak" in found and "script inline" in found
        assert "a[href=javascript:alert('leak')]" in found
        assert "CSP script-src-elem blocked inline" in found and "CSP script-src-attr blocked inline" in found
        assert "dialog: ran" in visit(context, url + "no-csp/")
    finally:
        shutil.rmtree(leaky.parent)
        shutil.rmtree(no_csp.parent)


def test_dangerous_source_urls_are_refused_with_their_place(tmp_path):
    content = tmp_path / "content"
    folder = content / "events" / "2024"
    folder.mkdir(parents=True)
    for n, url in enumerate(REFUSED_SOURCE_URLS, start=1):
        front = {"title": f"Event {n}", "date": f"2024-02-{n:02d}", "summary": "s", "category": "culture",
                 "sources": [{"title": "t", "publisher": "p", "url": url}]}
        (folder / f"2024-02-{n:02d}-refused-url-{n}.md").write_text(event_text(front, ""))
    result = run_timeline("check", "--content", content)
    assert result.returncode == 1
    for n in range(1, len(REFUSED_SOURCE_URLS) + 1):
        assert f"2024-02-{n:02d}-refused-url-{n}.md:9:8: sources[0].url: " in result.stderr, (n, result.stderr)
    assert f"checked {len(REFUSED_SOURCE_URLS)} valid event(s)" not in result.stderr
