"""The compiled evaluator decides every packet by the same rule as first match.

``first_match`` is the reference: each test maps its ``decided_by`` back to the rule's index
(-1 for the default DROP) and compares it with ``lookup`` and ``decide``. Random groups come
from ``simulator.strategies``; example counts from the hypothesis profile (see conftest.py).
"""

from __future__ import annotations

import ipaddress
import pickle
import random
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from simulator import strategies as sgst
from simulator.evaluate import Packet, RuleRef, first_match, ordered
from simulator.logs.compiled import PROTOCOL_CODES, Batch, CompiledRules
from simulator.model import (
    Action,
    Address,
    Direction,
    Network,
    PortRange,
    Protocol,
    Rule,
    SecurityGroup,
)
from simulator.rules import Names, parse_seed_rule

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[Protocol, Address, int | None]
PACKET_PROTOCOLS = list(PROTOCOL_CODES)


def reference(refs: Sequence[RuleRef], rows: Sequence[Row], direction: Direction) -> list[int]:
    """The index of the rule first match decides each row by, -1 for the default DROP."""
    position = {id(ref): i for i, ref in enumerate(refs)}
    decided = []
    for protocol, peer, port in rows:
        host = ipaddress.ip_network(peer)
        other = ipaddress.ip_network("10.9.9.9" if host.version == 4 else "2001:db8::9")
        src, dst = (host, other) if direction is Direction.INBOUND else (other, host)
        ref = first_match(refs, Packet(protocol, src, dst, 50000, port), direction).decided_by
        decided.append(-1 if ref is None else position[id(ref)])
    return decided


def check(refs: Sequence[RuleRef], rows: Sequence[Row], direction: Direction) -> list[int]:
    """Compile ``refs``, and assert lookup and decide agree with first match on every row."""
    compiled = CompiledRules.compile(refs)
    expected = reference(refs, rows, direction)
    looked_up = compiled.lookup(Batch.from_packets(rows))
    assert looked_up.dtype == np.int32
    assert looked_up.tolist() == expected
    assert [compiled.decide(*row) for row in rows] == expected
    return expected


def ref_list(*texts: str) -> list[RuleRef]:
    rules = [parse_seed_rule(text, Names()) for text in texts]
    return ordered([("sg-a", rules)], Direction.INBOUND)


def addr(text: str) -> Address:
    return ipaddress.ip_address(text)


# -- examples ----------------------------------------------------------------------------------


def test_first_matching_rule_decides_and_no_match_drops() -> None:
    refs = ref_list(
        "10.0.0.5 + ALL drop",
        "10.0.0.0/24 + 80,8000-8100 allow",
        "10.0.0.0/8 + UDP:53 allow",
        "2001:db8::/64 + ICMPv6 allow",
        "0.0.0.0/0 + GRE allow",
    )
    rows: list[Row] = [
        (Protocol.TCP, addr("10.0.0.5"), 80),  # the drop comes first
        (Protocol.TCP, addr("10.0.0.6"), 80),
        (Protocol.TCP, addr("10.0.0.6"), 8100),
        (Protocol.TCP, addr("10.0.0.6"), 8101),  # no rule: default drop
        (Protocol.UDP, addr("10.0.0.6"), 80),  # 80 is TCP only
        (Protocol.UDP, addr("10.255.255.255"), 53),
        (Protocol.TCP, addr("10.0.0.255"), None),  # no port: every port rule matches
        (Protocol.ICMPV6, addr("2001:db8::ffff:ffff:ffff:ffff"), None),
        (Protocol.ICMPV6, addr("2001:db8:0:1::"), None),
        (Protocol.ICMP, addr("2001:db8::1"), None),  # ICMP is not ICMPv6
        (Protocol.GRE, addr("203.0.113.1"), None),
        (Protocol.GRE, addr("2001:db8::1"), None),  # 0.0.0.0/0 holds no IPv6 address
    ]
    assert check(refs, rows, Direction.INBOUND) == [0, 1, 1, -1, -1, 2, 1, 3, -1, -1, 4, -1]


