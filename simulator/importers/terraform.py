"""Import, Terraform: the JSON of ``terraform show -json`` (a state, or a plan's planned values)
-> a ``Draft`` of a scenario (docs/import-terraform.md).

The input is read with ``yamlnodes.load`` (JSON is YAML), so every value keeps its line and every
mistake is reported as ``FILE:LINE: JSON.PATH: message``. Security-group rules are mapped onto the
Tencent Cloud API's field names and converted by ``policies.convert``, the converter the API
importer uses, so both formats give the same rules; what the converter reports is located back at
the Terraform attribute it came from. Health checks are read as ``tencent_clb`` reads the API's.
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..scenario_base import NAME
from ..yamlnodes import LocatedDict, LocatedList, Reader, load
from .draft import Draft
from .policies import Templates, convert
from .tencent_clb import CHECK_TYPES, LISTENER_PROTOCOLS, SOURCES, UDP_LIKE

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
LAYER7 = ("HTTP", "HTTPS")

#: The API's field of a policy (``Outer.Inner`` inside a template) -> the attribute of an
#: ``ingress`` or ``egress`` block of ``tencentcloud_security_group_rule_set``.
RULE_SET = {
    "Action": "action",
    "CidrBlock": "cidr_block",
    "Ipv6CidrBlock": "ipv6_cidr_block",
    "SecurityGroupId": "source_security_id",
    "AddressTemplate.AddressId": "address_template_id",
    "AddressTemplate.AddressGroupId": "address_template_group",
    "Protocol": "protocol",
    "Port": "port",
    "ServiceTemplate.ServiceId": "service_template_id",
    "ServiceTemplate.ServiceGroupId": "service_template_group",
    "PolicyDescription": "description",
}
#: The same for the older ``tencentcloud_security_group_rule``: ``cidr_ip`` holds an IPv4 or an
#: IPv6 peer, and a template is a nested block (``address_template.template_id``).
SINGLE = {
    "Action": "policy",
    "CidrBlock": "cidr_ip",
    "Ipv6CidrBlock": "cidr_ip",
    "SecurityGroupId": "source_sgid",
    "AddressTemplate.AddressId": "address_template.template_id",
    "AddressTemplate.AddressGroupId": "address_template.group_id",
    "Protocol": "ip_protocol",
    "Port": "port_range",
    "ServiceTemplate.ServiceId": "protocol_template.template_id",
    "ServiceTemplate.ServiceGroupId": "protocol_template.group_id",
    "PolicyDescription": "description",
}
#: Attributes of a rule that are known and carry nothing for a verdict: ``policy_index`` is
#: computed (the order of the blocks is the order of the rules).
RULE_SET_KEYS = frozenset({*RULE_SET.values(), "policy_index"})
SINGLE_KEYS = frozenset(
    {"id", "security_group_id", "type", "policy_index", "cidr_ip", "ip_protocol", "port_range",
     "policy", "source_sgid", "address_template", "protocol_template", "description"}
)  # fmt: skip
PEERS = ("CidrBlock", "Ipv6CidrBlock", "SecurityGroupId", "AddressTemplate.AddressId",
         "AddressTemplate.AddressGroupId")  # fmt: skip
SERVICES = ("ServiceTemplate.ServiceId", "ServiceTemplate.ServiceGroupId")


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
class _Context:
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
            raise self.fail(block, key, f"expected text, got {json.dumps(value)}")
        return value

    def number(self, block: Block, key: str) -> int | None:
        value = block.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(block, key, f"expected a whole number, got {json.dumps(value)}")
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
            raise self.fail(block, key, f"expected true or false, got {json.dumps(value)}")
        return value

    def blocks(self, block: Block, key: str) -> list[Block]:
        """The nested blocks (or plain items) of a list attribute; null is empty."""
        value = block.data.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            raise self.fail(block, key, f"expected a list, got {json.dumps(value)}")
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


def read(file: Path, draft: Draft) -> None:
    """Fill ``draft`` from the ``terraform show -json`` output in ``file``."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            f"cannot read the file: {error}", file=name, line=1, field="file"
        ) from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"malformed JSON: {error.msg} (column {error.colno})",
            file=name,
            line=error.lineno,
            field="json",
        ) from None
    context = _Context(Reader(name), draft, name)
    kind, version = _collect(context, load(text, name))
    document = draft.document
    document["title"] = f"Imported from Terraform: {file.name}"
    document["source"] = f"terraform show -json, a {kind} (Terraform {version}): {file}"
    for line, path, address, unread in context.not_read:
        draft.unsupported(name, line, path, f"{address}: {NOT_READ[unread]}")
    _groups(context)
    _rules(context, _templates(context))
    _instances(context)
    _balancers(context)
    _layer7_checks(context)
    _backends(context)
    _check_groups(context)
    document["notes"] = _summary(context, kind)


