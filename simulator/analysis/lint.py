"""Lint: findings about a scenario's rules that no single flow shows.

For every group alone, and for each instance's groups together in binding order (§1.5):
rules that decide nothing (shadowed by one earlier rule or a union of them), pairs of rules
whose order decides (generalization and correlation, after Al-Shaer and Hamed), blocklist drops
below a broader accept, public sources on administrative ports, and all-ports rules open to the
internet. For the scenario as a whole: failing health checks, client instances whose own
outbound rules cannot reach the listener they use, and quotas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ..checks import Limits
from ..evaluate import RuleRef, ordered
from ..fixes import Target, repair
from ..model import (
    Action,
    Direction,
    Health,
    HealthExpectation,
    Protocol,
    Scenario,
    TargetKind,
    host_network,
)
from ..results import ScenarioResult
from ..simulate import simulate
from .regions import Region, accepted, decided
from .space import Box, BoxIndex, Space, rule_space

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


DEFAULT_LIMITS = Limits()


def lint(scenario: Scenario, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """Every finding of ``scenario``, errors first, then in file order."""
    findings: list[Finding] = []
    lists: list[tuple[str, Direction, list[RuleRef]]] = []
    for group in scenario.security_groups:
        for direction in Direction:
            lists.append(
                (
                    f"group {group.name}",
                    direction,
                    ordered([(group.name, group.rules(direction))], direction),
                )
            )
    for instance in scenario.instances:
        if len(instance.security_groups) > 1:
            for direction in Direction:
                groups = [
                    (g, scenario.security_group(g).rules(direction))
                    for g in instance.security_groups
                ]
                lists.append((f"instance {instance.name}", direction, ordered(groups, direction)))
    for _, direction, refs in lists:
        regions = decided(refs)
        findings += _order_findings(refs, regions, direction)
        if direction is Direction.INBOUND:
            findings += _exposure_findings(regions, direction)
    result = simulate(scenario, limits)
    findings += _health_findings(scenario, result)
    findings += _egress_findings(scenario)
    findings += [
        Finding(
            "quota" if "limit" in w.message else "unfiltered",
            Severity.WARNING,
            None,
            None,
            f"{w.field}: {w.message}",
        )
        for w in result.warnings
    ]
    unique = list(dict.fromkeys(findings))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        unique,
        key=lambda f: (order[f.severity], f.group or "", f.direction or "", f.index or 0, f.kind),
    )


def _where(ref: RuleRef) -> str:
    return f"{ref.group} {ref.direction} #{ref.index}"


def _order_findings(
    refs: Sequence[RuleRef], regions: Sequence[Region], direction: Direction
) -> Iterable[Finding]:
    matches = [rule_space(ref.rule) for ref in refs]
    by_match = BoxIndex((box, i) for i, match in enumerate(matches) for box in match)
    by_region = BoxIndex((box, i) for i, region in enumerate(regions) for box in region.space)

    def meeting(index: BoxIndex[int], j: int) -> list[int]:
        """The rules before ``j`` whose boxes in ``index`` meet rule ``j``'s match."""
        return sorted({i for box in matches[j] for i in index.meeting(box) if i < j})

    for j, (ref, region) in enumerate(zip(refs, regions, strict=False)):
        if not matches[j]:
            continue  # a group peer with no instance: it matches nothing, by design
        if not region.space:  # the earlier rules whose regions hold its packets decide them
            earlier = [refs[i] for i in meeting(by_region, j)]
            differ = [e for e in earlier if e.rule.action is not ref.rule.action]
            names = _list(earlier, ref)
            if ref.rule.action is Action.DROP and differ:
                yield Finding(
                    "blocklist-below-accept", Severity.ERROR, ref.group, ref.index,
                    f"this drop never applies: earlier accepts ({names}) take all its packets first",
                    f"move it above #{min(e.index for e in differ)}", ref.rule.text, direction,
                )  # fmt: skip
            elif differ:
                yield Finding(
                    "shadowed", Severity.ERROR, ref.group, ref.index,
                    f"this {ref.rule.action} never applies: earlier rules ({names}) decide all its packets the other way",
                    f"move it above #{min(e.index for e in differ)}, or delete it", ref.rule.text, direction,
                )  # fmt: skip
            else:
                yield Finding(
                    "redundant", Severity.WARNING, ref.group, ref.index,
                    f"this rule never applies: earlier rules ({names}) already {ref.rule.action} all its packets",
                    "delete it", ref.rule.text, direction,
                )  # fmt: skip
            continue
        opposite = [i for i in meeting(by_match, j) if refs[i].rule.action is not ref.rule.action]
        general = [refs[i] for i in opposite if matches[j].covers(matches[i])]
        if general:
            yield Finding(
                "generalization", Severity.INFO, ref.group, ref.index,
                f"generalizes {_list(general, ref)} with the other action: those exceptions work "
                "only while they stay above it", None, ref.rule.text, direction,
            )  # fmt: skip
        for i in opposite:
            if not matches[j].covers(matches[i]) and not matches[i].covers(matches[j]):
                yield Finding(
                    "correlation", Severity.WARNING, ref.group, ref.index,
                    f"overlaps {_where(refs[i])} ({refs[i].rule.text}) with the other action, so "
                    "their order decides the packets both match", None, ref.rule.text, direction,
                )  # fmt: skip


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
        if any(
            b.protocol.has_ports and (b.plo, b.phi) == (0, 65535) and b.lo == 0 for b in open_boxes
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
        fix = _health_fix(scenario, result, position)
        yield Finding(
            "health-check", Severity.ERROR, hop.group, hop.index,
            f"the health check of {where} from {check.source} fails at {hop.node} {hop.checkpoint}: {hop.reason}",
            fix, hop.rule, hop.direction,
        )  # fmt: skip


def _health_fix(scenario: Scenario, result: ScenarioResult, position: int) -> str | None:
    """The smallest rule change that makes a failing check pass, checked by simulating the
    scenario again (None where no rule change can: a stopped service, say)."""
    check = result.health_checks[position]
    key = (check.load_balancer, check.listener.key, check.backend)
    healthy = HealthExpectation(*key, Health.HEALTHY)
    kept = tuple(
        e for e in scenario.health_checks if (e.load_balancer, e.listener, e.backend) != key
    )
    asked = simulate(replace(scenario, health_checks=(*kept, healthy)))
    found = repair(asked, Target("health check", position))
    return "; then ".join(str(e) for e in found.edits) or None


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
