"""Stage 5, pictures: every way one edge could run, checked against what is already placed.

An edge crosses the label columns between its two hosts (``routes.py``) level, on its lane,
with its label centred on the lane in one of them; between its hosts and its lane it bends on
cubic Bézier curves that leave and reach each host half way between level and head on, at the
height its port on that host gives. An edge between two hosts of one column has no column to
cross: it bulges towards the nearest one and runs through its label upright. Each candidate
lane is worked out at once, as numpy arrays, and sampled as short segments for the checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .geometry import Flags, Floats, Point, bezier, cross, exits, grow, overlap, segments, unit
from .geometry import through as runs_through

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points
Curve = tuple[Point, Point, Point, Point]  # a cubic Bézier curve: start, two controls, end
EdgeKey = tuple[str, str, str]
Span = tuple[float, float]  # from x to x

AIR = 4.0  # points kept free around a label, about half an arrow's head
LANE = 7.0  # the least distance between two lanes side by side
ROOM = 6.0  # points an edge keeps from the hosts it passes and their names
HEAD = 3.0  # points between an arrow's head and its target
CLEAR = 16.0  # points between a label and the hosts at its edge's ends, for the arrow's head
LEVEL = 3.0  # points between candidate lanes
BEST = 40  # of the candidates that keep every rule, how many are weighed for crossings
CROSSING = 45.0  # what crossing one edge costs, in points of detour
STEPS, ROUGH = 16, 6  # segments per curve: to check where an edge runs, to count crossings


@dataclass(frozen=True, slots=True)
class Host:
    """A node as the routes see it: its centre, its marker's outline (corners around the
    centre), its marker's box and its name's box."""

    centre: Point
    outline: tuple[Point, ...]
    box: Box
    name: Box


@dataclass(frozen=True, slots=True)
class Task:
    """An edge to route: its key, its two ends, and its label's width and height (0 without)."""

    key: EdgeKey
    source: str
    target: str
    size: Point


@dataclass(frozen=True, slots=True)
class Route:
    """Where an edge runs, as Bézier curves from its source's rim to its target's rim, and
    where its label lies (``None`` without one)."""

    curves: tuple[Curve, ...]
    label: Box | None


@dataclass(frozen=True, slots=True)
class Placed:
    """An edge placed: its route, the segments it runs along (``rough``: fewer, to count
    crossings), where it runs level (from x, to x, at y), its detour, and how many rules it
    breaks: 0 none, 1 it runs over a host or a name, 2 over a label too."""

    route: Route
    lines: Floats
    rough: Floats
    lane: tuple[float, float, float]
    cost: float
    tier: int


@dataclass(frozen=True, slots=True)
class Around:
    """What an edge being placed must keep clear of: the hosts and their names, the frame,
    the label columns and ports, and every other edge placed so far, as arrays."""

    hosts: dict[str, Host]
    frame: Point
    columns: tuple[Span, ...]
    ports: dict[tuple[EdgeKey, str], float]
    labels: Floats  # their boxes, with air around
    lines: Floats
    rough: Floats
    lanes: Floats

    def blocks(self, *ends: str) -> Floats:
        """What an edge between ``ends`` must keep off: every other host with its name, and
        the names of its own two, with a little room around each."""
        blocks = []
        for name, host in self.hosts.items():
            if name in ends:
                blocks.append(grow(np.array(host.name, dtype=float), ROOM / 2))
            else:
                both = np.array([host.box, host.name], dtype=float)
                whole = np.array([*both[:, :2].min(axis=0), *both[:, 2:].max(axis=0)])
                blocks.append(grow(whole, ROOM))
        return np.array(blocks, dtype=float).reshape(-1, 4)


