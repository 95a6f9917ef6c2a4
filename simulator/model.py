"""Stage 1, the model: frozen values every later stage shares.

Nothing here parses or decides; these are the nouns of docs/semantics.md.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Classic private CLBs bought before this day SNAT clients to the VIP (§3.3, §3.5).
CLASSIC_CUTOVER = date(2016, 12, 5)
#: Default source port of a simulated connection (§2.5).
DEFAULT_SOURCE_PORT = 50000
#: Where Tencent's probers come from, by setting (§3.5).
CGNAT_PROBERS = ipaddress.ip_network("100.64.0.0/10")
CLASSIC_PROBERS = ipaddress.ip_network("169.254.128.0/17")
#: Where a layer-7 listener with persistent backend connections comes from (§3.3).
PERSISTENT_SOURCES = ipaddress.ip_network("100.127.0.0/16")


def host_network(address: Address) -> Network:
    """One address as a network of one (a /32 or a /128)."""
    return ipaddress.ip_network(address)


class Protocol(StrEnum):
    """An IP protocol of a rule or a packet; ``ALL`` only in rules."""

    TCP = "TCP"
    UDP = "UDP"
    ICMP = "ICMP"
    ICMPV6 = "ICMPv6"
    GRE = "GRE"
    ALL = "ALL"

    @property
    def has_ports(self) -> bool:
        return self in (Protocol.TCP, Protocol.UDP)


class Action(StrEnum):
    ACCEPT = "ACCEPT"
    DROP = "DROP"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    PARTIAL = "partial"


class Health(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class Decision(StrEnum):
    """What one checkpoint did with a packet."""

    ACCEPT = "ACCEPT"
    DROP = "DROP"
    BYPASS = "BYPASS"
    IMPLICIT = "IMPLICIT"

    @property
    def passes(self) -> bool:
        return self is not Decision.DROP


class Checkpoint(StrEnum):
    SECURITY_GROUP = "security_group"
    CLB_SECURITY_GROUP = "clb_security_group"
    NETWORK_ACL = "network_acl"
    LISTENER = "listener"
    LOOPBACK = "loopback"
    SERVICE = "service"


class Leg(StrEnum):
    """Whether a hop belongs to the first packet or to its reply."""

    REQUEST = "request"
    REPLY = "reply"


class ListenerProtocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    TCP_SSL = "TCP_SSL"
    QUIC = "QUIC"
    HTTP = "HTTP"
    HTTPS = "HTTPS"

    @property
    def transport(self) -> Protocol:
        """The IP protocol a client uses to reach this listener."""
        return (
            Protocol.UDP if self in (ListenerProtocol.UDP, ListenerProtocol.QUIC) else Protocol.TCP
        )

    @property
    def layer7(self) -> bool:
        return self in (ListenerProtocol.HTTP, ListenerProtocol.HTTPS)


class LoadBalancerType(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class NetworkType(StrEnum):
    VPC = "vpc"
    BASIC = "basic"


class HealthSource(StrEnum):
    """The ``health_check.source`` setting of a listener."""

    AUTO = "auto"
    VIP = "vip"
    CGNAT = "100.64.0.0/10"


class HealthProtocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"

    @property
    def transport(self) -> Protocol:
        return Protocol.UDP if self is HealthProtocol.UDP else Protocol.TCP


@dataclass(frozen=True, slots=True, order=True)
class PortRange:
    """An inclusive range of ports; ``PortRange.all()`` is 0-65535."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high <= 65535:
            raise ValueError(f"bad port range {self.low}-{self.high}")

    @classmethod
    def all(cls) -> PortRange:
        return cls(0, 65535)

    @property
    def is_all(self) -> bool:
        return self.low == 0 and self.high == 65535

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.low <= port <= self.high

    def __str__(self) -> str:
        if self.is_all:
            return "ALL"
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One security-group or network-ACL rule, with the text it was written as."""

    action: Action
    protocol: Protocol
    ports: tuple[PortRange, ...]
    peers: tuple[Network, ...]
    text: str
    description: str = ""
    line: int = 0

    def matches_protocol(self, protocol: Protocol) -> bool:
        return self.protocol is Protocol.ALL or self.protocol is protocol

    def matches_port(self, port: int | None) -> bool:
        if port is None:
            return True
        return any(port in r for r in self.ports)


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    name: str
    inbound: tuple[Rule, ...] = ()
    outbound: tuple[Rule, ...] = ()
    line: int = 0

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.inbound if direction is Direction.INBOUND else self.outbound


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    name: str
    subnets: tuple[str, ...]
    inbound: tuple[Rule, ...] = ()
    outbound: tuple[Rule, ...] = ()
    line: int = 0

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.inbound if direction is Direction.INBOUND else self.outbound


@dataclass(frozen=True, slots=True)
class Client:
    """A host with no security group: somewhere on the internet or another network."""

    name: str
    ip: Address
    line: int = 0


@dataclass(frozen=True, slots=True)
class Instance:
    """A CVM: a backend of load balancers and/or the source of flows."""

    name: str
    ip: Address
    security_groups: tuple[str, ...]
    subnet: str | None = None
    running: bool = True
    line: int = 0


@dataclass(frozen=True, slots=True)
class Backend:
    instance: str
    port: int

    def __str__(self) -> str:
        return f"{self.instance}:{self.port}"


@dataclass(frozen=True, slots=True)
class HealthCheckSettings:
    enabled: bool = True
    source: HealthSource = HealthSource.AUTO
    protocol: HealthProtocol = HealthProtocol.TCP
    port: int | None = None


@dataclass(frozen=True, slots=True)
class Listener:
    protocol: ListenerProtocol
    port: int
    backends: tuple[Backend, ...]
    persistent_connections: bool = False
    health_check: HealthCheckSettings = field(default_factory=HealthCheckSettings)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.protocol}:{self.port}"


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    name: str
    type: LoadBalancerType
    vip: Address
    listeners: tuple[Listener, ...] = ()
    network: NetworkType = NetworkType.VPC
    classic: bool = False
    created: date | None = None
    security_groups: tuple[str, ...] = ()
    bypass_backend_security_groups: bool = False
    line: int = 0

    @property
    def classic_private(self) -> bool:
        return self.classic and self.type is LoadBalancerType.PRIVATE

    @property
    def snats_to_vip(self) -> bool:
        """A classic private CLB bought before 2016-12-05 hides clients behind its VIP."""
        return self.classic_private and self.created is not None and self.created < CLASSIC_CUTOVER


class TargetKind(StrEnum):
    LOAD_BALANCER = "load_balancer"
    INSTANCE = "instance"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a flow goes: a load balancer's port, an instance's port, or a bare address."""

    kind: TargetKind
    name: str
    port: int | None
    address: Address | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    source: str
    target: Target
    written_to: str
    protocol: Protocol | None = None
    src_port: int = DEFAULT_SOURCE_PORT
    name: str | None = None
    expect: Verdict | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class HealthExpectation:
    load_balancer: str
    listener: str
    backend: Backend
    expect: Health
    line: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    file: str
    title: str
    source: str | None = None
    notes: str | None = None
    clients: tuple[Client, ...] = ()
    instances: tuple[Instance, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    flows: tuple[Flow, ...] = ()
    health_checks: tuple[HealthExpectation, ...] = ()

    def instance(self, name: str) -> Instance:
        return next(i for i in self.instances if i.name == name)

    def load_balancer(self, name: str) -> LoadBalancer:
        return next(lb for lb in self.load_balancers if lb.name == name)

    def security_group(self, name: str) -> SecurityGroup:
        return next(g for g in self.security_groups if g.name == name)

    def network_acl(self, name: str) -> NetworkAcl:
        return next(a for a in self.network_acls if a.name == name)

    def acl_of(self, subnet: str | None) -> NetworkAcl | None:
        """The network ACL bound to ``subnet``, if any (at most one, §2.1)."""
        if subnet is None:
            return None
        return next((a for a in self.network_acls if subnet in a.subnets), None)

    def host_address(self, name: str) -> Address:
        for client in self.clients:
            if client.name == name:
                return client.ip
        return self.instance(name).ip
