"""A second, independent reading of docs/semantics.md, used only to check the simulator.

It is written from the specification alone and shares no decision code with ``simulator``: it
takes the loaded ``Scenario`` (the model's frozen values) and computes, in plain straight-line
code, the verdict of every flow and the status of every health check. Rules are read with one
first-match loop; the checkpoints of a path are visited in the order of §4.

Points where docs/semantics.md leaves a choice, and how this file reads them:

- §3.7: ``running: false`` fails every TCP and HTTP(S) check; a UDP check it fails only when the
  UDP probe reaches the stopped service (the "port unreachable" of Tencent's UDP page). Where a
  filter drops the probe, nothing comes back and the check passes on its ping alone: "a probe
  that a filter drops fails nothing" is read as more specific than "an instance marked
  running: false fails every check".
- §3.7: a flow to a stopped instance stops at ``service`` if it is TCP or UDP, the protocols a
  service listens on; a ping or GRE is answered by the instance itself, as a UDP check's ping is.
- §3.3: a classic private CLB bought before 2016-12-05 hides every client behind its VIP, also on
  a layer-7 listener with persistent connections (the VIP wins over 100.127.0.0/16). The source
  port is still the client's on layer 4 and 50000 on layer 7.
- §2.3: a CLB and its VIP are outside every subnet, so the leg client -> VIP always crosses the
  client's subnet boundary, and the leg CLB -> backend always crosses the backend's, even when
  the client and the backend share a subnet.
- §3.5: a health-check probe comes from source port 50000 (the port §2.5 gives a client; the
  shipped scenarios 14 and 19 say so). A classic private CLB in a basic network checks from
  an address its groups allow implicitly (both "the server's physical host" and
  "169.254.128.0/17" are implicit, and a basic network has no ACL, so the two readings agree).
- §3.1: a flow to a load balancer with a protocol that has no ports (ICMP, GRE) meets no
  listener and goes nowhere; a listener with no backends forwards nowhere (denied).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from simulator.model import (
    CGNAT_PROBERS,
    CLASSIC_CUTOVER,
    CLASSIC_PROBERS,
    PERSISTENT_SOURCES,
    Action,
    Backend,
    Direction,
    Flow,
    Health,
    HealthProtocol,
    HealthSource,
    Instance,
    Listener,
    LoadBalancer,
    LoadBalancerType,
    NetworkType,
    Protocol,
    Rule,
    Scenario,
    TargetKind,
    Verdict,
)

Net = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The source port a layer-7 CLB opens its own connection from (§3.3), and a prober's (§3.5).
CLB_SOURCE_PORT = 50000

#: (load balancer, listener key, backend instance, backend port)
HealthKey = tuple[str, str, str, int]


@dataclass(frozen=True)
class Outcomes:
    """The reference's answers: one verdict per flow, by position, and every health check."""

    flows: tuple[Verdict, ...]
    health: dict[HealthKey, Health]


@dataclass(frozen=True)
class Packet:
    """A connection's first packet. ``src`` may be a range of addresses (§3.6)."""

    protocol: Protocol
    src: Net
    dst: Net
    src_port: int | None
    dst_port: int | None

    def swapped(self) -> Packet:
        """The reply: addresses and ports swapped (§2.1)."""
        return Packet(self.protocol, self.dst, self.src, self.dst_port, self.src_port)


