"""Diff: every set of packets whose verdict changes between two scenarios, every other change
of the setup, and every flow and health check whose outcome changes.

Every ordered list of rules is compared as regions (§1.3): for each security group and network
ACL on both sides, and each direction, the packets each side's rules decide are intersected
pairwise; where the actions differ, those packets change verdict. For each instance and load
balancer whose bound groups changed, or that binds several groups of which one changed, the
groups are compared again as one list in binding order (§1.5); rows the groups' own rows already
show are left out. Everything else of the setup is compared field by field.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ..evaluate import RuleRef, ordered
from ..model import (
    DEFAULT_SOURCE_PORT,
    Action,
    Address,
    Direction,
    Instance,
    LoadBalancer,
    NetworkAcl,
    PortRange,
    Protocol,
    Rule,
    Scenario,
    SecurityGroup,
)
from ..results import FlowResult, HealthResult
from ..simulate import simulate
from .regions import Region, decided
from .space import PACKET_PROTOCOLS, Box, BoxIndex, Space


class Kind(StrEnum):
    """What an ordered list of rules belongs to."""

    SECURITY_GROUP = "security_group"
    NETWORK_ACL = "network_acl"
    INSTANCE = "instance"  # the instance's groups as one list, in binding order
    LOAD_BALANCER = "load_balancer"  # the CLB's own groups as one list, in binding order


#: The list of an instance or CLB bound to no group: nothing filters it (§1.7, §3.2).
NO_GROUP = ""
_UNFILTERED = Rule(
    Action.ACCEPT,
    Protocol.ALL,
    (PortRange.all(),),
    (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")),
    "not filtered: no security group bound",
)


@dataclass(frozen=True, slots=True)
class Change:
    """Packets of one list and direction whose verdict changes, and who decides on each side.

    ``group`` names the list: the security group, the network ACL, or (for ``kind`` instance
    or load balancer) the instance or CLB whose groups, ``bound`` before and after, are read as
    one list."""

    group: str
    direction: Direction
    space: Space
    old: Region
    new: Region
    example: Box  # one packet of ``space``, a named host's where one lies inside
    kind: Kind = Kind.SECURITY_GROUP
    bound: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def boxes(self) -> list[Box]:
        """The packets' boxes, TCP and UDP first, IPv4 before IPv6."""
        return _by_interest(self.space)

    @property
    def where(self) -> str:
        """``sg-web inbound``, ``network ACL acl-a inbound``, ``instance web inbound (a, b)``."""
        if self.kind is Kind.SECURITY_GROUP:
            return f"{self.group} {self.direction}"
        if self.kind is Kind.NETWORK_ACL:
            return f"network ACL {self.group} {self.direction}"
        before, after = (", ".join(names) or "no group" for names in self.bound or ((), ()))
        groups = before if before == after else f"{before} -> {after}"
        owner = "instance" if self.kind is Kind.INSTANCE else "load balancer"
        return f"{owner} {self.group} {self.direction} ({groups})"


