"""Properties of evaluation and simulation, checked on random rules, packets and scenarios.

The reference evaluator here is deliberately naive and shares no code with the simulator: it
walks a list of rule specifications written in this file and asks ``ipaddress`` whether one
address is in one network. Those rules, and the packets, are drawn here from small universes
in every spelling of the seed notation; whole scenarios come from ``simulator.strategies``.
Example counts come from the hypothesis profile (see conftest.py).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hypothesis import event, given
from hypothesis import strategies as st

from simulator.evaluate import Evaluation, Packet, PeerMatch, first_match, ordered, read_rules
from simulator.model import Action, Checkpoint, Decision, Direction, Leg, Protocol, Rule
from simulator.results import Hop
from simulator.rules import Names, parse_seed_rule
from simulator.scenario import load_text
from simulator.simulate import simulate
from simulator.strategies import scenario_texts

Addr = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

PACKET_PROTOCOLS = ("TCP", "UDP", "ICMP", "ICMPv6", "GRE")
RULE_PROTOCOLS = (*PACKET_PROTOCOLS, "ALL")
PORTED = ("TCP", "UDP")
#: Small universes, so that random rules and random packets meet often.
V4 = ipaddress.ip_network("10.0.0.0/24")
V6 = ipaddress.ip_network("2001:db8::/120")
MAX_PORT = 100


# -- rule specifications and the naive reference -----------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A rule as this file understands it; ``ports`` None means every port."""

    peer: Net
    protocol: str
    ports: tuple[tuple[int, int], ...] | None
    accept: bool
    text: str


def naive(
    groups: list[tuple[str, list[Spec]]], protocol: str, port: int | None, address: Addr
) -> tuple[bool, str | None, int | None]:
    """(accepted, group, index) of the first rule matching one address; no match drops."""
    for name, specs in groups:
        for index, spec in enumerate(specs):
            if spec.protocol not in ("ALL", protocol):
                continue
            if port is not None and spec.ports is not None and not in_ranges(port, spec.ports):
                continue
            if address.version != spec.peer.version or address not in spec.peer:
                continue
            return spec.accept, name, index
    return False, None, None


def in_ranges(port: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= port <= high for low, high in ranges)


def cased(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.lower(), word.upper(), word.capitalize()])


@st.composite
def networks(draw: st.DrawFn, family: int | None = None) -> Net:
    """A network in one of the small universes, or a catch-all."""
    universe = draw(st.sampled_from([V4, V6] if family is None else [V4 if family == 4 else V6]))
    if draw(st.integers(0, 9)) == 0:
        return ipaddress.ip_network("0.0.0.0/0" if universe.version == 4 else "::/0")
    offset = draw(st.integers(0, universe.num_addresses - 1))
    prefix = draw(st.integers(universe.prefixlen, universe.max_prefixlen))
    return ipaddress.ip_network((universe[offset], prefix), strict=False)


def addresses(family: int | None = None) -> st.SearchStrategy[Addr]:
    universes = [V4, V6] if family is None else [V4 if family == 4 else V6]
    return st.sampled_from(universes).flatmap(
        lambda u: st.integers(0, u.num_addresses - 1).map(lambda i: u[i])
    )


@st.composite
def port_lists(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        low = draw(st.integers(1, MAX_PORT))
        ranges.append((low, draw(st.integers(low, MAX_PORT))))
    return tuple(ranges)


def port_text(ports: tuple[tuple[int, int], ...]) -> str:
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ports)


