"""The generator as others install it: a wheel (and `pip install .` of the source) in a fresh
virtual environment builds a site with the templates it carries, and starts a new project.

Offline: the wheel is built with the backend already installed (`--no-isolation`, setuptools
from the test extras) and installed with `--no-index --no-deps`; the fresh environment finds
its dependencies (Jinja2, pydantic, Pagefind, …) in this one's site-packages through a .pth
file, and `pip check` confirms they satisfy the package's requirements. The package itself is
imported from the fresh environment, never from this repository: that is asserted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def run(*args, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    if check:
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of the project's source, so that building leaves no build/ or egg-info in the repository."""
    target = tmp_path_factory.mktemp("source") / "ai-hollywood-timeline"
    skip = shutil.ignore_patterns(".git", ".venv", "node_modules", "site", ".cache", "build", "dist", "*.egg-info",
                                  "__pycache__", ".pytest_cache", ".hypothesis", "tests", "benchmarks", ".site.*")
    shutil.copytree(ROOT, target, ignore=skip)
    return target


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source, cwd=source)
    [built] = dist.glob("*.whl")
    return built


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment (without pip: this one's pip installs into it) that sees this
    environment's packages after its own; its python."""
    run(sys.executable, "-m", "venv", "--without-pip", folder, cwd=folder.parent)
    python = folder / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=folder).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # Last on sys.path, after the fresh environment's own site-packages: dependencies only.
    (Path(purelib) / "zz-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    return python


def pip(python: Path, *args) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "pip", "--python", python, *args, cwd=python.parent)


def test_the_wheel_carries_the_templates_the_scaffold_and_the_metadata(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"generator/default_templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert templates <= names
    assert {"generator/default_templates/base.html", "generator/default_templates/static/style.css",
            "generator/default_templates/preview/overlay.js", "generator/templates.py", "generator/init.py",
            "generator/starter/.gitignore", "generator/starter/.github/workflows/check.yml",
            "generator/starter/.github/workflows/pages.yml", "generator/starter/content/site.yaml",
            "generator/starter/content/events/example-event.md"} <= names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    metadata = zipfile.ZipFile(wheel).read(f"ai_hollywood_timeline-{VERSION}.dist-info/METADATA").decode()
    assert f"Version: {VERSION}\n" in metadata
    assert "License-Expression: MIT\n" in metadata


@pytest.mark.parametrize("how", ["wheel", "source"])
def test_an_installed_generator_builds_a_site(how, wheel, source, tmp_path):
    python = fresh_venv(tmp_path / "venv")
    target = wheel if how == "wheel" else source  # `pip install .`, not editable
    pip(python, "install", "--no-index", "--no-deps", "--no-build-isolation", "--find-links", wheel.parent, target)
    pip(python, "check")  # every requirement of the package is met, here by this environment's packages

    where = run(python, "-c", "import generator; print(generator.__file__); print(generator.TEMPLATES)",
                cwd=tmp_path).stdout.split()
    site_packages = (tmp_path / "venv").resolve()
    assert all(Path(p).resolve().is_relative_to(site_packages) for p in where), where
    assert Path(where[1]).name == "default_templates"

    timeline = tmp_path / "venv" / "bin" / "timeline"
    assert run(timeline, "--version", cwd=tmp_path).stdout == f"timeline {VERSION}\n"

    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "package", content)
    run(timeline, "build", "--content", content, "--output", tmp_path / "site", cwd=tmp_path)
    site = tmp_path / "site"
    assert "A packaged timeline" in (site / "index.html").read_text()
    assert "Writers Guild of America" in (site / "events" / "2023-05-02-wga-strike-begins" / "index.html").read_text()
    assert (site / "static" / "style.css").read_bytes() == (ROOT / "templates" / "static" / "style.css").read_bytes()
    assert (site / "pagefind" / "pagefind.js").is_file()  # the search index, from the installed Pagefind

    run(timeline, "init", tmp_path / "new", cwd=tmp_path)
    run(timeline, "check", "--strict", "--content", tmp_path / "new" / "content", cwd=tmp_path)
    run(timeline, "build", "--no-search", "--content", tmp_path / "new" / "content", "--output",
        tmp_path / "new" / "site", cwd=tmp_path / "new")
    assert (tmp_path / "new" / "site" / "index.html").is_file()


def test_the_editable_install_reads_the_templates_folder_itself():
    """`pip install -e .` (scripts/setup.sh, what this suite runs on): the packaged templates are
    the repository's templates/, so an edit there shows in the next build and in `timeline serve`."""
    from generator import TEMPLATES
    assert TEMPLATES == (ROOT / "templates").resolve()


def test_the_changelog_starts_with_the_packaged_version():
    first = next(line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## "))
    assert first == f"## {VERSION}"
