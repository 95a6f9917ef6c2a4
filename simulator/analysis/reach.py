"""Reach: every source address that gets through the whole path to a target, exactly.

For a load balancer's port, each backend the CLB may pick (§3.8) is followed through the
checkpoints of §4: the CLB's own groups on the listener port, the backend subnet's ACL, the
backend's groups (unless bypassed, §3.4) with the source address it sees (§3.3), and the ACL
again for the reply (§2.1). At each checkpoint the surviving sources split into the regions its
rules decide: dropped regions are blocked by that rule, accepted ones go on. For an instance's
port, the instance's own ACL and groups. Instances among the sources must also get out of their
own side (§4.1): where their outbound groups or subnet ACL stop them, they are blocked there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..evaluate import Packet, RuleRef, first_match, ordered
from ..model import (
    DEFAULT_SOURCE_PORT,
    PERSISTENT_SOURCES,
    Action,
    Address,
    Direction,
    Health,
    Instance,
    Listener,
    LoadBalancer,
    Network,
    Protocol,
    Scenario,
    host_network,
)
from ..simulate import health_checks
from .regions import decided
from .space import PORTS, TOP, Box, Space


@dataclass(frozen=True, slots=True)
class Piece:
    """Sources that one checkpoint's rule decided; ``rule`` None is a default DROP."""

    sources: Space
    action: Action
    where: str
    rule: RuleRef | None
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BackendReach:
    backend: str | None
    protocol: Protocol
    allowed: tuple[Piece, ...]
    blocked: tuple[Piece, ...]


def _sources(protocol: Protocol, port: int | None, space: Space) -> Space:
    """The same source addresses, as packets of ``protocol`` to ``port``."""
    low, high = (port, port) if port is not None and protocol.has_ports else PORTS
    return Space(tuple(Box(protocol, b.family, b.lo, b.hi, low, high) for b in space)).merged()


def _everyone(protocol: Protocol, port: int | None, family: int) -> Space:
    """Every source of one address family: a connection stays in its family."""
    return _sources(protocol, port, Space((Box(protocol, family, 0, TOP[family]),)))


class _Walk:
    def __init__(self, scenario: Scenario, protocol: Protocol) -> None:
        self.scenario = scenario
        self.protocol = protocol
        self.blocked: list[Piece] = []
        self.last: list[Piece] = []

    def rules(
        self, groups: Sequence[str], direction: Direction, acl: str | None = None
    ) -> list[RuleRef]:
        if acl is not None:
            found = self.scenario.network_acl(acl)
            return ordered([(found.name, found.rules(direction))], direction)
        return ordered(
            [(g, self.scenario.security_group(g).rules(direction)) for g in groups], direction
        )

    def split(self, alive: Space, refs: list[RuleRef], port: int | None, where: str) -> Space:
        """Keep the sources ``refs`` accept at ``port``; record the rest as blocked."""
        universe = _sources(self.protocol, port, alive)
        survivors: list[Piece] = []
        for region in decided(refs, universe):
            if not region.space:
                continue
            piece = Piece(region.space, region.action, where, region.rule)
            (survivors if region.action is Action.ACCEPT else self.blocked).append(piece)
        self.last = survivors or self.last
        return Space.of(b for p in survivors for b in p.sources)

    def gate(
        self, alive: Space, refs: list[RuleRef], packet: Packet, direction: Direction, where: str
    ) -> Space:
        """A checkpoint whose verdict does not depend on the client (a fixed source): all or none."""
        evaluation = first_match(refs, packet, direction)
        if evaluation.action is Action.ACCEPT:
            self.last = [Piece(alive, Action.ACCEPT, where, evaluation.decided_by)] if alive else []
            return alive
        self.blocked.append(Piece(alive, Action.DROP, where, evaluation.decided_by))
        return Space()


def reach(
    scenario: Scenario, target: str, port: int | None, protocol: Protocol | None = None
) -> list[BackendReach]:
    """Who can reach ``target`` (a load balancer or an instance) on ``port``."""
    lbs = {lb.name: lb for lb in scenario.load_balancers}
    if target in lbs:
        results = _reach_lb(scenario, lbs[target], port, protocol)
        destination = lbs[target].vip
    else:
        instance = scenario.instance(target)
        proto = protocol or Protocol.TCP
        walk = _Walk(scenario, proto)
        alive = _into_instance(
            walk, _everyone(proto, port, instance.ip.version), instance, port, None
        )
        results = [_result(scenario, None, proto, walk, alive)]
        destination = instance.ip
    return [_with_egress(scenario, r, target, destination, port) for r in results]


