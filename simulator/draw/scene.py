"""Stage 5, pictures: simulation results -> a scene, the graph every picture format draws.

A scene is a networkx ``MultiDiGraph``. Its nodes are the scenario's hosts, each with a role, a
column (clients, then load balancers and their health checkers, then backends) and a label; its
edges are the scenario's flows and health checks, each with its outcome and the deciding rule in
short form, and one edge per load balancer and backend for the listeners that forward there.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import networkx as nx

from ..model import DEFAULT_SOURCE_PORT, Checkpoint, Decision, Direction, Protocol, TargetKind
from ..results import FlowResult, HealthResult, Hop, ScenarioResult
from ..topology import Role, address_node, build, checker_node

if TYPE_CHECKING:
    Scene: TypeAlias = nx.MultiDiGraph[str]
else:
    Scene = nx.MultiDiGraph


class Kind(StrEnum):
    FLOW = "flow"
    HEALTH_CHECK = "health check"
    FORWARD = "forward"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    PARTIAL = "partial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    FORWARDS = "forwards"


@dataclass(frozen=True, slots=True)
class Look:
    """How an edge of one outcome is drawn: a colour and, for greyscale, a line style."""

    colour: str
    style: Literal["solid", "dashed", "dotted"]  # names matplotlib, Graphviz and CSS share
    width: float
    legend: str


#: Okabe and Ito's palette, which colour-blind viewers can tell apart; success is solid,
#: failure dashed, partial dotted, so the picture also reads in greyscale.
LOOKS = {
    Outcome.ALLOWED: Look("#0072B2", "solid", 2.5, "flow allowed"),
    Outcome.DENIED: Look("#D55E00", "dashed", 2.5, "flow denied"),
    Outcome.PARTIAL: Look("#E69F00", "dotted", 3.0, "flow partial"),
    Outcome.HEALTHY: Look("#009E73", "solid", 2.5, "check healthy"),
    Outcome.UNHEALTHY: Look("#CC79A7", "dashed", 2.5, "check unhealthy"),
    Outcome.FORWARDS: Look("#9A9A9A", "solid", 1.2, "listener forwards"),
}


@dataclass(frozen=True, slots=True)
class Badge:
    """How a node of one role is drawn: a shape (matplotlib, Graphviz) and a fill."""

    marker: str
    shape: str
    fill: str
    legend: str


BADGES = {
    Role.CLIENT: Badge("o", "ellipse", "#BFE0F5", "client"),
    Role.LOAD_BALANCER: Badge("h", "hexagon", "#FCE3A6", "CLB VIP"),
    Role.HEALTH_CHECKER: Badge("D", "diamond", "#E3D3EC", "health checker"),
    Role.INSTANCE: Badge("s", "box", "#C9EBDD", "instance"),
    Role.ADDRESS: Badge("^", "triangle", "#E4E4E4", "address"),
}

LONGEST = 36  # characters on a line of an edge's label, where it can be broken

_SECTION = re.compile(r"\s*\(§[0-9.]+\)")
_ON_PORT = re.compile(r" on port \d+")  # the label already names the port


def scene(result: ScenarioResult) -> Scene:
    """The scene of one simulated scenario; built in the scenario's own order."""
    graph: Scene = nx.MultiDiGraph(title=result.scenario.title)
    _add_nodes(graph, result)
    for number, flow in enumerate(result.flows):
        _add_flow(graph, number, flow)
    pairs = Counter((h.load_balancer, h.backend.instance) for h in result.health_checks)
    for number, check in enumerate(result.health_checks):
        twin = pairs[check.load_balancer, check.backend.instance] > 1
        _add_health_check(graph, number, check, twin)
    _add_forwards(graph, result)
    return graph


def _add_nodes(graph: Scene, result: ScenarioResult) -> None:
    topology = build(result.scenario)
    backends = {
        b.instance
        for lb in result.scenario.load_balancers
        for li in lb.listeners
        for b in li.backends
    }
    targets = {_target_node(f) for f in result.flows}
    sources = _checker_sources(result.health_checks)
    for name, data in topology.nodes(data=True):  # clients, instances, VIPs, addresses
        role = Role(data["role"])
        column = {Role.CLIENT: 0, Role.LOAD_BALANCER: 1, Role.HEALTH_CHECKER: 1}.get(role, 2)
        if role is Role.INSTANCE and name not in backends | targets:
            column = 0  # an instance that only starts connections stands with the clients
        graph.add_node(name, role=role, column=column, label=_node_label(name, data, sources))
        if role is Role.HEALTH_CHECKER:
            graph.nodes[name]["load_balancer"] = data["load_balancer"]


def _node_label(name: str, data: dict[str, Any], sources: dict[str, list[str]]) -> str:
    role = Role(data["role"])
    if role is Role.HEALTH_CHECKER:
        lb = data["load_balancer"]
        where = ", ".join(sources.get(lb, []))
        return f"{lb} health checker\nfrom {where}" if where else f"{lb} health checker"
    if role is Role.LOAD_BALANCER:
        return f"{name}\nVIP {data['address']}"
    if role is Role.ADDRESS:
        return str(data["address"])
    return f"{name}\n{data['address']}"


