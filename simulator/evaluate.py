"""Stage 3, evaluation: pure first-match over ordered rules, and connection state.

``first_match`` decides one packet against an ordered list of rules (§1.3, §1.4, §2.2).
A packet's peer may be a whole range of addresses (a prober whose address is not fixed, §3.6):
each rule then decides the part of the range it matches that earlier rules left, and the range
is accepted only if every part is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .model import Action, Direction, Network, Protocol, Rule


@dataclass(frozen=True, slots=True)
class Packet:
    """A packet's header as the rules see it; ``src`` may be a range (an unknown prober)."""

    protocol: Protocol
    src: Network
    dst: Network
    src_port: int | None = None
    dst_port: int | None = None

    def reply(self) -> Packet:
        """The answering packet: addresses and ports swapped (§2.1)."""
        return Packet(self.protocol, self.dst, self.src, self.dst_port, self.src_port)

    def peer(self, direction: Direction) -> Network:
        """The address an inbound rule matches (source) or an outbound rule matches (dest)."""
        return self.src if direction is Direction.INBOUND else self.dst


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule and where it sits: its list (group or ACL) and 0-based index."""

    group: str
    direction: Direction
    index: int
    rule: Rule


@dataclass(frozen=True, slots=True)
class Part:
    """The addresses of a packet's peer that one rule (or the default DROP) decided."""

    addresses: Network
    action: Action
    decided_by: RuleRef | None


class PeerMatch(StrEnum):
    """How much of the peer still undecided a rule's peers hold."""

    ALL = "all"
    PART = "part"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Reading:
    """One rule read for one packet, field by field, as first match read it (§1.3).

    ``peer`` is measured against what earlier rules left of the peer: for a single address,
    all of it or none. The rule matches when every field does; it then decides ``taken``.
    """

    ref: RuleRef
    protocol: bool
    port: bool
    peer: PeerMatch
    taken: tuple[Network, ...] = ()

    @property
    def matched(self) -> bool:
        return self.protocol and self.port and self.peer is not PeerMatch.NONE


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of first match: every part of the peer and who decided it."""

    parts: tuple[Part, ...]

    @property
    def action(self) -> Action:
        if all(p.action is Action.ACCEPT for p in self.parts):
            return Action.ACCEPT
        return Action.DROP

    @property
    def decided_by(self) -> RuleRef | None:
        """The earliest rule whose part gave the outcome; None for the default DROP."""
        return next(p.decided_by for p in self.parts if p.action is self.action)

    @property
    def split(self) -> bool:
        """True when different rules decided different parts of the peer."""
        return len({(p.action, p.decided_by) for p in self.parts}) > 1


def ordered(groups: Iterable[tuple[str, Sequence[Rule]]], direction: Direction) -> list[RuleRef]:
    """Several lists of rules as one, in binding order (§1.5)."""
    return [
        RuleRef(name, direction, index, rule)
        for name, rules in groups
        for index, rule in enumerate(rules)
    ]


def first_match(rules: Sequence[RuleRef], packet: Packet, direction: Direction) -> Evaluation:
    """Decide ``packet`` by the first rule that matches; no match means DROP."""
    remaining: list[Network] = [packet.peer(direction)]
    parts: list[Part] = []
    for ref in rules:
        rule = ref.rule
        if not (rule.matches_protocol(packet.protocol) and rule.matches_port(packet.dst_port)):
            continue
        taken, remaining = _take(remaining, rule.peers)
        parts.extend(Part(n, rule.action, ref) for n in taken)
        if not remaining:
            break
    parts.extend(Part(n, Action.DROP, None) for n in remaining)
    return Evaluation(tuple(_merge(parts)))


def read_rules(
    rules: Sequence[RuleRef], packet: Packet, direction: Direction
) -> tuple[Reading, ...]:
    """Every rule first match reads for ``packet``, in order, each field marked: what a
    step-by-step trace shows. It reads as ``first_match`` decides, and stops where it stops."""
    remaining: list[Network] = [packet.peer(direction)]
    readings: list[Reading] = []
    for ref in rules:
        rule = ref.rule
        protocol = rule.matches_protocol(packet.protocol)
        port = rule.matches_port(packet.dst_port)
        if not (protocol and port):
            readings.append(Reading(ref, protocol, port, _peer_match(remaining, rule.peers)))
            continue
        taken, left = _take(remaining, rule.peers)
        peer = PeerMatch.NONE if not taken else PeerMatch.PART if left else PeerMatch.ALL
        readings.append(Reading(ref, protocol, port, peer, tuple(taken)))
        remaining = left
        if not remaining:
            break
    return tuple(readings)


def _peer_match(remaining: Sequence[Network], peers: Sequence[Network]) -> PeerMatch:
    """How much of ``remaining`` the peers hold, for a rule read only to show it: exact where
    one peer holds a network whole, as for a single address."""
    inside = [
        any(n.version == p.version and n.subnet_of(p) for p in peers)  # type: ignore[arg-type]
        for n in remaining
    ]
    if all(inside):
        return PeerMatch.ALL
    if any(inside) or any(
        n.version == p.version and n.overlaps(p) for n in remaining for p in peers
    ):
        return PeerMatch.PART
    return PeerMatch.NONE


def _take(
    remaining: list[Network], peers: Sequence[Network]
) -> tuple[list[Network], list[Network]]:
    """Split ``remaining`` into what ``peers`` covers and what is left."""
    taken: list[Network] = []
    for peer in peers:
        left: list[Network] = []
        for net in remaining:
            if net.version != peer.version or not net.overlaps(peer):
                left.append(net)
            elif net.subnet_of(peer):  # type: ignore[arg-type]
                taken.append(net)
            else:  # the peer lies inside net
                taken.append(peer)
                left.extend(net.address_exclude(peer))  # type: ignore[arg-type]
        remaining = left
    return taken, remaining


def _merge(parts: list[Part]) -> list[Part]:
    """Collapse the parts one rule decided into as few networks as possible, in rule order."""
    merged: list[Part] = []
    seen: list[tuple[Action, RuleRef | None]] = []
    for part in parts:
        key = (part.action, part.decided_by)
        if key not in seen:
            seen.append(key)
    for action, ref in seen:
        nets = [p.addresses for p in parts if (p.action, p.decided_by) == (action, ref)]
        for version in (4, 6):
            same = [n for n in nets if n.version == version]
            collapsed: Iterable[Network] = ipaddress.collapse_addresses(same)  # type: ignore[type-var]
            merged.extend(Part(n, action, ref) for n in collapsed)
    return merged


class ConnectionTable:
    """Connections that security groups accepted, so their replies pass by state (§1.6)."""

    def __init__(self) -> None:
        self._open: set[Packet] = set()

    def record(self, packet: Packet) -> None:
        self._open.add(packet)

    def is_reply(self, packet: Packet) -> bool:
        return packet.reply() in self._open

    def __len__(self) -> int:
        return len(self._open)
