"""YAML text → plain data and the place (line, column) of every key and value, for load.py.

Only plain YAML is read: aliases, tags and duplicate keys are refused with their place, never
guessed at, and nothing a contributor writes may raise anything but a YamlProblem.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .load import KEY, FieldPath, Place, field_name

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader


class YamlProblem(Exception):
    def __init__(self, place: Place | None, message: str, path: FieldPath = ()):
        super().__init__(message)
        self.place, self.message, self.path = place, message, path


_SCALARS = SafeConstructor()

_CORE = "tag:yaml.org,2002:"
_TIMESTAMP = _CORE + "timestamp"
# Plain YAML values only: `!!binary`, `!!python/...` and custom `!tags` are refused, not guessed at.
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null")} | {_TIMESTAMP}
_COLLECTION_TAGS = {_CORE + "map", _CORE + "seq"}
# Kept as written: text, and dates (the model says why a date is wrong better than YAML does).
_AS_WRITTEN = {_CORE + "str", _TIMESTAMP}


def _place(node: yaml.Node, offset: int) -> Place:
    return node.start_mark.line + 1 + offset, node.start_mark.column + 1


def _scalar(node: yaml.Node, place: Place, path: FieldPath) -> Any:
    """A plain YAML value (text, number, true/false, null); dates stay text for the model to check."""
    if node.tag not in _SCALAR_TAGS:
        raise YamlProblem(place, f"the YAML tag '{node.tag}' is not allowed; write a plain value", path)
    if node.tag in _AS_WRITTEN:
        return node.value
    try:  # the constructor of the tag itself: construct_object would keep every node it sees
        return _SCALARS.yaml_constructors[node.tag](_SCALARS, node)
    except yaml.YAMLError as exc:
        raise YamlProblem(place, f"cannot read this value: {getattr(exc, 'problem', None) or exc}", path) from None
    except ValueError:  # Python refuses to turn thousands of digits into a number
        raise YamlProblem(place, "this number is too long; put it in quotes if it is text", path) from None


def _to_python(node: yaml.Node, path: FieldPath, places: dict, seen: dict[int, FieldPath], offset: int) -> Any:
    """Build plain data from a YAML node, recording places; refuse aliases, tags and duplicate keys."""
    place = _place(node, offset)
    if id(node) in seen:
        # The composer hands an alias back as the very node its anchor named, so this is the anchor.
        raise YamlProblem(place, f"anchors and aliases (&, *) are not allowed; this value is repeated by an "
                                 f"alias in {field_name(path) or 'the top level'}: write it out instead", seen[id(node)])
    seen[id(node)] = path
    places[path] = place
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
        raise YamlProblem(place, f"the YAML tag '{node.tag}' is not allowed; write a plain list or mapping", path)
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            key_place = _place(key_node, offset)
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(key_place, "a key must be plain text", path)
            key = str(_scalar(key_node, key_place, path))
            if key in result:
                raise YamlProblem(key_place, f"'{key}' appears twice; YAML would silently keep only the last",
                                  (*path, key))
            result[key] = _to_python(value_node, (*path, key), places, seen, offset)
            places[(*path, key, KEY)] = key_place
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), places, seen, offset) for i, item in enumerate(node.value)]
    return _scalar(node, place, path)


def parse_yaml(text: str, line_offset: int = 0) -> tuple[Any, dict[FieldPath, Place]]:
    """Parse YAML text into data and key places. Raises YamlProblem with a place."""
    if "\t" in text:
        for number, line in enumerate(text.split("\n"), start=1):
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise YamlProblem((number + line_offset, len(line) - len(stripped) + 1),
                                  "YAML does not allow tabs for indentation; use spaces")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = (mark.line + 1 + line_offset, mark.column + 1) if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        if "found character '\\t'" in str(exc):
            reason = "YAML does not allow tabs here; use spaces"
        elif exc.context and exc.context_mark and exc.problem_mark:  # where the unfinished part began
            start = exc.context_mark
            reason += f" ({exc.context.removeprefix('while ')} that starts at {start.line + 1 + line_offset}:{start.column + 1})"
        raise YamlProblem(place, f"invalid YAML: {reason}") from None
    except yaml.reader.ReaderError as exc:  # a control character; libyaml counts bytes, so find it ourselves
        before = text[: max(text.find(chr(exc.character)), 0)]
        place = (before.count("\n") + 1 + line_offset, len(before) - (before.rfind("\n") + 1) + 1)
        raise YamlProblem(place, f"the control character U+{exc.character:04X} is not allowed in YAML; remove it") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"invalid YAML: {exc}") from None
    if node is None:
        return None, {}
    places: dict[FieldPath, Place] = {}
    return _to_python(node, (), places, {}, line_offset), places
