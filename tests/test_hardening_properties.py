"""Property-based: whatever a file holds, load and validate give a valid event or located
problems, never an exception."""

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from generator import load, validate
from generator.model import EventFrontMatter

TODAY = dt.date(2025, 1, 1)
# modest counts: the machine is shared; no deadline: it is also noisy
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

text = st.text(st.characters(codec="utf-8"), max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text | st.dates().map(str)
yaml_data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(text | st.integers(), inner, max_size=4), max_leaves=20)
fields = list(EventFrontMatter.model_fields) + ["id", "titel"]
source = st.fixed_dictionaries({"title": text, "publisher": text,
                                "url": st.sampled_from(["https://example.org/a", "javascript:alert(1)", "", "ftp://x"])})
front_matter = st.dictionaries(st.sampled_from(fields), yaml_data | st.lists(source, max_size=2) | st.sampled_from(
    ["2023-02-30", "2025-07-17", "2025-13", "2025", "production", "prodution"]), max_size=len(fields))
yaml_soup = st.lists(st.sampled_from(["---", "- ", ": ", "&a ", "*a", "!!binary ", "\t", "\n", "  ", "[", "]", "{", "}",
                                      '"', "'", "#", "|", ">", "? ", "title", "date", "2025-07-17", "<<: "]) | text,
                     max_size=30).map("".join)


def event_file(folder, data: bytes):
    path = folder / "events" / "2025" / "2025-07-17-generated.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def assert_valid_or_located(folder, data: bytes):
    path = event_file(folder, data)
    root = folder.resolve()
    doc = load.load_markdown_file(path, root)
    event, problems = validate.validate_event(doc, root, TODAY)
    lines = len(data.decode("utf-8", "replace").splitlines()) + 2  # YAML also breaks lines at NEL, LS, PS
    for problem in problems:
        assert problem.path == doc.display
        assert problem.line is not None and 1 <= problem.line <= lines, problem
        assert problem.message
    if event is None:
        assert [p for p in problems if p.severity == "error"], "refused without saying why"
    else:
        assert event.meta.title and event.meta.sources


@FEW
@given(data=st.binary(max_size=400))
def test_any_bytes(tmp_path, data):
    assert_valid_or_located(tmp_path, data)


@FEW
@given(soup=yaml_soup, body=text)
def test_any_yaml_text_as_front_matter(tmp_path, soup, body):
    assert_valid_or_located(tmp_path, f"---\n{soup}\n---\n{body}".encode())


@FEW
@given(data=yaml_data)
def test_any_yaml_document_as_front_matter(tmp_path, data):
    dumped = yaml.safe_dump(data, allow_unicode=True)
    assert_valid_or_located(tmp_path, f"---\n{dumped}---\n".encode())


@FEW
@given(front=front_matter)
def test_any_front_matter(tmp_path, front):
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    assert_valid_or_located(tmp_path, f"---\n{dumped}---\nBody.\n".encode())


@FEW
@given(data=st.binary(max_size=200) | yaml_soup.map(str.encode) | yaml_data.map(
    lambda d: yaml.safe_dump(d, allow_unicode=True).encode()))
@pytest.mark.parametrize("name, check", [("eras.yaml", validate.validate_eras),
                                         ("site.yaml", validate.validate_settings)])
def test_any_eras_and_settings_file(tmp_path, name, check, data):
    path = tmp_path / name
    path.write_bytes(data)
    result, problems = check(load.load_yaml_file(path, tmp_path))
    assert result is not None
    assert all(p.path.endswith(name) and p.message for p in problems)
