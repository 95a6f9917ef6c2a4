"""Import, Tencent Cloud API: JSON responses -> a ``Draft`` of a scenario; a group back out.

``read`` takes the files ``tccli`` or the API print (docs/import-tencent.md): security-group
policies, groups' names, address and service templates, load balancers, listeners, targets and
instances, each recognised by what it holds. Policies are converted by ``policies.convert``;
load balancers and instances by ``tencent_clb``. ``export_group`` writes one group of a scenario
as the ``SecurityGroupPolicySet`` the API takes; ``policy_file`` reads one policies file for a
scenario's ``from_file``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RuleError, ScenarioError, UsageError, did_you_mean
from ..model import PortRange, Rule, Scenario
from ..scenario_base import NAME
from ..yamlnodes import Reader
from . import tencent_clb
from .draft import Draft
from .policies import (
    NotModelled,
    Templates,
    address_member,
    convert,
    service_member,
)
from .tencent_api import Node, Response, read_response

POLICIES = "DescribeSecurityGroupPolicies"
TEMPLATE_KINDS = (
    "DescribeAddressTemplates", "DescribeAddressTemplateGroups",
    "DescribeServiceTemplates", "DescribeServiceTemplateGroups",
)  # fmt: skip
DIRECTIONS = (("Ingress", "inbound"), ("Egress", "outbound"))


def read(files: list[Path], draft: Draft) -> None:
    """Read the response files into ``draft``; any mistake is a located ``ScenarioError``."""
    responses = [read_response(file, draft) for file in files]
    by_kind: dict[str, list[Response]] = {}
    for response in responses:
        by_kind.setdefault(response.kind, []).append(response)
    templates = read_templates([r for k in TEMPLATE_KINDS for r in by_kind.get(k, [])])
    names = _group_names(by_kind.get("DescribeSecurityGroups", []))
    groups: dict[str, Any] = {}
    draft.document["security_groups"] = groups
    peers: dict[str, str] = {}
    for response in by_kind.get(POLICIES, []):
        _group(response, templates, names, draft, peers)
    tencent_clb.read(by_kind, draft, set(groups))
    _peer_groups(draft, peers)
    if not groups:
        del draft.document["security_groups"]
    _header(draft, files, responses)


# -- templates -------------------------------------------------------------------------------
#: Per template kind: the list's key, the ID's key, the members' keys (a plain list, then a list
#: of objects and the key of each object's member), and the Templates field it fills.
_TEMPLATE_FIELDS = {
    "DescribeAddressTemplates": (
        "AddressTemplateSet", "AddressTemplateId", "AddressSet", "AddressExtraSet", "Address",
    ),
    "DescribeAddressTemplateGroups": (
        "AddressTemplateGroupSet", "AddressTemplateGroupId", "AddressTemplateIdSet", "", "",
    ),
    "DescribeServiceTemplates": (
        "ServiceTemplateSet", "ServiceTemplateId", "ServiceSet", "ServiceExtraSet", "Service",
    ),
    "DescribeServiceTemplateGroups": (
        "ServiceTemplateGroupSet", "ServiceTemplateGroupId", "ServiceTemplateIdSet", "", "",
    ),
}  # fmt: skip


def read_templates(responses: Sequence[Response]) -> Templates:
    """Templates and template groups by ID, each member checked where it is written."""
    tables: dict[str, dict[str, tuple[str, ...]]] = {k: {} for k in _TEMPLATE_FIELDS}
    seen: dict[str, str] = {}
    for response in responses:
        set_key, id_key, plain, extra, member = _TEMPLATE_FIELDS[response.kind]
        for node in response.body.children(set_key, required=True):
            tid = str(node.text(id_key, required="the template's ID"))
            if tid in seen:
                node.fail(id_key, f"template {tid} is given twice (first in {seen[tid]})")
            seen[tid] = f"{node.file} line {node.line}"
            members = node.texts(plain) or [
                (str(e.text(member, required="the member")), *e.where(member))
                for e in node.children(extra)
            ]
            for text, path, line in members:
                _check_member(response.kind, text, node.file, path, line)
            tables[response.kind][tid] = tuple(text for text, _, _ in members)
    return Templates(
        addresses=tables["DescribeAddressTemplates"],
        services=tables["DescribeServiceTemplates"],
        address_groups=tables["DescribeAddressTemplateGroups"],
        service_groups=tables["DescribeServiceTemplateGroups"],
    )


def _check_member(kind: str, text: str, file: str, path: str, line: int) -> None:
    """A template's member must read as an address (or range) or a service; a group's is an ID.
    A service sgsim does not model is reported where a policy uses the template."""
    try:
        if kind == "DescribeAddressTemplates":
            address_member(text)
        elif kind == "DescribeServiceTemplates":
            service_member(text)
    except NotModelled:
        pass
    except RuleError as error:
        raise ScenarioError(str(error), file=file, line=line, field=path) from None


# -- security groups --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Named:
    name: str
    description: str


def _group_names(responses: Sequence[Response]) -> dict[str, _Named]:
    """Names and descriptions of groups, from DescribeSecurityGroups (optional)."""
    names: dict[str, _Named] = {}
    for response in responses:
        for node in response.body.children("SecurityGroupSet", required=True):
            sg = str(node.text("SecurityGroupId", required="the group's ID"))
            names[sg] = _Named(
                node.text("SecurityGroupName") or "", node.text("SecurityGroupDesc") or ""
            )
    return names


def _group(
    response: Response,
    templates: Templates,
    names: dict[str, _Named],
    draft: Draft,
    peers: dict[str, str],
) -> None:
    """One DescribeSecurityGroupPolicies response as a scenario group."""
    sg = str(response.owner)
    body = response.body
    if not NAME.fullmatch(sg):
        body.fail("SecurityGroupPolicySet", f"'{sg}' is not a security group ID")
    groups: dict[str, Any] = draft.document["security_groups"]
    if sg in groups:
        body.fail("SecurityGroupPolicySet", f"the policies of {sg} are given twice")
    policy_set = body.child("SecurityGroupPolicySet")
    if policy_set is None:
        body.fail("SecurityGroupPolicySet", "expected the group's policies, got null")
    version = policy_set.text("Version")
    where = f"{response.file} line {policy_set.line}" + (f", Version {version}" if version else "")
    named = names.get(sg)
    if named is not None:
        label = f"'{named.name}'" + (f" ({named.description})" if named.description else "")
        where = f"{label}: {where}"
    draft.note(("security_groups", sg), where)
    groups[sg] = {"inbound": [], "outbound": []}
    for key, direction in DIRECTIONS:
        for node, index in ordered(policy_set, key):
            peer = node.text("SecurityGroupId")
            if peer is not None:
                peers.setdefault(peer, f"{node.file} line {node.line}")
            _add_policy(draft, (sg, direction), node, index, templates)


def _add_policy(
    draft: Draft, where: tuple[str, str], node: Node, index: int | None, templates: Templates
) -> None:
    """One policy's rules appended to the group's list, each saying where it was read."""
    sg, direction = where
    rules: list[Any] = draft.document["security_groups"][sg][direction]
    at = f"{node.file} line {node.line}" + ("" if index is None else f", PolicyIndex {index}")
    entries = convert_node(node, templates, draft)
    if not entries:  # a template without members, or a policy left out
        draft.note(("security_groups", sg), f"{direction}: {at} gives no rule")
    for entry, note in entries:
        draft.note(
            ("security_groups", sg, direction, len(rules)), at + (f": {note}" if note else "")
        )
        rules.append(entry)


def ordered(policy_set: Node, key: str) -> list[tuple[Node, int | None]]:
    """The policies of one direction in the order they are matched: by ``PolicyIndex`` where
    every policy has one (the API's order, §1.3), else as listed (an exported file)."""
    nodes = policy_set.children(key)
    indexes = [(node, node.integer("PolicyIndex")) for node in nodes]
    given = [node for node, index in indexes if index is not None]
    if given and len(given) < len(nodes):
        missing = next(node for node, index in indexes if index is None)
        missing.fail("PolicyIndex", "some policies of the list have a PolicyIndex and this one "
                     "has none: give it to every policy, or to none")  # fmt: skip
    seen: dict[int, Node] = {}
    for node, index in indexes:
        if index is not None and index in seen:
            node.fail("PolicyIndex", f"PolicyIndex {index} is also on line {seen[index].line}")
        if index is not None:
            seen[index] = node
    if not given:
        return indexes
    return sorted(indexes, key=lambda pair: pair[1] or 0)


def convert_node(node: Node, templates: Templates, draft: Draft) -> list[tuple[Any, str]]:
    """``policies.convert`` on one policy of a response."""
    return convert(
        node.data,
        reader=Reader(node.file),
        field=node.path,
        line=node.line,
        templates=templates,
        draft=draft,
    )


def _peer_groups(draft: Draft, peers: dict[str, str]) -> None:
    """A group named as a peer whose own policies are not in the input: an empty group, which
    stands for the addresses of the instances bound to it (§1.1)."""
    groups: dict[str, Any] = draft.document["security_groups"]
    for sg in sorted(set(peers) - set(groups)):
        groups[sg] = {}
        draft.note(
            ("security_groups", sg),
            f"{sg}: a peer only (named in {peers[sg]}); its own policies are not in the input",
        )


def _header(draft: Draft, files: Sequence[Path], responses: Sequence[Response]) -> None:
    counts = Counter(r.kind for r in responses)
    draft.document["title"] = "Imported from Tencent Cloud API responses"
    draft.document["source"] = "sgsim import tencent " + " ".join(str(f) for f in files)
    read_kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items()))
    draft.document["notes"] = (
        f"Read: {read_kinds}.\n"
        "Names are the API's IDs; each comment says where the item was read.\n"
        "Add clients, flows and health_checks, then: sgsim replay FILE\n"
    )