def _with_egress(
    scenario: Scenario, result: BackendReach, target: str, destination: Address, port: int | None
) -> BackendReach:
    """Instances among the allowed sources that cannot get there after all, moved to the
    blocked list: their own outbound side stops them (§4.1), or the CLB sends them back to
    themselves and they see their own address (§3.10)."""
    target_subnet = next((i.subnet for i in scenario.instances if i.name == target), None)
    lb = next((lb for lb in scenario.load_balancers if lb.name == target), None)
    for source in scenario.instances:
        if source.name == target or source.ip.version != destination.version:
            continue
        stop = _egress_stop(scenario, source, destination, port, result.protocol, target_subnet)
        loops = (
            lb is not None
            and result.backend is not None
            and result.backend.rpartition(":")[0] == source.name
            and _sees_itself(lb, port, result.protocol)
        )
        if stop is None and loops:
            stop = ("loopback (§3.10): sent back to itself, it drops its own address", None)
        if stop is not None:
            result = _carve(result, source, *stop)
    return result


def _sees_itself(lb: LoadBalancer, port: int | None, protocol: Protocol) -> bool:
    """Whether a backend sees a client's own address: not behind SNAT or persistent layer 7."""
    listener = next(
        li for li in lb.listeners if li.port == port and li.protocol.transport is protocol
    )
    return not lb.snats_to_vip and not (
        listener.protocol.layer7 and listener.persistent_connections
    )


def _carve(
    result: BackendReach, source: Instance, where: str, rule: RuleRef | None
) -> BackendReach:
    """``source``'s address taken out of the allowed pieces and blocked at ``where``."""
    address = int(source.ip)
    holder = next(
        (
            p
            for p in result.allowed
            if any(b.family == source.ip.version and b.lo <= address <= b.hi for b in p.sources)
        ),
        None,
    )
    if holder is None:
        return result
    box = next(
        b for b in holder.sources if b.family == source.ip.version and b.lo <= address <= b.hi
    )
    point = Space((Box(box.protocol, box.family, address, address, box.plo, box.phi),))
    allowed = tuple(
        Piece((p.sources - point).merged(), p.action, p.where, p.rule, tuple(h for h in p.hosts if h != source.name))
        if p is holder else p
        for p in result.allowed
    )  # fmt: skip
    blocked = (*result.blocked, Piece(point, Action.DROP, where, rule, (source.name,)))
    return BackendReach(
        result.backend, result.protocol, tuple(p for p in allowed if p.sources), blocked
    )


def _egress_stop(
    scenario: Scenario,
    source: Instance,
    destination: Address,
    port: int | None,
    protocol: Protocol,
    target_subnet: str | None,
) -> tuple[str, RuleRef | None] | None:
    """Where the source instance's own side drops its connection, if it does."""
    packet = Packet(
        protocol,
        host_network(source.ip),
        host_network(destination),
        DEFAULT_SOURCE_PORT,
        port if protocol.has_ports else None,
    )
    if source.security_groups:
        refs = ordered(
            [(g, scenario.security_group(g).outbound) for g in source.security_groups],
            Direction.OUTBOUND,
        )
        evaluation = first_match(refs, packet, Direction.OUTBOUND)
        if evaluation.action is Action.DROP:
            return f"{source.name} groups outbound", evaluation.decided_by
    acl = scenario.acl_of(source.subnet)
    if acl is not None and source.subnet != target_subnet:
        for direction, seen in ((Direction.OUTBOUND, packet), (Direction.INBOUND, packet.reply())):
            refs = ordered([(acl.name, acl.rules(direction))], direction)
            evaluation = first_match(refs, seen, direction)
            if evaluation.action is Action.DROP:
                return f"{acl.name} {direction}" + (
                    " (reply)" if direction is Direction.INBOUND else ""
                ), evaluation.decided_by
    return None


def _into_instance(
    walk: _Walk,
    alive: Space,
    instance: Instance,
    port: int | None,
    bypassed_by: LoadBalancer | None,
    seen: Network | None = None,
) -> Space:
    scenario = walk.scenario
    acl = scenario.acl_of(instance.subnet)
    dst = host_network(instance.ip)
    if seen is not None:  # every client arrives as the same source: one verdict for all
        packet = Packet(walk.protocol, seen, dst, DEFAULT_SOURCE_PORT, port)
        if acl is not None:
            alive = walk.gate(
                alive,
                walk.rules((), Direction.INBOUND, acl.name),
                packet,
                Direction.INBOUND,
                f"{acl.name} inbound",
            )
        if bypassed_by is None and instance.security_groups:
            alive = walk.gate(
                alive,
                walk.rules(instance.security_groups, Direction.INBOUND),
                packet,
                Direction.INBOUND,
                f"{instance.name} groups inbound",
            )
        if acl is not None:
            alive = walk.gate(
                alive,
                walk.rules((), Direction.OUTBOUND, acl.name),
                packet.reply(),
                Direction.OUTBOUND,
                f"{acl.name} outbound (reply)",
            )
        return alive
    if acl is not None:
        alive = walk.split(
            alive, walk.rules((), Direction.INBOUND, acl.name), port, f"{acl.name} inbound"
        )
    if bypassed_by is None and instance.security_groups:
        alive = walk.split(
            alive,
            walk.rules(instance.security_groups, Direction.INBOUND),
            port,
            f"{instance.name} groups inbound",
        )
    if acl is not None:
        kept = walk.last
        alive = walk.split(
            alive,
            walk.rules((), Direction.OUTBOUND, acl.name),
            DEFAULT_SOURCE_PORT,
            f"{acl.name} outbound (reply)",
        )
        walk.last = kept
    if not instance.running:
        walk.blocked.append(
            Piece(alive, Action.DROP, f"{instance.name} service (running: false)", None)
        )
        return Space()
    return alive


