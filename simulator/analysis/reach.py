"""Reach: every source address that gets through the whole path to a target, exactly.

For a load balancer's port, each backend the CLB may pick (§3.8) is followed through the
checkpoints of §4: the CLB's own groups on the listener port, the backend subnet's ACL, the
backend's groups (unless bypassed, §3.4) with the source address it sees (§3.3), the service
(§3.7), and the ACL again for the reply (§2.1). At each checkpoint the surviving sources split
into the regions its rules decide: dropped regions are blocked by that rule, accepted ones go on.
For an instance's port, the instance's own ACL, groups and service.

That holds for every address that is not a host of the scenario. A named client or instance
meets more (its own groups and ACL on the way out, §4.1; no ACL inside its own subnet, §2.3; its
own connection sent back to it, §3.10), so each is placed by the simulator's trace of a flow from
it: allowed where the path to that backend is, else blocked at the hop that stops it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import UsageError
from ..evaluate import Evaluation, Packet, RuleRef, first_match, ordered
from ..model import (
    DEFAULT_SOURCE_PORT,
    PERSISTENT_SOURCES,
    Action,
    Address,
    Checkpoint,
    Decision,
    Direction,
    Flow,
    Health,
    Instance,
    Leg,
    Listener,
    LoadBalancer,
    Network,
    Protocol,
    Scenario,
    Target,
    TargetKind,
    host_network,
)
from ..results import Hop, Path
from ..simulate import health_checks, simulate
from .regions import decided
from .space import PORTS, TOP, Box, Space

SERVICE_DOWN = "running: false, so nothing answers (§3.7)"
LOOPBACK = "sent back to itself, it drops a packet from its own address (§3.10)"


@dataclass(frozen=True, slots=True)
class Host:
    """A client, instance or VIP of the scenario, by name and address."""

    name: str
    address: Address


@dataclass(frozen=True, slots=True)
class Piece:
    """Sources that one checkpoint decided: by ``rule``, or by the fact ``note`` says (a bypass,
    a range the rules split, §3.6); neither is the default DROP."""

    sources: Space
    action: Action
    where: str
    rule: RuleRef | None
    hosts: tuple[Host, ...] = ()
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts)

    @property
    def decider(self) -> tuple[Action, str, RuleRef | None, str]:
        return self.action, self.where, self.rule, self.note


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


def _outcome(evaluation: Evaluation, peer: Network) -> tuple[RuleRef | None, str]:
    """The rule and note of a first match; a range the rules split says who took which part."""
    if not (evaluation.split and evaluation.action is Action.DROP):
        return evaluation.decided_by, ""
    parts = "; ".join(
        f"{p.addresses} {p.action} by "
        + (f"{p.decided_by.group} #{p.decided_by.index}" if p.decided_by else "default")
        for p in evaluation.parts
    )
    return evaluation.decided_by, f"rules split {peer}: {parts} (§3.6)"


class _Walk:
    def __init__(self, scenario: Scenario, protocol: Protocol) -> None:
        self.scenario = scenario
        self.protocol = protocol
        self.blocked: list[Piece] = []
        self.last: list[Piece] = []
        self.fact: tuple[str, str] | None = None  # what passed everyone where no rule did

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
        """A checkpoint whose verdict does not depend on the client (a fixed source): all or
        none. A reply lets nothing in, so it leaves ``last`` as it was."""
        evaluation = first_match(refs, packet, direction)
        rule, note = _outcome(evaluation, packet.peer(direction))
        if evaluation.action is Action.ACCEPT:
            if direction is Direction.INBOUND:
                self.last = [Piece(alive, Action.ACCEPT, where, rule)] if alive else []
            return alive
        self.blocked.append(Piece(alive, Action.DROP, where, rule, note=note))
        return Space()

    def stop(self, alive: Space, where: str, note: str) -> Space:
        """Every source still alive, blocked by a fact of the setup."""
        self.blocked.append(Piece(alive, Action.DROP, where, None, note=note))
        return Space()


def reach(
    scenario: Scenario, target: str, port: int | None, protocol: Protocol | None = None
) -> list[BackendReach]:
    """Who can reach ``target`` (a load balancer or an instance) on ``port``."""
    lbs = {lb.name: lb for lb in scenario.load_balancers}
    if target in lbs:
        lb = lbs[target]
        on_port = [li for li in lb.listeners if li.port == port]
        proto = protocol or (on_port[0].protocol.transport if on_port else Protocol.TCP)
        results = _reach_lb(scenario, lb, port, proto)
        goal = Target(TargetKind.LOAD_BALANCER, target, port)
        family = lb.vip.version
    else:
        instance = scenario.instance(target)
        proto = protocol or Protocol.TCP
        walk = _Walk(scenario, proto)
        alive = _everyone(proto, port, instance.ip.version)
        alive = _into_instance(walk, alive, instance, port, None)
        results = [_result(None, proto, walk, alive)]
        goal = Target(TargetKind.INSTANCE, target, port)
        family = instance.ip.version
    paths = _traced(scenario, goal, proto, family)
    return [_labelled(scenario, _placed(r, paths)) for r in results]


def require_listener(
    scenario: Scenario, target: str, port: int | None, protocol: Protocol | None
) -> None:
    """For the command line: a load balancer ``target`` must have a listener on ``port``."""
    lb = next((lb for lb in scenario.load_balancers if lb.name == target), None)
    if lb is None:
        return
    on_port = [li for li in lb.listeners if li.port == port]
    if any(protocol in (None, li.protocol.transport) for li in on_port):
        return
    keys = ", ".join(li.key for li in lb.listeners) or "no listener"
    kind = f" {protocol}" if protocol is not None else ""
    raise UsageError(f"--to: {lb.name} has no{kind} listener on port {port}; it has {keys} (§3.1)")


def _into_instance(
    walk: _Walk,
    alive: Space,
    instance: Instance,
    port: int | None,
    bypassed_by: LoadBalancer | None,
    seen: Network | None = None,
) -> Space:
    """The backend's (or target's) ACL inbound, groups and service, then its ACL for the reply,
    in the simulator's order. With ``seen``, every client arrives as that one source: one
    verdict for all."""
    acl = walk.scenario.acl_of(instance.subnet)
    dst = host_network(instance.ip)
    packet = Packet(walk.protocol, seen or dst, dst, DEFAULT_SOURCE_PORT, port)
    inbound, groups = Direction.INBOUND, f"{instance.name} groups inbound"
    if acl is not None:
        refs, where = walk.rules((), inbound, acl.name), f"{acl.name} inbound"
        alive = (
            walk.gate(alive, refs, packet, inbound, where)
            if seen
            else walk.split(alive, refs, port, where)
        )
    if bypassed_by is not None:
        walk.fact = (groups, f"bypassed by {bypassed_by.name} (§3.4)")
    elif not instance.security_groups:
        walk.fact = (groups, "no security group (§1.7)")
    else:
        refs = walk.rules(instance.security_groups, inbound)
        alive = (
            walk.gate(alive, refs, packet, inbound, groups)
            if seen
            else walk.split(alive, refs, port, groups)
        )
    if not instance.running and alive:
        return walk.stop(alive, f"{instance.name} service", SERVICE_DOWN)
    if acl is not None:
        refs, where = walk.rules((), Direction.OUTBOUND, acl.name), f"{acl.name} outbound (reply)"
        if seen:
            return walk.gate(alive, refs, packet.reply(), Direction.OUTBOUND, where)
        kept = walk.last
        alive = walk.split(alive, refs, DEFAULT_SOURCE_PORT, where)
        walk.last = kept
    return alive


def _reach_lb(
    scenario: Scenario, lb: LoadBalancer, port: int | None, proto: Protocol
) -> list[BackendReach]:
    listener: Listener | None = next(
        (li for li in lb.listeners if li.port == port and li.protocol.transport is proto), None
    )
    backends = listener.backends if listener else ()
    if listener is not None and backends:
        healthy = [
            h.backend
            for h in health_checks(scenario)
            if (h.load_balancer, h.listener) == (lb.name, listener) and h.status is Health.HEALTHY
        ]
        backends = tuple(healthy) or backends
    results = []
    for backend in backends or (None,):
        walk = _Walk(scenario, proto)
        alive = _everyone(proto, port, lb.vip.version)
        if lb.security_groups:
            refs = walk.rules(lb.security_groups, Direction.INBOUND)
            alive = walk.split(alive, refs, port, f"{lb.name} CLB groups inbound")
        if listener is None or backend is None:
            if listener is None:
                walk.stop(
                    alive, f"{lb.name} listener", f"no {proto} listener on port {port} (§3.1)"
                )
            else:
                walk.stop(alive, f"{lb.name} listener", f"listener {listener.key} has no backends")
            results.append(_result(None, proto, walk, Space()))
            continue
        seen: Network | None = None
        if lb.snats_to_vip:
            seen = host_network(lb.vip)
        elif listener.protocol.layer7 and listener.persistent_connections:
            seen = PERSISTENT_SOURCES
        bypass = lb if lb.bypass_backend_security_groups else None
        instance = scenario.instance(backend.instance)
        alive = _into_instance(walk, alive, instance, backend.port, bypass, seen)
        results.append(_result(str(backend), proto, walk, alive))
    return results


def _result(backend: str | None, protocol: Protocol, walk: _Walk, alive: Space) -> BackendReach:
    allowed = []
    for piece in walk.last:
        part = _restrict(piece.sources, alive)
        if part:
            allowed.append(replace(piece, sources=part))
    if not walk.last and alive and walk.fact is not None:  # no rule filtered: everyone passes
        allowed.append(Piece(alive, Action.ACCEPT, walk.fact[0], None, note=walk.fact[1]))
    blocked = tuple(p for p in walk.blocked if p.sources)
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


# -- named hosts: placed by the simulator ----------------------------------------------------


def _traced(
    scenario: Scenario, target: Target, protocol: Protocol, family: int
) -> dict[Host, dict[str | None, Path]]:
    """Each named client and instance of ``family`` (the target aside): its path per backend."""
    hosts = [h for h in _named(scenario) if h.address.version == family and h.name != target.name]
    flows = tuple(Flow(h.name, target, f"{target.name}:{target.port}", protocol) for h in hosts)
    result = simulate(replace(scenario, flows=flows))
    return {
        host: {f"{p.backend}:{p.port}" if p.backend else None: p for p in flow.paths}
        for host, flow in zip(hosts, result.flows, strict=True)
    }


def _named(scenario: Scenario) -> list[Host]:
    """The scenario's clients and instances: the sources a flow can start from."""
    return [Host(c.name, c.ip) for c in scenario.clients] + [
        Host(i.name, i.ip) for i in scenario.instances
    ]


