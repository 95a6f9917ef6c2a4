"""Benchmark: lint, reach and diff of a realistic rule set, next to a naive baseline.

    python bench/analysis.py [--groups 5] [--rules 512]

The scenario binds ``groups`` groups of ``rules`` inbound rules to one instance (Tencent's
quotas are 5 and 512). The baseline is the naive way to look for shadowed rules: compare every
pair of rules, one earlier rule covering a later one (it misses rules covered by a union of
earlier rules, which the exact engine finds). Both run in the same process; the ratio is
printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import scenario_text

from simulator.analysis.diff import diff
from simulator.analysis.lint import lint
from simulator.analysis.reach import reach
from simulator.evaluate import ordered
from simulator.model import Direction, Protocol, Rule
from simulator.scenario import load_text


def covers(earlier: Rule, later: Rule) -> bool:
    """The naive pairwise test: does one earlier rule match everything a later one does?"""
    if earlier.protocol is not Protocol.ALL and earlier.protocol is not later.protocol:
        return False
    peers = all(
        any(p.version == q.version and q.subnet_of(p) for p in earlier.peers) for q in later.peers
    )  # type: ignore[arg-type]
    ports = all(
        any(e.low <= r.low and r.high <= e.high for e in earlier.ports) for r in later.ports
    )
    return peers and ports


def naive_shadowed(rules: list[Rule]) -> int:
    return sum(1 for j, later in enumerate(rules) if any(covers(rules[i], later) for i in range(j)))


def timed(label: str, work: object) -> float:
    start = time.perf_counter()
    result = work() if callable(work) else None
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:8.3f} s   {result}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rules", type=int, default=512)
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
    timed("reach web:80", lambda: f"{len(reach(scenario, 'web', 80))} path(s)")
    timed(
        "diff (one rule changed)", lambda: f"{len(diff(scenario, changed).changes)} regions change"
    )
    print(f"lint / naive baseline: {exact / naive:.1f}x the baseline's time")


if __name__ == "__main__":
    main()
