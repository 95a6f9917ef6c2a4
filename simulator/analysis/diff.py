"""Diff: every region of packets whose verdict changes between two scenarios, and every flow
and health check whose outcome changes.

For each security group and direction, the regions each side's rules decide (§1.3) are
intersected pairwise; where the actions differ, the packets change verdict. A group on one side
only is compared with an empty group (everything dropped, §1.4).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..evaluate import RuleRef, ordered
from ..model import Direction, Scenario, SecurityGroup
from ..simulate import simulate
from .regions import Region, decided
from .space import Box, BoxIndex, Space


@dataclass(frozen=True, slots=True)
class Change:
    """Packets of one group and direction whose verdict changes, and who decides on each side."""

    group: str
    direction: Direction
    space: Space
    old: Region
    new: Region

    @property
    def example(self) -> Box:
        return self.space.boxes[0]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A flow or health check whose result changes."""

    kind: str
    what: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Diff:
    changes: tuple[Change, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def equivalent(self) -> bool:
        return not self.changes and not self.outcomes


def _refs(group: SecurityGroup | None, name: str, direction: Direction) -> list[RuleRef]:
    return ordered([(name, group.rules(direction) if group else ())], direction)


def diff(old: Scenario, new: Scenario, *, group: str | None = None) -> Diff:
    """What changes from ``old`` to ``new`` (only group ``group``'s rules, when given)."""
    before = {g.name: g for g in old.security_groups}
    after = {g.name: g for g in new.security_groups}
    names = [group] if group else sorted({*before, *after})
    changes: list[Change] = []
    for name in names:
        for direction in Direction:
            old_refs = _refs(before.get(name), name, direction)
            new_refs = _refs(after.get(name), name, direction)
            changes += [
                Change(name, direction, space, a, b) for space, a, b in changed(old_refs, new_refs)
            ]
    outcomes: list[Outcome] = []
    if group is None:
        outcomes = _outcomes(old, new)
    return Diff(tuple(changes), tuple(outcomes))


def changed(
    old: Sequence[RuleRef], new: Sequence[RuleRef]
) -> Iterator[tuple[Space, Region, Region]]:
    """Every set of packets two ordered lists decide differently, with who decides on each side."""
    old_regions, new_regions = decided(old), decided(new)
    index = BoxIndex((box, k) for k, region in enumerate(new_regions) for box in region.space)
    for a in old_regions:
        meeting = sorted({k for box in a.space for k in index.meeting(box)})
        for b in (new_regions[k] for k in meeting):
            if a.action is not b.action and (both := (a.space & b.space).merged()):
                yield both, a, b


def _outcomes(old: Scenario, new: Scenario) -> list[Outcome]:
    first, second = simulate(old), simulate(new)
    found: list[Outcome] = []
    flows = {(f.flow.source, f.flow.written_to, f.protocol): f.verdict for f in first.flows}
    for result in second.flows:
        key = (result.flow.source, result.flow.written_to, result.protocol)
        if key in flows and flows[key] is not result.verdict:
            what = f"{key[0]} -> {key[1]} ({key[2]})"
            found.append(Outcome("flow", what, str(flows[key]), str(result.verdict)))
    checks = {
        (h.load_balancer, h.listener.key, str(h.backend)): h.status for h in first.health_checks
    }
    for check in second.health_checks:
        where = (check.load_balancer, check.listener.key, str(check.backend))
        if where in checks and checks[where] is not check.status:
            what = f"{where[0]}:{where[1]} on {where[2]}"
            found.append(Outcome("health_check", what, str(checks[where]), str(check.status)))
    return found
