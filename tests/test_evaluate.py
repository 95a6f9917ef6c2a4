"""Evaluation: first match over ordered rules, ranges of addresses, and connection state."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from simulator.evaluate import ConnectionTable, Evaluation, Packet, RuleRef, first_match, ordered
from simulator.model import Action, Direction, Network, Protocol, Rule
from simulator.rules import Names, parse_seed_rule

IN, OUT = Direction.INBOUND, Direction.OUTBOUND
SERVER = "10.0.1.11"


def net(text: str) -> Network:
    return ipaddress.ip_network(text)


def rules(*texts: str) -> tuple[Rule, ...]:
    return tuple(parse_seed_rule(text, Names()) for text in texts)


def group(*texts: str, name: str = "sg", direction: Direction = IN) -> list[RuleRef]:
    return ordered([(name, rules(*texts))], direction)


def tcp_in(src: str, port: int = 8080) -> Packet:
    """A TCP packet from ``src`` to the server's ``port``."""
    return Packet(Protocol.TCP, net(src), net(SERVER), 50000, port)


def decide(refs: list[RuleRef], packet: Packet, direction: Direction = IN) -> Evaluation:
    return first_match(refs, packet, direction)


def where(evaluation: Evaluation) -> tuple[Action, str | None, int | None]:
    """The outcome and which list and index decided it."""
    ref = evaluation.decided_by
    return evaluation.action, ref.group if ref else None, ref.index if ref else None


# -- first match -------------------------------------------------------------------------------


def test_the_first_matching_rule_decides() -> None:
    refs = group("0.0.0.0/0 + 8080 drop", "203.0.113.10 + 8080 allow")
    assert where(decide(refs, tcp_in("203.0.113.10"))) == (Action.DROP, "sg", 0)


def test_a_later_rule_decides_when_earlier_ones_do_not_match() -> None:
    refs = group("198.51.100.0/24 + 8080 drop", "203.0.113.10 + 8080 allow", "0.0.0.0/0 + ALL drop")
    assert where(decide(refs, tcp_in("203.0.113.10"))) == (Action.ACCEPT, "sg", 1)


def test_a_blocklist_works_only_above_the_catch_all() -> None:
    above = group("203.0.113.10 + 8080 drop", "0.0.0.0/0 + 8080 allow")
    below = group("0.0.0.0/0 + 8080 allow", "203.0.113.10 + 8080 drop")
    assert where(decide(above, tcp_in("203.0.113.10"))) == (Action.DROP, "sg", 0)
    assert where(decide(below, tcp_in("203.0.113.10"))) == (Action.ACCEPT, "sg", 0)


def test_no_match_is_the_default_drop() -> None:
    refs = group(
        "198.51.100.0/24 + 8080 allow", "0.0.0.0/0 + 22 allow", "0.0.0.0/0 + UDP:8080 allow"
    )
    evaluation = decide(refs, tcp_in("203.0.113.10"))
    assert where(evaluation) == (Action.DROP, None, None)
    assert evaluation.parts[0].decided_by is None
    assert not evaluation.split


def test_no_rules_at_all_is_the_default_drop() -> None:
    assert where(decide([], tcp_in("203.0.113.10"))) == (Action.DROP, None, None)


@pytest.mark.parametrize(
    ("rule", "port", "matches"),
    [
        ("0.0.0.0/0 + 8080 allow", 8080, True),
        ("0.0.0.0/0 + 8080 allow", 8081, False),
        ("0.0.0.0/0 + 8000-8100 allow", 8000, True),
        ("0.0.0.0/0 + 8000-8100 allow", 8100, True),
        ("0.0.0.0/0 + 8000-8100 allow", 8101, False),
        ("0.0.0.0/0 + 8000-8100 allow", 7999, False),
        ("0.0.0.0/0 + 80,443 allow", 443, True),
        ("0.0.0.0/0 + 80,443 allow", 444, False),
        ("0.0.0.0/0 + TCP:ALL allow", 1, True),
        ("0.0.0.0/0 + TCP:ALL allow", 65535, True),
        ("0.0.0.0/0 + ALL allow", 22, True),
        ("0.0.0.0/0 + UDP:8080 allow", 8080, False),
        ("0.0.0.0/0 + ICMP allow", 8080, False),
    ],
)
def test_ports_and_protocol_of_a_tcp_packet(rule: str, port: int, matches: bool) -> None:
    evaluation = decide(group(rule), tcp_in("203.0.113.10", port))
    assert (evaluation.action is Action.ACCEPT) is matches


@pytest.mark.parametrize("peer", ["203.0.113.0/24", "203.0.113.10", "0.0.0.0/0"])
def test_addresses_inside_the_peer_match(peer: str) -> None:
    assert decide(group(f"{peer} + 8080 allow"), tcp_in("203.0.113.10")).action is Action.ACCEPT


