"""`timeline links`: lychee checks every link against a local site started here (never the
internet), and a dead one is reported at its place, like a `timeline check` problem."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, run_timeline
from generator import links
from generator.load import RawDocument
from generator.values import PartialDate, wayback_lookup

EVENT = "content/events/2023/2023-05-02-writers-strike.md"
OTHER = "content/events/2023/2023-06-01-second-event.md"


class _Handler(BaseHTTPRequestHandler):
    """/ok, /page: 200; /moved: 301 to /ok; /slow: 200 after 0.3 s; /hang: no answer until the
    test ends; /forbidden: 403; anything else: 404."""

    def do_GET(self):
        site = self.server.site
        path = urlsplit(self.path).path
        with site.lock:
            site.hits[path] += 1
        if path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif path == "/hang":
            site.release.wait(120)
            return
        elif path in ("/ok", "/page", "/slow"):
            if path == "/slow":
                time.sleep(0.3)  # well inside any --timeout used here
            self.send_response(200)
        else:
            self.send_response(403 if path == "/forbidden" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None  # when set, a connection that opens a TLS handshake gets TLS

    def finish_request(self, request, client_address):
        if self.tls and request.recv(1, socket.MSG_PEEK) == b"\x16":
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # a client that hung up, a refused handshake


class Site:
    """A local site on 127.0.0.1 that counts the requests for each path."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.hits: Counter = Counter()
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.site, self.server.tls = self, tls
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    site = Site()
    yield site
    site.stop()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_links(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`timeline links` in `cwd` (content/ there), without a proxy between it and 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run([sys.executable, "-m", "generator", "links", "--content", "content", "--retries", "0",
                           *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def write_event(root: Path, relpath: str, sources: list[dict], body: str = "The account.", title: str = "An event"):
    """An event file whose sources are written one field a line, as contributors do."""
    date = Path(relpath).name[:10]
    lines = ["---", f'title: "{title}"', f'date: "{date}"', 'summary: "What happened."', "category: labor",
             f'checked: "{date}"', "sources:"]
    for n, source in enumerate(sources):
        lines += [f'  - title: "Source {n}"', '    publisher: "A publisher"']
        lines += [f'    {key}: "{value}"' for key, value in source.items()]
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*lines, "---", body, ""]), encoding="utf-8")


def place(root: Path, relpath: str, url: str, key: str = "url") -> str:
    """`path:line:column` of a URL as written (the column of its opening quote, or of the URL)."""
    for number, line in enumerate((root / relpath).read_text().split("\n"), start=1):
        if f'{key}: "{url}"' in line:
            return f"{relpath}:{number}:{line.index(f'{key}: ') + len(key) + 3}"
        if key == "body" and url in line:
            return f"{relpath}:{number}:{line.index(url) + 1}"
    raise AssertionError(f"{url} is not in {relpath}")


def problems_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("content/")]


def test_a_dead_source_is_reported_at_its_place_with_a_wayback_lookup(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/ok"}, {"url": f"{site.base}/moved"},
                                  {"url": f"{site.base}/gone", "date": "2023-05-05"}, {"url": f"{site.base}/slow"}])
    result = run_links(tmp_path, "--timeout", "10")
    assert result.returncode == 1, result.stderr
    assert problems_in(result.stderr) == [
        f"{place(tmp_path, EVENT, f'{site.base}/gone')}: sources[2].url: 404 Not Found; look for an archived copy at "
        f"https://web.archive.org/web/20230505/{site.base}/gone (a Wayback Machine lookup, not a saved copy), "
        f"then add it as archive_url"]
    assert "checked 4 link(s), 4 distinct URL(s) (0 answered recently, 0 excluded): 1 error(s), 0 warning(s)" \
        in result.stderr
    assert site.hits["/moved"] == 1 and site.hits["/slow"] == 1 and site.hits["/gone"] == 1


