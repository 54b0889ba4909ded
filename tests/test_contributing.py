"""What contributors and maintainers rely on: the generated field reference and JSON Schema, the
scaffold's schema line, the GitHub workflows and issue forms."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml

from conftest import FIXTURES, ROOT, run_timeline
from sitekit import PageParser
from generator.model import CATEGORIES, EventFrontMatter
from generator.reference import front_matter_schema

GITHUB = ROOT / ".github"


def test_checked_in_reference_and_schema_match_the_models():
    result = run_timeline("reference", "--check")
    assert result.returncode == 0, result.stderr
    assert json.loads((ROOT / "docs/schema.json").read_text()) == front_matter_schema()
    fields = (ROOT / "docs/fields.md").read_text()
    for name, info in EventFrontMatter.model_fields.items():
        assert f"| `{name}` |" in fields and info.description in fields


def test_reference_check_fails_on_a_stale_copy(tmp_path):
    assert run_timeline("reference", "--output", tmp_path).returncode == 0
    assert run_timeline("reference", "--check", "--output", tmp_path).returncode == 0
    stale = tmp_path / "fields.md"
    stale.write_text(stale.read_text().replace("| `caveat` |", "| `caveats` |"))
    result = run_timeline("reference", "--check", "--output", tmp_path)
    assert result.returncode == 1
    assert f"{stale} is out of date" in result.stderr and "schema.json" not in result.stderr


def _front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---\n")[1])


def test_schema_accepts_the_valid_events_and_rejects_what_check_rejects():
    schema = json.loads((ROOT / "docs/schema.json").read_text())
    for path in (FIXTURES / "minimal").rglob("*.md"):
        jsonschema.validate(_front_matter(path), schema)
    for fixture in ("bad-category", "unknown-field", "bad-source-url"):
        [path] = (FIXTURES / fixture).rglob("*.md")
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(_front_matter(path), schema, format_checker=jsonschema.FormatChecker())


def test_new_event_points_editors_at_the_projects_schema(fixture_copy):
    content = fixture_copy("minimal")
    new = ["new", "Dubbing test", "--date", "2024-03-05", "--category", "technology", "--content", content]
    prefix = "# yaml-language-server: $schema="
    without = Path(run_timeline(*new).stdout.strip())
    assert not any(line.startswith(prefix) for line in without.read_text().splitlines())  # no schema to point at
    without.unlink()
    (content.parent / "docs").mkdir()
    shutil.copy(ROOT / "docs/schema.json", content.parent / "docs/schema.json")  # as `timeline reference` writes it
    path = Path(run_timeline(*new).stdout.strip())
    first_lines = path.read_text().splitlines()[:2]
    assert first_lines[0] == "---"
    assert first_lines[1].startswith(prefix)
    schema_path = (path.parent / first_lines[1][len(prefix):]).resolve()
    assert schema_path == (content.parent / "docs/schema.json").resolve()


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema, pattern", [
    ("vendor.github-workflows", "workflows/*.yml"),
    ("vendor.github-issue-forms", "ISSUE_TEMPLATE/[!c]*.yml"),
    ("vendor.github-issue-config", "ISSUE_TEMPLATE/config.yml"),
])
def test_github_files_follow_githubs_schemas(schema, pattern):
    files = sorted(GITHUB.glob(pattern))
    assert files
    result = _check_jsonschema(schema, *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((GITHUB / "workflows/pages.yml").read_text().replace("runs-on:", "runs_on:"))
    assert _check_jsonschema("vendor.github-workflows", broken).returncode == 1


def _workflow(name: str) -> dict:
    workflow = yaml.safe_load((GITHUB / "workflows" / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_check_workflow_annotates_content_builds_and_tests_on_pull_requests():
    workflow = _workflow("check.yml")
    assert "pull_request" in workflow["on"]
    commands = "\n".join(_runs(job) for job in workflow["jobs"].values())
    assert "timeline check --strict --format github" in commands
    assert "timeline reference --check" in commands
    assert "timeline build" in commands
    assert "bash .ci/run" in commands  # the README's `make test`
    content, tests = workflow["jobs"]["content"], workflow["jobs"]["tests"]
    assert 'timeline review --since "$BASE" >> "$GITHUB_STEP_SUMMARY"' in _runs(content)
    assert 'timeline links --changed-since "$BASE"' in _runs(content)
    uses = {step.get("uses", "").split("@")[0]: step for step in content["steps"]}
    assert uses["actions/upload-artifact"]["with"]["path"] == "site"
    assert uses["actions/cache"]["with"]["path"] == ".cache/timeline"
    assert uses["actions/setup-python"]["with"]["cache"] == "pip"
    # a content-only pull request skips the suite's steps, but the job (a required check) still reports
    [scope] = [step for step in tests["steps"] if step.get("id") == "scope"]
    assert ":!content" in scope["run"] and "if" not in tests
    [suite] = [step for step in tests["steps"] if "bash .ci/run" in step.get("run", "")]
    assert suite["if"] == "steps.scope.outputs.content_only != 'true'"


def test_the_weekly_links_workflow_keeps_one_issue_of_dead_links():
    workflow = _workflow("links.yml")
    assert workflow["on"]["schedule"] and "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"]["issues"] == "write"
    commands = _runs(workflow["jobs"]["links"])
    assert ".venv/bin/timeline links > report.txt" in commands
    assert "gh issue edit" in commands and "gh issue create" in commands and "gh issue close" in commands


def test_dependabot_keeps_actions_and_dependencies_current():
    assert _check_jsonschema("vendor.dependabot", GITHUB / "dependabot.yml").returncode == 0
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip", "npm"}


def test_pages_workflow_builds_with_the_base_url_configure_pages_reports():
    workflow = _workflow("pages.yml")
    assert set(workflow["on"]) == {"push", "workflow_dispatch"} and workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] == "pages"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [step.get("uses", "") for step in build["steps"]]
    configure = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/configure-pages@"))
    [build_step] = [s for s in build["steps"] if "timeline build" in s.get("run", "")]
    assert build_step["env"]["BASE_URL"] == "${{ steps.%s.outputs.base_url }}" % configure["id"]
    assert '--base-url "$BASE_URL"' in build_step["run"]
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site" and "--output site" in build_step["run"]
    assert uses.index(configure["uses"]) < uses.index(upload["uses"])
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    [deploy_step] = deploy["steps"]
    assert deploy_step["uses"].startswith("actions/deploy-pages@")
    assert deploy["environment"]["url"] == "${{ steps.%s.outputs.page_url }}" % deploy_step["id"]


def test_the_build_command_of_the_pages_workflow_accepts_what_configure_pages_gives(tmp_path):
    # configure-pages reports base_url without a trailing slash: a project site and a custom domain
    for base_url, prefix in [("https://example.github.io/ai-hollywood-timeline", "/ai-hollywood-timeline/"),
                             ("https://timeline.example.org", "/")]:
        out = tmp_path / prefix.strip("/")
        assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out / "site",
                            "--base-url", base_url).returncode == 0
        home = (out / "site/index.html").read_text()
        assert f'href="{prefix}static/style.css"' in home
        assert f'<link rel="canonical" href="{base_url}/">' in home


def _form(name: str) -> dict:
    return yaml.safe_load((GITHUB / "ISSUE_TEMPLATE" / name).read_text())


def _field(form: dict, field_id: str) -> dict:
    return next(item for item in form["body"] if item.get("id") == field_id)


def test_suggest_event_form_requires_a_source_and_offers_the_models_categories():
    form = _form("suggest-event.yml")
    assert _field(form, "sources")["validations"]["required"] is True
    assert _field(form, "category")["attributes"]["options"] == [label for label, _ in CATEGORIES.values()]
    labels = [item["attributes"]["label"] for item in form["body"] if "label" in item.get("attributes", {})]
    assert len(labels) == len(set(labels))


def test_correction_form_has_the_fields_the_event_page_prefills(tmp_path):
    out = tmp_path / "site"
    assert run_timeline("build", "--content", FIXTURES / "minimal", "--output", out,
                        "--repository-url", "https://github.com/example/timeline").returncode == 0
    page = PageParser()
    page.feed((out / "events/2023-06-writers-watch/index.html").read_text())
    [issue] = [link for link in page.links if "/issues/new?" in link]
    query = parse_qs(urlsplit(issue).query)
    assert query.pop("template") == ["report-correction.yml"] and query.pop("title")
    form = _form("report-correction.yml")
    assert query == {"event": ["2023-06-writers-watch"]}
    assert _field(form, "event")["type"] == "input"


def test_pull_request_template_is_a_checklist():
    text = (GITHUB / "pull_request_template.md").read_text()
    assert text.count("- [ ]") >= 4 and "timeline check --strict" in text
