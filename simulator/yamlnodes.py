"""Stage 2, YAML with line numbers: composed nodes -> plain values that remember their lines.

``load`` returns ``Located`` mappings and lists whose items know the line they were written on,
so every later mistake can be reported as ``FILE:LINE: FIELD``. Line numbers come from the YAML
node marks (``yaml.compose``), never from keys injected into the data.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

import yaml

from .errors import ScenarioError, did_you_mean


class LocatedDict(dict[str, Any]):
    """A mapping from YAML with the line of itself and of each key."""

    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    """A sequence from YAML with the line of itself and of each item."""

    line: int
    item_lines: list[int]


def load(text: str, file: str) -> Any:
    """Parse one YAML document, keeping line numbers; errors become ``ScenarioError``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ScenarioError(
            "the document nests too deeply", file=file, line=1, field="yaml"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark and "<stream end>" in (error.problem or ""):
            mark = error.context_mark  # an unclosed bracket: point at where it opened
        line = mark.line + 1 if mark else 1
        problem = error.problem or "malformed YAML"
        if mark:
            problem += f" (column {mark.column + 1})"
        if "mapping values are not allowed" in problem:
            problem += "; quote a value that contains ': '"
        raise ScenarioError(
            f"malformed YAML: {problem}", file=file, line=line, field="yaml"
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"malformed YAML: {error}", file=file, line=1, field="yaml") from None
    if node is None:
        return None
    budget = _Budget(file)
    try:
        return _convert(node, file, yaml.SafeLoader(""), "", budget)
    except RecursionError:
        raise ScenarioError(
            "the document nests too deeply, or an alias refers to itself",
            file=file, line=1, field="yaml",
        ) from None  # fmt: skip


#: At most this many values after aliases are expanded: a guard against alias bombs.
MAX_VALUES = 200_000
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")


class _Budget:
    def __init__(self, file: str) -> None:
        self.file = file
        self.left = MAX_VALUES

    def spend(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise ScenarioError(
                f"the document expands to more than {MAX_VALUES} values (aliases?)",
                file=self.file, line=node.start_mark.line + 1, field="yaml",
            )  # fmt: skip


def _convert(
    node: yaml.Node, file: str, constructor: yaml.SafeLoader, path: str, budget: _Budget
) -> Any:
    budget.spend(node)
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = LocatedDict()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in _pairs(node, file, budget):
            key_line = key_node.start_mark.line + 1
            key = _convert(key_node, file, constructor, path, budget)
            if not isinstance(key, str):
                if isinstance(key_node, yaml.ScalarNode) and not key_node.value:
                    written, why = "(empty key)", "this key is empty, which YAML reads as null"
                elif isinstance(key_node, yaml.ScalarNode):
                    written = key_node.value
                    why = f"YAML reads {written} as {_yaml_text(key)}, so put it in quotes"
                else:
                    written, why = "?", f"not {_yaml_text(key)}"
                raise ScenarioError(
                    f"keys must be text; {why}",
                    file=file,
                    line=key_line,
                    field=join_path(path, written),
                )
            if key in result:
                raise ScenarioError(
                    f"duplicate key (first given on line {result.key_lines[key]})",
                    file=file,
                    line=key_line,
                    field=join_path(path, key),
                )
            result[key] = _convert(value_node, file, constructor, join_path(path, key), budget)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LocatedList(
            _convert(item, file, constructor, f"{path}[{i}]", budget)
            for i, item in enumerate(node.value)
        )
        items.line = line
        items.item_lines = [item.start_mark.line + 1 for item in node.value]
        return items
    if node.tag == "tag:yaml.org,2002:int" and not _DECIMAL.fullmatch(node.value):
        raise ScenarioError(
            f"'{node.value}' is not a decimal number (YAML 1.1 reads it as "
            f"{constructor.construct_object(node)}); write it in decimal, or quote it as text",
            file=file, line=line, field=path or "yaml",
        )  # fmt: skip
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        if node.tag == "tag:yaml.org,2002:timestamp":  # looks like a date but is none: text
            return node.value
        raise ScenarioError(
            f"'{node.value}' cannot be read", file=file, line=line, field=path or "yaml"
        ) from None
    except (yaml.YAMLError, OverflowError) as error:
        raise ScenarioError(
            f"'{node.value}' cannot be read: {error}", file=file, line=line, field=path or "yaml"
        ) from None


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _pairs(node: yaml.MappingNode, file: str, budget: _Budget) -> list[tuple[yaml.Node, yaml.Node]]:
    """The key/value pairs of a mapping, with YAML merge keys (``<<: *base``) expanded."""
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise ScenarioError(
                        "a merge key (<<) takes a mapping",
                        file=file,
                        line=key_node.start_mark.line + 1,
                        field="<<",
                    )
                for pair in _pairs(source, file, budget):
                    budget.spend(pair[0])
                    merged.append(pair)
        else:
            pairs.append((key_node, value_node))
    taken = {k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)}
    first: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in merged:  # of several merged mappings, the first one wins
        if not isinstance(key_node, yaml.ScalarNode):
            first.append((key_node, value_node))  # not text: reported when converted
        elif key_node.value not in taken:
            taken.add(key_node.value)
            first.append((key_node, value_node))
    return first + pairs


class Reader:
    """Typed access to located YAML values; every failure names FILE:LINE: FIELD."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, line: int, field: str, message: str) -> NoReturn:
        raise ScenarioError(message, file=self.file, line=line, field=field)

    def mapping(
        self,
        value: Any,
        field: str,
        line: int,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> LocatedDict:
        """A mapping with exactly the allowed keys (an unknown key is an error)."""
        if not isinstance(value, LocatedDict):
            self.fail(line, field or "file", f"expected a mapping, got {_kind(value)}")
        allowed = tuple(dict.fromkeys((*required, *optional)))
        if allowed:
            for key in value:
                if key not in allowed:
                    self.fail(
                        value.key_lines[key],
                        join_path(field, key),
                        "unknown key"
                        + did_you_mean(key, allowed, f"; expected one of {', '.join(allowed)}"),
                    )
        for key in required:
            if key not in value:
                self.fail(value.line, join_path(field, key), "required key is missing")
        return value

    def items(
        self, value: Any, field: str, line: int, *, required: bool = False
    ) -> list[tuple[Any, str, int]]:
        """The items of a list, each with its path and line; null is empty unless ``required``."""
        if value is None:
            if required:
                self.fail(line, field, "expected a list, got nothing (null); write [] for none")
            return []
        if not isinstance(value, LocatedList):
            self.fail(line, field, f"expected a list, got {_kind(value)}")
        return [(v, f"{field}[{i}]", value.item_lines[i]) for i, v in enumerate(value)]

    def entries(self, value: Any, field: str, line: int) -> list[tuple[str, Any, str, int]]:
        """The entries of a named mapping (name -> definition); null is empty."""
        if value is None:
            return []
        mapping = self.mapping(value, field, line)
        return [(k, v, join_path(field, k), mapping.key_lines[k]) for k, v in mapping.items()]

    def text(self, value: Any, field: str, line: int) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, date)):
            self.fail(line, field, f"expected text, got {_kind(value)}")
        text = str(value).strip()
        if not text:
            self.fail(line, field, "must not be empty")
        return text

    def boolean(self, value: Any, field: str, line: int) -> bool:
        if not isinstance(value, bool):
            self.fail(line, field, f"expected true or false, got {_kind(value)}")
        return value

    def port(self, value: Any, field: str, line: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(line, field, f"expected a port number, got {_kind(value)}")
        if not 1 <= value <= 65535:
            self.fail(line, field, f"port {value} is out of range 1-65535")
        return value

    def choice(self, value: Any, field: str, line: int, enum: type[E]) -> E:
        """One of an enum's values, matched without regard to case."""
        text = self.text(value, field, line)
        for member in enum:
            if member.value.lower() == text.lower():
                return member
        names = [m.value for m in enum]
        self.fail(
            line, field, f"'{text}' is not one of {', '.join(names)}" + did_you_mean(text, names)
        )


E = TypeVar("E", bound=StrEnum)


def join_path(field: str, key: str) -> str:
    """The path of ``key`` inside ``field`` (``clients.a``); a top-level key is its own path."""
    return f"{field}.{key}" if field else key


def shown(text: str) -> str:
    """A wrong value's text as a message quotes it: cut short where long (a whole other file
    read as one string, say), keeping its closing quote or bracket."""
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 5]}...{text[-1]}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes, no, on and off as true or false: quote it)"
    return f"{type(value).__name__} {shown(repr(value))}"


#: How much of a wrong value a message quotes.
_SHOWN = 60
