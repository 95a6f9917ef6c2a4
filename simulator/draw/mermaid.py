"""Stage 5, pictures: a scene -> a Mermaid flowchart, which code hosts render in Markdown.

The text carries what the picture shows: a class per role for the nodes' shapes and fills, a
``linkStyle`` per edge for its colour and dashes by outcome, each edge labelled with the rule
that decided it. No Python library writes Mermaid, so the text is written here; ids are the
role and name in letters, digits and underscores, and labels use Mermaid's entity codes.
"""

from __future__ import annotations

import json
import re

from ..topology import Role
from .scene import BADGES, LOOKS, Kind, Scene

DASHES = {"solid": "0", "dashed": "8 4", "dotted": "2 3"}  # CSS stroke-dasharray

MERMAID_SHAPES = {  # Mermaid's nearest shape to each role's marker
    Role.CLIENT: ('(["', '"])'),
    Role.LOAD_BALANCER: ('{{"', '"}}'),
    Role.HEALTH_CHECKER: ('{"', '"}'),
    Role.INSTANCE: ('["', '"]'),
    Role.ADDRESS: ('[/"', '"\\]'),
}


def to_mermaid(graph: Scene) -> str:
    """A Mermaid flowchart of the scene: a class per role, a ``linkStyle`` per edge."""
    ids = _mermaid_ids(graph)
    lines = ["---", f"title: {json.dumps(str(graph.graph['title']), ensure_ascii=False)}", "---"]
    lines.append("flowchart LR")
    for role, badge in BADGES.items():
        lines.append(f"    classDef {role} fill:{badge.fill},stroke:#333333,color:#000000")
    for node, data in graph.nodes(data=True):
        opening, closing = MERMAID_SHAPES[data["role"]]
        lines.append(f"    {ids[node]}{opening}{_mermaid_text(data['label'])}{closing}")
    styles = []
    for number, (u, v, data) in enumerate(graph.edges(data=True)):
        look = LOOKS[data["outcome"]]
        arrow = "-->" if look.style == "solid" else "-.->"
        label = f'|"{_mermaid_text(data["label"])}"|' if data["label"] else ""
        lines.append(f"    {ids[u]} {arrow}{label} {ids[v]}")
        width = f"{look.width:g}px"
        dashes = DASHES[look.style]
        styles.append(
            f"    linkStyle {number} stroke:{look.colour},stroke-width:{width},"
            f"stroke-dasharray:{dashes}"
            + (",color:#555555" if data["kind"] is Kind.FORWARD else "")
        )
    lines += styles
    for role in BADGES:
        members = [ids[n] for n, d in graph.nodes(data=True) if d["role"] is role]
        if members:
            lines.append(f"    class {','.join(members)} {role}")
    return "\n".join(lines) + "\n"


def _mermaid_ids(graph: Scene) -> dict[str, str]:
    """A Mermaid id per node: its role and name in letters, digits and underscores, unique."""
    ids: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        name = data.get("load_balancer", node)
        base = f"{data['role']}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"
        candidate, count = base, 1
        while candidate in ids.values():
            count += 1
            candidate = f"{base}_{count}"
        ids[node] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    """Text for inside a quoted Mermaid label: entity codes for what the parser would read."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text.replace("\n", "<br/>")
