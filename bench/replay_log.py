"""Benchmark: the compiled evaluator on a million flow-log records, next to plain first match.

    python bench/replay_log.py [--records 1000000] [--sample 20000] [--groups 5] [--rules 512]

The workload is made deterministically from ``--seed``. Rules: ``groups`` groups of ``rules``
inbound rules (Tencent's quotas are 5 and 512) written by bench/workload.py, IPv4 and IPv6, TCP,
UDP, ICMP and ALL, single ports, lists and ranges, mostly ACCEPT and some DROP; a quarter of
them name an address template instead of one peer, expanded as Tencent expands one: a few
addresses, CIDRs and address ranges, a range as the fewest CIDRs covering it, all peers of the
one rule. Records: flow-log-like packets to one instance, half at and next to the ends of the
rules' peers, some inside them, the rest anywhere, in TCP, UDP, ICMP (ICMPv6) and GRE, to ports
at the ends of the rules' port ranges or anywhere.

The compiled lookup decides every record; plain ``first_match`` decides a random sample of them
in the same run (it is thousands of times slower, so its rate is extrapolated, and printed as
such), and the two must name the same deciding rule for every sampled record: the script exits
with 1 where they do not. Parsing text log lines and building a batch from parsed packets are
timed on the same sample, to show where the time of a whole replay goes. Rates are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import rule_texts

from simulator.evaluate import Packet, RuleRef, first_match, ordered
from simulator.logs.compiled import PROTOCOL_CODES, Batch, CompiledRules
from simulator.model import Action, Address, Direction, Network, Protocol, Rule
from simulator.rules import Names, parse_seed_rule

T = TypeVar("T")
Row = tuple[Protocol, Address, int | None]
HOST = ipaddress.ip_network("10.9.9.9/32")
PROTOCOL_OF = {code: protocol for protocol, code in PROTOCOL_CODES.items()}
#: Packet protocols by IP version, and how often each is drawn.
MIX = {
    4: ([Protocol.TCP, Protocol.UDP, Protocol.ICMP, Protocol.GRE], [0.6, 0.25, 0.1, 0.05]),
    6: ([Protocol.TCP, Protocol.UDP, Protocol.ICMPV6, Protocol.GRE], [0.6, 0.25, 0.1, 0.05]),
}
TEMPLATE_ODDS = 0.25
IPV6_ODDS = 0.15


# -- the workload -------------------------------------------------------------------------------


def template(rng: random.Random, network: Network) -> tuple[Network, ...]:
    """An address template around ``network``: it, and a few addresses, CIDRs and ranges."""
    bits = network.max_prefixlen
    members: list[Network] = [network]
    for _ in range(rng.randint(1, 6)):
        anchor = (int(network.network_address) + rng.getrandbits(bits // 2)) % (1 << bits)
        kind = rng.choice(["address", "cidr", "range"])
        if kind == "address":
            members.append(_network(anchor, bits, bits))
        elif kind == "cidr":
            prefix = rng.randint(bits - 8, bits - 2)
            members.append(_network(anchor >> (bits - prefix) << (bits - prefix), prefix, bits))
        else:
            last = min(anchor + rng.randint(2, 400), (1 << bits) - 1)
            low, high = _address(anchor, bits), _address(last, bits)
            members += ipaddress.summarize_address_range(low, high)
    return tuple(members)


def _network(value: int, prefix: int, bits: int) -> Network:
    if bits == 32:
        return ipaddress.IPv4Network((value, prefix))
    return ipaddress.IPv6Network((value, prefix))


def _address(value: int, bits: int) -> Address:
    return ipaddress.IPv4Address(value) if bits == 32 else ipaddress.IPv6Address(value)


def rule_set(seed: int, groups: int, rules: int) -> list[RuleRef]:
    """``groups`` groups of ``rules`` inbound rules, in binding order, some with templates."""
    rng = random.Random(seed)
    listed: list[tuple[str, list[Rule]]] = []
    for g in range(groups):
        parsed = [parse_seed_rule(text, Names()) for text in rule_texts(seed + g, rules)]
        listed.append(
            (
                f"g{g}",
                [
                    replace(rule, peers=template(rng, rule.peers[0]))
                    if rng.random() < TEMPLATE_ODDS
                    else rule
                    for rule in parsed
                ],
            )
        )
    return ordered(listed, Direction.INBOUND)


def records(refs: list[RuleRef], count: int, seed: int) -> Batch:
    """``count`` packets' columns: half at and next to the ends of the rules' peers, 30% inside
    them, the rest anywhere; ports at and next to the ends of the rules' ranges, or anywhere."""
    py = random.Random(seed)
    edges: list[tuple[int, int]] = []
    inside: list[tuple[int, int]] = []
    for network in (n for ref in refs for n in ref.rule.peers):
        first, last, space = int(network[0]), int(network[-1]), 1 << network.max_prefixlen
        edges += [(network.version, v % space) for v in (first - 1, first, last, last + 1)]
        inside += [(network.version, py.randint(first, last)) for _ in range(2)]
    ports = sorted(
        {p for ref in refs for r in ref.rule.ports for p in (r.low - 1, r.low, r.high, r.high + 1)}
        & set(range(65536))
    )
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=count, p=[0.5, 0.3, 0.2])
    version = np.where(rng.random(count) < IPV6_ODDS, 6, 4).astype(np.uint8)
    hi = rng.integers(0, 1 << 64, size=count, dtype=np.uint64, endpoint=False)
    lo = rng.integers(0, 1 << 64, size=count, dtype=np.uint64, endpoint=False)
    for chosen, pool in ((kind == 0, edges), (kind == 1, inside)):
        versions, values = zip(*pool, strict=True)
        picked = rng.integers(0, len(pool), size=int(chosen.sum()))
        version[chosen] = np.array(versions, dtype=np.uint8)[picked]
        hi[chosen] = np.array([v >> 64 for v in values], dtype=np.uint64)[picked]
        lo[chosen] = np.array([v & ((1 << 64) - 1) for v in values], dtype=np.uint64)[picked]
    four = version == 4
    hi[four] = 0
    lo[four & (kind == 2)] &= np.uint64((1 << 32) - 1)
    protocol = np.empty(count, dtype=np.uint8)
    for v, (choices, odds) in MIX.items():
        codes = np.array([PROTOCOL_CODES[p] for p in choices], dtype=np.uint8)
        protocol[version == v] = rng.choice(codes, size=int((version == v).sum()), p=odds)
    port = np.where(
        rng.random(count) < 0.5,
        rng.choice(np.array(ports, dtype=np.int32), size=count),
        rng.integers(0, 65536, size=count, dtype=np.int32),
    ).astype(np.int32)
    ported = (protocol == PROTOCOL_CODES[Protocol.TCP]) | (protocol == PROTOCOL_CODES[Protocol.UDP])
    port[~ported] = -1
    return Batch(protocol, version, hi, lo, port)


