"""Stage 5, the HTML report: one self-contained page for a screen or a projector.

The page holds, per scenario, its notes, its picture (inline SVG), its flows and health checks,
the fixes for failing expectations, and every flow's step-by-step trace in a ``<details>``
element that opens on a click. It fetches nothing: the style is inline, there is no script, and
the pictures are part of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from .fixes import Repair
from .model import DEFAULT_SOURCE_PORT, Health, Verdict
from .report import (
    FLOW_HEADERS,
    HEALTH_HEADERS,
    flow_rows,
    health_rows,
    render_repairs,
    summary,
)
from .results import FlowResult, ScenarioResult
from .steps import Paint, path_steps, render_steps

STYLE = """
body { font: 18px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111;
       background: #fff; max-width: 1400px; margin: 0 auto; padding: 1.5em; }
h1 { font-size: 2em; margin-bottom: .2em; }
h2 { font-size: 1.5em; border-bottom: 3px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: .35em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.good { color: #0a5d1f; font-weight: 700; }
.bad { color: #a4000f; font-weight: 700; }
.mixed { color: #8a4b00; font-weight: 700; }
pre { font: 15px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; background: #f7f7f7;
      padding: .8em; overflow-x: auto; white-space: pre-wrap; }
.notes { white-space: pre-wrap; background: #fbfaf3; border-left: 4px solid #d8c96b;
         padding: .6em 1em; }
details { margin: .4em 0; } summary { cursor: pointer; font-weight: 600; }
.picture svg { max-width: 100%; height: auto; }
nav ol { columns: 2; }
@media print { details { page-break-inside: avoid; } }
"""

CLASSES = {
    str(Verdict.ALLOWED): "good",
    str(Verdict.DENIED): "bad",
    str(Verdict.PARTIAL): "mixed",
    str(Health.HEALTHY): "good",
    str(Health.UNHEALTHY): "bad",
    "PASS": "good",
    "FAIL": "bad",
}

Picture = Callable[[ScenarioResult], str]


def render_html(
    results: Sequence[ScenarioResult],
    *,
    fixes: Sequence[Sequence[Repair]],
    picture: Picture | None = None,
) -> str:
    """The whole report as one page; ``picture`` draws a scenario as SVG text."""
    failed = sum(1 for r in results if not r.ok)
    title = "sgsim report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        f"<p>{len(results)} scenario{'s' * (len(results) != 1)}, "
        f'<span class="{"bad" if failed else "good"}">{failed} with failing expectations'
        "</span></p>",
    ]
    if len(results) > 1:
        parts.append("<nav><ol>")
        parts += [
            f'<li><a href="#s{n}">{escape(r.scenario.title)}</a></li>'
            for n, r in enumerate(results, 1)
        ]
        parts.append("</ol></nav>")
    for number, (result, repairs) in enumerate(zip(results, fixes, strict=True), 1):
        parts += _scenario(number, result, repairs, picture)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _scenario(
    number: int, result: ScenarioResult, repairs: Sequence[Repair], picture: Picture | None
) -> list[str]:
    scenario = result.scenario
    parts = [
        f'<section id="s{number}">',
        f"<h2>{escape(scenario.title)}</h2>",
        f"<p><code>{escape(scenario.file)}</code></p>",
    ]
    if scenario.notes:
        parts.append(f'<div class="notes">{escape(scenario.notes.rstrip())}</div>')
    if picture is not None:
        parts.append(f'<div class="picture">{_inline(picture(result))}</div>')
    if result.flows:
        parts += ["<h3>Flows</h3>", _table(FLOW_HEADERS, flow_rows(result.flows))]
    if result.health_checks:
        parts += [
            "<h3>Health checks</h3>",
            _table(HEALTH_HEADERS, health_rows(result.health_checks)),
        ]
    if result.warnings:
        parts += ["<h3>Warnings</h3>", "<ul>"]
        parts += [f"<li>{escape(str(w))}</li>" for w in result.warnings]
        parts.append("</ul>")
    if repairs:
        parts += ["<h3>Fixes</h3>", f"<pre>{escape(render_repairs(repairs))}</pre>"]
    if result.flows:
        parts.append("<h3>Every flow, step by step</h3>")
        for flow in result.flows:
            head = flow_heading(flow)
            verdict = str(flow.verdict)
            parts += [
                "<details>",
                f"<summary>{escape(head)}: "
                f'<span class="{CLASSES[verdict]}">{escape(verdict)}</span></summary>',
                f"<pre>{escape(render_steps(flow))}</pre>",
                "</details>",
            ]
    if result.health_checks:
        parts.append("<h3>Every health check, step by step</h3>")
        for check in result.health_checks:
            head = f"{check.load_balancer}:{check.listener.key} -> {check.backend}"
            status = str(check.status)
            steps = "\n".join(path_steps(check.source, check.path, Paint(False)))
            parts += [
                "<details>",
                f"<summary>{escape(head)}: "
                f'<span class="{CLASSES[status]}">{escape(status)}</span></summary>',
                f"<pre>{escape(steps)}</pre>",
                "</details>",
            ]
    parts += [f"<p><strong>{escape(summary(result))}</strong></p>", "</section>"]
    return parts


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{CLASSES[c]}">{escape(c)}</td>'
            if c in CLASSES
            else f"<td>{escape(c)}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _inline(svg: str) -> str:
    """SVG text as an element of the page: without its XML declaration and doctype."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def flow_heading(result: FlowResult) -> str:
    """A flow as its summary line says it: its name, and its source port where it chose one."""
    flow = result.flow
    port = flow.src_port != DEFAULT_SOURCE_PORT and result.protocol.has_ports
    source = f"{flow.source}:{flow.src_port}" if port else flow.source
    route = f"{source} -> {flow.written_to} ({result.protocol})"
    return f"{flow.name}: {route}" if flow.name else route
