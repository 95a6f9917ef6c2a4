"""Import, Tencent Cloud API: instances, load balancers, listeners and targets -> a ``Draft``.

DescribeInstances gives instances (address, bound groups in order, subnet, state);
DescribeLoadBalancers the load balancers; DescribeListeners, per load balancer, its listeners and
their health checks; DescribeTargets, per load balancer, the backends of each listener. Names are
the API's IDs. What sgsim cannot represent goes to ``Draft.unsupported`` (docs/import-tencent.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import ScenarioError
from ..scenario_base import NAME
from .draft import Draft
from .tencent_api import Node, Response

LISTENER_PROTOCOLS = ("TCP", "UDP", "TCP_SSL", "QUIC", "HTTP", "HTTPS")
LAYER7 = ("HTTP", "HTTPS")
UDP_LIKE = ("UDP", "QUIC")
#: CheckType -> the scenario's health-check protocol, and what the reading leaves aside.
CHECK_TYPES = {
    "TCP": ("TCP", ""),
    "HTTP": ("HTTP", ""),
    "HTTPS": ("HTTPS", ""),
    "GRPC": ("HTTP", "a GRPC check, read as HTTP: the same TCP connection to the port (§3.7)"),
    "GRPCS": ("HTTPS", "a GRPCS check, read as HTTPS: the same TCP connection (§3.7)"),
}
SOURCES = {0: "vip", 1: "100.64.0.0/10"}


@dataclass
class _Context:
    """What has been read so far, by ID, and where."""

    draft: Draft
    groups: set[str]
    instances: dict[str, Node] = field(default_factory=dict)
    balancers: dict[str, Node] = field(default_factory=dict)
    listeners: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # lb, index, protocol
    skipped: set[str] = field(default_factory=set)  # load balancers and listeners left out
    addresses: dict[str, str] = field(default_factory=dict)  # address -> its owner

    def section(self, key: str) -> dict[str, Any]:
        section: dict[str, Any] = self.draft.document.setdefault(key, {})
        return section

    def claim(self, node: Node, address: str, owner: str, path: str, line: int) -> str:
        """An address of ``owner`` (written at ``path``), parsed, and unique in the scenario."""
        try:
            parsed = str(ipaddress.ip_address(address))
        except ValueError:
            raise ScenarioError(
                f"'{address}' is not an IPv4 or IPv6 address", file=node.file, line=line, field=path
            ) from None
        if parsed in self.addresses:
            raise ScenarioError(
                f"address {parsed} is also that of {self.addresses[parsed]}",
                file=node.file, line=line, field=path,
            )  # fmt: skip
        self.addresses[parsed] = owner
        return parsed


def read(by_kind: dict[str, list[Response]], draft: Draft, groups: set[str]) -> None:
    """Instances, then load balancers, their listeners and their targets."""
    context = _Context(draft, groups)
    for response in by_kind.get("DescribeInstances", []):
        for node in response.body.children("InstanceSet", required=True):
            _instance(context, node)
    for response in by_kind.get("DescribeLoadBalancers", []):
        for node in response.body.children("LoadBalancerSet", required=True):
            _balancer(context, node)
    for response in by_kind.get("DescribeListeners", []):
        _listeners(context, response)
    for response in by_kind.get("DescribeTargets", []):
        _targets(context, response)
    for key in ("instances", "load_balancers"):
        if not draft.document.get(key):
            draft.document.pop(key, None)


# -- instances ---------------------------------------------------------------------------------
def _identity(node: Node, key: str, seen: dict[str, Node], what: str) -> str:
    """The ID of an instance or load balancer: a valid name, given once."""
    ident = str(node.text(key, required=f"the {what}'s ID"))
    if not NAME.fullmatch(ident):
        node.fail(key, f"'{ident}' is not an ID sgsim can use as a name")
    if ident in seen:
        node.fail(key, f"{what} {ident} is given twice (first on line {seen[ident].line})")
    seen[ident] = node
    return ident


def _instance(context: _Context, node: Node) -> None:
    ins = _identity(node, "InstanceId", context.instances, "instance")
    addresses = node.texts("PrivateIpAddresses")
    if not addresses:
        node.fail("PrivateIpAddresses", f"instance {ins} has no private address")
    address, path, line = addresses[0]
    entry: dict[str, Any] = {"ip": context.claim(node, address, ins, path, line)}
    _extra_addresses(context, node, addresses[1:] + node.texts("IPv6Addresses"), "instance")
    entry["security_groups"] = _bound(context, node, "SecurityGroupIds", ins)
    vpc = node.child("VirtualPrivateCloud")
    subnet = vpc.text("SubnetId") if vpc else None
    if subnet:
        entry["subnet"] = subnet
    state = node.text("InstanceState")
    notes = [f"'{node.text('InstanceName') or ''}': {node.file} line {node.line}"]
    if state is not None and state.upper() != "RUNNING":
        entry["running"] = False
        notes.append(f"InstanceState {state}: not running")
    context.section("instances")[ins] = entry
    context.draft.note(("instances", ins), ", ".join(notes))


def _extra_addresses(
    context: _Context, node: Node, extra: list[tuple[str, str, int]], what: str
) -> None:
    for address, path, line in extra:
        context.draft.unsupported(
            node.file, line, path,
            f"a second address ({address}) is not modelled: sgsim gives each {what} one; the "
            "first is kept",
        )  # fmt: skip


def _bound(context: _Context, node: Node, key: str, owner: str) -> list[str]:
    """Groups bound to ``owner`` in the order listed, each one whose policies were read."""
    bound = []
    for sg, path, line in node.texts(key):
        if sg not in context.groups:
            context.draft.unsupported(
                node.file, line, path,
                f"{owner} is bound to {sg}, whose policies are not in the input (add "
                f"`tccli vpc DescribeSecurityGroupPolicies --SecurityGroupId {sg} > {sg}.json`); "
                "the binding is left out",
            )  # fmt: skip
            continue
        bound.append(sg)
    return bound


# -- load balancers ----------------------------------------------------------------------------
def _balancer(context: _Context, node: Node) -> None:
    lb = _identity(node, "LoadBalancerId", context.balancers, "load balancer")
    mode = node.text("IPv6Mode")
    if mode is not None and mode.lower() == "ipv6nat64":
        context.skipped.add(lb)
        node.unsupported("IPv6Mode", "an IPv6 NAT64 load balancer (an IPv6 VIP before IPv4 "
                         "backends) is not modelled; it is left out with its listeners")  # fmt: skip
        return
    entry: dict[str, Any] = {"type": _type(node), "vip": _vip(context, node, lb)}
    vpc = node.text("VpcId")
    if vpc in (None, "0"):
        entry["network"] = "basic"
    if node.integer("Forward") == 0:
        entry["classic"] = True
    created = node.text("CreateTime")
    if created is not None:
        entry["created"] = _date(node, created)
    groups = _bound(context, node, "SecureGroups", lb)
    if groups:
        entry["security_groups"] = groups
    if node.flag("LoadBalancerPassToTarget"):
        entry["bypass_backend_security_groups"] = True
    if node.flag("SnatPro"):
        node.unsupported("SnatPro", "SnatPro (backends see SNAT addresses) is not modelled")
    entry["listeners"] = []
    name = node.text("LoadBalancerName") or ""
    where = f"'{name}': {node.file} line {node.line}" + (f", VpcId {vpc}" if vpc else "")
    context.section("load_balancers")[lb] = entry
    context.draft.note(("load_balancers", lb), where)


def _type(node: Node) -> str:
    kind = str(node.text("LoadBalancerType", required="OPEN or INTERNAL")).upper()
    if kind not in ("OPEN", "INTERNAL"):
        node.fail("LoadBalancerType", f"'{kind}' is not OPEN or INTERNAL")
    forward = node.integer("Forward")
    if forward not in (None, 0, 1):
        node.fail("Forward", f"{forward} is not 1 (CLB) or 0 (classic CLB)")
    return "public" if kind == "OPEN" else "private"


def _vip(context: _Context, node: Node, lb: str) -> str:
    """The VIP: the first of ``LoadBalancerVips``, else ``AddressIPv6``; a second is left out."""
    vips = node.texts("LoadBalancerVips")
    ipv6 = node.text("AddressIPv6")
    if ipv6 is not None and ipv6 not in [v for v, _, _ in vips]:
        vips.append((ipv6, *node.where("AddressIPv6")))
    if not vips:
        node.fail("LoadBalancerVips", f"load balancer {lb} has no VIP")
    address, path, line = vips[0]
    vip = context.claim(node, address, lb, path, line)
    _extra_addresses(context, node, vips[1:], "load balancer")
    return vip


def _date(node: Node, text: str) -> str:
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        node.fail("CreateTime", f"'{text}' is not a time 'YYYY-MM-DD hh:mm:ss'")


# -- listeners ---------------------------------------------------------------------------------
def _owner(context: _Context, response: Response, what: str) -> str | None:
    """The load balancer a listeners or targets response is about; None if it was left out."""
    lb = str(response.owner)
    if lb in context.skipped:
        return None
    if lb not in context.balancers:
        response.body.fail(
            "Listeners",
            f"the {what} of load balancer {lb}, which is in no DescribeLoadBalancers response of "
            "the input (its type and VIP are needed)",
        )
    return lb


def _listeners(context: _Context, response: Response) -> None:
    lb = _owner(context, response, "listeners")
    if lb is None:
        return
    listeners: list[dict[str, Any]] = context.section("load_balancers")[lb]["listeners"]
    for node in response.body.children("Listeners"):
        lid = str(node.text("ListenerId", required="the listener's ID"))
        if lid in context.listeners:
            node.fail("ListenerId", f"listener {lid} is given twice")
        listener = _listener(context, node, lid)
        if listener is None:
            continue
        context.listeners[lid] = (lb, len(listeners), listener["protocol"])
        name = node.text("ListenerName") or ""
        path = ("load_balancers", lb, "listeners", len(listeners))
        context.draft.note(path, f"{lid} '{name}': {node.file} line {node.line}")
        listeners.append(listener)


def _listener(context: _Context, node: Node, lid: str) -> dict[str, Any] | None:
    """One listener without its backends; None where it is left out."""
    protocol = str(node.text("Protocol", required="the listener's protocol")).upper()
    if protocol not in LISTENER_PROTOCOLS:
        context.skipped.add(lid)
        node.unsupported("Protocol", f"a {protocol} listener is not modelled")
        return None
    port = node.number("Port", "the listener's port")
    end = node.integer("EndPort")
    if end and end != port:
        context.skipped.add(lid)
        node.unsupported(
            "EndPort", f"a listener on a range of ports ({port}-{end}) is not modelled"
        )
        return None
    listener: dict[str, Any] = {"protocol": protocol, "port": port, "backends": []}
    if protocol in LAYER7 and node.integer("KeepaliveEnable") == 1:
        listener["persistent_connections"] = True
    if (node.text("TargetType") or "").upper() == "TARGETGROUP":
        node.unsupported("TargetType", "backends bound through a target group are not read")
    if node.flag("SnatEnable"):
        node.unsupported("SnatEnable", "SNAT (backends see a CLB address) is not modelled")
    check = _check_of(node, protocol)
    if check:
        listener["health_check"] = check
    return listener


def _check_of(node: Node, protocol: str) -> dict[str, Any]:
    """A layer-4 listener's health check; a layer-7 listener's, from its forwarding rules."""
    if protocol not in LAYER7:
        return _health(node.child("HealthCheck"), protocol)
    rules = node.children("Rules")
    if len(rules) > 1:
        rules[1].unsupported(
            "LocationId",
            "forwarding by domain and URL is not modelled: sgsim sends a flow to every backend "
            "of the listener, whatever its rule",
        )
    checks = [_health(rule.child("HealthCheck"), protocol) for rule in rules]
    for rule, check in zip(rules[1:], checks[1:], strict=True):
        if check != checks[0]:
            rule.unsupported(
                "HealthCheck",
                "its health check differs from that of the listener's first rule; sgsim has "
                "one health check per listener (the first rule's is kept)",
            )
    return checks[0] if checks else {}


def _health(check: Node | None, protocol: str) -> dict[str, Any]:
    """The scenario's ``health_check`` of an API HealthCheck; only what differs from auto."""
    if check is None:
        return {}
    switch = check.integer("HealthSwitch")
    if switch == 0:
        return {"enabled": False}
    if switch not in (None, 1):
        check.fail("HealthSwitch", f"{switch} is not 1 (on) or 0 (off)")
    result: dict[str, Any] = {}
    source = check.integer("SourceIpType")
    if source is not None:
        if source not in SOURCES:
            check.fail("SourceIpType", f"{source} is not 0 (the VIP) or 1 (100.64.0.0/10)")
        result["source"] = SOURCES[source]
    kind = check.text("CheckType")
    if kind is not None:
        mapped = _check_type(check, kind.upper(), protocol)
        if mapped is not None:
            result["protocol"] = mapped
    port = check.integer("CheckPort")
    if port is not None and port > 0:
        result["port"] = port
    return result


