"""Stage 5, pictures: where a scene's nodes go and how much each edge bends.

Positions are in typographic points inside the picture's frame, the same in x and y, so an
edge's bend can be worked out. Columns left to right: clients, load balancers (each health
checker right below its VIP), backends; networkx's multipartite layout spaces each column.
Edges between two hosts fan out; an edge from the first column to the last goes through the
free space above, between or below the middle column's nodes and their names.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator

import networkx as nx

from ..topology import Role
from .scene import Scene

Point = tuple[float, float]
EdgeKey = tuple[str, str, str]

WIDTH, HEIGHT = 16.0, 9.0  # the picture, in inches
FRAME = (0.0, 0.15, 1.0, 0.73)  # where the nodes go: left, bottom, width, height of the picture
COLUMN_X = (0.17, 0.5, 0.83)  # each column's place across the frame
BAND = 32.0  # points kept free above and below the nodes, for the arcs around the middle
PAIR, PAIR_CLOSE = 150.0, 66.0  # points from a VIP down to its checker: one CLB, several
ROW_MAX = 300.0  # the most points between two nodes of a column
RADIUS = 21.0  # about half a node's marker
GAP = 24.0  # between a marker and its name
NODE_FONT, EDGE_FONT = 15.0, 12.5  # font sizes of node names and edge labels
LINE = 1.3  # line spacing of node names
MARGIN = 4.0  # between an edge's label and the middle column
SIDE_BEND = 0.35  # the bend of an edge between two nodes of one column


def frame() -> Point:
    """The frame's width and height in points."""
    return FRAME[2] * WIDTH * 72, FRAME[3] * HEIGHT * 72


def layout(graph: Scene) -> dict[str, Point]:
    """Each node's place: its role's column, top to bottom in the scene's order, each column
    centred, as far apart as the frame allows with every name inside it."""
    checkers = {d["load_balancer"]: n for n, d in _nodes(graph, Role.HEALTH_CHECKER)}
    columns: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for node, data in graph.nodes(data=True):
        if node not in checkers.values():
            columns[data["column"]].insert(0, node)  # the layout counts upwards
    placed = graph.subgraph(n for nodes in columns.values() for n in nodes)
    raw = {n: float(y) for n, (_, y) in nx.multipartite_layout(placed, columns).items()}
    if not raw:
        return {}
    middle = (max(raw.values()) + min(raw.values())) / 2
    steps = [abs(raw[a] - raw[b]) for c in columns.values() for a, b in itertools.pairwise(c)]
    pair = PAIR if len(checkers) == 1 else PAIR_CLOSE
    reach = _reach(graph)
    for lb, checker in checkers.items():  # a VIP and its checker are placed as one
        reach[lb] = (pair / 2 + reach[checker][0], pair / 2 + reach[lb][1])
    width, height = frame()
    scales = [ROW_MAX / min(steps)] if steps else [0.0]
    for node, y in raw.items():
        if y != middle:
            room = height / 2 - BAND - reach[node][1 if y > middle else 0]
            scales.append(room / abs(y - middle))
    scale = max(min(scales), 0.0)
    pos = {
        n: (COLUMN_X[graph.nodes[n]["column"]] * width, height / 2 + (y - middle) * scale)
        for n, y in raw.items()
    }
    for lb, checker in checkers.items():
        x, y = pos[lb]
        pos[lb], pos[checker] = (x, y + pair / 2), (x, y - pair / 2)
    return {n: pos[n] for n in graph}


def _nodes(graph: Scene, role: Role) -> Iterator[tuple[str, dict[str, str]]]:
    return ((n, d) for n, d in graph.nodes(data=True) if d["role"] is role)


def names_beside(graph: Scene) -> bool:
    """Whether health checkers are named on their left rather than below: where several load
    balancers share the middle column, a name below would meet the next VIP's."""
    return sum(1 for _ in _nodes(graph, Role.LOAD_BALANCER)) > 1


def lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def _reach(graph: Scene) -> dict[str, Point]:
    """How far each node with its name reaches below and above its centre."""
    beside = names_beside(graph)
    reach = {}
    for node, data in graph.nodes(data=True):
        name = NODE_FONT * LINE * lines(data["label"])
        if data["column"] != 1 or (data["role"] is Role.HEALTH_CHECKER and beside):
            reach[node] = (max(RADIUS, name / 2), max(RADIUS, name / 2))  # named beside
        elif data["role"] is Role.HEALTH_CHECKER:
            reach[node] = (GAP + name, RADIUS)  # named below
        else:
            reach[node] = (RADIUS, GAP + name)  # named above
    return reach


