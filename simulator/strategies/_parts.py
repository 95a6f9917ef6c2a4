"""The parts of a drawn scenario other than rules: hosts, load balancers, flows.

Every part comes from a small address plan (instances 10.0.1.11, 10.0.2.12...; clients
203.0.113.10...; VIPs 119.28.10.10...; and the same in 2001:db8::/32 for IPv6), so drawn
scenarios read like the shipped ones. Every choice shrinks to its first, simplest value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from hypothesis import strategies as st

from ._plan import BalancerPlan, FlowPlan, HostPlan, ListenerPlan, Settings

T = TypeVar("T")
MAX_CLIENTS = 2
MAX_BALANCERS = 2
MAX_LISTENERS = 3
MAX_BACKENDS = 3
MAX_FLOWS = 4
#: More instances than this would run out of the address plan's last byte.
INSTANCE_CEILING = 50

LISTENER_PROTOCOLS = ("TCP", "HTTP", "UDP", "HTTPS", "TCP_SSL", "QUIC")
UDP_LISTENERS = ("UDP", "QUIC")
LISTENER_PORTS = (80, 443, 8080, 53)
BACKEND_PORTS = (8080, 80, 443, 53)
NO_LISTENER_PORT = 8443
#: Stopped services, classic and basic-network CLBs, structured rules: one in this many.
RARELY = 4
_ONE_IN_RARELY = st.integers(0, RARELY - 1)
CHECK_PORT = 9000
#: The address plan, by family: every host, VIP and network a drawn scenario uses.
CLIENT_IPS = {
    4: ("203.0.113.10", "198.51.100.20"),
    6: ("2001:db8:100::10", "2001:db8:100::20"),
}
VIPS = {
    (4, "public"): ("119.28.10.10", "119.28.20.20"),
    (4, "private"): ("10.0.0.100", "10.0.0.200"),
    (6, "public"): ("2001:db8:200::10", "2001:db8:200::20"),
    (6, "private"): ("2001:db8::100", "2001:db8::200"),
}
ELSEWHERE = {4: "198.51.100.99", 6: "2001:db8:300::99"}
ANYWHERE = {4: "0.0.0.0/0", 6: "::/0"}
WIDE = {
    4: ("10.0.0.0/8", "203.0.113.0/24", "100.64.0.0/10", "100.127.0.0/16", "169.254.128.0/17"),
    6: ("2001:db8::/32", "2001:db8:100::/64", "0.0.0.0/0"),
}
ICMP = {4: "ICMP", 6: "ICMPv6"}


def instance_ip(version: int, subnet: int, index: int) -> str:
    block = max(subnet, 1)
    if version == 4:
        return f"10.0.{block}.{11 + index}"
    return f"2001:db8:{block}::{11 + index}"


def subnet_cidr(version: int, subnet: int) -> str:
    return f"10.0.{subnet}.0/24" if version == 4 else f"2001:db8:{subnet}::/64"


@dataclass(frozen=True, slots=True)
class Options:
    """The arguments of ``scenario_texts``, checked."""

    min_instances: int
    max_instances: int
    load_balancers: bool
    network_acls: bool
    health_checks: bool
    families: tuple[int, ...]
    max_groups: int
    max_rules: int
    flows: bool


@dataclass
class Drawn:
    """What has been drawn so far, which later parts may name.

    Security groups are drawn after the instances and load balancers that bind them, so that
    removing a group while shrinking removes its rules with it: until then a binding, or a
    rule's peer, names a group by its place in the list (an int), resolved by ``bound``.
    """

    version: int
    instances: list[HostPlan] = field(default_factory=list)
    clients: list[HostPlan] = field(default_factory=list)
    acl_subnets: list[str] = field(default_factory=list)
    balancers: list[BalancerPlan] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def ports(self) -> list[int]:
        """Every listener and backend port, in the order first used."""
        found: dict[int, None] = {}
        for lb in self.balancers:
            for listener in lb.listeners:
                found[listener.port] = None
                for backend in listener.backends:
                    found[int(backend.rpartition(":")[2])] = None
        return list(found)

    def bound(self, places: tuple[int, ...]) -> tuple[str, ...]:
        """The groups at ``places`` that exist, in binding order."""
        return tuple(self.groups[k] for k in places if k < len(self.groups))


def subnet_name(index: int) -> str | None:
    return f"subnet-{index}" if index else None


def instance_specs(options: Options) -> st.SearchStrategy[tuple[int, tuple[int, ...], bool]]:
    """(subnet number or 0 for none, the places of its groups in binding order, running)."""
    return st.tuples(
        st.integers(0, 2) if options.network_acls else st.just(0),
        places(options.max_groups, options.max_groups),
        _ONE_IN_RARELY.map(lambda stopped: stopped != RARELY - 1),
    )


def places(groups: int, most: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Up to ``most`` places of security groups, each once, in binding order."""
    if not groups:
        return st.just(())
    return st.lists(st.integers(0, groups - 1), max_size=most).map(lambda ks: tuple(once(ks)))


