"""Rules: the seed notation and the structured form, read into ``Rule`` values."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from simulator.errors import RuleError
from simulator.model import Action, Network, PortRange, Protocol
from simulator.rules import Names, parse_seed_rule, parse_structured_rule

ALL_PORTS = (PortRange.all(),)


def net(text: str) -> Network:
    return ipaddress.ip_network(text)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


NAMES = Names(
    hosts={"ClientA": ip("203.0.113.10"), "rs-1": ip("10.0.1.11"), "v6-host": ip("2001:db8::5")},
    vips={"clb-1": ip("119.28.10.10")},
    groups={"sg-web": (ip("10.0.1.11"), ip("10.0.1.12")), "sg-v6": (ip("2001:db8::5"),)},
)
TWO_LBS = Names(vips={"clb-1": ip("119.28.10.10"), "clb-2": ip("119.28.10.11")})
ACL_NAMES = Names(groups={"sg-web": (ip("10.0.1.11"),)}, groups_allowed=False)


# -- peers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "peers"),
    [
        ("0.0.0.0/0 + 80 allow", ("0.0.0.0/0",)),
        ("10.0.0.0/8 + 80 allow", ("10.0.0.0/8",)),
        ("203.0.113.5 + 80 allow", ("203.0.113.5/32",)),
        ("203.0.113.5/32 + 80 allow", ("203.0.113.5/32",)),
        ("::/0 + 80 allow", ("::/0",)),
        ("2001:db8::/32 + 80 allow", ("2001:db8::/32",)),
        ("2001:db8::1 + 80 allow", ("2001:db8::1/128",)),
        ("ClientA IP + 80 allow", ("203.0.113.10/32",)),
        ("ClientA ip + 80 allow", ("203.0.113.10/32",)),
        ("rs-1 IP + 80 allow", ("10.0.1.11/32",)),
        ("v6-host IP + 80 allow", ("2001:db8::5/128",)),
        ("CLB VIP + 80 allow", ("119.28.10.10/32",)),
        ("clb vip + 80 allow", ("119.28.10.10/32",)),
        ("clb-1 VIP + 80 allow", ("119.28.10.10/32",)),
        ("sg-web + 80 allow", ("10.0.1.11/32", "10.0.1.12/32")),
        ("sg-v6 + 80 allow", ("2001:db8::5/128",)),
    ],
)
def test_seed_peer(text: str, peers: tuple[str, ...]) -> None:
    assert parse_seed_rule(text, NAMES).peers == tuple(net(p) for p in peers)


def test_a_group_with_no_instance_stands_for_no_address() -> None:
    names = Names(groups={"sg-empty": ()})
    assert parse_seed_rule("sg-empty + ALL allow", names).peers == ()


def test_clb_vip_is_the_only_load_balancer_even_when_it_is_named_otherwise() -> None:
    names = Names(vips={"front": ip("119.28.10.10")})
    assert parse_seed_rule("CLB VIP + 80 allow", names).peers == (net("119.28.10.10/32"),)


def test_an_acl_rule_takes_addresses_when_groups_are_not_allowed() -> None:
    assert parse_seed_rule("10.0.0.0/8 + 80 allow", ACL_NAMES).peers == (net("10.0.0.0/8"),)


# -- ports and protocols -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "protocol", "ports"),
    [
        ("8080", Protocol.TCP, ((8080, 8080),)),
        ("1", Protocol.TCP, ((1, 1),)),
        ("65535", Protocol.TCP, ((65535, 65535),)),
        ("8000-8100", Protocol.TCP, ((8000, 8100),)),
        ("80-80", Protocol.TCP, ((80, 80),)),
        ("80,443", Protocol.TCP, ((80, 80), (443, 443))),
        ("443,80", Protocol.TCP, ((80, 80), (443, 443))),
        ("80, 443", Protocol.TCP, ((80, 80), (443, 443))),
        ("80,80", Protocol.TCP, ((80, 80),)),
        ("8000-8100,22", Protocol.TCP, ((22, 22), (8000, 8100))),
        ("TCP:8080", Protocol.TCP, ((8080, 8080),)),
        ("tcp:80,443", Protocol.TCP, ((80, 80), (443, 443))),
        ("TCP:ALL", Protocol.TCP, ((0, 65535),)),
        ("TCP:all", Protocol.TCP, ((0, 65535),)),
        ("TCP : 80", Protocol.TCP, ((80, 80),)),
        ("UDP:53", Protocol.UDP, ((53, 53),)),
        ("udp:1000-2000", Protocol.UDP, ((1000, 2000),)),
        ("Udp:ALL", Protocol.UDP, ((0, 65535),)),
        ("ICMP", Protocol.ICMP, ((0, 65535),)),
        ("icmp", Protocol.ICMP, ((0, 65535),)),
        ("ICMP:ALL", Protocol.ICMP, ((0, 65535),)),
        ("ICMPv6", Protocol.ICMPV6, ((0, 65535),)),
        ("icmpv6", Protocol.ICMPV6, ((0, 65535),)),
        ("ICMPV6", Protocol.ICMPV6, ((0, 65535),)),
        ("GRE", Protocol.GRE, ((0, 65535),)),
        ("gre", Protocol.GRE, ((0, 65535),)),
        ("ALL", Protocol.ALL, ((0, 65535),)),
        ("all", Protocol.ALL, ((0, 65535),)),
        ("ALL:ALL", Protocol.ALL, ((0, 65535),)),
    ],
)
def test_seed_service(service: str, protocol: Protocol, ports: tuple[tuple[int, int], ...]) -> None:
    rule = parse_seed_rule(f"10.0.0.0/8 + {service} allow", NAMES)
    assert rule.protocol is protocol
    assert rule.ports == tuple(PortRange(low, high) for low, high in ports)


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("allow", Action.ACCEPT),
        ("Allow", Action.ACCEPT),
        ("ALLOW", Action.ACCEPT),
        ("accept", Action.ACCEPT),
        ("ACCEPT", Action.ACCEPT),
        ("drop", Action.DROP),
        ("DROP", Action.DROP),
        ("Drop", Action.DROP),
        ("deny", Action.DROP),
        ("DENY", Action.DROP),
    ],
)
def test_seed_action(word: str, action: Action) -> None:
    assert parse_seed_rule(f"0.0.0.0/0 + 80 {word}", NAMES).action is action


def test_spaces_around_the_plus_are_optional() -> None:
    tight = parse_seed_rule("0.0.0.0/0+8080 allow", NAMES)
    loose = parse_seed_rule("0.0.0.0/0   +   8080   allow", NAMES)
    assert (tight.peers, tight.ports, tight.action) == (loose.peers, loose.ports, loose.action)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("ClientA IP + 8080 allow", "ClientA IP + 8080 allow"),
        ("CLB VIP + 8080 allow", "CLB VIP + 8080 allow"),
        ("clb-1 VIP + TCP:80,443 DROP", "clb-1 VIP + TCP:80,443 DROP"),
        ("::/0+80 accept", "::/0+80 accept"),
        # runs of spaces are collapsed, nothing else changes
        ("  0.0.0.0/0   +  8080  Deny ", "0.0.0.0/0 + 8080 Deny"),
    ],
)
def test_seed_rule_keeps_its_text(text: str, kept: str) -> None:
    assert parse_seed_rule(text, NAMES).text == kept


def test_the_line_is_kept() -> None:
    assert parse_seed_rule("0.0.0.0/0 + 80 allow", NAMES, line=12).line == 12


# -- the structured form -----------------------------------------------------------------------


def test_structured_defaults_are_tcp_all_ports_no_description() -> None:
    rule = parse_structured_rule({"peer": "0.0.0.0/0", "action": "accept"}, NAMES)
    assert (rule.protocol, rule.ports, rule.action, rule.description) == (
        Protocol.TCP, ALL_PORTS, Action.ACCEPT, "",
    )  # fmt: skip
    assert rule.text == "0.0.0.0/0 + TCP:ALL accept"


@pytest.mark.parametrize(
    ("data", "protocol", "ports", "action", "peers", "text"),
    [
        (
            {"peer": "::/0", "protocol": "udp", "port": "53", "action": "DROP"},
            Protocol.UDP, ((53, 53),), Action.DROP, ("::/0",), "::/0 + UDP:53 drop",
        ),
        (
            {"peer": "ClientA IP", "port": 8080, "action": "Allow"},
            Protocol.TCP, ((8080, 8080),), Action.ACCEPT, ("203.0.113.10/32",),
            "ClientA IP + TCP:8080 accept",
        ),
        (
            {"peer": "10.0.0.0/8", "port": "443, 80", "action": "deny"},
            Protocol.TCP, ((80, 80), (443, 443)), Action.DROP, ("10.0.0.0/8",),
            "10.0.0.0/8 + TCP:80,443 drop",
        ),
        (
            {"peer": "10.0.0.0/8", "port": "8000-8100", "action": "accept"},
            Protocol.TCP, ((8000, 8100),), Action.ACCEPT, ("10.0.0.0/8",),
            "10.0.0.0/8 + TCP:8000-8100 accept",
        ),
        (
            {"peer": "sg-web", "protocol": "ALL", "action": "DENY"},
            Protocol.ALL, ((0, 65535),), Action.DROP, ("10.0.1.11/32", "10.0.1.12/32"),
            "sg-web + ALL drop",
        ),
        (
            {"peer": "1.2.3.4", "protocol": "all", "port": "ALL", "action": "accept"},
            Protocol.ALL, ((0, 65535),), Action.ACCEPT, ("1.2.3.4/32",), "1.2.3.4 + ALL accept",
        ),
        (
            {"peer": "CLB VIP", "protocol": "icmp", "action": "accept"},
            Protocol.ICMP, ((0, 65535),), Action.ACCEPT, ("119.28.10.10/32",),
            "CLB VIP + ICMP accept",
        ),
        (
            {"peer": "2001:db8::/32", "protocol": "ICMPV6", "action": "accept"},
            Protocol.ICMPV6, ((0, 65535),), Action.ACCEPT, ("2001:db8::/32",),
            "2001:db8::/32 + ICMPv6 accept",
        ),
        (
            {"peer": " clb-1 VIP ", "protocol": "Gre", "action": "drop"},
            Protocol.GRE, ((0, 65535),), Action.DROP, ("119.28.10.10/32",),
            "clb-1 VIP + GRE drop",
        ),
    ],
)  # fmt: skip
def test_structured_rule(
    data: dict[str, Any],
    protocol: Protocol,
    ports: tuple[tuple[int, int], ...],
    action: Action,
    peers: tuple[str, ...],
    text: str,
) -> None:
    rule = parse_structured_rule(data, NAMES)
    assert rule.protocol is protocol
    assert rule.ports == tuple(PortRange(low, high) for low, high in ports)
    assert rule.action is action
    assert rule.peers == tuple(net(p) for p in peers)
    assert rule.text == text


def test_structured_description_and_line_are_kept() -> None:
    data = {"peer": "0.0.0.0/0", "action": "accept", "description": "everything out"}
    rule = parse_structured_rule(data, NAMES, line=7)
    assert (rule.description, rule.line) == ("everything out", 7)


def test_both_forms_give_the_same_rule() -> None:
    seed = parse_seed_rule("ClientA IP + UDP:53,1000-2000 drop", NAMES)
    structured = parse_structured_rule(
        {"peer": "ClientA IP", "protocol": "UDP", "port": "53,1000-2000", "action": "drop"}, NAMES
    )
    assert (seed.action, seed.protocol, seed.ports, seed.peers) == (
        structured.action, structured.protocol, structured.ports, structured.peers,
    )  # fmt: skip


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names", "message"),
    [
        # the shape of a rule
        ("0.0.0.0/0 8080 allow", NAMES, "'0.0.0.0/0 8080 allow' is not 'PEER + PORTS ACTION' (no '+')"),
        ("0.0.0.0/0 + allow", NAMES, "'0.0.0.0/0 + allow' is not 'PEER + PORTS ACTION' (expected ports, then an action)"),
        ("+ 80 allow", NAMES, "the rule has no peer"),
        # ports
        ("0.0.0.0/0 + 90-80 allow", NAMES, "port range 90-80 is reversed; write 80-90"),
        ("0.0.0.0/0 + TCP:443,90-80 allow", NAMES, "port range 90-80 is reversed; write 80-90"),
        ("0.0.0.0/0 + 0 allow", NAMES, "port 0 is out of range 1-65535"),
        ("0.0.0.0/0 + 65536 allow", NAMES, "port 65536 is out of range 1-65535"),
        ("0.0.0.0/0 + 80-70000 allow", NAMES, "port 70000 is out of range 1-65535"),
        ("0.0.0.0/0 + UDP:0-53 allow", NAMES, "port 0 is out of range 1-65535"),
        ("0.0.0.0/0 + 8a allow", NAMES, "'8a' is not a port number"),
        ("0.0.0.0/0 + 80, allow", NAMES, "empty item in port list '80,'"),
        ("0.0.0.0/0 + TCP: allow", NAMES, "'TCP:' names a protocol but no port after ':'"),
        # protocols
        ("0.0.0.0/0 + FOO:80 allow", NAMES, "unknown protocol 'FOO'; expected one of TCP, UDP, ICMP, ICMPv6, GRE, ALL"),
        ("0.0.0.0/0 + TCPP:80 allow", NAMES, "unknown protocol 'TCPP'; expected one of TCP, UDP, ICMP, ICMPv6, GRE, ALL (did you mean 'TCP'?)"),
        ("0.0.0.0/0 + ICMP:80 allow", NAMES, "port 80 with protocol ICMP: ICMP has no ports; write port ALL"),
        ("0.0.0.0/0 + ICMPv6:80 allow", NAMES, "port 80 with protocol ICMPv6: ICMPv6 has no ports; write port ALL"),
        ("0.0.0.0/0 + GRE:1-2 allow", NAMES, "port 1-2 with protocol GRE: GRE has no ports; write port ALL"),
        ("0.0.0.0/0 + ALL:80 allow", NAMES, "port 80 with protocol ALL: every protocol and port; write port ALL"),
        # actions
        ("0.0.0.0/0 + 80 permit", NAMES, "unknown action 'permit'; write allow/accept or drop/deny"),
        ("0.0.0.0/0 + 80 alow", NAMES, "unknown action 'alow'; write allow/accept or drop/deny (did you mean 'allow'?)"),
        # peers: one only, and well formed
        ("sg-web sg-v6+80 allow", NAMES, "a rule has exactly one peer, got 'sg-web sg-v6'; write one rule per peer"),
        ("10.0.0.1/8 + 80 allow", NAMES, "'10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?"),
        ("2001:db8::1/32 + 80 allow", NAMES, "'2001:db8::1/32' has host bits set; did you mean 2001:db8::/32?"),
        ("999.1.1.1 + 80 allow", NAMES, "'999.1.1.1' is not a valid IPv4 or IPv6 address or CIDR"),
        ("10.0.0.0/33 + 80 allow", NAMES, "'10.0.0.0/33' is not a valid IPv4 or IPv6 address or CIDR"),
        ("2001:db8:::1 + 80 allow", NAMES, "'2001:db8:::1' is not a valid IPv4 or IPv6 address or CIDR"),
        # names
        ("ClientB IP + 80 allow", NAMES, "unknown client or instance 'ClientB' (did you mean 'ClientA'?)"),
        ("nobody IP + 80 allow", NAMES, "unknown client or instance 'nobody'"),
        ("clb-2 VIP + 80 allow", NAMES, "unknown load balancer 'clb-2' (did you mean 'clb-1'?)"),
        ("sg-wbe + 80 allow", NAMES, "unknown peer 'sg-wbe': not an address, a CIDR or a security group (did you mean 'sg-web'?)"),
        ("ClientA + 80 allow", NAMES, "unknown peer 'ClientA' (did you mean 'ClientA IP'?)"),
        ("clb-1 + 80 allow", NAMES, "unknown peer 'clb-1' (did you mean 'clb-1 VIP'?)"),
        ("CLB VIP + 80 allow", TWO_LBS, "'CLB VIP' is ambiguous with several load balancers; write NAME VIP, with NAME one of clb-1, clb-2"),
        ("CLB VIP + 80 allow", Names(), "'CLB VIP' names a load balancer, but the scenario has none"),
        # a network ACL names addresses, never groups
        ("sg-web + 80 allow", ACL_NAMES, "'sg-web' is a security group; network ACL rules take addresses only"),
    ],
)  # fmt: skip
def test_bad_seed_rule(text: str, names: Names, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_seed_rule(text, names)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A space inside PORTS must not change its meaning.
        ("0.0.0.0/0 + 8 0 allow", "'8 0' is not a port or a port list; separate ports with ','"),
        ("0.0.0.0/0 + 80 443 allow", "'80 443' is not a port or a port list; separate ports with ','"),
        ("0.0.0.0/0 + TCP 80 allow", "'TCP 80' is not a port or a port list; write TCP:80"),
        ("0.0.0.0/0 + 80- allow", "port range '80-' has no upper end"),
        ("sg-web sg-v6 + 80 allow", "a rule has exactly one peer, got 'sg-web sg-v6'; write one rule per peer"),
        ("1.2.3.4,5.6.7.8 + 80 allow", "a rule has exactly one peer, got '1.2.3.4,5.6.7.8'; write one rule per peer"),
    ],
)  # fmt: skip
def test_bad_seed_rule_spacing(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_seed_rule(text, NAMES)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("data", "names", "message"),
    [
        ({"action": "accept"}, NAMES, "the rule has no peer"),
        ({"peer": "0.0.0.0/0"}, NAMES, "the rule has no action"),
        ({"peer": ["1.2.3.4", "5.6.7.8"], "action": "accept"}, NAMES, "a rule has exactly one peer; write one rule per peer"),
        ({"peer": 5, "action": "accept"}, NAMES, "peer must be text, got 5"),
        ({"peer": "0.0.0.0/0", "port": True, "action": "accept"}, NAMES, "port must be a number or text such as '80,443', got True"),
        ({"peer": "0.0.0.0/0", "port": [80], "action": "accept"}, NAMES, "port must be a number or text such as '80,443', got [80]"),
        ({"peer": "0.0.0.0/0", "port": 70000, "action": "accept"}, NAMES, "port 70000 is out of range 1-65535"),
        ({"peer": "0.0.0.0/0", "port": "90-80", "action": "accept"}, NAMES, "port range 90-80 is reversed; write 80-90"),
        ({"peer": "0.0.0.0/0", "protocol": "icmp", "port": 8, "action": "accept"}, NAMES, "port 8 with protocol ICMP: ICMP has no ports; write port ALL"),
        ({"peer": "0.0.0.0/0", "protocol": "ALL", "port": 80, "action": "accept"}, NAMES, "port 80 with protocol ALL: every protocol and port; write port ALL"),
        ({"peer": "0.0.0.0/0", "protocol": "SCTP", "action": "accept"}, NAMES, "unknown protocol 'SCTP'; expected one of TCP, UDP, ICMP, ICMPv6, GRE, ALL"),
        ({"peer": "0.0.0.0/0", "action": "permit"}, NAMES, "unknown action 'permit'; write allow/accept or drop/deny"),
        ({"peer": "0.0.0.0/0", "action": "accept", "description": 5}, NAMES, "description must be text, got 5"),
        ({"peer": "10.0.0.1/8", "action": "accept"}, NAMES, "'10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?"),
        ({"peer": "ClientB IP", "action": "accept"}, NAMES, "unknown client or instance 'ClientB' (did you mean 'ClientA'?)"),
        ({"peer": "CLB VIP", "action": "accept"}, TWO_LBS, "'CLB VIP' is ambiguous with several load balancers; write NAME VIP, with NAME one of clb-1, clb-2"),
        ({"peer": "sg-web", "action": "accept"}, ACL_NAMES, "'sg-web' is a security group; network ACL rules take addresses only"),
    ],
)  # fmt: skip
def test_bad_structured_rule(data: dict[str, Any], names: Names, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_structured_rule(data, names)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sg-web IP + 80 allow", "'sg-web' is a security group; write it without IP"),
        ("clb-1 IP + 80 allow", "'clb-1' is a load balancer; write 'clb-1 VIP'"),
        ("rs-1 VIP + 80 allow", "'rs-1' is a client or an instance; write 'rs-1 IP'"),
        ("0.0.0.0/0 + 8080:8090 allow", "'8080:8090' is not a port; write a range as 8080-8090"),
    ],
)
def test_common_slips_are_named(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_seed_rule(text, NAMES)
    assert str(caught.value) == message
