"""Packet spaces: unions of disjoint boxes over protocol, peer address and destination port.

A ``Box`` holds one protocol, one address family, an inclusive interval of peer addresses (as
integers) and an inclusive interval of destination ports. Port-less protocols (ICMP, ICMPv6,
GRE) always span every port, so a port never splits them. A ``Space`` is a tuple of disjoint
boxes; intersection and subtraction are exact, and ``merged`` joins neighbours so that output
stays short.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..model import Network, PortRange, Protocol, Rule

#: The protocols a packet can have (a rule's ALL stands for all of them).
PACKET_PROTOCOLS: tuple[Protocol, ...] = tuple(p for p in Protocol if p is not Protocol.ALL)
#: The highest address of each family, as an integer.
TOP = {4: 2**32 - 1, 6: 2**128 - 1}
#: The destination ports a packet of TCP or UDP can have: port 0 is none (rules name 1-65535).
PORTS = (1, 65535)
_ALL_PORTS = PORTS


@dataclass(frozen=True, slots=True, order=True)
class Box:
    """Packets of one protocol and family, peers ``lo..hi``, destination ports ``plo..phi``."""

    protocol: Protocol
    family: int
    lo: int
    hi: int
    plo: int = PORTS[0]
    phi: int = PORTS[1]

    def intersect(self, other: Box) -> Box | None:
        if (self.protocol, self.family) != (other.protocol, other.family):
            return None
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        plo, phi = max(self.plo, other.plo), min(self.phi, other.phi)
        if lo > hi or plo > phi:
            return None
        return Box(self.protocol, self.family, lo, hi, plo, phi)

    def minus(self, other: Box) -> list[Box]:
        """``self`` without ``other``: at most four boxes."""
        cut = self.intersect(other)
        if cut is None:
            return [self]
        pieces: list[Box] = []
        p, f = self.protocol, self.family
        if self.lo < cut.lo:
            pieces.append(Box(p, f, self.lo, cut.lo - 1, self.plo, self.phi))
        if cut.hi < self.hi:
            pieces.append(Box(p, f, cut.hi + 1, self.hi, self.plo, self.phi))
        if self.plo < cut.plo:
            pieces.append(Box(p, f, cut.lo, cut.hi, self.plo, cut.plo - 1))
        if cut.phi < self.phi:
            pieces.append(Box(p, f, cut.lo, cut.hi, cut.phi + 1, self.phi))
        return pieces

    @property
    def size(self) -> int:
        return (self.hi - self.lo + 1) * (self.phi - self.plo + 1)

    def networks(self) -> list[Network]:
        """The peer addresses as few CIDRs as possible."""
        make = ipaddress.IPv4Address if self.family == 4 else ipaddress.IPv6Address
        return list(ipaddress.summarize_address_range(make(self.lo), make(self.hi)))

    def addresses(self) -> str:
        """The peer addresses, as CIDRs where they are few, else as ``first - last``."""
        nets = self.networks()
        if len(nets) <= 2:
            return ", ".join(str(n) for n in nets)
        return f"{nets[0].network_address} - {nets[-1].broadcast_address}"

    @property
    def ports(self) -> PortRange | None:
        return PortRange(self.plo, self.phi) if self.protocol.has_ports else None

    def example(self) -> tuple[Protocol, ipaddress.IPv4Address | ipaddress.IPv6Address, int | None]:
        """One concrete packet of the box, for a person to try."""
        make = ipaddress.IPv4Address if self.family == 4 else ipaddress.IPv6Address
        return self.protocol, make(self.lo), (self.plo if self.protocol.has_ports else None)

    def __str__(self) -> str:
        return self.describe("from")

    def describe(self, towards: str) -> str:
        """``TCP:8080 from 10.0.0.0/8``; ``towards`` is "to" for outbound rules' peers."""
        peers = ", ".join(str(n) for n in self.networks())
        if not self.protocol.has_ports:
            return f"{self.protocol} {towards} {peers}"
        ports = "ALL" if (self.plo, self.phi) == _ALL_PORTS else str(PortRange(self.plo, self.phi))
        return f"{self.protocol}:{ports} {towards} {peers}"