# -- the document and its resources -----------------------------------------------------------
def _collect(context: _Context, document: Any) -> tuple[str, str]:
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


def _module(context: _Context, value: Any, path: str, line: int) -> None:
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


def _of(context: _Context, kind: str) -> list[Block]:
    return context.by_type.get(f"tencentcloud_{kind}", [])


def _summary(context: _Context, kind: str) -> str:
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


# -- templates and security groups ------------------------------------------------------------
def _templates(context: _Context) -> Templates:
    """Address and service templates, and their groups, by ID."""
    members: list[dict[str, list[str]]] = [{}, {}, {}, {}]
    kinds = (
        ("address_template", "addresses"),
        ("address_template_group", "template_ids"),
        ("protocol_template", "protocols"),
        ("protocol_template_group", "template_ids"),
    )
    for table, (kind, key) in zip(members, kinds, strict=True):
        for block in _of(context, kind):
            table[context.register(block)] = [v for v, _, _ in context.strings(block, key)]
    return Templates(
        addresses=members[0],
        address_groups=members[1],
        services=members[2],
        service_groups=members[3],
    )


def _groups(context: _Context) -> None:
    """A scenario group per ``tencentcloud_security_group``, without rules yet."""
    groups: dict[str, Any] = context.draft.document.setdefault("security_groups", {})
    for block in _of(context, "security_group"):
        sg = context.register(block)
        name = context.text(block, "name") or ""
        description = context.text(block, "description")
        context.draft.note(
            ("security_groups", sg),
            context.comment(block, f"'{name}'" + (f" ({description})" if description else "")),
        )
        groups[sg] = {"inbound": [], "outbound": []}


def _rules(context: _Context, templates: Templates) -> None:
    """The rules of every rule set, then of every older one-rule resource."""
    owners: dict[str, str] = {}  # security group -> the resource that wrote its rules
    for block in _of(context, "security_group_rule_set"):
        sg = _rule_owner(context, block, owners)
        for direction, key in (("inbound", "ingress"), ("outbound", "egress")):
            for rule in context.blocks(block, key):
                _unknown_keys(context, rule, RULE_SET_KEYS)
                _add_rule(context, templates, (sg, direction), rule, RULE_SET)
    singles = sorted(
        enumerate(_of(context, "security_group_rule")),
        key=lambda pair: (_index(context, pair[1]), pair[0]),
    )
    for _, block in singles:
        sg = _rule_owner(context, block, owners, single=True)
        kind = context.text(block, "type", required="ingress or egress")
        if kind not in ("ingress", "egress"):
            raise context.fail(block, "type", f"'{kind}' is not ingress or egress")
        _unknown_keys(context, block, SINGLE_KEYS)
        direction = "inbound" if kind == "ingress" else "outbound"
        _add_rule(context, templates, (sg, direction), block, SINGLE)
    groups = context.draft.document["security_groups"]
    for sg in groups:
        if sg not in owners:
            context.draft.note(
                ("security_groups", sg),
                "no rules in the input (managed elsewhere?): every new connection drops (§1.4)",
            )


