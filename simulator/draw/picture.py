"""Stage 5, pictures: a scene -> an SVG or PNG picture, drawn by networkx with matplotlib.

The figure is drawn off screen (matplotlib's Agg canvas, never a window) with the DejaVu Sans
font matplotlib ships, so every machine draws the same picture, byte for byte. Each edge gets
its own arc (``layout.bends``); its label goes where it meets no other label and no node.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

import matplotlib as mpl
import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..topology import Role
from .layout import (
    EDGE_FONT,
    FRAME,
    GAP,
    HEIGHT,
    LINE,
    NODE_FONT,
    RADIUS,
    WIDTH,
    EdgeKey,
    Point,
    bends,
    frame,
    layout,
    names_beside,
)
from .scene import BADGES, LOOKS, Kind, Outcome, Scene

Box = tuple[Point, Point]  # lower left, upper right, in points

DPI = 120  # a PNG of 1920 x 1080 pixels
NODE_SIZE = 1400  # a marker's area in points squared, about RADIUS across
TITLE_FONT, LEGEND_FONT = 22, 14
NODE_WEIGHT = 10  # a label over a node or its name is worse than over another label
LABEL_PLACES = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88)  # 0: the head


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


def figure(graph: Scene) -> Figure:
    """The scene drawn on a figure of its own, off screen: title, nodes, edges, legend."""
    drawing = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(drawing)  # matplotlib's Agg canvas: never a window
    title = textwrap.fill(str(graph.graph["title"]), 90)
    drawing.suptitle(title, fontsize=TITLE_FONT, y=0.965, va="top")
    ax = drawing.add_axes(FRAME)
    width, height = frame()
    ax.set_xlim(0, width)  # so that the axes measure points
    ax.set_ylim(0, height)
    ax.set_axis_off()
    pos = layout(graph)
    _nodes(ax, graph, pos)
    _edges(ax, graph, pos)
    _legend(drawing, graph)
    return drawing


def _nodes(ax: Axes, graph: Scene, pos: dict[str, Point]) -> None:
    """A marker per node, shaped and filled by role, and its name beside, above or below."""
    for role, badge in BADGES.items():
        nodes = [n for n, d in graph.nodes(data=True) if d["role"] is role]
        if nodes:
            nx.draw_networkx_nodes(
                graph, pos, nodelist=nodes, node_shape=badge.marker, node_color=badge.fill,
                node_size=NODE_SIZE, edgecolors="#333333", linewidths=1.5, ax=ax,
            )  # fmt: skip
    beside = names_beside(graph)
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
        ax.text(tx, ty, data["label"], ha=ha, va=va, fontsize=NODE_FONT, linespacing=LINE)


def _edges(ax: Axes, graph: Scene, pos: dict[str, Point]) -> None:
    """Every edge on its arc, coloured and dashed by outcome, then the labels."""
    rads = bends(graph, pos)
    for edge, rad in rads.items():
        look = LOOKS[graph.edges[edge]["outcome"]]
        forward = graph.edges[edge]["kind"] is Kind.FORWARD
        nx.draw_networkx_edges(
            graph, pos, edgelist=[edge], edge_color=look.colour, style=look.style,
            width=look.width, arrowstyle="-|>", arrowsize=14 if forward else 20,
            min_target_margin=4, node_size=NODE_SIZE, connectionstyle=_arc(rad), ax=ax,
        )  # fmt: skip
    _labels(ax, graph, pos, rads)


def _arc(rad: float) -> str:
    return f"arc3,rad={rad:.4f}"


def _labels(ax: Axes, graph: Scene, pos: dict[str, Point], rads: dict[EdgeKey, float]) -> None:
    """Each edge's label on its arc where it meets no other label and no node: the middle of
    the arc if free, else the free place nearest to it. A second sweep moves the labels that
    the first left on others, now that all are placed."""
    fixed = [_extent(ax, t) for t in ax.texts] + [
        ((x - RADIUS, y - RADIUS), (x + RADIUS, y + RADIUS)) for x, y in pos.values()
    ]
    placed: dict[EdgeKey, tuple[Text, Box]] = {}
    for sweep in range(2):
        for edge, rad in rads.items():
            if not graph.edges[edge]["label"]:
                continue
            others = [box for e, (_, box) in placed.items() if e != edge]
            if edge in placed:
                if sweep and _clash(placed[edge][1], others, fixed) == 0:
                    continue
                placed.pop(edge)[0].remove()
            placed[edge] = _place(ax, graph, pos, edge, rad, (others, fixed))
    for text, _ in placed.values():
        text.set_zorder(3)  # above every edge


def _place(
    ax: Axes,
    graph: Scene,
    pos: dict[str, Point],
    edge: EdgeKey,
    rad: float,
    taken: tuple[list[Box], list[Box]],
) -> tuple[Text, Box]:
    """The label of one edge at its best place along its arc."""
    data = graph.edges[edge]
    look = LOOKS[data["outcome"]]
    forward = data["kind"] is Kind.FORWARD
    box = {"boxstyle": "round,pad=0.25", "fc": "white", "ec": look.colour, "lw": 1.2}
    best: tuple[float, Text, Box] | None = None
    for place in LABEL_PLACES:
        texts: dict[Any, Text] = nx.draw_networkx_edge_labels(
            graph, pos, edge_labels={edge: data["label"]}, rotate=False, bbox=box,
            font_size=EDGE_FONT - (1.5 if forward else 0), label_pos=place,
            font_color="#555555" if forward else "black", node_size=NODE_SIZE,
            connectionstyle=_arc(rad), ax=ax,
        )  # fmt: skip
        (text,) = texts.values()
        extent = _extent(ax, text)
        clash = _clash(extent, *taken)
        if best is None or clash < best[0]:
            if best is not None:
                best[1].remove()
            best = (clash, text, extent)
        else:
            text.remove()
        if clash == 0:
            break
    assert best is not None  # LABEL_PLACES is not empty
    return best[1], best[2]


def _extent(ax: Axes, text: Text) -> Box:
    """Where a text lies with its box, in the axes' points."""
    shown = text.get_window_extent(ax.figure.canvas.get_renderer())  # type: ignore[attr-defined]
    (x0, y0), (x1, y1) = ax.transData.inverted().transform(shown.get_points())
    pad = 0.25 * float(text.get_fontsize()) if text.get_bbox_patch() else 0.0  # its box
    return (float(x0) - pad, float(y0) - pad), (float(x1) + pad, float(y1) + pad)


def _clash(extent: Box, labels: list[Box], fixed: list[Box]) -> float:
    """How badly a label at ``extent`` covers other labels, and nodes and their names."""
    return sum(_overlap(extent, other) for other in labels) + NODE_WEIGHT * sum(
        _overlap(extent, other) for other in fixed
    )


def _overlap(a: Box, b: Box) -> float:
    """The area two boxes share, counting a little air around each."""
    air = 3.0
    width = min(a[1][0], b[1][0]) - max(a[0][0], b[0][0]) + air
    height = min(a[1][1], b[1][1]) - max(a[0][1], b[0][1]) + air
    return max(width, 0.0) * max(height, 0.0)


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
