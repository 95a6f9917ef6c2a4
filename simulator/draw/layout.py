"""Stage 5, pictures: where a scene's nodes go.

Positions are in typographic points inside the picture's frame, the same in x and y. Columns
left to right: clients, load balancers (each health checker below its VIP, as far as the edges
at the VIP need to pass between them), backends; networkx's multipartite layout spaces each
column, and the outer columns stand as far out as their names allow, to leave the most room
between columns for the edges' labels (``routes.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import networkx as nx

from ..topology import Role
from .scene import Scene

Point = tuple[float, float]
EdgeKey = tuple[str, str, str]

WIDTH, HEIGHT = 16.0, 9.0  # the picture, in inches
FRAME = (0.0, 0.15, 1.0, 0.73)  # where the nodes go: left, bottom, width, height of the picture
SIDE = 12.0  # points kept free between a name and the frame's side
BAND = 32.0  # points kept free above and below the nodes, for the lanes around the middle
PAIR, PAIR_CLOSE = 150.0, 66.0  # points from a VIP down to its checker: one CLB, several
LANE_AIR, PAIR_AIR = 10.0, 60.0  # points between edges passing a VIP, and for its checker
ROW_MAX = 300.0  # the most points between two nodes of a column
RADIUS = 21.0  # about half a node's marker
GAP = 24.0  # between a marker and its name
NODE_FONT, EDGE_FONT = 15.0, 12.5  # font sizes of node names and edge labels
LINE = 1.3  # line spacing of node names
CHARACTER = 0.62  # the width of a character of a name, at most, as a part of its font size


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
    reach = _reach(graph)
    pair = PAIR_CLOSE
    if len(checkers) == 1:  # as far apart as the edges at the VIP need, as the frame allows
        ((lb, checker),) = checkers.items()
        most = frame()[1] - 2 * BAND - reach[checker][0] - reach[lb][1]
        pair = max(PAIR, min(_crowd(graph, lb), most))
    for lb, checker in checkers.items():  # a VIP and its checker are placed as one
        reach[lb] = (pair / 2 + reach[checker][0], pair / 2 + reach[lb][1])
    height = frame()[1]
    scales = [ROW_MAX / min(steps)] if steps else [0.0]
    for node, y in raw.items():
        if y != middle:
            room = height / 2 - BAND - reach[node][1 if y > middle else 0]
            scales.append(room / abs(y - middle))
    scale = max(min(scales), 0.0)
    across = _columns(graph)
    pos = {
        n: (across[graph.nodes[n]["column"]], height / 2 + (y - middle) * scale)
        for n, y in raw.items()
    }
    for lb, checker in checkers.items():
        x, y = pos[lb]
        pos[lb], pos[checker] = (x, y + pair / 2), (x, y - pair / 2)
    return {n: pos[n] for n in graph}


def _crowd(graph: Scene, lb: str) -> float:
    """Points from a VIP down to its checker for the edges on the VIP's busier side to pass
    between them, each label with a little air, and the checker and its name below."""
    sides = [0.0, 0.0]
    for u, v, data in [*graph.in_edges(lb, data=True), *graph.out_edges(lb, data=True)]:
        other = v if u == lb else u
        height = lines(data["label"]) * EDGE_FONT * LINE + EDGE_FONT  # the label and its box
        sides[graph.nodes[other]["column"] > 1] += height + LANE_AIR
    return max(sides) + PAIR_AIR


def _columns(graph: Scene) -> tuple[float, float, float]:
    """Where each column stands across the frame: the first and last as far out as the names
    beside them allow, the middle one half way."""
    width = frame()[0]
    names = {0: 0.0, 2: 0.0}
    for _, data in graph.nodes(data=True):
        if data["column"] in names:
            longest = max(len(line) for line in data["label"].split("\n"))
            names[data["column"]] = max(names[data["column"]], longest * CHARACTER * NODE_FONT)
    first, last = (SIDE + GAP + names[0], width - SIDE - GAP - names[2])
    return first, (first + last) / 2, last


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
