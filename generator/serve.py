"""`timeline serve`: build the site, serve it, rebuild on every change, reload the open pages.

watchfiles reports changes in batches; the server keeps one Site and rebuilds it in this
process, so its memos stay warm from one rebuild to the next, into a LiveSite (its own scratch
folder, changed file by file). livereload's WebSocket handler and client script, the one reload
channel, reload the open pages (or swap only the stylesheet) once they are in place. The search
index follows in the background (SearchIndex). A build with errors writes nothing: the last good
site stays up and every page shows the errors in an overlay (templates/preview/) until a save
fixes them.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from pathlib import Path
from typing import Callable, Iterator

import watchfiles
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httputil, web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from . import TEMPLATES, build, index
from .load import display_path, is_editor_file
from .problems import Problem, errors, format_problems
from .site import Site
from .write import LiveSite

PREVIEW_ASSETS = TEMPLATES / "preview"  # served by the preview only, never published
USAGE = 2
IDLE_MS = 200  # an empty batch of changes after this long without a save
STEP_MS = 25  # a save is reported once this long passes without another change to the files
VERBS = {watchfiles.Change.added: "added", watchfiles.Change.modified: "changed", watchfiles.Change.deleted: "deleted"}


class EditorFileFilter(watchfiles.DefaultFilter):
    """Saves, not the files editors write around them: swap, lock, backup and probe files."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return super().__call__(change, path) and not is_editor_file(path)


class Preview:
    """The site being previewed: the Site it rebuilds, where, and the errors of its last build."""

    def __init__(self, content: Path, output: Path):
        self.site = Site(content, base_url="/")
        self.output = LiveSite(output)
        self.problems: list[Problem] = []  # errors of the last build, shown over every page
        self.generation = 0  # counts builds; a page served before the last one is out of date
        self.search_key: str | None = None  # the event pages of the last good build, hashed
        self.warned: set[Problem] = set()  # the warnings printed already

    def rebuild(self, what: str, reload: Callable[[bool], None] = lambda built: None) -> None:
        """Build the site into the output folder; keep its errors for the overlay; reload the open
        pages (`reload(True)`: the new site is in place; False: the build wrote nothing and the
        pages show its errors); say what happened."""
        started = time.perf_counter()
        result = None
        try:
            result = build.build(self.site, self.output, build.Options(search=False))
            self.problems = errors(result.problems)
        except Exception as exc:  # a bug or a full disk must not end the preview: show it and keep serving
            traceback.print_exc()
            self.problems = [Problem(display_path(self.site.content), None, None, "", f"the build stopped: {exc!r}")]
        built = bool(result and result.written)
        self.generation += 1  # the new site (or the errors) in place: a page served from now on is current
        reload(built)
        seconds = time.perf_counter() - started
        problems = result.problems if result else self.problems
        # every error, every time; a warning once, not again at every save until it is fixed
        if shown := [p for p in problems if p.severity == "error" or p not in self.warned]:
            print(format_problems(shown, "text"), file=sys.stderr)
        self.warned = {p for p in problems if p.severity == "warning"}
        if built:
            print(f"{what}: {result.events} events, {result.pages} pages written in {seconds:.2f} s")
            self.search_key = result.search_key
        else:
            site = "the last good site stays up" if (self.output.root / "index.html").exists() else "no site until fixed"
            print(f"{what}: build failed, {len(self.problems)} error(s), shown on every page; {site}")

    def save_cache(self) -> None:
        """Write the build cache's index: once saves pause, so as not to slow the pages reloading,
        and when the server stops. A failure (a full disk) only means a slower next start."""
        try:
            self.site.save()
        except OSError as exc:
            print(f"build cache not saved: {exc}", file=sys.stderr)


class SearchIndex:
    """The previewed site's search index, made once saves pause (the open pages have reloaded),
    in the background (Pagefind takes seconds on a large site, and has no incremental mode). The
    next save stops it."""

    def __init__(self, site: Path):
        self.site = site
        self.indexed: str | None = None  # the search key of the bundle in place
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    def update(self, key: str | None) -> None:
        """Index the site unless the bundle in place was made from the same event pages."""
        self.stop()
        if key is not None and key == self.indexed and (self.site / index.SEARCH_BUNDLE / "pagefind.js").is_file():
            return
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(key, self.stopping), name="timeline-search", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread:
            self.stopping.set()
            self.thread.join()
            self.thread = None

    def _run(self, key: str | None, stopping: threading.Event) -> None:
        try:
            seconds = index.install_bundle(self.site, key, None, stopping)
        except index.IndexStopped:
            return
        except index.IndexFailed as exc:
            print(f"search index not updated: {exc}", file=sys.stderr)
            return
        self.indexed = key
        print(f"search index updated in {seconds:.2f} s")