def test_ipv6_peers_across_the_middle_of_the_address() -> None:
    """Networks whose ends sit on either side of the 64-bit halves, and next to them."""
    refs = ref_list(
        "2001:db8:0:2::/63 + ALL drop",
        "2001:db8:0:1:ffff:ffff:ffff:ffff + ALL allow",
        "2001:db8:0:4::/128 + ALL allow",
        "::/1 + TCP:443 allow",
        "8000::/1 + ALL allow",
    )
    texts = [
        "2001:db8:0:1:ffff:ffff:ffff:fffe", "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:2::",
        "2001:db8:0:3:ffff:ffff:ffff:ffff", "2001:db8:0:4::", "2001:db8:0:4::1", "::",
        "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]  # fmt: skip
    rows: list[Row] = [(Protocol.TCP, addr(t), port) for port in (443, 444) for t in texts]
    assert check(refs, rows, Direction.INBOUND) == [
        *[3, 1, 0, 0, 2, 3, 3, 3, 4, 4],  # port 443
        *[-1, 1, 0, 0, 2, -1, -1, -1, 4, 4],  # port 444
    ]


def test_an_empty_batch_and_an_empty_list() -> None:
    compiled = CompiledRules.compile(ref_list("0.0.0.0/0 + ALL allow"))
    empty = compiled.lookup(Batch.from_packets([]))
    assert empty.shape == (0,) and empty.dtype == np.int32
    nothing = CompiledRules.compile([])
    assert nothing.decide(Protocol.TCP, addr("10.0.0.1"), 80) == -1
    assert nothing.lookup(Batch.from_packets([(Protocol.GRE, addr("::"), None)])).tolist() == [-1]


def test_compiled_rules_pickle() -> None:
    refs = ref_list("10.0.0.0/24 + 80 allow", "2001:db8::/64 + ALL drop")
    compiled = CompiledRules.compile(refs)
    copy = pickle.loads(pickle.dumps(compiled))
    assert copy.rules == compiled.rules
    batch = Batch.from_packets(
        [(Protocol.TCP, addr("10.0.0.1"), 80), (Protocol.UDP, addr("2001:db8::1"), 53)]
    )
    assert copy.lookup(batch).tolist() == compiled.lookup(batch).tolist() == [0, 1]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("protocol", np.array([7], dtype=np.uint8), "protocol holds a code other than"),
        ("version", np.array([5], dtype=np.uint8), "version holds a value other than 4 and 6"),
        ("peer_hi", np.array([1], dtype=np.uint64), "an IPv4 peer has bits above the low 32"),
        ("peer_lo", np.array([1 << 32], dtype=np.uint64), "an IPv4 peer has bits above"),
        ("port", np.array([65536], dtype=np.int32), "port holds a value outside 0-65535"),
        ("port", np.array([-2], dtype=np.int32), "port holds a value outside 0-65535"),
        ("port", np.array([80], dtype=np.int64), "port must be a one-dimensional int32 array"),
        ("port", np.array([80, 81], dtype=np.int32), "must all have the same length"),
    ],
)
def test_a_bad_batch_is_refused(column: str, value: object, message: str) -> None:
    good = Batch.from_packets([(Protocol.TCP, addr("10.0.0.1"), 80)])
    with pytest.raises(ValueError, match=message):
        replace(good, **{column: value})


def test_a_packet_of_protocol_all_is_refused() -> None:
    with pytest.raises(ValueError, match="a packet has one protocol, not ALL"):
        Batch.from_packets([(Protocol.ALL, addr("10.0.0.1"), 80)])


# -- random groups -----------------------------------------------------------------------------


def with_more_peers(rule: Rule, extra: list[Network]) -> Rule:
    """A rule standing for several peers, as a security group or an address template does."""
    return replace(rule, peers=(*rule.peers, *extra))


SEVERAL_PEERS = st.builds(
    with_more_peers, sgst.rules(), st.lists(sgst.networks(), min_size=1, max_size=3)
)
GROUPS = st.one_of(
    sgst.security_groups(max_size=6),
    sgst.security_groups(max_size=6, rules=SEVERAL_PEERS),
    sgst.security_groups(max_size=6, rules=sgst.rules(peers=sgst.networks(min_prefix=120))),
)


@st.composite
def rows_for(draw: st.DrawFn, refs: list[RuleRef], direction: Direction) -> Row:
    """A packet aimed at the rules' edges (or anywhere), its port sometimes one of the ends of
    the port space or missing, whatever the protocol."""
    rules = [ref.rule for ref in refs]
    aimed = sgst.packets(towards=rules) if rules else sgst.packets()
    packet = draw(st.one_of(aimed, sgst.packets()))
    port = draw(st.sampled_from(["as drawn", None, 0, 65535]))
    peer = packet.peer(direction).network_address
    return packet.protocol, peer, packet.dst_port if port == "as drawn" else port


@given(groups=st.lists(GROUPS, min_size=1, max_size=3), data=st.data())
def test_lookup_and_decide_agree_with_first_match(
    groups: list[SecurityGroup], data: st.DataObject
) -> None:
    direction = data.draw(st.sampled_from(Direction))
    refs = ordered([(g.name, g.rules(direction)) for g in groups], direction)
    rows = data.draw(st.lists(rows_for(refs, direction), min_size=1, max_size=12))
    decided = check(refs, rows, direction)
    event("some rule decides" if any(i >= 0 for i in decided) else "default drop only")


