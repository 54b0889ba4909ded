"""Time from saving an event to the open page showing it, under `timeline serve`.

    .venv/bin/python scripts/bench_serve.py CONTENT_DIR [--runs 5]

Copies CONTENT_DIR to a scratch folder, starts the real server on a free port, opens one event
page in Chromium (Playwright), then, run after run: rewrites that event's title on disk and
waits until the page shows it. Prints each run and the median, with the server's build time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("content", type=Path)
    args.add_argument("--runs", type=int, default=5)
    options = args.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    content = scratch / "content"
    shutil.copytree(options.content, content)
    event = sorted((content / "events").glob("**/*.md"))[0]
    lines: list[str] = []
    server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--content", str(content), "--port", "0"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True).start()
    try:
        while not (found := re.search(r"serving (http://\S+)", "".join(lines))):
            if server.poll() is not None:
                sys.exit("".join(lines))
            time.sleep(0.05)
        print(next(line for line in lines if "first build" in line).strip())
        measure(found.group(1) + f"events/{event.stem}/", event, options.runs, lines)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(scratch)


def measure(url: str, event: Path, runs: int, lines: list[str]) -> None:
    registered, loaded = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("framenavigated", lambda frame: frame == page.main_frame and registered.clear())
        page.on("websocket", lambda ws: ws.on("framesent", lambda data: '"info"' in str(data) and registered.append(1)))
        page.on("domcontentloaded", lambda _: loaded.append(time.perf_counter()))
        page.goto(url)
        seconds = []
        for run in range(runs):
            while not registered:  # the page listens for reloads
                page.wait_for_timeout(20)
            text = event.read_text()
            title = f"Benchmark title {run} {time.time_ns()}"
            loaded.clear()
            started = time.perf_counter()
            event.write_text(re.sub(r"^title: .*$", f'title: "{title}"', text, count=1, flags=re.M))
            while True:  # woken by the page's load, not by polling: a poll loop would load the machine it measures
                page.wait_for_event("domcontentloaded", timeout=60_000)
                if page.locator("h1").text_content() == title:
                    break
            seconds.append(loaded[-1] - started)  # when the reloaded page's HTML was parsed
            built = [line for line in lines if "pages written" in line][-1].rsplit(" in ", 1)[-1].strip()
            print(f"run {run + 1}: page shows the new title {seconds[-1]:.2f} s after the save (build {built})")
        print(f"median {statistics.median(seconds):.2f} s over {runs} runs")
        browser.close()


if __name__ == "__main__":
    main()
