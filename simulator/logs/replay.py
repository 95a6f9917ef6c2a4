"""Flow logs, replay: each record of a log decided by a scenario's rules, and counted.

A record is a packet seen on an instance's network interface. It is decided where the
scenario's instances meet it (docs/flow-logs.md has the reasons for each choice):

- **Where.** An instance whose address is the record's source checks it with its outbound
  rules, one whose address is its destination with its inbound rules; where both addresses are
  instances, both, the source's first (§4). A record neither of whose addresses is an instance
  is not decided: it is counted by the interface that logged it.
- **What.** The instance's security groups as one list in binding order (§1.5); an instance
  bound to none is not filtered (§1.7). Where its subnet has a network ACL and the record
  crosses the subnet's boundary (its other address is not an instance of the same subnet),
  the ACL too, stateless (§2.1, §2.3).
- **From a load balancer.** A record whose source says a CLB sent it to one of its backends
  (a prober of an implicit range to the check's port, the VIP of a CLB that bypasses backend
  groups: ``allowances``) passes the backend's groups unread, as the simulator's probes and
  forwarded packets do (§3.4, §3.5); its ACL still reads it.
- **Replies.** A TCP or UDP record whose source port is below its destination port is the
  reply of a connection opened the other way. Its security groups pass it by state when they
  accept the connection's request (the record with addresses and ports swapped, §1.6), and
  drop it, by the rule that drops the request, when they do not; every ACL on the way reads
  the request and then the reply itself. Each record is decided alone, so any part of a log
  gives the same verdicts as the whole, in constant memory.

``Tally`` counts the verdicts, the records each rule decided, and the records whose verdict
differs from the logged action, chunk by chunk; tallies of parts of a log add up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .compiled import PROTOCOL_CODES, Batch
from .plan import ACL_IN, ACL_OUT, NO_CHECK, NOT_FILTERED, SG_IN, SG_OUT, Plan
from .records import (
    UNREADABLE,
    Chunk,
    LogError,
    LoggedAction,
    Status,
    open_log,
    read_chunks,
    unreadable,
)

_KNOWN = np.zeros(257, dtype=np.bool_)  # index 256 is a record without a protocol (-1)
_KNOWN[list(PROTOCOL_CODES.values())] = True
_ACCEPT, _REJECT = int(LoggedAction.ACCEPT), int(LoggedAction.REJECT)

#: Where a record sits in the logs: (log's index, part of the log, line within the part).
Place = tuple[int, int, int]


@dataclass(slots=True)
class Tally:
    """What a replay counted; ``add`` a chunk at a time, ``merge`` the tallies of parts.

    ``examples`` are the earliest ``Place`` of each group, so that any split of the logs into
    parts gives the same tally once merged. A mismatch group's key is (instance, decider,
    protocol, port, reply, logged action, simulated verdict).
    """

    statuses: dict[str, int] = field(default_factory=dict)
    verdicts: dict[tuple[int, int], int] = field(default_factory=dict)
    hits: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mismatches: dict[tuple[int, ...], list[Any]] = field(default_factory=dict)
    unowned: dict[str, list[Any]] = field(default_factory=dict)
    protocols: dict[int, list[Any]] = field(default_factory=dict)
    malformed: int = 0
    first_error: tuple[Place, LogError] | None = None

    def count(self, key: str, n: int) -> None:
        if n:
            self.statuses[key] = self.statuses.get(key, 0) + n

    def merge(self, other: Tally) -> None:
        for status, n in other.statuses.items():
            self.count(status, n)
        for pair, n in other.verdicts.items():
            self.verdicts[pair] = self.verdicts.get(pair, 0) + n
        self.hits = _added(self.hits, other.hits)
        for key, (n, place) in other.mismatches.items():
            _group(self.mismatches, key, n, place)
        for name, (n, place) in other.unowned.items():
            _group(self.unowned, name, n, place)
        for number, (n, place) in other.protocols.items():
            _group(self.protocols, number, n, place)
        self.malformed += other.malformed
        if other.first_error is not None and (
            self.first_error is None or other.first_error[0] < self.first_error[0]
        ):
            self.first_error = other.first_error

    def add(self, plan: Plan, chunk: Chunk, log: int, part: int = 0) -> None:
        """Decide and count the records of ``chunk``, read from part ``part`` of log ``log``."""
        if chunk.first_error is not None:
            place = (log, part, chunk.first_error.line)
            if self.first_error is None or place < self.first_error[0]:
                self.first_error = (place, chunk.first_error)
        self.malformed += chunk.malformed
        self.count("nodata", int(np.count_nonzero(chunk.status == Status.NODATA)))
        self.count("skipdata", int(np.count_nonzero(chunk.status == Status.SKIPDATA)))
        ok = chunk.status == Status.OK
        known = ok & _KNOWN[chunk.protocol]
        for protocol, n, line in _groups(chunk.protocol[ok & ~known], chunk.line[ok & ~known]):
            _group(self.protocols, int(protocol), n, (log, part, line))
        src = plan.owner(chunk.version, chunk.src_hi, chunk.src_lo)
        dst = plan.owner(chunk.version, chunk.dst_hi, chunk.dst_lo)
        unowned = known & (src < 0) & (dst < 0)
        for interface, n, line in _groups(chunk.interface[unowned], chunk.line[unowned]):
            _group(self.unowned, chunk.interfaces[interface], n, (log, part, line))
        rows = np.flatnonzero(known & ((src >= 0) | (dst >= 0)))
        self.count("replayed", len(rows))
        self.count("other_protocol", int(np.count_nonzero(ok & ~known)))
        self.count("no_instance", int(np.count_nonzero(unowned)))
        if len(rows):
            self._decide(plan, chunk, rows, src[rows], dst[rows], (log, part))

    def _decide(
        self,
        plan: Plan,
        chunk: Chunk,
        rows: npt.NDArray[np.intp],
        src: npt.NDArray[np.int32],
        dst: npt.NDArray[np.int32],
        where: tuple[int, int],
    ) -> None:
        outcome = decide(plan, chunk, rows, src, dst)
        self.hits = _added(self.hits, np.bincount(outcome.hit, minlength=len(plan.deciders)))
        logged = chunk.action[rows].astype(np.int64)
        simulated = np.where(outcome.accepted, _ACCEPT, _REJECT)
        for a in (_ACCEPT, _REJECT):
            for b in (_ACCEPT, _REJECT):
                n = int(np.count_nonzero((logged == a) & (simulated == b)))
                if n:
                    self.verdicts[(a, b)] = self.verdicts.get((a, b), 0) + n
        differ = np.flatnonzero(logged != simulated)
        if not len(differ):
            return
        columns = [
            outcome.instance[differ],
            outcome.decider[differ],
            chunk.protocol[rows][differ].astype(np.int64),
            outcome.port[differ] + 1,
            outcome.reply[differ].astype(np.int64),
            logged[differ],
            simulated[differ],
        ]
        lines = chunk.line[rows][differ]
        for key, n, at in _distinct(
            columns, (len(plan.instances), len(plan.deciders), 256, 65537, 2, 2, 2)
        ):
            instance, decider, protocol, port, reply, was, now = key
            _group(
                self.mismatches,
                (instance, decider, protocol, port - 1, reply, was, now),
                n,
                (*where, int(lines[at])),
            )


def _distinct(
    columns: list[npt.NDArray[np.int64]], bounds: tuple[int, ...]
) -> list[tuple[tuple[int, ...], int, int]]:
    """Each distinct row of ``columns`` (whose values are below ``bounds``): the row, how many
    times it occurs, and where first. Rows are packed in one integer where they fit."""
    if math.prod(bounds) < 1 << 63:
        packed = np.ravel_multi_index(tuple(columns), bounds)
        unique, first, counts = np.unique(packed, return_index=True, return_counts=True)
        rows = np.stack(np.unravel_index(unique, bounds), axis=1)
    else:
        stacked = np.stack(columns, axis=1)
        rows, first, counts = np.unique(stacked, axis=0, return_index=True, return_counts=True)
    return [
        (tuple(row), n, at)
        for row, n, at in zip(rows.tolist(), counts.tolist(), first.tolist(), strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict of each record decided, and where it was decided: the deciding
    ``Decider``, the instance it belongs to, and the destination port of the packet it read
    (-1 for none). ``hit`` holds a ``Decider`` for every checkpoint a record met."""

    accepted: npt.NDArray[np.bool_]
    decider: npt.NDArray[np.int64]
    instance: npt.NDArray[np.int64]
    port: npt.NDArray[np.int64]
    reply: npt.NDArray[np.bool_]
    hit: npt.NDArray[np.int64]