def _index(context: _Context, block: Block) -> int:
    """An older rule's ``policy_index``; rules without one go last, in the input's order."""
    index = context.number(block, "policy_index")
    return 1 << 30 if index is None else index


def _rule_owner(
    context: _Context, block: Block, owners: dict[str, str], *, single: bool = False
) -> str:
    """The group a rule resource writes to; a group's rules come from one kind of resource."""
    sg = str(context.text(block, "security_group_id", required="the group the rules belong to"))
    groups: dict[str, Any] = context.draft.document["security_groups"]
    if sg not in groups:
        groups[sg] = {"inbound": [], "outbound": []}
        context.draft.note(("security_groups", sg), f"{sg}: not a resource of the input")
    owner = owners.setdefault(sg, "rules" if single else block.address)
    if owner != ("rules" if single else block.address):
        other = "tencentcloud_security_group_rule resources" if owner == "rules" else owner
        raise context.fail(
            block,
            "security_group_id",
            f"the rules of {sg} are already given by {other}; a rule set must be the only "
            "source of its group's rules",
        )
    if single and len(groups[sg]["inbound"]) + len(groups[sg]["outbound"]) == 0:
        context.draft.note(
            ("security_groups", sg),
            "rules from tencentcloud_security_group_rule resources, ordered by policy_index "
            "where given, then as the input lists them: check the order in the console",
        )
    return sg


def _unknown_keys(context: _Context, rule: Block, known: frozenset[str]) -> None:
    """An attribute a newer provider may add, with a value: not read, so not silently ignored."""
    for key, value in rule.data.items():
        if key not in known and value not in (None, "", [], {}):
            context.unsupported(rule, key, f"'{key}' is not an attribute sgsim reads")


def _policy(context: _Context, rule: Block, names: Mapping[str, str]) -> dict[str, Any]:
    """A rule under the API's field names, with the provider's defaults: every protocol and
    every port, unless a service template."""
    policy: dict[str, Any] = {}
    for api, key in names.items():
        outer, _, inner = key.partition(".")
        if inner:
            nested = context.blocks(rule, outer)
            if len(nested) > 1:
                raise context.fail(rule, outer, f"one {outer} per rule, got {len(nested)}")
            value = nested[0].get(inner) if nested else None
        else:
            value = rule.get(key)
        if value is None or (key == "cidr_ip" and (":" in str(value)) != ("Ipv6" in api)):
            continue  # cidr_ip is CidrBlock or Ipv6CidrBlock, by its address family
        group, _, member = api.partition(".")
        if member:
            policy.setdefault(group, {})[member] = value
        else:
            policy[group] = value
    if "ServiceTemplate" not in policy:
        policy.setdefault("Protocol", "ALL")
        policy.setdefault("Port", "ALL")
    return policy


def _given(policy: Mapping[str, Any], apis: tuple[str, ...], names: Mapping[str, str]) -> list[str]:
    """The attributes, among those of ``apis``, that the rule sets."""
    given = []
    for api in apis:
        group, _, member = api.partition(".")
        value = policy.get(group)
        if member:
            value = value.get(member) if isinstance(value, Mapping) else None
        if value is not None:
            given.append(names[api])
    return list(dict.fromkeys(given))


def _exclusive(
    context: _Context, rule: Block, policy: Mapping[str, Any], names: Mapping[str, str]
) -> None:
    """Exactly one peer; a protocol and port, or one service template (the provider's rules)."""
    peers = _given(policy, PEERS, names)
    if not peers:
        options = list(dict.fromkeys(names[api] for api in PEERS))
        raise context.fail(rule, options[0], f"no peer: one of {', '.join(options)} is required")
    if len(peers) > 1:
        raise context.fail(
            rule, peers[1], f"two peers, {peers[0]} and {peers[1]}; a rule has exactly one"
        )
    services = _given(policy, SERVICES, names)
    if len(services) > 1:
        raise context.fail(rule, services[1], f"two service templates, {services[0]} and "
                           f"{services[1]}; a rule names one")  # fmt: skip
    plain = [names[api] for api in ("Protocol", "Port") if rule.get(names[api]) is not None]
    if services and plain:
        raise context.fail(rule, plain[0], f"{plain[0]} and {services[0]} are both given; a "
                           "rule has a protocol and port, or a service template")  # fmt: skip


