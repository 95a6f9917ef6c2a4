"""Packets, anywhere or aimed at the edges of given rules, where off-by-one mistakes live."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..evaluate import Packet
from ..model import (
    DEFAULT_SOURCE_PORT,
    Address,
    Network,
    NetworkAcl,
    PortRange,
    Protocol,
    Rule,
    Scenario,
    SecurityGroup,
    host_network,
)
from . import _validation as check
from ._rules import _protocol
from ._values import PORT_POOL, addresses

#: What ``packets(towards=...)`` aims at: a scenario, a group, an ACL or rules.
Aim = Scenario | SecurityGroup | NetworkAcl | Iterable[Rule]
#: Packet protocols, simplest first, with the address families each travels in.
PACKET_PROTOCOLS = {
    Protocol.TCP: (4, 6),
    Protocol.UDP: (4, 6),
    Protocol.ICMP: (4,),
    Protocol.ICMPV6: (6,),
    Protocol.GRE: (4, 6),
}
#: One drawn packet in this many uses a protocol the rules do not name.
OTHER_PROTOCOL_ODDS = 8


def packets(
    *,
    towards: Aim | None = None,
    family: int | None = None,
    protocols: Iterable[Protocol | str] | None = None,
) -> st.SearchStrategy[Packet]:
    """Packets of ``family`` (4, 6 or None for either) with one of ``protocols`` (by default
    TCP, UDP, ICMP or ICMPv6 by family, and GRE). TCP and UDP packets have ports; the others
    have none.

    With ``towards`` (a ``Scenario``, a ``SecurityGroup``, a ``NetworkAcl`` or rules), packets
    aim at the rules' edges: addresses are the first and last of each rule's network and the
    ones just outside it, and the scenario's hosts; ports are each rule range's ends and the
    ports just outside them, and the scenario's listener and backend ports; protocols are the
    ones the rules name (and, one packet in eight, another). An off-by-one mistake then shows
    within a few examples.
    """
    versions = check.families(family)
    allowed = _allowed(protocols)
    if towards is None:
        return _anywhere(versions, allowed)
    return _aimed(_Edges.of(towards), versions, allowed)


def _allowed(protocols: Iterable[Protocol | str] | None) -> list[Protocol]:
    if protocols is None:
        return list(PACKET_PROTOCOLS)
    chosen = [_protocol(p, "protocols") for p in check.non_empty(protocols, "protocols")]
    if Protocol.ALL in chosen:
        raise InvalidArgument("protocols holds ALL, but a packet has one protocol")
    return chosen


def _by_family(versions: tuple[int, ...], allowed: list[Protocol]) -> dict[int, list[Protocol]]:
    table = {v: [p for p in allowed if v in PACKET_PROTOCOLS[p]] for v in versions}
    table = {v: ps for v, ps in table.items() if ps}
    if not table:
        wanted = " or ".join(f"IPv{v}" for v in versions)
        raise InvalidArgument(
            f"no protocol of protocols={[str(p) for p in allowed]} travels in {wanted}"
        )
    return table


def _anywhere(versions: tuple[int, ...], allowed: list[Protocol]) -> st.SearchStrategy[Packet]:
    table = _by_family(versions, allowed)
    hosts = {v: addresses(family=v) for v in table}
    dst_ports = st.one_of(st.sampled_from(PORT_POOL), st.integers(1, 65535))
    src_ports = st.one_of(st.just(DEFAULT_SOURCE_PORT), st.integers(1, 65535))

    version_choices = st.sampled_from(sorted(table))
    protocols = {v: st.sampled_from(ps) for v, ps in table.items()}

    @st.composite
    def draw_packet(draw: st.DrawFn) -> Packet:
        version = draw(version_choices)
        protocol = draw(protocols[version])
        src = host_network(draw(hosts[version]))
        dst = host_network(draw(hosts[version]))
        ports = draw(src_ports), draw(dst_ports)  # whatever the protocol: see _ported
        return _ported(protocol, src, dst, *ports)

    return draw_packet()


def _ported(protocol: Protocol, src: Network, dst: Network, src_port: int, dst_port: int) -> Packet:
    """A packet, with its ports only where its protocol has ports.

    The ports are drawn for every protocol, so that a protocol without ports does not shrink
    better merely for drawing less: TCP stays the simplest.
    """
    if not protocol.has_ports:
        return Packet(protocol, src, dst)
    return Packet(protocol, src, dst, src_port, dst_port)


class _Edges:
    """The addresses, ports and protocols at and next to the edges of some rules."""

    def __init__(self) -> None:
        self.addresses: dict[Address, None] = {}
        self.ports: dict[int, None] = {}
        self.protocols: dict[Protocol, None] = {}

    @classmethod
    def of(cls, towards: object) -> _Edges:
        edges = cls()
        if isinstance(towards, Scenario):
            edges.add_scenario(towards)
        elif isinstance(towards, SecurityGroup | NetworkAcl):
            edges.add_rules((*towards.inbound, *towards.outbound))
        elif isinstance(towards, Iterable) and not isinstance(towards, str | bytes):
            rules = list(towards)
            for rule in rules:
                if not isinstance(rule, Rule):
                    raise InvalidArgument(f"towards holds {rule!r}, which is not a Rule")
            edges.add_rules(rules)
        else:
            raise InvalidArgument(
                f"towards={towards!r} must be a Scenario, a SecurityGroup, a NetworkAcl or rules"
            )
        if not edges.addresses:
            raise InvalidArgument("towards has no rule and no host to aim at")
        return edges

    def add_rules(self, rules: Iterable[Rule]) -> None:
        for rule in rules:
            self.protocols[rule.protocol] = None
            for network in rule.peers:
                first, last = network[0], network[-1]
                self.add_address(first, last, _step(first, -1), _step(last, 1))
            for ports in rule.ports:
                if ports != PortRange.all():
                    self.add_port(ports.low, ports.high, ports.low - 1, ports.high + 1)

    def add_address(self, *candidates: Address | None) -> None:
        for address in candidates:
            if address is not None:
                self.addresses[address] = None

    def add_port(self, *candidates: int | None) -> None:
        for port in candidates:
            if port is not None and 1 <= port <= 65535:
                self.ports[port] = None

    def add_scenario(self, scenario: Scenario) -> None:
        for group in scenario.security_groups:
            self.add_rules((*group.inbound, *group.outbound))
        for acl in scenario.network_acls:
            self.add_rules((*acl.inbound, *acl.outbound))
        self.add_address(*(c.ip for c in scenario.clients), *(i.ip for i in scenario.instances))
        for lb in scenario.load_balancers:
            self.add_address(lb.vip)
            for listener in lb.listeners:
                self.protocols[listener.protocol.transport] = None
                self.add_port(listener.port, listener.health_check.port)
                self.add_port(*(b.port for b in listener.backends))
        for flow in scenario.flows:
            if flow.target.address is not None:
                self.add_address(flow.target.address)
            if flow.protocol is not None:
                self.protocols[flow.protocol] = None
            self.add_port(flow.target.port)


def _mostly(named: list[Protocol], others: list[Protocol]) -> st.SearchStrategy[Protocol]:
    """One of ``named``, and one time in ``OTHER_PROTOCOL_ODDS`` one of ``others``."""
    if not named or not others:
        return st.sampled_from(named or others)
    usual, rare = st.sampled_from(named), st.sampled_from(others)

    @st.composite
    def draw_protocol(draw: st.DrawFn) -> Protocol:
        other = draw(st.integers(0, OTHER_PROTOCOL_ODDS - 1)) == OTHER_PROTOCOL_ODDS - 1
        return draw(rare if other else usual)

    return draw_protocol()


def _step(address: Address, by: int) -> Address | None:
    """The address ``by`` away from ``address``; None past either end of its family."""
    try:
        return address + by
    except ipaddress.AddressValueError:
        return None


def _aimed(
    edges: _Edges, versions: tuple[int, ...], allowed: list[Protocol]
) -> st.SearchStrategy[Packet]:
    pools = {v: [a for a in edges.addresses if a.version == v] for v in versions}
    pools = {v: pool for v, pool in pools.items() if pool}
    if not pools:
        wanted = " or ".join(f"IPv{v}" for v in versions)
        raise InvalidArgument(f"towards has no {wanted} address to aim at")
    table = _by_family(tuple(sorted(pools)), allowed)
    named = {
        v: [p for p in ps if p in edges.protocols or Protocol.ALL in edges.protocols]
        for v, ps in table.items()
    }
    ports = list(edges.ports) or [80]
    dst_ports = st.sampled_from(ports)
    src_ports = st.sampled_from(
        [DEFAULT_SOURCE_PORT, *(p for p in ports if p != DEFAULT_SOURCE_PORT)]
    )
    hosts = {v: st.sampled_from(pools[v]) for v in table}
    protocols = {
        v: _mostly(named[v], [p for p in ps if p not in named[v]]) for v, ps in table.items()
    }
    version_choices = st.sampled_from(sorted(table))

    @st.composite
    def draw_packet(draw: st.DrawFn) -> Packet:
        version = draw(version_choices)
        protocol = draw(protocols[version])
        src = host_network(draw(hosts[version]))
        dst = host_network(draw(hosts[version]))
        return _ported(protocol, src, dst, draw(src_ports), draw(dst_ports))

    return draw_packet()
