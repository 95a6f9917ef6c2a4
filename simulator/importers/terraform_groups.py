"""Import, Terraform: security groups, their rules and the templates rules name -> a ``Draft``.

``tencentcloud_security_group`` gives the groups; ``tencentcloud_security_group_rule_set`` (all of
a group's rules, in order) or the older one-rule ``tencentcloud_security_group_rule`` their rules;
address and protocol templates, and their groups, the members a rule may name. Rules are mapped
onto the Tencent Cloud API's field names and converted by ``policies.convert``, the converter the
API importer uses, so both formats give the same rules; what the converter reports is located back
at the Terraform attribute it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import ScenarioError
from .policies import Templates, convert
from .terraform_document import Block, Context, of, unknown_keys

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


def templates(context: Context) -> Templates:
    """Address and service templates, and their groups, by ID."""
    members: list[dict[str, list[str]]] = [{}, {}, {}, {}]
    kinds = (
        ("address_template", "addresses"),
        ("address_template_group", "template_ids"),
        ("protocol_template", "protocols"),
        ("protocol_template_group", "template_ids"),
    )
    for table, (kind, key) in zip(members, kinds, strict=True):
        for block in of(context, kind):
            table[context.register(block)] = [v for v, _, _ in context.strings(block, key)]
    return Templates(
        addresses=members[0],
        address_groups=members[1],
        services=members[2],
        service_groups=members[3],
    )


def groups(context: Context) -> None:
    """A scenario group per ``tencentcloud_security_group``, without rules yet."""
    groups: dict[str, Any] = context.draft.document.setdefault("security_groups", {})
    for block in of(context, "security_group"):
        sg = context.register(block)
        name = context.text(block, "name") or ""
        description = context.text(block, "description")
        context.draft.note(
            ("security_groups", sg),
            context.comment(block, f"'{name}'" + (f" ({description})" if description else "")),
        )
        groups[sg] = {"inbound": [], "outbound": []}


def rules(context: Context, templates: Templates) -> None:
    """The rules of every rule set, then of every older one-rule resource."""
    owners: dict[str, str] = {}  # security group -> the resource that wrote its rules
    for block in of(context, "security_group_rule_set"):
        sg = _rule_owner(context, block, owners)
        for direction, key in (("inbound", "ingress"), ("outbound", "egress")):
            for rule in context.blocks(block, key):
                unknown_keys(context, rule, RULE_SET_KEYS)
                _add_rule(context, templates, (sg, direction), rule, RULE_SET)
    singles = sorted(
        enumerate(of(context, "security_group_rule")),
        key=lambda pair: (_index(context, pair[1]), pair[0]),
    )
    for _, block in singles:
        sg = _rule_owner(context, block, owners, single=True)
        kind = context.text(block, "type", required="ingress or egress")
        if kind not in ("ingress", "egress"):
            raise context.fail(block, "type", f"'{kind}' is not ingress or egress")
        unknown_keys(context, block, SINGLE_KEYS)
        direction = "inbound" if kind == "ingress" else "outbound"
        _add_rule(context, templates, (sg, direction), block, SINGLE)
    groups = context.draft.document["security_groups"]
    for sg in groups:
        if sg not in owners:
            context.draft.note(
                ("security_groups", sg),
                "no rules in the input (managed elsewhere?): every new connection drops (§1.4)",
            )


def _index(context: Context, block: Block) -> int:
    """An older rule's ``policy_index``; rules without one go last, in the input's order."""
    index = context.number(block, "policy_index")
    return 1 << 30 if index is None else index


def _rule_owner(
    context: Context, block: Block, owners: dict[str, str], *, single: bool = False
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


def _policy(context: Context, rule: Block, names: Mapping[str, str]) -> dict[str, Any]:
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
    context: Context, rule: Block, policy: Mapping[str, Any], names: Mapping[str, str]
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
    context: Context,
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