# -- Tencent's quotas: 5 groups of 512 rules ---------------------------------------------------

V4_BASES = [ipaddress.ip_network(n) for n in ("10.0.0.0/16", "192.168.0.0/20", "0.0.0.0/0")]
V6_BASE = ipaddress.ip_network("2001:db8::/52")


def quota_rule(rng: random.Random) -> Rule:
    """A rule with one to four IPv4 or IPv6 peers, mostly narrow, and ports near the ends."""
    peers: list[Network] = []
    for _ in range(rng.choice([1, 1, 1, 2, 4])):
        if rng.random() < 0.3:
            prefix = rng.choice([60, 63, 64, 65, 96, 120, 127, 128, 128])
            offset = rng.getrandbits(128 - V6_BASE.prefixlen)
            base: Network = V6_BASE
        else:
            base = rng.choice(V4_BASES)
            prefix = rng.choice([22, 24, 26, 28, 30, 31, 32, 32]) if rng.random() < 0.995 else 0
            offset = rng.getrandbits(32 - base.prefixlen)
        address = int(base.network_address) + offset
        peers.append(ipaddress.ip_network((address, prefix), strict=False))
    protocol = rng.choice([*[Protocol.TCP] * 3, Protocol.UDP, Protocol.ALL, *PACKET_PROTOCOLS])
    ports: tuple[PortRange, ...] = (PortRange.all(),)
    if protocol.has_ports and rng.random() < 0.85:
        ends = [0, 1, 22, 80, 443, 1024, 8000, 8100, 65534, 65535]
        ranges = {
            tuple(sorted((rng.choice(ends), rng.choice(ends)))) for _ in range(rng.randint(1, 3))
        }
        ports = tuple(sorted(PortRange(low, high) for low, high in ranges))
    action = Action.DROP if rng.random() < 0.25 else Action.ACCEPT
    return Rule(action, protocol, ports, tuple(peers), text=f"rule {rng.random():.6f}")


def quota_rows(refs: list[RuleRef], rng: random.Random, count: int) -> list[Row]:
    """Packets at and next to the rules' peers' ends, or inside them, or anywhere."""
    rows: list[Row] = []
    while len(rows) < count:
        network = rng.choice(rng.choice(refs).rule.peers)
        first, last = int(network.network_address), int(network.broadcast_address)
        value = rng.choice([first - 1, first, last, last + 1, rng.randint(first, last)])
        if rng.random() < 0.1:
            value = rng.getrandbits(network.max_prefixlen)
        value %= 1 << network.max_prefixlen
        peer: Address = (
            ipaddress.IPv4Address(value) if network.version == 4 else ipaddress.IPv6Address(value)
        )
        protocol = rng.choice(PACKET_PROTOCOLS)
        port = rng.choice([None, 0, 1, 21, 22, 23, 80, 443, 444, 8100, 8101, 65534, 65535])
        rows.append((protocol, peer, port if protocol.has_ports or rng.random() < 0.1 else None))
    return rows


def test_five_groups_of_512_rules_against_first_match() -> None:
    rng = random.Random(512)
    groups = [(f"sg-{g}", [quota_rule(rng) for _ in range(512)]) for g in range(5)]
    refs = ordered(groups, Direction.INBOUND)
    rows = quota_rows(refs, rng, 2000)
    compiled = CompiledRules.compile(refs)
    expected = reference(refs, rows, Direction.INBOUND)
    assert compiled.lookup(Batch.from_packets(rows)).tolist() == expected
    decided_by = {i for i in expected if i >= 0}
    assert -1 in expected and len(decided_by) > 150  # many rules decide, some packets drop
    assert any(row[1].version == 6 for row, i in zip(rows, expected, strict=True) if i >= 0)


# -- the benchmark ------------------------------------------------------------------------------


def test_replay_benchmark_runs_and_agrees() -> None:
    """bench/replay_log.py on a small workload: it is shipped, so it must not rot. Only that
    it runs and finds both evaluators agreeing is checked; its timings never are."""
    done = subprocess.run(
        [sys.executable, "bench/replay_log.py", "--records", "3000", "--sample", "300"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("5 groups x 512 rules = 2560 inbound rules")
    assert "agreement: 300 of 300 sampled records decided by the same rule" in lines
    assert any(line.startswith("compiled / plain: ") for line in lines)
