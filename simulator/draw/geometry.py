"""Stage 5, pictures: the plane geometry that routing edges needs, on many shapes at once.

Boxes are ``(left, bottom, right, top)`` and segments ``(x0, y0, x1, y1)``, in points, as the
last axis of numpy arrays; every test broadcasts over the other axes, so that hundreds of
candidate routes are checked against everything already drawn in one call.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

Point = tuple[float, float]
Floats: TypeAlias = NDArray[np.float64]
Flags: TypeAlias = NDArray[np.bool_]


def exits(outline: Floats, origins: Floats, directions: Floats) -> Floats:
    """How far each ray goes from its origin, inside the polygon ``outline`` (its corners, in
    order), before it leaves it: (n, 2) origins and directions -> (n,) distances, 0 where a ray
    starts outside."""
    corners = outline[None, :, :]
    sides = np.roll(outline, -1, axis=0)[None, :, :] - corners
    start = corners - origins[:, None, :]
    ray = directions[:, None, :]
    turn = sides[..., 0] * ray[..., 1] - sides[..., 1] * ray[..., 0]
    usable = np.abs(turn) > 1e-12
    safe = np.where(usable, turn, 1.0)
    along = (start[..., 1] * sides[..., 0] - start[..., 0] * sides[..., 1]) / safe
    where = (start[..., 1] * ray[..., 0] - start[..., 0] * ray[..., 1]) / safe
    hits = usable & (where >= 0) & (where <= 1) & (along > 0)
    distances: Floats = np.where(hits, along, 0.0).max(axis=1)
    return distances


def unit(vectors: Floats) -> Floats:
    """Each row scaled to length 1 (a zero row stays zero)."""
    scaled: Floats = vectors / np.maximum(np.hypot(vectors[:, 0], vectors[:, 1]), 1e-9)[:, None]
    return scaled


def bezier(curves: Floats, steps: int) -> Floats:
    """Points along cubic Bézier curves, ``steps + 1`` each: (..., 4, 2) -> (..., steps + 1, 2)."""
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    weights = np.hstack([(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3])
    points: Floats = np.einsum("sk,...kd->...sd", weights, curves)
    return points


def segments(points: Floats) -> Floats:
    """The segments joining each point to the next: (..., n, 2) -> (..., n - 1, 4)."""
    joined: Floats = np.concatenate([points[..., :-1, :], points[..., 1:, :]], axis=-1)
    return joined


def grow(boxes: Floats, by: float) -> Floats:
    """Boxes grown by ``by`` on every side."""
    grown: Floats = boxes + np.array([-by, -by, by, by])
    return grown


def overlap(a: Floats, b: Floats) -> Flags:
    """Whether boxes ``a`` and ``b`` share any area (broadcast)."""
    return (
        (a[..., 0] < b[..., 2]) & (b[..., 0] < a[..., 2])
        & (a[..., 1] < b[..., 3]) & (b[..., 1] < a[..., 3])
    )  # fmt: skip


def through(lines: Floats, boxes: Floats) -> Flags:
    """Whether each segment passes through a box (broadcast): their extents overlap and the
    box's corners do not all lie on one side of the segment's line."""
    lines, boxes = np.broadcast_arrays(lines, boxes)
    near = _meet(lines, boxes)
    lines, boxes = lines[near], boxes[near]
    x0, y0, x1, y1 = (lines[:, i] for i in range(4))
    dx, dy = x1 - x0, y1 - y0
    sides = np.array(
        [dx * (boxes[:, y] - y0) - dy * (boxes[:, x] - x0) for x in (0, 2) for y in (1, 3)]
    )
    found = np.zeros(near.shape, dtype=bool)
    found[near] = ~((sides > 0).all(axis=0) | (sides < 0).all(axis=0))
    return found


def cross(a: Floats, b: Floats) -> Flags:
    """Whether segments ``a`` and ``b`` cross (broadcast): each one's ends lie on both sides
    of the other's line."""
    a, b = np.broadcast_arrays(a, b)
    extent = np.stack(
        [np.minimum(b[..., 0], b[..., 2]), np.minimum(b[..., 1], b[..., 3]),
         np.maximum(b[..., 0], b[..., 2]), np.maximum(b[..., 1], b[..., 3])],
        axis=-1,
    )  # fmt: skip
    near = _meet(a, extent)
    a, b = a[near], b[near]

    def side(s: Floats, x: Floats, y: Floats) -> Floats:
        return (s[:, 2] - s[:, 0]) * (y - s[:, 1]) - (s[:, 3] - s[:, 1]) * (x - s[:, 0])

    found = np.zeros(near.shape, dtype=bool)
    found[near] = (side(a, b[:, 0], b[:, 1]) * side(a, b[:, 2], b[:, 3]) < 0) & (
        side(b, a[:, 0], a[:, 1]) * side(b, a[:, 2], a[:, 3]) < 0
    )
    return found


def _meet(lines: Floats, boxes: Floats) -> Flags:
    """Whether each segment's extent meets its box."""
    return ~(
        (np.maximum(lines[..., 0], lines[..., 2]) < boxes[..., 0])
        | (np.minimum(lines[..., 0], lines[..., 2]) > boxes[..., 2])
        | (np.maximum(lines[..., 1], lines[..., 3]) < boxes[..., 1])
        | (np.minimum(lines[..., 1], lines[..., 3]) > boxes[..., 3])
    )
