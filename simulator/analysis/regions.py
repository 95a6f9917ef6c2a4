"""What each rule of an ordered list really decides: its match minus what earlier rules took.

``decided`` turns first match into regions of packets (§1.3, §1.4): the packets a rule decides
are those it matches that no earlier rule matched; what no rule matches falls to the default DROP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..evaluate import RuleRef
from ..model import Action
from .space import Space, rule_space


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
    left = Space.everything() if universe is None else universe
    regions: list[Region] = []
    size = len(left.boxes)
    for ref in rules:
        matched = rule_space(ref.rule)
        mine = (left & matched).merged()
        regions.append(Region(ref, mine))
        if mine:
            left = left - matched
            if len(left.boxes) > 2 * size + 8:  # merge when cutting has fragmented it
                left = left.merged()
                size = len(left.boxes)
    regions.append(Region(None, left.merged()))
    return regions


def accepted(rules: Sequence[RuleRef], universe: Space | None = None) -> Space:
    """Every packet the list accepts."""
    return Space.of(
        b for r in decided(rules, universe) if r.action is Action.ACCEPT for b in r.space
    ).merged()
