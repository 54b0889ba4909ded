"""Curation warnings: near-duplicate names, one source page cited twice, near-identical titles a
few days apart, the scaffold's placeholder left in. Each is located at its list item or field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_timeline
from generator.curation import TITLE_DAYS, TITLE_RATIO, TRACKING_PARAMETERS, name_key, url_key
from generator.scaffold import PLACEHOLDER_BODY


def write_event(content: Path, event_id: str, title: str = "", *, summary: str = "What happened.",
                urls: tuple[str, ...] = (), related: tuple[str, ...] = (), body: str = "The account.",
                **names: list[str]) -> Path:
    """An event file whose date is its id's prefix; `names`: organizations, people, works, tags."""
    date = event_id[:10] if event_id[8:10].isdigit() else event_id[:7]
    lines = ["---", f"title: {json.dumps(title or event_id)}", f'date: "{date}"',
             f"summary: {json.dumps(summary)}", "category: labor"]
    lines += [f"{kind}: {json.dumps(values)}" for kind, values in names.items()]
    lines += [f"related: {json.dumps(list(related))}", "sources:"]
    for n, url in enumerate(urls or (f"https://example.com/{event_id}",)):
        lines += [f'  - title: "Report {n}"', '    publisher: "Trade paper"', f"    url: {json.dumps(url)}"]
    lines += ['checked: "2024-06-01"', "---", body]
    path = content / "events" / date[:4] / f"{event_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def place(path: Path, needle: str, nth: int = 1) -> str:
    """'line:column' of the nth occurrence of needle in the file, counted independently of the parser."""
    text, at = path.read_text(encoding="utf-8"), -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    before = text[:at]
    return f"{before.count(chr(10)) + 1}:{at - (before.rfind(chr(10)) + 1) + 1}"


def warnings(content: Path, *extra: str) -> list[str]:
    result = run_timeline("check", "--content", content, *extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if ": warning: " in line]


def test_a_variant_spelling_is_located_with_the_most_used_one_and_its_count(tmp_path):
    for n in range(3):
        write_event(tmp_path, f"2023-0{n + 1}-10-strike-news-{n}", organizations=["Netflix", "SAG-AFTRA"])
    odd = write_event(tmp_path, "2023-05-10-odd-spelling", organizations=["Netflix", "Sag Aftra"])
    [line] = warnings(tmp_path)
    at = place(odd, '"Sag Aftra"')
    assert line.endswith(f"2023-05-10-odd-spelling.md:{at}: warning: organizations[1]: "
                         "'Sag Aftra' is written 'SAG-AFTRA' elsewhere — did you mean 'SAG-AFTRA' (3 events)?")
    relaxed = run_timeline("check", "--content", tmp_path)
    assert relaxed.returncode == 0 and "0 error(s), 1 warning(s)" in relaxed.stderr
    strict = run_timeline("check", "--content", tmp_path, "--strict")
    assert strict.returncode == 1 and "'Sag Aftra' is written 'SAG-AFTRA'" in strict.stderr


@pytest.mark.parametrize("kind, used, variant", [
    ("tags", "digital-replica", "digital-replicas"),
    ("people", "Zoë Saldaña", "Zoe Saldana"),
    ("people", "Ted Sarandos", "Ted\u200b Sarandos"),  # a zero-width space
    ("works", "Alien: Romulus", "alien romulus"),
    ("organizations", "Writers Guild of America", "Writers' Guild of\u00adAmerica"),  # a soft hyphen
])
def test_each_kind_of_name_is_compared(tmp_path, kind, used, variant):
    write_event(tmp_path, "2023-01-10-first", **{kind: [used]})
    write_event(tmp_path, "2023-02-10-second", **{kind: [used]})
    write_event(tmp_path, "2023-03-10-third", **{kind: [variant]})
    [line] = warnings(tmp_path)
    assert "2023-03-10-third.md" in line and f": {kind}[0]: " in line
    assert f"did you mean '{used}' (2 events)?" in line


def test_a_tie_goes_to_the_first_spelling_in_alphabetical_order(tmp_path):
    write_event(tmp_path, "2023-01-10-first", organizations=["Metaphysic AI"])
    write_event(tmp_path, "2023-02-10-second", organizations=["MetaPhysic A.I."])
    [line] = warnings(tmp_path)
    assert "2023-01-10-first.md" in line and "did you mean 'MetaPhysic A.I.' (1 event)?" in line


