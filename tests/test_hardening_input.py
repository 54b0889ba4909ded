"""Every bad input a contributor can write: exit status 1 and a message naming the file, the line,
the column and the field, with the rest of the content still checked. Never a traceback."""

import os
import shutil

import pytest

from conftest import FIXTURES, run_timeline

EVENT = "events/2025/2025-07-17-netflix-el-eternauta.md"
BAD_CATEGORY = FIXTURES / "bad-category" / EVENT
# every bad fixture is checked together with this second mistake, which must be reported too
COMPANION = "events/2025/2025-07-17-companion-mistake.md"
COMPANION_MESSAGE = f"{COMPANION}:5:11: category: 'prodution' is not one of"

BAD_INPUTS = [
    ("malformed-yaml", f"{EVENT}:7:14: ",
     "invalid YAML: did not find expected ',' or ']' (parsing a flow sequence that starts at 6:7)"),
    ("no-front-matter", f"{EVENT}:1:1: ", "has no front matter: the first line must be '---'"),
    ("unclosed-front-matter", f"{EVENT}:15:1: ", "front matter is not closed: add a line '---' after it"),
    ("front-matter-list", f"{EVENT}:2:1: ", "front matter must be a mapping of 'field: value' lines"),
    ("wrong-type", f"{EVENT}:6:7: tags: ", "must be a list (one '- item' a line, or [a, b])"),
    ("wrong-type", f"{EVENT}:8:9: people: ", "must be a list"),
    ("empty-file", f"{EVENT}:1:1: ", "is empty; an event starts with front matter between '---' lines"),
    ("not-utf8", f"{EVENT}:4:14: ", "is not valid UTF-8 text; save it as UTF-8"),
    ("tabs", f"{EVENT}:11:1: ", "YAML does not allow tabs for indentation; use spaces"),
    ("duplicate-key", f"{EVENT}:10:1: title: ", "'title' appears twice; YAML would silently keep only the last"),
    ("anchors-aliases", f"{EVENT}:6:7: tags: ",
     "anchors and aliases (&, *) are not allowed; this value is repeated by an alias in works[0]"),
    ("yaml-tag", f"{EVENT}:8:9: people: ",
     "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("duplicate-id", "events/2025/b/2025-07-17-netflix-el-eternauta.md:1:1: id: ",
     "the id '2025-07-17-netflix-el-eternauta' is already used by"),
    ("duplicate-id-across-years", f"{EVENT}:1:1: id: ",
     "the id '2025-07-17-netflix-el-eternauta' is already used by"),
    ("impossible-date", "events/2023/2023-02-30-impossible.md:3:7: date: ",
     "'2023-02-30' is not a real date: February 2023 has no day 30"),
    ("end-before-start", f"{EVENT}:4:11: end_date: ", "'2025-07-01' is before the date '2025-07-17'"),
    ("related-self", f"{EVENT}:10:11: related[0]: ", "an event cannot be related to itself"),
    ("related-missing", f"{EVENT}:10:11: related[0]: ", "no event has the id '2025-07-17-netflix-el-eternaut'"),
    ("file-name-mismatch", "events/2025/2025-07-18-netflix-el-eternauta.md:3:7: date: ",
     "'2025-07-17' does not match the file name's date '2025-07-18'"),
    ("file-name-format", "events/2025/Netflix El_Eternauta.md:3:7: date: ",
     "the file name 'Netflix El_Eternauta.md' must be '<date>-<slug>.md', like '2025-07-17-short-title.md'"),
    ("wrong-folder", "events/2024/2025-07-17-netflix-el-eternauta.md:3:7: date: ",
     "its file is in the folder '2024'; move it to events/2025/"),
    ("eras-malformed-yaml", "eras.yaml:4:9: ", "invalid YAML: did not find expected key"),
    ("eras-duplicate-key", "eras.yaml:4:3: [0].start: ", "'start' appears twice"),
    ("eras-anchors-aliases", "eras.yaml:7:7: [0].sources[0]: ",
     "anchors and aliases (&, *) are not allowed; this value is repeated by an alias in [1].sources[0]"),
    ("eras-not-a-list", "eras.yaml:1:1: ", "must be a list of eras"),
    ("eras-end-before-start", "eras.yaml:4:8: [0].end: ", "'2023-04-30' is before the start '2023-05-02'"),
    ("eras-impossible-date", "eras.yaml:3:10: [0].start: ", "February 2023 has no day 30"),
    ("eras-tabs", "eras.yaml:2:1: ", "YAML does not allow tabs for indentation"),
    ("settings-unknown-field", "site.yaml:2:1: theme: ", "is not a known field"),
    ("settings-wrong-type", "site.yaml:1:8: title: ", "must be text, not list"),
    ("settings-not-a-mapping", "site.yaml:1:1: ", "must be a mapping of 'field: value' lines"),
    ("settings-duplicate-key", "site.yaml:2:1: title: ", "'title' appears twice"),
    ("settings-bad-url", "site.yaml:1:17: repository_url: ", "'javascript:alert(1)' must be an http or https URL"),
    ("settings-bad-base-url", "site.yaml:1:11: base_url: ", "must be a path such as / or /repo/, or an http or https URL"),
    ("settings-not-utf8", "site.yaml:1:12: ", "is not valid UTF-8 text"),
]


def copy_with_companion(name: str, tmp_path):
    """The fixture, plus a second file with a mistake of its own; links are copied as links."""
    content = tmp_path / name
    shutil.copytree(FIXTURES / name, content, symlinks=True)
    (content / COMPANION).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BAD_CATEGORY, content / COMPANION)
    return content


