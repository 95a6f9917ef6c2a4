"""What each rule of an ordered list really decides: its match minus what earlier rules took.

``decided`` turns first match into regions of packets (§1.3, §1.4): the packets a rule decides
are those it matches that no earlier rule matched; what no rule matches falls to the default DROP.
"""

from __future__ import annotations

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
    left: dict[Key, list[Box]] = {}  # what no rule has taken yet, by protocol and family
    for box in Space.everything() if universe is None else universe:
        left.setdefault((box.protocol, box.family), []).append(box)
    sizes = {key: len(boxes) for key, boxes in left.items()}
    regions: list[Region] = []
    for ref in rules:
        mine: list[Box] = []
        for cut in rule_space(ref.rule):
            key = (cut.protocol, cut.family)
            boxes = left.get(key)
            if not boxes:
                continue
            kept: list[Box] = []
            for box in boxes:
                piece = box.intersect(cut)
                if piece is None:
                    kept.append(box)
                else:
                    mine.append(piece)
                    kept += box.minus(cut)
            if len(kept) > 2 * sizes[key] + 8:  # merge when cutting has fragmented it
                kept = list(Space(tuple(kept)).merged())
                sizes[key] = len(kept)
            left[key] = kept
        regions.append(Region(ref, Space(tuple(mine)).merged()))
    rest = [box for key in sorted(left, key=lambda k: (k[0].value, k[1])) for box in left[key]]
    regions.append(Region(None, Space(tuple(rest)).merged()))
    return regions


def accepted(rules: Sequence[RuleRef], universe: Space | None = None) -> Space:
    """Every packet the list accepts."""
    return Space.of(
        b for r in decided(rules, universe) if r.action is Action.ACCEPT for b in r.space
    ).merged()
