"""`timeline init DIR`: a new project that passes `check --strict` and builds at once, and a
folder that is not empty is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import run_timeline

from generator.init import GENERATOR_PLACEHOLDER, default_title


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_writes_a_project_that_checks_and_builds(tmp_path):
    project = tmp_path / "my-ai-timeline"
    result = run_timeline("init", project)
    assert result.returncode == 0, result.stderr
    today = dt.date.today()
    event_file = f"content/events/{today.year}/{today.isoformat()}-example-event.md"
    assert set(_files(project)) == {
        "content/site.yaml", event_file, "content/pages/about.md", ".github/workflows/check.yml",
        ".github/workflows/pages.yml", ".gitignore", "README.md"}
    assert yaml.safe_load((project / "content/site.yaml").read_text())["title"] == "My ai timeline"

    check = run_timeline("check", "--strict", "--content", project / "content")
    assert check.returncode == 0, check.stderr
    assert "checked 1 valid event(s): 0 error(s), 0 warning(s)" in check.stderr

    build = run_timeline("build", "--no-search", "--content", project / "content", "--output", project / "site",
                         cwd=project)
    assert build.returncode == 0, build.stderr
    site = project / "site"
    assert "My ai timeline" in (site / "index.html").read_text()
    event = (site / "events" / f"{today.isoformat()}-example-event" / "index.html").read_text()
    assert "Example event: replace this" in event and "https://example.org/" in event
    assert (site / "about" / "index.html").is_file()
    assert {"/site/", ".cache/"} <= set((project / ".gitignore").read_text().splitlines())
    assert (project / ".cache").is_dir()  # the build cache, beside the content: ignored by .gitignore


def test_the_example_event_is_marked_as_an_example_and_dated_today(tmp_path):
    project = tmp_path / "t"
    assert run_timeline("init", project).returncode == 0
    [path] = (project / "content" / "events").rglob("*.md")
    front = yaml.safe_load(path.read_text().split("---\n")[1])
    today = dt.date.today().isoformat()
    assert front["date"] == front["checked"] == front["added"] == today
    assert "example" in front["title"].lower() and "not a real event" in front["summary"]
    assert front["sources"][0]["url"] == "https://example.org/"
    assert "example address" in front["sources"][0]["publisher"]


def test_title_option_and_an_empty_folder(tmp_path):
    project = tmp_path / "empty"
    project.mkdir()
    result = run_timeline("init", project, "--title", 'Deepfakes & "the law": a timeline')
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load((project / "content/site.yaml").read_text())["title"] == 'Deepfakes & "the law": a timeline'
    assert (project / "README.md").read_text().startswith('# Deepfakes & "the law": a timeline\n')
    assert run_timeline("check", "--strict", "--content", project / "content").returncode == 0


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    project = tmp_path / "busy"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    result = run_timeline("init", project)
    assert result.returncode == 2
    assert f"timeline init: {project} is not empty" in result.stderr
    assert _files(project) == {"notes.txt": b"mine"}

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = run_timeline("init", a_file)
    assert result.returncode == 2 and "is not a folder" in result.stderr
    assert a_file.read_text() == "x"


def test_workflows_install_the_generator_named_at_their_top(tmp_path):
    placeholder, given = tmp_path / "a", tmp_path / "b"
    assert run_timeline("init", placeholder).returncode == 0
    generator = "git+https://github.com/someone/ai-hollywood-timeline.git@v0.2.0"
    assert run_timeline("init", given, "--generator", generator).returncode == 0
    for project, expected in ((placeholder, GENERATOR_PLACEHOLDER), (given, generator)):
        for name in ("check.yml", "pages.yml"):
            path = project / ".github" / "workflows" / name
            workflow = yaml.safe_load(path.read_text())
            assert workflow["env"]["TIMELINE_GENERATOR"] == expected
            steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
            assert any('pip install "$TIMELINE_GENERATOR"' in run for run in steps)
            assert not any(".venv/bin" in run or "scripts/setup.sh" in run for run in steps)
        assert f'pip install "{expected}"' in (project / "README.md").read_text()
    assert "https://github.com/someone/ai-hollywood-timeline)" in (given / "README.md").read_text()
    workflows = sorted(placeholder.glob(".github/workflows/*.yml")) + sorted(given.glob(".github/workflows/*.yml"))
    valid = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                            *map(str, workflows)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout + valid.stderr


def test_default_title_comes_from_the_folder_name(tmp_path):
    assert default_title(tmp_path / "ai-in_music.timeline") == "Ai in music timeline"
    assert default_title(tmp_path / "Oscars") == "Oscars"