def test_distinct_names_are_not_variants():
    for one, other in [("Disney", "Disney+"), ("Her", "Here"), ("Warner Bros.", "Warner Bros. Discovery"),
                       ("Directors Guild of America", "Writers Guild of America"), ("strike", "strikes-2023")]:
        assert name_key(one) != name_key(other), (one, other)
    assert name_key("SAG–AFTRA.") == name_key("sag aftra") == name_key("SAG-AFTRA")


def test_a_page_cited_by_two_events_is_reported_on_the_later_one(tmp_path):
    write_event(tmp_path, "2023-01-10-first", urls=["https://www.variety.com/2023/strike/?utm_source=rss#top"])
    later = write_event(tmp_path, "2023-04-10-later", urls=["https://example.com/other",
                                                            "http://Variety.com:80/2023/strike"])
    [line] = warnings(tmp_path)
    at = place(later, '"http://Variety')
    assert f"2023-04-10-later.md:{at}: warning: sources[1].url: " in line
    assert "the same page is a source of " in line and "2023-01-10-first.md; is it one event?" in line


def test_related_events_may_share_a_source(tmp_path):
    url = "https://variety.com/2023/strike"
    write_event(tmp_path, "2023-01-10-first", urls=[url])
    write_event(tmp_path, "2023-04-10-later", urls=[url], related=["2023-01-10-first"])
    write_event(tmp_path, "2023-05-10-unrelated", urls=[url + "/"])
    [line] = warnings(tmp_path)
    assert "2023-05-10-unrelated.md" in line and "sources[0].url" in line and "2023-01-10-first.md" in line


def test_a_page_cited_twice_by_one_event_is_reported_once(tmp_path):
    path = write_event(tmp_path, "2023-01-10-first", urls=["https://variety.com/a?id=1&x=2",
                                                           "https://variety.com/b", "https://variety.com/a?x=2&id=1"])
    [line] = warnings(tmp_path)
    at = place(path, '"https://variety.com/a', 2)
    assert f"{at}: warning: sources[2].url: the same page as sources[0]" in line


def test_url_keys():
    same = ["https://www.example.com/a/b/", "http://example.com/a/b", "https://EXAMPLE.com:443/a/b#section",
            "https://example.com/a/b?utm_source=x&utm_medium=y&fbclid=z&ref=home"]
    assert len({url_key(url) for url in same}) == 1
    assert url_key("https://e.com/a?p=2&q=1&gclid=x") == url_key("https://e.com/a?q=1&p=2")
    different = ["https://example.com/a/b", "https://example.com/A/b", "https://example.com/a/b?id=2",
                 "https://news.example.com/a/b", "https://example.com:8443/a/b", "https://example.com/a"]
    assert len({url_key(url) for url in different}) == len(different)


@pytest.mark.parametrize("first, second", [
    ("SAG-AFTRA members go on strike against the studios", "SAG-AFTRA members go on strike against the studio"),
    ("The union and the studios sign the deal", "the union and the studios sign the deal!"),  # repeated words
    ("The union and the studios sign the deal", "The union and the studios signed the deal"),
])
def test_near_identical_titles_days_apart(tmp_path, first, second):
    write_event(tmp_path, "2023-07-12-strike-a", first)
    later = write_event(tmp_path, "2023-07-14-strike-b", second)
    [line] = warnings(tmp_path)
    at = place(later, '"' + second[:3])
    assert f"2023-07-14-strike-b.md:{at}: warning: title: (nearly) the same title as " in line
    assert "2023-07-12-strike-a.md, 2 day(s) earlier" in line


@pytest.mark.parametrize("first, second", [
    (("2023-07-01-strike-a", "SAG-AFTRA members go on strike"),
     ("2023-07-11-strike-b", "SAG-AFTRA members go on strike")),
    (("2023-07-12-strike-a", "SAG-AFTRA members go on strike"), ("2023-07-13-deal-b", "WGA members ratify their deal")),
    (("2023-07-strike-a", "SAG-AFTRA members go on strike"), ("2023-07-13-strike-b", "SAG-AFTRA members go on strike")),
])
def test_titles_far_apart_different_or_not_dated_to_the_day_pass(tmp_path, first, second):
    write_event(tmp_path, *first)
    write_event(tmp_path, *second)
    assert warnings(tmp_path) == []


