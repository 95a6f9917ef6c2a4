"""Flow logs, planning: a scenario's instances and rules compiled once for replay.

A ``Plan`` holds, for every instance of the scenario, the lists of rules a record meets there:
its security groups as one list in binding order, inbound and outbound (§1.5), or nothing
where it is bound to none (§1.7); its subnet's network ACL, if any (§2.1); and, for a backend
of a load balancer, the records that pass its groups without them (``allowances``: health
checks allowed implicitly, traffic of a CLB that bypasses them; §3.4, §3.5). Each distinct list
is compiled once (``CompiledRules``), and every rule, every list's default DROP and every
allowance is a ``Decider`` numbered in one table, the rows of the report's hit counts. A plan
is plain values and numpy arrays, so it pickles: it is what a distributed replay ships to its
workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..evaluate import RuleRef, ordered
from ..model import Action, Checkpoint, Decision, Direction, Scenario
from .allowances import SECTIONS, allowances
from .compiled import CompiledRules

_LOW_64 = (1 << 64) - 1

#: ``Plan.checks`` columns: a security group or ACL check, inbound or outbound.
SG_IN, SG_OUT, ACL_IN, ACL_OUT = 0, 1, 2, 3
#: ``Plan.checks`` values other than an evaluator's index.
NO_CHECK, NOT_FILTERED = -1, -2


@dataclass(frozen=True, slots=True)
class Decider:
    """What can decide a record at a checkpoint: a rule, a list's default DROP, the absence
    of any security group on the instance (§1.7), or an allowance of one instance's groups
    (``allowance`` IMPLICIT or BYPASS, ``reason`` as the simulator words it)."""

    checkpoint: Checkpoint
    group: str
    direction: Direction
    index: int | None = None
    rule: str | None = None
    allowance: Decision | None = None
    instance: str | None = None
    reason: str | None = None

    @property
    def is_rule(self) -> bool:
        return self.index is not None

    def __str__(self) -> str:
        if self.index is not None:
            return f"{self.group} {self.direction} #{self.index}: {self.rule}"
        if self.allowance is not None:
            section = SECTIONS[self.allowance]
            return f"{self.instance} {self.direction}: {self.reason} ({section})"
        if self.checkpoint is Checkpoint.SECURITY_GROUP and not self.group:
            return f"no security group, {self.direction} not filtered (§1.7)"
        return f"{self.group} {self.direction}: no rule matched, default DROP"


@dataclass(frozen=True, slots=True)
class Evaluator:
    """One ordered list of rules, compiled, and what each of its outcomes means: the
    ``Decider`` and the action of each rule, the default DROP last (where -1 lands). For a
    list of allowances, the last is -1 and not accepted: no allowance, the groups decide."""

    rules: CompiledRules
    deciders: npt.NDArray[np.int32]
    accepts: npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a replay needs of a scenario, compiled once; it pickles, to go to workers.

    ``checks[i]`` holds instance i's evaluators by ``SG_IN``... column; ``allowed[i]``, by
    ``SG_IN`` and ``SG_OUT`` column, the evaluator of its allowances, whose rules name the
    records that pass its groups unread (``NO_CHECK`` where it has none; where no allowance
    matches, the evaluator's decider is -1). The instances' addresses are kept sorted by their
    low 64 bits, to find a record's owners by search.
    """

    instances: tuple[str, ...]
    deciders: tuple[Decider, ...]
    evaluators: tuple[Evaluator, ...]
    checks: npt.NDArray[np.int32]
    allowed: npt.NDArray[np.int32]
    subnets: npt.NDArray[np.int32]
    not_filtered: tuple[int, int]
    lows: npt.NDArray[np.uint64]
    highs: npt.NDArray[np.uint64]
    versions: npt.NDArray[np.uint8]
    owners: npt.NDArray[np.int32]

    def owner(
        self, version: npt.NDArray[np.uint8], hi: npt.NDArray[np.uint64], lo: npt.NDArray[np.uint64]
    ) -> npt.NDArray[np.int32]:
        """The instance each address belongs to, -1 for none."""
        found = np.full(len(lo), -1, dtype=np.int32)
        start = np.searchsorted(self.lows, lo, side="left")
        stop = np.searchsorted(self.lows, lo, side="right")
        step = 0
        while (more := start + step < stop).any():
            at = np.minimum(start + step, len(self.lows) - 1)
            same = more & (self.highs[at] == hi) & (self.versions[at] == version)
            found[same] = self.owners[at[same]]
            step += 1
        return found


