"""Lint: findings about a scenario's rules that no single flow shows.

For every group alone, and for each instance's groups together in binding order (§1.5):
rules that decide nothing (shadowed by one earlier rule or a union of them), pairs of rules
whose order decides (generalization and correlation, after Al-Shaer and Hamed), blocklist drops
below a broader accept, public sources on administrative ports, and all-ports rules open to the
internet. For the scenario as a whole: failing health checks, client instances whose own
outbound rules cannot reach the listener they use, and quotas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from ..checks import Limits
from ..evaluate import RuleRef, ordered
from ..fixes import Edit, Target, repair
from ..model import (
    Action,
    Checkpoint,
    Direction,
    Health,
    HealthExpectation,
    Protocol,
    Rule,
    Scenario,
    TargetKind,
    host_network,
)
from ..results import ScenarioResult
from ..simulate import simulate
from .regions import Region, accepted, decided
from .space import PORTS, Box, BoxIndex, Space, rule_space

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    severity: Severity
    group: str | None
    index: int | None
    message: str
    fix: str | None = None
    rule: str | None = None
    direction: Direction | None = None
    on: str | None = None  # the instance or CLB whose groups, read together, make it so
    acl: bool = False  # ``group`` is a network ACL
    line: int = 0  # where in the file, for ordering


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Listing:
    """One ordered list of rules that is read as a whole, and what each rule decides in it."""

    refs: list[RuleRef]
    regions: list[Region]
    direction: Direction
    on: str | None = None  # "instance web" or "CLB clb-1": several groups in binding order
    groups: tuple[str, ...] = ()
    acl: bool = False

    @classmethod
    def of(
        cls,
        lists: Sequence[tuple[str, Sequence[Rule]]],
        direction: Direction,
        on: str | None = None,
        *,
        acl: bool = False,
    ) -> Listing:
        refs = ordered(lists, direction)
        return cls(refs, decided(refs), direction, on, tuple(n for n, _ in lists), acl)

    def dead(self) -> set[tuple[str, int]]:
        """The rules that decide nothing here (a rule matching nothing at all aside)."""
        return {
            (ref.group, ref.index)
            for ref, region in zip(self.refs, self.regions, strict=False)
            if not region.space and ref.rule.peers
        }


def lint(scenario: Scenario, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """Every finding of ``scenario``, errors first, then in file order."""
    alone = [
        Listing.of([(g.name, g.rules(d))], d) for g in scenario.security_groups for d in Direction
    ]
    acls = [
        Listing.of([(a.name, a.rules(d))], d, acl=True)
        for a in scenario.network_acls
        for d in Direction
    ]
    holders = [
        *((f"instance {i.name}", i.security_groups, tuple(Direction)) for i in scenario.instances),
        *(
            (f"CLB {lb.name}", lb.security_groups, (Direction.INBOUND,))
            for lb in scenario.load_balancers
        ),
    ]
    bindings = [
        Listing.of([(g, scenario.security_group(g).rules(d)) for g in names], d, on)
        for on, names, directions in holders
        if len(names) > 1
        for d in directions
    ]
    findings: list[Finding] = []
    for listing in (*alone, *acls):
        findings += _order_findings(listing, _Context())
        if listing.direction is Direction.INBOUND and not listing.acl:
            findings += _exposure_findings(listing.regions, listing.direction)
    dead_alone = {
        (ref.group, listing.direction, ref.index)
        for listing in alone
        for ref in listing.refs
        if (ref.group, ref.index) in listing.dead()
    }
    context = _Context(dead_alone, holders, bindings)
    for listing in bindings:
        findings += _order_findings(listing, context)
    result = simulate(scenario, limits)
    findings += _health_findings(scenario, result)
    findings += _egress_findings(scenario)
    findings += [
        Finding(
            "quota" if "limit" in w.message else "unfiltered",
            Severity.WARNING,
            w.field.removeprefix("security_groups.")
            if w.field.startswith("security_groups.")
            else None,
            None,
            f"{w.field}: {w.message}",
            line=w.line,
        )
        for w in result.warnings
    ]
    unique = list(dict.fromkeys(findings))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        unique,
        key=lambda f: (
            order[f.severity],
            f.line,
            f.group or "",
            f.direction or "",
            f.index or 0,
            f.kind,
            f.on or "",
        ),
    )


@dataclass(frozen=True, slots=True)
class _Context:
    """What a binding's findings need to know of the rest: which rules are dead alone, and
    every instance and CLB with the groups it binds."""

    dead_alone: set[tuple[str, Direction, int]] = field(default_factory=set)
    holders: Sequence[tuple[str, tuple[str, ...], tuple[Direction, ...]]] = ()
    bindings: Sequence[Listing] = ()

    def dead_everywhere(self, ref: RuleRef) -> tuple[bool, list[str]]:
        """Whether ``ref`` decides nothing on any instance or CLB bound to its group, and where
        it still does."""
        alive = []
        for on, names, directions in self.holders:
            if ref.group not in names or ref.direction not in directions:
                continue
            if len(names) == 1:
                if (ref.group, ref.direction, ref.index) not in self.dead_alone:
                    alive.append(on.split()[-1])
                continue
            listing = next(b for b in self.bindings if b.on == on and b.direction is ref.direction)
            if (ref.group, ref.index) not in listing.dead():
                alive.append(on.split()[-1])
        return not alive, alive


def _where(ref: RuleRef) -> str:
    return f"{ref.group} {ref.direction} #{ref.index}"


def _order_findings(listing: Listing, context: _Context) -> Iterable[Finding]:
    """Rules that decide nothing, and pairs whose order decides, in one list. In a binding of
    several groups, only what the binding causes: rules dead in their group alone, and pairs
    within one group, are reported with the group."""
    refs, regions, direction = listing.refs, listing.regions, listing.direction
    matches = [rule_space(ref.rule) for ref in refs]
    by_match = BoxIndex((box, i) for i, match in enumerate(matches) for box in match)
    by_region = BoxIndex((box, i) for i, region in enumerate(regions) for box in region.space)
    binding = listing.on is not None
    prefix = (
        f"on {listing.on}, whose groups are read {', then '.join(listing.groups)}: "
        if binding
        else ""
    )

    def meeting(index: BoxIndex[int], j: int) -> list[int]:
        """The rules before ``j`` whose boxes in ``index`` meet rule ``j``'s match."""
        return sorted({i for box in matches[j] for i in index.meeting(box) if i < j})

    def finding(
        kind: str, severity: Severity, ref: RuleRef, message: str, fix: str | None
    ) -> Finding:
        return Finding(
            kind, severity, ref.group, ref.index, prefix + message, fix, ref.rule.text, direction,
            listing.on, listing.acl, ref.rule.line,
        )  # fmt: skip

    for j, (ref, region) in enumerate(zip(refs, regions, strict=False)):
        if not matches[j]:
            continue  # a group peer with no instance: it matches nothing, by design
        if not region.space:  # the earlier rules whose regions hold its packets decide them
            if binding and (ref.group, direction, ref.index) in context.dead_alone:
                continue  # reported with its group
            earlier = [refs[i] for i in meeting(by_region, j)]
            yield _dead_finding(ref, earlier, finding, listing, context)
            continue
        opposite = [
            i for i in meeting(by_match, j)
            if refs[i].rule.action is not ref.rule.action and (not binding or refs[i].group != ref.group)
        ]  # fmt: skip
        general = [refs[i] for i in opposite if matches[j].covers(matches[i])]
        if general:
            yield finding(
                "generalization", Severity.INFO, ref,
                f"generalizes {_list(general, ref)} with the other action: those exceptions work "
                "only while they stay above it", None,
            )  # fmt: skip
        for i in opposite:
            if matches[j].covers(matches[i]) or matches[i].covers(matches[j]):
                continue
            if ref.rule.action is Action.DROP:
                yield finding(
                    "blocklist-partly-below-accept", Severity.WARNING, ref,
                    f"part of this drop never applies: {_where(refs[i])} ({refs[i].rule.text}) "
                    "accepts the packets both match first", _move_above(ref, refs[i], listing),
                )  # fmt: skip
            else:
                yield finding(
                    "correlation", Severity.WARNING, ref,
                    f"overlaps {_where(refs[i])} ({refs[i].rule.text}) with the other action, so "
                    "their order decides the packets both match", None,
                )  # fmt: skip


