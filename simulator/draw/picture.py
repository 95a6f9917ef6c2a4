"""Stage 5, pictures: a scene -> an SVG or PNG picture, drawn with matplotlib.

The figure is drawn off screen (matplotlib's Agg canvas, never a window) with the DejaVu Sans
font matplotlib ships, so every machine draws the same picture, byte for byte. networkx draws
the nodes where ``layout`` puts them; each edge is an arrow along the route ``routes`` finds
for it, its label on it where it covers no other label and no node, and no other edge runs
through it. The labels are measured first, as they will be drawn, so that routes know their
size.
"""

from __future__ import annotations

import io
import itertools
import math
import textwrap
from dataclasses import dataclass

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path
from matplotlib.text import Text

from ..topology import Role
from .lanes import Host, Task
from .layout import (
    EDGE_FONT,
    FRAME,
    GAP,
    HEIGHT,
    LINE,
    NODE_FONT,
    WIDTH,
    EdgeKey,
    Point,
    frame,
    layout,
    names_beside,
)
from .routes import route
from .scene import BADGES, LOOKS, Kind, Outcome, Scene

Box = tuple[Point, Point]  # lower left, upper right, in points

DPI = 120  # a PNG of 1920 x 1080 pixels
NODE_SIZE = 1400  # a marker's area in points squared, about 37 points across
MARKER_LINE = 1.5  # the width of a marker's outline
TITLE_FONT, LEGEND_FONT = 22, 14


def render(graph: Scene, fmt: str) -> bytes:
    """The picture of ``graph`` as ``svg`` or ``png`` bytes, the same for the same scene."""
    title = str(graph.graph["title"])
    metadata: dict[str, str | None] = (
        {"Date": None, "Creator": None, "Title": title}  # no timestamp, no version
        if fmt == "svg"
        else {"Software": None, "Title": title}
    )
    buffer = io.BytesIO()
    with mpl.rc_context(
        {
            "svg.hashsalt": f"sgsim {title}",  # fixed ids, which differ between scenarios
            "svg.fonttype": "none",  # text stays text: searchable, read out by screen readers
            "font.family": "DejaVu Sans",
        }
    ):
        figure(graph).savefig(buffer, format=fmt, dpi=DPI, facecolor="white", metadata=metadata)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Drawing:
    """A scene drawn on a figure, with the artists that show it: each edge's key, line and
    label (``None`` without one) in the scene's order, the nodes' markers and their names."""

    figure: Figure
    edges: tuple[tuple[EdgeKey, FancyArrowPatch, Text | None], ...]
    markers: tuple[PathCollection, ...]
    names: tuple[Text, ...]


def figure(graph: Scene) -> Figure:
    """The scene drawn on a figure of its own, off screen: title, nodes, edges, legend."""
    return drawing(graph).figure


def drawing(graph: Scene) -> Drawing:
    """The scene drawn, with the artists of its nodes and edges (see ``figure``)."""
    canvas = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(canvas)  # matplotlib's Agg canvas: never a window
    title = textwrap.fill(str(graph.graph["title"]), 90)
    canvas.suptitle(title, fontsize=TITLE_FONT, y=0.965, va="top")
    ax = canvas.add_axes(FRAME)
    width, height = frame()
    ax.set_xlim(0, width)  # so that the axes measure points
    ax.set_ylim(0, height)
    ax.set_axis_off()
    pos = layout(graph)
    markers = _nodes(ax, graph, pos)
    names = _names(ax, graph, pos)
    edges = _edges(ax, graph, pos, names)
    _legend(canvas, graph)
    return Drawing(canvas, edges, markers, tuple(names.values()))


def _nodes(ax: Axes, graph: Scene, pos: dict[str, Point]) -> tuple[PathCollection, ...]:
    """A marker per node, shaped and filled by role."""
    markers = []
    for role, badge in BADGES.items():
        nodes = [n for n, d in graph.nodes(data=True) if d["role"] is role]
        if nodes:
            markers.append(nx.draw_networkx_nodes(
                graph, pos, nodelist=nodes, node_shape=badge.marker, node_color=badge.fill,
                node_size=NODE_SIZE, edgecolors="#333333", linewidths=MARKER_LINE, ax=ax,
            ))  # fmt: skip
    return tuple(markers)


def _names(ax: Axes, graph: Scene, pos: dict[str, Point]) -> dict[str, Text]:
    """Each node's name beside, above or below its marker."""
    beside = names_beside(graph)
    names = {}
    for node, data in graph.nodes(data=True):
        x, y = pos[node]
        if data["column"] == 0 or (data["role"] is Role.HEALTH_CHECKER and beside):
            where = (x - GAP, y, "right", "center")
        elif data["column"] == 2:
            where = (x + GAP, y, "left", "center")
        elif data["role"] is Role.HEALTH_CHECKER:
            where = (x, y - GAP, "center", "top")
        else:
            where = (x, y + GAP, "center", "bottom")
        tx, ty, ha, va = where
        names[node] = ax.text(
            tx, ty, data["label"], ha=ha, va=va, fontsize=NODE_FONT, linespacing=LINE
        )
    return names