def _check_type(check: Node, kind: str, protocol: str) -> str | None:
    """The health-check protocol a CheckType reads as; None where it is left out."""
    udp = protocol in UDP_LIKE
    if kind in CHECK_TYPES and not udp:
        return CHECK_TYPES[kind][0]
    if kind == "CUSTOM" and not udp:
        return "TCP"  # a TCP connection, then the custom exchange: the filters see TCP
    if kind in ("PING", "UDP") and udp:
        return "UDP"  # §3.7: the ping both ways, and the probe of the port
    check.unsupported("CheckType", f"a {kind} check on a {protocol} listener is not modelled")
    return None


# -- targets -----------------------------------------------------------------------------------
def _targets(context: _Context, response: Response) -> None:
    lb = _owner(context, response, "targets")
    if lb is None:
        return
    for node in response.body.children("Listeners"):
        lid = str(node.text("ListenerId", required="the listener's ID"))
        if lid in context.skipped:
            continue
        if lid not in context.listeners or context.listeners[lid][0] != lb:
            known = ", ".join(k for k, v in context.listeners.items() if v[0] == lb) or "none"
            node.fail("ListenerId", f"listener {lid} is in no DescribeListeners response of {lb} "
                      f"in the input (its listeners: {known})")  # fmt: skip
        _, index, _ = context.listeners[lid]
        listener = context.section("load_balancers")[lb]["listeners"][index]
        targets = node.children("Targets") + [
            target for rule in node.children("Rules") for target in rule.children("Targets")
        ]
        for target in targets:
            backend = _target(context, target)
            if backend is not None and backend not in listener["backends"]:
                listener["backends"].append(backend)
        context.draft.note(
            ("load_balancers", lb, "listeners", index, "backends"),
            f"targets: {node.file} line {node.line}",
        )


