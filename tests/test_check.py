"""`timeline check`: every mistake is reported with its file, line, column and field."""

import json

import pytest

from conftest import FIXTURES, run_timeline

EVENT = "events/2025/2025-07-17-netflix-el-eternauta.md"


def test_good_content_passes():
    result = run_timeline("check", "--content", FIXTURES / "minimal", "--strict")
    assert result.returncode == 0, result.stderr
    assert "checked 3 valid event(s): 0 error(s), 0 warning(s)" in result.stderr


@pytest.mark.parametrize("fixture, where, message", [
    ("bad-category", f"{EVENT}:5:11: category:",
     "'prodution' is not one of production, labor, law-policy, business, technology, culture"
     " — did you mean 'production'?"),
    ("unknown-field", f"{EVENT}:6:1: tagz:", "is not a known field — did you mean 'tags'?"),
    ("impossible-date", "events/2023/2023-02-30-impossible.md:3:7: date:",
     "'2023-02-30' is not a real date: February 2023 has no day 30"),
    ("file-name-mismatch", "events/2025/2025-07-18-netflix-el-eternauta.md:3:7: date:",
     "'2025-07-17' does not match the file name's date '2025-07-18'"),
    ("wrong-folder", "events/2024/2025-07-17-netflix-el-eternauta.md:3:7: date:",
     "its file is in the folder '2024'; move it to events/2025/"),
    ("end-before-start", f"{EVENT}:4:11: end_date:", "'2025-07-01' is before the date '2025-07-17'"),
    ("related-missing", f"{EVENT}:10:11: related[0]:",
     "no event has the id '2025-07-17-netflix-el-eternaut'"),
    ("related-self", f"{EVENT}:10:11: related[0]:", "an event cannot be related to itself"),
    ("bad-source-url", f"{EVENT}:13:10: sources[0].url:", "must be an http or https URL"),
    ("duplicate-id", "events/2025/b/2025-07-17-netflix-el-eternauta.md:1:1: id:",
     "the id '2025-07-17-netflix-el-eternauta' is already used by"),
])
def test_mistakes_are_located(fixture, where, message):
    result = run_timeline("check", "--content", FIXTURES / fixture)
    assert result.returncode == 1
    line = next((l for l in result.stderr.splitlines() if where in l), None)
    assert line is not None, result.stderr
    assert message in line
    assert "Traceback" not in result.stderr


def test_future_date_is_a_warning_that_strict_makes_fail():
    relaxed = run_timeline("check", "--content", FIXTURES / "future-date")
    assert relaxed.returncode == 0
    assert "2030-01-01-netflix-el-eternauta.md:3:7: warning: date: '2030-01-01' is in the future" in relaxed.stderr
    assert run_timeline("check", "--content", FIXTURES / "future-date", "--strict").returncode == 1


def test_github_format_prints_annotations():
    result = run_timeline("check", "--content", FIXTURES / "bad-category", "--format", "github")
    assert result.returncode == 1
    annotation = result.stdout.strip()
    assert annotation.startswith("::error file=")
    assert f"{EVENT.replace('/', '/')},line=5,col=11,title=category::" in annotation


def test_json_format_lists_problems():
    result = run_timeline("check", "--content", FIXTURES / "bad-category", "--format", "json")
    problems = json.loads(result.stdout)
    assert [(p["line"], p["column"], p["field"], p["severity"]) for p in problems] == [(5, 11, "category", "error")]


def test_every_problem_in_every_file_is_reported(tmp_path):
    for fixture in ("bad-category", "unknown-field"):
        for path in (FIXTURES / fixture / "events").rglob("*.md"):
            target = tmp_path / "events" / "2025" / f"2025-07-17-{fixture}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    result = run_timeline("check", "--content", tmp_path)
    assert "category: 'prodution'" in result.stderr and "tagz: is not a known field" in result.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run_timeline("check", "--format", "xml").returncode == 2
    assert run_timeline("frobnicate").returncode == 2
