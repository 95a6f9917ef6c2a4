"""Stage 5, pictures: a simulated scenario drawn as SVG, PNG, Graphviz DOT or Mermaid.

Every format shows the same scene (``scene.py``): clients, each CLB's VIP with its health
checker, backends; every flow and health check as an edge coloured and dashed by outcome and
labelled with the rule that decided it. The same result always gives the same bytes.

matplotlib and pydot load only when a picture or DOT text is asked for, so that importing the
command line stays fast; each renderer below is a function of the result alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError
from ..results import ScenarioResult
from .mermaid import to_mermaid
from .scene import scene


def render_svg(result: ScenarioResult) -> str:
    """The picture as SVG text, to write to a file or to put inside an HTML page."""
    from .picture import render  # noqa: PLC0415 (loads matplotlib: only when drawing)

    return render(scene(result), "svg").decode("utf-8")


def render_png(result: ScenarioResult) -> bytes:
    """The picture as a PNG of 1920 x 1080 pixels."""
    from .picture import render  # noqa: PLC0415 (loads matplotlib: only when drawing)

    return render(scene(result), "png")


def render_dot(result: ScenarioResult) -> str:
    """The scene as Graphviz DOT text, for ``dot -Tsvg`` or any Graphviz viewer."""
    from .dot import to_dot  # noqa: PLC0415 (loads pydot: only when asked)

    return to_dot(scene(result))


def render_mermaid(result: ScenarioResult) -> str:
    """The scene as a Mermaid flowchart, which code hosts render inside Markdown."""
    return to_mermaid(scene(result))


#: Each format's renderer, by the extension that asks for it.
RENDERERS: dict[str, Callable[[ScenarioResult], str | bytes]] = {
    ".svg": render_svg,
    ".png": render_png,
    ".dot": render_dot,
    ".mmd": render_mermaid,
}
FORMATS = tuple(RENDERERS)


def draw(result: ScenarioResult, path: str | Path) -> None:
    """Write the scene to ``path`` in the format its extension names (any letter case)."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in FORMATS:
        raise UsageError(
            f"{path}: unknown picture format '{path.suffix or '(none)'}'; "
            f"use one of {', '.join(FORMATS)}"
        )
    content = RENDERERS[kind](result)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None


__all__ = [
    "FORMATS",
    "RENDERERS",
    "draw",
    "render_dot",
    "render_mermaid",
    "render_png",
    "render_svg",
]
