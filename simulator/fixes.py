"""Stage 5, repairs: for an expectation that fails, the smallest rule change that meets it.

Candidates come from the checkpoint that decided against the expectation:

- **change** one field of an earlier rule with the wanted action that missed the packet by
  that field alone (its port, or its peer), so that it matches;
- **move** a later rule with the wanted action that matches the packet above the rule that
  decided;
- **insert** a rule for exactly this packet (its peer, protocol and port) just above the rule
  that decided, or at the end of the last list where no rule matched.

Each candidate is applied to a copy of the scenario, which is simulated again whole; only a
candidate that brings the expectation closer is kept. Candidates are ranked by the other
expectations they break, then by how many packets change verdict in the list they touch
(exact, from the analysis engine), then by how many other outcomes change. A flow with several
backends may need a change per path: the search adds the best change for the first path still
wrong, and repeats.

A ``partial`` expectation (§3.9) wants some paths through and some stopped. The search picks
one path to turn (let it through where every path is stopped, stop it where every path goes
through) and keeps only changes that leave some other path as it was; it tries each path in
turn and keeps the fix with the fewest changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .analysis.diff import changed
from .edits import RANK, Edit, EditKind, apply, apply_one, candidates
from .evaluate import ordered
from .model import Action, Decision, Health, Leg, Scenario, Verdict
from .results import Hop, Path, ScenarioResult
from .simulate import simulate

MAX_EDITS = 6


@dataclass(frozen=True, slots=True)
class SideEffect:
    """Another flow or health check whose outcome the fix changes."""

    what: str
    old: str
    new: str
    expected: str | None

    @property
    def breaks(self) -> bool:
        return self.expected is not None and self.old == self.expected != self.new


@dataclass(frozen=True, slots=True)
class Repair:
    """A failing expectation and the verified fix for it, or why there is none."""

    what: str
    expected: str
    actual: str
    edits: tuple[Edit, ...] = ()
    side_effects: tuple[SideEffect, ...] = ()
    packets: int = 0  # packets whose verdict the edits change, in the lists they touch
    reason: str | None = None  # why no rule change meets the expectation

    @property
    def fixed(self) -> bool:
        return bool(self.edits)


@dataclass(frozen=True, slots=True)
class Target:
    """One expectation of a scenario: a flow's or a health check's, by position."""

    kind: str  # "flow" or "health check"
    position: int

    def label(self, result: ScenarioResult) -> str:
        if self.kind == "flow":
            f = result.flows[self.position]
            name = f" '{f.flow.name}'" if f.flow.name else ""
            return f"flow{name} {f.flow.source} -> {f.flow.written_to} ({f.protocol})"
        h = result.health_checks[self.position]
        return f"health check {h.load_balancer}:{h.listener.key} on {h.backend}"

    def outcome(self, result: ScenarioResult) -> str:
        if self.kind == "flow":
            return str(result.flows[self.position].verdict)
        return str(result.health_checks[self.position].status)

    def expected(self, result: ScenarioResult) -> str | None:
        expect: Verdict | Health | None
        if self.kind == "flow":
            expect = result.flows[self.position].flow.expect
        else:
            expect = result.health_checks[self.position].expected
        return str(expect) if expect is not None else None

    def paths(self, result: ScenarioResult) -> tuple[Path, ...]:
        if self.kind == "flow":
            return result.flows[self.position].paths
        return (result.health_checks[self.position].path,)

    def want(self, result: ScenarioResult) -> Action | None:
        """The action the rules should take: ACCEPT to let it through, DROP to stop it."""
        expected = self.expected(result)
        if expected in (Verdict.ALLOWED, Health.HEALTHY):
            return Action.ACCEPT
        if expected in (Verdict.DENIED, Health.UNHEALTHY):
            return Action.DROP
        return None


def targets(result: ScenarioResult) -> list[Target]:
    """Every expectation of the scenario that does not hold."""
    found = [Target("flow", i) for i, f in enumerate(result.flows) if f.ok is False]
    found += [
        Target("health check", i) for i, h in enumerate(result.health_checks) if h.ok is False
    ]
    return found


def repair_all(result: ScenarioResult) -> list[Repair]:
    """A repair for every failing expectation of a simulated scenario."""
    return [repair(result, target) for target in targets(result)]


def repair(base: ScenarioResult, target: Target) -> Repair:
    """The smallest verified change that meets ``target``'s expectation, or why there is none."""
    want = target.want(base)
    if target.kind == "health check" and not base.health_checks[target.position].enabled:
        return Repair(target.label(base), target.expected(base) or "-", target.outcome(base),
                      reason="the listener's health checks are off, so the CLB counts every "
                      "backend healthy (§3.7); turn them on to test the rules")  # fmt: skip
    if want is not None:
        return _search(base, target, Aim(want))
    return _split(base, target)