def _checker_sources(checks: tuple[HealthResult, ...]) -> dict[str, list[str]]:
    """Each load balancer's health-check sources, in the order its listeners give them."""
    sources: dict[str, list[str]] = defaultdict(list)
    for check in checks:
        if check.source not in sources[check.load_balancer]:
            sources[check.load_balancer].append(check.source)
    return sources


def _target_node(result: FlowResult) -> str:
    target = result.flow.target
    return address_node(target.name) if target.kind is TargetKind.ADDRESS else target.name


def _add_flow(graph: Scene, number: int, result: FlowResult) -> None:
    flow = result.flow
    where = _port_text(result.protocol, flow.target.port)
    if result.protocol.has_ports and flow.src_port != DEFAULT_SOURCE_PORT:
        where += f" from :{flow.src_port}"
    rules = _decided_by(result)
    outcome = Outcome(str(result.verdict))
    graph.add_edge(
        flow.source,
        _target_node(result),
        key=f"flow {number}",
        kind=Kind.FLOW,
        outcome=outcome,
        label=_label(where, rules),
        name=flow.name or f"{flow.source} to {flow.written_to}",
    )


def _add_health_check(graph: Scene, number: int, result: HealthResult, twin: bool) -> None:
    """A health check's edge; ``twin``: the same checker probes the backend for another
    listener too, so the label names the listener."""
    rule = short(result.path.deciding_hop) if result.enabled else "checks disabled"
    where = f"{result.listener.key} → {result.port}" if twin else str(result.port)
    graph.add_edge(
        checker_node(result.load_balancer),
        result.backend.instance,
        key=f"health check {number}",
        kind=Kind.HEALTH_CHECK,
        outcome=Outcome(str(result.status)),
        label=_label(where, rule),
        name=f"{result.load_balancer}:{result.listener.key} checks {result.backend}",
    )


def _label(where: str, rules: str) -> str:
    """``PORT: RULE`` on one line where it is short, else the port on a line of its own and
    the rules below it, a long rule's parenthesis, as ``(part of range)``, on a line of its own."""
    if "\n" not in rules and len(f"{where}: {rules}") <= LONGEST:
        return f"{where}: {rules}"
    lines = [f"{where}:"]
    for line in rules.split("\n"):
        head, bracket, tail = line.partition(" (")
        lines += [head, f"({tail}"] if bracket and len(line) > LONGEST else [line]
    return "\n".join(lines)


def _add_forwards(graph: Scene, result: ScenarioResult) -> None:
    """One edge per load balancer and backend instance, naming every listener that forwards."""
    for lb in result.scenario.load_balancers:
        by_instance: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for listener in lb.listeners:
            for backend in listener.backends:
                by_instance[backend.instance][backend.port].append(listener.key)
        labels = {
            instance: "\n".join(f"{', '.join(keys)} → {port}" for port, keys in ports.items())
            for instance, ports in by_instance.items()
        }
        if len(set(labels.values())) == 1:  # every backend behind every listener: said once
            graph.nodes[lb.name]["label"] += "\n" + next(iter(labels.values()))
            labels = dict.fromkeys(labels, "")
        for instance, label in labels.items():
            graph.add_edge(
                lb.name,
                instance,
                key=f"forward {lb.name} {instance}",
                kind=Kind.FORWARD,
                outcome=Outcome.FORWARDS,
                label=label,
                name=f"{lb.name} forwards to {instance}",
            )


def _port_text(protocol: Protocol, port: int | None) -> str:
    if port is None:
        return str(protocol)
    return str(port) if protocol is Protocol.TCP else f"{protocol} {port}"


def _decided_by(result: FlowResult) -> str:
    """The deciding rule in short form, per backend where the paths disagree."""
    texts = [short(p.deciding_hop) for p in result.paths]
    if len(set(texts)) <= 1:
        return texts[0] if texts else "-"
    names = [p.backend for p in result.paths]
    return "\n".join(
        f"{p.backend}:{p.port} {text}" if names.count(p.backend) > 1 else f"{p.backend}: {text}"
        for p, text in zip(result.paths, texts, strict=True)
    )


def short(hop: Hop | None) -> str:
    """A deciding hop in a few words: ``sg-web #3``, ``sg-web default DROP``, ``loopback``;
    a path that met no checkpoint at all (nothing filters either end) says so."""
    if hop is None:
        return "no filter"
    rules = (Checkpoint.SECURITY_GROUP, Checkpoint.CLB_SECURITY_GROUP, Checkpoint.NETWORK_ACL)
    if hop.checkpoint in rules and hop.decision in (Decision.ACCEPT, Decision.DROP):
        which = f"#{hop.index}" if hop.index is not None else "default DROP"
        outbound = " outbound" if hop.direction is Direction.OUTBOUND else ""
        text = f"{hop.group}{outbound} {which}"
        return f"{text} (part of range)" if hop.partly else text
    if hop.decision is Decision.IMPLICIT and hop.short.startswith("health checks from"):
        return "implicitly allowed"
    text = _SECTION.sub("", hop.short or hop.reason)
    return _ON_PORT.sub("", text) if hop.checkpoint is Checkpoint.LISTENER else text
