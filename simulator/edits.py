"""Stage 5, edits: the changes a fix can make to ordered rules, and the candidates for a hop.

An edit inserts a rule, moves one, or changes one field of one; ``candidates`` lists the edits
that could turn one checkpoint's decision for one packet, and ``apply`` makes edits on a copy
of a scenario. Which edit is best is for the search in ``fixes`` to say.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeVar

from .evaluate import PeerMatch, RuleRef, first_match, ordered
from .model import (
    Action,
    Checkpoint,
    Direction,
    Leg,
    Network,
    NetworkAcl,
    PortRange,
    Rule,
    Scenario,
    SecurityGroup,
)
from .results import Hop
from .rules import Names, format_rule, parse_seed_rule

EPHEMERAL = PortRange(1024, 65535)  # where replies go back to (§2.2)


class EditKind(StrEnum):
    CHANGE = "change"
    MOVE = "move"
    INSERT = "insert"


RANK = {EditKind.CHANGE: 0, EditKind.MOVE: 1, EditKind.INSERT: 2}


@dataclass(frozen=True, slots=True)
class Edit:
    """One change to one ordered list of rules: a security group's or a network ACL's."""

    kind: EditKind
    acl: bool
    name: str
    direction: Direction
    index: int  # where the rule goes (insert, move) or stands (change)
    rule: Rule  # the rule inserted, moved, or as changed
    was: Rule | None = None  # change: the rule before
    origin: int | None = None  # move: where the rule stood

    def __str__(self) -> str:
        where = f"{'network ACL ' if self.acl else ''}{self.name} {self.direction}"
        if self.kind is EditKind.INSERT:
            return f"insert '{self.rule.text}' at index {self.index} of {where}"
        if self.kind is EditKind.MOVE:
            return f"move {where} #{self.origin} '{self.rule.text}' to index {self.index}"
        assert self.was is not None
        return f"change {where} #{self.index} '{self.was.text}' to '{self.rule.text}'"

    def refs(self, scenario: Scenario) -> list[RuleRef]:
        """The list this edit touches, as it stands in ``scenario``."""
        return ordered([(self.name, _rules(scenario, self))], self.direction)


# -- candidates --------------------------------------------------------------------------


def candidates(scenario: Scenario, hop: Hop, want: Action) -> list[Edit]:
    """Every edit of the hop's rules that could turn its decision to ``want``."""
    assert hop.header is not None and hop.direction is not None
    acl = hop.checkpoint is Checkpoint.NETWORK_ACL
    direction = hop.direction
    readings = hop.readings
    decider = readings[-1] if readings and readings[-1].matched else None
    if decider is not None:
        name, at = decider.ref.group, decider.ref.index
    else:
        name = hop.lists[-1]
        at = len(_list(scenario, acl, name).rules(direction))
    base = Edit(EditKind.INSERT, acl, name, direction, at, _rule_for(hop, want))
    edits = [base]
    rules = _list(scenario, acl, name).rules(direction)
    if decider is not None:
        for j in range(at + 1, len(rules)):
            if rules[j].action is want and _covers(rules[j], hop):
                edits.append(replace(base, kind=EditKind.MOVE, rule=rules[j], origin=j))
        narrowed = _narrow(decider.ref.rule, hop)
        if narrowed is not None:
            edits.append(replace(base, kind=EditKind.CHANGE, rule=narrowed, was=rules[at]))
    for reading in readings:
        rule = reading.ref.rule
        if reading is decider or rule.action is not want or not reading.protocol:
            continue
        widened = _widen(rule, hop, reading.port, reading.peer)
        if widened is not None:
            at_list = _list(scenario, acl, reading.ref.group)
            edits.append(
                Edit(
                    EditKind.CHANGE, acl, at_list.name, direction, reading.ref.index, widened, rule
                )
            )
    return edits


def _rule_for(hop: Hop, want: Action) -> Rule:
    """A rule for exactly the hop's packet; an ACL's rule for a reply covers the ephemeral
    ports, since the client's source port changes from one connection to the next."""
    assert hop.header is not None and hop.direction is not None
    packet = hop.header
    peer = packet.peer(hop.direction)
    ports: tuple[PortRange, ...] = ()
    if packet.protocol.has_ports and packet.dst_port is not None:
        port = packet.dst_port
        reply = hop.leg is Leg.REPLY and port in EPHEMERAL
        ports = (EPHEMERAL,) if reply else (PortRange(port, port),)
    text = format_rule(_peer_text(peer), packet.protocol, ports, want).rpartition(" ")[0]
    return parse_seed_rule(f"{text} {'allow' if want is Action.ACCEPT else 'drop'}", Names())


def _narrow(rule: Rule, hop: Hop) -> Rule | None:
    """The deciding ``rule`` with the packet's port taken off the end of its range, where the
    port is at an end and the rule keeps other ports. A reply's port is left alone: the next
    connection comes from another one."""
    assert hop.header is not None
    port = hop.header.dst_port
    if port is None or hop.leg is Leg.REPLY or not rule.protocol.has_ports:
        return None
    ports: list[PortRange] = []
    for r in rule.ports:
        if port not in r:
            ports.append(r)
        elif r.is_all or r.low < port < r.high:
            return None
        elif r.low < r.high:
            ports.append(
                PortRange(r.low + 1, r.high) if port == r.low else PortRange(r.low, r.high - 1)
            )
    if not ports:
        return None
    head = rule.text.rpartition("+")[0].strip()
    return replace(rule, ports=tuple(ports), text=_written(rule, head, tuple(ports)))


