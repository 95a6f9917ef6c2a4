"""The exact packet-space engine: boxes, spaces, rule spaces, and the regions each rule decides.

Unit tests pin the box and space operations on hand cases, checked against a brute-force set of
points where the boxes are small. Properties then check ``decided`` and ``accepted`` against the
evaluator's ``first_match`` on random ordered rule lists written in the seed notation. Example
counts come from the hypothesis profile (see conftest.py).
"""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from simulator.analysis.regions import Region, accepted, decided
from simulator.analysis.space import PACKET_PROTOCOLS, Box, BoxIndex, Space, rule_space
from simulator.evaluate import Evaluation, Packet, RuleRef, first_match, ordered
from simulator.model import Action, Direction, PortRange, Protocol, Rule
from simulator.rules import Names, parse_seed_rule

Addr = ipaddress.IPv4Address | ipaddress.IPv6Address
Point = tuple[Protocol, int, int, int]  # protocol, family, address, port

IN = Direction.INBOUND
TCP, UDP, ICMP, ICMPV6, GRE = (
    Protocol.TCP,
    Protocol.UDP,
    Protocol.ICMP,
    Protocol.ICMPV6,
    Protocol.GRE,
)
TOP4, TOP6 = 2**32 - 1, 2**128 - 1
PORTED = (TCP, UDP)

#: Security groups a peer may name: one with addresses of both families, one with none.
NAMES = Names(
    groups={
        "sg-web": (
            ipaddress.ip_address("10.0.0.5"),
            ipaddress.ip_address("10.0.0.200"),
            ipaddress.ip_address("10.0.1.7"),
            ipaddress.ip_address("2001:db8::7"),
        ),
        "sg-empty": (),
    }
)


def v4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def v6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def rule(text: str) -> Rule:
    return parse_seed_rule(text, NAMES)


def refs(*texts: str) -> list[RuleRef]:
    return ordered([("sg", tuple(rule(t) for t in texts))], IN)


def points(space: Space | Box) -> set[Point]:
    """Every packet of a small space, by brute force."""
    boxes = (space,) if isinstance(space, Box) else space.boxes
    return {
        (b.protocol, b.family, address, port)
        for b in boxes
        for address in range(b.lo, b.hi + 1)
        for port in range(b.plo, b.phi + 1)
    }


def disjoint(boxes: tuple[Box, ...] | list[Box]) -> bool:
    return all(a.intersect(b) is None for a, b in itertools.combinations(boxes, 2))


def contains(space: Space, protocol: Protocol, address: Addr, port: int | None) -> bool:
    """Whether ``space`` holds the packet; a port-less packet (port None) is at any port."""
    value = int(address)
    return any(
        b.protocol is protocol
        and b.family == address.version
        and b.lo <= value <= b.hi
        and (port is None or b.plo <= port <= b.phi)
        for b in space
    )


# -- Box ---------------------------------------------------------------------------------------


def test_intersect_of_overlapping_boxes() -> None:
    a = Box(TCP, 4, 0, 10, 80, 90)
    b = Box(TCP, 4, 5, 20, 85, 100)
    assert a.intersect(b) == Box(TCP, 4, 5, 10, 85, 90)
    assert b.intersect(a) == a.intersect(b)
    assert a.intersect(a) == a


@pytest.mark.parametrize(
    "other",
    [
        Box(UDP, 4, 0, 10, 80, 90),  # another protocol
        Box(TCP, 6, 0, 10, 80, 90),  # another family
        Box(TCP, 4, 11, 20, 80, 90),  # peers touch but do not overlap
        Box(TCP, 4, 0, 10, 91, 100),  # ports touch but do not overlap
    ],
)
def test_intersect_of_boxes_that_do_not_meet(other: Box) -> None:
    assert Box(TCP, 4, 0, 10, 80, 90).intersect(other) is None


def test_intersect_at_a_single_corner() -> None:
    assert Box(TCP, 4, 0, 10, 80, 90).intersect(Box(TCP, 4, 10, 20, 90, 99)) == Box(
        TCP, 4, 10, 10, 90, 90
    )


