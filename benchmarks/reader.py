"""What a reader downloads: the home page and the largest list page, and the home filter's index.

    .venv/bin/python benchmarks/reader.py [--sizes 4000] [--shipped] [--lighthouse-runs 3]

Run it from the project root. For each size it builds the synthetic corpus of
../shared/bench/make_corpus.py (as benchmarks/run.py does), and with --shipped the site from
content/, then reports the HTML size and DOM element count of the home page and of the largest
list page (a page under /categories/, /years/, /organizations/, /people/, /works/ or /tags/), and
the size of the filter's index (filter.json), raw and gzipped. DOM elements are counted in
Chromium after the page's scripts ran (the filter's cards come only when it is used).

Where Chromium and Lighthouse are present (`npm ci` installs Lighthouse from package.json;
Chromium at $CHROMIUM, or `chromium` on PATH), it also runs Lighthouse (mobile, its default) on
both pages, served gzipped as GitHub Pages serves them, and reports the median score of
--lighthouse-runs runs per category. Never used by the tests.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from run import MAKE_CORPUS, ROOT, TIMELINE, machine

sys.path.insert(0, str(ROOT))
from generator.vocabulary import FACETS, site_path  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".xml")


class GzipHandler(SimpleHTTPRequestHandler):
    """A static server that gzips text, as GitHub Pages does."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not (path.suffix in COMPRESSED and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)

    def log_message(self, *args):
        pass


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass


def serve(folder: Path) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def build(content: Path, out: Path, base_url: str) -> None:
    subprocess.run([*TIMELINE, "build", "--no-cache", "--no-search", "--content", str(content), "--output", str(out),
                    "--base-url", base_url], cwd=ROOT, check=True, capture_output=True)


def largest_list_page(site: Path) -> str:
    pages = [p for kind in FACETS for p in (site / site_path("facet_index", kind)).rglob("index.html")]
    return max(pages, key=lambda p: p.stat().st_size).parent.relative_to(site).as_posix() + "/"


def dom_counts(base: str, paths: list[str]) -> dict[str, int | None]:
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if not path:
        return dict.fromkeys(paths)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        counts = {}
        for url_path in paths:
            page.goto(base + url_path, wait_until="networkidle")
            counts[url_path] = page.evaluate("document.getElementsByTagName('*').length")
        browser.close()
    return counts


def lighthouse(url: str, runs: int) -> dict[str, float] | None:
    if not (LIGHTHOUSE.exists() and chromium()) or runs < 1:
        return None
    scores: dict[str, list[float]] = {name: [] for name in CATEGORIES}
    for _ in range(runs):
        done = subprocess.run([str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
                               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}"],
                              capture_output=True, text=True, env={**os.environ, "CHROME_PATH": chromium()})
        if done.returncode != 0:
            print(f"benchmarks: lighthouse failed on {url}:\n{done.stderr[-1500:]}", file=sys.stderr)
            return None
        report = json.loads(done.stdout)
        for name in CATEGORIES:
            scores[name].append(report["categories"][name]["score"] * 100)
    return {name: statistics.median(values) for name, values in scores.items()}


def measure(label: str, content: Path, site: Path, runs: int) -> dict[str, object]:
    """Built for the address it is served at, as a site is deployed (canonical links are full URLs)."""
    site.mkdir(parents=True)
    base, server = serve(site)
    try:
        build(content, site, base)
        index = (site / site_path("filter_index")).read_bytes()
        listed = largest_list_page(site)
        doms = dom_counts(base, ["", listed])
        row = {"site": label, "events": len(json.loads(index)["events"]["url"]),
               "home KB": (site / "index.html").stat().st_size / 1024, "home DOM": doms[""],
               "largest list page": listed, "list KB": (site / listed / "index.html").stat().st_size / 1024,
               "list DOM": doms[listed],
               "index KB": len(index) / 1024, "index gzip KB": len(gzip.compress(index, 6)) / 1024,
               "over 150 KB": sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                                     if p.stat().st_size > 150 * 1024 and not p.match("events/*/index.html"))}
        row["lighthouse home"] = lighthouse(base, runs)
        row["lighthouse list"] = lighthouse(base + listed, runs)
    finally:
        server.shutdown()
    return row


def scores(found: dict[str, float] | None) -> str:
    return " / ".join(f"{found[name]:.0f}" for name in CATEGORIES) if found else "not measured"


def table(rows: list[dict[str, object]]) -> str:
    def count(value: object) -> str:
        return "–" if value is None else str(value)
    lines = ["| site | events | home KB | home DOM | largest list page | its KB | its DOM | filter index KB (gzip) |",
             "|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['site']} | {r['events']} | {r['home KB']:.0f} | {count(r['home DOM'])} | "
                     f"`/{r['largest list page']}` | {r['list KB']:.0f} | {count(r['list DOM'])} | "
                     f"{r['index KB']:.0f} ({r['index gzip KB']:.0f}) |")
    lines += ["", "Lighthouse, mobile: performance / accessibility / best practices / SEO (median of the runs)", "",
              "| site | home page | largest list page |", "|---|---|---|"]
    lines += [f"| {r['site']} | {scores(r['lighthouse home'])} | {scores(r['lighthouse list'])} |" for r in rows]
    over = [f"{r['site']}: {', '.join(r['over 150 KB'])}" for r in rows if r["over 150 KB"]]
    lines += ["", "Pages other than event pages over 150 KB: " + ("; ".join(over) if over else "none") + "."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[4000])
    parser.add_argument("--shipped", action="store_true", help="also the site of content/")
    parser.add_argument("--lighthouse-runs", type=int, default=3, help="0 to skip Lighthouse")
    args = parser.parse_args()
    if args.sizes and not MAKE_CORPUS.exists():
        print(f"benchmarks: {MAKE_CORPUS} is missing: the shared benchmark harness must be beside the project",
              file=sys.stderr)
        return 2
    if not (LIGHTHOUSE.exists() and chromium()):
        print("benchmarks: Lighthouse or Chromium is missing (npm ci; apt-get install chromium): no scores",
              file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="timeline-reader-") as scratch:
        if args.shipped:
            rows.append(measure("content/ (shipped)", ROOT / "content", Path(scratch) / "shipped", args.lighthouse_runs))
        for n in args.sizes:
            print(f"N={n}: building the corpus and measuring …", file=sys.stderr)
            corpus = Path(scratch) / f"corpus-{n}"
            subprocess.run([sys.executable, MAKE_CORPUS, str(n), corpus, "--format", "ours"], check=True,
                           capture_output=True)
            rows.append(measure(f"synthetic, {n}", corpus / "content", corpus / "site", args.lighthouse_runs))
    print(table(rows))
    print(f"\nMachine: {machine()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