def _add_rule(
    context: _Context,
    templates: Templates,
    owner: tuple[str, str],
    rule: Block,
    names: Mapping[str, str],
) -> None:
    """Convert one rule (expanding templates) and append it to the group's list; what the
    converter reports is located at the Terraform attribute it is about."""
    sg, direction = owner
    rules: list[Any] = context.draft.document["security_groups"][sg][direction]
    policy = _policy(context, rule, names)
    _exclusive(context, rule, policy, names)
    if "SecurityGroupId" in policy:
        context.peers.append((str(policy["SecurityGroupId"]), rule, names["SecurityGroupId"]))
    skipped = context.draft.skipped
    before = len(skipped)
    try:
        entries = convert(
            policy,
            reader=context.reader,
            field=rule.path,
            line=rule.data.line,
            templates=templates,
            draft=context.draft,
        )
    except ScenarioError as error:
        raise context.fail(rule, _attribute(rule, error.field, names), error.message) from None
    for number in range(before, len(skipped)):
        item = skipped[number]
        line, what = context.where(rule, _attribute(rule, item.what, names))
        skipped[number] = replace(item, line=line, what=what, why=f"{rule.address}: {item.why}")
    label = rule.address
    if not rule.path.endswith(".values"):
        label += " " + rule.path.rsplit(".", 1)[-1]  # a block of a rule set: ingress[2]
    for entry, note in entries:
        path = ("security_groups", sg, direction, len(rules))
        context.draft.note(path, f"{label}, line {rule.data.line}" + (f": {note}" if note else ""))
        rules.append(entry)


def _attribute(rule: Block, path: str, names: Mapping[str, str]) -> str:
    """The Terraform attribute of a path the converter reported (``….ingress[0].Protocol``)."""
    api = path.removeprefix(f"{rule.path}.")
    return names.get(api, names.get(api.partition(".")[0], api))


# -- instances and load balancers ------------------------------------------------------------
def _instances(context: _Context) -> None:
    instances: dict[str, Any] = context.draft.document.setdefault("instances", {})
    for block in _of(context, "instance"):
        ins = context.register(block)
        ip = str(context.text(block, "private_ip", required="a backend needs its address"))
        _claim(context, block, "private_ip", ip)
        for address, line, path in context.strings(block, "ipv6_addresses"):
            context.draft.unsupported(
                context.file, line, path,
                f"{block.address}: a second address ({address}) is not modelled: sgsim gives each "
                "instance one; private_ip is kept",
            )  # fmt: skip
        entry: dict[str, Any] = {"ip": ip, "security_groups": _bound(context, block)}
        subnet = context.text(block, "subnet_id")
        if subnet is not None:
            entry["subnet"] = subnet
        notes = [f"'{context.text(block, 'instance_name') or ''}'"]
        status = context.text(block, "instance_status")
        if context.flag(block, "running_flag") is False:
            entry["running"] = False
            notes.append("running_flag false: stopped")
        elif status is not None and status.upper() != "RUNNING":
            entry["running"] = False
            notes.append(f"instance_status {status}: not running")
        instances[ins] = entry
        context.draft.note(("instances", ins), context.comment(block, ", ".join(notes)))


def _bound(context: _Context, block: Block) -> list[str]:
    """An instance's groups in binding order: ``orderly_security_groups``, else the older
    ``security_groups``, a set whose order Terraform does not keep."""
    ordered = context.strings(block, "orderly_security_groups")
    if ordered:
        return [sg for sg, _, _ in ordered]
    unordered = context.strings(block, "security_groups")
    if len(unordered) > 1:
        context.draft.note(
            ("instances", context.identity(block), "security_groups"),
            "from security_groups, a set: the binding order is not recorded; check it",
        )
    return [sg for sg, _, _ in unordered]


