"""`timeline serve`: the real server as a subprocess, edited on disk, watched through real Chromium."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from conftest import FIXTURES, ROOT, run_timeline

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips the tests that need it (under CI it fails them)
    expect = None

EVENT = "events/2025/2025-07-17-netflix-el-eternauta.md"
EVENT_URL = "events/2025-07-17-netflix-el-eternauta/"
TITLE = "Netflix says El Eternauta used generative AI in final footage"
WAIT_MS = 60_000  # generous: the machine is shared; every wait polls and nothing is timed
NEW_EVENT = """---
title: "A studio licenses a voice model"
date: "2024-03-05"
summary: "A made-up event for the test."
category: business
sources:
  - title: "Test source"
    publisher: "Test"
    url: "https://example.org/test"
    date: "2024-03-05"
---
Body.
"""


class Server:
    """`timeline serve` as a subprocess, in a session of its own; its output is collected as it comes."""

    def __init__(self, *args: str | Path, cwd: Path = ROOT, env: dict | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--port", "0", *map(str, args)], cwd=cwd,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()
        self.url = self.wait_for(r"serving (http://\S+)").group(1)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = WAIT_MS / 1000) -> re.Match:
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.output)):
            assert self.process.poll() is None, f"the server stopped:\n{self.output}"
            assert time.monotonic() < deadline, f"no {pattern!r} in the output:\n{self.output}"
            time.sleep(0.05)
        return found

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(*args, **kwargs) -> Server:
        servers.append(Server(*args, **kwargs))
        return servers[-1]
    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop()


@pytest.fixture
def minimal(serve, fixture_copy):
    """A copy of the minimal corpus (3 events) and a server previewing it: (content, server)."""
    content = fixture_copy("minimal")
    return content, serve("--content", content)


@pytest.fixture
def project_copy(tmp_path):
    """A timeline project whose own templates/ overrides every packaged template (a copy of
    them), with the minimal fixture as its content/, so a test may edit the project's templates."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "templates", project / "templates", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    shutil.copytree(FIXTURES / "minimal", project / "content")
    return project