def _edges(
    ax: Axes, graph: Scene, pos: dict[str, Point], names: dict[str, Text]
) -> tuple[tuple[EdgeKey, FancyArrowPatch, Text | None], ...]:
    """Every edge on its route, coloured and dashed by outcome, and its label on it."""
    labels = {edge: _label(ax, graph, edge) for edge in graph.edges(keys=True)}
    boxes = {edge: _extent(ax, text) for edge, text in labels.items() if text is not None}
    tasks = [
        Task(edge, edge[0], edge[1], _size(boxes[edge]) if edge in boxes else (0.0, 0.0))
        for edge in labels
    ]
    hosts = {node: _host(ax, graph, node, pos[node], names[node]) for node in graph}
    routes = route(tasks, hosts, frame(), _gaps(graph, hosts))
    drawn = []
    for edge, text in labels.items():
        data = graph.edges[edge]
        look = LOOKS[data["outcome"]]
        forward = data["kind"] is Kind.FORWARD
        curves = routes[edge].curves
        vertices = [curves[0][0], *(point for curve in curves for point in curve[1:])]
        line = FancyArrowPatch(
            path=Path(vertices, [Path.MOVETO] + [Path.CURVE4] * (len(vertices) - 1)),
            arrowstyle="-|>", mutation_scale=14 if forward else 20, color=look.colour,
            linestyle=look.style, linewidth=look.width, zorder=1,
        )  # fmt: skip
        ax.add_patch(line)
        box = routes[edge].label
        if text is not None and box is not None:
            (x0, y0), (x1, y1) = boxes[edge]
            middle = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            text.set_position((middle[0] - (x0 + x1) / 2, middle[1] - (y0 + y1) / 2))
        drawn.append((edge, line, text))
    return tuple(drawn)


def _gaps(graph: Scene, hosts: dict[str, Host]) -> list[tuple[float, float]]:
    """The free stretch across the picture between each column of hosts and the next, past
    their markers and the names that stand above or below them."""
    reach: dict[int, tuple[float, float]] = {}
    for node, data in graph.nodes(data=True):
        host = hosts[node]
        low, high = host.box[0], host.box[2]
        if data["column"] == 1:  # named above or below, or beside: the name is in the way
            low, high = min(low, host.name[0]), max(high, host.name[2])
        old = reach.get(data["column"], (low, high))
        reach[data["column"]] = (min(old[0], low), max(old[1], high))
    columns = [reach[c] for c in sorted(reach)]
    return [(left[1], right[0]) for left, right in itertools.pairwise(columns)]


def _label(ax: Axes, graph: Scene, edge: EdgeKey) -> Text | None:
    """An edge's label, boxed in its outcome's colour, not yet in its place."""
    data = graph.edges[edge]
    if not data["label"]:
        return None
    forward = data["kind"] is Kind.FORWARD
    box = {"boxstyle": "round,pad=0.25", "fc": "white", "ec": LOOKS[data["outcome"]].colour,
           "lw": 1.2}  # fmt: skip
    return ax.text(
        0.0, 0.0, data["label"], ha="center", va="center", bbox=box, zorder=3,
        fontsize=EDGE_FONT - (1.5 if forward else 0), color="#555555" if forward else "black",
    )  # fmt: skip


def _size(box: Box) -> Point:
    (x0, y0), (x1, y1) = box
    return x1 - x0, y1 - y0


def _host(ax: Axes, graph: Scene, node: str, centre: Point, name: Text) -> Host:
    """A node as the routes see it: its marker's outline, and where its name lies."""
    marker = MarkerStyle(BADGES[graph.nodes[node]["role"]].marker)
    path = marker.get_path().transformed(marker.get_transform())
    outline = np.asarray(path.to_polygons()[0], dtype=float)[:-1]  # closed: the last is the first
    scale = math.sqrt(NODE_SIZE) + MARKER_LINE  # the marker's size, and its outline's width
    corners = tuple((float(x) * scale, float(y) * scale) for x, y in outline)
    x, y = centre
    xs, ys = [x + cx for cx, _ in corners], [y + cy for _, cy in corners]
    (n0, m0), (n1, m1) = _extent(ax, name)
    return Host(centre, corners, (min(xs), min(ys), max(xs), max(ys)), (n0, m0, n1, m1))


def _extent(ax: Axes, text: Text) -> Box:
    """Where a text lies with its box, in the axes' points."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        shown = patch.get_window_extent(renderer)
    else:
        shown = text.get_window_extent(renderer)
    (x0, y0), (x1, y1) = ax.transData.inverted().transform(shown.get_points())
    return (float(x0), float(y0)), (float(x1), float(y1))


def _legend(figure: Figure, graph: Scene) -> None:
    """Two rows under the picture: the roles, then the outcomes, those the picture shows."""
    roles = {d["role"] for _, d in graph.nodes(data=True)}
    outcomes = {d["outcome"] for _, _, d in graph.edges(data=True)}
    nodes = [
        Line2D([], [], marker=b.marker, markersize=16, markerfacecolor=b.fill,
               markeredgecolor="#333333", linestyle="None", label=b.legend)
        for role, b in BADGES.items() if role in roles
    ]  # fmt: skip
    lines = [
        Line2D([], [], color=look.colour, linestyle=look.style, label=look.legend,
               linewidth=look.width + (0 if outcome is Outcome.FORWARDS else 0.5))
        for outcome, look in LOOKS.items() if outcome in outcomes
    ]  # fmt: skip
    for handles, y in ((nodes, 0.09), (lines, 0.035)):
        figure.legend(
            handles=handles, loc="center", bbox_to_anchor=(0.5, y), ncols=len(handles),
            frameon=False, fontsize=LEGEND_FONT, handlelength=2.6, columnspacing=1.8,
        )  # fmt: skip
