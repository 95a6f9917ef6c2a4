"""Flow logs, traffic from a load balancer: the records a CLB's own addresses give away.

A flow log records an instance's network interface, not the load balancer in front of it, so
a record cannot be followed through a listener as the simulator follows a flow. But some
records say by their source which CLB sent them, and there the backend's security groups
treat them as the simulator's probe and forward paths do (``topology``):

- **Health checks from an implicit range** (100.64.0.0/10, 169.254.128.0/17: the prober
  ``health_source`` gives the listener): to the check's port (its own, else the backend's)
  with the check's protocol, TCP for TCP and HTTP checks, UDP and ICMP for a UDP check
  (§3.7), they are allowed implicitly (§3.5).
- **Traffic from a CLB's VIP** to one of its backends, at a backend port (the listener's
  protocol) or a check port (the check's): where the CLB bypasses backend groups, they are not
  evaluated (§3.4). A bypassing CLB's checks from an implicit range are named as bypassed,
  as the simulator names them.

Each is an ``Allowance``: what a record must be (a rule's protocol, port and peer) to be
let through the groups of one instance, in one direction. A reply is decided by its request
(``replay``), so an allowance of the probe covers the backend's answer; ICMP, decided packet by
packet, is allowed both ways. The subnet's network ACL is not touched: it is never bypassed
(§2.4). Checks from the physical host (private CLBs of a basic network) come from an address
no record can be recognised by, and client traffic a CLB relays with the client's address
kept looks like traffic straight to the instance: neither is an allowance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import (
    Action,
    Backend,
    Decision,
    Direction,
    Listener,
    LoadBalancer,
    Network,
    PortRange,
    Protocol,
    Rule,
    Scenario,
    host_network,
)
from ..topology import health_source

#: The section of docs/semantics.md behind each kind of allowance.
SECTIONS = {Decision.IMPLICIT: "§3.5", Decision.BYPASS: "§3.4"}


@dataclass(frozen=True, slots=True)
class Allowance:
    """Records matching ``rule`` pass the groups of ``instance`` in ``direction`` without
    reading them: ``decision`` IMPLICIT or BYPASS, ``reason`` worded as the simulator's trace
    words it (its section aside)."""

    instance: str
    direction: Direction
    decision: Decision
    reason: str
    rule: Rule


def allowances(scenario: Scenario) -> list[Allowance]:
    """Every allowance of the scenario's load balancers, in the file's order: load balancer,
    listener, backend; a listener's health checks before its VIP's traffic."""
    return [
        allowance
        for lb in scenario.load_balancers
        for listener in lb.listeners
        for backend in listener.backends
        for allowance in _of_backend(lb, listener, backend)
    ]


def _of_backend(lb: LoadBalancer, listener: Listener, backend: Backend) -> Iterator[Allowance]:
    bypass = lb.bypass_backend_security_groups
    bypassed = (Decision.BYPASS, f"bypassed by {lb.name}")
    check = listener.health_check
    source = health_source(lb, listener)
    if check.enabled and source.network is not None and (source.implicit or bypass):
        decision, reason = bypassed if bypass else (Decision.IMPLICIT, str(source.allowance))
        yield from _probe(backend, decision, reason, source.network, listener)
    if bypass:
        vip = host_network(lb.vip)
        protocol = listener.protocol.transport
        yield _allowance(backend, Direction.INBOUND, *bypassed, protocol, backend.port, vip)
        if check.enabled and source.network != vip:
            yield from _probe(backend, *bypassed, vip, listener)


def _probe(
    backend: Backend, decision: Decision, reason: str, prober: Network, listener: Listener
) -> Iterator[Allowance]:
    """A health check from ``prober``: its protocol to its port, and for a UDP check the
    ping that goes with it, and the ping's answer (§3.7)."""
    check = listener.health_check
    protocol = check.protocol.transport
    port = check.port or backend.port
    yield _allowance(backend, Direction.INBOUND, decision, reason, protocol, port, prober)
    if protocol is Protocol.UDP:
        icmp = Protocol.ICMP if prober.version == 4 else Protocol.ICMPV6
        for direction in (Direction.INBOUND, Direction.OUTBOUND):
            yield _allowance(backend, direction, decision, reason, icmp, None, prober)


def _allowance(
    backend: Backend,
    direction: Direction,
    decision: Decision,
    reason: str,
    protocol: Protocol,
    port: int | None,
    peer: Network,
) -> Allowance:
    ports = (PortRange.all(),) if port is None else (PortRange(port, port),)
    shown = f"{peer} + {protocol}" + ("" if port is None else f":{port}")
    rule = Rule(Action.ACCEPT, protocol, ports, (peer,), shown)
    return Allowance(backend.instance, direction, decision, reason, rule)