def one(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Net:
    return ipaddress.ip_network(address)


# -- first match (§1.3, §1.4, §2.2, §3.6) -----------------------------------------------------


def carve(pieces: list[Net], peer: Net) -> tuple[list[Net], list[Net]]:
    """Split ``pieces`` into the part inside ``peer`` and the part outside it."""
    inside: list[Net] = []
    outside: list[Net] = []
    for piece in pieces:
        if piece.version != peer.version:
            outside.append(piece)
        elif piece.subnet_of(peer):  # type: ignore[arg-type]
            inside.append(piece)
        elif peer.subnet_of(piece):  # type: ignore[arg-type]
            inside.append(peer)
            outside.extend(piece.address_exclude(peer))  # type: ignore[arg-type]
        else:
            outside.append(piece)
    return inside, outside


def rule_fits(rule: Rule, packet: Packet) -> bool:
    """Protocol and destination port: the fields other than the peer (§1.1, §1.2)."""
    if not rule.matches_protocol(packet.protocol):
        return False
    if rule.protocol in (Protocol.TCP, Protocol.UDP):
        return any(packet.dst_port in ports for ports in rule.ports)
    return True  # ALL, ICMP, ICMPv6 and GRE rules have no ports


def accepts(rules: list[Rule], packet: Packet, direction: Direction) -> bool:
    """First match over an ordered list; no match drops. A range passes only if whole (§3.6)."""
    peer_side = packet.src if direction is Direction.INBOUND else packet.dst
    undecided = [peer_side]
    for rule in rules:
        if not rule_fits(rule, packet):
            continue
        taken: list[Net] = []
        for peer in rule.peers:
            inside, undecided = carve(undecided, peer)
            taken.extend(inside)
        if taken and rule.action is Action.DROP:
            return False
        if not undecided:
            return True
    return False


# -- checkpoints ------------------------------------------------------------------------------


def groups_accept(
    scenario: Scenario, group_names: tuple[str, ...], packet: Packet, direction: Direction
) -> bool:
    """Several groups read as one list in binding order (§1.5); no group, no filter (§1.7)."""
    if not group_names:
        return True
    rules: list[Rule] = []
    for name in group_names:
        rules.extend(scenario.security_group(name).rules(direction))
    return accepts(rules, packet, direction)


def acl_accepts(
    scenario: Scenario, subnet: str | None, packet: Packet, direction: Direction
) -> bool:
    """The subnet's network ACL, if it has one (§2.1, §2.2)."""
    acl = scenario.acl_of(subnet)
    if acl is None:
        return True
    return accepts(list(acl.rules(direction)), packet, direction)


# -- load balancers ---------------------------------------------------------------------------


def flow_protocol(scenario: Scenario, flow: Flow) -> Protocol:
    """The flow's protocol, else the transport of the listener on its port, else TCP."""
    if flow.protocol is not None:
        return flow.protocol
    if flow.target.kind is TargetKind.LOAD_BALANCER:
        lb = scenario.load_balancer(flow.target.name)
        for listener in lb.listeners:
            if listener.port == flow.target.port:
                return listener.protocol.transport
    return Protocol.TCP


def find_listener(lb: LoadBalancer, port: int | None, protocol: Protocol) -> Listener | None:
    for listener in lb.listeners:
        if listener.port == port and listener.protocol.transport is protocol:
            return listener
    return None


def classic_before_cutover(lb: LoadBalancer) -> bool:
    return (
        lb.classic
        and lb.type is LoadBalancerType.PRIVATE
        and lb.created is not None
        and lb.created < CLASSIC_CUTOVER
    )


def check_source(lb: LoadBalancer, listener: Listener) -> tuple[Net | None, bool]:
    """(where the check comes from, whether groups allow it implicitly), §3.5.

    None stands for a basic network's physical host, which has no address sgsim knows.
    """
    setting = listener.health_check.source
    if setting is HealthSource.VIP:
        return one(lb.vip), False
    if setting is HealthSource.CGNAT:
        return CGNAT_PROBERS, True
    if lb.type is LoadBalancerType.PUBLIC:
        return one(lb.vip), False
    if lb.classic:
        if lb.network is NetworkType.BASIC:
            return None, True
        if classic_before_cutover(lb):
            return one(lb.vip), False
        return CLASSIC_PROBERS, True
    if lb.network is NetworkType.VPC:
        return one(lb.vip), False
    return None, True


def seen_source(
    lb: LoadBalancer, listener: Listener, client: Net, client_port: int | None
) -> tuple[Net, int | None]:
    """The source address and port a backend sees (§3.3)."""
    port = CLB_SOURCE_PORT if listener.protocol.layer7 else client_port
    if classic_before_cutover(lb):
        return one(lb.vip), port
    if listener.protocol.layer7 and listener.persistent_connections:
        return PERSISTENT_SOURCES, port
    return client, port


def health_status(
    scenario: Scenario, lb: LoadBalancer, listener: Listener, backend: Backend
) -> Health:
    """One listener's check of one backend (§3.5, §3.6, §3.7)."""
    settings = listener.health_check
    if not settings.enabled:
        return Health.HEALTHY
    instance = scenario.instance(backend.instance)
    source, implicit = check_source(lb, listener)
    port = settings.port if settings.port is not None else backend.port
    groups_apply = not implicit and not lb.bypass_backend_security_groups

    def arrives(protocol: Protocol, src_port: int | None, dst_port: int | None) -> bool:
        """The probe passes the backend subnet's ACL and the backend's groups inbound."""
        if source is None:
            # A basic network's physical host: allowed implicitly, and there is no ACL.
            if scenario.acl_of(instance.subnet) is not None:
                raise ValueError(f"{lb.name}: a basic-network check source meets a network ACL")
            return True
        probe = Packet(protocol, source, one(instance.ip), src_port, dst_port)
        if not acl_accepts(scenario, instance.subnet, probe, Direction.INBOUND):
            return False
        return not groups_apply or groups_accept(
            scenario, instance.security_groups, probe, Direction.INBOUND
        )

    def answered(protocol: Protocol, src_port: int | None, dst_port: int | None) -> bool:
        """The probe arrives and its reply (passed by the groups' state) leaves the ACL."""
        if not arrives(protocol, src_port, dst_port):
            return False
        if source is None:
            return True
        reply = Packet(protocol, one(instance.ip), source, dst_port, src_port)
        return acl_accepts(scenario, instance.subnet, reply, Direction.OUTBOUND)

    if settings.protocol is HealthProtocol.UDP:
        # A ping both ways; then the UDP probe fails the check only by reaching a stopped
        # service, which answers "port unreachable". A probe a filter drops fails nothing.
        ping = Protocol.ICMP if instance.ip.version == 4 else Protocol.ICMPV6
        if not answered(ping, None, None):
            return Health.UNHEALTHY
        if not instance.running and arrives(Protocol.UDP, CLB_SOURCE_PORT, port):
            return Health.UNHEALTHY
        return Health.HEALTHY
    # TCP, HTTP and HTTPS checks: a TCP connection to the port, both ways, and a service.
    if not answered(Protocol.TCP, CLB_SOURCE_PORT, port):
        return Health.UNHEALTHY
    if not instance.running:
        return Health.UNHEALTHY
    return Health.HEALTHY


def all_health(scenario: Scenario) -> dict[HealthKey, Health]:
    health: dict[HealthKey, Health] = {}
    for lb in scenario.load_balancers:
        for listener in lb.listeners:
            for backend in listener.backends:
                key = (lb.name, listener.key, backend.instance, backend.port)
                health[key] = health_status(scenario, lb, listener, backend)
    return health


# -- flows ------------------------------------------------------------------------------------


def source_instance(scenario: Scenario, name: str) -> Instance | None:
    for instance in scenario.instances:
        if instance.name == name:
            return instance
    return None


def verdict_of(paths: list[bool]) -> Verdict:
    if paths and all(paths):
        return Verdict.ALLOWED
    if any(paths):
        return Verdict.PARTIAL
    return Verdict.DENIED


def through_load_balancer(
    scenario: Scenario, flow: Flow, health: dict[HealthKey, Health]
) -> Verdict:
    """§4: source side, the CLB, then one path per backend the CLB may pick."""
    lb = scenario.load_balancer(flow.target.name)
    protocol = flow_protocol(scenario, flow)
    client_ip = scenario.host_address(flow.source)
    client = source_instance(scenario, flow.source)
    ported = protocol.has_ports
    src_port = flow.src_port if ported else None
    dst_port = flow.target.port if ported else None
    request = Packet(protocol, one(client_ip), one(lb.vip), src_port, dst_port)

    # 1. The source instance's outbound groups and its subnet's ACL (the VIP is outside it).
    if client is not None:
        if not groups_accept(scenario, client.security_groups, request, Direction.OUTBOUND):
            return Verdict.DENIED
        if not acl_accepts(scenario, client.subnet, request, Direction.OUTBOUND):
            return Verdict.DENIED

    # 2. The CLB's own groups on the listener port, then a listener on that port.
    if not groups_accept(scenario, lb.security_groups, request, Direction.INBOUND):
        return Verdict.DENIED
    listener = find_listener(lb, dst_port, protocol)
    if listener is None:
        return Verdict.DENIED

    # 3. The backends the CLB may pick (§3.8): the healthy ones, or all when none is.
    backends = list(listener.backends)
    healthy = [
        b for b in backends if health[(lb.name, listener.key, b.instance, b.port)] is Health.HEALTHY
    ]
    picked = healthy or backends

    # 4 (client side). The reply VIP -> client, read again by the client's subnet ACL.
    client_reply_ok = client is None or acl_accepts(
        scenario, client.subnet, request.swapped(), Direction.INBOUND
    )

    paths = [
        backend_path(scenario, lb, listener, backend, client, client_ip, request)
        and client_reply_ok
        for backend in picked
    ]
    return verdict_of(paths)


def backend_path(
    scenario: Scenario,
    lb: LoadBalancer,
    listener: Listener,
    backend: Backend,
    client: Instance | None,
    client_ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    request: Packet,
) -> bool:
    """§4 step 3 for one backend, and the reply on the backend's side."""
    instance = scenario.instance(backend.instance)
    seen, seen_port = seen_source(lb, listener, one(client_ip), request.src_port)
    leg = Packet(request.protocol, seen, one(instance.ip), seen_port, backend.port)
    # The backend subnet's ACL inbound: the CLB is outside every subnet (§2.3, §2.4).
    if not acl_accepts(scenario, instance.subnet, leg, Direction.INBOUND):
        return False
    # The backend's groups inbound, unless the CLB bypasses them (§3.4).
    if not lb.bypass_backend_security_groups and not groups_accept(
        scenario, instance.security_groups, leg, Direction.INBOUND
    ):
        return False
    # Loopback: the instance's own connection, sent back to it with its own address (§3.10).
    if client is not None and instance.name == client.name and seen == one(client_ip):
        return False
    # The service (§3.7).
    if not instance.running:
        return False
    # The reply: the groups pass it by state; the stateless ACL reads it swapped (§2.1).
    return acl_accepts(scenario, instance.subnet, leg.swapped(), Direction.OUTBOUND)


def straight(scenario: Scenario, flow: Flow) -> Verdict:
    """A flow to an instance or a bare address: one path (§4, last line)."""
    protocol = flow_protocol(scenario, flow)
    client_ip = scenario.host_address(flow.source)
    client = source_instance(scenario, flow.source)
    ported = protocol.has_ports
    src_port = flow.src_port if ported else None
    dst_port = flow.target.port if ported else None
    destination: Instance | None = None
    if flow.target.kind is TargetKind.INSTANCE:
        destination = scenario.instance(flow.target.name)
        address = destination.ip
    else:
        assert flow.target.address is not None
        address = flow.target.address
    request = Packet(protocol, one(client_ip), one(address), src_port, dst_port)
    reply = request.swapped()

    # ACLs filter only traffic that crosses a subnet's boundary (§2.3).
    same_subnet = (
        client is not None
        and destination is not None
        and client.subnet is not None
        and client.subnet == destination.subnet
    )
    client_subnet = None if client is None or same_subnet else client.subnet
    dest_subnet = None if destination is None or same_subnet else destination.subnet

    if client is not None and not groups_accept(
        scenario, client.security_groups, request, Direction.OUTBOUND
    ):
        return Verdict.DENIED
    if not acl_accepts(scenario, client_subnet, request, Direction.OUTBOUND):
        return Verdict.DENIED
    if destination is not None:
        if not acl_accepts(scenario, dest_subnet, request, Direction.INBOUND):
            return Verdict.DENIED
        if not groups_accept(scenario, destination.security_groups, request, Direction.INBOUND):
            return Verdict.DENIED
        if not destination.running and ported:
            return Verdict.DENIED
        if not acl_accepts(scenario, dest_subnet, reply, Direction.OUTBOUND):
            return Verdict.DENIED
    if not acl_accepts(scenario, client_subnet, reply, Direction.INBOUND):
        return Verdict.DENIED
    return Verdict.ALLOWED


def reference(scenario: Scenario) -> Outcomes:
    """Every flow's verdict, by position, and every health check's status."""
    health = all_health(scenario)
    verdicts: list[Verdict] = []
    for flow in scenario.flows:
        if flow.target.kind is TargetKind.LOAD_BALANCER:
            verdicts.append(through_load_balancer(scenario, flow, health))
        else:
            verdicts.append(straight(scenario, flow))
    return Outcomes(tuple(verdicts), health)