@pytest.mark.parametrize("peer", ["203.0.112.0/24", "203.0.113.11", "::/0", "2001:db8::/32"])
def test_addresses_outside_the_peer_do_not_match(peer: str) -> None:
    assert decide(group(f"{peer} + 8080 allow"), tcp_in("203.0.113.10")).action is Action.DROP


def test_ipv4_rules_never_match_ipv6_packets_and_back() -> None:
    refs = group("0.0.0.0/0 + 8080 drop", "::/0 + 8080 allow")
    assert where(decide(refs, tcp_in("2001:db8::10"))) == (Action.ACCEPT, "sg", 1)
    assert where(decide(refs, tcp_in("203.0.113.10"))) == (Action.DROP, "sg", 0)


def test_outbound_rules_match_the_destination() -> None:
    refs = group("10.0.1.11 + 8080 drop", "203.0.113.0/24 + 8080 allow", direction=OUT)
    packet = Packet(Protocol.TCP, net("10.0.1.11"), net("203.0.113.10"), 50000, 8080)
    assert where(decide(refs, packet, OUT)) == (Action.ACCEPT, "sg", 1)
    assert where(decide(refs, packet, IN)) == (Action.DROP, "sg", 0)


def test_the_destination_port_is_matched_not_the_source_port() -> None:
    refs = group("0.0.0.0/0 + 50000 allow")
    assert decide(refs, tcp_in("203.0.113.10", 8080)).action is Action.DROP


# -- protocols ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.TCP, Protocol.UDP])
def test_protocol_all_matches_ported_protocols_on_any_port(protocol: Protocol) -> None:
    refs = group("0.0.0.0/0 + ALL allow")
    for port in (1, 80, 65535):
        packet = Packet(protocol, net("203.0.113.10"), net(SERVER), 50000, port)
        assert decide(refs, packet).action is Action.ACCEPT


@pytest.mark.parametrize("protocol", [Protocol.ICMP, Protocol.ICMPV6, Protocol.GRE])
def test_protocol_all_matches_portless_protocols(protocol: Protocol) -> None:
    packet = Packet(protocol, net("203.0.113.10"), net(SERVER))
    assert where(decide(group("0.0.0.0/0 + ALL allow"), packet)) == (Action.ACCEPT, "sg", 0)


@pytest.mark.parametrize(
    ("protocol", "deciding"),
    [
        (Protocol.ICMP, 2),
        (Protocol.ICMPV6, 3),
        (Protocol.GRE, 4),
    ],
)
def test_a_portless_packet_is_matched_by_its_protocol_only(
    protocol: Protocol, deciding: int
) -> None:
    refs = group(
        "0.0.0.0/0 + TCP:ALL drop",
        "0.0.0.0/0 + UDP:ALL drop",
        "0.0.0.0/0 + ICMP allow",
        "0.0.0.0/0 + ICMPv6 allow",
        "0.0.0.0/0 + GRE allow",
    )
    packet = Packet(protocol, net("203.0.113.10"), net(SERVER))
    assert where(decide(refs, packet)) == (Action.ACCEPT, "sg", deciding)


def test_a_tcp_rule_does_not_match_udp() -> None:
    refs = group("0.0.0.0/0 + TCP:53 allow", "0.0.0.0/0 + UDP:53 drop")
    packet = Packet(Protocol.UDP, net("203.0.113.10"), net(SERVER), 50000, 53)
    assert where(decide(refs, packet)) == (Action.DROP, "sg", 1)


# -- several groups ----------------------------------------------------------------------------


def test_groups_are_one_list_in_binding_order() -> None:
    first = rules("198.51.100.0/24 + 8080 allow", "203.0.113.10 + 8080 drop")
    second = rules("0.0.0.0/0 + 8080 allow")
    refs = ordered([("sg-1", first), ("sg-2", second)], IN)
    assert [(r.group, r.index, r.direction) for r in refs] == [
        ("sg-1", 0, IN), ("sg-1", 1, IN), ("sg-2", 0, IN),
    ]  # fmt: skip
    assert where(decide(refs, tcp_in("203.0.113.10"))) == (Action.DROP, "sg-1", 1)
    assert where(decide(refs, tcp_in("192.0.2.1"))) == (Action.ACCEPT, "sg-2", 0)


def test_binding_order_decides_between_groups() -> None:
    allow = rules("0.0.0.0/0 + 8080 allow")
    deny = rules("0.0.0.0/0 + 8080 drop")
    allow_first = ordered([("sg-allow", allow), ("sg-deny", deny)], IN)
    deny_first = ordered([("sg-deny", deny), ("sg-allow", allow)], IN)
    assert where(decide(allow_first, tcp_in("192.0.2.1"))) == (Action.ACCEPT, "sg-allow", 0)
    assert where(decide(deny_first, tcp_in("192.0.2.1"))) == (Action.DROP, "sg-deny", 0)