@dataclass(frozen=True, slots=True)
class Aim:
    """What the search turns: every path to ``want``, or (``focus`` given) that one path only,
    leaving some other path as it was, for a partial outcome."""

    want: Action
    focus: tuple[str | None, int | None] | None = None  # a path's backend and port

    def paths(self, result: ScenarioResult, target: Target) -> tuple[Path, ...]:
        paths = target.paths(result)
        if self.focus is None:
            return paths
        return tuple(p for p in paths if (p.backend, p.port) == self.focus)

    def others(self, result: ScenarioResult, target: Target) -> tuple[Path, ...]:
        return tuple(p for p in target.paths(result) if (p.backend, p.port) != self.focus)


def _search(base: ScenarioResult, target: Target, aim: Aim) -> Repair:
    """Changes added one at a time, each the best for the first path still wrong."""
    what, expected = target.label(base), target.expected(base) or "-"
    actual = target.outcome(base)
    edits: list[Edit] = []
    scenario, result = base.scenario, base
    while target.expected(result) != target.outcome(result):
        hops = _wrong_hops(aim.paths(result, target), aim.want)
        if not hops or hops[0].header is None:
            return Repair(what, expected, actual, reason=_no_rule(hops[0] if hops else None))
        found = [edit for hop in hops for edit in candidates(scenario, hop, aim.want)]
        best = _best(scenario, base, result, target, aim, found)
        if best is None or len(edits) == MAX_EDITS:
            where = " or ".join(_where(hop) for hop in hops)
            return Repair(what, expected, actual, reason=f"no change of rules at {where} "
                          f"gives {expected}")  # fmt: skip
        edit, scenario, result = best
        edits.append(edit)
    packets = sum(_packets(apply(base.scenario, edits[:k]), e) for k, e in enumerate(edits))
    effects = tuple(_side_effects(base, result, target))
    return Repair(what, expected, actual, tuple(edits), effects, packets)


def _split(base: ScenarioResult, target: Target) -> Repair:
    """A fix toward ``partial``: one path turned, the others left as they are (§3.9)."""
    what, expected, actual = target.label(base), "partial", target.outcome(base)
    paths = target.paths(base)
    if len(paths) < 2:
        return Repair(what, expected, actual, reason="partial needs a flow a CLB spreads over "
                      "several backends (§3.9); this one has a single path")  # fmt: skip
    want = Action.ACCEPT if actual == Verdict.DENIED else Action.DROP
    tried = [_search(base, target, Aim(want, (p.backend, p.port))) for p in paths]
    fixed = [r for r in tried if r.fixed]
    if fixed:
        return min(
            fixed,
            key=lambda r: (len(r.edits), sum(e.breaks for e in r.side_effects), r.packets),
        )
    turn = "let one backend's path through" if want is Action.ACCEPT else "stop one backend's path"
    return Repair(what, expected, actual, reason=f"no change of rules can {turn} and leave "
                  "the others as they are")  # fmt: skip


# -- finding where it goes wrong ---------------------------------------------------------


def _wrong_hops(paths: Sequence[Path], want: Action) -> list[Hop]:
    """The hops to change: where the first wrong path stops; or, to stop it, every hop whose
    rules let its request through, the destination's first (where such rules usually go)."""
    for path in paths:
        if want is Action.ACCEPT and path.blocked_at is not None:
            return [path.blocked_at]
        if want is Action.DROP and path.blocked_at is None:
            return [
                h
                for h in reversed(path.hops)
                if h.leg is Leg.REQUEST and h.decision is Decision.ACCEPT and h.rules
            ]
    return []