def rows_of(batch: Batch, picked: npt.NDArray[np.intp]) -> list[Row]:
    """Some records of a batch as (protocol, address, port) again."""
    rows: list[Row] = []
    for i in picked.tolist():
        value = (int(batch.peer_hi[i]) << 64) | int(batch.peer_lo[i])
        address = _address(value, 32 if batch.version[i] == 4 else 128)
        port = int(batch.port[i])
        rows.append((PROTOCOL_OF[int(batch.protocol[i])], address, None if port < 0 else port))
    return rows


def log_lines(rows: list[Row]) -> list[str]:
    """The records as flow-log lines: version account interface src dst sport dport protocol
    packets bytes start end action status."""
    return [
        f"2 1300000000 eni-bench {address} {HOST.network_address} 50000 {port or 0} "
        f"{PROTOCOL_CODES[protocol]} 4 320 1700000000 1700000060 ACCEPT OK"
        for protocol, address, port in rows
    ]


def parse_lines(lines: list[str]) -> list[Row]:
    """Flow-log lines read back the plain way: split, ``ipaddress``, ``int``."""
    rows: list[Row] = []
    for line in lines:
        fields = line.split()
        protocol = PROTOCOL_OF[int(fields[7])]
        port = int(fields[6]) if protocol.has_ports else None
        rows.append((protocol, ipaddress.ip_address(fields[3]), port))
    return rows


# -- the two evaluators -------------------------------------------------------------------------


