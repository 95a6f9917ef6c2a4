"""Flow logs, compiled evaluation: first match turned into a table, looked up for whole batches.

``first_match`` (stage 3) reads the rules one by one for every packet. For a log of millions of
packets from single addresses, ``CompiledRules.compile`` reads them once instead, and
``lookup`` then decides a whole ``Batch`` of packets with a few vectorised numpy operations,
giving every packet the same deciding rule as ``first_match`` (docs/semantics.md §1.3, §1.4).

The structure (docs/compiled-evaluator.md has the whole story):

- **Rows.** For each IP version and each packet protocol, the edges of every peer network of
  the rules that match that protocol (``Rule.matches_protocol``: the protocol itself or ALL)
  cut the address space into intervals; inside one interval every rule either holds every
  address or none. One row per interval, the (version, protocol) blocks one after another.
- **Columns.** The ends of every port range cut the ports the same way; column 0 is a packet
  without a port, which every rule matches (``Rule.matches_port(None)``).
- **Cells.** Each cell holds the index of the first rule matching all of it, or -1 for the
  default DROP: painted by slice assignment from the last rule to the first, so that an earlier
  rule paints over a later one.

A packet's row is one ``numpy.searchsorted`` over sorted 64-bit keys, its column one read of
a table of the 65,537 possible ports, and its deciding rule one read of the cells.

IPv6 addresses are 128 bits wide and numpy has no 128-bit integer; a float loses the low bits,
an object array of Python ints is as slow as plain Python, and a structured (hi, lo) array is
searched by a generic field-by-field comparison. So an address is kept as a pair of uint64
halves and turned into a small **rank**: where each half falls among the distinct halves of the
rules' IPv6 edges (2 i + 1 on the i-th distinct value itself, 2 i just below it). Ranking keeps
order and equality exactly, so comparing (rank of hi, rank of lo) pairs is comparing the
addresses, and the pair packs into one integer that an ordinary uint64 search handles.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..evaluate import RuleRef
from ..model import Address, Network, PortRange, Protocol

#: Packet protocols as flow logs record them: their IANA protocol numbers. ALL is not one.
PROTOCOL_CODES: dict[Protocol, int] = {
    Protocol.ICMP: 1,
    Protocol.TCP: 6,
    Protocol.UDP: 17,
    Protocol.GRE: 47,
    Protocol.ICMPV6: 58,
}

_KNOWN_CODES = np.zeros(256, dtype=np.bool_)
_KNOWN_CODES[list(PROTOCOL_CODES.values())] = True
_LOW_64 = (1 << 64) - 1
_LAST_IPV4 = (1 << 32) - 1
#: The keys of IPv4 rows are ``code << 32 | address``, all below this; IPv6 keys start here.
_IPV6_KEYS = 1 << 40
_NO_PORT = -1
_PORT_END = 65536
_ORDER = sorted(PROTOCOL_CODES.items(), key=lambda item: item[1])


@dataclass(frozen=True, slots=True)
class Batch:
    """Packets as numpy columns, one row per packet, all the same length.

    ``protocol`` holds ``PROTOCOL_CODES`` values (uint8); ``version`` 4 or 6 (uint8); the peer
    address is ``peer_hi`` and ``peer_lo``, its high and low 64 bits (uint64; an IPv4 address is
    all in ``peer_lo``); ``port`` is the destination port (int32), -1 for a packet without one.
    The peer is the address the rules match: the source for inbound rules, the destination for
    outbound ones. The columns are checked when the batch is made (ValueError).
    """

    protocol: npt.NDArray[np.uint8]
    version: npt.NDArray[np.uint8]
    peer_hi: npt.NDArray[np.uint64]
    peer_lo: npt.NDArray[np.uint64]
    port: npt.NDArray[np.int32]

    def __post_init__(self) -> None:
        columns: dict[str, tuple[object, type[np.generic]]] = {
            "protocol": (self.protocol, np.uint8),
            "version": (self.version, np.uint8),
            "peer_hi": (self.peer_hi, np.uint64),
            "peer_lo": (self.peer_lo, np.uint64),
            "port": (self.port, np.int32),
        }
        for name, (column, dtype) in columns.items():
            if not isinstance(column, np.ndarray) or column.ndim != 1 or column.dtype != dtype:
                raise ValueError(f"{name} must be a one-dimensional {np.dtype(dtype)} array")
        lengths = {len(c) for c in (self.version, self.peer_hi, self.peer_lo, self.port)}
        if lengths - {len(self.protocol)}:
            raise ValueError("the columns of a batch must all have the same length")
        if not _KNOWN_CODES[self.protocol].all():
            raise ValueError(f"protocol holds a code other than {sorted(PROTOCOL_CODES.values())}")
        four = self.version == 4
        if not (four | (self.version == 6)).all():
            raise ValueError("version holds a value other than 4 and 6")
        if (four & ((self.peer_hi != 0) | (self.peer_lo > _LAST_IPV4))).any():
            raise ValueError("an IPv4 peer has bits above the low 32")
        if ((self.port < _NO_PORT) | (self.port > 65535)).any():
            raise ValueError("port holds a value outside 0-65535 (and -1 for none)")

    def __len__(self) -> int:
        return len(self.protocol)

    @classmethod
    def from_packets(cls, packets: Sequence[tuple[Protocol, Address, int | None]]) -> Batch:
        """Packets given as (protocol, peer address, destination port or None)."""
        codes, versions, highs, lows, ports = [], [], [], [], []
        for protocol, peer, port in packets:
            code = PROTOCOL_CODES.get(protocol)
            if code is None:
                raise ValueError(f"a packet has one protocol, not {protocol}")
            value = int(peer)
            codes.append(code)
            versions.append(peer.version)
            highs.append(value >> 64)
            lows.append(value & _LOW_64)
            ports.append(_NO_PORT if port is None else port)
        return cls(
            np.array(codes, dtype=np.uint8),
            np.array(versions, dtype=np.uint8),
            np.array(highs, dtype=np.uint64),
            np.array(lows, dtype=np.uint64),
            np.array(ports, dtype=np.int32),
        )


class CompiledRules:
    """An ordered list of rules compiled for lookup: same deciding rule as ``first_match``.

    Plain values and numpy arrays only, so it pickles (to ship once to workers).
    """

    __slots__ = ("_columns", "_hi", "_lo", "_peer_keys", "_table", "rules")

    rules: tuple[RuleRef, ...]

    def __init__(
        self,
        rules: tuple[RuleRef, ...],
        peer_keys: npt.NDArray[np.uint64],
        ipv6_halves: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]],
        columns: npt.NDArray[np.int32],
        table: npt.NDArray[np.int16] | npt.NDArray[np.int32],
    ) -> None:
        self.rules = rules
        self._peer_keys = peer_keys
        self._hi, self._lo = ipv6_halves
        self._columns = columns
        self._table = table

    @classmethod
    def compile(cls, rules: Sequence[RuleRef]) -> CompiledRules:
        """Compile ``rules``, in first-match order (several groups already put one after the
        other, as ``simulator.evaluate.ordered`` does)."""
        refs = tuple(rules)
        blocks = [
            _Block(version, protocol, code, refs) for version in (4, 6) for protocol, code in _ORDER
        ]
        six = [block for block in blocks if block.version == 6]
        highs = sorted({edge >> 64 for block in six for edge in block.edges})
        lows = sorted({edge & _LOW_64 for block in six for edge in block.edges})
        ranks = _Ranks(highs, lows)
        keys: list[int] = []
        for block in blocks:
            block.first_row = len(keys)
            if block.version == 4:
                keys += ((block.code << 32) | edge for edge in block.edges)
            else:
                keys += (ranks.key(block.code, edge) for edge in block.edges)
        port_edges = sorted(
            {_NO_PORT, 0, _PORT_END}
            | {end for ref in refs for r in ref.rule.ports for end in (r.low, r.high + 1)}
        )
        # Tencent's quotas make at most 2,560 rules a list, so 16 bits hold an index: half the
        # memory, and a table twice as large still fits in a core's cache.
        narrow = len(refs) < 1 << 15
        table = np.full((len(keys), len(port_edges)), -1, dtype=np.int16 if narrow else np.int32)
        for block in blocks:
            block.paint(table, port_edges)
        return cls(
            refs,
            np.array(keys, dtype=np.uint64),
            (np.array(highs, dtype=np.uint64), np.array(lows, dtype=np.uint64)),
            _port_columns(port_edges),
            table,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the table: address intervals by port intervals."""
        rows, columns = self._table.shape
        return rows, columns

    @property
    def nbytes(self) -> int:
        """Bytes the compiled structure holds in numpy arrays."""
        arrays = (self._table, self._peer_keys, self._columns, self._hi, self._lo)
        return sum(a.nbytes for a in arrays)

    def lookup(self, batch: Batch) -> npt.NDArray[np.int32]:
        """For every packet of ``batch``, the index into ``rules`` of its deciding rule, or -1
        where no rule matches (the default DROP)."""
        keys = (batch.protocol.astype(np.uint64) << np.uint64(32)) | batch.peer_lo
        six = np.flatnonzero(batch.version == 6)
        if six.size:
            keys[six] = self._ipv6_keys(batch.protocol[six], batch.peer_hi[six], batch.peer_lo[six])
        rows = np.searchsorted(self._peer_keys, keys, side="right") - 1
        columns = self._columns[batch.port + 1]
        decided: npt.NDArray[np.int32] = self._table[rows, columns].astype(np.int32, copy=False)
        return decided

    def decide(self, protocol: Protocol, peer: Address, port: int | None) -> int:
        """The index into ``rules`` of the rule deciding one packet, or -1 (default DROP)."""
        return int(self.lookup(Batch.from_packets([(protocol, peer, port)]))[0])

    def _ipv6_keys(
        self,
        protocol: npt.NDArray[np.uint8],
        hi: npt.NDArray[np.uint64],
        lo: npt.NDArray[np.uint64],
    ) -> npt.NDArray[np.uint64]:
        """The keys of IPv6 packets, ranked exactly as ``_Ranks.key`` ranks the edges."""
        spread_hi = np.uint64(2 * len(self._hi) + 1)
        spread_lo = np.uint64(2 * len(self._lo) + 1)
        block = protocol.astype(np.uint64) * spread_hi + _rank(hi, self._hi)
        return np.uint64(_IPV6_KEYS) + block * spread_lo + _rank(lo, self._lo)