@st.composite
def specs(
    draw: st.DrawFn, family: int | None = None, protocols: tuple[str, ...] = RULE_PROTOCOLS
) -> Spec:
    """A random rule and its seed text, in any of the notation's spellings."""
    peer = draw(networks(family))
    protocol = draw(st.sampled_from(protocols))
    ports = draw(st.none() | port_lists()) if protocol in PORTED else None
    accept = draw(st.booleans())
    if peer.prefixlen == peer.max_prefixlen and draw(st.booleans()):
        peer_text = str(peer.network_address)
    else:
        peer_text = str(peer)
    if protocol == "ALL":
        service = draw(cased("ALL"))
    elif protocol not in PORTED:
        service = draw(cased(protocol))
    elif ports is None:
        service = f"{draw(cased(protocol))}:{draw(cased('ALL'))}"
    elif protocol == "TCP" and draw(st.booleans()):
        service = port_text(ports)  # the seed's bare ports mean TCP
    else:
        service = f"{draw(cased(protocol))}:{port_text(ports)}"
    action = draw(cased(draw(st.sampled_from(["allow", "accept"] if accept else ["drop", "deny"]))))
    plus = draw(st.sampled_from([" + ", "+", "  +  "]))
    return Spec(peer, protocol, ports, accept, f"{peer_text}{plus}{service} {action}")


def parsed(rule_specs: list[Spec]) -> tuple[Rule, ...]:
    return tuple(parse_seed_rule(s.text, Names()) for s in rule_specs)


@st.composite
def single_packets(draw: st.DrawFn) -> tuple[str, int | None, Addr, Direction]:
    protocol = draw(st.sampled_from(PACKET_PROTOCOLS))
    port = draw(st.integers(1, MAX_PORT)) if protocol in PORTED else None
    return protocol, port, draw(addresses()), draw(st.sampled_from(Direction))


def packet_for(
    protocol: str, port: int | None, peer: Net, direction: Direction, *, other: str = "10.9.9.9"
) -> Packet:
    """A packet whose peer in ``direction`` is ``peer``; the other end is ``other``."""
    there = ipaddress.ip_network(other)
    src, dst = (peer, there) if direction is Direction.INBOUND else (there, peer)
    src_port = 50000 if port is not None else None
    return Packet(Protocol(protocol), src, dst, src_port, port)


def outcome(evaluation: Evaluation) -> tuple[bool, str | None, int | None]:
    ref = evaluation.decided_by
    accepted = evaluation.action is Action.ACCEPT
    return accepted, ref.group if ref else None, ref.index if ref else None


def host(address: Addr) -> Net:
    return ipaddress.ip_network(address)


# -- (a) first match agrees with the naive reference -------------------------------------------


@given(
    groups=st.lists(st.lists(specs(), max_size=8), min_size=1, max_size=3),
    packet=single_packets(),
)
def test_first_match_agrees_with_a_naive_reference(
    groups: list[list[Spec]], packet: tuple[str, int | None, Addr, Direction]
) -> None:
    protocol, port, address, direction = packet
    named = [(f"sg-{i}", g) for i, g in enumerate(groups)]
    refs = ordered([(name, parsed(g)) for name, g in named], direction)
    evaluation = first_match(refs, packet_for(protocol, port, host(address), direction), direction)
    expected = naive(named, protocol, port, address)
    event("default drop" if expected[1] is None else "decided by a rule")
    assert outcome(evaluation) == expected
    assert len(evaluation.parts) == 1
    assert evaluation.parts[0].addresses == host(address)


@given(
    groups=st.lists(st.lists(specs(), max_size=8), min_size=1, max_size=3),
    packet=single_packets(),
)
def test_every_rule_read_is_marked_field_by_field_as_the_naive_reference_reads_it(
    groups: list[list[Spec]], packet: tuple[str, int | None, Addr, Direction]
) -> None:
    """The rules a step-by-step trace shows: those first match read, each field marked."""
    protocol, port, address, direction = packet
    named = [(f"sg-{i}", g) for i, g in enumerate(groups)]
    refs = ordered([(name, parsed(g)) for name, g in named], direction)
    specs_in_order = [spec for _, g in named for spec in g]
    evaluation = first_match(refs, packet_for(protocol, port, host(address), direction), direction)
    readings = read_rules(refs, packet_for(protocol, port, host(address), direction), direction)
    assert [r.ref for r in readings] == refs[: len(readings)]
    for reading, spec in zip(readings, specs_in_order, strict=False):
        assert reading.protocol == (spec.protocol in ("ALL", protocol))
        assert reading.port == (port is None or spec.ports is None or in_ranges(port, spec.ports))
        inside = spec.peer.version == address.version and address in spec.peer
        assert reading.peer is (PeerMatch.ALL if inside else PeerMatch.NONE)
    assert not any(r.matched for r in readings[:-1])
    if evaluation.decided_by is None:
        assert len(readings) == len(refs)
        assert not any(r.matched for r in readings)
    else:
        assert readings[-1].matched
        assert readings[-1].ref == evaluation.decided_by


# -- (b) nothing after a catch-all is ever read ------------------------------------------------


@st.composite
def catch_alls(draw: st.DrawFn) -> list[Spec]:
    """ALL protocols from everywhere, IPv4 and IPv6 (0.0.0.0/0 does not hold IPv6)."""
    rules = []
    for peer in ("0.0.0.0/0", "::/0"):
        accept = draw(st.booleans())
        text = f"{peer} + {draw(cased('ALL'))} {'allow' if accept else 'drop'}"
        rules.append(Spec(ipaddress.ip_network(peer), "ALL", None, accept, text))
    return draw(st.permutations(rules))


@given(
    before=st.lists(specs(), max_size=6),
    catch_all=catch_alls(),
    after=st.lists(specs(), min_size=1, max_size=6),
    packet=single_packets(),
    peer=networks(),
)
def test_rules_after_a_catch_all_change_nothing(
    before: list[Spec],
    catch_all: list[Spec],
    after: list[Spec],
    packet: tuple[str, int | None, Addr, Direction],
    peer: Net,
) -> None:
    protocol, port, _, direction = packet
    short = ordered([("sg", parsed([*before, *catch_all]))], direction)
    long = ordered([("sg", parsed([*before, *catch_all, *after]))], direction)
    probe = packet_for(protocol, port, peer, direction)  # peer: one address or a range
    assert first_match(long, probe, direction) == first_match(short, probe, direction)


@given(
    before=st.lists(specs(), max_size=6),
    catch_all=catch_alls(),
    later=st.lists(st.lists(specs(), max_size=4), min_size=1, max_size=3),
    packet=single_packets(),
)
def test_groups_bound_after_a_catch_all_change_nothing(
    before: list[Spec],
    catch_all: list[Spec],
    later: list[list[Spec]],
    packet: tuple[str, int | None, Addr, Direction],
) -> None:
    protocol, port, address, direction = packet
    first = ("sg-first", parsed([*before, *catch_all]))
    alone = ordered([first], direction)
    bound = ordered([first, *((f"sg-{i}", parsed(g)) for i, g in enumerate(later))], direction)
    probe = packet_for(protocol, port, host(address), direction)
    assert first_match(bound, probe, direction) == first_match(alone, probe, direction)


# -- (d) a range is accepted only if every address of it is ----------------------------------


@st.composite
def ranges_and_samples(draw: st.DrawFn, family: int) -> tuple[Net, list[Addr]]:
    """A range of a few to a few hundred addresses, its first and last, and some others."""
    universe = V4 if family == 4 else V6
    offset = draw(st.integers(0, universe.num_addresses - 1))
    prefix = draw(st.integers(universe.prefixlen, universe.max_prefixlen - 2))
    source = ipaddress.ip_network((universe[offset], prefix), strict=False)
    picks = draw(st.lists(st.integers(0, source.num_addresses - 1), max_size=5))
    return source, [source[0], source[-1], *(source[i] for i in picks)]


@st.composite
def range_cases(draw: st.DrawFn) -> tuple[str, list[Spec], tuple[Net, list[Addr]]]:
    """A protocol, rules mostly of its family and protocol (so they meet), and a range."""
    family = draw(st.sampled_from([4, 6]))
    protocol = draw(st.sampled_from(PACKET_PROTOCOLS))
    rule_specs = draw(st.lists(specs(family, (protocol, "ALL")) | specs(), max_size=10))
    return protocol, rule_specs, draw(ranges_and_samples(family))


