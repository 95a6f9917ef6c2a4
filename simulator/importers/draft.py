"""Importers' common ground: a scenario document being built, with where each part came from.

An importer fills a ``Draft``: the plain values a scenario file holds (``docs/scenario-format.md``),
keyed and ordered as a person would write them, and a comment for any key or list item, saying
where it came from. ``render`` writes the YAML text, comments included; the scenario loader then
reads that text like any other file, so an import is checked by the same rules as a hand-written
scenario.

What an importer cannot represent stops the import with a located error, unless the user asked
to skip such items: each is then recorded in ``skipped`` and listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import ScenarioError

Key = str | int
PathKey = tuple[Key, ...]  # a key or list item: ("security_groups", "sg-1", "inbound", 0)

#: The scenario's top-level keys, in the order the format's reference lists them.
ORDER = (
    "title",
    "source",
    "notes",
    "clients",
    "instances",
    "load_balancers",
    "security_groups",
    "network_acls",
    "flows",
    "health_checks",
)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input item left out of the scenario, and why."""

    file: str
    line: int
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}: {self.why}"


@dataclass
class Draft:
    """A scenario document with comments; ``skip`` says whether unsupported items are left out
    (and listed in ``skipped``) or stop the import."""

    document: dict[str, Any] = field(default_factory=dict)
    comments: dict[PathKey, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    skip: bool = False

    def note(self, path: PathKey, comment: str) -> None:
        """A comment above ``path``; a second one for the same path is added below the first."""
        before = self.comments.get(path)
        self.comments[path] = f"{before}\n{comment}" if before else comment

    def unsupported(self, file: str, line: int, what: str, why: str) -> None:
        """Record an item that cannot be represented, or stop the import there."""
        if not self.skip:
            raise ScenarioError(
                f"{why}; not imported (--skip-unsupported leaves it out and lists it)",
                file=file,
                line=line,
                field=what,
            )
        self.skipped.append(Skipped(file, line, what, why))


def render(draft: Draft) -> str:
    """The YAML text of the draft, each comment above what it is about. Rules, listeners, flows
    and health checks go one per line; a mapping goes on one line where it fits and holds
    nothing that does not."""
    unknown = set(draft.document) - set(ORDER)
    assert not unknown, f"not scenario keys: {sorted(unknown)}"
    lines: list[str] = []
    for key in ORDER:
        if key in draft.document:
            _entry(lines, draft, (key,), draft.document[key], 0)
    return "\n".join(lines) + "\n"


#: Lists written one item per line.
LISTS = frozenset({"inbound", "outbound", "listeners", "flows", "health_checks"})
WIDTH = 100


def _entry(lines: list[str], draft: Draft, path: PathKey, value: Any, depth: int) -> None:
    """``key: value`` at ``depth``, its comment above it."""
    _comment(lines, draft, path, depth)
    pad = "  " * depth
    head = f"{pad}{_flow(path[-1])}:"
    if isinstance(value, str) and _literal(value):
        lines.append(f"{head} |")
        lines += [f"{pad}  {line}" if line else "" for line in value.rstrip("\n").split("\n")]
    elif not _block(draft, path, value, len(head)):
        lines.append(f"{head} {_flow(value)}")
    elif isinstance(value, dict):
        lines.append(head)
        for key, item in value.items():
            _entry(lines, draft, (*path, key), item, depth + 1)
    else:
        lines.append(head)
        for index, item in enumerate(value):
            _item(lines, draft, (*path, index), item, depth + 1)


def _item(lines: list[str], draft: Draft, path: PathKey, value: Any, depth: int) -> None:
    """``- value`` at ``depth``; a mapping too wide for one line starts on the dash's line."""
    _comment(lines, draft, path, depth)
    pad = "  " * depth
    if not _block(draft, path, value, len(pad) + 2) or not isinstance(value, dict):
        lines.append(f"{pad}- {_flow(value)}")
        return
    inner: list[str] = []
    for key, item in value.items():
        _entry(inner, draft, (*path, key), item, depth + 1)
    first = next(i for i, line in enumerate(inner) if not line.lstrip().startswith("#"))
    inner[first] = f"{pad}- {inner[first][len(pad) + 2 :]}"
    lines += inner


def _literal(text: str) -> bool:
    """True for text written as a literal block (``|``): lines of text that the block gives
    back exactly (one final line break, no spaces at a line's ends, nothing YAML rewrites)."""
    lines = text.split("\n")
    return (
        len(lines) > 2
        and lines[-1] == ""
        and lines[-2] != ""
        and not lines[0].startswith((" ", "\t"))
        and all(line == line.strip(" \t") and line.isprintable() for line in lines)
    )


def _block(draft: Draft, path: PathKey, value: Any, used: int) -> bool:
    """True where ``value`` is written over several lines."""
    if len(path) > 1 and path[-2] in ("inbound", "outbound"):
        return False  # a rule: one line, however long
    if len(path) == 1 and isinstance(value, dict) and value:
        return True  # a top-level mapping: one name per line
    if isinstance(value, list):
        if value and path[-1] in LISTS:
            return True
        children: list[PathKey] = [(*path, i) for i in range(len(value))]
        items = list(value)
    elif isinstance(value, dict):
        children = [(*path, k) for k in value]
        items = list(value.values())
    else:
        return False
    if any(c in draft.comments for c in children):
        return True
    if any(_block(draft, c, v, 0) for c, v in zip(children, items, strict=True)):
        return True
    return used + 1 + len(_flow(value)) > WIDTH


def _comment(lines: list[str], draft: Draft, path: PathKey, depth: int) -> None:
    text = draft.comments.get(path)
    if text:
        pad = "  " * depth
        lines += [f"{pad}# {line}".rstrip() for line in text.split("\n")]


class _OneLine(yaml.SafeDumper):
    """PyYAML's safe dumper, with text that holds a line break double-quoted (as ``\\n``)."""


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if any(c in data for c in "\n\r\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_OneLine.add_representer(str, _text)


def _flow(value: Any) -> str:
    """One value on one line, quoted where YAML needs it."""
    text = yaml.dump(
        value, Dumper=_OneLine, default_flow_style=True, sort_keys=False, allow_unicode=True,
        width=10_000,
    )  # fmt: skip
    return text.removesuffix("\n...\n").rstrip("\n")


__all__ = ["ORDER", "Draft", "PathKey", "Skipped", "render"]