def bends(graph: Scene, pos: dict[str, Point]) -> dict[EdgeKey, float]:
    """How much each edge bends (matplotlib's ``arc3`` rad), so that no two labels meet. The
    edges between two hosts fan out, whichever way each goes, as far apart as their labels
    need; edges along a column bend towards the middle; edges past the middle column go
    through its free stretches."""
    pairs: dict[tuple[str, str], list[EdgeKey]] = defaultdict(list)
    for u, v, key in graph.edges(keys=True):
        pairs[(min(u, v), max(u, v))].append((u, v, key))
    rads: dict[EdgeKey, float] = {}
    across: list[EdgeKey] = []
    for (low, high), edges in pairs.items():
        columns = graph.nodes[low]["column"], graph.nodes[high]["column"]
        if abs(columns[0] - columns[1]) == 2:
            across += edges
            continue
        spread = _spread(graph, pos, edges)
        if columns[0] == columns[1]:
            rising = pos[high][1] - pos[low][1]
            inwards = 1 if rising * (COLUMN_X[1] - COLUMN_X[columns[0]]) > 0 else -1
            offsets = [inwards * (SIDE_BEND + i * spread) for i in range(len(edges))]
        else:
            offsets = [(i - (len(edges) - 1) / 2) * spread for i in range(len(edges))]
        for (u, v, key), rad in zip(edges, offsets, strict=True):
            rads[(u, v, key)] = rad if u == low else -rad
    rads.update(_through_middle(graph, pos, across))
    return rads


def _spread(graph: Scene, pos: dict[str, Point], edges: list[EdgeKey]) -> float:
    """The rad between neighbouring arcs that sets their middles a label apart: a label's
    height where the chord runs level, up to its width where the chord rises steeply."""
    (x0, y0), (x1, y1) = pos[edges[0][0]], pos[edges[0][1]]
    chord = max(math.hypot(x1 - x0, y1 - y0), 1.0)
    level, steep = abs(x1 - x0) / chord, abs(y1 - y0) / chord
    height = max(label_height(graph, e) for e in edges)
    width = max(_label_width(graph, e) for e in edges)
    return 2 * min(height / max(level, 1e-6), width / max(steep, 1e-6)) / chord


def _through_middle(
    graph: Scene, pos: dict[str, Point], edges: list[EdgeKey]
) -> dict[EdgeKey, float]:
    """Edges from the first column to the last, each through the free stretch of the middle
    column nearest its chord, stacked there one label apart. The apex of an ``arc3`` curve
    lies rad * (dy, -dx) / 2 from the middle of its chord, so an apex ``h`` points above the
    chord's middle takes rad = -2h / dx."""
    free = _free_stretches(graph, pos)
    if not free:
        return dict.fromkeys(edges, 0.0)
    chords = {e: (pos[e[0]][1] + pos[e[1]][1]) / 2 for e in edges}
    stacks: dict[int, list[EdgeKey]] = defaultdict(list)
    for edge in sorted(edges, key=lambda e: -chords[e]):  # top first; stable for ties
        nearest = min(range(len(free)), key=lambda i: _distance(chords[edge], free[i]))
        stacks[nearest].append(edge)
    rads = {}
    for index, stack in stacks.items():
        bottom, top = free[index]
        heights = [label_height(graph, e) for e in stack]
        wanted = sum(min(max(chords[e], bottom), top) for e in stack) / len(stack)
        upper = min(max(wanted + sum(heights) / 2, bottom + sum(heights)), top)
        for edge, height in zip(stack, heights, strict=True):
            apex = upper - height / 2
            upper -= height
            rads[edge] = -2 * (apex - chords[edge]) / (pos[edge[1]][0] - pos[edge[0]][0])
    return rads


def _free_stretches(graph: Scene, pos: dict[str, Point]) -> list[Point]:
    """Where an edge may cross the middle column: (bottom, top) of each free stretch."""
    taken = sorted(
        (pos[node][1] - below, pos[node][1] + above)
        for node, (below, above) in _reach(graph).items()
        if graph.nodes[node]["column"] == 1
    )
    edge = 14.0  # kept clear at the frame's top and bottom
    free, floor = [], edge
    for low, high in taken:
        if low > floor:
            free.append((floor, low))
        floor = max(floor, high)
    free.append((floor, frame()[1] - edge))
    return [(low + MARGIN, high - MARGIN) for low, high in free if high - low > 2 * MARGIN]


def _distance(y: float, stretch: Point) -> float:
    return max(stretch[0] - y, y - stretch[1], 0.0)


def _label_width(graph: Scene, edge: EdgeKey) -> float:
    """About the width of an edge's label with its box."""
    longest = max(len(line) for line in str(graph.edges[edge]["label"]).split("\n"))
    return longest * EDGE_FONT * 0.6 + EDGE_FONT * 0.5 + 6


def label_height(graph: Scene, edge: EdgeKey) -> float:
    """The height of an edge's label with its box and a little air; an unlabelled arc keeps a
    little apart from its fellows too."""
    count = lines(str(graph.edges[edge]["label"]))
    return count * EDGE_FONT * 1.25 + EDGE_FONT * 0.5 + 6 if count else 14.0