def check_minus(box: Box, other: Box) -> None:
    """Pieces are disjoint, inside ``box``, miss ``other``, and with the cut make up ``box``."""
    pieces = box.minus(other)
    cut = box.intersect(other)
    assert len(pieces) <= 4
    assert disjoint(pieces)
    for piece in pieces:
        assert piece.lo <= piece.hi and piece.plo <= piece.phi
        assert piece.intersect(box) == piece  # inside the box
        assert piece.intersect(other) is None
        if cut is not None:
            assert piece.intersect(cut) is None
    cover = sum(p.size for p in pieces) + (cut.size if cut else 0)
    assert cover == box.size
    expected = points(box) - points(other)
    assert set().union(*(points(p) for p in pieces)) == expected


@pytest.mark.parametrize(
    "other",
    [
        Box(TCP, 4, 3, 5, 83, 85),  # a hole in the middle: four pieces
        Box(TCP, 4, 0, 10, 80, 90),  # the whole box: nothing left
        Box(TCP, 4, 0, 20, 0, 100),  # more than the box: nothing left
        Box(TCP, 4, 0, 4, 80, 90),  # the left end: one piece
        Box(TCP, 4, 8, 30, 85, 200),  # a corner: two pieces
        Box(TCP, 4, 3, 5, 0, 1000),  # a band across the ports: two pieces
        Box(TCP, 4, 0, 100, 84, 86),  # a band across the peers: two pieces
        Box(UDP, 4, 0, 10, 80, 90),  # another protocol: the box itself
        Box(TCP, 6, 0, 10, 80, 90),  # another family: the box itself
        Box(TCP, 4, 11, 20, 80, 90),  # beside it: the box itself
    ],
)
def test_minus(other: Box) -> None:
    check_minus(Box(TCP, 4, 0, 10, 80, 90), other)


def test_minus_counts() -> None:
    box = Box(TCP, 4, 0, 10, 80, 90)
    assert len(box.minus(Box(TCP, 4, 3, 5, 83, 85))) == 4
    assert box.minus(box) == []
    assert box.minus(Box(UDP, 4, 0, 10, 80, 90)) == [box]


small = st.integers(0, 7)


@st.composite
def small_boxes(draw: st.DrawFn, protocols: tuple[Protocol, ...] = (TCP, UDP)) -> Box:
    """A box of at most 8 x 8 packets, so brute force can check it."""
    lo, hi = sorted((draw(small), draw(small)))
    plo, phi = sorted((draw(small), draw(small)))
    return Box(draw(st.sampled_from(protocols)), draw(st.sampled_from([4, 6])), lo, hi, plo, phi)


def small_spaces() -> st.SearchStrategy[Space]:
    return st.lists(small_boxes(), max_size=5).map(Space.of)


@given(box=small_boxes(), other=small_boxes())
def test_minus_of_random_small_boxes(box: Box, other: Box) -> None:
    check_minus(box, other)


def test_networks_of_a_whole_cidr() -> None:
    box = Box(TCP, 4, v4("10.0.0.0"), v4("10.0.0.255"))
    assert box.networks() == [ipaddress.ip_network("10.0.0.0/24")]


def test_networks_of_a_ragged_range() -> None:
    box = Box(TCP, 4, v4("10.0.0.1"), v4("10.0.0.6"))
    assert [str(n) for n in box.networks()] == [
        "10.0.0.1/32",
        "10.0.0.2/31",
        "10.0.0.4/31",
        "10.0.0.6/32",
    ]


def test_networks_of_ipv6_and_of_everything() -> None:
    box = Box(UDP, 6, v6("2001:db8::"), v6("2001:db8::ffff"))
    assert box.networks() == [ipaddress.ip_network("2001:db8::/112")]
    assert Box(GRE, 4, 0, TOP4).networks() == [ipaddress.ip_network("0.0.0.0/0")]
    assert Box(GRE, 6, 0, TOP6).networks() == [ipaddress.ip_network("::/0")]


