"""What each rule of an ordered list really decides: its match minus what earlier rules took.

``decided`` turns first match into regions of packets (§1.3, §1.4): the packets a rule decides
are those it matches that no earlier rule matched; what no rule matches falls to the default DROP.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ..evaluate import RuleRef
from ..model import Action
from .space import Box, Key, Space, rule_space


@dataclass(frozen=True, slots=True)
class Region:
    """The packets one rule decides (``rule`` None: the default DROP)."""

    rule: RuleRef | None
    space: Space

    @property
    def action(self) -> Action:
        return self.rule.rule.action if self.rule else Action.DROP


def decided(rules: Sequence[RuleRef], universe: Space | None = None) -> list[Region]:
    """One region per rule, in order, then the default DROP's; regions are disjoint."""
    left: dict[Key, Undecided] = {}  # what no rule has taken yet, by protocol and family
    boxes: dict[Key, list[Box]] = {}
    for box in Space.everything() if universe is None else universe:
        boxes.setdefault((box.protocol, box.family), []).append(box)
    for key, listed in boxes.items():
        left[key] = Undecided(listed)
    regions: list[Region] = []
    for ref in rules:
        mine: list[Box] = []
        for cut in rule_space(ref.rule):
            undecided = left.get((cut.protocol, cut.family))
            if undecided is not None:
                mine += undecided.take(cut)
        regions.append(Region(ref, Space(tuple(mine)).merged()))
    rest = [b for key in sorted(left, key=lambda k: (k[0].value, k[1])) for b in left[key].boxes()]
    regions.append(Region(None, Space(tuple(rest)).merged()))
    return regions


Ports = tuple[tuple[int, int], ...]


class Undecided:
    """The packets of one protocol and family that no rule has taken yet.

    Kept as disjoint runs of peer addresses, sorted, each with the destination ports still
    undecided there, so a rule's cut finds the runs it meets by bisection and touches only them.
    """

    def __init__(self, boxes: Sequence[Box]) -> None:
        first = boxes[0]
        self.protocol, self.family = first.protocol, first.family
        edges = sorted({b.lo for b in boxes} | {b.hi + 1 for b in boxes})
        self.runs: list[tuple[int, int, Ports]] = []
        for lo, end in itertools.pairwise(edges):
            ports = _union([(b.plo, b.phi) for b in boxes if b.lo <= lo and end - 1 <= b.hi])
            if ports:
                self._append(lo, end - 1, ports)
        self.starts = [run[0] for run in self.runs]

    def _append(self, lo: int, hi: int, ports: Ports) -> None:
        if self.runs and self.runs[-1][1] + 1 == lo and self.runs[-1][2] == ports:
            self.runs[-1] = (self.runs[-1][0], hi, ports)
        else:
            self.runs.append((lo, hi, ports))

    def take(self, cut: Box) -> list[Box]:
        """Take ``cut``'s packets out, and return those that were still undecided."""
        runs, starts = self.runs, self.starts
        first = max(bisect.bisect_right(starts, cut.lo) - 1, 0)
        last = bisect.bisect_right(starts, cut.hi)
        taken: list[Box] = []
        replaced: list[tuple[int, int, Ports]] = []
        for lo, hi, ports in runs[first:last]:
            if hi < cut.lo or not _meets(ports, cut.plo, cut.phi):
                replaced.append((lo, hi, ports))
                continue
            inner_lo, inner_hi = max(lo, cut.lo), min(hi, cut.hi)
            if lo < inner_lo:
                replaced.append((lo, inner_lo - 1, ports))
            kept, took = _cut(ports, cut.plo, cut.phi)
            taken += [Box(self.protocol, self.family, inner_lo, inner_hi, a, b) for a, b in took]
            if kept:
                replaced.append((inner_lo, inner_hi, kept))
            if inner_hi < hi:
                replaced.append((inner_hi + 1, hi, ports))
        if taken:
            lo_edge, hi_edge = max(first - 1, 0), min(last + 1, len(runs))
            merged: list[tuple[int, int, Ports]] = []
            for run in [*runs[lo_edge:first], *replaced, *runs[last:hi_edge]]:
                if merged and merged[-1][1] + 1 == run[0] and merged[-1][2] == run[2]:
                    merged[-1] = (merged[-1][0], run[1], run[2])
                else:
                    merged.append(run)
            runs[lo_edge:hi_edge] = merged
            starts[lo_edge:hi_edge] = [run[0] for run in merged]
        return taken

    def boxes(self) -> list[Box]:
        return [
            Box(self.protocol, self.family, lo, hi, a, b)
            for lo, hi, ports in self.runs
            for a, b in ports
        ]


def _union(ranges: Sequence[tuple[int, int]]) -> Ports:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _meets(ports: Ports, plo: int, phi: int) -> bool:
    return any(a <= phi and plo <= b for a, b in ports)


def _cut(ports: Ports, plo: int, phi: int) -> tuple[Ports, Ports]:
    """``ports`` without ``plo..phi``, and what that took."""
    kept: list[tuple[int, int]] = []
    took: list[tuple[int, int]] = []
    for a, b in ports:
        if b < plo or phi < a:
            kept.append((a, b))
            continue
        if a < plo:
            kept.append((a, plo - 1))
        took.append((max(a, plo), min(b, phi)))
        if phi < b:
            kept.append((phi + 1, b))
    return tuple(kept), tuple(took)


def accepted(rules: Sequence[RuleRef], universe: Space | None = None) -> Space:
    """Every packet the list accepts."""
    return Space.of(
        b for r in decided(rules, universe) if r.action is Action.ACCEPT for b in r.space
    ).merged()