def unfiltered(region: Region) -> bool:
    """True for the side of an instance or CLB bound to no group, which accepts everything."""
    return region.rule is not None and region.rule.group == NO_GROUP


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change of the setup, or a flow or health check whose result changes.

    ``kind`` is ``setup``, ``flow`` or ``health_check``; ``old`` is None for what NEW adds,
    ``new`` None for what it removes."""

    kind: str
    what: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Diff:
    changes: tuple[Change, ...]
    outcomes: tuple[Outcome, ...]
    group: str | None = None  # --group: only this group's rules were compared

    @property
    def equivalent(self) -> bool:
        return not self.changes and not self.outcomes


Lists = Mapping[str, SecurityGroup | NetworkAcl]


def diff(old: Scenario, new: Scenario, *, group: str | None = None) -> Diff:
    """What changes from ``old`` to ``new`` (only group ``group``'s rules, when given)."""
    named = _named(new, old)
    before = {g.name: g for g in old.security_groups}
    after = {g.name: g for g in new.security_groups}
    if group is not None:
        changes, setup = _lists(Kind.SECURITY_GROUP, before, after, [group], named)
        return Diff(tuple(changes), tuple(setup), group)
    changes, setup = _lists(Kind.SECURITY_GROUP, before, after, sorted({*before, *after}), named)
    acls_before = {a.name: a for a in old.network_acls}
    acls_after = {a.name: a for a in new.network_acls}
    names = sorted({*acls_before, *acls_after})
    acl_changes, acl_setup = _lists(Kind.NETWORK_ACL, acls_before, acls_after, names, named)
    changes += acl_changes + _bindings(old, new, {*before} & {*after}, named)
    outcomes = [*setup, *acl_setup, *_setup(old, new), *_outcomes(old, new)]
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


# -- lists of rules -----------------------------------------------------------------------------


def _lists(
    kind: Kind, before: Lists, after: Lists, names: Sequence[str], named: _Named
) -> tuple[list[Change], list[Outcome]]:
    """Each list on both sides compared as regions; one on one side only, a setup change."""
    label = "security group" if kind is Kind.SECURITY_GROUP else "network ACL"
    changes: list[Change] = []
    setup: list[Outcome] = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if old is None or new is None:
            what = _summary(old) if old else None, _summary(new) if new else None
            setup.append(Outcome("setup", f"{label} {name}", *what))
            continue
        for direction in Direction:
            if _meaning(old.rules(direction)) == _meaning(new.rules(direction)):
                continue  # the same rules decide the same packets
            old_refs = ordered([(name, old.rules(direction))], direction)
            new_refs = ordered([(name, new.rules(direction))], direction)
            changes += [
                Change(name, direction, space, a, b, _example(space, named), kind)
                for space, a, b in changed(old_refs, new_refs)
            ]
    return changes, setup


def _summary(rules: SecurityGroup | NetworkAcl) -> str:
    counts = f"{len(rules.inbound)} inbound, {len(rules.outbound)} outbound rules"
    if isinstance(rules, NetworkAcl):
        return f"subnets {', '.join(rules.subnets)}; {counts}"
    return counts


def _bindings(old: Scenario, new: Scenario, compared: set[str], named: _Named) -> list[Change]:
    """Each instance's and CLB's groups as one list, where that list may decide differently;
    a CLB's own groups filter only what clients send it (§3.2)."""
    was: dict[tuple[Kind, str], Instance | LoadBalancer] = {
        **{(Kind.INSTANCE, i.name): i for i in old.instances},
        **{(Kind.LOAD_BALANCER, lb.name): lb for lb in old.load_balancers},
    }
    owners: list[tuple[Kind, Instance | LoadBalancer]]
    owners = [(Kind.INSTANCE, i) for i in sorted(new.instances, key=lambda i: i.name)]
    owners += [(Kind.LOAD_BALANCER, lb) for lb in sorted(new.load_balancers, key=lambda b: b.name)]
    found: list[Change] = []
    for kind, owner in owners:
        before = was.get((kind, owner.name))
        if before is None:
            continue
        directions = tuple(Direction) if kind is Kind.INSTANCE else (Direction.INBOUND,)
        bound = before.security_groups, owner.security_groups
        for direction in (d for d in directions if _may_differ(old, new, bound, d)):
            old_refs, new_refs = _bound(old, bound[0], direction), _bound(new, bound[1], direction)
            found += [
                Change(owner.name, direction, s, a, b, _example(s, named), kind, bound)
                for s, a, b in changed(old_refs, new_refs)
                if not _shown(a, b, bound, compared)
            ]
    return found


def _may_differ(
    old: Scenario, new: Scenario, bound: tuple[tuple[str, ...], ...], direction: Direction
) -> bool:
    """False where the groups' own rows show every change: the same single group, or the same
    groups none of which changed."""
    if bound[0] != bound[1]:
        return True
    return len(bound[1]) > 1 and any(
        _meaning(old.security_group(g).rules(direction))
        != _meaning(new.security_group(g).rules(direction))
        for g in bound[1]
    )


def _meaning(rules: Sequence[Rule]) -> list[tuple[object, ...]]:
    return [(r.action, r.protocol, r.ports, r.peers) for r in rules]


def _bound(scenario: Scenario, groups: Sequence[str], direction: Direction) -> list[RuleRef]:
    if not groups:
        return [RuleRef(NO_GROUP, direction, 0, _UNFILTERED)]
    lists = [(g, scenario.security_group(g).rules(direction)) for g in groups]
    return ordered(lists, direction)


def _shown(a: Region, b: Region, bound: tuple[tuple[str, ...], ...], compared: set[str]) -> bool:
    """True when a group's own row already shows these packets change: one group's rules (or
    its rule and, on the other side, no rule of any group bound on both sides) decide them."""
    first, second = (r.rule.group if r.rule else None for r in (a, b))
    if first is not None and second is not None:
        return first == second and first in compared
    group = first or second
    return group in compared and group in bound[0] and group in bound[1]


# -- examples -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Named:
    """The addresses and ports a scenario names: telling examples."""

    addresses: tuple[Address, ...]  # clients first, then instances and VIPs
    ports: tuple[int, ...]  # listeners', backends', health checks' and flows' ports


def _named(*scenarios: Scenario) -> _Named:
    addresses: dict[Address, None] = {}
    ports: dict[int, None] = {}
    for scenario in scenarios:
        addresses.update(dict.fromkeys(c.ip for c in scenario.clients))
        addresses.update(dict.fromkeys(i.ip for i in scenario.instances))
        addresses.update(dict.fromkeys(lb.vip for lb in scenario.load_balancers))
        for listener in (li for lb in scenario.load_balancers for li in lb.listeners):
            ports.update(dict.fromkeys([listener.port, *(b.port for b in listener.backends)]))
            ports.update(dict.fromkeys([listener.health_check.port or listener.port]))
        ports.update(dict.fromkeys(f.target.port for f in scenario.flows if f.target.port))
    return _Named(tuple(addresses), tuple(ports))


def _by_interest(space: Space) -> list[Box]:
    """The boxes TCP and UDP first, IPv4 before IPv6."""
    order = {protocol: at for at, protocol in enumerate(PACKET_PROTOCOLS)}
    return sorted(space, key=lambda b: (order[b.protocol], b.family, b.plo, b.lo))


def _example(space: Space, named: _Named) -> Box:
    """One packet of ``space``, of its most telling protocol: from (or to) a named host where
    one lies inside, else the first address; to a named port where one does, else the first."""
    boxes = _by_interest(space)
    best = boxes[0].protocol
    pick = next(
        ((box, int(h)) for h in named.addresses for box in boxes
         if box.protocol is best and box.family == h.version and box.lo <= int(h) <= box.hi),
        None,
    )  # fmt: skip
    box, address = pick or (boxes[0], boxes[0].lo)
    if box.protocol.has_ports:
        port = next((p for p in named.ports if box.plo <= p <= box.phi), box.plo)
        return Box(box.protocol, box.family, address, address, port, port)
    return Box(box.protocol, box.family, address, address)


# -- the setup ----------------------------------------------------------------------------------


def _setup(old: Scenario, new: Scenario) -> list[Outcome]:
    """Every change of what is not a rule: hosts, load balancers and listeners, ACLs' subnets,
    and every host, CLB, group or ACL on one side only (the lists' own ones come from
    ``_lists``). The groups bound to an instance or CLB on both sides are compared as regions."""
    found: list[Outcome] = []
    kinds: list[tuple[str, Sequence[Any], Sequence[Any], Callable[[Any], dict[str, object]]]] = [
        ("client", old.clients, new.clients, _fields),
        ("instance", old.instances, new.instances, _fields),
        ("load balancer", old.load_balancers, new.load_balancers, _balancer),
        ("network ACL", old.network_acls, new.network_acls, lambda a: {"subnets": a.subnets}),
    ]
    for label, before, after, fields in kinds:
        was = {e.name: fields(e) for e in before}
        now = {e.name: fields(e) for e in after}
        for name in sorted({*was, *now}):
            if label == "network ACL" and (name not in was or name not in now):
                continue  # reported with its rules
            if name in was and name in now:
                was[name].pop("security_groups", None)
                now[name].pop("security_groups", None)
            found += _changes(f"{label} {name}", was.get(name, _GONE), now.get(name, _GONE), ": ")
    return found


_GONE = object()  # on one side only


def _changes(what: str, was: object, now: object, sep: str = " ") -> list[Outcome]:
    """Where two values differ: field by field where both are fields, else as a whole."""
    if was == now:
        return []
    if isinstance(was, dict) and isinstance(now, dict):
        keys = [*was, *(k for k in now if k not in was)]
        return [
            o
            for key in keys
            for o in _changes(f"{what}{sep}{key}", was.get(key, _GONE), now.get(key, _GONE))
        ]
    return [Outcome("setup", what, _text(was), _text(now))]


def _fields(value: object) -> dict[str, object]:
    """A dataclass's fields, but its name, its line and its listeners."""
    skip = {"name", "line", "listeners"}
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)  # type: ignore[arg-type]
        if f.name not in skip
    }