def test_live_pages_and_redirects_pass(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/moved"}, {"url": f"{site.base}/ok"}],
                body=f"More in [the report]({site.base}/page).")
    result = run_links(tmp_path)
    assert result.returncode == 0, result.stderr
    assert problems_in(result.stderr) == []
    assert "3 distinct URL(s)" in result.stderr and "0 error(s), 0 warning(s)" in result.stderr
    assert site.hits["/page"] == 1


def test_era_sources_and_body_links_are_located(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/ok"}],
                body=f"See [the ruling]({site.base}/ruling), and `{site.base}/in-code` is not a link.")
    (tmp_path / "content/eras.yaml").write_text(
        "- id: strike\n  title: Strike\n  start: '2023'\n  end: '2023'\n  description: D.\n  sources:\n"
        f'    - {{title: t, publisher: p, url: "{site.base}/era-gone", date: "2023-07"}}\n')
    result = run_links(tmp_path)
    assert result.returncode == 1
    era_column = (tmp_path / "content/eras.yaml").read_text().split("\n")[6].index('"http') + 1
    assert problems_in(result.stderr) == [
        f"content/eras.yaml:7:{era_column}: [0].sources[0].url: 404 Not Found; look for an archived copy at "
        f"https://web.archive.org/web/202307/{site.base}/era-gone (a Wayback Machine lookup, not a saved copy), "
        f"then add it as archive_url",
        f"{place(tmp_path, EVENT, f'{site.base}/ruling', 'body')}: body: 404 Not Found; look for an archived copy "
        f"at https://web.archive.org/web/*/{site.base}/ruling (a Wayback Machine lookup, not a saved copy)"]
    assert site.hits["/in-code"] == 0


def test_a_dead_source_with_an_archived_copy_gets_no_lookup(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/gone",
                                   "archive_url": "https://web.archive.org/web/2023/https://example.org/"}])
    result = run_links(tmp_path)
    assert result.returncode == 1
    assert problems_in(result.stderr) == [f"{place(tmp_path, EVENT, f'{site.base}/gone')}: sources[0].url: "
                                          f"404 Not Found (the source has an archive_url)"]


