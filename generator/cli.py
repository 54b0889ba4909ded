"""The `timeline` command: a thin shell over the pipeline in build.py."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import traceback
from pathlib import Path

from . import DISTRIBUTION, build
from .index import IndexFailed
from .problems import errors, format_problems
from .site import Site
from .values import CATEGORIES, PartialDate, check_base_url, check_url
from .templates import project_folder
from .vocabulary import event_slug
from .write import OutputRefused, StagedSite

# Exit statuses, the same for every command (the README lists them).
OK = 0
CONTENT_PROBLEMS = 1  # problems in the content or the templates, each reported with its place
USAGE = 2  # a wrong option, folder or argument
FAILURE = 3  # the build could not finish: the search index failed, or a bug in the generator
INTERRUPTED = 130  # Ctrl-C or SIGTERM, as a shell reports them

# Once per `timeline build` (not `timeline serve`, which always builds for "/"); not a content
# problem, so --strict does not fail on it.
RELATIVE_SITE = ("warning: no absolute base URL (base_url in site.yaml, or --base-url https://…): canonical links, "
                 "og:url and sitemap.xml are left out, and the feeds use relative links")


def _report(problems, fmt: str = "text") -> None:
    if problems:
        print(format_problems(problems, fmt), file=sys.stderr if fmt == "text" else sys.stdout)


def _summary(problems) -> str:
    n_errors = len(errors(problems))
    return f"{n_errors} error(s), {len(problems) - n_errors} warning(s)"


def cmd_check(args) -> int:
    result = build.check(Site(args.content))
    _report(result.problems, args.format)
    if args.format == "text":
        events = len(result.content.events)
        print(f"checked {events} valid event(s): {_summary(result.problems)}", file=sys.stderr)
    return CONTENT_PROBLEMS if result.failed(args.strict) else OK


def cmd_review(args) -> int:
    from . import review  # git and Markdown: only for this command
    result = build.check(Site(args.content))
    try:
        print(review.summary(args.content, args.since, result.content, result.problems), end="")
    except ValueError as exc:
        print(f"timeline review: --since {args.since}: {exc}", file=sys.stderr)
        return USAGE
    return OK


def cmd_links(args) -> int:
    from . import links  # lychee and its report: only for this command
    return links.run(args)


def cmd_serve(args) -> int:
    from . import serve  # the web server and watcher load only for this command
    return serve.serve(args.content, args.host, args.port, args.open)


class _Progress:
    """A counter that redraws itself on a terminal; plain lines (one per stage) otherwise."""

    LABELS = {"parse": "parsing events", "render": "rendering pages"}

    def __init__(self, stream=sys.stderr):
        self.stream, self.tty = stream, stream.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{self.LABELS[stage]}: {done}/{total}", end=end, file=self.stream, flush=True)
        elif done == total:
            print(f"{self.LABELS[stage]}: {total} done", file=self.stream)


def cmd_build(args) -> int:
    site = Site(args.content, args.base_url, args.repository_url)
    options = build.Options(strict=args.strict, search=not args.no_search, use_cache=not args.no_cache)
    try:
        result = build.build(site, StagedSite(args.output, args.content), options, progress=_Progress())
    except OutputRefused as exc:
        print(f"timeline build: {exc}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print(f"build interrupted; the previous site in {args.output} is unchanged", file=sys.stderr)
        return INTERRUPTED
    except IndexFailed as exc:
        print(f"timeline build: search index: {exc}; the previous site in {args.output} is unchanged",
              file=sys.stderr)
        return FAILURE
    finally:
        if not args.no_cache:
            site.save()
    _report(result.problems)
    if not result.written:
        print(f"build failed: {_summary(result.problems)}; the previous site in {args.output} is unchanged",
              file=sys.stderr)
        return CONTENT_PROBLEMS
    if result.cache_note:
        print(result.cache_note, file=sys.stderr)
    if result.site_url is None:
        print(RELATIVE_SITE, file=sys.stderr)
    cached = "cache off" if args.no_cache else (f"from cache: {result.events_cached}/{result.events} events, "
                                                 f"{result.pages_cached} files")
    search = f", search index {result.index_seconds:.2f} s" if result.index_seconds else ""
    print(f"built {result.events} events, {result.pages} pages into {args.output} in {result.seconds:.2f} s{search} "
          f"({cached})")
    return OK


def _schema_reference(content: Path, folder: Path) -> str | None:
    """The project's JSON Schema (docs/schema.json, from `timeline reference`) as a path from
    `folder`, for the editor hint of a new event; None when the project has none."""
    schema = project_folder(content) / "docs" / "schema.json"
    return Path(os.path.relpath(schema, folder.resolve())).as_posix() if schema.is_file() else None


def cmd_new(args) -> int:
    name = event_slug(args.title)
    if not name:
        print(f"timeline new: the title {args.title!r} has no letters or digits to name the file after",
              file=sys.stderr)
        return USAGE
    try:
        date = PartialDate.parse(args.date)
    except ValueError as exc:
        print(f"timeline new: --date: {exc}", file=sys.stderr)
        return USAGE
    from .curation import alike, title_words  # with the scaffold and pydantic's models: only for this command
    from .scaffold import new_event_text
    path = args.content / "events" / f"{date.year:04d}" / f"{date.iso}-{name}.md"
    if path.exists():
        print(f"timeline new: {path} already exists", file=sys.stderr)
        return USAGE
    known = build.check(Site(args.content)).content.events
    path.parent.mkdir(parents=True, exist_ok=True)
    text = new_event_text(_schema_reference(args.content, path.parent), title=args.title.strip(), date=date.iso,
                          category=args.category, added=dt.date.today().isoformat())
    path.write_text(text, encoding="utf-8")
    print(path)
    words = title_words(args.title)
    close = [event for event in known if event.meta.date.iso == date.iso or alike(words, event.compared.words)]
    if close:
        print("\nAlready in the timeline on that date or with a similar title (one happening, one event):",
              file=sys.stderr)
        for event in close:
            print(f"  {event.display}: {event.meta.title}", file=sys.stderr)
    print("\nNext: fill in the summary, the sources and the body, then run `timeline check --strict`.",
          file=sys.stderr)
    return OK


def cmd_init(args) -> int:
    from . import init  # the scaffold: only for this command
    try:
        written = init.init(args.folder, args.title, args.generator)
    except init.InitRefused as exc:
        print(f"timeline init: {exc}", file=sys.stderr)
        return USAGE
    for path in written:
        print(path)
    placeholder = "" if args.generator else (
        "Before you push it: set TIMELINE_GENERATOR at the top of .github/workflows/*.yml "
        "to where pip gets the generator.\n")
    print(f"\nA new timeline in {args.folder}. Next:\n"
          f"  cd {args.folder}\n"
          f"  timeline serve                              # preview it at http://127.0.0.1:8000/\n"
          f"  timeline check --strict && timeline build   # check it, then build it into site/\n"
          f"and replace the example event in content/events/.\n{placeholder}", end="", file=sys.stderr)
    return OK


def cmd_reference(args) -> int:
    from . import reference  # pydantic's schema machinery: only for this command
    if args.check:
        outdated = reference.stale(args.output)
        for path in outdated:
            print(f"{path} is out of date with generator/model.py: run `timeline reference`", file=sys.stderr)
        return CONTENT_PROBLEMS if outdated else OK
    for path in reference.write(args.output):
        print(path)
    return OK


def _argument(check):
    """An argparse type from a model check, so flags obey the same rules as site.yaml."""
    def convert(value: str) -> str:
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


class _Version(argparse.Action):
    """--version: the installed package's version, from its metadata (pyproject.toml's), read
    only when asked: importlib.metadata is slow to import."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default,
                         help=help or "show the generator's version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version
        try:
            found = version(DISTRIBUTION)
        except PackageNotFoundError:  # a source checkout run without installing it
            found = "(not installed: no version)"
        print(f"timeline {found}")
        parser.exit()


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="timeline", description="Build and check the AI-in-Hollywood timeline site.")
    main.add_argument("--version", action=_Version)
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def content_option(p):
        p.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                       help="the content folder (default: content)")

    p = commands.add_parser("check", help="validate the content and report every problem",
                            description="Validate every content file; report each problem as path:line:col: field: message.")
    content_option(p)
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--format", choices=["text", "github", "json"], default="text",
                   help="text (default), github (Actions annotations) or json")
    p.set_defaults(run=cmd_check)

    p = commands.add_parser("links", help="check that every source and link still answers (with lychee)",
                            description="Check every source URL and every link in the content with lychee; "
                                        "report each dead link as path:line:col: field: status. See docs/links.md.")
    content_option(p)
    p.add_argument("--format", choices=["text", "github", "json"], default="text",
                   help="text (default), github (Actions annotations) or json")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--changed-since", metavar="REF",
                   help="only the content files changed since a git ref (and new files not yet committed)")
    p.add_argument("--cache-age", default="1d", metavar="AGE",
                   help="skip a URL that answered less than AGE ago: 30m, 12h, 7d, 0 (default: 1d)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the results cache (.cache/timeline/links.json beside the content folder)")
    p.add_argument("--timeout", type=int, default=20, metavar="SECONDS",
                   help="how long to wait for each answer (default: 20)")
    p.add_argument("--retries", type=int, default=2, metavar="N",
                   help="how often to try a failed request again (default: 2)")
    p.add_argument("--accept", default="200..299", metavar="CODES",
                   help="the status codes of a live page, as 200..299,403 (default: 200..299)")
    p.add_argument("--insecure", action="store_true", help="accept invalid TLS certificates")
    p.set_defaults(run=cmd_links)

    p = commands.add_parser("review", help="summarize a change for its reviewer, in Markdown",
                            description="List the events added or changed since a git ref (date, title, category, "
                                        "sources) and every problem in the content, as Markdown: the pull-request "
                                        "check writes it to the job summary. Exit status 0 whatever the problems: "
                                        "`timeline check` is the gate.")
    content_option(p)
    p.add_argument("--since", required=True, metavar="REF", help="the git ref to compare with, e.g. origin/main")
    p.set_defaults(run=cmd_review)

    p = commands.add_parser("build", help="build the static site", description="Check the content, then build the site.")
    content_option(p)
    p.add_argument("--output", type=Path, default=Path("site"), metavar="DIR", help="the output folder (default: site)")
    p.add_argument("--base-url", type=_argument(check_base_url), metavar="URL",
                   help="where the site is served: /, /repo/ or https://host/repo/ (default: from site.yaml)")
    p.add_argument("--repository-url", type=_argument(check_url), metavar="URL",
                   help="the GitHub repository, for edit and correction links (default: from site.yaml)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--no-search", action="store_true", help="skip the search index (faster; /search/ will say it is missing)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the build cache (.cache/timeline/ beside the content folder)")
    p.set_defaults(run=cmd_build)

    p = commands.add_parser("serve", help="preview the site: rebuild and reload the browser as you edit",
                            description="Build the site, serve it, rebuild it whenever the content or templates "
                                        "change and reload the open pages; mistakes show on the pages.")
    content_option(p)
    p.add_argument("--port", type=int, default=8000, help="the port to listen on (default: 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default: 127.0.0.1, reachable from this machine only)")
    p.add_argument("--open", action="store_true", help="open the site in the web browser")
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("new", help="start a new event file", description="Write a new, pre-filled event file and print its path.")
    content_option(p)
    p.add_argument("title", help="the event's title")
    p.add_argument("--date", required=True, help="YYYY-MM-DD, YYYY-MM or YYYY")
    p.add_argument("--category", required=True, choices=list(CATEGORIES))
    p.set_defaults(run=cmd_new)

    p = commands.add_parser("init", help="start a new timeline project in a new folder",
                            description="Write a new timeline project (settings, an example event, an About page, "
                                        "GitHub workflows, a README) into a folder that does not exist or is empty.")
    p.add_argument("folder", type=Path, metavar="DIR", help="the new project's folder")
    p.add_argument("--title", help="the site's title (default: from the folder's name)")
    p.add_argument("--generator", metavar="REQUIREMENT",
                   help="what the project's workflows pip-install, e.g. git+https://github.com/OWNER/REPO.git@v0.2.0 "
                        "(default: a placeholder to replace)")
    p.set_defaults(run=cmd_init)

    p = commands.add_parser("reference", help="write the field reference and JSON Schema from the models",
                            description="Write fields.md and schema.json, generated from generator/model.py.")
    p.add_argument("--output", type=Path, default=Path("docs"), metavar="DIR",
                   help="where to write them (default: docs)")
    p.add_argument("--check", action="store_true", help="write nothing; fail if the files there are out of date")
    p.set_defaults(run=cmd_reference)
    return main


def _no_content(content: Path | None) -> str | None:
    """Why `content` is not a content folder: a command run from the wrong folder must not find
    nothing, report success and leave a cache behind."""
    if content is None or (content / "events").is_dir():
        return None
    return f"no content folder at {content} (it has no events/ folder): run from the project's root or pass --content"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if wrong := _no_content(getattr(args, "content", None)):
        print(f"timeline {args.command}: {wrong}", file=sys.stderr)
        return USAGE
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill cleans up as Ctrl-C does
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return INTERRUPTED
    except Exception:  # a bug: say so, with what a maintainer needs to fix it
        print(f"timeline {args.command}: internal error (a bug in the generator; please report it "
              f"with what follows):\n{traceback.format_exc()}", file=sys.stderr)
        return FAILURE


def run() -> None:
    """The `timeline` command."""
    sys.exit(main())


if __name__ == "__main__":
    run()