def once(items: Iterable[T], key: Callable[[T], Hashable] = lambda item: item) -> list[T]:
    """``items`` without the later ones whose ``key`` came before.

    Lists drawn this way and then thinned never fail: ``st.lists(unique=True)`` gives up on a
    drawing that meets the same value several times in a row, which small pools make common.
    """
    seen: set[Hashable] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


@st.composite
def balancer_heads(
    draw: st.DrawFn, drawn: Drawn, options: Options
) -> tuple[BalancerPlan, tuple[int, ...]]:
    """A load balancer without its name, VIP and groups, which depend on its place in the
    list and on the groups drawn later; and the places of those groups."""
    private = draw(st.booleans())
    classic = drawn.version == 4 and now_and_then(draw)
    basic = bool(forwards_to(drawn, basic=True)) and now_and_then(draw)
    refuses_groups = (classic or basic) and private  # §3.2
    backends = forwards_to(drawn, basic=basic)
    listeners = st.lists(
        _listeners(drawn.version, backends, options.health_checks),
        min_size=1,
        max_size=MAX_LISTENERS,
    )
    lb = BalancerPlan(
        name="",
        type="private" if private else "public",
        vip="",
        # a transport's port serves one listener (§3.1)
        listeners=tuple(
            once(draw(listeners), key=lambda li: (li.protocol in UDP_LISTENERS, li.port))
        ),
        basic=basic,
        classic=classic,
        created=draw(st.sampled_from([None, "2016-01-01", "2018-06-01"])) if classic else None,
        bypass=not (basic or (classic and private)) and draw(st.booleans()),  # §3.4
    )
    return lb, () if refuses_groups else draw(places(options.max_groups, 2))


def forwards_to(drawn: Drawn, *, basic: bool) -> list[str]:
    """The instances a load balancer may forward to: in a basic network, those outside the
    subnets with an ACL (there is no ACL in a basic network, §2)."""
    return [i.name for i in drawn.instances if not basic or i.subnet not in drawn.acl_subnets]


def now_and_then(draw: st.DrawFn) -> bool:
    """True once in ``RARELY`` draws, for what a scenario has less often; shrinks to False."""
    return draw(_ONE_IN_RARELY) == RARELY - 1


def named(lb: BalancerPlan, index: int, version: int) -> BalancerPlan:
    return replace(lb, name=f"clb-{index + 1}", vip=VIPS[version, lb.type][index])