def _placed(result: BackendReach, paths: dict[Host, dict[str | None, Path]]) -> BackendReach:
    """``result`` with each named host where its own path puts it."""
    pieces = [*result.allowed, *result.blocked]
    for host, by_backend in paths.items():
        path = by_backend.get(result.backend)
        if path is not None:
            pieces = _move(pieces, host.address, _decided(path))
    return BackendReach(
        result.backend,
        result.protocol,
        tuple(p for p in pieces if p.sources and p.action is Action.ACCEPT),
        tuple(p for p in pieces if p.sources and p.action is Action.DROP),
    )


def _move(
    pieces: list[Piece], address: Address, decider: tuple[Action, str, RuleRef | None, str]
) -> list[Piece]:
    """``address`` taken out of the piece that holds it and put where ``decider`` says."""
    value, family = int(address), address.version
    held = [
        (i, b)
        for i, p in enumerate(pieces)
        for b in p.sources
        if b.family == family and b.lo <= value <= b.hi
    ]
    if not held or pieces[held[0][0]].decider == decider:
        return pieces
    at, box = held[0]
    out = list(pieces)
    point = Space((Box(box.protocol, family, value, value, box.plo, box.phi),))
    out[at] = replace(out[at], sources=(out[at].sources - point).merged())
    same = next((i for i, p in enumerate(out) if p.decider == decider and p.sources), None)
    if same is None:
        out.append(Piece(point, *decider[:3], note=decider[3]))
        return out
    first = out[same].sources.boxes[0]
    point = Space((Box(box.protocol, family, value, value, first.plo, first.phi),))
    out[same] = replace(out[same], sources=(out[same].sources | point).merged())
    return out