def test_an_empty_group_is_skipped() -> None:
    refs = ordered([("sg-empty", ()), ("sg-web", rules("0.0.0.0/0 + 8080 allow"))], IN)
    assert where(decide(refs, tcp_in("192.0.2.1"))) == (Action.ACCEPT, "sg-web", 0)


def test_no_match_in_any_group_is_the_default_drop() -> None:
    refs = ordered(
        [("sg-1", rules("10.0.0.0/8 + 8080 allow")), ("sg-2", rules("0.0.0.0/0 + 22 allow"))], IN
    )
    assert where(decide(refs, tcp_in("192.0.2.1"))) == (Action.DROP, None, None)


def test_a_group_peer_is_every_address_of_its_instances() -> None:
    names = Names(
        groups={"sg-app": (ipaddress.ip_address("10.0.2.5"), ipaddress.ip_address("10.0.2.6"))}
    )
    refs = ordered([("sg", (parse_seed_rule("sg-app + 8080 allow", names),))], IN)
    assert decide(refs, tcp_in("10.0.2.5")).action is Action.ACCEPT
    assert decide(refs, tcp_in("10.0.2.6")).action is Action.ACCEPT
    assert decide(refs, tcp_in("10.0.2.7")).action is Action.DROP


# -- ranges of source addresses (SEMANTICS §3.6) -----------------------------------------------


def parts(evaluation: Evaluation) -> list[tuple[str, Action, int | None]]:
    return [
        (str(p.addresses), p.action, p.decided_by.index if p.decided_by else None)
        for p in evaluation.parts
    ]


def test_a_range_inside_one_accepting_rule_is_accepted_in_one_part() -> None:
    evaluation = decide(group("100.64.0.0/10 + 8080 allow"), tcp_in("100.64.0.0/10"))
    assert parts(evaluation) == [("100.64.0.0/10", Action.ACCEPT, 0)]
    assert where(evaluation) == (Action.ACCEPT, "sg", 0)
    assert not evaluation.split


def test_a_range_inside_a_wider_rule_is_decided_by_it() -> None:
    evaluation = decide(group("0.0.0.0/0 + 8080 allow"), tcp_in("100.64.0.0/10"))
    assert parts(evaluation) == [("100.64.0.0/10", Action.ACCEPT, 0)]


def test_a_range_accepted_by_several_rules_is_accepted_and_says_which_part_each_took() -> None:
    refs = group(
        "100.64.0.0/11 + 8080 allow", "100.96.0.0/12 + 8080 allow", "0.0.0.0/0 + 8080 allow"
    )
    evaluation = decide(refs, tcp_in("100.64.0.0/10"))
    assert parts(evaluation) == [
        ("100.64.0.0/11", Action.ACCEPT, 0),
        ("100.96.0.0/12", Action.ACCEPT, 1),
        ("100.112.0.0/12", Action.ACCEPT, 2),
    ]
    assert evaluation.action is Action.ACCEPT
    assert evaluation.split
    assert where(evaluation) == (Action.ACCEPT, "sg", 0)


def test_a_range_partly_accepted_is_dropped_and_names_the_rule_that_dropped() -> None:
    refs = group("100.64.0.0/11 + 8080 allow", "0.0.0.0/0 + 8080 drop")
    evaluation = decide(refs, tcp_in("100.64.0.0/10"))
    assert parts(evaluation) == [
        ("100.64.0.0/11", Action.ACCEPT, 0),
        ("100.96.0.0/11", Action.DROP, 1),
    ]
    assert where(evaluation) == (Action.DROP, "sg", 1)
    assert evaluation.split


def test_a_range_partly_accepted_and_otherwise_unmatched_is_the_default_drop() -> None:
    evaluation = decide(group("100.64.0.0/12 + 8080 allow"), tcp_in("100.64.0.0/10"))
    assert parts(evaluation) == [
        ("100.64.0.0/12", Action.ACCEPT, 0),
        ("100.80.0.0/12", Action.DROP, None),
        ("100.96.0.0/11", Action.DROP, None),
    ]
    assert where(evaluation) == (Action.DROP, None, None)


def test_one_address_dropped_above_drops_the_whole_range() -> None:
    refs = group("100.64.0.5 + 8080 drop", "100.64.0.0/10 + 8080 allow")
    evaluation = decide(refs, tcp_in("100.64.0.0/10"))
    assert where(evaluation) == (Action.DROP, "sg", 0)
    dropped = [p for p in evaluation.parts if p.action is Action.DROP]
    assert [str(p.addresses) for p in dropped] == ["100.64.0.5/32"]
    accepted = sum(p.addresses.num_addresses for p in evaluation.parts if p.action is Action.ACCEPT)
    assert accepted == 2**22 - 1


