"""Stage 2, rules: the seed's notation and the structured form -> ``Rule``.

Seed notation: ``PEER + PORTS ACTION``, for example ``ClientA IP + 8080 allow``.
Structured form: ``{peer, protocol, port, action, description}``.
Names in peers (``NAME IP``, ``CLB VIP``, ``NAME VIP``, a security group) are resolved through
``Names``, so a rule is a plain value once read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import RuleError, did_you_mean
from .model import Action, Address, Network, PortRange, Protocol, Rule, host_network

_ACTIONS = {
    "allow": Action.ACCEPT,
    "accept": Action.ACCEPT,
    "drop": Action.DROP,
    "deny": Action.DROP,
}
_PROTOCOLS = {p.value.lower(): p for p in Protocol}
STRUCTURED_KEYS = ("peer", "protocol", "port", "action", "description")


@dataclass(frozen=True, slots=True)
class Names:
    """What a peer may name: hosts (``NAME IP``), VIPs (``NAME VIP``) and security groups."""

    hosts: Mapping[str, Address] = field(default_factory=dict)
    vips: Mapping[str, Address] = field(default_factory=dict)
    groups: Mapping[str, tuple[Address, ...]] = field(default_factory=dict)
    groups_allowed: bool = True


def parse_action(text: str) -> Action:
    try:
        return _ACTIONS[text.strip().lower()]
    except KeyError:
        raise RuleError(
            f"unknown action '{text}'; write allow/accept or drop/deny"
            + did_you_mean(text.lower(), list(_ACTIONS))
        ) from None


def parse_protocol(text: str, *, allow_all: bool = True) -> Protocol:
    protocol = _PROTOCOLS.get(text.strip().lower())
    if protocol is Protocol.ALL and not allow_all:
        single = ", ".join(p.value for p in Protocol if p is not Protocol.ALL)
        raise RuleError(f"a flow has one protocol, not ALL; expected one of {single}")
    if protocol is None:
        choices = [p.value for p in Protocol if allow_all or p is not Protocol.ALL]
        raise RuleError(
            f"unknown protocol '{text}'; expected one of {', '.join(choices)}"
            + did_you_mean(text.upper(), [c.upper() for c in choices])
        )
    return protocol


def is_number(text: str) -> bool:
    """True for plain decimal digits (not the other digits Unicode knows)."""
    return text.isascii() and text.isdigit()


def is_address(text: str) -> bool:
    """True for an IPv4 or IPv6 address, bracketed or not."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def parse_port(text: str) -> int:
    """One port number, 1-65535."""
    text = text.strip()
    if not is_number(text):
        raise RuleError(f"'{text}' is not a port number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise RuleError(f"port {port} is out of range 1-65535")
    return port


def parse_ports(text: str) -> tuple[PortRange, ...]:
    """``all``, ``80``, ``8000-8100`` or a comma list of those."""
    text = text.strip()
    if text.lower() == "all":
        return (PortRange.all(),)
    ranges = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise RuleError(f"empty item in port list '{text}'")
        low_text, dash, high_text = item.partition("-")
        if dash and not high_text.strip():
            raise RuleError(f"port range '{item}' has no upper end")
        if dash and not low_text.strip():
            raise RuleError(f"port range '{item}' has no lower end")
        low = parse_port(low_text)
        high = parse_port(high_text) if dash else low
        if high < low:
            raise RuleError(f"port range {item} is reversed; write {high}-{low}")
        ranges.append(PortRange(low, high))
    return tuple(sorted(set(ranges)))


def parse_peer(text: str, names: Names) -> tuple[Network, ...]:
    """A peer: CIDR, address, ``NAME IP``, ``CLB VIP``, ``NAME VIP`` or a security group."""
    text = text.strip()
    words = text.split()
    if not words:
        raise RuleError("the rule has no peer")
    if "," in text or (len(words) > 1 and words[-1].upper() not in ("IP", "VIP")):
        raise RuleError(f"a rule has exactly one peer, got '{text}'; write one rule per peer")
    if len(words) == 2 and words[1].upper() == "VIP":
        if words[0] in names.hosts:
            raise RuleError(f"'{words[0]}' is a client or an instance; write '{words[0]} IP'")
        return (host_network(_vip(words[0], names)),)
    if len(words) == 2 and words[1].upper() == "IP":
        if words[0] in names.groups:
            raise RuleError(f"'{words[0]}' is a security group; write it without IP")
        if words[0] in names.vips:
            raise RuleError(f"'{words[0]}' is a load balancer; write '{words[0]} VIP'")
        if words[0] not in names.hosts:
            raise RuleError(
                f"unknown client or instance '{words[0]}'"
                + did_you_mean(words[0], sorted(names.hosts))
            )
        return (host_network(names.hosts[words[0]]),)
    if len(words) > 2:
        raise RuleError(f"a rule has exactly one peer, got '{text}'; write one rule per peer")
    word = words[0]
    if word in names.groups:
        if not names.groups_allowed:
            raise RuleError(f"'{word}' is a security group; network ACL rules take addresses only")
        return tuple(host_network(a) for a in names.groups[word])
    try:
        return (ipaddress.ip_network(word, strict=True),)
    except ValueError as error:
        if "/" in word and "has host bits set" in str(error):
            loose = ipaddress.ip_network(word, strict=False)
            raise RuleError(f"'{word}' has host bits set; did you mean {loose}?") from None
        if _looks_like_address(word):
            raise RuleError(f"'{word}' is not a valid IPv4 or IPv6 address or CIDR") from None
    if word in names.hosts:
        raise RuleError(f"unknown peer '{word}' (did you mean '{word} IP'?)")
    if word in names.vips:
        raise RuleError(f"unknown peer '{word}' (did you mean '{word} VIP'?)")
    raise RuleError(
        f"unknown peer '{word}': not an address, a CIDR or a security group"
        + did_you_mean(word, sorted(names.groups) if names.groups_allowed else [])
    )


def _looks_like_address(word: str) -> bool:
    return all(c in "0123456789abcdefABCDEF.:/" for c in word) and any(c in word for c in ".:")


def _vip(name: str, names: Names) -> Address:
    if name.upper() == "CLB" and name not in names.vips:
        if not names.vips:
            raise RuleError("'CLB VIP' names a load balancer, but the scenario has none")
        if len(names.vips) > 1:
            raise RuleError(
                "'CLB VIP' is ambiguous with several load balancers; write NAME VIP, with NAME one of "
                + ", ".join(sorted(names.vips))
            )
        return next(iter(names.vips.values()))
    if name not in names.vips:
        raise RuleError(f"unknown load balancer '{name}'" + did_you_mean(name, sorted(names.vips)))
    return names.vips[name]


def parse_service(text: str) -> tuple[Protocol, tuple[PortRange, ...]]:
    """The PORTS part of the seed notation: ``8080``, ``TCP:80,443``, ``ICMP``, ``ALL``..."""
    text = "".join(text.split())
    if not text:
        raise RuleError("the rule has no port or protocol after '+'")
    name, colon, ports = text.partition(":")
    if colon and is_number(name) and is_number(ports):
        raise RuleError(f"'{text}' is not a port; write a range as {name}-{ports}")
    if not colon:
        if is_number(name[0]) or name[0] == "-":
            return Protocol.TCP, parse_ports(name)
        return _service(parse_protocol(name), "all")
    if not ports:
        raise RuleError(f"'{text}' names a protocol but no port after ':'")
    return _service(parse_protocol(name), ports)


def _service(protocol: Protocol, ports: str) -> tuple[Protocol, tuple[PortRange, ...]]:
    parsed = parse_ports(ports)
    if not protocol.has_ports and parsed != (PortRange.all(),):
        what = "every protocol and port" if protocol is Protocol.ALL else f"{protocol} has no ports"
        raise RuleError(f"port {ports} with protocol {protocol}: {what}; write port ALL")
    return protocol, parsed


def parse_seed_rule(text: str, names: Names, *, line: int = 0) -> Rule:
    """``PEER + PORTS ACTION`` -> Rule."""
    peer_text, plus, rest = text.rpartition("+")
    if not plus:
        raise RuleError(f"'{text}' is not 'PEER + PORTS ACTION' (no '+')")
    words = rest.split()
    if len(words) < 2:
        raise RuleError(f"'{text}' is not 'PEER + PORTS ACTION' (expected ports, then an action)")
    action = parse_action(words[-1])
    service = re.sub(r"\s*([,:-])\s*", r"\1", " ".join(words[:-1]))
    if " " in service:
        fix = f"write {words[0]}:{words[1]}" if words[0].isalpha() else "separate ports with ','"
        raise RuleError(f"'{service}' is not a port or a port list; {fix}")
    protocol, ports = parse_service(service)
    peers = parse_peer(peer_text, names)
    return Rule(action, protocol, ports, peers, text=" ".join(text.split()), line=line)


def parse_structured_rule(data: Mapping[str, Any], names: Names, *, line: int = 0) -> Rule:
    """``{peer, protocol, port, action, description}`` -> Rule.

    The mapping's keys are checked by the caller; here each value is read.
    """
    if "peer" not in data:
        raise RuleError("the rule has no peer")
    if "action" not in data:
        raise RuleError("the rule has no action")
    peer = data["peer"]
    if isinstance(peer, list):
        raise RuleError("a rule has exactly one peer; write one rule per peer")
    if not isinstance(peer, str):
        raise RuleError(f"peer must be text, got {peer!r}")
    protocol = parse_protocol(str(data.get("protocol", "TCP")))
    port_value = data.get("port", "all")
    if isinstance(port_value, bool) or not isinstance(port_value, (int, str)):
        raise RuleError(f"port must be a number or text such as '80,443', got {port_value!r}")
    protocol, ports = _service(protocol, str(port_value))
    if isinstance(data["action"], bool):
        raise RuleError("action must be ACCEPT or DROP; YAML read a yes/no word as a boolean")
    action = parse_action(str(data["action"]))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise RuleError(f"description must be text, got {description!r}")
    peers = parse_peer(peer, names)
    return Rule(
        action,
        protocol,
        ports,
        peers,
        text=format_rule(peer.strip(), protocol, ports, action),
        description=description,
        line=line,
    )


def format_rule(peer: str, protocol: Protocol, ports: tuple[PortRange, ...], action: Action) -> str:
    """The seed notation of a structured rule, for display."""
    port_text = ",".join(str(r) for r in ports)
    if protocol is Protocol.ALL:
        service = "ALL"
    elif not protocol.has_ports:
        service = str(protocol)
    else:
        service = f"{protocol}:{port_text}"
    return f"{peer} + {service} {'accept' if action is Action.ACCEPT else 'drop'}"