def _claim(context: _Context, block: Block, key: str, address: str) -> None:
    """Check an address is valid and used once: sgsim has one address space."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise context.fail(block, key, f"'{address}' is not an IP address") from None
    other = context.addresses.setdefault(address, block)
    if other is not block:
        raise context.fail(
            block, key, f"{address} is also the address of {other.address}; sgsim has one "
            "address space",
        )  # fmt: skip


def _balancers(context: _Context) -> None:
    balancers: dict[str, Any] = context.draft.document.setdefault("load_balancers", {})
    for block in _of(context, "clb_instance"):
        lb = context.register(block)
        entry = _balancer(context, block)
        if entry is None:
            context.skipped.add(lb)
            continue
        balancers[lb] = entry
        context.draft.note(
            ("load_balancers", lb),
            context.comment(block, f"'{context.text(block, 'clb_name') or ''}'"),
        )
    for block in _of(context, "clb_listener"):
        _listener(context, block, balancers)
    if not balancers:
        del context.draft.document["load_balancers"]


def _balancer(context: _Context, block: Block) -> dict[str, Any] | None:
    """A ``tencentcloud_clb_instance`` as a scenario load balancer; None if left out."""
    network_type = context.text(block, "network_type", required="OPEN or INTERNAL")
    if network_type not in ("OPEN", "INTERNAL"):
        raise context.fail(block, "network_type", f"'{network_type}' is not OPEN or INTERNAL")
    version = (context.text(block, "address_ip_version") or "ipv4").lower()
    if version != "ipv4":
        context.unsupported(block, "address_ip_version", f"an {version} CLB is not modelled")
        return None
    if context.flag(block, "snat_pro"):
        context.unsupported(block, "snat_pro", "backends see SNAT addresses, not modelled")
        return None
    vips = context.strings(block, "clb_vips")
    if not vips:
        raise context.fail(block, "clb_vips", "no VIP (unknown until apply in a plan?)")
    _claim(context, block, "clb_vips", vips[0][0])
    for vip, line, path in vips[1:]:
        context.draft.unsupported(
            context.file, line, path,
            f"{block.address}: a second VIP ({vip}) is not modelled: sgsim gives each CLB one; "
            "the first is kept",
        )  # fmt: skip
    entry: dict[str, Any] = {
        "type": "public" if network_type == "OPEN" else "private",
        "vip": vips[0][0],
    }
    if context.text(block, "vpc_id") in (None, "0"):
        entry["network"] = "basic"
    groups = [sg for sg, _, _ in context.strings(block, "security_groups")]
    if groups:
        entry["security_groups"] = groups
    if context.flag(block, "load_balancer_pass_to_target"):
        if "network" in entry:
            context.unsupported(
                block, "load_balancer_pass_to_target", "a basic-network CLB cannot bypass (§3.4)"
            )
            return None
        entry["bypass_backend_security_groups"] = True
    entry["listeners"] = []
    return entry


def _listener(context: _Context, block: Block, balancers: dict[str, Any]) -> None:
    """A listener, appended to its CLB's list; its backends come with the attachments."""
    lb = str(context.text(block, "clb_id", required="the CLB it listens on"))
    lbl = (
        context.text(block, "listener_id")
        or str(context.text(block, "id", required="a plan knows it only after apply")).split("#")[
            -1
        ]
    )
    if lbl in context.listeners or lbl in context.skipped:
        raise context.fail(block, "listener_id", f"listener {lbl} is in the input twice")
    if lb in context.skipped:
        context.skipped.add(lbl)
        context.unsupported(block, "clb_id", f"its CLB {lb} was left out")
        return
    if lb not in balancers:
        raise _unknown(context, block, "clb_id", "CLB", lb, balancers)
    protocol = str(context.text(block, "protocol", required="the listener's protocol")).upper()
    why = _not_modelled(context, block, protocol)
    if why is not None:
        context.unsupported(block, *why)
        context.skipped.add(lbl)
        return
    port = context.port(block, "port", required="the listener's port (unknown until apply?)")
    assert port is not None  # port() fails where a required port is missing
    transport = "UDP" if protocol in UDP_LIKE else "TCP"
    other = context.ports.setdefault((lb, transport, port), block)
    if other is not block:
        raise context.fail(block, "port", f"{transport} port {port} of {lb} is also the port "
                           f"of {other.address}")  # fmt: skip
    listener: dict[str, Any] = {"protocol": protocol, "port": port, "backends": []}
    if protocol in LAYER7 and context.number(block, "keepalive_enable") == 1:
        listener["persistent_connections"] = True
    check, note = _health(context, block, protocol)
    if check:
        listener["health_check"] = check
    listeners: list[Any] = balancers[lb]["listeners"]
    context.listeners[lbl] = (lb, len(listeners))
    name = context.text(block, "listener_name") or ""
    context.draft.note(
        ("load_balancers", lb, "listeners", len(listeners)),
        context.comment(block, f"{lbl} '{name}'" + (f"; {note}" if note else "")),
    )
    listeners.append(listener)