def _balancer(lb: LoadBalancer) -> dict[str, object]:
    found = _fields(lb)
    for listener in lb.listeners:
        fields: dict[str, object] = {
            "backends": listener.backends,
            "persistent_connections": listener.persistent_connections,
        }
        fields.update({f"health_check.{k}": v for k, v in _fields(listener.health_check).items()})
        found[f"listener {listener.key}"] = fields
    return found


def _text(value: object) -> str | None:
    """A field's value as text; None for what is on one side only."""
    if value is _GONE:
        return None
    if isinstance(value, dict):  # a whole host, CLB or listener; a listener by its key
        return "; ".join(k if isinstance(v, dict) else f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- flows and health checks ---------------------------------------------------------------------


def _outcomes(old: Scenario, new: Scenario) -> list[Outcome]:
    first, second = simulate(old), simulate(new)
    return [*_flows(first.flows, second.flows), *_checks(first.health_checks, second.health_checks)]


def _flows(first: Sequence[FlowResult], second: Sequence[FlowResult]) -> list[Outcome]:
    """Flows paired by what they ask (source, target as written, protocol, source port): where
    several ask the same, one of the same name first, else in file order."""
    waiting: dict[tuple[object, ...], list[int]] = {}
    for at, result in enumerate(first):
        waiting.setdefault(_question(result), []).append(at)
    found: list[Outcome] = []
    for result in second:
        queue = waiting.get(_question(result), [])
        if not queue:
            found.append(Outcome("flow", _flow_what(result), None, str(result.verdict)))
            continue
        pick = next((at for at in queue if first[at].flow.name == result.flow.name), queue[0])
        queue.remove(pick)
        was = first[pick]
        old, new = _flow_outcome(was, result), _flow_outcome(result, was)
        if old != new:
            found.append(Outcome("flow", _flow_what(result), old, new))
    for at in sorted(at for queue in waiting.values() for at in queue):
        found.append(Outcome("flow", _flow_what(first[at]), str(first[at].verdict), None))
    return found


def _question(result: FlowResult) -> tuple[object, ...]:
    flow = result.flow
    return (flow.source, flow.written_to, flow.protocol, flow.src_port)


def _flow_what(result: FlowResult) -> str:
    flow = result.flow
    port = f", source port {flow.src_port}" if flow.src_port != DEFAULT_SOURCE_PORT else ""
    return f"{flow.source} -> {flow.written_to} ({result.protocol}{port})"


def _flow_outcome(result: FlowResult, other: FlowResult) -> str:
    """The verdict, and the protocol where the other side's differs."""
    protocol = f" ({result.protocol})" if result.protocol is not other.protocol else ""
    return f"{result.verdict}{protocol}"


def _checks(first: Sequence[HealthResult], second: Sequence[HealthResult]) -> list[Outcome]:
    def where(h: HealthResult) -> str:
        return f"{h.load_balancer}:{h.listener.key} on {h.backend}"

    before = {where(h): str(h.status) for h in first}
    after = {where(h): str(h.status) for h in second}
    found = [
        Outcome("health_check", w, before.get(w), status)
        for w, status in after.items()
        if before.get(w) != status
    ]
    found += [
        Outcome("health_check", w, status, None) for w, status in before.items() if w not in after
    ]
    return found