@given(case=range_cases(), port=st.integers(1, MAX_PORT))
def test_a_range_is_accepted_iff_every_address_is(
    case: tuple[str, list[Spec], tuple[Net, list[Addr]]], port: int
) -> None:
    protocol, rule_specs, source = case
    network, samples = source
    dst_port = port if protocol in PORTED else None
    refs = ordered([("sg", parsed(rule_specs))], Direction.INBOUND)

    def alone(address: Addr) -> Evaluation:
        probe = packet_for(protocol, dst_port, host(address), Direction.INBOUND)
        return first_match(refs, probe, Direction.INBOUND)

    whole = first_match(
        refs, packet_for(protocol, dst_port, network, Direction.INBOUND), Direction.INBOUND
    )
    singles = [alone(a).action for a in samples]
    event(f"range {whole.action}, {'split' if whole.split else 'whole'}")
    if whole.action is Action.ACCEPT:
        assert all(a is Action.ACCEPT for a in singles)
    if any(a is Action.DROP for a in singles):
        assert whole.action is Action.DROP
    # the parts cover the range, and each part is what its own addresses get alone
    assert sum(p.addresses.num_addresses for p in whole.parts) == network.num_addresses
    for part in whole.parts:
        assert part.addresses.subnet_of(network)  # type: ignore[arg-type]
        for address in (part.addresses[0], part.addresses[-1]):
            single = alone(address)
            assert (single.action, single.decided_by) == (part.action, part.decided_by)
    if whole.action is Action.DROP:  # some address is dropped on its own
        dropped = next(p for p in whole.parts if p.action is Action.DROP)
        assert alone(dropped.addresses[0]).action is Action.DROP
    # and every address of the range agrees with the naive reference, by its part
    for address in samples:
        part = next(p for p in whole.parts if address in p.addresses)
        accepted, _, index = naive([("sg", rule_specs)], protocol, dst_port, address)
        assert (
            part.action is Action.ACCEPT,
            part.decided_by.index if part.decided_by else None,
        ) == (
            accepted,
            index,
        )


# -- (c) security groups are stateful: an accepted request is answered ------------------------


def sg_scenarios() -> st.SearchStrategy[str]:
    """Whole scenario texts for properties of security groups (test_fixes.py draws them too):
    IPv4 or IPv6, two instances or more in up to three groups of up to four rules a direction,
    clients, load balancers and flows; no network ACL, whose rules are stateless (§2) and would
    drop the replies that section (c) is about."""
    return scenario_texts(min_instances=2, family=None, max_rules=4, network_acls=False)


def met_a_group(hop: Hop) -> bool:
    """An instance's groups (or its having none, §1.7), or a CLB's own groups (§3.2): a CLB
    with none has nothing to pass the reply."""
    if hop.checkpoint is Checkpoint.CLB_SECURITY_GROUP:
        return hop.decision is not Decision.IMPLICIT
    return hop.checkpoint is Checkpoint.SECURITY_GROUP


@given(text=sg_scenarios())
def test_an_accepted_request_is_answered_by_state(text: str) -> None:
    result = simulate(load_text(text, "property.yaml"))
    for flow in result.flows:
        for path in flow.paths:
            request = [h for h in path.hops if h.leg is Leg.REQUEST]
            reply = [h for h in path.hops if h.leg is Leg.REPLY]
            accepted = not any(h.decision is Decision.DROP for h in request)
            event("request accepted" if accepted else "request dropped")
            if not accepted:
                assert reply == []  # a dropped request has no reply
                continue
            assert [h.decision for h in reply] == [Decision.ACCEPT] * len(reply)
            groups = [h for h in request if met_a_group(h)]
            assert len(reply) == len(groups)  # every group the request met lets the reply back
            assert [h.node for h in reply] == [h.node for h in reversed(groups)]