def test_a_page_that_never_answers_is_a_warning_not_a_dead_link(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/hang"}, {"url": f"{site.base}/ok"}])
    result = run_links(tmp_path, "--timeout", "2")
    assert result.returncode == 0, result.stderr
    assert problems_in(result.stderr) == [
        f"{place(tmp_path, EVENT, f'{site.base}/hang')}: warning: sources[0].url: could not be checked: "
        f"no answer within 2 s"]


def test_a_refusal_is_a_warning_that_strict_or_accept_settle(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/forbidden"}])
    result = run_links(tmp_path)
    assert result.returncode == 0
    assert problems_in(result.stderr) == [
        f"{place(tmp_path, EVENT, f'{site.base}/forbidden')}: warning: sources[0].url: could not be checked: "
        f"403 Forbidden (the site may turn link checkers away, or fail for now); open it in a browser"]
    assert run_links(tmp_path, "--strict").returncode == 1
    accepted = run_links(tmp_path, "--strict", "--accept", "200..299,403")
    assert accepted.returncode == 0, accepted.stderr


def test_no_network_is_its_own_exit_status_not_dead_links(tmp_path):
    write_event(tmp_path, EVENT, [{"url": f"http://127.0.0.1:{closed_port()}/a"},
                                  {"url": f"http://127.0.0.1:{closed_port()}/b"}])
    result = run_links(tmp_path)
    assert result.returncode == 3, result.stderr
    assert "timeline links: could not reach the network: none of the 2 link(s) checked got an answer" in result.stderr
    assert "no link was found dead" in result.stderr
    assert problems_in(result.stderr) == []
    assert not (tmp_path / ".cache/timeline/links.json").exists() or \
        json.loads((tmp_path / ".cache/timeline/links.json").read_text())["ok"] == {}


def test_one_unreachable_host_among_live_ones_is_a_warning(tmp_path, site):
    dead_host = f"http://127.0.0.1:{closed_port()}/a"
    write_event(tmp_path, EVENT, [{"url": dead_host}, {"url": f"{site.base}/ok"}])
    result = run_links(tmp_path)
    assert result.returncode == 0, result.stderr
    [warning] = problems_in(result.stderr)
    assert warning.startswith(f"{place(tmp_path, EVENT, dead_host)}: warning: sources[0].url: could not be checked: ")


def test_the_cache_skips_a_url_that_answered_recently(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/ok"}, {"url": f"{site.base}/gone"}])
    assert run_links(tmp_path).returncode == 1
    assert (site.hits["/ok"], site.hits["/gone"]) == (1, 1)
    cache = json.loads((tmp_path / ".cache/timeline/links.json").read_text())
    assert list(cache["ok"]) == [f"{site.base}/ok"]  # successes only

    again = run_links(tmp_path, "--cache-age", "7d")
    assert again.returncode == 1
    assert (site.hits["/ok"], site.hits["/gone"]) == (1, 2)  # the dead link is asked again
    assert "(1 answered recently, 0 excluded)" in again.stderr

    assert run_links(tmp_path, "--cache-age", "0").returncode == 1
    assert site.hits["/ok"] == 2
    assert run_links(tmp_path, "--no-cache").returncode == 1
    assert site.hits["/ok"] == 3


def test_changed_since_checks_only_the_files_changed_or_added(tmp_path, site):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=tmp_path,
                       check=True, capture_output=True)
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/gone-1"}])
    write_event(tmp_path, OTHER, [{"url": f"{site.base}/gone-2"}])
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "events")
    write_event(tmp_path, OTHER, [{"url": f"{site.base}/gone-2"}], title="A corrected title")
    added = "content/events/2023/2023-07-01-new-event.md"
    write_event(tmp_path, added, [{"url": f"{site.base}/gone-3"}])

    result = run_links(tmp_path, "--changed-since", "HEAD")
    assert result.returncode == 1
    assert [line.split(": ")[0] for line in problems_in(result.stderr)] == [
        place(tmp_path, OTHER, f"{site.base}/gone-2"), place(tmp_path, added, f"{site.base}/gone-3")]
    assert site.hits["/gone-1"] == 0

    bad = run_links(tmp_path, "--changed-since", "no-such-ref")
    assert bad.returncode == 2 and "--changed-since no-such-ref:" in bad.stderr
    assert run_links(tmp_path, "--changed-since", "--output=x").returncode == 2


def test_github_and_json_formats(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/gone"}, {"url": f"{site.base}/forbidden"}])
    at = place(tmp_path, EVENT, f"{site.base}/gone").split(":")
    github = run_links(tmp_path, "--format", "github")
    assert github.returncode == 1
    lines = github.stdout.splitlines()
    assert lines[0].startswith(f"::error file={EVENT},line={at[1]},col={at[2]},title=sources[0].url::"
                               f"{EVENT}:{at[1]}:{at[2]}: sources[0].url: 404 Not Found")
    assert lines[1].startswith(f"::warning file={EVENT},")

    as_json = run_links(tmp_path, "--format", "json")
    assert as_json.returncode == 1
    dead, refused = json.loads(as_json.stdout)
    assert (dead["path"], dead["line"], dead["column"], dead["field"], dead["severity"]) == \
        (EVENT, int(at[1]), int(at[2]), "sources[0].url", "error")
    assert dead["message"].startswith("404 Not Found; look for an archived copy at https://web.archive.org/web/*/")
    assert refused["severity"] == "warning"


def test_the_exclude_list_in_site_yaml(tmp_path, site):
    write_event(tmp_path, EVENT, [{"url": f"{site.base}/gone"}, {"url": f"{site.base}/ok"}])
    settings = tmp_path / "content/site.yaml"
    settings.write_text('title: "T"\nlinks_exclude:\n  - "/gone$"\n')
    result = run_links(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(0 answered recently, 1 excluded): 0 error(s)" in result.stderr
    assert site.hits["/gone"] == 0

    settings.write_text('title: "T"\nlinks_exclude:\n  - "/gone$"\n  - "(unclosed"\n')
    result = run_links(tmp_path)
    assert result.returncode == 1
    assert problems_in(result.stderr) == [
        "content/site.yaml:4:5: links_exclude[1]: '(unclosed' is not a valid regular expression: "
        "missing ), unterminated subpattern at position 0"]
    assert site.hits["/ok"] == 1  # nothing was checked


@pytest.fixture
def tls_site(tmp_path_factory):
    """A site that answers plain HTTP and, on the same port, HTTPS with a self-signed certificate."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder / "key.pem", "-out", folder / "cert.pem"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    site = Site(tls=context)
    yield site
    site.stop()


def test_an_http_source_that_answers_over_https_is_a_warning(tmp_path, tls_site):
    secure = tls_site.base.replace("http://", "https://")
    write_event(tmp_path, EVENT, [{"url": f"{tls_site.base}/page"}, {"url": f"{secure}/ok"}])
    result = run_links(tmp_path, "--insecure")  # the certificate is self-signed
    assert result.returncode == 0, result.stderr
    assert problems_in(result.stderr) == [
        f"{place(tmp_path, EVENT, f'{tls_site.base}/page')}: warning: sources[0].url: "
        f"use https: the page answers at {secure}/page"]
    assert tls_site.hits["/page"] == 2  # once over each scheme, in one run


def test_archive_url_must_be_on_a_web_archive(tmp_path):
    write_event(tmp_path, EVENT, [{"url": "https://example.org/a", "archive_url": "https://example.org/copy"},
                                  {"url": "https://example.org/b", "archive_url": "https://archive.ph/AbCd"},
                                  {"url": "https://example.org/c", "archive_url": "https://archive.org.evil.example/c"}])
    result = run_timeline("check", "--content", tmp_path / "content", cwd=tmp_path)
    assert result.returncode == 1
    message = ("is not on a web archive; an archived copy must be on web.archive.org, archive.org, archive.today, "
               "archive.ph, archive.is or perma.cc")
    assert problems_in(result.stderr) == [
        f"{place(tmp_path, EVENT, 'https://example.org/copy', 'archive_url')}: sources[0].archive_url: "
        f"'https://example.org/copy' {message}",
        f"{place(tmp_path, EVENT, 'https://archive.org.evil.example/c', 'archive_url')}: sources[2].archive_url: "
        f"'https://archive.org.evil.example/c' {message}"]


# ---- the parts, without lychee ----------------------------------------------------------------

def test_accept_and_age_options():
    assert links.parse_accept("200..299,403, 429") == "200..=299,403,429"
    assert links.parse_accept("200..=204") == "200..=204"
    for wrong in ("2xx", "299..200", "200-299"):
        with pytest.raises(Exception, match="not a status code"):
            links.parse_accept(wrong)
    assert [links.parse_age(v) for v in ("0", "30m", "12h", "7d", "2w")] == [0, 1800, 43200, 604800, 1209600]
    with pytest.raises(Exception, match="not an age"):
        links.parse_age("7")


def test_body_links_leave_out_punctuation_code_and_unmatched_parentheses():
    body = ("Read https://a.example/x.\n"
            "A [report](https://b.example/wiki/Film_(2023)) and (see https://c.example/y).\n"
            "```\nhttps://d.example/in-a-fence\n```\n"
            "`https://e.example/code` <https://f.example/z>, done")
    doc = RawDocument(Path("x.md"), "x.md", body=body, body_line=10)
    found = [(link.url, link.line, link.column) for link in links.body_links(doc)]
    assert found == [("https://a.example/x", 10, 6), ("https://b.example/wiki/Film_(2023)", 11, 12),
                     ("https://c.example/y", 11, 57), ("https://f.example/z", 15, 27)]


def _link(url: str, **kwargs) -> links.Link:
    return links.Link(url, EVENT, 5, 10, "sources[0].url", **kwargs)


def test_the_https_twin_and_no_network_logic_with_an_injected_checker(tmp_path):
    """The verdicts built from lychee's outcomes, with lychee replaced by a table."""
    table = {"http://a.example/p": links.Outcome("ok", "200 OK"), "https://a.example/p": links.Outcome("ok", "200 OK"),
             "http://b.example/p": links.Outcome("ok", "200 OK"),
             "https://b.example/p": links.Outcome("network", "TLS handshake failed")}
    asked = []

    def checker(urls, options):
        asked.append(urls)
        return {url: table[url] for url in urls}

    report = links.check_links([_link("http://a.example/p"), _link("http://b.example/p")], [], links.Options(), None,
                               runner=checker)
    assert asked == [sorted(table)]  # one run, twins included
    assert [p.as_text() for p in report.problems] == [
        f"{EVENT}:5:10: warning: sources[0].url: use https: the page answers at https://a.example/p"]

    # The only link fails, but its https twin answers: the network is up, the link is unreachable.
    only_twin = lambda urls, options: {"http://c.example/p": links.Outcome("network", "Connection refused"),
                                       "https://c.example/p": links.Outcome("ok", "200 OK")}
    report = links.check_links([_link("http://c.example/p")], [], links.Options(), None, runner=only_twin)
    assert [p.message for p in report.problems] == ["could not be checked: Connection refused",
                                                    "use https: the page answers at https://c.example/p"]

    offline = lambda urls, options: {url: links.Outcome("network", "dns error") for url in urls}
    with pytest.raises(links.CannotCheck, match="could not reach the network: none of the 2 link"):
        links.check_links([_link("https://a.example/p"), _link("https://b.example/p")], [], links.Options(), None,
                          runner=offline)


def test_wayback_lookup_uses_the_source_date_at_its_precision():
    assert wayback_lookup("https://a.example/p", PartialDate(2023, 5, 5)) == \
        "https://web.archive.org/web/20230505/https://a.example/p"
    assert wayback_lookup("https://a.example/p", PartialDate(2023, 5)) == \
        "https://web.archive.org/web/202305/https://a.example/p"
    assert wayback_lookup("https://a.example/p", None) == "https://web.archive.org/web/*/https://a.example/p"


def test_lychee_comes_with_the_package():
    executable = links.lychee_executable()
    assert executable and Path(executable).is_file()
    assert subprocess.run([executable, "--version"], capture_output=True, text=True).stdout.startswith("lychee ")


def test_the_event_page_offers_the_archived_copy_or_a_labelled_wayback_lookup(tmp_path):
    write_event(tmp_path, EVENT, [
        {"url": "https://a.example/saved", "archive_url": "https://web.archive.org/web/2023/https://a.example/saved"},
        {"url": "https://b.example/dated", "date": "2023-05-03"},
        {"url": "https://c.example/undated"}])
    done = subprocess.run([sys.executable, "-m", "generator", "build", "--no-search", "--content", "content",
                           "--output", "site"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site/events" / Path(EVENT).stem / "index.html").read_text()
    sources = re.search(r'<ol class="sources">(.*?)</ol>', page, re.S)
    items = re.findall(r"<li>(.*?)</li>", sources.group(1) if sources else page, re.S)
    assert len(items) == 3
    assert '<a href="https://web.archive.org/web/2023/https://a.example/saved" rel="noopener noreferrer">archived copy</a>' \
        in items[0] and "look up" not in items[0]
    assert '<a href="https://web.archive.org/web/20230503/https://b.example/dated" rel="noopener noreferrer">' \
        'look up archived copies</a>' in items[1]
    assert 'href="https://web.archive.org/web/*/https://c.example/undated"' in items[2]