def plain(refs: list[RuleRef], rows: list[Row]) -> list[int]:
    """The index of the rule ``first_match`` decides each row by, -1 for the default DROP."""
    position = {id(ref): i for i, ref in enumerate(refs)}
    decided = []
    for protocol, address, port in rows:
        packet = Packet(protocol, ipaddress.ip_network(address), HOST, None, port)
        ref = first_match(refs, packet, Direction.INBOUND).decided_by
        decided.append(-1 if ref is None else position[id(ref)])
    return decided


def timed(work: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    """The result of ``work`` and its best time in seconds over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return result, best


def line(label: str, seconds: float, note: str) -> None:
    print(f"{label:<46} {seconds:9.3f} s   {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records to replay")
    parser.add_argument(
        "--sample", type=int, default=20_000, help="records plain first match decides too"
    )
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rules", type=int, default=512, help="inbound rules per group")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.records < 1 or args.sample < 1:
        parser.error("--records and --sample must be at least 1")

    refs = rule_set(args.seed, args.groups, args.rules)
    peers = sum(len(ref.rule.peers) for ref in refs)
    print(
        f"{args.groups} groups x {args.rules} rules = {len(refs)} inbound rules, "
        f"{peers:,} peers once templates are expanded"
    )
    batch, made = timed(lambda: records(refs, args.records, args.seed))
    six = float((batch.version == 6).mean())
    print(
        f"{len(batch):,} records (seed {args.seed}): 50% at rules' edges, 30% inside, 20% anywhere;"
        f" {six:.1%} IPv6; made in {made:.2f} s"
    )

    compiled, compile_time = timed(lambda: CompiledRules.compile(refs))
    rows, columns = compiled.shape
    line("compile", compile_time, f"{rows:,} x {columns} cells, {compiled.nbytes / 1e6:.1f} MB")
    decided, lookup_time = timed(lambda: compiled.lookup(batch), repeat=3)
    compiled_rate = len(batch) / lookup_time
    line(
        f"compiled lookup, {len(batch):,} records",
        lookup_time,
        f"{compiled_rate:,.0f} records/s (best of 3)",
    )

    picked = np.sort(np.random.default_rng(args.seed + 1).permutation(len(batch))[: args.sample])
    sample = rows_of(batch, picked)
    expected, plain_time = timed(lambda: plain(refs, sample))
    plain_rate = len(sample) / plain_time
    line(
        f"plain first_match, {len(sample):,}-record sample",
        plain_time,
        f"{plain_rate:,.0f} records/s; {len(batch):,} records would take "
        f"~{len(batch) / plain_rate:,.0f} s (extrapolated)",
    )

    got = decided[picked].tolist()
    wrong = [i for i in range(len(sample)) if got[i] != expected[i]]
    print(
        f"agreement: {len(sample) - len(wrong):,} of {len(sample):,} sampled records "
        "decided by the same rule"
    )
    for i in wrong[:10]:
        print(f"  {sample[i]}: compiled {got[i]}, first_match {expected[i]}", file=sys.stderr)
    print(f"compiled / plain: {compiled_rate / plain_rate:,.0f}x records/s")

    accepts = np.array([ref.rule.action is Action.ACCEPT for ref in refs] + [False])
    by_rule = float((decided >= 0).mean())
    print(
        f"verdicts: {accepts[decided].mean():.1%} ACCEPT, {by_rule:.1%} decided by a rule, "
        f"{1 - by_rule:.1%} default DROP"
    )
    lines = log_lines(sample)
    parsed, parse_time = timed(lambda: parse_lines(lines))
    line(
        f"parse log lines, {len(sample):,}-record sample",
        parse_time,
        f"{len(sample) / parse_time:,.0f} records/s (split, ipaddress, int)",
    )
    _, build_time = timed(lambda: Batch.from_packets(parsed))
    line(
        f"Batch.from_packets, {len(sample):,}-record sample",
        build_time,
        f"{len(sample) / build_time:,.0f} records/s",
    )
    fields = (batch.protocol, batch.version, batch.peer_hi, batch.peer_lo, batch.port)
    _, check_time = timed(lambda: Batch(*fields), repeat=3)
    line(
        f"Batch from numpy columns, {len(batch):,} records",
        check_time,
        f"{len(batch) / check_time:,.0f} records/s (the columns checked)",
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