@pytest.mark.parametrize(
    ("box", "text"),
    [
        (Box(TCP, 4, v4("10.0.0.0"), v4("10.0.0.255"), 80, 80), "TCP:80 from 10.0.0.0/24"),
        (Box(UDP, 4, v4("10.0.0.7"), v4("10.0.0.7"), 53, 60), "UDP:53-60 from 10.0.0.7/32"),
        (Box(TCP, 4, 0, TOP4), "TCP:ALL from 0.0.0.0/0"),
        (
            Box(TCP, 4, v4("10.0.0.1"), v4("10.0.0.2"), 1, 65535),
            "TCP:ALL from 10.0.0.1/32, 10.0.0.2/32",
        ),
        (Box(ICMP, 4, v4("10.0.0.0"), v4("10.0.1.0")), "ICMP from 10.0.0.0/24, 10.0.1.0/32"),
        (Box(ICMPV6, 6, v6("2001:db8::"), v6("2001:db8::ff")), "ICMPv6 from 2001:db8::/120"),
        (Box(GRE, 6, 0, TOP6), "GRE from ::/0"),
    ],
)
def test_str(box: Box, text: str) -> None:
    assert str(box) == text


def test_ports_and_example() -> None:
    tcp = Box(TCP, 4, v4("10.0.0.4"), v4("10.0.0.9"), 80, 90)
    assert tcp.ports == PortRange(80, 90)
    assert tcp.example() == (TCP, ipaddress.IPv4Address("10.0.0.4"), 80)
    icmp = Box(ICMPV6, 6, v6("2001:db8::1"), v6("2001:db8::9"))
    assert icmp.ports is None
    assert icmp.example() == (ICMPV6, ipaddress.IPv6Address("2001:db8::1"), None)


def test_size() -> None:
    assert Box(TCP, 4, 0, 9, 80, 84).size == 50
    assert Box(ICMP, 4, 0, 0).size == 65535


# -- Space -------------------------------------------------------------------------------------

A = Space.of([Box(TCP, 4, 0, 5, 0, 5)])
B = Space.of([Box(TCP, 4, 3, 7, 3, 7)])
C = Space.of([Box(TCP, 4, 1, 6, 4, 4), Box(UDP, 4, 0, 3, 0, 3)])
EMPTY = Space()


def test_union_intersection_difference_by_points() -> None:
    for x, y in itertools.permutations([A, B, C, EMPTY], 2):
        assert points(x | y) == points(x) | points(y)
        assert points(x & y) == points(x) & points(y)
        assert points(x - y) == points(x) - points(y)
        for result in (x | y, x & y, x - y):
            assert disjoint(result.boxes)


def test_set_laws() -> None:
    for x, y, z in itertools.permutations([A, B, C], 3):
        assert points(x | y) == points(y | x)
        assert points(x & y) == points(y & x)
        assert points((x | y) | z) == points(x | (y | z))
        assert points(x & (y | z)) == points((x & y) | (x & z))
        assert points(x - (y | z)) == points((x - y) & (x - z))
        assert not (x - y) & y
        assert (x & y).size() + (x - y).size() == x.size()
        assert (x | y).size() == x.size() + y.size() - (x & y).size()
    assert not A - A
    assert points(A | A) == points(A)
    assert points(A & A) == points(A)
    assert not A & EMPTY
    assert points(A | EMPTY) == points(A) == points(A - EMPTY)


def test_of_makes_overlapping_boxes_disjoint() -> None:
    boxes = [Box(TCP, 4, 0, 5, 0, 5), Box(TCP, 4, 3, 7, 3, 7), Box(TCP, 4, 0, 5, 0, 5)]
    space = Space.of(boxes)
    assert disjoint(space.boxes)
    assert points(space) == set().union(*(points(b) for b in boxes))
    assert space.size() == 36 + 25 - 9


def test_everything() -> None:
    every = Space.everything()
    assert disjoint(every.boxes)
    assert {(b.protocol, b.family) for b in every} == {
        (p, f) for p in PACKET_PROTOCOLS for f in (4, 6)
    }
    assert Protocol.ALL not in {b.protocol for b in every}
    assert every.size() == len(PACKET_PROTOCOLS) * (2**32 + 2**128) * 65535
    assert not Space()
    assert bool(every)


