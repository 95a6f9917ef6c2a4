"""Stage 4, results: what simulation found, as hops, paths and verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .checks import ScenarioWarning
from .evaluate import Packet, Reading, RuleRef, read_rules
from .model import (
    Backend,
    Checkpoint,
    Decision,
    Direction,
    Flow,
    Health,
    Leg,
    Listener,
    Protocol,
    Scenario,
    Verdict,
)


@dataclass(frozen=True, slots=True)
class Hop:
    """One checkpoint a packet met, what it decided and why."""

    node: str
    checkpoint: Checkpoint
    direction: Direction | None
    decision: Decision
    reason: str
    leg: Leg
    packet: str
    group: str | None = None
    index: int | None = None
    rule: str | None = None
    partly: bool = False  # the rules allowed only part of a range of source addresses (§3.6)
    short: str = ""  # a few words for a table, where no rule decided
    rules: tuple[RuleRef, ...] = ()  # the rules first match read from, where rules decided
    fields: str = ""  # what the rules were read against: protocol, port and peer
    header: Packet | None = None  # the packet the rules read, where rules decided
    lists: tuple[str, ...] = ()  # the groups (in binding order) or the ACL the rules came from
    tracked: bool = False  # the request was entered in the connection table here (§1.6)

    @property
    def readings(self) -> tuple[Reading, ...]:
        """Every rule first match read here, in order, each field marked; none where no rules
        decided."""
        if self.header is None or self.direction is None or not self.rules:
            return ()
        return read_rules(self.rules, self.header, self.direction)


@dataclass(frozen=True, slots=True)
class Path:
    """One way a connection can go (one backend a CLB may pick), request and reply."""

    backend: str | None
    hops: tuple[Hop, ...]
    port: int | None = None  # the backend's port, where there is a backend

    @property
    def blocked_at(self) -> Hop | None:
        return next((h for h in self.hops if h.decision is Decision.DROP), None)

    @property
    def verdict(self) -> Verdict:
        return Verdict.DENIED if self.blocked_at else Verdict.ALLOWED

    @property
    def deciding_hop(self) -> Hop | None:
        """The hop that stopped the path, else the last security-group hop of the request."""
        if self.blocked_at is not None:
            return self.blocked_at
        request = [h for h in self.hops if h.leg is Leg.REQUEST]
        for kind in (
            Checkpoint.SECURITY_GROUP,
            Checkpoint.CLB_SECURITY_GROUP,
            Checkpoint.NETWORK_ACL,
        ):
            found = [h for h in request if h.checkpoint is kind]
            if found:
                return found[-1]
        return request[-1] if request else None


def combine(verdicts: Sequence[Verdict]) -> Verdict:
    """``allowed`` if every path is, ``denied`` if none is, else ``partial`` (§3.9)."""
    if all(v is Verdict.ALLOWED for v in verdicts):
        return Verdict.ALLOWED
    if all(v is Verdict.DENIED for v in verdicts):
        return Verdict.DENIED
    return Verdict.PARTIAL


@dataclass(frozen=True, slots=True)
class FlowResult:
    flow: Flow
    protocol: Protocol
    paths: tuple[Path, ...]
    unhealthy: tuple[str, ...] = ()  # backends not picked because their checks fail
    all_unhealthy: bool = False  # every backend failed, so the CLB picks all of them (§3.8)

    @property
    def verdict(self) -> Verdict:
        return combine([p.verdict for p in self.paths])

    @property
    def ok(self) -> bool | None:
        return None if self.flow.expect is None else self.flow.expect is self.verdict


@dataclass(frozen=True, slots=True)
class HealthResult:
    load_balancer: str
    listener: Listener
    backend: Backend
    port: int
    source: str
    hops: tuple[Hop, ...]
    enabled: bool = True
    expected: Health | None = None
    silent_drop: Hop | None = None  # a UDP probe dropped unseen, which fails nothing (§3.7)
    unseen: int = 0  # how many of the last hops belong to that probe

    @property
    def blocked_at(self) -> Hop | None:
        """The hop that made the check fail; a silently dropped UDP probe does not."""
        return next(
            (h for h in self.hops if h.decision is Decision.DROP and h is not self.silent_drop),
            None,
        )

    @property
    def status(self) -> Health:
        return Health.UNHEALTHY if self.blocked_at else Health.HEALTHY

    @property
    def ok(self) -> bool | None:
        return None if self.expected is None else self.expected is self.status

    @property
    def path(self) -> Path:
        """The probes' hops as one path; a silently dropped UDP probe is left out."""
        counted = self.hops[: len(self.hops) - self.unseen]
        return Path(self.backend.instance, counted, self.backend.port)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    flows: tuple[FlowResult, ...]
    health_checks: tuple[HealthResult, ...]
    warnings: tuple[ScenarioWarning, ...] = ()

    @property
    def ok(self) -> bool:
        results: Iterable[bool | None] = (
            *(f.ok for f in self.flows),
            *(h.ok for h in self.health_checks),
        )
        return all(r is not False for r in results)