def decide(
    plan: Plan,
    chunk: Chunk,
    rows: npt.NDArray[np.intp],
    src: npt.NDArray[np.int32],
    dst: npt.NDArray[np.int32],
) -> Outcome:
    """Decide the records ``rows`` of ``chunk``, whose source and destination belong to the
    instances ``src`` and ``dst`` (-1 for none); each record at every checkpoint of its path
    in order, until one drops it."""
    s_hi, s_lo = chunk.src_hi[rows], chunk.src_lo[rows]
    d_hi, d_lo = chunk.dst_hi[rows], chunk.dst_lo[rows]
    s_port, d_port = chunk.src_port[rows], chunk.dst_port[rows]
    reply = (s_port >= 0) & (s_port < d_port)
    # The connection's request: the record itself, or for a reply the record swapped.
    q_src, q_dst = np.where(reply, dst, src), np.where(reply, src, dst)
    q_src_hi, q_src_lo = np.where(reply, d_hi, s_hi), np.where(reply, d_lo, s_lo)
    q_dst_hi, q_dst_lo = np.where(reply, s_hi, d_hi), np.where(reply, s_lo, d_lo)
    q_port = np.where(reply, s_port, d_port)
    subnet_src, subnet_dst = plan.subnets[np.maximum(src, 0)], plan.subnets[np.maximum(dst, 0)]
    crossing = ~((src >= 0) & (dst >= 0) & (subnet_src >= 0) & (subnet_src == subnet_dst))
    nobody = np.full(len(rows), -1, dtype=np.int32)
    path = _Path(plan, chunk.protocol[rows].astype(np.uint8), chunk.version[rows])
    path.check(SG_OUT, q_src, q_dst_hi, q_dst_lo, q_port)
    path.check(ACL_OUT, np.where(crossing, q_src, nobody), q_dst_hi, q_dst_lo, q_port)
    path.check(ACL_IN, np.where(crossing, q_dst, nobody), q_src_hi, q_src_lo, q_port)
    path.check(SG_IN, q_dst, q_src_hi, q_src_lo, q_port)
    path.check(ACL_OUT, np.where(crossing & reply, src, nobody), d_hi, d_lo, d_port)
    path.check(ACL_IN, np.where(crossing & reply, dst, nobody), s_hi, s_lo, d_port)
    return path.outcome(reply)