class Candidates:
    """Every candidate route of one task, worked out together: where its label stands, its
    curves, and the segments that sample them."""

    def __init__(self, around: Around, task: Task) -> None:
        self.around, self.task = around, task
        source, target = (np.array(around.hosts[n].centre) for n in (task.source, task.target))
        self.chord = float(np.hypot(*(target - source)))
        self.places, first, last, way = self._lanes(source, target)
        ports = [around.ports.get((task.key, n), 0.0) for n in (task.source, task.target)]
        origin, aim = source + np.array([0.0, ports[0]]), target + np.array([0.0, ports[1]])
        level = (way[:, 1] == 0)[:, None]
        out = unit(unit(first - origin) + level * way)  # half way between level and head on
        into = unit(unit(aim - last) + level * way)
        start = origin + out * self._rim(task.source, origin, out)[:, None]
        end = aim - into * (self._rim(task.target, aim, -into) + HEAD)[:, None]
        near = np.hypot(*(first - start).T)[:, None] / 3
        far = np.hypot(*(end - last).T)[:, None] / 3
        self.curves = np.stack(
            [
                np.stack([start, start + out * near, first - way * near, first], axis=1),
                np.stack([first, (2 * first + last) / 3, (first + 2 * last) / 3, last], axis=1),
                np.stack([last, last + way * far, end - into * far, end], axis=1),
            ],
            axis=1,
        )  # candidate, curve, point, x and y
        self.forwards = (((first - source) * way).sum(axis=1) > 0) & (
            ((target - last) * way).sum(axis=1) > 0
        )  # it never turns back
        self.lines, self.rough = (self._sample(steps) for steps in (STEPS, ROUGH))
        self.level = np.column_stack(
            [np.minimum(first[:, 0], last[:, 0]), np.maximum(first[:, 0], last[:, 0]), first[:, 1]]
        )
        self.level[~level[:, 0]] = (0.0, 0.0, -1e9)  # an upright run is no lane

    def _lanes(self, source: Floats, target: Floats) -> tuple[Floats, Floats, Floats, Floats]:
        """Each candidate's label centre, where it starts and ends running straight, and which
        way it runs there."""
        columns = self.around.columns
        low, high = sorted((float(source[0]), float(target[0])))
        crossed = [c for c in columns if low < (c[0] + c[1]) / 2 < high]
        levels = np.arange(LEVEL, self.around.frame[1] - LEVEL / 2, LEVEL)
        w, h = self.task.size
        if crossed:
            spots = crossed if w else crossed[:1]
            x = np.repeat([(a + b) / 2 for a, b in spots], len(levels))
            y = np.tile(levels, len(spots))
            rightwards = bool(target[0] > source[0])
            way = np.tile([1.0 if rightwards else -1.0, 0.0], (len(x), 1))
            ends = (
                (crossed[0][0], crossed[-1][1]) if rightwards else (crossed[-1][1], crossed[0][0])
            )
            first = np.column_stack([np.full(len(x), ends[0]), y])
            last = np.column_stack([np.full(len(x), ends[1]), y])
            return np.column_stack([x, y]), first, last, way
        middles = [(a + b) / 2 for a, b in columns] or [self.around.frame[0] / 2]
        inwards = min(middles, key=lambda m: abs(m - low)) - low
        xs = low + np.arange(0.0, abs(inwards) + 1e-9, 2 * LEVEL) * np.sign(inwards)
        places = np.column_stack([np.repeat(xs, len(levels)), np.tile(levels, len(xs))])
        way = np.tile(unit((target - source)[None, :])[0], (len(places), 1))
        half = (h / 2 + AIR) if h else 0.0
        return places, places - way * half, places + way * half, way

    def _rim(self, name: str, origin: Floats, directions: Floats) -> Floats:
        """How far from ``origin`` each way the marker of host ``name`` ends."""
        host = self.around.hosts[name]
        outline = np.array(host.outline, dtype=float) + np.array(host.centre)
        origins = np.ascontiguousarray(np.broadcast_to(origin, directions.shape))
        return exits(outline, origins, directions)

    def _sample(self, steps: int) -> Floats:
        """Each candidate as segments, ``steps`` to a curve: (candidate, segment, x0 y0 x1 y1)."""
        bends = bezier(self.curves[:, [0, 2]], steps)
        run = self.curves[:, 1, [0, 3]]
        return np.concatenate([segments(bends[:, 0]), segments(run), segments(bends[:, 1])], axis=1)

    def best(self, *, strict: bool) -> Placed | None:
        """Of the candidates that keep the rules (``strict``: even those about hosts and
        names), the one with the least detour and crossings, or ``None``."""
        free = np.flatnonzero(self._label_free())
        good = free[self._clear(strict, free)]
        if not len(good):
            return None
        detours = self._detours()[good]
        weigh = np.argsort(detours, kind="stable")[:BEST]
        chosen = int(np.argmin(detours[weigh] + CROSSING * self._crossings(good[weigh])))
        return self._placed(
            int(good[weigh[chosen]]), float(detours[weigh[chosen]]), int(not strict)
        )

    def nearest(self) -> Placed:
        """The candidate with the least detour, whatever it covers."""
        detours = self._detours()
        index = int(np.argmin(detours + 1e6 * ~self.forwards))
        return self._placed(index, float(detours[index]), 2)

    def _label_free(self) -> Flags:
        """Which candidates' labels fit in the frame and cover no label, host, name or edge,
        and whose lanes keep apart from the others'."""
        around, (w, h) = self.around, self.task.size
        free = self._lanes_apart()
        if not (w and h):
            return free
        half = np.array([w / 2, h / 2])
        boxes = grow(np.hstack([self.places - half, self.places + half]), AIR)
        free &= (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0)
        free &= (boxes[:, 2] <= around.frame[0]) & (boxes[:, 3] <= around.frame[1])
        ends = (self.task.source, self.task.target)
        walls = [around.labels, *(np.array(h.name) for h in around.hosts.values())]
        walls += [grow(np.array(h.box), CLEAR * (n in ends)) for n, h in around.hosts.items()]
        free = free & ~overlap(boxes[:, None, :], np.vstack(walls)[None, :, :]).any(axis=1)
        if len(around.lines):
            crossed = runs_through(around.lines[None, :, :], boxes[:, None, :]).any(axis=1)
            free = free & ~crossed
        return free

    def _lanes_apart(self) -> Flags:
        """Which candidates' lanes run nowhere near along another's."""
        mine, theirs = self.level[:, None, :], self.around.lanes[None, :, :]
        side = (mine[..., 0] < theirs[..., 1]) & (theirs[..., 0] < mine[..., 1])
        near = np.abs(mine[..., 2] - theirs[..., 2]) < LANE
        return np.asarray(~(side & near).any(axis=1), dtype=bool)

    def _clear(self, strict: bool, which: NDArray[np.intp]) -> Flags:
        """Which of the candidates ``which`` run through no label (nor, if ``strict``, any host
        but their own two, or any host's name), inside the frame and without turning back."""
        around, lines = self.around, self.lines[which]
        xs, ys = lines[..., [0, 2]], lines[..., [1, 3]]
        inside = (xs >= 0) & (ys >= 0) & (xs <= around.frame[0]) & (ys <= around.frame[1])
        keep = np.asarray(self.forwards[which] & inside.all(axis=(1, 2)), dtype=bool)
        walls = [around.labels]
        if strict:
            walls.append(around.blocks(self.task.source, self.task.target))
        wall = np.vstack(walls)
        if len(wall):
            hit = runs_through(lines[:, :, None, :], wall[None, None, :, :]).any(axis=(1, 2))
            keep &= ~hit
        return keep

    def _detours(self) -> Floats:
        """How much longer than the chord each candidate runs."""
        lines = self.lines
        lengths = np.hypot(lines[..., 2] - lines[..., 0], lines[..., 3] - lines[..., 1])
        detours: Floats = lengths.sum(axis=1) - self.chord
        return detours

    def _crossings(self, which: NDArray[np.intp]) -> Floats:
        """How many placed segments each of the candidates ``which`` crosses."""
        met = cross(self.rough[which][:, :, None, :], self.around.rough[None, None, :, :])
        counts: Floats = met.sum(axis=(1, 2)).astype(float)
        return counts

    def _placed(self, index: int, cost: float, tier: int) -> Placed:
        curves = tuple(tuple((float(x), float(y)) for x, y in c) for c in self.curves[index])
        w, h = self.task.size
        x, y = (float(v) for v in self.places[index])
        label = (x - w / 2, y - h / 2, x + w / 2, y + h / 2) if w and h else None
        route = Route(curves, label)  # type: ignore[arg-type]  # four points to a curve
        x0, x1, level = (float(v) for v in self.level[index])
        return Placed(route, self.lines[index], self.rough[index], (x0, x1, level), cost, tier)
