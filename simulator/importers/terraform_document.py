"""Import, Terraform: the JSON of ``terraform show -json`` -> its resources, and typed access
to them.

The input is read with ``yamlnodes.load`` (JSON is YAML), so every value keeps its line and every
mistake is reported as ``FILE:LINE: JSON.PATH: message``. ``collect`` gathers the managed
resources of the root module and its child modules by type, each a located ``Block``; a
``Context`` reads their attributes and holds what has been read so far. Types that decide
verdicts but are not read are ``NOT_READ``; ``summary`` writes the notes on what was read.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScenarioError
from ..scenario_base import NAME
from ..yamlnodes import LocatedDict, LocatedList, Reader, shown
from .draft import Draft

#: Resource types that decide verdicts but are not read: each one stops the import (or is
#: skipped and listed with --skip-unsupported), since leaving it out silently would mislead.
NOT_READ = {
    "tencentcloud_security_group_lite_rule": "rules in the lite notation are not read",
    "tencentcloud_security_group_attachment": "bindings made by an attachment are not read",
    "tencentcloud_clb_security_group_attachment": "bindings made by an attachment are not read",
    "tencentcloud_eni_sg_attachment": "groups bound to a network interface are not read",
    "tencentcloud_vpc_acl": "network ACLs are not read",
    "tencentcloud_vpc_acl_attachment": "network ACLs are not read",
    "tencentcloud_clb_target_group_attachment": "target groups are not read",
    "tencentcloud_clb_target_group_instance_attachment": "target groups are not read",
    "tencentcloud_clb_target_group_attachments": "target groups are not read",
    "tencentcloud_lb": "classic CLBs are not read",
    "tencentcloud_alb_server_attachment": "classic CLBs are not read",
}


#: Resource types read, in the order the notes list them.
READ = tuple(
    f"tencentcloud_{kind}"
    for kind in (
        "security_group",
        "security_group_rule_set",
        "security_group_rule",
        "address_template",
        "address_template_group",
        "protocol_template",
        "protocol_template_group",
        "instance",
        "clb_instance",
        "clb_listener",
        "clb_listener_rule",
        "clb_attachment",
    )
)


@dataclass(frozen=True, slots=True)
class Block:
    """A located mapping of the input with its JSON path, and the resource it belongs to."""

    data: LocatedDict
    path: str
    address: str

    def where(self, key: str) -> tuple[int, str]:
        """The line and JSON path of ``key`` (the mapping's own line where the key is absent)."""
        return self.data.key_lines.get(key, self.data.line), f"{self.path}.{key}"

    def get(self, key: str) -> Any:
        """The value of ``key``; null and "" (Terraform's unset) are ``None``."""
        value = self.data.get(key)
        return None if value == "" else value


@dataclass
class Context:
    """What has been read so far, by type and by ID, and located, typed access to attributes."""

    reader: Reader
    draft: Draft
    file: str
    by_type: dict[str, list[Block]] = field(default_factory=dict)
    listeners: dict[str, tuple[str, int]] = field(default_factory=dict)  # lbl- -> (lb, index)
    not_read: list[tuple[int, str, str, str]] = field(default_factory=list)  # see NOT_READ
    peers: list[tuple[str, Block, str]] = field(default_factory=list)  # group, rule, attribute
    skipped: set[str] = field(default_factory=set)  # CLBs and listeners left out
    ids: dict[str, Block] = field(default_factory=dict)  # ID -> the resource with that ID
    addresses: dict[str, Block] = field(default_factory=dict)  # address -> its resource
    ports: dict[tuple[str, str, int], Block] = field(default_factory=dict)  # lb, transport, port

    def where(self, block: Block, key: str) -> tuple[int, str]:
        """The line and path of an attribute; ``outer.inner`` is in the first nested block."""
        outer, _, inner = key.partition(".")
        if inner:
            nested = self.blocks(block, outer)
            if nested:
                return nested[0].where(inner)
        return block.where(outer)

    def fail(self, block: Block, key: str, message: str) -> ScenarioError:
        line, path = self.where(block, key)
        return ScenarioError(f"{block.address}: {message}", file=self.file, line=line, field=path)

    def unsupported(self, block: Block, key: str, why: str) -> None:
        line, path = self.where(block, key)
        self.draft.unsupported(self.file, line, path, f"{block.address}: {why}")

    def text(self, block: Block, key: str, *, required: str = "") -> str | None:
        """A text attribute; ``required`` says why a missing one is a mistake."""
        value = block.get(key)
        if value is None and required:
            raise self.fail(block, key, f"no {key}: {required}")
        if value is not None and not isinstance(value, str):
            raise self.fail(block, key, f"expected text, got {shown(json.dumps(value))}")
        return value

    def number(self, block: Block, key: str) -> int | None:
        value = block.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(block, key, f"expected a whole number, got {shown(json.dumps(value))}")
        return value

    def port(self, block: Block, key: str, *, required: str = "") -> int | None:
        """A port number, 1-65535; unset (null, or 0 where not ``required``) is None."""
        port = self.number(block, key)
        if port is None and required:
            raise self.fail(block, key, f"no {key}: {required}")
        if port is not None and not (1 <= port <= 65535 or (port == 0 and not required)):
            raise self.fail(block, key, f"port {port} is out of range 1-65535")
        return port or None

    def flag(self, block: Block, key: str) -> bool | None:
        value = block.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(block, key, f"expected true or false, got {shown(json.dumps(value))}")
        return value

    def blocks(self, block: Block, key: str) -> list[Block]:
        """The nested blocks (or plain items) of a list attribute; null is empty."""
        value = block.data.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            raise self.fail(block, key, f"expected a list, got {shown(json.dumps(value))}")
        out = []
        for index, item in enumerate(value):
            if not isinstance(item, LocatedDict):
                raise self.fail(block, key, f"item {index} is not an object")
            out.append(Block(item, f"{block.path}.{key}[{index}]", block.address))
        return out

    def strings(self, block: Block, key: str) -> list[tuple[str, int, str]]:
        """The items of a list of text, each with its line and path."""
        value = block.data.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList) or not all(isinstance(v, str) for v in value):
            raise self.fail(block, key, "expected a list of text")
        return [(v, value.item_lines[i], f"{block.path}.{key}[{i}]") for i, v in enumerate(value)]

    def identity(self, block: Block) -> str:
        """A resource's ID (``values.id``), which is also its name in the scenario."""
        ident = str(
            self.text(block, "id", required="a plan knows it only after apply; import the state")
        )
        if not NAME.fullmatch(ident):
            raise self.fail(block, "id", f"'{ident}' is not an ID sgsim can use as a name")
        return ident

    def register(self, block: Block) -> str:
        """The ID of a resource that defines something, which no other resource may have."""
        ident = self.identity(block)
        other = self.ids.setdefault(ident, block)
        if other is not block:
            raise self.fail(
                block, "id", f"{ident} is also the ID of {other.address} (line {other.data.line})"
            )
        return ident

    def comment(self, block: Block, extra: str = "") -> str:
        """Where a scenario entry came from: the Terraform address and the line."""
        return f"{block.address}, line {block.data.line}" + (f": {extra}" if extra else "")


