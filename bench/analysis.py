"""Benchmark: lint, reach and diff of a realistic rule set, next to a naive baseline.

    python bench/analysis.py [--groups 5] [--rules 512] [--samples 1000]

The scenario binds ``groups`` groups of ``rules`` inbound rules to one instance (Tencent's
quotas are 5 and 512). Each exact command is timed next to the naive way to answer the same
question, in the same process, and the ratio printed, never asserted:

- lint: compare every pair of rules, one earlier rule covering a later one (it misses rules
  covered by a union of earlier rules, which the exact engine finds);
- reach: evaluate random sources against the instance's groups (a sample, never the whole set);
- diff: evaluate random packets against both versions of every group (it can miss a changed
  region that no sample lands in, which the exact engine never does).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import scenario_text

from simulator.analysis.diff import diff
from simulator.analysis.lint import lint
from simulator.analysis.reach import reach
from simulator.analysis.space import PACKET_PROTOCOLS
from simulator.evaluate import Packet, first_match, ordered
from simulator.model import Action, Direction, Protocol, Rule, Scenario
from simulator.scenario import load_text


def covers(earlier: Rule, later: Rule) -> bool:
    """The naive pairwise test: does one earlier rule match everything a later one does?"""
    if earlier.protocol is not Protocol.ALL and earlier.protocol is not later.protocol:
        return False
    peers = all(
        any(p.version == q.version and q.subnet_of(p) for p in earlier.peers)  # type: ignore[arg-type]
        for q in later.peers
    )
    ports = all(
        any(e.low <= r.low and r.high <= e.high for e in earlier.ports) for r in later.ports
    )
    return peers and ports


def naive_shadowed(rules: list[Rule]) -> int:
    return sum(1 for j, later in enumerate(rules) if any(covers(rules[i], later) for i in range(j)))


HOST = ipaddress.ip_network("10.9.9.9/32")


def random_packet(
    rng: random.Random, direction: Direction, protocol: Protocol | None = None, port: int = 0
) -> Packet:
    """A packet from (inbound) or to (outbound) a random peer, mostly IPv4."""
    protocol = protocol or rng.choice(PACKET_PROTOCOLS)
    peer = ipaddress.ip_network(
        rng.getrandbits(32) if rng.random() < 0.85 else ipaddress.IPv6Address(rng.getrandbits(128))
    )
    dst_port = (port or rng.randrange(65536)) if protocol.has_ports else None
    if direction is Direction.INBOUND:
        return Packet(protocol, peer, HOST, None, dst_port)
    return Packet(protocol, HOST, peer, None, dst_port)


def naive_reach(scenario: Scenario, samples: int) -> int:
    """Random sources of TCP packets to port 80, evaluated against the instance's groups."""
    rng = random.Random(2)
    refs = ordered([(g.name, g.inbound) for g in scenario.security_groups], Direction.INBOUND)
    return sum(
        first_match(
            refs, random_packet(rng, Direction.INBOUND, Protocol.TCP, 80), Direction.INBOUND
        ).action
        is Action.ACCEPT
        for _ in range(samples)
    )


def naive_diff(old: Scenario, new: Scenario, samples: int) -> int:
    """Random packets, each evaluated against both versions of each group: the disagreements."""
    rng = random.Random(1)
    after = {g.name: g for g in new.security_groups}
    found = 0
    for group in old.security_groups:
        for direction in Direction:
            before_refs = ordered([(group.name, group.rules(direction))], direction)
            after_refs = ordered([(group.name, after[group.name].rules(direction))], direction)
            for _ in range(samples):
                packet = random_packet(rng, direction)
                if (
                    first_match(before_refs, packet, direction).action
                    is not first_match(after_refs, packet, direction).action
                ):
                    found += 1
    return found


def timed(label: str, work: object) -> float:
    start = time.perf_counter()
    result = work() if callable(work) else None
    seconds = time.perf_counter() - start
    print(f"{label:<56} {seconds:8.3f} s   {result}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rules", type=int, default=512)
    parser.add_argument(
        "--samples", type=int, default=1000, help="packets the sampling baselines draw"
    )
    args = parser.parse_args()
    text = scenario_text(groups=args.groups, rules=args.rules)
    scenario = load_text(text, "bench.yaml")
    changed = load_text(text.replace("allow", "drop", 1), "bench-changed.yaml")
    groups = [(g.name, g.inbound) for g in scenario.security_groups]
    rules = [ref.rule for ref in ordered(groups, Direction.INBOUND)]
    print(f"{args.groups} groups x {args.rules} rules = {len(rules)} inbound rules on one instance")
    exact = timed(
        "lint (exact, unions of rules included)", lambda: f"{len(lint(scenario))} findings"
    )
    naive = timed(
        "naive pairwise shadow check (baseline)", lambda: f"{naive_shadowed(rules)} shadowed"
    )
    reached = timed("reach web:80", lambda: f"{len(reach(scenario, 'web', 80))} path(s)")
    reach_sampled = timed(
        f"naive reach: {args.samples} random sources (baseline)",
        lambda: f"{naive_reach(scenario, args.samples)} accepted",
    )
    changes = timed(
        "diff (one rule changed)", lambda: f"{len(diff(scenario, changed).changes)} regions change"
    )
    sampled = timed(
        f"naive diff: {args.samples} random packets per list (baseline)",
        lambda: f"{naive_diff(scenario, changed, args.samples)} disagreements",
    )
    print(f"lint / naive baseline: {exact / naive:.2f}x the baseline's time")
    print(f"reach / naive baseline: {reached / reach_sampled:.2f}x the baseline's time")
    print(f"diff / naive baseline: {changes / sampled:.2f}x the baseline's time")


if __name__ == "__main__":
    main()
