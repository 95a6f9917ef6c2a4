"""Import, Tencent Cloud API: one JSON response file -> what it answers, and typed access to it.

A file is what the API or ``tccli`` prints: the response body, with or without the
``{"Response": {...}}`` envelope. What it answers is recognised by the key it holds
(``SecurityGroupPolicySet``, ``LoadBalancerSet``...). Values are read with ``yamlnodes.load``
(JSON is YAML), so each keeps its line, and every mistake is ``FILE:LINE: JSON.PATH: message``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ScenarioError
from ..yamlnodes import LocatedDict, LocatedList, Reader, join_path, shown
from .draft import Draft
from .jsonfile import load_json

#: The key a response body holds -> the API action that returns it.
KINDS = {
    "SecurityGroupPolicySet": "DescribeSecurityGroupPolicies",
    "SecurityGroupSet": "DescribeSecurityGroups",
    "AddressTemplateSet": "DescribeAddressTemplates",
    "AddressTemplateGroupSet": "DescribeAddressTemplateGroups",
    "ServiceTemplateSet": "DescribeServiceTemplates",
    "ServiceTemplateGroupSet": "DescribeServiceTemplateGroups",
    "LoadBalancerSet": "DescribeLoadBalancers",
    "Listeners": "DescribeListeners",  # or DescribeTargets: told apart by content
    "InstanceSet": "DescribeInstances",
}
#: Responses that do not say whose they are: the owner's ID comes from the file.
OWNED = {
    "DescribeSecurityGroupPolicies": ("SecurityGroupId", "sg-", "security group"),
    "DescribeListeners": ("LoadBalancerId", "lb-", "load balancer"),
    "DescribeTargets": ("LoadBalancerId", "lb-", "load balancer"),
}


class Node:
    """A JSON object of a response, with its path (``Response.LoadBalancerSet[0]``) and the line
    of each key, so that every value read from it is located."""

    def __init__(self, data: LocatedDict, path: str, file: str, draft: Draft) -> None:
        self.data = data
        self.path = path
        self.file = file
        self.draft = draft

    @property
    def line(self) -> int:
        return self.data.line

    def where(self, key: str) -> tuple[str, int]:
        """The path and line of ``key`` (the object's line where the key is missing)."""
        return join_path(self.path, key), self.data.key_lines.get(key, self.data.line)

    def fail(self, key: str, message: str) -> NoReturn:
        path, line = self.where(key)
        raise ScenarioError(message, file=self.file, line=line, field=path)

    def unsupported(self, key: str, why: str) -> None:
        """Stop the import at ``key``, or record it as left out (``--skip-unsupported``)."""
        path, line = self.where(key)
        self.draft.unsupported(self.file, line, path, why)

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, *, required: str | None = None) -> str | None:
        """Text; missing, null or empty is None, or an error saying ``required`` when given."""
        value = self.data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            self.fail(key, f"expected text, got {_kind(value)}")
        text = None if value is None else str(value).strip() or None
        if text is None and required:
            self.fail(key, f"required: {required}")
        return text

    def integer(self, key: str, *, required: str | None = None) -> int | None:
        """A whole number; missing or null is None, or an error saying ``required``."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"required: {required}")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected a number, got {_kind(value)}")
        return value

    def number(self, key: str, what: str) -> int:
        """A whole number that must be given; ``what`` says what it is."""
        value = self.integer(key, required=what)
        assert value is not None  # integer() fails where a required number is missing
        return value

    def flag(self, key: str) -> bool | None:
        """``true``/``false`` (or the API's ``1``/``0``); missing or null is None."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.fail(key, f"expected true or false, got {_kind(value)}")

    def texts(self, key: str) -> list[tuple[str, str, int]]:
        """A list of text, each ``(text, path, line)``; missing or null is empty."""
        items = []
        for value, path, line in self._items(key):
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ScenarioError(
                    f"expected text, got {_kind(value)}",
                    file=self.file, line=line, field=path,
                )  # fmt: skip
            if str(value).strip():
                items.append((str(value).strip(), path, line))
        return items

    def child(self, key: str) -> Node | None:
        """The object under ``key``; missing or null is None."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, LocatedDict):
            self.fail(key, f"expected an object, got {_kind(value)}")
        return Node(value, join_path(self.path, key), self.file, self.draft)

    def children(self, key: str, *, required: bool = False) -> list[Node]:
        """The objects of the list under ``key``; missing or null is empty unless required."""
        if required and key not in self.data:
            self.fail(key, "required key is missing")
        nodes = []
        for value, path, line in self._items(key):
            if not isinstance(value, LocatedDict):
                raise ScenarioError(
                    f"expected an object, got {_kind(value)}",
                    file=self.file, line=line, field=path,
                )  # fmt: skip
            nodes.append(Node(value, path, self.file, self.draft))
        return nodes

    def _items(self, key: str) -> Iterator[tuple[Any, str, int]]:
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, LocatedList):
            self.fail(key, f"expected a list, got {_kind(value)}")
        for index, item in enumerate(value):
            yield item, f"{join_path(self.path, key)}[{index}]", value.item_lines[index]


@dataclass
class Response:
    """One response file: the action it answers, its body, and whose it is."""

    file: str
    kind: str
    key: str  # the key that told what it answers
    body: Node
    owner: str | None

    @property
    def reader(self) -> Reader:
        return Reader(self.file)


def read_response(path: Path, draft: Draft, *, owner_needed: bool = True) -> Response:
    """Read one file as a response; ``owner_needed`` false takes a policies file without an ID
    (the caller knows the group)."""
    file = str(path)
    top = load_json(path, file)
    if not isinstance(top, LocatedDict):
        raise ScenarioError(
            f"expected a JSON object, got {_kind(top)}", file=file, line=1, field="json"
        )
    root = Node(top, "", file, draft)
    body = _body(root)
    key, kind = _kind_of(body)
    owner = _owner(body, root, path, kind, needed=owner_needed) if kind in OWNED else None
    return Response(file, kind, key, body, owner)


def _body(top: Node) -> Node:
    """The response body: inside ``Response`` where the file has the API's envelope."""
    inner = top.child("Response") if "Response" in top.data else None
    body = inner or top
    error = body.child("Error")
    if error is not None:
        code, message = error.text("Code") or "?", error.text("Message") or ""
        top.fail("Response", f"the file holds an error response: {code}: {message}")
    return body


def _kind_of(body: Node) -> tuple[str, str]:
    """The key that tells what a response answers, and the action it answers."""
    found = [key for key in KINDS if key in body.data]
    if not found:
        known = ", ".join(KINDS)
        keys = ", ".join(body.data) or "none"
        body.fail(
            next(iter(body.data), "json"),
            f"not a response sgsim reads: expected one of the keys {known}; the object has {keys}",
        )
    if len(found) > 1:
        body.fail(found[1], f"one response per file: it has both {found[0]} and {found[1]}")
    if found[0] == "Listeners":
        return found[0], _listeners_or_targets(body)
    return found[0], KINDS[found[0]]


def _listeners_or_targets(body: Node) -> str:
    """DescribeTargets lists ``Targets`` under each listener (or under its ``Rules``);
    DescribeListeners does not."""
    kinds = set()
    for listener in body.children("Listeners"):
        rules = listener.children("Rules")
        with_targets = "Targets" in listener.data or any("Targets" in r.data for r in rules)
        kinds.add("DescribeTargets" if with_targets else "DescribeListeners")
    if len(kinds) > 1:
        body.fail("Listeners", "some listeners have Targets and some do not: one response per file")
    return kinds.pop() if kinds else "DescribeListeners"


def _owner(body: Node, top: Node, path: Path, kind: str, *, needed: bool) -> str | None:
    """Whose response this is: a top-level ``SecurityGroupId`` / ``LoadBalancerId``, else the file
    name up to its first dot (``sg-xxxx.json``, ``lb-xxxx.targets.json``)."""
    key, prefix, what = OWNED[kind]
    for node in (body, top):
        given = node.text(key)
        if given is not None:
            return given
    stem = path.name.split(".", 1)[0]
    if stem.startswith(prefix) and len(stem) > len(prefix):
        return stem
    if not needed:
        return None
    top.fail(
        next(iter(top.data), "json"),
        f"a {kind} response does not say which {what} it is about: name the file "
        f"{prefix}xxxxxxxx.json (the ID, then anything after a dot), or add a top-level "
        f'"{key}" key',
    )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {shown(repr(value))}"


__all__ = ["KINDS", "OWNED", "Node", "Response", "read_response"]