class LivePage:
    """A browser page that knows whether the document it shows has registered for reloads."""

    def __init__(self, page):
        self.page, self.registered = page, False
        self.csp_errors: list[str] = []
        page.on("framenavigated", lambda frame: frame == page.main_frame and self._set(False))
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: '"info"' in str(payload) and self._set(True)))
        page.on("console", lambda m: "Content Security Policy" in m.text and self.csp_errors.append(m.text))

    def _set(self, registered: bool) -> None:
        self.registered = registered

    def ready(self) -> None:
        """Wait until livereload.js in the page now shown has registered with the server."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while not self.registered:
            assert time.monotonic() < deadline, "livereload.js did not connect"
            self.page.wait_for_timeout(50)

    def goto(self, url: str):
        response = self.page.goto(url)
        self.ready()
        return response


@pytest.fixture
def live(page):
    return LivePage(page)


def test_saving_an_event_reloads_the_open_page(minimal, live):
    content, server = minimal
    live.goto(server.url + EVENT_URL)
    expect(live.page.locator("h1")).to_have_text(TITLE)
    live.page.evaluate("window.notReloaded = true")

    event = content / EVENT
    event.write_text(event.read_text().replace("Netflix says", "Netflix confirms"))
    expect(live.page.locator("h1")).to_have_text(TITLE.replace("says", "confirms"), timeout=WAIT_MS)
    assert live.page.evaluate("window.notReloaded") is None  # the page itself was reloaded
    server.wait_for(r"2025-07-17-netflix-el-eternauta\.md changed: 3 events, \d+ pages written in [\d.]+ s")
    assert live.csp_errors == []


def test_a_mistake_shows_on_every_page_until_it_is_fixed(minimal, live):
    content, server = minimal
    live.goto(server.url)
    overlay = live.page.locator(".timeline-overlay")
    expect(overlay).to_have_count(0)

    event = content / EVENT
    good = event.read_text()
    event.write_text(good.replace("category: production", "category: prodution"))
    expect(overlay).to_contain_text("2025-07-17-netflix-el-eternauta.md:5:11: category: 'prodution'", timeout=WAIT_MS)
    expect(live.page.get_by_role("alert")).to_contain_text("1 error stops the build")
    server.wait_for(r"2025-07-17-netflix-el-eternauta\.md:5:11: category: 'prodution'")
    server.wait_for(r"build failed, 1 error\(s\), shown on every page; the last good site stays up")
    # the last good site is still served, overlay included, on any page
    live.goto(server.url + EVENT_URL)
    expect(live.page.locator("h1")).to_have_text(TITLE)
    expect(overlay).to_contain_text("category: 'prodution'")

    event.write_text(good.replace("Netflix says", "Netflix confirms"))
    expect(live.page.locator("h1")).to_have_text(TITLE.replace("says", "confirms"), timeout=WAIT_MS)
    expect(overlay).to_have_count(0)
    assert server.process.poll() is None
    assert live.csp_errors == []


def test_adding_and_deleting_an_event_updates_the_home_page(minimal, live):
    content, server = minimal
    live.goto(server.url)
    titles = live.page.locator(".event-list article")
    expect(titles).to_have_count(3)

    new = content / "events/2024/2024-03-05-a-studio-licenses-a-voice-model.md"
    new.parent.mkdir()
    new.write_text(NEW_EVENT)
    expect(titles).to_have_count(4, timeout=WAIT_MS)
    expect(live.page.get_by_role("link", name="A studio licenses a voice model")).to_be_visible()
    server.wait_for(r"events/2024\S* (and 1 more )?(added|changed): 4 events, \d+ pages written")

    live.ready()
    new.unlink()
    expect(titles).to_have_count(3, timeout=WAIT_MS)
    expect(live.page.get_by_role("link", name="A studio licenses a voice model")).to_have_count(0)
    gone = live.page.request.get(server.url + "events/2024-03-05-a-studio-licenses-a-voice-model/")
    assert gone.status == 404


def test_half_saved_and_editor_files_do_not_stop_the_server(minimal, live):
    content, server = minimal
    live.goto(server.url)
    folder = content / "events/2025"
    draft = folder / "2025-08-01-draft.md"
    # what editors leave around a file, and what a file looks like halfway through a save
    (folder / ".2025-08-01-draft.md.swp").write_bytes(b"b0VIM 9.0\x00\x00")
    (folder / "4913").write_text("")
    (folder / "2025-07-17-netflix-el-eternauta.md~").write_text("old copy")
    (folder / "#2025-08-01-draft.md#").write_text("auto-save")
    os.symlink("someone@host.1234:1700000000", folder / ".#2025-07-17-netflix-el-eternauta.md")
    half_saves = [(b"", r"draft\.md:1:1: is empty"),
                  (b"---\n", r"draft\.md:2:1: front matter is not closed"),
                  (b'---\ntitle: "An unclosed\n---\n', r"draft\.md:2:20: invalid YAML"),
                  (b"---\ntitle: x\ndate: [2025\n---\n", r"draft\.md:4:1: invalid YAML"),
                  (b"\xff\xfe---", r"draft\.md:1:1: is not valid UTF-8")]
    for data, problem in half_saves:
        draft.write_bytes(data)
        server.wait_for(problem)  # each becomes a located problem, never a crash
    for _ in range(20):  # created and gone before (or while) the build reads it
        (folder / "2025-08-02-flash.md").write_text(NEW_EVENT)
        (folder / "2025-08-02-flash.md").unlink()
    draft.write_text("")

    overlay = live.page.locator(".timeline-overlay")
    expect(overlay).to_contain_text("2025-08-01-draft.md:1:1: is empty", timeout=WAIT_MS)
    expect(overlay.locator("li")).to_have_count(1)  # the editor files are no content, hence no problem
    assert server.process.poll() is None

    live.ready()
    draft.unlink()
    expect(overlay).to_have_count(0, timeout=WAIT_MS)
    expect(live.page.locator(".event-list article")).to_have_count(3)
    assert server.process.poll() is None
    assert "Traceback" not in server.output


def test_first_build_with_errors_shows_them_until_the_site_builds(serve, fixture_copy, live):
    content = fixture_copy("bad-category")
    server = serve("--content", content)
    server.wait_for(r"first build: build failed, 1 error\(s\), shown on every page; no site until fixed")
    response = live.goto(server.url)
    assert response.status == 404
    expect(live.page.locator("h1")).to_have_text("No site yet")
    expect(live.page.locator(".timeline-overlay")).to_contain_text("category: 'prodution'")

    event = next(content.rglob("*.md"))
    event.write_text(event.read_text().replace("prodution", "production"))
    expect(live.page.locator(".event-list article")).to_have_count(1, timeout=WAIT_MS)
    expect(live.page.locator(".timeline-overlay")).to_have_count(0)
    assert live.csp_errors == []


def test_a_stylesheet_change_swaps_the_css_without_reloading(serve, project_copy, live):
    server = serve(cwd=project_copy)
    live.goto(server.url)
    live.page.evaluate("window.notReloaded = true")
    style = project_copy / "templates/static/style.css"
    style.write_text(style.read_text() + "\nbody { background: rgb(1, 2, 3); }\n")
    expect(live.page.locator("body")).to_have_css("background-color", "rgb(1, 2, 3)", timeout=WAIT_MS)
    assert live.page.evaluate("window.notReloaded") is True
    assert live.csp_errors == []


def test_a_template_mistake_is_located_and_cleared(serve, project_copy, live):
    server = serve(cwd=project_copy)
    live.goto(server.url + EVENT_URL)
    template = project_copy / "templates/event.html"
    good = template.read_text()
    line = next(number for number, text in enumerate(good.splitlines(), start=1) if "<h1" in text)
    template.write_text(good.replace("<h1", "{% if %}<h1", 1))
    expect(live.page.locator(".timeline-overlay")).to_contain_text(f"templates/event.html:{line}: template error",
                                                                   timeout=WAIT_MS)
    live.ready()
    template.write_text(good.replace("<h1", '<h1 class="edited"', 1))
    expect(live.page.locator("h1.edited")).to_have_text(TITLE, timeout=WAIT_MS)
    expect(live.page.locator(".timeline-overlay")).to_have_count(0)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp (hex, little-endian)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _status(url: str, raw_path: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", raw_path)
    return connection.getresponse().status


def test_listens_on_this_machine_only_and_serves_only_the_site(minimal):
    _, server = minimal
    port = urlsplit(server.url).port
    assert server.url == f"http://127.0.0.1:{port}/"
    assert _listening_addresses(port) == {"127.0.0.1"}
    assert _status(server.url, "/") == 200
    for path in ["/%2e%2e/pyproject.toml", "/../pyproject.toml", "/_timeline/%2e%2e/event.html",
                 "/_timeline/../static/style.css", "/%2e%2e/%2e%2e/etc/passwd"]:
        assert _status(server.url, path) in (403, 404), path


def test_the_preview_scripts_go_into_html_pages_only(serve, fixture_copy):
    content = fixture_copy("minimal")
    event = content / EVENT
    event.write_text(event.read_text().replace('summary: "', 'summary: "Text that says </head>. ', 1))
    server = serve("--content", content)
    with urlopen(server.url + EVENT_URL) as response:
        page = response.read().decode()
    assert page.count('src="/livereload.js?port=') == 1 and page.index("livereload.js") < page.index("</head>")
    with urlopen(server.url + "data/events.json") as response:
        body = response.read()
        assert int(response.headers["Content-Length"]) == len(body)
    data = json.loads(body)  # untouched, although an event's summary holds "</head>"
    assert b"livereload.js" not in body and any("</head>" in e["summary"] for e in data["events"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_frees_the_port_and_leaves_nothing_behind(serve, fixture_copy, tmp_path, sig):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    server = serve("--content", fixture_copy("minimal"), env={"TMPDIR": str(scratch)})
    port = urlsplit(server.url).port
    assert any(scratch.iterdir())  # the site is built in a scratch folder
    assert server.stop(sig) == 0
    assert "stopped" in server.output and "Traceback" not in server.output
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)  # no process left in the server's session
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the port is free again
    assert list(scratch.iterdir()) == []


def test_a_port_in_use_is_a_clear_error(fixture_copy):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_timeline("serve", "--content", fixture_copy("minimal"), "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_open_opens_the_site_in_the_browser(serve, fixture_copy, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    server = serve("--content", fixture_copy("minimal"), "--open", env={"BROWSER": str(browser)})
    deadline = time.monotonic() + WAIT_MS / 1000
    while not (opened.exists() and opened.read_text().strip()):
        assert time.monotonic() < deadline, server.output
        time.sleep(0.05)
    assert opened.read_text().strip() == server.url


def test_a_content_folder_moved_away_and_back_is_watched_again(minimal, live):
    content, server = minimal
    live.goto(server.url + EVENT_URL)
    away = content.with_name("away")
    content.rename(away)
    server.wait_for(r"waiting for \S*minimal to come back")
    away.rename(content)
    server.wait_for(r"minimal (and \d+ more )?(added|changed): 3 events")
    live.ready()
    event = content / EVENT
    event.write_text(event.read_text().replace("Netflix says", "Netflix confirms"))
    expect(live.page.locator("h1")).to_have_text(TITLE.replace("says", "confirms"), timeout=WAIT_MS)
    assert server.process.poll() is None


def test_the_search_index_follows_a_save_in_the_background(minimal, page):
    """Pages reload first; Pagefind then indexes the site behind them, and a search finds the new words."""
    content, server = minimal
    server.wait_for(r"search index updated in [\d.]+ s")  # after the first build
    event = content / EVENT
    event.write_text(event.read_text().replace("Netflix says", "Netflix says Zanzibarian"))
    server.wait_for(r"netflix-el-eternauta\.md changed: .*\n(.*\n)*search index updated in [\d.]+ s")
    page.goto(server.url + "search/?q=zanzibarian")
    results = page.locator("#search-results > li h3")
    expect(results).to_have_count(1, timeout=WAIT_MS)
    expect(results.first).to_contain_text("Zanzibarian")


def test_the_preview_indexes_again_when_its_bundle_went_missing(tmp_path):
    """A whole-folder write (another output was built from the same cache meanwhile) drops the
    bundle: the same event pages must then be indexed again, not skipped."""
    from generator.serve import SearchIndex

    site = tmp_path / "site"
    page = site / "events" / "e0" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html><body><article data-pagefind-body><h1>One</h1></article></body></html>")
    search = SearchIndex(site)
    search.update("key")
    search.thread.join()
    assert (site / "pagefind" / "pagefind.js").is_file() and not list(site.glob(".pagefind-*"))
    search.update("key")
    assert search.thread is None  # the same pages, the bundle in place: nothing to do
    shutil.rmtree(site / "pagefind")
    search.update("key")
    search.thread.join()
    assert (site / "pagefind" / "pagefind.js").is_file()


def test_open_pages_reload_once_the_site_is_in_place_and_the_cache_is_saved_when_idle(fixture_copy, tmp_path,
                                                                                       monkeypatch):
    """The reload is sent once the site is in place: by then the server must already say which
    build the pages show and that its errors are gone (the overlay asks at once). The build
    cache's index is written only once saves pause, so as not to slow the reloading pages."""
    from generator import build, cache
    from generator.serve import Preview
    from generator.site import Site
    from generator.write import LiveSite

    content = fixture_copy("minimal")
    preview = Preview(content, tmp_path / "site")
    seen = []
    write = cache.write_stored

    def write_and_tell(path, stored):
        if path.name == "index.pickle":
            seen.append("saved")
        write(path, stored)
    monkeypatch.setattr(cache, "write_stored", write_and_tell)

    def reload(built: bool) -> None:
        page = preview.output.root / EVENT_URL / "index.html"
        seen.append((built, preview.generation, len(preview.problems), page.exists()))
    preview.rebuild("first", reload)
    event = content / EVENT
    good = event.read_text()
    event.write_text(good.replace("category: production", "category: prodution"))
    preview.rebuild("broken", reload)
    preview.save_cache()
    event.write_text(good)
    preview.rebuild("fixed", reload)
    assert seen == [(True, 1, 0, True), (False, 2, 1, True), "saved", (True, 3, 0, True)]
    preview.save_cache()
    preview.save_cache()  # nothing built since: nothing to write
    assert seen[4:] == ["saved"]
    # as the next start finds the cache: every event of the last build is in it
    result = build.build(Site(content, base_url="/"), LiveSite(tmp_path / "next"), build.Options(search=False))
    assert result.written and result.events_cached == result.events > 0