def compile_plan(scenario: Scenario) -> Plan:
    """The scenario's instances, their groups and subnets' ACLs, compiled for replay."""
    if not scenario.instances:
        raise UsageError(
            f"{scenario.file}: the scenario has no instances, and flow logs are recorded on "
            "instances' network interfaces"
        )
    deciders, index = _rule_deciders(scenario)
    evaluators: list[Evaluator] = []
    keys: dict[tuple[str, tuple[str, ...], Direction], int] = {}

    def evaluator(kind: str, names: tuple[str, ...], direction: Direction) -> int:
        key = (kind, names, direction)
        if key not in keys:
            if kind == "acl":
                acl = scenario.network_acl(names[0])
                lists = [(acl.name, acl.rules(direction))]
                checkpoint = Checkpoint.NETWORK_ACL
            else:
                lists = [(g, scenario.security_group(g).rules(direction)) for g in names]
                checkpoint = Checkpoint.SECURITY_GROUP
            refs = ordered(lists, direction)
            default = Decider(checkpoint, ", ".join(names), direction)
            if default not in index:
                index[default] = len(deciders)
                deciders.append(default)
            keys[key] = len(evaluators)
            evaluators.append(_evaluator(checkpoint, refs, index, index[default]))
        return keys[key]

    checks = np.full((len(scenario.instances), 4), NO_CHECK, dtype=np.int32)
    subnet_ids: dict[str, int] = {}
    subnets = np.full(len(scenario.instances), -1, dtype=np.int32)
    for i, instance in enumerate(scenario.instances):
        for direction, column in ((Direction.INBOUND, SG_IN), (Direction.OUTBOUND, SG_OUT)):
            checks[i, column] = (
                evaluator("sg", instance.security_groups, direction)
                if instance.security_groups
                else NOT_FILTERED
            )
        if instance.subnet is not None:
            subnets[i] = subnet_ids.setdefault(instance.subnet, len(subnet_ids))
        acl = scenario.acl_of(instance.subnet)
        if acl is not None:
            checks[i, ACL_IN] = evaluator("acl", (acl.name,), Direction.INBOUND)
            checks[i, ACL_OUT] = evaluator("acl", (acl.name,), Direction.OUTBOUND)
    not_filtered = []
    for direction in (Direction.INBOUND, Direction.OUTBOUND):
        not_filtered.append(len(deciders))
        deciders.append(Decider(Checkpoint.SECURITY_GROUP, "", direction))
    allowed = _allowed(scenario, deciders, evaluators)
    values = [int(i.ip) for i in scenario.instances]
    order = sorted(range(len(values)), key=lambda i: values[i] & _LOW_64)
    return Plan(
        instances=tuple(i.name for i in scenario.instances),
        deciders=tuple(deciders),
        evaluators=tuple(evaluators),
        checks=checks,
        allowed=allowed,
        subnets=subnets,
        not_filtered=(not_filtered[0], not_filtered[1]),
        lows=np.array([values[i] & _LOW_64 for i in order], dtype=np.uint64),
        highs=np.array([values[i] >> 64 for i in order], dtype=np.uint64),
        versions=np.array([scenario.instances[i].ip.version for i in order], dtype=np.uint8),
        owners=np.array(order, dtype=np.int32),
    )


def _rule_deciders(scenario: Scenario) -> tuple[list[Decider], dict[Decider, int]]:
    """Every rule a record can meet, in the file's order: the groups bound to an instance,
    then the ACLs of the instances' subnets; inbound before outbound."""
    bound = {g for i in scenario.instances for g in i.security_groups}
    subnets = {i.subnet for i in scenario.instances if i.subnet is not None}
    lists: list[tuple[Checkpoint, str, Any]] = [
        (Checkpoint.SECURITY_GROUP, g.name, g) for g in scenario.security_groups if g.name in bound
    ]
    lists += [
        (Checkpoint.NETWORK_ACL, a.name, a)
        for a in scenario.network_acls
        if subnets.intersection(a.subnets)
    ]
    deciders = [
        Decider(checkpoint, name, direction, n, rule.text)
        for checkpoint, name, rules in lists
        for direction in (Direction.INBOUND, Direction.OUTBOUND)
        for n, rule in enumerate(rules.rules(direction))
    ]
    return deciders, {d: n for n, d in enumerate(deciders)}


def _allowed(
    scenario: Scenario, deciders: list[Decider], evaluators: list[Evaluator]
) -> npt.NDArray[np.int32]:
    """The allowances of each instance's groups, inbound and outbound, compiled; their
    deciders are added to ``deciders``, instance by instance, inbound first."""
    numbers = {instance.name: n for n, instance in enumerate(scenario.instances)}
    columns = {Direction.INBOUND: SG_IN, Direction.OUTBOUND: SG_OUT}
    found = sorted(allowances(scenario), key=lambda a: (numbers[a.instance], columns[a.direction]))
    lists: dict[tuple[int, int], list[tuple[RuleRef, int]]] = {}
    index: dict[Decider, int] = {}
    for allowance in found:
        instance = scenario.instance(allowance.instance)
        decider = Decider(
            Checkpoint.SECURITY_GROUP,
            ", ".join(instance.security_groups),
            allowance.direction,
            allowance=allowance.decision,
            instance=instance.name,
            reason=allowance.reason,
        )
        if decider not in index:
            index[decider] = len(deciders)
            deciders.append(decider)
        entries = lists.setdefault((numbers[instance.name], columns[allowance.direction]), [])
        ref = RuleRef(instance.name, allowance.direction, len(entries), allowance.rule)
        entries.append((ref, index[decider]))
    allowed = np.full((len(scenario.instances), 2), NO_CHECK, dtype=np.int32)
    for (instance_number, column), entries in lists.items():
        allowed[instance_number, column] = len(evaluators)
        evaluators.append(
            Evaluator(
                CompiledRules.compile([ref for ref, _ in entries]),
                np.array([*(decider for _, decider in entries), -1], dtype=np.int32),
                np.array([*(True for _ in entries), False], dtype=np.bool_),
            )
        )
    return allowed


def _evaluator(
    checkpoint: Checkpoint, refs: Sequence[RuleRef], index: dict[Decider, int], default: int
) -> Evaluator:
    ids = [index[Decider(checkpoint, r.group, r.direction, r.index, r.rule.text)] for r in refs]
    accepts = [ref.rule.action is Action.ACCEPT for ref in refs]
    return Evaluator(
        CompiledRules.compile(refs),
        np.array([*ids, default], dtype=np.int32),
        np.array([*accepts, False], dtype=np.bool_),
    )