def _reach_lb(
    scenario: Scenario, lb: LoadBalancer, port: int | None, protocol: Protocol | None
) -> list[BackendReach]:
    on_port = [li for li in lb.listeners if li.port == port]
    proto = protocol or (on_port[0].protocol.transport if on_port else Protocol.TCP)
    listener: Listener | None = next((li for li in on_port if li.protocol.transport is proto), None)
    if listener is None or not listener.backends:
        walk = _Walk(scenario, proto)
        walk.blocked.append(
            Piece(_everyone(proto, port, lb.vip.version), Action.DROP, f"{lb.name} listener", None)
        )
        return [_result(scenario, None, proto, walk, Space())]
    healthy = [
        h.backend
        for h in health_checks(scenario)
        if (h.load_balancer, h.listener) == (lb.name, listener) and h.status is Health.HEALTHY
    ]
    results = []
    for backend in healthy or listener.backends:
        walk = _Walk(scenario, proto)
        alive = _everyone(proto, port, lb.vip.version)
        if lb.security_groups:
            alive = walk.split(
                alive,
                walk.rules(lb.security_groups, Direction.INBOUND),
                port,
                f"{lb.name} CLB groups inbound",
            )
        seen: Network | None = None
        if lb.snats_to_vip:
            seen = host_network(lb.vip)
        elif listener.protocol.layer7 and listener.persistent_connections:
            seen = PERSISTENT_SOURCES
        bypass = lb if lb.bypass_backend_security_groups else None
        instance = scenario.instance(backend.instance)
        alive = _into_instance(walk, alive, instance, backend.port, bypass, seen)
        results.append(_result(scenario, str(backend), proto, walk, alive))
    return results


def _hosts(scenario: Scenario, space: Space) -> tuple[str, ...]:
    named = [(c.name, c.ip) for c in scenario.clients] + [
        (i.name, i.ip) for i in scenario.instances
    ]
    named += [(f"{lb.name} VIP", lb.vip) for lb in scenario.load_balancers]
    return tuple(
        name
        for name, address in named
        if any(b.family == address.version and b.lo <= int(address) <= b.hi for b in space)
    )


def _result(
    scenario: Scenario, backend: str | None, protocol: Protocol, walk: _Walk, alive: Space
) -> BackendReach:
    allowed = []
    for piece in walk.last:
        part = _restrict(piece.sources, alive)
        if part:
            allowed.append(
                Piece(part, Action.ACCEPT, piece.where, piece.rule, _hosts(scenario, part))
            )
    if not walk.last and alive:  # nothing filtered: everyone passes
        allowed.append(Piece(alive, Action.ACCEPT, "no filter", None, _hosts(scenario, alive)))
    blocked = tuple(
        Piece(p.sources, p.action, p.where, p.rule, _hosts(scenario, p.sources))
        for p in walk.blocked
        if p.sources
    )
    return BackendReach(backend, protocol, tuple(allowed), blocked)


def _restrict(space: Space, alive: Space) -> Space:
    """The addresses of ``space`` that are also in ``alive`` (ports aside)."""
    keep = []
    for a in space:
        for b in alive:
            if a.family == b.family and a.protocol == b.protocol:
                lo, hi = max(a.lo, b.lo), min(a.hi, b.hi)
                if lo <= hi:
                    keep.append(Box(a.protocol, a.family, lo, hi, a.plo, a.phi))
    return Space.of(keep).merged()


def restrict_to(result: BackendReach, address: Address, name: str) -> BackendReach:
    """Only the pieces that hold ``address`` (the host ``name``'s), narrowed to it."""
    point = host_network(address)

    def narrow(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
        kept = []
        for piece in pieces:
            boxes = [
                Box(
                    b.protocol,
                    b.family,
                    int(point.network_address),
                    int(point.network_address),
                    b.plo,
                    b.phi,
                )
                for b in piece.sources
                if b.family == point.version and b.lo <= int(point.network_address) <= b.hi
            ]
            if boxes:
                kept.append(
                    Piece(Space(tuple(boxes)), piece.action, piece.where, piece.rule, (name,))
                )
        return tuple(kept)

    return BackendReach(
        result.backend, result.protocol, narrow(result.allowed), narrow(result.blocked)
    )