def test_a_template_mistake_is_shown_with_its_place_and_the_server_keeps_serving(fixture_copy, tmp_path):
    from generator.serve import Preview

    content = fixture_copy("minimal")
    (content.parent / "templates").mkdir()
    (content.parent / "templates" / "page.html").write_text('{% extends "base.html" %}\n{% block main %}{{ oops( }}{% endblock %}\n')
    preview = Preview(content, tmp_path / "site")
    preview.rebuild("first")
    assert [p.as_text() for p in preview.problems] == [
        f"{os.path.relpath(content.parent / 'templates' / 'page.html')}:2: template error: unexpected '}}', expected ')'"]
    (content.parent / "templates" / "page.html").unlink()
    preview.rebuild("fixed")
    assert preview.problems == [] and (preview.output.root / "index.html").exists()


def test_a_cache_that_cannot_be_saved_does_not_stop_the_preview(fixture_copy, tmp_path, monkeypatch, capsys):
    from generator import cache
    from generator.serve import Preview

    preview = Preview(fixture_copy("minimal"), tmp_path / "site")
    preview.rebuild("first")

    def full_disk(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(cache, "write_stored", full_disk)
    preview.save_cache()  # no exception: the server keeps serving
    assert "build cache not saved: [Errno 28] No space left on device" in capsys.readouterr().err