def _not_modelled(context: _Context, block: Block, protocol: str) -> tuple[str, str] | None:
    """The attribute and the reason a listener is left out, or None."""
    if protocol not in LISTENER_PROTOCOLS:
        return "protocol", f"a {protocol} listener is not modelled"
    if context.number(block, "end_port"):
        return "end_port", "a port-range listener is not modelled"
    if block.get("full_end_ports") not in (None, []):
        return "full_end_ports", "a port-range listener is not modelled"
    if context.flag(block, "snat_enable"):
        return "snat_enable", "SNAT (backends see a CLB address) is not modelled"
    if (context.text(block, "target_type") or "").upper() == "TARGETGROUP":
        return "target_type", "backends bound through a target group are not read"
    return None


def _health(context: _Context, block: Block, protocol: str) -> tuple[dict[str, Any], str]:
    """The health check of a listener or a layer-7 rule (§3.5, §3.7), only what differs from
    the defaults, as ``tencent_clb`` reads the API's; and a note on how it was read."""
    if context.flag(block, "health_check_switch") is False:
        return {"enabled": False}, ""
    check: dict[str, Any] = {}
    source = context.number(block, "health_source_ip_type")
    if source is not None:
        if source not in SOURCES:
            raise context.fail(block, "health_source_ip_type",
                               f"{source} is not 0 (the VIP) or 1 (100.64.0.0/10)")  # fmt: skip
        check["source"] = SOURCES[source]
    note = ""
    kind = (context.text(block, "health_check_type") or "").upper()
    udp = protocol in UDP_LIKE
    if kind in CHECK_TYPES and not udp:
        check["protocol"], note = CHECK_TYPES[kind]
    elif kind == "CUSTOM" and not udp:
        check["protocol"] = "TCP"  # a TCP connection, then the custom exchange: filters see TCP
    elif kind in ("PING", "UDP") and udp:
        check["protocol"] = "UDP"  # §3.7: the ping both ways, and the probe of the port
    elif kind:
        context.unsupported(
            block, "health_check_type", f"a {kind} check on a {protocol} listener is not modelled"
        )
    port = context.port(block, "health_check_port")
    if port is not None:
        check["port"] = port
    return check, note