def _target(context: _Context, target: Node) -> str | None:
    """``INSTANCE:PORT`` of one target; None where it is left out."""
    kind = target.text("Type")
    if kind is not None and kind.upper() != "CVM":
        target.unsupported("Type", f"a {kind} backend (not a CVM) is not modelled")
        return None
    ins = str(target.text("InstanceId", required="the backend instance"))
    port = target.number("Port", "the backend's port")
    if not 1 <= port <= 65535:
        target.fail("Port", f"port {port} is out of range 1-65535")
    if target.integer("Weight") == 0:
        target.unsupported("Weight", "weight 0 (no new connections) is not modelled")
        return None
    addresses = target.texts("PrivateIpAddresses")
    if ins in context.instances:
        known = context.section("instances")[ins]["ip"]
        if addresses and known not in [a for a, _, _ in addresses]:
            target.fail("PrivateIpAddresses", f"{ins} has {known} in DescribeInstances, "
                        "which is not among these")  # fmt: skip
    elif not _target_only(context, target, ins, addresses):
        return None
    return f"{ins}:{port}"


def _target_only(
    context: _Context, target: Node, ins: str, addresses: list[tuple[str, str, int]]
) -> bool:
    """A target in no DescribeInstances response: its address from the target, its groups
    unknown (unsupported; with --skip-unsupported it is bound to none). False if left out."""
    if ins in context.section("instances"):
        return True  # met before as a target
    if not addresses:
        target.fail("PrivateIpAddresses", f"backend {ins} has no private address, and is in no "
                    "DescribeInstances response of the input")  # fmt: skip
    target.unsupported(
        "InstanceId",
        f"{ins} is in no DescribeInstances response, so the groups bound to it are unknown; "
        "it is written bound to none (security_groups: [])",
    )
    address, path, line = addresses[0]
    ip = context.claim(target, address, ins, path, line)
    context.section("instances")[ins] = {"ip": ip, "security_groups": []}
    context.draft.note(
        ("instances", ins),
        f"{target.file} line {target.line}: a target only; its groups are unknown, so none is "
        "bound: fill them in",
    )
    return True


__all__ = ["read"]