class SiteHandler(web.StaticFileHandler):
    """The built site and nothing else; a missing page gets the site's 404 page, as on GitHub Pages."""

    def initialize(self, preview: Preview, **kwargs):
        super().initialize(**kwargs)
        self.preview = preview

    def prepare(self):
        # Taken before the file is read: a build that lands meanwhile leaves the page marked out of date.
        self.request.generation = self.preview.generation

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", "no-store")  # a reload must show what the last build wrote

    def should_return_304(self) -> bool:
        return False  # never "not modified": a file the last build replaced may keep its time to the second

    def write_error(self, status_code, **kwargs):
        if status_code != 404:
            return super().write_error(status_code, **kwargs)
        for page in (Path(self.root) / "404.html", PREVIEW_ASSETS / "no-site.html"):  # no site: the first build failed
            try:
                body = page.read_bytes()
                break
            except OSError:
                continue
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


class ProblemsHandler(web.RequestHandler):
    """The last build's errors for the overlay: {"problems": ["path:line:col: field: message", ...]}."""

    def initialize(self, preview: Preview):
        self.preview = preview

    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.write({"generation": self.preview.generation, "problems": [p.as_text() for p in self.preview.problems]})


class PreviewTags(web.OutputTransform):
    """Adds the preview's overlay and livereload.js before an HTML page's </head>, as files: the
    inline script livereload's own Server adds would break the pages' CSP (script-src 'self')."""

    def __init__(self, request: httputil.HTTPServerRequest):
        super().__init__(request)
        self.request = request

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if b"</head>" in chunk and headers.get("Content-Type", "").startswith("text/html"):
            generation = getattr(self.request, "generation", 0)
            host = self.request.host
            port = host.rpartition(":")[2] if ":" in host else "80"
            tags = (f'<link rel="stylesheet" href="/_timeline/overlay.css">'
                    f'<script src="/_timeline/overlay.js" data-generation="{generation}" defer></script>'
                    f'<script src="/livereload.js?port={port}" defer></script>').encode()
            chunk = chunk.replace(b"</head>", tags + b"</head>", 1)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(int(headers["Content-Length"]) + len(tags))
        return status_code, headers, chunk


class SiteServer(threading.Thread):
    """Serves the site and livereload's socket from a thread of its own: pages load while a rebuild runs."""

    def __init__(self, preview: Preview, sockets: list):
        super().__init__(name="timeline-serve-http", daemon=True)
        self.app = web.Application([
            (r"/livereload", LiveReloadHandler),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/_timeline/problems\.json", ProblemsHandler, {"preview": preview}),
            (r"/_timeline/(.*)", web.StaticFileHandler, {"path": str(PREVIEW_ASSETS)}),
            (r"/(.*)", SiteHandler, {"preview": preview, "path": str(preview.output.root),
                                     "default_filename": "index.html"}),
        ], transforms=[PreviewTags], log_function=lambda handler: None)
        self.sockets = sockets
        self.ready = threading.Event()

    def run(self):
        asyncio.run(self._serve())

    async def _serve(self):
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        server = HTTPServer(self.app)
        server.add_sockets(self.sockets)
        self.ready.set()
        await self.stopping.wait()
        server.stop()
        for page in list(LiveReloadHandler.waiters):
            page.close()

    def start(self):
        super().start()
        self.ready.wait()

    def reload(self, path: str) -> None:
        """Tell every open page to reload; for a path ending in .css, livereload.js swaps only stylesheets."""
        message = {"command": "reload", "path": path, "liveCSS": True, "liveImg": True}

        def send():
            for page in list(LiveReloadHandler.waiters):
                page.send_message(message)
        self.loop.call_soon_threadsafe(send)

    def stop(self) -> None:
        if self.is_alive():
            self.loop.call_soon_threadsafe(self.stopping.set)
            self.join(timeout=10)
        else:
            for sock in self.sockets:
                sock.close()