def _layer7_checks(context: _Context) -> None:
    """The health checks of HTTP(S) listeners, set on their forwarding rules. sgsim does not
    route by domain and URL, so a listener may have one rule."""
    balancers = context.draft.document.get("load_balancers", {})
    first: dict[str, str] = {}
    for block in _of(context, "clb_listener_rule"):
        lbl = str(context.text(block, "listener_id", required="the listener of the rule"))
        if lbl in context.skipped:
            continue
        if lbl not in context.listeners:
            raise _unknown(context, block, "listener_id", "listener", lbl, context.listeners)
        if lbl in first:
            context.unsupported(
                block, "url",
                f"a second forwarding rule of listener {lbl} (the first is {first[lbl]}): "
                "forwarding by domain and URL is not modelled; sgsim sends a flow to every "
                "backend of the listener and checks health as the first rule says",
            )  # fmt: skip
            continue
        first[lbl] = block.address
        lb, index = context.listeners[lbl]
        listener = balancers[lb]["listeners"][index]
        check, note = _health(context, block, listener["protocol"])
        listener.setdefault("health_check", {}).update(check)
        if not listener["health_check"]:
            del listener["health_check"]
        context.draft.note(
            ("load_balancers", lb, "listeners", index),
            f"health check: {context.comment(block, note)}",
        )


def _backends(context: _Context) -> None:
    """Each attachment's targets, added to the backends of its listener."""
    balancers = context.draft.document.get("load_balancers", {})
    for block in _of(context, "clb_attachment"):
        lbl = str(context.text(block, "listener_id", required="the listener it binds to"))
        if lbl in context.skipped:
            context.unsupported(block, "listener_id", f"its listener {lbl} was left out")
            continue
        if lbl not in context.listeners:
            raise _unknown(context, block, "listener_id", "listener", lbl, context.listeners)
        lb, index = context.listeners[lbl]
        clb = context.text(block, "clb_id")
        if clb is not None and clb != lb:
            raise context.fail(block, "clb_id", f"listener {lbl} is a listener of {lb}, not {clb}")
        listener = balancers[lb]["listeners"][index]
        for target in context.blocks(block, "targets"):
            backend = _target(context, target)
            if backend is not None and backend not in listener["backends"]:
                listener["backends"].append(backend)
        context.draft.note(
            ("load_balancers", lb, "listeners", index), f"backends: {context.comment(block)}"
        )


def _target(context: _Context, target: Block) -> str | None:
    """``INSTANCE:PORT`` of one attachment target; None if left out."""
    port = context.port(target, "port", required="the backend's port")
    if context.text(target, "eni_ip") is not None:
        context.unsupported(target, "eni_ip", "a network-interface backend is not modelled")
        return None
    ins = str(context.text(target, "instance_id", required="the backend instance, or eni_ip"))
    if ins not in context.draft.document["instances"]:
        instances = context.draft.document["instances"]
        raise _unknown(context, target, "instance_id", "instance", ins, instances)
    if context.number(target, "weight") == 0:
        context.unsupported(target, "weight", "weight 0 (no new connections) is not modelled")
        return None
    return f"{ins}:{port}"


def _check_groups(context: _Context) -> None:
    """Every group an instance or CLB is bound to must be in the input."""
    groups = context.draft.document["security_groups"]
    for sg, block, key in context.peers:
        if sg not in groups:
            raise context.fail(
                block,
                key,
                f"security group {sg} is not in the input; import "
                "the configuration that defines it too",
            )
    for kind, section in (("instance", "instances"), ("clb_instance", "load_balancers")):
        for block in _of(context, kind):
            if block.get("id") in context.skipped:
                continue  # a CLB left out
            for sg, line, path in _bindings(context, block):
                if sg not in groups:
                    raise ScenarioError(
                        f"{block.address}: security group {sg} is not in the input; "
                        "import the configuration that defines it too",
                        file=context.file,
                        line=line,
                        field=path,
                    )
        if not context.draft.document.get(section):
            context.draft.document.pop(section, None)
    if not groups:
        del context.draft.document["security_groups"]


def _bindings(context: _Context, block: Block) -> Iterator[tuple[str, int, str]]:
    ordered = context.strings(block, "orderly_security_groups")
    yield from ordered or context.strings(block, "security_groups")


def _unknown(
    context: _Context, block: Block, key: str, what: str, name: str, known: Any
) -> ScenarioError:
    names = ", ".join(sorted(known)) or "none"
    return context.fail(block, key, f"unknown {what} {name} (the input has: {names})")


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

__all__ = ["read"]
