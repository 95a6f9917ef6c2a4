"""Import, Terraform: instances, load balancers, listeners and attachments -> a ``Draft``.

``tencentcloud_instance`` gives instances (address, bound groups in order, subnet, state);
``tencentcloud_clb_instance`` the load balancers; ``tencentcloud_clb_listener`` their listeners
and health checks, read as ``tencent_clb`` reads the API's; ``tencentcloud_clb_listener_rule`` the
health checks of HTTP(S) listeners; ``tencentcloud_clb_attachment`` the backends. Last, every
group an instance, a CLB or a rule names must be in the input.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from ..errors import ScenarioError
from .tencent_clb import CHECK_TYPES, LISTENER_PROTOCOLS, SOURCES, UDP_LIKE
from .terraform_document import Block, Context, of, unknown

LAYER7 = ("HTTP", "HTTPS")


def instances(context: Context) -> None:
    """A scenario instance per ``tencentcloud_instance``: its address, groups, subnet, state."""
    instances: dict[str, Any] = context.draft.document.setdefault("instances", {})
    for block in of(context, "instance"):
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


def _bound(context: Context, block: Block) -> list[str]:
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


def _claim(context: Context, block: Block, key: str, address: str) -> None:
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


def balancers(context: Context) -> None:
    """A scenario load balancer per ``tencentcloud_clb_instance``, with its listeners."""
    balancers: dict[str, Any] = context.draft.document.setdefault("load_balancers", {})
    for block in of(context, "clb_instance"):
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
    for block in of(context, "clb_listener"):
        _listener(context, block, balancers)
    if not balancers:
        del context.draft.document["load_balancers"]


def _balancer(context: Context, block: Block) -> dict[str, Any] | None:
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


def _listener(context: Context, block: Block, balancers: dict[str, Any]) -> None:
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
        raise unknown(context, block, "clb_id", "CLB", lb, balancers)
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


def _not_modelled(context: Context, block: Block, protocol: str) -> tuple[str, str] | None:
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


def _health(context: Context, block: Block, protocol: str) -> tuple[dict[str, Any], str]:
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


def layer7_checks(context: Context) -> None:
    """The health checks of HTTP(S) listeners, set on their forwarding rules. sgsim does not
    route by domain and URL, so a listener may have one rule."""
    balancers = context.draft.document.get("load_balancers", {})
    first: dict[str, str] = {}
    for block in of(context, "clb_listener_rule"):
        lbl = str(context.text(block, "listener_id", required="the listener of the rule"))
        if lbl in context.skipped:
            continue
        if lbl not in context.listeners:
            raise unknown(context, block, "listener_id", "listener", lbl, context.listeners)
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


def backends(context: Context) -> None:
    """Each attachment's targets, added to the backends of its listener."""
    balancers = context.draft.document.get("load_balancers", {})
    for block in of(context, "clb_attachment"):
        lbl = str(context.text(block, "listener_id", required="the listener it binds to"))
        if lbl in context.skipped:
            context.unsupported(block, "listener_id", f"its listener {lbl} was left out")
            continue
        if lbl not in context.listeners:
            raise unknown(context, block, "listener_id", "listener", lbl, context.listeners)
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


def _target(context: Context, target: Block) -> str | None:
    """``INSTANCE:PORT`` of one attachment target; None if left out."""
    port = context.port(target, "port", required="the backend's port")
    if context.text(target, "eni_ip") is not None:
        context.unsupported(target, "eni_ip", "a network-interface backend is not modelled")
        return None
    ins = str(context.text(target, "instance_id", required="the backend instance, or eni_ip"))
    if ins not in context.draft.document["instances"]:
        instances = context.draft.document["instances"]
        raise unknown(context, target, "instance_id", "instance", ins, instances)
    if context.number(target, "weight") == 0:
        context.unsupported(target, "weight", "weight 0 (no new connections) is not modelled")
        return None
    return f"{ins}:{port}"


def check_groups(context: Context) -> None:
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
        for block in of(context, kind):
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


def _bindings(context: Context, block: Block) -> Iterator[tuple[str, int, str]]:
    ordered = context.strings(block, "orderly_security_groups")
    yield from ordered or context.strings(block, "security_groups")