def test_merged_joins_neighbours() -> None:
    peers = Space((Box(TCP, 4, 0, 3, 80, 80), Box(TCP, 4, 4, 9, 80, 80)))
    assert peers.merged().boxes == (Box(TCP, 4, 0, 9, 80, 80),)
    ports = Space((Box(TCP, 4, 0, 3, 81, 90), Box(TCP, 4, 0, 3, 80, 80)))
    assert ports.merged().boxes == (Box(TCP, 4, 0, 3, 80, 90),)
    grid = Space(
        tuple(Box(TCP, 4, a, a, p, p) for a in range(4) for p in range(3))
    )  # 12 single packets
    assert grid.merged().boxes == (Box(TCP, 4, 0, 3, 0, 2),)


def test_merged_keeps_what_cannot_be_joined() -> None:
    apart = Space((Box(TCP, 4, 0, 3, 80, 80), Box(TCP, 4, 5, 9, 80, 80)))
    assert set(apart.merged().boxes) == set(apart.boxes)
    other_protocol = Space((Box(TCP, 4, 0, 3, 80, 80), Box(UDP, 4, 4, 9, 80, 80)))
    assert set(other_protocol.merged().boxes) == set(other_protocol.boxes)
    other_family = Space((Box(TCP, 4, 0, 3, 80, 80), Box(TCP, 6, 4, 9, 80, 80)))
    assert set(other_family.merged().boxes) == set(other_family.boxes)
    assert Space().merged() == Space()


@given(space=small_spaces())
def test_merged_keeps_the_packets_in_no_more_boxes(space: Space) -> None:
    merged = space.merged()
    assert points(merged) == points(space)
    assert len(merged.boxes) <= len(space.boxes)
    assert disjoint(merged.boxes)


@given(x=small_spaces(), y=small_spaces())
def test_space_operations_by_points(x: Space, y: Space) -> None:
    assert points(x | y) == points(x) | points(y)
    assert points(x & y) == points(x) & points(y)
    assert points(x - y) == points(x) - points(y)
    for result in (x | y, x & y, x - y):
        assert disjoint(result.boxes)


@given(boxes=st.lists(small_boxes(), max_size=60), query=small_boxes())
def test_box_index_finds_exactly_the_boxes_that_meet(boxes: list[Box], query: Box) -> None:
    # Up to 60 boxes fill several chunks, so skipping a chunk is tested too.
    index = BoxIndex((box, i) for i, box in enumerate(boxes))
    found = list(index.meeting(query))
    assert sorted(found) == [i for i, box in enumerate(boxes) if box.intersect(query)]


def test_box_index_skips_chunks_that_end_before_the_query() -> None:
    boxes = [Box(TCP, 4, n, n) for n in range(100)] + [Box(TCP, 4, 0, 1000), Box(UDP, 4, 0, 1000)]
    index = BoxIndex((box, i) for i, box in enumerate(boxes))
    assert sorted(index.meeting(Box(TCP, 4, 95, 500))) == [95, 96, 97, 98, 99, 100]
    assert list(index.meeting(Box(ICMP, 4, 0, 10))) == []


# -- rule_space --------------------------------------------------------------------------------


def test_rule_space_of_a_tcp_port_list() -> None:
    space = rule_space(rule("10.0.0.0/24 + TCP:80,443,8000-8100 allow"))
    lo, hi = v4("10.0.0.0"), v4("10.0.0.255")
    assert set(space.merged().boxes) == {
        Box(TCP, 4, lo, hi, 80, 80),
        Box(TCP, 4, lo, hi, 443, 443),
        Box(TCP, 4, lo, hi, 8000, 8100),
    }
    assert space.size() == 256 * (1 + 1 + 101)


def test_rule_space_of_bare_ports_is_tcp() -> None:
    space = rule_space(rule("10.0.0.7 + 22 allow"))
    assert space.boxes == (Box(TCP, 4, v4("10.0.0.7"), v4("10.0.0.7"), 22, 22),)


def test_rule_space_of_udp_all_ports() -> None:
    space = rule_space(rule("10.0.0.0/31 + UDP:ALL drop"))
    assert space.boxes == (Box(UDP, 4, v4("10.0.0.0"), v4("10.0.0.1"), 1, 65535),)