def tidy_memory() -> None:
    """Once saves pause: collect what the rebuilds left, then freeze what is left (the Site's
    memos, ≈ 150,000 objects at 4000 events) out of the garbage collector's way. A rebuild then
    spends 15–30 ms in the collector rather than 90–200 ms, ≈ 20 % of it (docs/benchmarks.md)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def describe(changes: set[tuple[watchfiles.Change, str]]) -> str:
    """'content/events/x.md changed', or 'content/events/x.md and 2 more added'."""
    first = min(path for _, path in changes)
    others = len({path for _, path in changes}) - 1
    kinds = {kind for kind, _ in changes}
    verb = VERBS[kinds.pop()] if len(kinds) == 1 else "changed"
    return f"{display_path(Path(first))} {f'and {others} more ' if others else ''}{verb}"


def reload_path(changes: set[tuple[watchfiles.Change, str]]) -> str:
    """A stylesheet-only change reloads the stylesheets in place; anything else reloads the page."""
    return "*.css" if all(path.endswith(".css") for _, path in changes) else "*"


def watch(folders: tuple[Path, ...]) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """Batches of changes to `folders`, and an empty batch after each IDLE_MS without one. A watch
    opens with a batch to build from, sent once the watcher runs so that no save during that
    build is missed: empty at first, then the folders that came back after a removal (the
    watcher loses a removed folder, so it is watched anew)."""
    came_back: set[tuple[watchfiles.Change, str]] = set()
    while True:
        if missing := [folder for folder in folders if not folder.is_dir()]:
            print(f"waiting for {', '.join(map(display_path, missing))} to come back …")
            while not all(folder.is_dir() for folder in folders):
                time.sleep(0.5)
            came_back = {(watchfiles.Change.added, str(folder)) for folder in missing}
        try:
            # yield_on_timeout: a batch comes after at most rust_timeout ms, changes or not; a save
            # is reported once STEP_MS pass without another change (editors write a file in bursts)
            batches = watchfiles.watch(*folders, watch_filter=EditorFileFilter(), yield_on_timeout=True,
                                       rust_timeout=IDLE_MS, step=STEP_MS)
            for number, changes in enumerate(batches):
                if not all(folder.is_dir() for folder in folders):
                    break
                yield came_back | changes if number == 0 else changes
        except FileNotFoundError:  # removed before the watch began
            continue


def serve(content: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Build, serve and rebuild until Ctrl-C or SIGTERM; returns the exit status."""
    sys.stdout.reconfigure(line_buffering=True)
    if not content.is_dir():
        print(f"timeline serve: {content} is not a folder; pass the content folder with --content", file=sys.stderr)
        return USAGE
    try:
        sockets = bind_sockets(port, host)
    except OSError as exc:
        print(f"timeline serve: cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --port",
              file=sys.stderr)
        return USAGE
    port = sockets[0].getsockname()[1]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    workdir = Path(tempfile.mkdtemp(prefix="timeline-serve-"))
    preview = Preview(content, workdir / "site")
    search = SearchIndex(preview.output.root)
    server = SiteServer(preview, sockets)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops the server as Ctrl-C does
    try:
        print(f"building the site from {display_path(content)} …")
        batches = watch((content, *preview.site.templates))
        next(batches)  # the watcher runs: a save from now on is seen
        preview.rebuild("first build")
        server.start()
        search.update(preview.search_key)
        watched = " or ".join(display_path(folder) for folder in (content, *preview.site.templates))
        print(f"serving {url}  (rebuilds when {watched} change; Ctrl-C to stop)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(f"note: listening on {host}: other machines on the network can open the preview")
        if open_browser and not webbrowser.open(url):
            print(f"could not open a browser: open {url} yourself")
        settled = True  # whether what waits for saves to pause was done since the last rebuild
        tidy_memory()
        for changes in batches:
            if not changes:
                preview.save_cache()
                if not settled:  # Pagefind uses every core: started sooner, it slows the reloading pages
                    search.update(preview.search_key)
                    tidy_memory()
                    settled = True
                continue
            search.stop()
            preview.rebuild(f"{time.strftime('%H:%M:%S')} {describe(changes)}",
                            lambda built: server.reload(reload_path(changes) if built else "*"))
            settled = False
    except KeyboardInterrupt:
        pass
    finally:
        search.stop()
        server.stop()
        preview.save_cache()  # the next start finds the cache as the last build left it
        shutil.rmtree(workdir, ignore_errors=True)
    print("stopped")
    return 0
