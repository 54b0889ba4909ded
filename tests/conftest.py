"""Shared fixtures: the CLI as a subprocess, a static server for built sites, real Chromium."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests read and build a copy of tests/fixtures/: a build writes its cache beside the content
# folder, and none may be left in the repository.
SOURCE_FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURES = Path(tempfile.mkdtemp(prefix="timeline-tests-")) / "fixtures"
shutil.copytree(SOURCE_FIXTURES, FIXTURES, symlinks=True)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def run_timeline(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI, as a contributor would."""
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600)


def paged_reader(target: Path) -> Path:
    """The `reader` fixture (15 events, 2023: 5, 2024: 4, 2025: 3; 6 labor) with small limits, so
    that its long lists are split into pages: the home page shows 2024 and 2025 (7 events), a list
    page 4 events, and the filter 2 at a time."""
    shutil.copytree(FIXTURES / "reader", target)
    (target / "site.yaml").write_text("home_events: 8\npage_events: 4\nfilter_batch: 2\n")
    return target


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(FIXTURES.parent, ignore_errors=True)


@pytest.fixture(autouse=True)
def fixtures_stay_clean():
    """No test writes into tests/fixtures/ itself (a build cache, say): they use FIXTURES, a copy."""
    yield
    if leftover := list(SOURCE_FIXTURES.glob(".*")):
        for path in leftover:
            shutil.rmtree(path, ignore_errors=True)
        pytest.fail(f"this test wrote {leftover[0]} into tests/fixtures/: use conftest.FIXTURES, a copy")


@pytest.fixture
def fixture_copy(tmp_path):
    """A writable copy of a fixture corpus: fixture_copy('minimal') → its path."""
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target
    return copy


class _PrefixHandler(SimpleHTTPRequestHandler):
    """Serves a folder under a URL prefix, as GitHub Pages serves a project site."""

    prefix = "/"

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(self.prefix):])

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code == 404 and page.exists():  # as GitHub Pages does
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, *args):
        pass


def serve_folder(folder: Path, prefix: str = "/"):
    """Start a static server on 127.0.0.1 (a free port); returns (base URL, stop function)."""
    handler = type("Handler", (_PrefixHandler,), {"prefix": prefix})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        server.server_close()
    return f"http://127.0.0.1:{server.server_address[1]}{prefix}", stop


@pytest.fixture
def static_server():
    stops = []

    def start(folder: Path, prefix: str = "/") -> str:
        url, stop = serve_folder(folder, prefix)
        stops.append(stop)
        return url
    yield start
    for stop in stops:
        stop()


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright. Under CI=true a missing browser fails the run."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if not path:
        message = "Chromium and Playwright are needed for browser tests (make test installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