def _decided(path: Path) -> tuple[Action, str, RuleRef | None, str]:
    """What decides ``path`` as reach words it: the hop that stops it; else the last rule that
    let it in on the target's side (the last group that did nothing, where no rule did)."""
    stop = path.blocked_at
    if stop is not None:
        return (Action.DROP, *_described(stop))
    inbound = [h for h in path.hops if h.leg is Leg.REQUEST and h.direction is Direction.INBOUND]
    ruled = [h for h in inbound if h.decision is Decision.ACCEPT and h.index is not None]
    groups = [h for h in inbound if h.checkpoint is Checkpoint.SECURITY_GROUP]
    return (Action.ACCEPT, *_described((ruled or groups)[-1]))


def _described(hop: Hop) -> tuple[str, RuleRef | None, str]:
    """Where a hop happened, the rule that decided and the note, as reach's pieces say them."""
    direction = hop.direction
    match hop.checkpoint:
        case Checkpoint.SECURITY_GROUP:
            where = f"{hop.node} groups {direction}"
        case Checkpoint.CLB_SECURITY_GROUP:
            where = f"{hop.node} CLB groups inbound"
        case Checkpoint.NETWORK_ACL:
            reply = " (reply)" if hop.leg is Leg.REPLY else ""
            where = f"{hop.lists[0]} {direction}{reply}"
        case _:  # the listener, loopback and service: facts of one node
            where = f"{hop.node} {hop.checkpoint}"
    if hop.header is not None and direction is not None:
        evaluation = first_match(hop.rules, hop.header, direction)
        return (where, *_outcome(evaluation, hop.header.peer(direction)))
    notes = {Checkpoint.LOOPBACK: LOOPBACK, Checkpoint.SERVICE: SERVICE_DOWN}
    return where, None, notes.get(hop.checkpoint, hop.short)


def _labelled(scenario: Scenario, result: BackendReach) -> BackendReach:
    """Each piece with the clients, instances and VIPs whose address it holds."""
    named = [*_named(scenario), *(Host(f"{lb.name} VIP", lb.vip) for lb in scenario.load_balancers)]

    def label(piece: Piece) -> Piece:
        inside = tuple(h for h in named if _holds(piece.sources, h.address))
        return replace(piece, hosts=inside)

    return BackendReach(
        result.backend,
        result.protocol,
        tuple(label(p) for p in result.allowed),
        tuple(label(p) for p in result.blocked),
    )


def _holds(space: Space, address: Address) -> bool:
    return any(b.family == address.version and b.lo <= int(address) <= b.hi for b in space)


def restrict_to(result: BackendReach, address: Address, name: str) -> BackendReach:
    """Only the pieces that hold ``address`` (the host ``name``'s), narrowed to it."""
    value = int(address)

    def narrow(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
        kept = []
        for piece in pieces:
            boxes = [
                Box(b.protocol, b.family, value, value, b.plo, b.phi)
                for b in piece.sources
                if b.family == address.version and b.lo <= value <= b.hi
            ]
            if boxes:
                kept.append(
                    replace(piece, sources=Space(tuple(boxes)), hosts=(Host(name, address),))
                )
        return tuple(kept)

    return BackendReach(
        result.backend, result.protocol, narrow(result.allowed), narrow(result.blocked)
    )