def test_rule_space_of_adjacent_port_ranges_merges() -> None:
    space = rule_space(rule("10.0.0.0/31 + TCP:80-89,90-99 allow")).merged()
    assert space.boxes == (Box(TCP, 4, v4("10.0.0.0"), v4("10.0.0.1"), 80, 99),)


@pytest.mark.parametrize(("text", "protocol"), [("ICMP", ICMP), ("ICMPv6", ICMPV6), ("GRE", GRE)])
def test_rule_space_of_a_portless_protocol_spans_every_port(text: str, protocol: Protocol) -> None:
    space = rule_space(rule(f"10.0.0.0/24 + {text} allow"))
    assert space.boxes == (Box(protocol, 4, v4("10.0.0.0"), v4("10.0.0.255"), 1, 65535),)
    assert space.boxes[0].ports is None


def test_rule_space_of_all_holds_every_packet_protocol() -> None:
    space = rule_space(rule("0.0.0.0/0 + ALL drop"))
    assert {b.protocol for b in space} == set(PACKET_PROTOCOLS)
    assert Protocol.ALL not in {b.protocol for b in space}
    for box in space:
        assert (box.family, box.lo, box.hi, box.plo, box.phi) == (4, 0, TOP4, 1, 65535)
    assert space.size() == len(PACKET_PROTOCOLS) * 2**32 * 65535


def test_rule_space_of_an_ipv6_peer() -> None:
    space = rule_space(rule("2001:db8::/120 + UDP:53 allow"))
    assert space.boxes == (Box(UDP, 6, v6("2001:db8::"), v6("2001:db8::ff"), 53, 53),)
    everywhere = rule_space(rule("::/0 + TCP:ALL allow"))
    assert everywhere.boxes == (Box(TCP, 6, 0, TOP6, 1, 65535),)


def test_rule_space_of_ipv4_everywhere_holds_no_ipv6() -> None:
    space = rule_space(rule("0.0.0.0/0 + ALL allow"))
    assert {b.family for b in space} == {4}


def test_rule_space_of_a_security_group_with_several_addresses() -> None:
    space = rule_space(rule("sg-web + TCP:80,443 allow"))
    addresses = {ipaddress.ip_address(a) for a in ("10.0.0.5", "10.0.0.200", "10.0.1.7")}
    addresses.add(ipaddress.ip_address("2001:db8::7"))
    assert len(space.boxes) == 8
    assert {(b.family, b.lo) for b in space} == {(a.version, int(a)) for a in addresses}
    assert all(b.lo == b.hi and b.protocol is TCP for b in space)
    assert {(b.plo, b.phi) for b in space} == {(80, 80), (443, 443)}
    assert space.size() == 4 * 2
    assert disjoint(space.boxes)


def test_rule_space_of_a_security_group_with_all() -> None:
    space = rule_space(rule("sg-web + ALL allow"))
    assert len(space.boxes) == 4 * len(PACKET_PROTOCOLS)
    assert space.size() == 4 * len(PACKET_PROTOCOLS) * 65535


def test_rule_space_of_an_empty_peer_list_matches_nothing() -> None:
    empty = rule("sg-empty + ALL allow")
    assert empty.peers == ()
    assert not rule_space(empty)
    assert rule_space(empty).size() == 0
    assert not rule_space(rule("sg-empty + TCP:80 allow"))


def test_an_empty_group_decides_nothing() -> None:
    rules = refs("sg-empty + ALL allow", "10.0.0.0/24 + TCP:80 allow")
    regions = decided(rules)
    assert not regions[0].space
    assert regions[1].space.boxes == (Box(TCP, 4, v4("10.0.0.0"), v4("10.0.0.255"), 80, 80),)
    assert regions[2].rule is None and regions[2].action is Action.DROP


def test_decided_shadowed_rule_and_accepted() -> None:
    rules = refs("10.0.0.0/24 + TCP:ALL drop", "10.0.0.7 + TCP:80 allow", "10.0.0.0/16 + 80 allow")
    regions = decided(rules)
    assert [r.rule for r in regions] == [*rules, None]
    assert [r.action for r in regions] == [Action.DROP, Action.ACCEPT, Action.ACCEPT, Action.DROP]
    assert not regions[1].space  # shadowed by the /24
    assert regions[2].space.size() == (2**16 - 2**8) * 1
    assert accepted(rules).size() == regions[2].space.size()
    assert sum(r.space.size() for r in regions) == Space.everything().size()