def _dead_finding(
    ref: RuleRef,
    earlier: Sequence[RuleRef],
    finding: Callable[[str, Severity, RuleRef, str, str | None], Finding],
    listing: Listing,
    context: _Context,
) -> Finding:
    """A rule that decides nothing: redundant, shadowed, or a blocklist drop below accepts."""
    differ = [e for e in earlier if e.rule.action is not ref.rule.action]
    same = [e for e in earlier if e.rule.action is ref.rule.action]
    rest = f", and {_list(same, ref)} already {ref.rule.action} the rest" if same and differ else ""
    if ref.rule.action is Action.DROP and differ:
        return finding(
            "blocklist-below-accept", Severity.ERROR, ref,
            f"this drop never applies: earlier accepts ({_list(differ, ref)}) take its packets first{rest}",
            _move_above(ref, differ[0], listing),
        )  # fmt: skip
    if differ:
        return finding(
            "shadowed", Severity.ERROR, ref,
            f"this {ref.rule.action} never applies: earlier rules ({_list(differ, ref)}) decide its packets the other way{rest}",
            _move_above(ref, differ[0], listing, "or delete it"),
        )  # fmt: skip
    message = f"this rule never applies: earlier rules ({_list(same, ref)}) already {ref.rule.action} all its packets"
    if listing.on is None:
        return finding("redundant", Severity.WARNING, ref, message, "delete it")
    everywhere, alive = context.dead_everywhere(ref)
    if everywhere:
        return finding(
            "redundant",
            Severity.WARNING,
            ref,
            message,
            "delete it: it applies nowhere its group is bound",
        )
    return finding(
        "redundant", Severity.INFO, ref,
        f"{message}; it still applies on {', '.join(alive)}", None,
    )  # fmt: skip