class _Path:
    """Records walked checkpoint by checkpoint, all at once: the first drop decides; a record
    no checkpoint drops is decided by the last security group that accepted it, or where no
    group did, the last ACL."""

    def __init__(
        self, plan: Plan, protocol: npt.NDArray[np.uint8], version: npt.NDArray[np.uint8]
    ) -> None:
        n = len(protocol)
        self.plan, self.protocol, self.version = plan, protocol, version
        self.alive = np.ones(n, dtype=np.bool_)
        self.dropped_by = np.full(n, -1, dtype=np.int64)
        self.passed = {kind: np.full(n, -1, dtype=np.int64) for kind in ("sg", "acl")}
        self.step = {kind: np.zeros(n, dtype=np.int64) for kind in ("sg", "acl", "drop")}
        self.owners: list[npt.NDArray[np.int32]] = []
        self.ports: list[npt.NDArray[np.int32]] = []
        self.hits: list[npt.NDArray[np.int64]] = []

    def check(
        self,
        column: int,
        owner: npt.NDArray[np.int32],
        hi: npt.NDArray[np.uint64],
        lo: npt.NDArray[np.uint64],
        port: npt.NDArray[np.int32],
    ) -> None:
        """The checkpoint ``column`` of each record's instance ``owner`` (-1: none), reading
        the peer ``hi``/``lo`` and the destination port ``port``."""
        number = len(self.owners)
        self.owners.append(owner)
        self.ports.append(port)
        plan = self.plan
        known = np.maximum(owner, 0)
        check = np.where(owner >= 0, plan.checks[known, column], NO_CHECK)
        met = self.alive & (check != NO_CHECK)
        if not met.any():
            return
        decided = np.full(len(owner), -1, dtype=np.int64)
        accepted = np.zeros(len(owner), dtype=np.bool_)
        rules = met
        if column in (SG_IN, SG_OUT):
            allowed = np.where(owner >= 0, plan.allowed[known, column], NO_CHECK)
            self.evaluate(allowed, met, hi, lo, port, decided, accepted)
            rules = met & ~accepted  # an allowance passes the groups unread (§3.4, §3.5)
        free = rules & (check == NOT_FILTERED)
        decided[free] = plan.not_filtered[0 if column in (SG_IN, ACL_IN) else 1]
        accepted[free] = True
        self.evaluate(check, rules, hi, lo, port, decided, accepted)
        self.hits.append(decided[met])
        dropped = met & ~accepted
        self.dropped_by[dropped], self.step["drop"][dropped] = decided[dropped], number
        self.alive &= ~dropped
        kind = "sg" if column in (SG_IN, SG_OUT) else "acl"
        passed = met & accepted
        self.passed[kind][passed], self.step[kind][passed] = decided[passed], number

    def evaluate(
        self,
        evaluator: npt.NDArray[np.int32],
        these: npt.NDArray[np.bool_],
        hi: npt.NDArray[np.uint64],
        lo: npt.NDArray[np.uint64],
        port: npt.NDArray[np.int32],
        decided: npt.NDArray[np.int64],
        accepted: npt.NDArray[np.bool_],
    ) -> None:
        """Decide the records ``these`` each by its ``evaluator`` (those of -1 and below
        aside), into ``decided`` and ``accepted``."""
        for which in np.unique(evaluator[these & (evaluator >= 0)]).tolist():
            rows = np.flatnonzero(these & (evaluator == which))
            compiled = self.plan.evaluators[which]
            batch = Batch(self.protocol[rows], self.version[rows], hi[rows], lo[rows], port[rows])
            index = compiled.rules.lookup(batch)
            decided[rows] = compiled.deciders[index]
            accepted[rows] = compiled.accepts[index]

    def outcome(self, reply: npt.NDArray[np.bool_]) -> Outcome:
        alive = self.alive
        decider, at = self.dropped_by.copy(), self.step["drop"].copy()
        for kind, use in (("acl", alive), ("sg", alive & (self.passed["sg"] >= 0))):
            decider[use], at[use] = self.passed[kind][use], self.step[kind][use]
        every = np.arange(len(alive))
        return Outcome(
            accepted=alive,
            decider=decider,
            instance=np.stack(self.owners).astype(np.int64)[at, every],
            port=np.stack(self.ports).astype(np.int64)[at, every],
            reply=reply,
            hit=np.concatenate(self.hits) if self.hits else np.zeros(0, dtype=np.int64),
        )