def _no_rule(hop: Hop | None) -> str:
    if hop is None:
        return "no rule lets it through that a change could turn"
    return f"it stops at {_where(hop)}: {hop.short or hop.reason}; no rule change opens that"


def _where(hop: Hop) -> str:
    return f"{hop.node} {hop.checkpoint}" + (f" {hop.direction}" if hop.direction else "")


# -- trying them -------------------------------------------------------------------------

Trial = tuple[Edit, Scenario, ScenarioResult]


def _best(
    scenario: Scenario,
    base: ScenarioResult,
    current: ScenarioResult,
    target: Target,
    aim: Aim,
    edits: Sequence[Edit],
) -> Trial | None:
    """The candidate that brings the expectation closest with the least harm, if any does."""
    before = _progress(current, target, aim)
    ranked = []
    for order, edit in enumerate(edits):
        tried = apply_one(scenario, edit)
        result = simulate(tried)
        progress = _progress(result, target, aim)
        if progress <= before:
            continue
        effects = list(_side_effects(base, result, target))
        key = (
            sum(e.breaks for e in effects),
            tuple(-p for p in progress),
            _packets(scenario, edit),
            len(effects),
            RANK[edit.kind],
            order,
        )
        ranked.append((key, (edit, tried, result)))
    if not ranked:
        return None
    return min(ranked, key=lambda item: item[0])[1]


def _progress(result: ScenarioResult, target: Target, aim: Aim) -> tuple[int, int, int]:
    """How close the target is: met; paths as wanted; how far the first wrong path gets. Less
    than any other where a path to turn is gone, or no other path is left as it was."""
    want = aim.want
    paths = aim.paths(result, target)

    def turned(path: Path) -> bool:
        return (path.blocked_at is None) is (want is Action.ACCEPT)

    if aim.focus is not None and (not paths or all(turned(p) for p in aim.others(result, target))):
        return -1, 0, 0
    right = [turned(p) for p in paths]
    wrong = next((p for p, ok in zip(paths, right, strict=True) if not ok), None)
    reach = 0
    if wrong is not None and want is Action.ACCEPT and wrong.blocked_at is not None:
        reach = wrong.hops.index(wrong.blocked_at)
    met = target.expected(result) == target.outcome(result)
    return int(met), sum(right), reach


def _packets(scenario: Scenario, edit: Edit) -> int:
    """How many packets change verdict where the list ``edit`` touches is read: an ACL alone; a
    security group within each instance's or CLB's groups in binding order (§1.5), since a
    rule's reach depends on the groups around it; a group bound nowhere, alone."""
    after = apply_one(scenario, edit)
    if edit.acl:
        bindings: list[tuple[str, ...]] = [(edit.name,)]
    else:
        bindings = [
            held
            for held in (
                *(i.security_groups for i in scenario.instances),
                *(lb.security_groups for lb in scenario.load_balancers),
            )
            if edit.name in held
        ]
        bindings = bindings or [(edit.name,)]
    total = 0
    for names in bindings:
        old, new = (
            ordered([(n, s.security_group(n).rules(edit.direction)) for n in names], edit.direction)
            if not edit.acl
            else edit.refs(s)
            for s in (scenario, after)
        )
        total += sum(space.size() for space, _, _ in changed(old, new))
    return total


def _side_effects(base: ScenarioResult, result: ScenarioResult, target: Target) -> list[SideEffect]:
    """Every other flow and health check whose outcome is not what it was."""
    found = []
    for kind, count in (("flow", len(base.flows)), ("health check", len(base.health_checks))):
        for position in range(count):
            other = Target(kind, position)
            if other == target or other.outcome(base) == other.outcome(result):
                continue
            found.append(
                SideEffect(
                    other.label(base),
                    other.outcome(base),
                    other.outcome(result),
                    other.expected(base),
                )
            )
    return found


__all__ = [
    "Edit",
    "EditKind",
    "Repair",
    "SideEffect",
    "Target",
    "apply",
    "repair",
    "repair_all",
    "targets",
]