def test_the_parts_cover_the_range_exactly_once() -> None:
    refs = group(
        "100.64.0.128/25 + 8080 drop",
        "100.64.0.0/16 + 8080 allow",
        "100.100.0.0/14 + 8080 drop",
        "100.96.0.0/11 + 8080 allow",
    )
    source = net("100.64.0.0/10")
    evaluation = decide(refs, tcp_in(str(source)))
    assert sum(p.addresses.num_addresses for p in evaluation.parts) == source.num_addresses
    for a, b in itertools.combinations(evaluation.parts, 2):
        assert not a.addresses.overlaps(b.addresses)
    assert all(p.addresses.subnet_of(source) for p in evaluation.parts)  # type: ignore[arg-type]


def test_a_rule_that_does_not_match_the_port_takes_no_part_of_the_range() -> None:
    refs = group("100.64.0.0/10 + 22 allow", "100.64.0.0/10 + 8080 drop")
    assert parts(decide(refs, tcp_in("100.64.0.0/10"))) == [("100.64.0.0/10", Action.DROP, 1)]


def test_a_range_across_groups_names_each_group() -> None:
    refs = ordered(
        [
            ("sg-1", rules("100.64.0.0/11 + 8080 allow")),
            ("sg-2", rules("100.96.0.0/11 + 8080 allow")),
        ],
        IN,
    )
    evaluation = decide(refs, tcp_in("100.64.0.0/10"))
    assert [(str(p.addresses), p.decided_by.group if p.decided_by else None) for p in evaluation.parts] == [
        ("100.64.0.0/11", "sg-1"),
        ("100.96.0.0/11", "sg-2"),
    ]  # fmt: skip
    assert evaluation.action is Action.ACCEPT


def test_an_ipv6_range() -> None:
    refs = group("2001:db8::/33 + 8080 allow", "::/0 + 8080 drop")
    evaluation = decide(refs, tcp_in("2001:db8::/32"))
    assert parts(evaluation) == [
        ("2001:db8::/33", Action.ACCEPT, 0),
        ("2001:db8:8000::/33", Action.DROP, 1),
    ]


# -- packets and connection state --------------------------------------------------------------


def test_the_reply_swaps_addresses_and_ports() -> None:
    packet = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 50000, 8080)
    reply = packet.reply()
    assert reply == Packet(Protocol.TCP, net(SERVER), net("203.0.113.10"), 8080, 50000)
    assert reply.reply() == packet


def test_the_peer_is_the_source_inbound_and_the_destination_outbound() -> None:
    packet = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 50000, 8080)
    assert packet.peer(IN) == net("203.0.113.10")
    assert packet.peer(OUT) == net(SERVER)


def test_a_stateless_acl_sees_the_client_port_on_the_reply() -> None:
    acl_out = group("0.0.0.0/0 + 1024-65535 allow", direction=OUT)
    reply = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 50000, 8080).reply()
    assert where(decide(acl_out, reply, OUT)) == (Action.ACCEPT, "sg", 0)
    low_port = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 80, 8080).reply()
    assert where(decide(acl_out, low_port, OUT)) == (Action.DROP, None, None)


def test_a_recorded_connection_lets_its_reply_through() -> None:
    table = ConnectionTable()
    packet = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 50000, 8080)
    assert not table.is_reply(packet.reply())
    table.record(packet)
    assert table.is_reply(packet.reply())
    assert len(table) == 1


def test_the_connection_table_knows_only_replies_of_what_it_recorded() -> None:
    table = ConnectionTable()
    packet = Packet(Protocol.TCP, net("203.0.113.10"), net(SERVER), 50000, 8080)
    table.record(packet)
    assert not table.is_reply(packet)  # the same direction again is a new connection
    other_port = Packet(Protocol.TCP, net(SERVER), net("203.0.113.10"), 8080, 50001)
    other_protocol = Packet(Protocol.UDP, net(SERVER), net("203.0.113.10"), 8080, 50000)
    other_host = Packet(Protocol.TCP, net(SERVER), net("203.0.113.11"), 8080, 50000)
    assert not table.is_reply(other_port)
    assert not table.is_reply(other_protocol)
    assert not table.is_reply(other_host)


def test_recording_the_same_connection_twice_counts_once() -> None:
    table = ConnectionTable()
    packet = Packet(Protocol.ICMP, net("203.0.113.10"), net(SERVER))
    table.record(packet)
    table.record(packet)
    assert len(table) == 1
    assert table.is_reply(packet.reply())