def test_related_events_may_share_a_title(tmp_path):
    write_event(tmp_path, "2023-07-12-strike-a", "SAG-AFTRA members go on strike")
    write_event(tmp_path, "2023-07-13-strike-b", "SAG-AFTRA members go on strike", related=["2023-07-12-strike-a"])
    assert warnings(tmp_path) == []


def test_the_scaffolds_placeholder_left_in(tmp_path):
    path = write_event(tmp_path, "2023-01-10-first", summary=f"{PLACEHOLDER_BODY}",
                       body=f"One line of our own.\n\nAnd {PLACEHOLDER_BODY}")
    found = warnings(tmp_path)
    assert len(found) == 2
    summary, body = sorted(found, key=lambda line: "body" in line)
    at = place(path, '"' + PLACEHOLDER_BODY)
    assert f"{at}: warning: summary: still holds the text `timeline new` wrote" in summary
    assert f"{place(path, PLACEHOLDER_BODY, 2)}: warning: body: still holds the placeholder" in body


def test_build_reports_them_and_strict_build_fails(tmp_path):
    content = tmp_path / "content"
    write_event(content, "2023-01-10-first", tags=["digital-replica"])
    write_event(content, "2023-02-10-second", tags=["digital-replicas"])
    built = run_timeline("build", "--content", content, "--output", tmp_path / "site", "--no-search", "--no-cache")
    assert built.returncode == 0, built.stderr
    assert "warning: tags[0]: 'digital-replicas' is written 'digital-replica' elsewhere" in built.stderr
    strict = run_timeline("build", "--content", content, "--output", tmp_path / "strict", "--no-search", "--strict")
    assert strict.returncode == 1 and not (tmp_path / "strict").exists()
    as_json = json.loads(run_timeline("check", "--content", content, "--format", "json").stdout)
    assert [(p["field"], p["severity"]) for p in as_json] == [("tags[0]", "warning")]


def test_a_new_event_filled_in_but_its_body_warns_until_written(tmp_path):
    (tmp_path / "events").mkdir()
    result = run_timeline("new", "A first test", "--date", "2024-03-05", "--category", "technology",
                          "--content", tmp_path)
    path = Path(result.stdout.strip())
    path.write_text(path.read_text().replace("summary: ''", "summary: 'A test.'").replace(
        "sources: []", "sources: [{title: T, publisher: P, url: 'https://example.com/'}]"))
    [line] = [line for line in warnings(tmp_path) if "body" in line]
    assert f"{place(path, PLACEHOLDER_BODY)}: warning: body: still holds the placeholder" in line
    path.write_text(path.read_text().replace(PLACEHOLDER_BODY, "Our own account."))
    assert not [line for line in warnings(tmp_path) if "body" in line]


def test_contributing_lists_the_thresholds_and_tracking_parameters():
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    assert f"at most {TITLE_DAYS} days apart" in guide and f"at least {TITLE_RATIO} alike" in guide
    assert all(f"`{name}`" in guide for name in TRACKING_PARAMETERS)


def test_warm_builds_report_them_from_the_cache(tmp_path):
    content = tmp_path / "content"
    write_event(content, "2023-01-10-first", tags=["digital-replica"])
    second = write_event(content, "2023-02-10-second", tags=["digital-replicas"])
    third = write_event(content, "2023-03-10-third", tags=["strike"])
    site = tmp_path / "site"
    runs = [run_timeline("build", "--content", content, "--output", site, "--no-search")]
    runs.append(run_timeline("build", "--content", content, "--output", site, "--no-search"))  # nothing changed
    third.write_text(third.read_text().replace("The account.", "A new account."))  # the others from the cache
    runs.append(run_timeline("build", "--content", content, "--output", site, "--no-search"))
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "2023-02-10-second.md" in run.stderr and "'digital-replicas' is written 'digital-replica'" in run.stderr
    second.write_text(second.read_text().replace("digital-replicas", "digital-replica"))
    fixed = run_timeline("build", "--content", content, "--output", site, "--no-search")
    assert fixed.returncode == 0 and ": warning:" not in fixed.stderr
