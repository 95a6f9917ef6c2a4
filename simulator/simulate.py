"""Stage 4, simulation: flows and health checks -> paths of hops.

A path is walked checkpoint by checkpoint: first the request, stopping at the first DROP, then
the reply, which security groups accept by connection state and stateless ACLs evaluate again
with addresses and ports swapped (SEMANTICS §1.6, §2.1, §4).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from .evaluate import ConnectionTable, Evaluation, Packet, first_match, ordered
from .model import (
    DEFAULT_SOURCE_PORT,
    PERSISTENT_SOURCES,
    Action,
    Address,
    Backend,
    Checkpoint,
    Decision,
    Direction,
    Flow,
    Health,
    Leg,
    Listener,
    LoadBalancer,
    Network,
    Protocol,
    Scenario,
    TargetKind,
    Verdict,
)
from .topology import (
    AclCheck,
    Check,
    ClbSecurityGroupCheck,
    Link,
    ListenerCheck,
    LoopbackCheck,
    SecurityGroupCheck,
    ServiceCheck,
    address_node,
    build,
    checker_node,
    forward_key,
    health_source,
    probe_key,
)


@dataclass(frozen=True, slots=True)
class Hop:
    """One checkpoint a packet met, what it decided and why."""

    node: str
    checkpoint: Checkpoint
    direction: Direction | None
    decision: Decision
    reason: str
    leg: Leg
    packet: str
    group: str | None = None
    index: int | None = None
    rule: str | None = None
    partly: bool = False  # the rules allowed only part of a range of source addresses (§3.6)


@dataclass(frozen=True, slots=True)
class Path:
    """One way a connection can go (one backend a CLB may pick), request and reply."""

    backend: str | None
    hops: tuple[Hop, ...]

    @property
    def blocked_at(self) -> Hop | None:
        return next((h for h in self.hops if h.decision is Decision.DROP), None)

    @property
    def verdict(self) -> Verdict:
        return Verdict.DENIED if self.blocked_at else Verdict.ALLOWED

    @property
    def deciding_hop(self) -> Hop | None:
        """The hop that stopped the path, else the last security-group hop of the request."""
        if self.blocked_at is not None:
            return self.blocked_at
        request = [h for h in self.hops if h.leg is Leg.REQUEST]
        for kind in (
            Checkpoint.SECURITY_GROUP,
            Checkpoint.CLB_SECURITY_GROUP,
            Checkpoint.NETWORK_ACL,
        ):
            found = [h for h in request if h.checkpoint is kind]
            if found:
                return found[-1]
        return request[-1] if request else None


def combine(verdicts: Sequence[Verdict]) -> Verdict:
    """``allowed`` if every path is, ``denied`` if none is, else ``partial`` (§3.9)."""
    if all(v is Verdict.ALLOWED for v in verdicts):
        return Verdict.ALLOWED
    if all(v is Verdict.DENIED for v in verdicts):
        return Verdict.DENIED
    return Verdict.PARTIAL


@dataclass(frozen=True, slots=True)
class FlowResult:
    flow: Flow
    protocol: Protocol
    paths: tuple[Path, ...]
    unhealthy: tuple[str, ...] = ()  # backends not picked because their checks fail
    all_unhealthy: bool = False  # every backend failed, so the CLB picks all of them (§3.8)

    @property
    def verdict(self) -> Verdict:
        return combine([p.verdict for p in self.paths])

    @property
    def ok(self) -> bool | None:
        return None if self.flow.expect is None else self.flow.expect is self.verdict


@dataclass(frozen=True, slots=True)
class HealthResult:
    load_balancer: str
    listener: Listener
    backend: Backend
    port: int
    source: str
    hops: tuple[Hop, ...]
    enabled: bool = True
    expected: Health | None = None

    @property
    def blocked_at(self) -> Hop | None:
        return next((h for h in self.hops if h.decision is Decision.DROP), None)

    @property
    def status(self) -> Health:
        return Health.UNHEALTHY if self.blocked_at else Health.HEALTHY

    @property
    def ok(self) -> bool | None:
        return None if self.expected is None else self.expected is self.status

    @property
    def path(self) -> Path:
        return Path(self.backend.instance, self.hops)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    flows: tuple[FlowResult, ...]
    health_checks: tuple[HealthResult, ...]

    @property
    def ok(self) -> bool:
        results: Iterable[bool | None] = (
            *(f.ok for f in self.flows),
            *(h.ok for h in self.health_checks),
        )
        return all(r is not False for r in results)


def simulate(scenario: Scenario) -> ScenarioResult:
    """Every health check of every listener, then every flow the scenario asks about."""
    sim = _Simulator(scenario)
    checks = tuple(sim.health_checks())
    health = {(h.load_balancer, h.listener.key, h.backend): h.status for h in checks}
    flows = tuple(sim.flow(flow, health) for flow in scenario.flows)
    return ScenarioResult(scenario, flows, checks)


def trace(scenario: Scenario, flow: Flow) -> FlowResult:
    """The paths of one flow that need not be in the scenario file."""
    sim = _Simulator(scenario)
    health = {(h.load_balancer, h.listener.key, h.backend): h.status for h in sim.health_checks()}
    return sim.flow(flow, health)


@dataclass
class _Context:
    """What checkpoints need to know beyond the packet: the flow's listener and origin."""

    origin: str | None = None
    listener: Listener | None = None
    port: int | None = None
    protocol: Protocol | None = None
    backend: Backend | None = None


