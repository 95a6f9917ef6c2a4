"""Stage 5, pictures: where each edge of a scene runs, and where its label sits.

Labels stand in label columns, one in each gap between two columns of hosts, each as wide as
the widest label that may stand there and centred in its gap, the rest of the gap left for
bends. An edge crosses the label columns between its hosts level, on its lane, with its label
centred on the lane in one of them (``lanes.py``). A label column holds only labels and lanes,
so that an edge can meet another's label only where its lane comes too close. Where edges meet
a host, they spread over its side (their ports), in the order of the hosts at their other ends
at first, then of the lanes that search found, in a second search kept if it does better.

Lanes are searched for one edge after another, on a grid of levels: of those that keep every
rule, the one with the least detour and the fewest crossings of edges already placed. The rules:

- the label lies inside the frame, and covers no other label, no host and no host's name;
- no edge already placed runs through the label, and no lane runs along another;
- the edge runs through no other label, no host but its own two and no host's name.

Each edge is then placed again, knowing where all the others go, and moves only to a better
place. Edges go in three orders, each tried: the tallest and widest labels first, the highest
edges first, the scene's own order; within each, edges that cross one label column before
those that cross two, and edges without a label last. An edge that found no place keeping
every rule goes first in a new attempt; the best of all attempts is drawn. Only where no
attempt keeps every rule may an edge run over a host or a name, and only where even that
leaves it no place, over a label.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .geometry import Point, cross, grow
from .lanes import (
    AIR,
    CROSSING,
    Around,
    Candidates,
    EdgeKey,
    Host,
    Placed,
    Route,
    Span,
    Task,
)

NARROWEST = 60.0  # the least width of a label column, so that lanes run level a while
BEND = 0.22  # of each gap, at least this much on either side of its label column for bends
PORT, SPREAD = 9.0, 28.0  # points between edges where they meet a host, and at most in all
PASSES = 1  # times every edge is placed again, once all are placed
ATTEMPTS = 4  # fresh starts, each with the edges that found no good place first


def route(
    tasks: Sequence[Task], hosts: dict[str, Host], frame: Point, gaps: Sequence[Span]
) -> dict[EdgeKey, Route]:
    """Each edge's route and label, placed as the module says, in the free ``gaps`` between
    columns of hosts; the same tasks in the same order always give the same routes."""
    columns = label_columns(tasks, hosts, gaps)
    ports = _ports(tasks, hosts, {})
    best: tuple[tuple[int, float], _Board, list[Task]] | None = None
    for order in _orders(tasks, hosts, columns):
        board = _attempts(order, _Board(hosts, frame, columns, ports))
        if best is None or board.badness() < best[0]:
            best = board.badness(), board, order
    if best is None:
        return {}
    _, board, order = best
    levels = {key: placed.lane[2] for key, placed in board.placed.items()}
    again = _attempts(order, _Board(hosts, frame, columns, _ports(tasks, hosts, levels)))
    if again.badness() < board.badness():  # the ports in the order of the lanes found
        board = again
    return {task.key: board.placed[task.key].route for task in tasks}


def _attempts(order: list[Task], empty: _Board) -> _Board:
    """The best of a few attempts on the ``empty`` board: the first in ``order``, each next
    one with the edges that found no good place first."""
    best: _Board | None = None
    for _ in range(ATTEMPTS):
        board = empty.cleared()
        for task in order * (1 + PASSES):
            board.place(task)
        if best is None or board.badness() < best.badness():
            best = board
        failed = [t for t in order if board.placed[t.key].tier]
        if not failed:
            break
        order = failed + [t for t in order if t not in failed]
    assert best is not None  # ATTEMPTS > 0
    return best


def label_columns(
    tasks: Sequence[Task], hosts: dict[str, Host], gaps: Sequence[Span]
) -> tuple[Span, ...]:
    """Each gap's label column: as wide as the widest label of an edge across the gap, and
    centred in it, with room left on either side for the bends."""
    columns = []
    for low, high in gaps:
        middle = (low + high) / 2
        widths = [t.size[0] + 2 * AIR for t in tasks if _across(t, hosts, middle)]
        width = min(max([NARROWEST, *widths]), (high - low) * (1 - 2 * BEND))
        columns.append((middle - width / 2, middle + width / 2))
    return tuple(columns)


def _across(task: Task, hosts: dict[str, Host], x: float) -> bool:
    ends = sorted(hosts[n].centre[0] for n in (task.source, task.target))
    return ends[0] < x < ends[1]


def _ports(
    tasks: Sequence[Task], hosts: dict[str, Host], levels: dict[EdgeKey, float]
) -> dict[tuple[EdgeKey, str], float]:
    """Where on its hosts' sides each edge leaves or arrives, as a height above their centres:
    the edges on one side of a host spread out in the order of their lanes' ``levels`` where
    known, else of the hosts at their other ends, so that they fan out and do not cross."""
    sides: dict[tuple[str, bool], list[tuple[float, int, EdgeKey]]] = {}
    for number, task in enumerate(tasks):
        ends = (task.source, task.target)
        (x0, y0), (x1, y1) = (hosts[n].centre for n in ends)
        if x0 == x1:
            continue  # upright: leaves and arrives head on
        for end, far, right in ((ends[0], y1, x1 > x0), (ends[1], y0, x0 > x1)):
            height = levels.get(task.key, far)
            sides.setdefault((end, right), []).append((-height, number, task.key))
    ports = {}
    for (end, _), edges in sides.items():
        step = min(PORT, SPREAD / max(len(edges) - 1, 1))
        for index, (_, _, key) in enumerate(sorted(edges)):
            ports[key, end] = ((len(edges) - 1) / 2 - index) * step
    return ports


def _orders(
    tasks: Sequence[Task], hosts: dict[str, Host], columns: Sequence[Span]
) -> list[list[Task]]:
    """The orders to place edges in (see the module)."""
    crossed = {t.key: sum(_across(t, hosts, (a + b) / 2) for a, b in columns) for t in tasks}
    height = {t.key: -sum(hosts[n].centre[1] for n in (t.source, t.target)) for t in tasks}
    return [
        sorted(tasks, key=lambda t: (not all(t.size), crossed[t.key], -t.size[1], -t.size[0])),
        sorted(tasks, key=lambda t: (not all(t.size), crossed[t.key], height[t.key])),
        sorted(tasks, key=lambda t: (not all(t.size), crossed[t.key])),
    ]


class _Board:
    """The edges placed so far."""

    def __init__(
        self,
        hosts: dict[str, Host],
        frame: Point,
        columns: tuple[Span, ...],
        ports: dict[tuple[EdgeKey, str], float],
    ) -> None:
        self.hosts, self.frame, self.columns, self.ports = hosts, frame, columns, ports
        self.placed: dict[EdgeKey, Placed] = {}

    def cleared(self) -> _Board:
        """A board with the same hosts, frame, columns and ports, and nothing placed."""
        return _Board(self.hosts, self.frame, self.columns, self.ports)

    def place(self, task: Task) -> None:
        """Place ``task`` on its best route given every other edge: where it was, or better."""
        around = self._around(task.key)
        candidates = Candidates(around, task)
        new = candidates.best(strict=True) or candidates.best(strict=False)
        new = new or candidates.nearest()
        old = self.placed.get(task.key)
        if old is None or (new.tier, _score(new, around)) < (old.tier, _score(old, around)):
            self.placed[task.key] = new

    def _around(self, but: EdgeKey) -> Around:
        """Everything an edge must keep clear of: the hosts, and every edge placed but itself."""
        others = [p for key, p in self.placed.items() if key != but]
        boxes = [p.route.label for p in others if p.route.label is not None]
        return Around(
            self.hosts, self.frame, self.columns, self.ports,
            labels=grow(np.array(boxes, dtype=float).reshape(-1, 4), AIR),
            lines=np.vstack([np.empty((0, 4)), *(p.lines for p in others)]),
            rough=np.vstack([np.empty((0, 4)), *(p.rough for p in others)]),
            lanes=np.array([p.lane for p in others], dtype=float).reshape(-1, 3),
        )  # fmt: skip

    def badness(self) -> tuple[int, float]:
        """How many rules the placed edges break, then their detours and crossings."""
        placed = list(self.placed.values())
        crossings = 0
        for index, mine in enumerate(placed[:-1]):
            theirs = np.vstack([p.rough for p in placed[index + 1 :]])
            crossings += int(cross(mine.rough[:, None, :], theirs[None, :, :]).sum())
        return sum(p.tier for p in placed), sum(p.cost for p in placed) + CROSSING * crossings


def _score(placed: Placed, around: Around) -> float:
    """A placement's detour, and what its crossings of the other edges cost."""
    crossings = cross(placed.rough[:, None, :], around.rough[None, :, :]).sum()
    return placed.cost + CROSSING * float(crossings)