def _rank(
    values: npt.NDArray[np.uint64], distinct: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint64]:
    """2 i + 1 for a value equal to ``distinct[i]``, 2 i for one between ``distinct[i - 1]``
    and ``distinct[i]``: order and equality kept, in a range of 2 len(distinct) + 1."""
    below = np.searchsorted(distinct, values, side="left")
    equal = distinct[np.minimum(below, len(distinct) - 1)] == values
    ranks: npt.NDArray[np.uint64] = below.astype(np.uint64) * np.uint64(2) + equal
    return ranks


class _Ranks:
    """The ranked key of an IPv6 edge; the packets' side is ``CompiledRules._ipv6_keys``."""

    def __init__(self, highs: list[int], lows: list[int]) -> None:
        self.high = {value: 2 * i + 1 for i, value in enumerate(highs)}
        self.low = {value: 2 * i + 1 for i, value in enumerate(lows)}
        self.spread_hi, self.spread_lo = 2 * len(highs) + 1, 2 * len(lows) + 1
        if _IPV6_KEYS + 256 * self.spread_hi * self.spread_lo >= 1 << 64:
            raise ValueError("too many distinct IPv6 edges to rank in 64 bits")

    def key(self, code: int, edge: int) -> int:
        block = code * self.spread_hi + self.high[edge >> 64]
        return _IPV6_KEYS + block * self.spread_lo + self.low[edge & _LOW_64]