# -- decided() against first_match, on random rule lists ---------------------------------------

#: Peers near each other, so that random rules overlap, shadow and split one another.
V4_PEERS = (
    "10.0.0.0/24",
    "10.0.0.0/25",
    "10.0.0.128/26",
    "10.0.0.4/30",
    "10.0.0.5",
    "10.0.0.5/32",
    "10.0.0.200",
    "10.0.1.0/24",
    "10.0.0.0/23",
    "10.0.0.0/16",
    "0.0.0.0/0",
)
V6_PEERS = (
    "2001:db8::/120",
    "2001:db8::/124",
    "2001:db8::4/126",
    "2001:db8::5",
    "2001:db8::7/128",
    "2001:db8::100/120",
    "2001:db8::/119",
    "2001:db8::/64",
    "::/0",
)
GROUP_PEERS = ("sg-web", "sg-empty")
PORT_TEXTS = ("80", "443", "80,443", "22", "1-100", "79-81", "8000-8100", "ALL", "80-80,8080")
RULE_PROTOCOLS = ("TCP", "UDP", "ICMP", "ICMPv6", "GRE", "ALL")
#: Where random packets come from: around the peers, and now and then anywhere.
PACKET_UNIVERSES = (
    ipaddress.ip_network("10.0.0.0/23"),
    ipaddress.ip_network("10.0.0.0/29"),
    ipaddress.ip_network("2001:db8::/119"),
    ipaddress.ip_network("2001:db8::/125"),
)
PACKET_PORTS = (1, 22, 79, 80, 81, 100, 101, 443, 7999, 8000, 8080, 8100, 8101, 65535)
DST = {4: ipaddress.ip_network("10.9.9.9"), 6: ipaddress.ip_network("2001:db8:ffff::9")}


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    """One rule in the seed notation, ``PEER + PORTS ACTION``."""
    peer = draw(st.sampled_from(V4_PEERS + V6_PEERS + GROUP_PEERS))
    protocol = draw(st.sampled_from(RULE_PROTOCOLS))
    if protocol in ("TCP", "UDP"):
        ports = draw(st.sampled_from(PORT_TEXTS))
        bare = protocol == "TCP" and ports != "ALL" and draw(st.booleans())
        service = ports if bare else f"{protocol}:{ports}"
    else:
        service = protocol
    action = draw(st.sampled_from(["allow", "accept", "drop", "deny"]))
    return f"{peer} + {service} {action}"


def rule_lists() -> st.SearchStrategy[list[str]]:
    return st.lists(rule_texts(), max_size=8)


def ruled(texts: list[str]) -> list[RuleRef]:
    """Two groups in binding order, so rule refs differ by group as well as index."""
    half = len(texts) // 2
    return ordered(
        [
            ("sg-1", tuple(rule(t) for t in texts[:half])),
            ("sg-2", tuple(rule(t) for t in texts[half:])),
        ],
        IN,
    )


@st.composite
def addresses(draw: st.DrawFn) -> Addr:
    if draw(st.integers(0, 9)) == 0:  # anywhere at all
        family = draw(st.sampled_from([4, 6]))
        return as_address(family, draw(st.integers(0, TOP4 if family == 4 else TOP6)))
    universe = draw(st.sampled_from(PACKET_UNIVERSES))
    return universe[draw(st.integers(0, universe.num_addresses - 1))]


@st.composite
def packets(draw: st.DrawFn) -> tuple[Protocol, Addr, int | None]:
    protocol = draw(st.sampled_from(PACKET_PROTOCOLS))
    port = (
        draw(st.sampled_from(PACKET_PORTS) | st.integers(1, 65535)) if protocol in PORTED else None
    )
    return protocol, draw(addresses()), port