# -- the document and its resources -----------------------------------------------------------
def collect(context: Context, document: Any) -> tuple[str, str]:
    """Every managed resource of the root module and its child modules, by type; returns
    whether the input is a state or a plan, and the Terraform version that wrote it."""
    reader = context.reader
    top = reader.mapping(document, "", 1)
    if "format_version" not in top:
        hint = (
            "; this looks like a raw state file: run `terraform show -json` on it"
            if "resources" in top and "version" in top
            else ""
        )
        reader.fail(top.line, "format_version", f"not the JSON of `terraform show -json`{hint}")
    version = reader.text(top["format_version"], "format_version", top.key_lines["format_version"])
    if version.split(".")[0] != "1":
        reader.fail(
            top.key_lines["format_version"],
            "format_version",
            f"format {version} is not supported; sgsim reads format 1.x",
        )
    kind, key = ("plan", "planned_values") if "planned_values" in top else ("state", "values")
    terraform = str(top.get("terraform_version", "unknown"))
    if key not in top:
        reader.fail(top.line, key, "the state holds no resources")
    values = reader.mapping(top[key], key, top.key_lines[key])
    if "root_module" not in values:
        reader.fail(values.line, f"{key}.root_module", "the state holds no resources")
    _module(context, values["root_module"], f"{key}.root_module", values.key_lines["root_module"])
    return kind, terraform


def _module(context: Context, value: Any, path: str, line: int) -> None:
    reader = context.reader
    module = reader.mapping(value, path, line)
    for item, item_path, item_line in reader.items(
        module.get("resources"), f"{path}.resources", module.key_lines.get("resources", line)
    ):
        resource = reader.mapping(item, item_path, item_line)  # unknown keys: newer formats
        for key in ("address", "type"):
            if key not in resource:
                reader.fail(item_line, f"{item_path}.{key}", "required key is missing")
        if resource.get("mode", "managed") != "managed":
            continue  # a data source describes something, it configures nothing
        address = reader.text(resource["address"], f"{item_path}.address", item_line)
        kind = reader.text(resource["type"], f"{item_path}.type", resource.key_lines["type"])
        if kind in NOT_READ:
            type_line = resource.key_lines["type"]
            context.not_read.append((type_line, f"{item_path}.type", address, kind))
            continue
        values = resource.get("values")
        if not isinstance(values, LocatedDict):
            reader.fail(item_line, f"{item_path}.values", f"{address}: expected an object")
        context.by_type.setdefault(kind, []).append(Block(values, f"{item_path}.values", address))
    for item, item_path, item_line in reader.items(
        module.get("child_modules"),
        f"{path}.child_modules",
        module.key_lines.get("child_modules", line),
    ):
        _module(context, item, item_path, item_line)


def of(context: Context, kind: str) -> list[Block]:
    """The resources of type ``tencentcloud_KIND``, in the input's order."""
    return context.by_type.get(f"tencentcloud_{kind}", [])


def summary(context: Context, kind: str) -> str:
    """The notes: what was read and what was not."""
    read_types = [t for t in context.by_type if t in READ]
    others = Counter(
        {t: len(b) for t, b in context.by_type.items() if t not in READ and t not in NOT_READ}
    )
    lines = [f"Imported from the {'planned values of a plan' if kind == 'plan' else 'state'}."]
    lines.append("Read: " + ", ".join(f"{t} ({len(context.by_type[t])})" for t in read_types))
    if others:
        lines.append("Not read: " + ", ".join(f"{t} ({n})" for t, n in sorted(others.items())))
    lines.append("Add clients, flows and health_checks, then: sgsim replay FILE")
    return "\n".join(lines) + "\n"


def unknown_keys(context: Context, rule: Block, known: frozenset[str]) -> None:
    """An attribute a newer provider may add, with a value: not read, so not silently ignored."""
    for key, value in rule.data.items():
        if key not in known and value not in (None, "", [], {}):
            context.unsupported(rule, key, f"'{key}' is not an attribute sgsim reads")


def unknown(
    context: Context, block: Block, key: str, what: str, name: str, known: Any
) -> ScenarioError:
    """The mistake of a reference to a resource the input does not have, listing those it has."""
    names = ", ".join(sorted(known)) or "none"
    return context.fail(block, key, f"unknown {what} {name} (the input has: {names})")
