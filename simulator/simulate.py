"""Stage 4, simulation: flows and health checks -> results.

Health checks come first, because a client connection goes only to healthy backends (§3.8);
each flow then follows the graph to every backend the CLB may pick, and each path is walked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import networkx as nx

from .checks import Limits, scenario_warnings
from .evaluate import Packet
from .model import (
    DEFAULT_SOURCE_PORT,
    PERSISTENT_SOURCES,
    Backend,
    Checkpoint,
    Decision,
    Flow,
    Health,
    Listener,
    LoadBalancer,
    Network,
    Protocol,
    Scenario,
    TargetKind,
    host_network,
)
from .results import FlowResult, HealthResult, Path, ScenarioResult
from .topology import (
    Check,
    EdgeKey,
    Graph,
    Link,
    address_node,
    build,
    checker_node,
    forward_key,
    health_source,
    probe_key,
)
from .walk import Context, Walker

DEFAULT_LIMITS = Limits()


def simulate(scenario: Scenario, limits: Limits = DEFAULT_LIMITS) -> ScenarioResult:
    """Every health check of every listener, then every flow the scenario asks about."""
    sim = _Simulator(scenario)
    checks = tuple(sim.health_checks())
    health = _statuses(checks)
    flows = tuple(sim.flow(flow, health) for flow in scenario.flows)
    return ScenarioResult(scenario, flows, checks, scenario_warnings(scenario, limits))


def health_checks(scenario: Scenario) -> tuple[HealthResult, ...]:
    """Every health check of every listener, without the flows."""
    return tuple(_Simulator(scenario).health_checks())


def _statuses(checks: Iterable[HealthResult]) -> dict[tuple[str, str, Backend], Health]:
    return {(h.load_balancer, h.listener.key, h.backend): h.status for h in checks}


def trace(scenario: Scenario, flow: Flow) -> FlowResult:
    """The paths of one flow that need not be in the scenario file."""
    sim = _Simulator(replace(scenario, flows=(*scenario.flows, flow)))
    return sim.flow(flow, _statuses(sim.health_checks()))


@dataclass
class _Simulator:
    scenario: Scenario
    graph: Graph = field(init=False)
    walker: Walker = field(init=False)

    def __post_init__(self) -> None:
        self.graph = build(self.scenario)
        self.walker = Walker(self.scenario)

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
                    yield replace(result, expected=want.expect if want else None)

    def health_check(self, lb: LoadBalancer, listener: Listener, backend: Backend) -> HealthResult:
        settings = listener.health_check
        port = settings.port or backend.port
        source = health_source(lb, listener)
        if not settings.enabled:
            return HealthResult(lb.name, listener, backend, port, source.text, (), enabled=False)
        instance = self.scenario.instance(backend.instance)
        src = source.network or host_network(
            instance.ip
        )  # a physical host: only implicit checkpoints
        dst = host_network(instance.ip)
        checks = self.graph.edges[
            checker_node(lb.name), instance.name, probe_key(listener, backend)
        ]["checkpoints"]
        probe = Packet(settings.protocol.transport, src, dst, DEFAULT_SOURCE_PORT, port)
        if probe.protocol is not Protocol.UDP:
            hops = self.walker.walk([(checks, probe)], Context())
            return HealthResult(lb.name, listener, backend, port, source.text, tuple(hops))
        # A UDP check pings, and sends a UDP probe that fails the check only if an ICMP
        # "port unreachable" comes back: a probe that a filter drops fails nothing (§3.7).
        icmp = Protocol.ICMP if dst.version == 4 else Protocol.ICMPV6
        hops = self.walker.walk([(checks, Packet(icmp, src, dst))], Context())
        if hops and hops[-1].decision is Decision.DROP:
            return HealthResult(lb.name, listener, backend, port, source.text, tuple(hops))
        udp = self.walker.walk([(checks, probe)], Context())
        last = udp[-1] if udp else None
        silent = (
            last
            if last and last.decision is Decision.DROP and last.checkpoint is not Checkpoint.SERVICE
            else None
        )
        return HealthResult(
            lb.name,
            listener,
            backend,
            port,
            source.text,
            tuple(hops + udp),
            silent_drop=silent,
            unseen=len(udp) if silent else 0,
        )

    # -- flows ---------------------------------------------------------------------------
    def flow(self, flow: Flow, health: dict[tuple[str, str, Backend], Health]) -> FlowResult:
        origin = flow.source
        src = host_network(self.scenario.host_address(origin))
        target = flow.target
        if target.kind is not TargetKind.LOAD_BALANCER:
            protocol = flow.protocol or Protocol.TCP
            node = target.name if target.kind is TargetKind.INSTANCE else address_node(target.name)
            dst = host_network(self.graph.nodes[node]["address"])
            packet = Packet(protocol, src, dst, _port(protocol, flow.src_port), target.port)
            paths = []
            for checks in self._segments(self._links(Link.DIRECT), origin, node):
                hops = self.walker.walk([(checks, packet)], Context())
                paths.append(Path(None, tuple(hops)))
            return FlowResult(flow, protocol, tuple(paths))
        lb = self.scenario.load_balancer(target.name)
        port = target.port
        on_port = [li for li in lb.listeners if li.port == port]
        protocol = flow.protocol or (on_port[0].protocol.transport if on_port else Protocol.TCP)
        listener = next((li for li in on_port if li.protocol.transport is protocol), None)
        context = Context(listener, port, protocol)
        first = Packet(protocol, src, host_network(lb.vip), _port(protocol, flow.src_port), port)
        to_vip = (self.graph.edges[origin, lb.name, Link.TO_VIP]["checkpoints"], first)
        if listener is None or not listener.backends:
            return FlowResult(
                flow, protocol, (Path(None, tuple(self.walker.walk([to_vip], context))),)
            )
        healthy = [
            b for b in listener.backends if health[(lb.name, listener.key, b)] is Health.HEALTHY
        ]
        picked = healthy or list(listener.backends)
        unhealthy = tuple(str(b) for b in listener.backends if b not in healthy)
        seen = self._seen_source(lb, listener, src)
        paths = []
        for backend in picked:
            instance = self.scenario.instance(backend.instance)
            # Layer 4 forwards the client's packets; layer 7 opens a connection of its own.
            src_port = DEFAULT_SOURCE_PORT if listener.protocol.layer7 else flow.src_port
            second = Packet(
                protocol, seen, host_network(instance.ip), _port(protocol, src_port), backend.port
            )
            view = self._links(forward_key(listener, backend))
            for checks in self._segments(view, lb.name, instance.name):
                hops = self.walker.walk(
                    [to_vip, (checks, second)], Context(listener, port, protocol, backend)
                )
                paths.append(Path(backend.instance, tuple(hops), backend.port))
        return FlowResult(flow, protocol, tuple(paths), unhealthy if healthy else (), not healthy)

    def _links(self, key: str) -> Graph:
        """The graph with only the edges of one kind (or one forwarding) left."""

        def keep(_u: Any, _v: Any, k: Any) -> bool:
            return bool(k == key)

        view: Graph = nx.subgraph_view(self.graph, filter_edge=keep)
        return view

    def _segments(self, view: Graph, start: str, end: str) -> Iterator[list[Check]]:
        """The checkpoints of each path from ``start`` to ``end`` over the edges of ``view``."""
        for edges in nx.all_simple_edge_paths(view, start, end, cutoff=1):
            yield [
                c for edge in edges for c in self.graph.edges[cast(EdgeKey, edge)]["checkpoints"]
            ]

    @staticmethod
    def _seen_source(lb: LoadBalancer, listener: Listener, client: Network) -> Network:
        """The source address the backend sees (§3.3)."""
        if lb.snats_to_vip:
            return host_network(lb.vip)
        if listener.protocol.layer7 and listener.persistent_connections:
            return PERSISTENT_SOURCES
        return client


def _port(protocol: Protocol, port: int) -> int | None:
    return port if protocol.has_ports else None
