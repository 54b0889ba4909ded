"""Template overrides (generator/templates.py): a project's templates/ over the packaged ones,
file by file, with `default:NAME` reaching the packaged file an override replaces."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator import TEMPLATES
from generator.render import make_loader
from generator.templates import (
    project_folder,
    static_sources,
    template_files,
    template_folders,
)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def packaged(tmp_path) -> Path:
    """A stand-in for the packaged templates, small enough to read in an assertion."""
    return write(tmp_path / "packaged", {
        "base.html": "<main>{% block content %}{% endblock %}</main><footer>{% block footer %}packaged footer{% endblock %}</footer>",
        "event.html": '{% extends "base.html" %}{% block content %}<h1>{{ title }}</h1>{% endblock %}',
        "page.html": '{% extends "base.html" %}{% block content %}page{% endblock %}',
        "macros.html": "{% macro badge(x) %}[{{ x }}]{% endmacro %}",
        "static/style.css": "packaged css",
        "static/filter.js": "packaged js",
    })


def environment(folders: list[Path]) -> jinja2.Environment:
    return jinja2.Environment(loader=make_loader(folders), autoescape=True, undefined=jinja2.StrictUndefined)


def test_folders_without_project_templates_are_the_packaged_ones(tmp_path, packaged):
    project = tmp_path / "site"
    (project / "content").mkdir(parents=True)
    assert template_folders(project, packaged) == [packaged.resolve()]


def test_project_templates_come_first(tmp_path, packaged):
    project = tmp_path / "site"
    (project / "templates").mkdir(parents=True)
    assert template_folders(project, packaged) == [(project / "templates").resolve(), packaged.resolve()]


def test_the_packaged_folder_is_not_listed_twice():
    """This repository is itself a project whose templates/ is the packaged folder (editable install)."""
    assert template_folders(TEMPLATES.parent) == [TEMPLATES]


def test_the_project_is_the_folder_holding_the_content(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_folder(Path("content")) == tmp_path.resolve()
    assert project_folder(tmp_path / "a" / "content") == (tmp_path / "a").resolve()


def test_without_overrides_the_packaged_templates_render(tmp_path, packaged):
    env = environment(template_folders(tmp_path, packaged))
    assert env.get_template("event.html").render(title="T") == "<main><h1>T</h1></main><footer>packaged footer</footer>"


def test_an_override_replaces_one_file_and_the_rest_falls_through(tmp_path, packaged):
    project = write(tmp_path / "site", {"templates/base.html": "<div>{% block content %}{% endblock %}</div>ours"})
    env = environment(template_folders(project, packaged))
    # event.html is the packaged one, but the base.html it extends is the project's
    assert env.get_template("event.html").render(title="T") == "<div><h1>T</h1></div>ours"
    assert env.get_template("page.html").render() == "<div>page</div>ours"
    assert env.get_template("macros.html").module.badge("x") == "[x]"


def test_an_override_can_extend_the_packaged_template_of_the_same_name(tmp_path, packaged):
    project = write(tmp_path / "site", {"templates/event.html":
                    '{% extends "default:event.html" %}'
                    '{% block content %}{{ super() }}<p>note</p>{% endblock %}'})
    env = environment(template_folders(project, packaged))
    assert env.get_template("event.html").render(title="T") == "<main><h1>T</h1><p>note</p></main><footer>packaged footer</footer>"
    assert env.get_template("default:event.html").render(title="T") == "<main><h1>T</h1></main><footer>packaged footer</footer>"


def test_overrides_of_both_a_page_and_its_base_compose(tmp_path, packaged):
    project = write(tmp_path / "site", {
        "templates/base.html": '{% extends "default:base.html" %}{% block footer %}{{ super() }}, and ours{% endblock %}',
        "templates/event.html": '{% extends "default:event.html" %}{% block content %}{{ super() }}!{% endblock %}',
    })
    env = environment(template_folders(project, packaged))
    # project event → packaged event → project base → packaged base
    assert env.get_template("event.html").render(title="T") == "<main><h1>T</h1>!</main><footer>packaged footer, and ours</footer>"


def test_an_override_may_import_a_template_of_its_own(tmp_path, packaged):
    project = write(tmp_path / "site", {
        "templates/partials/note.html": "<aside>{{ text }}</aside>",
        "templates/page.html": '{% extends "base.html" %}{% block content %}'
                               '{% with text="hi" %}{% include "partials/note.html" %}{% endwith %}{% endblock %}',
    })
    env = environment(template_folders(project, packaged))
    assert env.get_template("page.html").render() == "<main><aside>hi</aside></main><footer>packaged footer</footer>"


def test_a_missing_template_is_not_found_anywhere(tmp_path, packaged):
    env = environment(template_folders(tmp_path, packaged))
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("nothing.html")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("default:nothing.html")


def test_list_templates_names_the_overrides_and_the_packaged_files(tmp_path, packaged):
    """What a build hashes for its cache keys: every name, and the `default:` ones an override extends."""
    project = write(tmp_path / "site", {"templates/event.html": '{% extends "default:event.html" %}',
                                        "templates/extra.html": "x"})
    names = environment(template_folders(project, packaged)).list_templates()
    assert {"event.html", "extra.html", "base.html", "default:event.html", "default:base.html"} <= set(names)
    assert "default:extra.html" not in names


def test_the_real_packaged_templates_are_reachable_under_the_prefix(tmp_path):
    loader = make_loader(template_folders(tmp_path))
    env = jinja2.Environment(loader=loader)
    source, filename, _ = loader.get_source(env, "default:event.html")
    assert Path(filename).resolve() == TEMPLATES / "event.html"
    assert source == (TEMPLATES / "event.html").read_text(encoding="utf-8")
    assert set(env.list_templates(filter_func=lambda n: n.endswith(".html") and ":" not in n)) >= {
        p.name for p in TEMPLATES.glob("*.html")}


def test_static_files_are_overridden_file_by_file(tmp_path, packaged):
    project = write(tmp_path / "site", {"templates/static/style.css": "our css", "templates/static/logo.svg": "<svg/>",
                                        "templates/static/style.css~": "an editor's backup"})
    sources = static_sources(template_folders(project, packaged))
    assert {name: path.read_text() for name, path in sources.items()} == {
        "static/filter.js": "packaged js", "static/logo.svg": "<svg/>", "static/style.css": "our css"}


def test_template_files_cover_every_folder(tmp_path, packaged):
    project = write(tmp_path / "site", {"templates/event.html": "x"})
    folders = template_folders(project, packaged)
    files = template_files(folders)
    assert files[0] == (project / "templates" / "event.html").resolve()
    assert packaged.resolve() / "event.html" in files and packaged.resolve() / "static" / "style.css" in files


def test_a_project_override_changes_the_built_site_and_its_cache(tmp_path):
    """A project's own template, extending the packaged one, shows in the output; removing it
    brings the packaged page back, through the build cache too."""
    import shutil

    from conftest import FIXTURES, run_timeline

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "minimal", project / "content")
    site = project / "site"
    assert run_timeline("build", "--content", project / "content", "--output", site, "--no-search").returncode == 0
    (project / "templates").mkdir()
    (project / "templates" / "event.html").write_text(
        '{% extends "default:event.html" %}\n'
        '{% block main %}{{ super() }}<p class="project-note">Our own note.</p>{% endblock %}\n')
    (project / "templates" / "static").mkdir()
    (project / "templates" / "static" / "extra.css").write_text("p { color: teal; }\n")
    built = run_timeline("build", "--content", project / "content", "--output", site, "--no-search")
    assert built.returncode == 0, built.stderr
    event = next(site.glob("events/*/index.html")).read_text()
    assert '<p class="project-note">Our own note.</p>' in event and "<h1" in event  # the packaged page, extended
    assert "project-note" not in (site / "index.html").read_text()
    assert (site / "static" / "extra.css").is_file() and (site / "static" / "style.css").is_file()
    shutil.rmtree(project / "templates")
    assert run_timeline("build", "--content", project / "content", "--output", site, "--no-search").returncode == 0
    assert "project-note" not in next(site.glob("events/*/index.html")).read_text()
    assert not (site / "static" / "extra.css").exists()