def _added(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    if len(a) < len(b):
        a = np.concatenate([a, np.zeros(len(b) - len(a), dtype=np.int64)])
    a[: len(b)] += b
    return a


def _group(groups: dict[Any, list[Any]], key: Any, n: int, place: Place) -> None:
    """Add ``n`` records to a group, keeping its earliest place."""
    known = groups.get(key)
    if known is None:
        groups[key] = [n, place]
    else:
        known[0] += n
        known[1] = min(known[1], place)


def _groups(values: npt.NDArray[Any], lines: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """(value, how many, first line) of each distinct value."""
    if not len(values):
        return []
    unique, first, counts = np.unique(values, return_index=True, return_counts=True)
    return [
        (int(v), int(n), int(lines[i]))
        for v, i, n in zip(unique.tolist(), first.tolist(), counts.tolist(), strict=True)
    ]


def replay_logs(
    plan: Plan,
    logs: Sequence[str],
    *,
    skip_malformed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """Replay every log in turn, a chunk at a time; ``progress`` is told how many more bytes
    of the files were read after each chunk. A malformed line raises ``LogError`` unless
    ``skip_malformed``."""
    tally = Tally()
    for number, log in enumerate(logs):
        raw, lines = open_log(log)
        through = 0
        try:
            with raw, lines:
                done = 0
                for chunk in read_chunks(lines, log, skip_malformed=skip_malformed):
                    tally.add(plan, chunk, number)
                    through = chunk.through
                    if progress is not None:
                        position = raw.tell()
                        progress(position - done)
                        done = position
        except UNREADABLE as error:
            raise unreadable(log, through + 1, error) from None
    return tally