def _host(address: Address) -> Network:
    return ipaddress.ip_network(address)


def _show(packet: Packet) -> str:
    def end(net: Network, port: int | None) -> str:
        text = str(net.network_address) if net.num_addresses == 1 else str(net)
        if port is None:
            return text
        return f"[{text}]:{port}" if net.version == 6 else f"{text}:{port}"

    return f"{packet.protocol} {end(packet.src, packet.src_port)} -> {end(packet.dst, packet.dst_port)}"


@dataclass
class _Simulator:
    scenario: Scenario
    graph: nx.MultiDiGraph = field(init=False)

    def __post_init__(self) -> None:
        self.graph = build(self.scenario)

    # -- health checks -------------------------------------------------------------------
    def health_checks(self) -> Iterable[HealthResult]:
        expected = {
            (e.load_balancer, e.listener, e.backend): e for e in self.scenario.health_checks
        }
        for lb in self.scenario.load_balancers:
            for listener in lb.listeners:
                for backend in listener.backends:
                    result = self.health_check(lb, listener, backend)
                    want = expected.get((lb.name, listener.key, backend))
                    yield HealthResult(
                        result.load_balancer,
                        listener,
                        backend,
                        result.port,
                        result.source,
                        result.hops,
                        result.enabled,
                        want.expect if want else None,
                    )

    def health_check(self, lb: LoadBalancer, listener: Listener, backend: Backend) -> HealthResult:
        settings = listener.health_check
        port = settings.port or backend.port
        source = health_source(lb, listener)
        if not settings.enabled:
            return HealthResult(
                lb.name, listener, backend, port, "checks disabled", (), enabled=False
            )
        instance = self.scenario.instance(backend.instance)
        src = source.network or _host(instance.ip)  # a physical host: only implicit checkpoints
        dst = _host(instance.ip)
        probes = [Packet(settings.protocol.transport, src, dst, DEFAULT_SOURCE_PORT, port)]
        if settings.protocol.transport is Protocol.UDP:  # UDP checks depend on ICMP (§3.7)
            icmp = Protocol.ICMP if dst.version == 4 else Protocol.ICMPV6
            probes.append(Packet(icmp, src, dst))
        edge = self.graph.edges[checker_node(lb.name), instance.name, probe_key(listener, backend)]
        hops: list[Hop] = []
        for probe in probes:
            hops.extend(self.walk([(edge["checkpoints"], probe)], _Context()))
            if hops and hops[-1].decision is Decision.DROP:
                break
        return HealthResult(lb.name, listener, backend, port, source.text, tuple(hops))

    # -- flows ---------------------------------------------------------------------------
    def flow(self, flow: Flow, health: dict[tuple[str, str, Backend], Health]) -> FlowResult:
        origin = flow.source
        src = _host(self.scenario.host_address(origin))
        target = flow.target
        if target.kind is not TargetKind.LOAD_BALANCER:
            protocol = flow.protocol or Protocol.TCP
            node = target.name if target.kind is TargetKind.INSTANCE else address_node(target.name)
            dst = _host(self.graph.nodes[node]["address"])
            packet = Packet(protocol, src, dst, _port(protocol, flow.src_port), target.port)
            paths = []
            for edges in nx.all_simple_edge_paths(self._links(Link.DIRECT), origin, node, cutoff=1):
                segments = [(self.graph.edges[e]["checkpoints"], packet) for e in edges]
                paths.append(Path(None, tuple(self.walk(segments, _Context(origin)))))
            return FlowResult(flow, protocol, tuple(paths))
        lb = self.scenario.load_balancer(target.name)
        port = target.port
        on_port = [li for li in lb.listeners if li.port == port]
        protocol = flow.protocol or (on_port[0].protocol.transport if on_port else Protocol.TCP)
        listener = next((li for li in on_port if li.protocol.transport is protocol), None)
        context = _Context(origin, listener, port, protocol)
        first = Packet(protocol, src, _host(lb.vip), _port(protocol, flow.src_port), port)
        to_vip = (self.graph.edges[origin, lb.name, Link.TO_VIP]["checkpoints"], first)
        if listener is None or not listener.backends:
            return FlowResult(flow, protocol, (Path(None, tuple(self.walk([to_vip], context))),))
        healthy = [
            b for b in listener.backends if health[(lb.name, listener.key, b)] is Health.HEALTHY
        ]
        picked = healthy or list(listener.backends)
        unhealthy = tuple(str(b) for b in listener.backends if b not in healthy)
        seen = self._seen_source(lb, listener, src)
        paths = []
        for backend in picked:
            instance = self.scenario.instance(backend.instance)
            second = Packet(
                protocol, seen, _host(instance.ip), _port(protocol, flow.src_port), backend.port
            )
            view = self._links(forward_key(listener, backend))
            for edges in nx.all_simple_edge_paths(view, lb.name, instance.name, cutoff=1):
                segments = [to_vip, *((self.graph.edges[e]["checkpoints"], second) for e in edges)]
                hops = self.walk(segments, _Context(origin, listener, port, protocol, backend))
                paths.append(Path(backend.instance, tuple(hops)))
        return FlowResult(flow, protocol, tuple(paths), unhealthy if healthy else (), not healthy)

    def _links(self, key: str) -> nx.MultiDiGraph:
        """The graph with only the edges of one kind (or one forwarding) left."""

        def keep(_u: str, _v: str, k: str) -> bool:
            return k == key

        return nx.subgraph_view(self.graph, filter_edge=keep)

    @staticmethod
    def _seen_source(lb: LoadBalancer, listener: Listener, client: Network) -> Network:
        """The source address the backend sees (§3.3)."""
        if lb.snats_to_vip:
            return _host(lb.vip)
        if listener.protocol.layer7 and listener.persistent_connections:
            return PERSISTENT_SOURCES
        return client

    # -- walking -------------------------------------------------------------------------
    def walk(
        self, segments: Sequence[tuple[Sequence[Check], Packet]], context: _Context
    ) -> list[Hop]:
        """Hops of the request over every segment, then of the reply back over them."""
        table = ConnectionTable()
        hops: list[Hop] = []
        for checks, packet in segments:
            for check in checks:
                hop = self.request_hop(check, packet, table, context)
                if hop is not None:
                    hops.append(hop)
                    if hop.decision is Decision.DROP:
                        return hops
        for checks, packet in reversed(segments):
            reply = packet.reply()
            for check in reversed(checks):
                hop = self.reply_hop(check, reply, table)
                if hop is not None:
                    hops.append(hop)
                    if hop.decision is Decision.DROP:
                        return hops
        return hops

    def request_hop(
        self, check: Check, packet: Packet, table: ConnectionTable, context: _Context
    ) -> Hop | None:
        shown = _show(packet)
        leg = Leg.REQUEST
        match check:
            case SecurityGroupCheck(node, groups, direction, bypassed_by, implicit):
                if bypassed_by is not None:
                    hop = Hop(
                        node,
                        Checkpoint.SECURITY_GROUP,
                        direction,
                        Decision.BYPASS,
                        f"{bypassed_by} bypasses backend security groups (§3.4)",
                        leg,
                        shown,
                    )
                elif implicit is not None:
                    hop = Hop(
                        node,
                        Checkpoint.SECURITY_GROUP,
                        direction,
                        Decision.IMPLICIT,
                        f"{implicit} (§3.5)",
                        leg,
                        shown,
                    )
                elif not groups:
                    hop = Hop(
                        node,
                        Checkpoint.SECURITY_GROUP,
                        direction,
                        Decision.IMPLICIT,
                        f"{node} is bound to no security group, so none filters it (§1.7)",
                        leg,
                        shown,
                    )
                else:
                    hop = self.rules_hop(
                        node, Checkpoint.SECURITY_GROUP, groups, direction, packet, leg
                    )
                if hop.decision.passes:
                    table.record(packet)
                return hop
            case ClbSecurityGroupCheck(lb, groups):
                if not groups:
                    table.record(packet)
                    return Hop(
                        lb,
                        Checkpoint.CLB_SECURITY_GROUP,
                        Direction.INBOUND,
                        Decision.IMPLICIT,
                        f"{lb} has no security group of its own, so every client reaches its listeners (§3.2)",
                        leg,
                        shown,
                    )
                hop = self.rules_hop(
                    lb, Checkpoint.CLB_SECURITY_GROUP, groups, Direction.INBOUND, packet, leg
                )
                if hop.decision.passes:
                    table.record(packet)
                return hop
            case AclCheck(node, acl, direction):
                return self.rules_hop(node, Checkpoint.NETWORK_ACL, (acl,), direction, packet, leg)
            case ListenerCheck(lb):
                return self.listener_hop(lb, context, shown)
            case LoopbackCheck(node):
                if context.origin != node:
                    return None
                return Hop(
                    node,
                    Checkpoint.LOOPBACK,
                    None,
                    Decision.DROP,
                    f"the CLB sent {node}'s own connection back to {node}, which drops a packet from its own address (§3.10)",
                    leg,
                    shown,
                )
            case ServiceCheck(node):
                if self.scenario.instance(node).running:
                    return None
                return Hop(
                    node,
                    Checkpoint.SERVICE,
                    None,
                    Decision.DROP,
                    f"{node} is marked running: false, so nothing answers (§3.7)",
                    leg,
                    shown,
                )
        raise AssertionError(f"unknown checkpoint {check!r}")

    def reply_hop(self, check: Check, reply: Packet, table: ConnectionTable) -> Hop | None:
        shown = _show(reply)
        leg = Leg.REPLY
        match check:
            case SecurityGroupCheck(node, groups, direction) if table.is_reply(reply):
                return Hop(
                    node,
                    Checkpoint.SECURITY_GROUP,
                    _flip(direction),
                    Decision.ACCEPT,
                    "reply of an established connection: security groups are stateful (§1.6)",
                    leg,
                    shown,
                )
            case ClbSecurityGroupCheck(lb) if table.is_reply(reply):
                return Hop(
                    lb,
                    Checkpoint.CLB_SECURITY_GROUP,
                    Direction.OUTBOUND,
                    Decision.ACCEPT,
                    "reply of an established connection: security groups are stateful (§1.6)",
                    leg,
                    shown,
                )
            case AclCheck(node, acl, direction):
                return self.rules_hop(
                    node, Checkpoint.NETWORK_ACL, (acl,), _flip(direction), reply, leg
                )
            case ListenerCheck() | LoopbackCheck() | ServiceCheck():
                return None
        raise AssertionError(f"reply of a connection no group accepted: {check!r}")

    def rules_hop(
        self,
        node: str,
        checkpoint: Checkpoint,
        lists: Sequence[str],
        direction: Direction,
        packet: Packet,
        leg: Leg,
    ) -> Hop:
        """First match over the rules of ``lists`` (groups in binding order, or one ACL)."""
        if checkpoint is Checkpoint.NETWORK_ACL:
            acl = next(a for a in self.scenario.network_acls if a.name == lists[0])
            sources = [(acl.name, acl.rules(direction))]
            default = "no rule matched: the ACL's default deny (§2.2)"
        else:
            sources = [(g, self.scenario.security_group(g).rules(direction)) for g in lists]
            default = "no rule matched: default DROP (§1.4)"
        evaluation = first_match(ordered(sources, direction), packet, direction)
        ref = evaluation.decided_by
        decision = Decision.ACCEPT if evaluation.action is Action.ACCEPT else Decision.DROP
        reason = (
            _range_reason(evaluation, packet, direction)
            if evaluation.split
            else ("first matching rule (§1.3)" if ref else default)
        )
        return Hop(
            node,
            checkpoint,
            direction,
            decision,
            reason,
            leg,
            _show(packet),
            group=ref.group if ref else ", ".join(lists),
            index=ref.index if ref else None,
            rule=ref.rule.text if ref else None,
            partly=evaluation.split and decision is Decision.DROP,
        )

    def listener_hop(self, lb: str, context: _Context, shown: str) -> Hop:
        listener, backend = context.listener, context.backend
        if listener is None:
            return Hop(
                lb,
                Checkpoint.LISTENER,
                None,
                Decision.DROP,
                f"{lb} has no {context.protocol} listener on port {context.port}, so the packet goes nowhere (§3.1)",
                Leg.REQUEST,
                shown,
            )
        if backend is None:
            return Hop(
                lb,
                Checkpoint.LISTENER,
                None,
                Decision.DROP,
                f"listener {listener.key} has no backends",
                Leg.REQUEST,
                shown,
                rule=listener.key,
            )
        return Hop(
            lb,
            Checkpoint.LISTENER,
            None,
            Decision.ACCEPT,
            f"listener {listener.key} forwards to {backend}",
            Leg.REQUEST,
            shown,
            rule=listener.key,
        )


def _flip(direction: Direction) -> Direction:
    return Direction.OUTBOUND if direction is Direction.INBOUND else Direction.INBOUND


def _port(protocol: Protocol, port: int) -> int | None:
    return port if protocol.has_ports else None


def _range_reason(evaluation: Evaluation, packet: Packet, direction: Direction) -> str:
    """Which rule decided which part of a range of addresses (§3.6)."""
    peer = packet.peer(direction)
    parts = "; ".join(
        f"{p.addresses} {p.action} by "
        + (f"{p.decided_by.group} #{p.decided_by.index}" if p.decided_by else "default")
        for p in evaluation.parts
    )
    if evaluation.action is Action.ACCEPT:
        return f"every address of {peer} is accepted: {parts}"
    return f"the address is not fixed, so all of {peer} must be allowed, but rules split it: {parts} (§3.6)"