# -- from_file ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Entry:
    """A rule entry read from a policies file, and where its policy was written."""

    entry: Any
    file: str
    line: int
    field: str


def policy_file(path: Path, group: str, templates: Sequence[Path] = ()) -> dict[str, list[Entry]]:
    """The rule entries of a DescribeSecurityGroupPolicies file, ``inbound`` and ``outbound``,
    for a scenario's ``from_file``; ``templates`` are template responses it may name."""
    draft = Draft()
    template_responses = [read_response(t, draft) for t in templates]
    for response in template_responses:
        if response.kind not in TEMPLATE_KINDS:
            response.body.fail(
                response.key,
                f"a {response.kind} response, not templates (expected one of "
                f"{', '.join(TEMPLATE_KINDS)})",
            )
    response = read_response(path, draft, owner_needed=False)
    if response.kind != POLICIES:
        response.body.fail(response.key, f"a {response.kind} response, not {POLICIES}")
    if response.owner is not None and response.owner != group:
        response.body.fail("SecurityGroupId", f"the file is about {response.owner}, not {group}")
    policy_set = response.body.child("SecurityGroupPolicySet")
    if policy_set is None:
        response.body.fail("SecurityGroupPolicySet", "expected the group's policies, got null")
    found = read_templates(template_responses)
    rules: dict[str, list[Entry]] = {}
    for key, direction in DIRECTIONS:
        rules[direction] = [
            Entry(entry, node.file, node.line, node.path)
            for node, _ in ordered(policy_set, key)
            for entry, _ in convert_node(node, found, draft)
        ]
    return rules