@dataclass(frozen=True, slots=True)
class Space:
    """A set of packets: disjoint boxes."""

    boxes: tuple[Box, ...] = ()

    @classmethod
    def everything(cls) -> Space:
        return cls(tuple(Box(p, f, 0, TOP[f]) for p in PACKET_PROTOCOLS for f in (4, 6)))

    @classmethod
    def of(cls, boxes: Iterable[Box]) -> Space:
        """Boxes that may overlap, made disjoint."""
        result = cls()
        for box in boxes:
            result = result | cls((box,))
        return result

    def __bool__(self) -> bool:
        return bool(self.boxes)

    def __iter__(self) -> Iterator[Box]:
        return iter(self.boxes)

    def __and__(self, other: Space) -> Space:
        if not self.boxes or not other.boxes:
            return Space()
        buckets = self._buckets()
        return Space(
            tuple(
                c
                for b in other.boxes
                for a in buckets.get((b.protocol, b.family), ())
                if a.lo <= b.hi and b.lo <= a.hi and (c := a.intersect(b))
            )
        )

    def _buckets(self) -> dict[tuple[Protocol, int], list[Box]]:
        """The boxes by protocol and family: a box only ever meets boxes of its own."""
        buckets: dict[tuple[Protocol, int], list[Box]] = {}
        for box in self.boxes:
            buckets.setdefault((box.protocol, box.family), []).append(box)
        return buckets

    def overlaps(self, other: Space) -> bool:
        """True when the two spaces share a packet (cheaper than building the intersection)."""
        return any(a.intersect(b) is not None for a in self.boxes for b in other.boxes)

    def covers(self, other: Space) -> bool:
        """True when every packet of ``other`` is in this space."""
        return not (other - self)

    def __sub__(self, other: Space) -> Space:
        buckets = self._buckets()
        for cut in other.boxes:
            key = (cut.protocol, cut.family)
            if key in buckets:
                buckets[key] = [piece for box in buckets[key] for piece in box.minus(cut)]
        return Space(tuple(box for boxes in buckets.values() for box in boxes))

    def __or__(self, other: Space) -> Space:
        return Space(self.boxes + (other - self).boxes)

    def size(self) -> int:
        return sum(b.size for b in self.boxes)

    def merged(self) -> Space:
        """The same packets in fewer boxes: neighbours along one dimension are joined."""
        if len(self.boxes) < 2:
            return self
        boxes = list(self.boxes)
        while True:  # join along peers, then along ports, until nothing joins
            along_peers = _join_neighbours(sorted(boxes, key=_by_peers))
            along_ports = _join_neighbours(sorted(along_peers, key=_by_ports))
            if len(along_ports) == len(boxes):
                return Space(tuple(sorted(along_ports, key=_by_peers)))
            boxes = along_ports


def _join_neighbours(boxes: list[Box]) -> list[Box]:
    """One pass over sorted boxes, joining each into the one before it where they abut."""
    out: list[Box] = []
    for box in boxes:
        if out and _joinable(out[-1], box):
            out[-1] = _join(out[-1], box)
        else:
            out.append(box)
    return out


def _by_peers(b: Box) -> tuple[str, int, int, int, int, int]:
    return (b.protocol.value, b.family, b.lo, b.hi, b.plo, b.phi)


def _by_ports(b: Box) -> tuple[str, int, int, int, int]:
    return (b.protocol.value, b.family, b.plo, b.phi, b.lo)


def _joinable(a: Box, b: Box) -> bool:
    if (a.protocol, a.family) != (b.protocol, b.family):
        return False
    same_ports = (a.plo, a.phi) == (b.plo, b.phi)
    same_peers = (a.lo, a.hi) == (b.lo, b.hi)
    return (same_ports and a.hi + 1 == b.lo) or (same_peers and a.phi + 1 == b.plo)


def _join(a: Box, b: Box) -> Box:
    return Box(
        a.protocol, a.family, min(a.lo, b.lo), max(a.hi, b.hi), min(a.plo, b.plo), max(a.phi, b.phi)
    )


Key = tuple[Protocol, int]
T = TypeVar("T")


class BoxIndex(Generic[T]):
    """Tagged boxes, found again by the boxes they meet.

    Boxes are kept per protocol and family, sorted by their first address, in chunks that know
    their highest last address, so a query skips whole chunks that end before it starts.
    """

    CHUNK = 16

    def __init__(self, tagged: Iterable[tuple[Box, T]]) -> None:
        lists: dict[Key, list[tuple[Box, T]]] = {}
        for box, tag in tagged:
            lists.setdefault((box.protocol, box.family), []).append((box, tag))
        self._keys: dict[Key, tuple[list[int], list[tuple[Box, T]], list[int]]] = {}
        for key, items in lists.items():
            items.sort(key=lambda item: item[0].lo)
            ends = [
                max(box.hi for box, _ in items[at : at + self.CHUNK])
                for at in range(0, len(items), self.CHUNK)
            ]
            self._keys[key] = ([box.lo for box, _ in items], items, ends)

    def meeting(self, box: Box) -> Iterator[T]:
        """The tags of the boxes that share a packet with ``box`` (a tag once per box)."""
        found = self._keys.get((box.protocol, box.family))
        if found is None:
            return
        starts, items, ends = found
        stop = bisect.bisect_right(starts, box.hi)  # boxes from ``stop`` on start after it
        for chunk, end in enumerate(ends):
            first = chunk * self.CHUNK
            if first >= stop:
                return
            if end < box.lo:
                continue
            for other, tag in items[first : min(first + self.CHUNK, stop)]:
                if other.hi >= box.lo and other.plo <= box.phi and box.plo <= other.phi:
                    yield tag


def rule_space(rule: Rule) -> Space:
    """Every packet ``rule`` matches, by protocol, peer and destination port."""
    protocols = PACKET_PROTOCOLS if rule.protocol is Protocol.ALL else (rule.protocol,)
    boxes = []
    for protocol in protocols:
        for peer in rule.peers:
            lo, hi = int(peer.network_address), int(peer.broadcast_address)
            if protocol.has_ports:
                boxes += [
                    Box(protocol, peer.version, lo, hi, max(r.low, PORTS[0]), r.high)
                    for r in rule.ports
                ]
            else:
                boxes.append(Box(protocol, peer.version, lo, hi))
    return Space.of(boxes)
