"""Stage 5, reports: simulation results -> rows -> a table, JSON, or a trace.

The table and the JSON are two renderings of the same results; both are deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from .evaluate import Reading
from .fixes import Repair
from .model import Checkpoint, Decision, Health
from .results import FlowResult, HealthResult, Hop, Path, ScenarioResult

MARKS = {True: "PASS", False: "FAIL", None: "-"}
DISABLED = "checks disabled: every backend counts as healthy (§3.7)"


def describe(hop: Hop | None) -> str:
    """The deciding hop in one line, e.g. ``sg-web inbound #3: 0.0.0.0/0 + 8080 drop``."""
    if hop is None:
        return "-"
    if hop.decision in (Decision.ACCEPT, Decision.DROP) and hop.checkpoint in (
        Checkpoint.SECURITY_GROUP, Checkpoint.CLB_SECURITY_GROUP, Checkpoint.NETWORK_ACL,
    ):  # fmt: skip
        where = f"{hop.group} {hop.direction}"
        if hop.partly:
            what = f"#{hop.index}: {hop.rule}" if hop.index is not None else "default DROP"
            return f"{where}: {hop.short}; the rest: {what}"
        if hop.index is not None:
            return f"{where} #{hop.index}: {hop.rule}"
        return f"{where}: no rule matched, default DROP"
    return f"{hop.node}: {hop.short or hop.reason}"


def flow_decided_by(result: FlowResult) -> str:
    """The deciding rule of every path, said once where all paths agree."""
    texts = [describe(p.deciding_hop) for p in result.paths]
    if len(set(texts)) <= 1:
        return texts[0] if texts else "-"
    names = [p.backend for p in result.paths]
    labels = [
        f"{p.backend}:{p.port}" if names.count(p.backend) > 1 else p.backend for p in result.paths
    ]
    return "; ".join(
        t if t.startswith(f"{p.backend}: ") else f"{label}: {t}"
        for p, label, t in zip(result.paths, labels, texts, strict=True)
    )


def health_decided_by(result: HealthResult) -> str:
    """The deciding rule of a health check, and a UDP probe that was dropped unseen."""
    if not result.enabled:
        return DISABLED
    text = describe(result.path.deciding_hop)
    if result.silent_drop is not None:
        text += (
            f"; the UDP probe went unanswered ({describe(result.silent_drop)}), which fails nothing"
        )
    return text


def flow_rows(results: Sequence[FlowResult]) -> list[list[str]]:
    return [
        [
            r.flow.name or "",
            r.flow.source,
            r.flow.written_to,
            str(r.protocol),
            str(r.verdict),
            str(r.flow.expect or "-"),
            MARKS[r.ok],
            flow_decided_by(r),
        ]
        for r in results
    ]


def health_rows(results: Sequence[HealthResult]) -> list[list[str]]:
    return [
        [
            f"{h.load_balancer}:{h.listener.key}",
            str(h.backend),
            str(h.port),
            h.source,
            str(h.status),
            str(h.expected or "-"),
            MARKS[h.ok],
            health_decided_by(h),
        ]
        for h in results
    ]


FLOW_HEADERS = ["flow", "from", "to", "proto", "verdict", "expected", "check", "decided by"]
HEALTH_HEADERS = [
    "listener",
    "backend",
    "probe port",
    "source",
    "status",
    "expected",
    "check",
    "decided by",
]


