"""Rules and security groups as the model holds them, each rule with its seed notation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..model import Action, Network, PortRange, Protocol, Rule, SecurityGroup
from ..scenario_base import NAME
from . import _validation as check
from ._values import networks, port_ranges

#: Rule protocols, simplest first; ICMP belongs to IPv4 and ICMPv6 to IPv6 (§1.1).
RULE_PROTOCOLS = (
    Protocol.TCP, Protocol.UDP, Protocol.ALL, Protocol.ICMP, Protocol.ICMPV6, Protocol.GRE,
)  # fmt: skip
ICMP_OF = {4: Protocol.ICMP, 6: Protocol.ICMPV6}
GROUP_NAMES = ("sg-web", "sg-app", "sg-db", "sg-admin")
ALL_PORTS = (PortRange.all(),)
_ONE_IN_FOUR = st.integers(0, 3)


def rules(
    *,
    family: int | None = None,
    protocols: Iterable[Protocol | str] | None = None,
    actions: Iterable[Action | str] | None = None,
    peers: st.SearchStrategy[Network] | Sequence[Network | str] | None = None,
) -> st.SearchStrategy[Rule]:
    """Security-group and network-ACL rules whose ``text`` is their seed notation.

    ``protocols`` and ``actions`` are what to draw from, the first preferred when shrinking
    (by default every protocol, without ICMPv6 for ``family=4`` or ICMP for ``family=6``, and
    ACCEPT then DROP). ``peers`` is a strategy of networks or a list of networks (or their
    text) to draw each rule's peer from; by default ``networks(family=family)``. TCP and UDP
    rules get one to three port ranges, or every port.
    """
    versions = check.families(family)
    chosen = _protocols(protocols, versions)
    verdicts = [
        _action(a) for a in check.non_empty(list(Action) if actions is None else actions, "actions")
    ]
    peer_strategy = _peers(peers, family, versions)
    port_lists = st.lists(port_ranges(), min_size=1, max_size=3)
    protocol_choices, action_choices = st.sampled_from(chosen), st.sampled_from(verdicts)

    @st.composite
    def draw_rule(draw: st.DrawFn) -> Rule:
        protocol = draw(protocol_choices)
        # drawn whatever the protocol, so that no protocol shrinks better for drawing less
        ranges = draw(port_lists)
        every_port = draw(_ONE_IN_FOUR) == 3
        ports: tuple[PortRange, ...] = ALL_PORTS
        if protocol.has_ports and not every_port:
            ports = tuple(sorted(set(ranges)))
        peer = draw(peer_strategy)
        action = draw(action_choices)
        text = seed_text(peer, protocol, ports, action)
        return Rule(action, protocol, ports, (peer,), text=text)

    return draw_rule()


def security_groups(
    *,
    min_size: int = 0,
    max_size: int | None = None,
    names: st.SearchStrategy[str] | None = None,
    family: int | None = None,
    rules: st.SearchStrategy[Rule] | None = None,
) -> st.SearchStrategy[SecurityGroup]:
    """Security groups with between ``min_size`` and ``max_size`` rules in each direction
    (``max_size`` defaults to ``min_size + 3``).

    ``names`` draws the group's name (by default one of sg-web, sg-app, sg-db, sg-admin);
    ``rules`` draws each rule (by default ``rules(family=family)``).
    """
    low = check.integer(min_size, "min_size", 0, 10_000)
    high = low + 3 if max_size is None else check.integer(max_size, "max_size", 0, 10_000)
    if low > high:
        raise InvalidArgument(f"min_size={low} must be at most max_size={high}")
    if rules is not None and family is not None:
        raise InvalidArgument(
            "give family or rules, not both: family only shapes the default rules"
        )
    check.families(family)
    name_strategy = st.sampled_from(GROUP_NAMES) if names is None else names
    check.strategy(name_strategy, "names")
    rule_strategy = _default_rules(family) if rules is None else rules
    check.strategy(rule_strategy, "rules")

    rule_lists = st.lists(rule_strategy, min_size=low, max_size=high)

    @st.composite
    def draw_group(draw: st.DrawFn) -> SecurityGroup:
        name = draw(name_strategy)
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise InvalidArgument(
                f"names drew {name!r}, not a valid name: use letters, digits, '.', '_' or '-'"
            )
        inbound = draw(rule_lists)
        outbound = draw(rule_lists)
        return SecurityGroup(name, tuple(inbound), tuple(outbound))

    return draw_group()


def seed_text(
    peer: Network, protocol: Protocol, ports: tuple[PortRange, ...], action: Action
) -> str:
    """``PEER + PORTS ACTION``, as a person writes it: bare ports for TCP, a host's address
    without its /32."""
    single = peer.prefixlen == peer.max_prefixlen
    peer_text = str(peer.network_address) if single else str(peer)
    if ports == ALL_PORTS:
        service = f"{protocol}:ALL" if protocol.has_ports else str(protocol)
    else:
        listed = ",".join(str(r) for r in ports)
        service = listed if protocol is Protocol.TCP else f"{protocol}:{listed}"
    return f"{peer_text} + {service} {'allow' if action is Action.ACCEPT else 'drop'}"


def _protocols(given: Iterable[Protocol | str] | None, versions: tuple[int, ...]) -> list[Protocol]:
    if given is None:
        foreign = {ICMP_OF[v] for v in (4, 6) if v not in versions}
        return [p for p in RULE_PROTOCOLS if p not in foreign]
    return [_protocol(p, "protocols") for p in check.non_empty(given, "protocols")]


def _protocol(value: object, name: str) -> Protocol:
    if isinstance(value, Protocol):
        return value
    if isinstance(value, str):
        for protocol in Protocol:
            if protocol.value.lower() == value.strip().lower():
                return protocol
    choices = ", ".join(p.value for p in Protocol)
    raise InvalidArgument(f"{name} holds {value!r}, not a protocol; expected one of {choices}")


def _action(value: object) -> Action:
    if isinstance(value, Action):
        return value
    words = {
        "accept": Action.ACCEPT,
        "allow": Action.ACCEPT,
        "drop": Action.DROP,
        "deny": Action.DROP,
    }
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise InvalidArgument(f"actions holds {value!r}, not an action; expected ACCEPT or DROP")


def _peers(
    peers: st.SearchStrategy[Network] | Sequence[Network | str] | None,
    family: int | None,
    versions: tuple[int, ...],
) -> st.SearchStrategy[Network]:
    if peers is None:
        return networks(family=family)
    if isinstance(peers, st.SearchStrategy):
        return peers
    pool = [check.network(p, "peers") for p in check.non_empty(peers, "peers")]
    for peer in pool:
        if peer.version not in versions:
            raise InvalidArgument(
                f"peers holds {peer}, which is IPv{peer.version}, not family={family}"
            )
    return st.sampled_from(pool)


def _default_rules(family: int | None) -> st.SearchStrategy[Rule]:
    return rules(family=family)