# -- export ------------------------------------------------------------------------------------
def export_group(scenario: Scenario, name: str) -> dict[str, Any]:
    """Group ``name`` as ``{"SecurityGroupPolicySet": {"Egress": [...], "Ingress": [...]}}``,
    the set ModifySecurityGroupPolicies takes (docs/import-tencent.md): each rule one policy, or
    several consecutive ones with its action where the API's ``Port`` cannot hold its ports."""
    groups = {g.name: g for g in scenario.security_groups}
    if name not in groups:
        names = ", ".join(groups) or "none"
        raise UsageError(
            f"--group: unknown security group '{name}'"
            + did_you_mean(name, list(groups))
            + f"; the scenario's groups: {names}"
        )
    group = groups[name]
    return {
        "SecurityGroupPolicySet": {
            "Egress": [p for rule in group.outbound for p in _policies(rule, groups)],
            "Ingress": [p for rule in group.inbound for p in _policies(rule, groups)],
        }
    }


def _policies(rule: Rule, groups: dict[str, Any]) -> list[dict[str, str]]:
    """One rule as API policies: a group peer as ``SecurityGroupId``, else each network."""
    peer = rule.text.rpartition(" + ")[0].strip()
    if peer in groups:
        return export_policies(rule, [{"SecurityGroupId": peer}])
    fields = []
    for network in rule.peers:
        key = "CidrBlock" if network.version == 4 else "Ipv6CidrBlock"
        single = network.prefixlen == network.max_prefixlen
        fields.append({key: str(network.network_address) if single else str(network)})
    return export_policies(rule, fields)


def export_policies(rule: Rule, peers: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The API policies that hold ``rule``: one per peer field set in ``peers`` (each
    ``{"CidrBlock": ...}``, ``{"Ipv6CidrBlock": ...}`` or ``{"SecurityGroupId": ...}``), times
    one per port item the API's ``Port`` cannot hold together.

    The API's ``Port`` is ``ALL``, one port, a list of single ports (``80,443``) or one range
    (``8000-8100``); a rule that mixes them is split, singles first, then each range, all with
    the rule's action: under first match the run decides what the rule decided.
    """
    policies: list[dict[str, str]] = []
    for peer in peers:
        for port in port_fields(rule):
            policy = {"Protocol": str(rule.protocol).upper(), "Port": port, **peer}
            policy["Action"] = str(rule.action)
            if rule.description:
                policy["PolicyDescription"] = rule.description
            policies.append(dict(sorted(policy.items())))
    return policies


def port_fields(rule: Rule) -> list[str]:
    """The ``Port`` values of the policies that hold ``rule``'s ports, as the API writes them."""
    if not rule.protocol.has_ports or rule.ports == (PortRange.all(),):
        return ["ALL"]
    singles = [str(r) for r in rule.ports if r.low == r.high]
    ranges = [str(r) for r in rule.ports if r.low != r.high]
    return ([",".join(singles)] if singles else []) + ranges


__all__ = [
    "Entry",
    "export_group",
    "export_policies",
    "ordered",
    "policy_file",
    "port_fields",
    "read",
    "read_templates",
]