def check(content):
    result = run_timeline("check", "--content", content)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def line_with(output: str, where: str) -> str:
    found = [line for line in output.splitlines() if where in line]
    assert found, f"no line with {where!r} in:\n{output}"
    return found[0]


@pytest.mark.parametrize("fixture, where, message", BAD_INPUTS, ids=[f"{f}:{w.split(': ')[-2] if ': ' in w else ''}" for f, w, _ in BAD_INPUTS])
def test_bad_input_is_located_and_the_rest_still_checked(fixture, where, message, tmp_path):
    result = check(copy_with_companion(fixture, tmp_path))
    assert result.returncode == 1
    assert message in line_with(result.stderr, where)
    assert COMPANION_MESSAGE in result.stderr


def test_bad_input_fails_the_build_and_keeps_the_previous_site(tmp_path):
    out = tmp_path / "site"
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for fixture in ("anchors-aliases", "eras-tabs", "settings-bad-base-url"):
        result = run_timeline("build", "--content", FIXTURES / fixture, "--output", out)
        assert result.returncode == 1 and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_bom_and_crlf_are_accepted():
    raw = (FIXTURES / "bom-crlf" / EVENT).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n")  # the fixture really has both
    result = check(FIXTURES / "bom-crlf")
    assert result.returncode == 0
    assert "checked 1 valid event(s): 0 error(s), 0 warning(s)" in result.stderr


def test_a_file_over_the_size_cap_is_refused(tmp_path):
    content = copy_with_companion("minimal", tmp_path)
    big = content / "events/2025/2025-08-01-huge.md"
    big.write_text("---\ntitle: x\n---\n" + "word " * 220_000)
    result = check(content)
    assert result.returncode == 1
    assert "is over the limit of 1,000,000 bytes" in line_with(result.stderr, "2025-08-01-huge.md: ")
    assert COMPANION_MESSAGE in result.stderr


def test_a_file_that_grew_after_its_size_was_read_is_read_whole_and_capped(tmp_path, monkeypatch):
    """A file is read by its size, then to its end if it grew meanwhile, never past the cap."""
    from generator import load

    real_fstat = os.fstat

    class Smaller:  # as if the file had been 10 bytes when its size was asked
        def __init__(self, fd):
            self.st_size = min(real_fstat(fd).st_size, 10)

    monkeypatch.setattr(load.os, "fstat", Smaller)
    event = tmp_path / "events/2025/2025-07-17-netflix-el-eternauta.md"
    event.parent.mkdir(parents=True)
    event.write_bytes((FIXTURES / "minimal" / EVENT).read_bytes())
    doc = load.load_markdown_file(event, tmp_path.resolve())
    assert not doc.problems and doc.data["title"].startswith("Netflix says El Eternauta")
    event.write_text("---\ntitle: x\n---\n" + "word " * 220_000)
    assert "is over the limit" in load.load_markdown_file(event, tmp_path.resolve()).problems[0].message

def test_links_that_lead_outside_the_content_folder_are_refused(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text((FIXTURES / "minimal" / EVENT).read_text())
    content = copy_with_companion("minimal", tmp_path)
    year = content / "events/2025"
    os.symlink(secret, year / "2025-07-18-linked-file.md")
    os.symlink(tmp_path, year / "linked-folder")
    os.mkfifo(year / "2025-07-19-a-pipe.md")  # reading it would hang the build
    result = check(content)
    assert result.returncode == 1
    assert "is a link to a file outside the content folder; refused" in line_with(result.stderr, "2025-07-18-linked-file.md: ")
    assert "is a link to a folder outside the content folder; refused" in line_with(result.stderr, "linked-folder: ")
    assert "is not a regular file (a pipe or a device); refused" in line_with(result.stderr, "2025-07-19-a-pipe.md: ")
    assert COMPANION_MESSAGE in result.stderr


def test_a_link_inside_the_content_folder_is_read(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal", content)
    os.symlink(content / EVENT, content / "events/2025/2025-07-17-netflix-el-eternauta-copy.md")
    result = check(content)  # a second, valid event file under its own name
    assert "refused" not in result.stderr
    assert "checked 4 valid event(s)" in result.stderr


def test_related_to_a_broken_file_reports_only_the_broken_file():
    result = check(FIXTURES / "related-to-broken")
    assert result.returncode == 1
    assert "2023-06-writers-watch.md:3:1: invalid YAML" in result.stderr
    assert "no event has the id" not in result.stderr



@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_in_values_cannot_forge_output_lines(fmt):
    result = run_timeline("check", "--content", FIXTURES / "control-characters", "--format", fmt)
    assert result.returncode == 1
    output = (result.stderr if fmt == "text" else result.stdout).splitlines()
    problems = [line for line in output if "category" in line]
    assert len(problems) == 1 and "forged by a contributor" in problems[0]
    assert "\x1b" not in result.stdout + result.stderr
    assert [line for line in output if line.startswith("::")] == ([] if fmt == "text" else problems)


def test_reading_front_matter_keeps_no_yaml_node_alive():
    """A large timeline is read in one process: nothing of one file's YAML may outlive it (the
    YAML constructor keeps every node it builds until its document is done)."""
    import gc

    import yaml

    from generator import yaml_places

    text = 'title: "A title"\ncount: 12\nratio: 0.5\nflag: true\nnone: null\ndate: 2025-07-17\ntags: [a, b]\n'

    def nodes() -> int:
        gc.collect()
        return sum(isinstance(thing, yaml.Node) for thing in gc.get_objects())

    before = nodes()
    for _ in range(50):
        data, _places = yaml_places.parse_yaml(text)
    assert data == {"title": "A title", "count": 12, "ratio": 0.5, "flag": True, "none": None,
                    "date": "2025-07-17", "tags": ["a", "b"]}
    assert nodes() == before