def _move_above(ref: RuleRef, first: RuleRef, listing: Listing, also: str = "") -> str:
    """Where to put ``ref`` so that it comes before ``first``: in its group, or, where
    ``first`` is in a group bound before it, by binding its group first."""
    tail = f", {also}" if also else ""
    if first.group == ref.group:
        return f"move it above #{first.index}{tail}"
    return f"bind {ref.group} before {first.group} on {(listing.on or '').split()[-1]}{tail}"


def _list(refs: Sequence[RuleRef], of: RuleRef) -> str:
    return ", ".join(
        f"#{r.index}" if r.group == of.group else f"{r.group} #{r.index}" for r in refs
    )


def _public(box: Box) -> bool:
    return any(net.prefixlen == 0 or net.is_global for net in box.networks())


def _exposure_findings(regions: Sequence[Region], direction: Direction) -> Iterable[Finding]:
    for region in regions:
        ref = region.rule
        if ref is None or ref.rule.action is not Action.ACCEPT:
            continue
        open_boxes = [b for b in region.space if _public(b)]
        for port, name in ADMIN_PORTS.items():
            if any(b.protocol is Protocol.TCP and b.plo <= port <= b.phi for b in open_boxes):
                yield Finding(
                    "admin-port-public", Severity.WARNING, ref.group, ref.index,
                    f"{name} (TCP {port}) is open to public addresses", "narrow the peer to the admin network",
                    ref.rule.text, direction,
                )  # fmt: skip
        if any(net.prefixlen == 0 for net in ref.rule.peers) and any(
            b.protocol.has_ports and (b.plo, b.phi) == PORTS for b in open_boxes
        ):
            yield Finding(
                "all-ports-public", Severity.WARNING, ref.group, ref.index,
                "every port is open to the internet", "name the ports the service needs", ref.rule.text, direction,
            )  # fmt: skip


def _health_findings(scenario: Scenario, result: ScenarioResult) -> Iterable[Finding]:
    for position, check in enumerate(result.health_checks):
        hop = check.blocked_at
        if check.status is Health.HEALTHY or hop is None:
            continue
        where = f"{check.load_balancer}:{check.listener.key} on {check.backend}"
        edits = _health_fix(scenario, result, position)
        fix = "; then ".join(str(e) for e in edits) or None
        group = edits[0].name if edits else hop.lists[0] if hop.lists else hop.group
        yield Finding(
            "health-check", Severity.ERROR, group, hop.index,
            f"the health check of {where} from {check.source} fails at {hop.node} {hop.checkpoint}: {hop.reason}",
            fix, hop.rule, hop.direction, acl=hop.checkpoint is Checkpoint.NETWORK_ACL,
        )  # fmt: skip


def _health_fix(scenario: Scenario, result: ScenarioResult, position: int) -> tuple[Edit, ...]:
    """The smallest rule change that makes a failing check pass, checked by simulating the
    scenario again (None where no rule change can: a stopped service, say)."""
    check = result.health_checks[position]
    key = (check.load_balancer, check.listener.key, check.backend)
    healthy = HealthExpectation(*key, Health.HEALTHY)
    kept = tuple(
        e for e in scenario.health_checks if (e.load_balancer, e.listener, e.backend) != key
    )
    asked = simulate(replace(scenario, health_checks=(*kept, healthy)))
    return repair(asked, Target("health check", position)).edits


def _egress_findings(scenario: Scenario) -> Iterable[Finding]:
    seen: set[tuple[str, str, int | None]] = set()
    for flow in scenario.flows:
        instance = next((i for i in scenario.instances if i.name == flow.source), None)
        if (
            instance is None
            or not instance.security_groups
            or flow.target.kind is not TargetKind.LOAD_BALANCER
        ):
            continue
        lb = scenario.load_balancer(flow.target.name)
        key = (instance.name, lb.name, flow.target.port)
        if key in seen:
            continue
        seen.add(key)
        listeners = [li for li in lb.listeners if li.port == flow.target.port]
        if not listeners:
            continue
        transport = flow.protocol or listeners[0].protocol.transport
        vip = host_network(lb.vip)
        want = Space(
            (
                Box(
                    transport,
                    vip.version,
                    int(vip.network_address),
                    int(vip.network_address),
                    flow.target.port or 0,
                    flow.target.port or 0,
                ),
            )
        )
        refs = ordered(
            [(g, scenario.security_group(g).outbound) for g in instance.security_groups],
            Direction.OUTBOUND,
        )
        if want - accepted(refs, want):
            group = instance.security_groups[0]
            yield Finding(
                "client-egress", Severity.ERROR, group, None,
                f"{instance.name}'s own outbound rules drop its connections to {lb.name}'s listener "
                f"{transport}:{flow.target.port}, so they never reach the CLB",
                f"insert '{lb.name} VIP + {transport}:{flow.target.port} allow' at index 0 of {group} outbound",
                None, Direction.OUTBOUND,
            )  # fmt: skip


__all__ = ["Finding", "Region", "Severity", "lint"]
