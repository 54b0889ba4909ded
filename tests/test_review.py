"""What a reviewer and an editor are shown: `timeline review` (the pull request's job summary),
the VS Code task's problem matchers and the pre-commit hook, each run on real output."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT, run_timeline
from generator.load import MAX_FILE_BYTES

EVENTS = "content/events/2023"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout


def repository(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the minimal fixture as content/."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "minimal", repo / "content")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_review_lists_added_and_changed_events_with_their_sources_and_every_problem(tmp_path):
    repo = repository(tmp_path)
    watch = repo / EVENTS / "2023-06-writers-watch.md"
    watch.write_text(watch.read_text().replace("A month-precision event", "An edited event"))
    added = repo / EVENTS / "2023-07-01-a-new-event.md"
    added.write_text(watch.read_text().replace('date: "2023-06"', 'date: "2023-07-01"').replace(
        "An edited event for the fixture", "New | <b>bold</b> [link](https://evil.example) event"))
    broken = repo / EVENTS / "2023-08-01-broken.md"
    broken.write_text(watch.read_text().replace('date: "2023-06"', 'date: "2023-08-01"').replace(
        "category: culture", "category: nonsense"))
    for number in range(12):  # more problems than the dozen annotations GitHub shows
        (repo / EVENTS / f"2023-09-{number + 1:02d}-unsourced.md").write_text(
            f'---\ntitle: "Unsourced {number}"\ndate: "2023-09-{number + 1:02d}"\n---\nNo front matter to speak of.\n')

    done = run_timeline("review", "--since", "main", cwd=repo)
    assert done.returncode == 0, done.stderr
    summary = done.stdout
    rows = [line for line in summary.splitlines() if line.startswith("| added") or line.startswith("| changed")]
    assert len(rows) == 2
    assert rows[0].startswith("| changed | 2023-06 | An edited event for the fixture (`events/2023/2023-06-writers-watch.md`)"
                              " | culture | [Al Jazeera](<https://www.aljazeera.com/podcasts/")
    # the contributor's title is text: no table cell, tag or link of its own
    assert rows[1].startswith(r"| added | 2023-07-01 | New \| \<b\>bold\</b\> \[link\](https://evil.example) event")
    assert "2023-05-02" not in summary  # unchanged since main
    problems = [line for line in summary.splitlines() if line.startswith("- **")]
    check = run_timeline("check", cwd=repo)
    assert len(problems) == len(re.findall(r"^content/", check.stderr, re.M)) > 12
    assert any("`content/events/2023/2023-08-01-broken.md:5:11` category:" in line for line in problems)


def test_review_of_an_unknown_ref_is_a_usage_error(tmp_path):
    done = run_timeline("review", "--since", "no-such-branch", cwd=repository(tmp_path))
    assert done.returncode == 2 and "timeline review: --since no-such-branch:" in done.stderr
    assert done.stdout == ""


def _matchers() -> list[tuple[re.Pattern, dict]]:
    tasks = json.loads((ROOT / ".vscode/tasks.json").read_text())
    [check] = [task for task in tasks["tasks"] if task["label"] == "timeline: check"]
    assert check["command"].endswith("timeline check --strict")
    return [(re.compile(m["pattern"]["regexp"]), m["pattern"]) for m in check["problemMatcher"]]


def test_the_vs_code_problem_matchers_read_every_problem_and_nothing_else(tmp_path):
    repo = repository(tmp_path)
    watch = repo / EVENTS / "2023-06-writers-watch.md"
    watch.write_text(watch.read_text().replace("category: culture", "category: nonsense"))  # an error at a line
    eternauta = repo / "content/events/2025/2025-07-17-netflix-el-eternauta.md"
    eternauta.write_text(re.sub(r"checked: .*\n", "", eternauta.read_text()))  # a warning
    (repo / EVENTS / "2023-01-01-huge.md").write_text("x" * (MAX_FILE_BYTES + 1))  # a problem of the whole file
    done = run_timeline("check", "--strict", cwd=repo)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line]
    found = []
    for line in lines:
        matches = [(m, p) for regexp, p in _matchers() if (m := regexp.match(line))]
        assert len(matches) <= 1, line
        if matches:
            match, pattern = matches[0]
            found.append((match.group(pattern["file"]), match.group(pattern.get("line", 0)) if "line" in pattern
                          else None, match.group(pattern["severity"]) or "error"))
    assert ("content/events/2023/2023-06-writers-watch.md", "5", "error") in found
    assert ("content/events/2025/2025-07-17-netflix-el-eternauta.md", "2", "warning") in found
    assert ("content/events/2023/2023-01-01-huge.md", None, "error") in found
    assert len(found) == len(lines) - 1  # all but the closing "checked N valid event(s)" line


def test_the_pre_commit_hook_stops_a_commit_of_a_broken_event(tmp_path):
    repo = repository(tmp_path)
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)  # the hook runs .venv/bin/timeline
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def hook() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=300)

    git(repo, "add", ".pre-commit-config.yaml")
    assert hook().returncode == 0
    watch = repo / EVENTS / "2023-06-writers-watch.md"
    watch.write_text(watch.read_text().replace("category: culture", "category: nonsense"))
    git(repo, "add", ".")
    failed = hook()
    assert failed.returncode == 1
    assert "content/events/2023/2023-06-writers-watch.md:5:11: category:" in failed.stdout