def _widen(rule: Rule, hop: Hop, port_ok: bool, peer: PeerMatch) -> Rule | None:
    """``rule`` with the one field that missed the packet widened to hold it, if only one did."""
    assert hop.header is not None and hop.direction is not None
    packet = hop.header
    head = rule.text.rpartition("+")[0].strip()
    if not port_ok and peer is PeerMatch.ALL and packet.dst_port is not None:
        port = packet.dst_port
        added = EPHEMERAL if hop.leg is Leg.REPLY and port in EPHEMERAL else PortRange(port, port)
        ports = _joined((*rule.ports, added))
        return replace(rule, ports=ports, text=_written(rule, head, ports))
    wanted = packet.peer(hop.direction)
    if port_ok and peer is PeerMatch.NONE and len(rule.peers) == 1 and not _names_group(head):
        (net,) = rule.peers
        if net.version != wanted.version:
            return None
        wide = net
        while not wanted.subnet_of(wide):  # type: ignore[arg-type]
            wide = wide.supernet()
        if wide.prefixlen < net.prefixlen - WIDEST_STEP or wide.prefixlen < WIDEST[wide.version]:
            return None  # so wide a network is no longer the rule it was: insert one instead
        return replace(rule, peers=(wide,), text=_written(rule, _peer_text(wide), rule.ports))
    return None


#: How far a peer may be widened: at most 8 bits, and never wider than a /16 (IPv4) or a /48
#: (IPv6); past that a change would open far more than the one packet it is for.
WIDEST_STEP = 8
WIDEST = {4: 16, 6: 48}


def _names_group(peer: str) -> bool:
    """True when a rule's peer, as written, is a security group: it follows the group's members
    (§1.1), which no network written in its place would."""
    if peer.endswith((" IP", " VIP")):
        return False
    try:
        ipaddress.ip_network(peer, strict=False)
    except ValueError:
        return True
    return False


def _joined(ranges: Sequence[PortRange]) -> tuple[PortRange, ...]:
    """Port ranges sorted, with those that touch or overlap joined."""
    out: list[PortRange] = []
    for r in sorted(ranges):
        if out and r.low <= out[-1].high + 1:
            out[-1] = PortRange(out[-1].low, max(out[-1].high, r.high))
        else:
            out.append(r)
    return tuple(out)


def _written(rule: Rule, peer: str, ports: tuple[PortRange, ...]) -> str:
    """The seed notation of ``rule`` with another peer or ports, in its own word for the action."""
    text = format_rule(peer, rule.protocol, ports, rule.action)
    return f"{text.rpartition(' ')[0]} {rule.text.split()[-1]}"


def _covers(rule: Rule, hop: Hop) -> bool:
    """True when ``rule`` alone matches the hop's whole packet."""
    assert hop.header is not None and hop.direction is not None
    refs = ordered([("", (rule,))], hop.direction)
    evaluation = first_match(refs, hop.header, hop.direction)
    return evaluation.decided_by is not None and not evaluation.split


def _peer_text(net: Network) -> str:
    return str(net.network_address) if net.num_addresses == 1 else str(net)


# -- applying them -----------------------------------------------------------------------


def _list(scenario: Scenario, acl: bool, name: str) -> SecurityGroup | NetworkAcl:
    return scenario.network_acl(name) if acl else scenario.security_group(name)


def _rules(scenario: Scenario, edit: Edit) -> tuple[Rule, ...]:
    return _list(scenario, edit.acl, edit.name).rules(edit.direction)


def apply_one(scenario: Scenario, edit: Edit) -> Scenario:
    """``scenario`` with ``edit`` made."""
    rules = list(_rules(scenario, edit))
    if edit.kind is EditKind.INSERT:
        rules.insert(edit.index, edit.rule)
    elif edit.kind is EditKind.MOVE:
        assert edit.origin is not None
        rules.insert(edit.index, rules.pop(edit.origin))
    else:
        rules[edit.index] = edit.rule
    if edit.acl:
        acls = tuple(
            _with(a, edit.direction, rules) if a.name == edit.name else a
            for a in scenario.network_acls
        )
        return replace(scenario, network_acls=acls)
    groups = tuple(
        _with(g, edit.direction, rules) if g.name == edit.name else g
        for g in scenario.security_groups
    )
    return replace(scenario, security_groups=groups)


Listed = TypeVar("Listed", SecurityGroup, NetworkAcl)


def _with(listed: Listed, direction: Direction, rules: Sequence[Rule]) -> Listed:
    if direction is Direction.INBOUND:
        return replace(listed, inbound=tuple(rules))
    return replace(listed, outbound=tuple(rules))


def apply(scenario: Scenario, edits: Sequence[Edit]) -> Scenario:
    """``scenario`` with every edit made, in order."""
    for edit in edits:
        scenario = apply_one(scenario, edit)
    return scenario


__all__ = ["RANK", "Edit", "EditKind", "apply", "apply_one", "candidates"]