def packet(protocol: Protocol, address: Addr, port: int | None) -> Packet:
    src_port = 50000 if protocol in PORTED else None
    return Packet(protocol, ipaddress.ip_network(address), DST[address.version], src_port, port)


def evaluate(
    rules: list[RuleRef], protocol: Protocol, address: Addr, port: int | None
) -> Evaluation:
    return first_match(rules, packet(protocol, address, port), IN)


def region_of(regions: list[Region], protocol: Protocol, address: Addr, port: int | None) -> Region:
    """The one region holding the packet."""
    holding = [r for r in regions if contains(r.space, protocol, address, port)]
    assert len(holding) == 1, f"{len(holding)} regions hold {protocol} {address} port {port}"
    return holding[0]


def check_packet(
    rules: list[RuleRef], regions: list[Region], protocol: Protocol, address: Addr, port: int | None
) -> Region:
    """first_match and the region holding the packet agree on the action and the rule."""
    region = region_of(regions, protocol, address, port)
    evaluation = evaluate(rules, protocol, address, port)
    assert len(evaluation.parts) == 1
    assert (evaluation.action, evaluation.decided_by) == (region.action, region.rule)
    return region


def as_address(family: int, value: int) -> Addr:
    return ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value)


@settings(deadline=None)
@given(texts=rule_lists(), probe=packets())
def test_decided_agrees_with_first_match(
    texts: list[str], probe: tuple[Protocol, Addr, int | None]
) -> None:
    rules = ruled(texts)
    regions = decided(rules)
    assert [r.rule for r in regions] == [*rules, None]
    region = check_packet(rules, regions, *probe)
    event("default drop" if region.rule is None else "decided by a rule")


@settings(deadline=None)
@given(texts=rule_lists())
def test_regions_are_disjoint_and_cover_everything(texts: list[str]) -> None:
    regions = decided(ruled(texts))
    boxes = [b for r in regions for b in r.space]
    for box in boxes:
        assert box.protocol is not Protocol.ALL
        assert 0 <= box.lo <= box.hi <= (TOP4 if box.family == 4 else TOP6)
        assert 0 <= box.plo <= box.phi <= 65535
        if not box.protocol.has_ports:
            assert (box.plo, box.phi) == (1, 65535)  # a port never splits a port-less protocol
    assert disjoint(boxes)
    for a, b in itertools.combinations(regions, 2):
        assert not a.space & b.space
    assert sum(r.space.size() for r in regions) == Space.everything().size()
    assert Space.everything().size() == Space.of(boxes).size()


@settings(deadline=None)
@given(texts=rule_lists(), data=st.data())
def test_every_packet_of_a_region_gets_its_verdict(texts: list[str], data: st.DataObject) -> None:
    rules = ruled(texts)
    regions = decided(rules)
    for region in regions:
        for box in region.space:
            protocol, address, port = box.example()
            assert check_packet(rules, regions, protocol, address, port) == region
            last = as_address(box.family, box.hi)
            top = box.phi if protocol in PORTED else None
            assert check_packet(rules, regions, protocol, last, top) == region
    nonempty = [r for r in regions if r.space]
    region = data.draw(st.sampled_from(nonempty), label="region")
    box = data.draw(st.sampled_from(region.space.boxes), label="box")
    address = as_address(box.family, data.draw(st.integers(box.lo, box.hi), label="address"))
    port = (
        data.draw(st.integers(box.plo, box.phi), label="port") if box.protocol in PORTED else None
    )
    assert check_packet(rules, regions, box.protocol, address, port) == region


@settings(deadline=None)
@given(texts=rule_lists(), probes=st.lists(packets(), min_size=1, max_size=10))
def test_accepted_holds_exactly_what_first_match_accepts(
    texts: list[str], probes: list[tuple[Protocol, Addr, int | None]]
) -> None:
    rules = ruled(texts)
    space = accepted(rules)
    assert disjoint(space.boxes)
    regions = decided(rules)
    assert space.size() == sum(r.space.size() for r in regions if r.action is Action.ACCEPT)
    for protocol, address, port in probes:
        verdict = evaluate(rules, protocol, address, port).action
        event(f"first match: {verdict}")
        assert contains(space, protocol, address, port) == (verdict is Action.ACCEPT)
