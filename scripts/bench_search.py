#!/usr/bin/env python3
"""What search costs: index time, bundle size and the bytes a reader's first one-word search fetches.

    .venv/bin/python scripts/bench_search.py CONTENT_DIR [--word W ...] [--runs 3]
    .venv/bin/python scripts/bench_search.py --events 1000 [--word W ...]

With --events N, a synthetic corpus is written first (../shared/bench/make_corpus.py). Prints the
median build and Pagefind times of `runs` builds, the bundle measured by
../shared/bench/pagefind_size.py, and what Chromium actually fetched from pagefind/ for
/search/?q=W (the page's own script included: worker, wasm, metadata, filter and index chunks,
and the fragments of the first page of results).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM_FLAGS, chromium_path, serve_folder  # noqa: E402
from generator import build  # noqa: E402
from generator.site import Site  # noqa: E402
from generator.write import StagedSite  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench"


def time_builds(content: Path, site: Path, runs: int) -> tuple[float, float]:
    totals, indexing = [], []
    for _ in range(runs):
        project = Site(content)
        result = build.build(project, StagedSite(site, content))
        project.save()
        assert result.written, result.problems
        totals.append(result.seconds)
        indexing.append(result.index_seconds)
    return statistics.median(totals), statistics.median(indexing)


def fetched_by_first_search(site: Path, word: str) -> dict:
    from playwright.sync_api import sync_playwright

    base, stop = serve_folder(site)
    fetched: set[str] = set()  # site paths; sized on disk (a worker's own script reports no body size)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.on("requestfinished", lambda r: fetched.add(urlsplit(r.url).path[1:]))
            page.goto(f"{base}search/?q={word}")
            page.locator('#search-results[aria-busy="false"]').wait_for(state="attached")
            found = page.locator("#search-status").inner_text()
            browser.close()
    finally:
        stop()
    bundle = [path for path in fetched if path.startswith("pagefind/")]
    return {"status": found, "pagefind_files": len(bundle),
            "pagefind_bytes": sum((site / path).stat().st_size for path in bundle),
            "search_js_bytes": (site / "static/search.js").stat().st_size,
            "fragments": sum(1 for path in bundle if "/fragment/" in path)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("content", nargs="?", type=Path)
    parser.add_argument("--events", type=int, help="build a synthetic corpus of this many events")
    parser.add_argument("--word", action="append", default=[])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    words = args.word or ["netflix"]
    with tempfile.TemporaryDirectory() as scratch:
        content = args.content
        if args.events:
            subprocess.run([sys.executable, str(SHARED / "make_corpus.py"), str(args.events), scratch + "/corpus"],
                           check=True, capture_output=True)
            content = Path(scratch) / "corpus/content"
        site = Path(scratch) / "site"
        total, indexing = time_builds(content, site, args.runs)
        print(f"machine: {platform.machine()}, {subprocess.getoutput('nproc')} cores; "
              f"{sum(1 for _ in content.glob('events/*/*.md'))} events; median of {args.runs} builds: "
              f"build {total:.2f} s, of which Pagefind {indexing:.2f} s")
        for word in words:
            size = json.loads(subprocess.run(
                [sys.executable, str(SHARED / "pagefind_size.py"), str(site / "pagefind"), "--word", word, "--json"],
                check=True, capture_output=True, text=True).stdout)
            entry = size["words"][0]
            print(f"'{word}': bundle {size['total_bytes']} B in {size['files']} files; pagefind_size.py: first search "
                  f"{entry['first_search_bytes']} B (+5 fragments {entry['with_5_fragments_bytes']} B)")
            print(f"'{word}': in Chromium: {json.dumps(fetched_by_first_search(site, word))}")


if __name__ == "__main__":
    main()