def count(number: int, noun: str) -> str:
    """``1 flow``, ``2 flows``."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def summary(result: ScenarioResult) -> str:
    oks = [f.ok for f in result.flows] + [h.ok for h in result.health_checks]
    checked = [ok for ok in oks if ok is not None]
    failed = checked.count(False)
    healthy = sum(1 for h in result.health_checks if h.status is Health.HEALTHY)
    verdict = (
        "ok" if failed == 0 else f"FAILED: {failed} of {len(checked)} expectations do not hold"
    )
    return (
        f"{count(len(result.flows), 'flow')}, {healthy}/{len(result.health_checks)} health checks healthy, "
        f"{len(checked) - failed}/{len(checked)} expectations hold: {verdict}"
    )


def render_repairs(repairs: Sequence[Repair]) -> str:
    """Each failing expectation with its fix, what the fix gives, and what else it changes."""
    lines = ["fixes (each checked by simulating the whole scenario again with it applied):"]
    for repair in repairs:
        lines.append(f"- {repair.what}: expected {repair.expected}, got {repair.actual}")
        if not repair.fixed:
            lines.append(f"    no fix: {repair.reason}")
            continue
        for number, edit in enumerate(repair.edits, 1):
            step = f" {number} of {len(repair.edits)}" if len(repair.edits) > 1 else ""
            lines.append(f"    fix{step}: {edit}")
        lines.append(
            f"    then: {repair.expected}; {repair.packets} packet verdict(s) change "
            "(counted on each instance or CLB bound to the list changed)"
        )
        if not repair.side_effects:
            lines.append("    nothing else changes")
        for effect in repair.side_effects:
            note = ""
            if effect.breaks:
                note = f" (breaks its expectation: {effect.expected})"
            elif effect.expected == effect.new:
                note = " (now meets its expectation)"
            lines.append(f"    also: {effect.what}: {effect.old} -> {effect.new}{note}")
    return "\n".join(lines)


def repair_json(repair: Repair) -> dict[str, Any]:
    return {
        "what": repair.what,
        "expected": repair.expected,
        "actual": repair.actual,
        "fix": [str(e) for e in repair.edits],
        "packets": repair.packets if repair.fixed else None,
        "also": [
            {"what": e.what, "old": e.old, "new": e.new, "breaks_expectation": e.breaks}
            for e in repair.side_effects
        ],
        "reason": repair.reason,
    }


def render_table(
    results: Sequence[ScenarioResult],
    *,
    notes: bool = False,
    fixes: Sequence[Sequence[Repair]] | None = None,
) -> str:
    """Per scenario: its flows, its health checks, its warnings, the fixes for any failing
    expectation, and a summary line."""
    blocks = []
    for number, result in enumerate(results):
        lines = [f"== {result.scenario.file}: {result.scenario.title}"]
        if notes and result.scenario.notes:
            lines += ["", result.scenario.notes.rstrip()]
        if result.flows:
            lines += ["", tabulate(flow_rows(result.flows), FLOW_HEADERS, tablefmt="simple")]
        if result.health_checks:
            lines += [
                "",
                tabulate(health_rows(result.health_checks), HEALTH_HEADERS, tablefmt="simple"),
            ]
        if result.warnings:
            lines += ["", *(str(w) for w in result.warnings)]
        if fixes and fixes[number]:
            lines += ["", render_repairs(fixes[number])]
        lines += ["", summary(result)]
        blocks.append("\n".join(lines))
    if len(results) > 1:
        failed = sum(1 for r in results if not r.ok)
        blocks.append(f"{len(results)} scenarios, {failed} with failing expectations")
    return "\n\n".join(blocks) + "\n"


# -- JSON ------------------------------------------------------------------------------
def hop_json(hop: Hop) -> dict[str, Any]:
    return {
        "node": hop.node,
        "checkpoint": str(hop.checkpoint),
        "direction": str(hop.direction) if hop.direction else None,
        "group": hop.group,
        "index": hop.index,
        "decision": str(hop.decision),
        "rule": hop.rule,
        "reason": hop.reason,
        "leg": str(hop.leg),
        "packet": hop.packet,
        "partly": hop.partly,
    }


def path_json(path: Path) -> dict[str, Any]:
    blocked = path.blocked_at
    return {
        "backend": path.backend,
        "backend_port": path.port,
        "verdict": str(path.verdict),
        "blocked_at": hop_json(blocked) if blocked else None,
        "decided_by": describe(path.deciding_hop),
        "hops": [hop_json(h) for h in path.hops],
    }


def flow_json(result: FlowResult) -> dict[str, Any]:
    flow = result.flow
    return {
        "name": flow.name,
        "from": flow.source,
        "to": flow.written_to,
        "protocol": str(result.protocol),
        "src_port": flow.src_port if result.protocol.has_ports else None,
        "verdict": str(result.verdict),
        "expected": str(flow.expect) if flow.expect else None,
        "ok": result.ok,
        "decided_by": flow_decided_by(result),
        "unhealthy_backends": list(result.unhealthy),
        "all_backends_unhealthy": result.all_unhealthy,
        "paths": [path_json(p) for p in result.paths],
    }


def health_json(result: HealthResult) -> dict[str, Any]:
    blocked = result.blocked_at
    return {
        "listener": f"{result.load_balancer}:{result.listener.key}",
        "backend": result.backend.instance,
        "backend_port": result.backend.port,
        "port": result.port,
        "source": result.source,
        "enabled": result.enabled,
        "status": str(result.status),
        "expected": str(result.expected) if result.expected else None,
        "ok": result.ok,
        "blocked_at": hop_json(blocked) if blocked else None,
        "decided_by": health_decided_by(result),
        "silent_drop": hop_json(result.silent_drop) if result.silent_drop else None,
        "hops": [hop_json(h) for h in result.hops],
    }


def report_json(result: ScenarioResult, fixes: Sequence[Repair] | None = None) -> dict[str, Any]:
    document = {
        "file": result.scenario.file,
        "title": result.scenario.title,
        "ok": result.ok,
        "flows": [flow_json(f) for f in result.flows],
        "health_checks": [health_json(h) for h in result.health_checks],
        "warnings": [
            {"line": w.line, "field": w.field, "message": w.message} for w in result.warnings
        ],
    }
    if fixes is not None:
        document["fixes"] = [repair_json(r) for r in fixes]
    return document


def render_json(
    results: Sequence[ScenarioResult], *, fixes: Sequence[Sequence[Repair]] | None = None
) -> str:
    """The contract's report: ``{"ok": bool, "scenarios": [REPORT, ...]}``; with ``fixes``,
    each report also holds the fixes for its failing expectations."""
    reports = [
        report_json(r, fixes[n] if fixes is not None else None) for n, r in enumerate(results)
    ]
    return _dump({"ok": all(r.ok for r in results), "scenarios": reports})


def render_flow_json(result: FlowResult, *, steps: bool = False, fix: Repair | None = None) -> str:
    """One traced flow, in the shape of a flow of the report; with ``steps``, each hop also
    holds the rules it read and whether it opened a connection; with ``fix``, its repair."""
    document = flow_json(result)
    if fix is not None:
        document["fix"] = repair_json(fix)
    if steps:
        for path, shown in zip(result.paths, document["paths"], strict=True):
            for hop, entry in zip(path.hops, shown["hops"], strict=True):
                entry["tracked"] = hop.tracked
                entry["readings"] = [reading_json(r) for r in hop.readings]
    return _dump(document)


def reading_json(reading: Reading) -> dict[str, Any]:
    """One rule read, field by field (§1.3)."""
    return {
        "group": reading.ref.group,
        "index": reading.ref.index,
        "rule": reading.ref.rule.text,
        "protocol": reading.protocol,
        "port": reading.port,
        "peer": str(reading.peer),
        "matched": reading.matched,
        "taken": [str(n) for n in reading.taken],
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- traces ----------------------------------------------------------------------------
def trace_heading(result: FlowResult) -> list[str]:
    """A traced flow's first lines: who to what, the verdict, and backends not picked."""
    flow = result.flow
    lines = [f"{flow.source} -> {flow.written_to} ({result.protocol}): {result.verdict}"]
    if result.all_unhealthy:
        lines.append(
            "every backend fails its health check, so the CLB forwards to all of them (§3.8)"
        )
    elif result.unhealthy:
        lines.append("not picked, failing health checks: " + ", ".join(result.unhealthy))
    return lines


def render_trace(result: FlowResult) -> str:
    """Every path of one flow, hop by hop, request then reply."""
    lines = trace_heading(result)
    for number, path in enumerate(result.paths, 1):
        where = f"backend {path.backend}" if path.backend else "direct"
        lines += ["", f"path {number} of {len(result.paths)} ({where}): {path.verdict}"]
        lines.append(render_hops(path.hops))
        lines.append(f"decided by: {describe(path.deciding_hop)}")
    return "\n".join(lines) + "\n"


def render_hops(hops: Sequence[Hop]) -> str:
    rows = [
        [
            step,
            str(h.leg),
            h.packet,
            f"{h.node} {h.checkpoint}" + (f" {h.direction}" if h.direction else ""),
            str(h.decision),
            (f"{h.group} #{h.index}: {h.rule} - " if h.index is not None else "") + h.reason,
        ]
        for step, h in enumerate(hops, 1)
    ]
    return tabulate(
        rows, ["#", "leg", "packet", "checkpoint", "decision", "why"], tablefmt="simple"
    )
