"""Stage 5, pictures: a scene -> Graphviz DOT text, through networkx's pydot bridge.

The text carries what the picture shows: the nodes with their names, shapes and fills by role,
the edges with their labels, colours and line styles by outcome; ``rank=same`` groups keep the
columns. pydot writes DOT without Graphviz installed; ``dot -Tsvg`` draws it where it is.
"""

from __future__ import annotations

import networkx as nx
import pydot
from networkx.drawing.nx_pydot import to_pydot

from .scene import BADGES, LOOKS, Scene


def to_dot(graph: Scene) -> str:
    """DOT text of the scene, left to right, one ``rank=same`` group per column."""
    dot: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    dot.graph["graph"] = {
        "rankdir": "LR", "label": _dot_text(str(graph.graph["title"])), "labelloc": "t",
        "fontsize": "20", "nodesep": "0.5", "ranksep": "1.6",
    }  # fmt: skip
    dot.graph["node"] = {"fontsize": "14", "style": "filled", "color": "#333333"}
    dot.graph["edge"] = {"fontsize": "12"}
    for node, data in graph.nodes(data=True):
        badge = BADGES[data["role"]]
        dot.add_node(node, label=_dot_text(data["label"]), shape=badge.shape, fillcolor=badge.fill)
    for u, v, key, data in graph.edges(keys=True, data=True):
        look = LOOKS[data["outcome"]]
        dot.add_edge(
            u, v, key=key, label=_dot_text(data["label"]), color=look.colour, style=look.style,
            penwidth=str(look.width), tooltip=_dot_text(data["name"]),
        )  # fmt: skip
    document = to_pydot(dot)
    for column in range(3):
        rank = pydot.Subgraph(rank="same")
        for node, data in graph.nodes(data=True):
            if data["column"] == column:
                rank.add_node(pydot.Node(node))
        if rank.get_nodes():
            document.add_subgraph(rank)
    return str(document.to_string())


def _dot_text(text: str) -> str:
    """A DOT string's content: backslashes doubled, new lines as ``\\n`` (pydot quotes it)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")