class _Block:
    """The rows of one IP version and one packet protocol: the rules that match the protocol,
    and the first address of every interval their peers cut the address space into."""

    def __init__(
        self, version: int, protocol: Protocol, code: int, refs: tuple[RuleRef, ...]
    ) -> None:
        self.version, self.code = version, code
        self.end = 1 << (32 if version == 4 else 128)
        self.rules = [i for i, ref in enumerate(refs) if ref.rule.matches_protocol(protocol)]
        self.peers = {
            i: [n for n in refs[i].rule.peers if n.version == version] for i in self.rules
        }
        self.ports = {i: refs[i].rule.ports for i in self.rules}
        starts = {0}
        for networks in self.peers.values():
            for network in networks:
                starts.add(int(network.network_address))
                starts.add(int(network.broadcast_address) + 1)
        starts.discard(self.end)
        self.edges = sorted(starts)
        self.first_row = 0

    def rows(self, network: Network) -> tuple[int, int]:
        """The rows a network covers, as a slice."""
        start = bisect_left(self.edges, int(network.network_address))
        stop = bisect_left(self.edges, int(network.broadcast_address) + 1)
        return self.first_row + start, self.first_row + stop

    def paint(
        self, table: npt.NDArray[np.int16] | npt.NDArray[np.int32], port_edges: list[int]
    ) -> None:
        """Each rule's index over the cells it matches, the last rule first."""
        for index in reversed(self.rules):
            columns = _columns(self.ports[index], port_edges)
            for network in self.peers[index]:
                start, stop = self.rows(network)
                for first, last in columns:
                    table[start:stop, first:last] = index


def _port_columns(port_edges: list[int]) -> npt.NDArray[np.int32]:
    """The column of every port, -1 (none) to 65535, at index port + 1: a direct table is
    faster than a search, and small (256 KiB)."""
    every = np.arange(_NO_PORT, _PORT_END, dtype=np.int32)
    edges = np.array(port_edges, dtype=np.int32)
    columns: npt.NDArray[np.int32] = (np.searchsorted(edges, every, side="right") - 1).astype(
        np.int32
    )
    return columns


def _columns(ports: tuple[PortRange, ...], port_edges: list[int]) -> list[tuple[int, int]]:
    """The column slices a rule's ports cover, always with column 0 (no port), merged where
    they touch."""
    covered = [(bisect_left(port_edges, r.low), bisect_left(port_edges, r.high + 1)) for r in ports]
    slices = [(0, 1), *sorted(covered)]
    merged = [slices[0]]
    for first, last in slices[1:]:
        if first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged
