"""Stage 3, topology: a scenario -> a networkx graph whose edges carry checkpoints.

Nodes are clients, instances, each load balancer's VIP, each load balancer's health checker and
the bare addresses flows go to. An edge is a way a packet can travel; its ``checkpoints`` are what
the packet meets on the way, in order (§4). Paths are found on this graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

import networkx as nx

from .model import (
    CGNAT_PROBERS,
    CLASSIC_PROBERS,
    Backend,
    Direction,
    HealthSource,
    Instance,
    Listener,
    LoadBalancer,
    LoadBalancerType,
    Network,
    NetworkType,
    Scenario,
    TargetKind,
    host_network,
)

if TYPE_CHECKING:
    Graph: TypeAlias = nx.MultiDiGraph[str]  # nodes are names; edge keys are text
else:
    Graph = nx.MultiDiGraph
EdgeKey = tuple[str, str, str]


class Role(StrEnum):
    CLIENT = "client"
    INSTANCE = "instance"
    LOAD_BALANCER = "load_balancer"
    HEALTH_CHECKER = "health_checker"
    ADDRESS = "address"


class Link(StrEnum):
    DIRECT = "direct"  # a host to an instance or an address
    TO_VIP = "to_vip"  # a host to a load balancer's VIP
    FORWARD = "forward"  # a load balancer to one backend of one listener
    PROBE = "probe"  # a health checker to one backend of one listener


@dataclass(frozen=True, slots=True)
class SecurityGroupCheck:
    """An instance's groups in binding order, unless bypassed or implicitly allowed."""

    node: str
    groups: tuple[str, ...]
    direction: Direction
    bypassed_by: str | None = None
    implicit: str | None = None


@dataclass(frozen=True, slots=True)
class ClbSecurityGroupCheck:
    load_balancer: str
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AclCheck:
    node: str
    acl: str
    direction: Direction


@dataclass(frozen=True, slots=True)
class ListenerCheck:
    load_balancer: str


@dataclass(frozen=True, slots=True)
class LoopbackCheck:
    node: str


@dataclass(frozen=True, slots=True)
class ServiceCheck:
    node: str


Check = (
    SecurityGroupCheck
    | ClbSecurityGroupCheck
    | AclCheck
    | ListenerCheck
    | LoopbackCheck
    | ServiceCheck
)


@dataclass(frozen=True, slots=True)
class ProbeSource:
    """Where a listener's health checks come from (§3.5)."""

    text: str
    network: Network | None  # None: the backend's physical host, which no rule can name
    implicit: bool

    @property
    def allowance(self) -> str | None:
        """Why backend groups let these checks in without a rule; None where they need one."""
        return f"health checks from {self.text} are allowed implicitly" if self.implicit else None


def health_source(lb: LoadBalancer, listener: Listener) -> ProbeSource:
    """The health-check source of ``listener`` by its setting and the CLB's kind (§3.5)."""
    setting = listener.health_check.source
    vip = ProbeSource(str(lb.vip), host_network(lb.vip), implicit=False)
    if setting is HealthSource.VIP:
        return vip
    if setting is HealthSource.CGNAT:
        return ProbeSource(str(CGNAT_PROBERS), CGNAT_PROBERS, implicit=True)
    if lb.type is LoadBalancerType.PUBLIC:
        return vip
    if lb.classic:
        if lb.network is NetworkType.VPC and lb.snats_to_vip:
            return vip
        return ProbeSource(str(CLASSIC_PROBERS), CLASSIC_PROBERS, implicit=True)
    if lb.network is NetworkType.BASIC:
        return ProbeSource("physical host", None, implicit=True)
    return vip


def checker_node(lb: str) -> str:
    return f"{lb} health checker"


def address_node(address: str) -> str:
    return f"address {address}"


def forward_key(listener: Listener, backend: Backend) -> str:
    return f"{Link.FORWARD} {listener.key} {backend}"


def probe_key(listener: Listener, backend: Backend) -> str:
    return f"{Link.PROBE} {listener.key} {backend}"


def build(scenario: Scenario) -> Graph:
    """The graph of a scenario: every host, every way its health checks go, and the ways its
    flows can go (an edge per source and destination a flow names, so size follows the flows).
    """
    graph: Graph = nx.MultiDiGraph()
    instances = {i.name: i for i in scenario.instances}
    for client in scenario.clients:
        graph.add_node(client.name, role=Role.CLIENT, address=client.ip)
    for instance in scenario.instances:
        graph.add_node(instance.name, role=Role.INSTANCE, address=instance.ip)
    for lb in scenario.load_balancers:
        graph.add_node(lb.name, role=Role.LOAD_BALANCER, address=lb.vip)
        graph.add_node(checker_node(lb.name), role=Role.HEALTH_CHECKER, load_balancer=lb.name)
        for listener in lb.listeners:
            for backend in listener.backends:
                _add_backend_edges(
                    graph, scenario, lb, listener, backend, instances[backend.instance]
                )
    for flow in scenario.flows:
        source, target = flow.source, flow.target
        if target.kind is TargetKind.LOAD_BALANCER:
            lb = scenario.load_balancer(target.name)
            checks: tuple[Check, ...] = (
                *_egress(scenario, instances.get(source), None),
                ClbSecurityGroupCheck(lb.name, lb.security_groups),
                ListenerCheck(lb.name),
            )
            graph.add_edge(source, lb.name, key=Link.TO_VIP, link=Link.TO_VIP, checkpoints=checks)
            continue
        node = target.name
        if target.kind is TargetKind.ADDRESS:
            node = address_node(target.name)
            graph.add_node(node, role=Role.ADDRESS, address=target.address)
        destination = instances.get(node)
        checks = (
            *_egress(scenario, instances.get(source), destination),
            *_ingress(scenario, destination, source, instances),
        )
        graph.add_edge(source, node, key=Link.DIRECT, link=Link.DIRECT, checkpoints=checks)
    return graph


def _add_backend_edges(
    graph: Graph,
    scenario: Scenario,
    lb: LoadBalancer,
    listener: Listener,
    backend: Backend,
    instance: Instance,
) -> None:
    acl = scenario.acl_of(instance.subnet)
    acl_checks = (AclCheck(instance.name, acl.name, Direction.INBOUND),) if acl else ()
    bypass = lb.name if lb.bypass_backend_security_groups else None
    forward = (
        LoopbackCheck(instance.name),
        *acl_checks,
        SecurityGroupCheck(
            instance.name, instance.security_groups, Direction.INBOUND, bypassed_by=bypass
        ),
        ServiceCheck(instance.name),
    )
    graph.add_edge(
        lb.name,
        instance.name,
        key=forward_key(listener, backend),
        link=Link.FORWARD,
        listener=listener,
        backend=backend,
        checkpoints=forward,
    )
    probe = (
        *acl_checks,
        SecurityGroupCheck(
            instance.name,
            instance.security_groups,
            Direction.INBOUND,
            bypassed_by=bypass,
            implicit=health_source(lb, listener).allowance,
        ),
        ServiceCheck(instance.name),
    )
    graph.add_edge(
        checker_node(lb.name),
        instance.name,
        key=probe_key(listener, backend),
        link=Link.PROBE,
        listener=listener,
        backend=backend,
        checkpoints=probe,
    )


def _egress(
    scenario: Scenario, source: Instance | None, target: Instance | None
) -> Iterator[Check]:
    """What the first packet meets leaving ``source`` (§4.1): its groups, its ACL."""
    if source is None:
        return
    yield SecurityGroupCheck(source.name, source.security_groups, Direction.OUTBOUND)
    acl = scenario.acl_of(source.subnet)
    if acl is not None and (target is None or target.subnet != source.subnet):
        yield AclCheck(source.name, acl.name, Direction.OUTBOUND)


def _ingress(
    scenario: Scenario, target: Instance | None, source: str, instances: dict[str, Instance]
) -> Iterator[Check]:
    """What the first packet meets entering ``target``: its ACL, its groups, its service."""
    if target is None:
        return
    acl = scenario.acl_of(target.subnet)
    origin = instances.get(source)
    if acl is not None and (origin is None or origin.subnet != target.subnet):
        yield AclCheck(target.name, acl.name, Direction.INBOUND)
    yield SecurityGroupCheck(target.name, target.security_groups, Direction.INBOUND)
    yield ServiceCheck(target.name)