@st.composite
def _listeners(
    draw: st.DrawFn, version: int, instances: list[str], health_checks: bool
) -> ListenerPlan:
    protocol = draw(_LISTENER_PROTOCOLS)
    port = draw(_LISTENER_PORTS)
    pairs = st.tuples(st.sampled_from(instances), _BACKEND_PORTS)
    backends = once(draw(st.lists(pairs, min_size=1, max_size=MAX_BACKENDS)))
    layer7 = protocol in ("HTTP", "HTTPS")
    persistent = layer7 and version == 4 and draw(st.booleans())  # §3.3, IPv4 sources only
    health = draw(_HEALTH_SETTINGS[version]) if health_checks else ()
    return ListenerPlan(protocol, port, tuple(f"{i}:{p}" for i, p in backends), persistent, health)


def _health_settings(version: int) -> list[Settings]:
    """A listener's ``health_check``: the default first, then a port, a source, and so on."""
    choices: list[Settings] = [
        (),
        (("port", CHECK_PORT),),
        (("source", "vip"),),
        (("enabled", False),),
        (("protocol", "HTTP"),),
        (("source", "vip"), ("port", BACKEND_PORTS[0])),
    ]
    if version == 4:  # 100.64.0.0/10 is an IPv4 range
        choices.insert(3, (("source", "100.64.0.0/10"),))
    return choices


_LISTENER_PROTOCOLS = st.sampled_from(LISTENER_PROTOCOLS)
_LISTENER_PORTS = st.sampled_from(LISTENER_PORTS)
_BACKEND_PORTS = st.sampled_from(BACKEND_PORTS)
_HEALTH_SETTINGS = {v: st.sampled_from(_health_settings(v)) for v in (4, 6)}
_SOURCE_PORTS = st.sampled_from([None, 40000, 1024])


@st.composite
def flow_plans(draw: st.DrawFn, drawn: Drawn) -> FlowPlan:
    """A flow from a client or an instance to a listener, an instance's port or an address."""
    sources = [h.name for h in (*drawn.clients, *drawn.instances)]
    source = draw(st.sampled_from(sources))
    others = [i.name for i in drawn.instances if i.name != source]
    kinds = [k for k, ok in (("lb", drawn.balancers), ("instance", others)) if ok]
    kind = draw(st.sampled_from([*kinds, "address"]))
    name = "" if draw(st.booleans()) else None  # named after its place, at the end
    src_port = draw(_SOURCE_PORTS)
    if kind == "lb":
        return _balancer_flow(draw, drawn, source, name, src_port)
    head = draw(st.sampled_from(others)) if kind == "instance" else ELSEWHERE[drawn.version]
    port = draw(st.sampled_from([*(drawn.ports() or [80]), 22]))
    protocol = draw(st.sampled_from([None, "TCP", "UDP", ICMP[drawn.version], "GRE"]))
    if protocol in (None, "TCP", "UDP"):
        to = f"[{head}]:{port}" if ":" in head else f"{head}:{port}"
        return FlowPlan(source, to, protocol, src_port, name)
    return FlowPlan(source, head, protocol, None, name)


def _balancer_flow(
    draw: st.DrawFn, drawn: Drawn, source: str, name: str | None, src_port: int | None
) -> FlowPlan:
    """A flow to a listener, or to a port of the VIP with no listener."""
    targets: list[tuple[str, int, str | None]] = []
    for lb in drawn.balancers:
        for listener in lb.listeners:
            udp = listener.protocol in UDP_LISTENERS
            targets.append((lb.name, listener.port, "UDP" if udp else "TCP"))
        targets.append((lb.name, NO_LISTENER_PORT, None))
    lb_name, port, transport = draw(st.sampled_from(targets))
    lb = next(b for b in drawn.balancers if b.name == lb_name)
    on_port = {li.protocol in UDP_LISTENERS for li in lb.listeners if li.port == port}
    if len(on_port) > 1:  # TCP and UDP listeners share the port: the flow must say which
        protocol: str | None = transport
    else:
        protocol = draw(st.sampled_from([None, transport or "TCP"]))
    return FlowPlan(source, f"{lb_name}:{port}", protocol, src_port, name)
