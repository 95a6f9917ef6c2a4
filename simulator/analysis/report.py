"""Lint findings -> a table per file, or one JSON document; both deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ..model import Action, Direction
from .diff import Change, Diff
from .lint import Finding, Severity
from .reach import BackendReach, Piece
from .regions import Region

HEADERS = ["severity", "kind", "where", "rule", "finding", "fix"]


def _where(finding: Finding) -> str:
    if finding.group is None:
        return "-"
    index = f" #{finding.index}" if finding.index is not None else ""
    direction = f" {finding.direction}" if finding.direction else ""
    kind = "network ACL " if finding.acl else ""
    on = f" on {finding.on}" if finding.on else ""
    return f"{kind}{finding.group}{direction}{index}{on}"


def render_findings_table(files: Sequence[tuple[str, Sequence[Finding]]]) -> str:
    blocks = []
    for file, findings in files:
        rows = [
            [str(f.severity), f.kind, _where(f), f.rule or "-", f.message, f.fix or "-"]
            for f in findings
        ]
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        body = (
            tabulate(rows, HEADERS, tablefmt="simple", maxcolwidths=[None, None, None, 30, 60, 40])
            if rows
            else "no findings"
        )
        count = f"{len(findings)} finding{'' if len(findings) == 1 else 's'}"
        blocks.append(f"== {file}\n\n{body}\n\n{count}, {errors} error{'' if errors == 1 else 's'}")
    return "\n\n".join(blocks) + "\n"


def finding_json(file: str, finding: Finding) -> dict[str, Any]:
    return {
        "file": file,
        "kind": finding.kind,
        "severity": str(finding.severity),
        "group": finding.group,
        "direction": str(finding.direction) if finding.direction else None,
        "index": finding.index,
        "rule": finding.rule,
        "message": finding.message,
        "fix": finding.fix,
        "on": finding.on,
        "acl": finding.acl,
    }


def render_findings_json(files: Sequence[tuple[str, Sequence[Finding]]]) -> str:
    document = {"findings": [finding_json(file, f) for file, findings in files for f in findings]}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _decider(piece: Piece) -> str:
    if piece.rule is None and piece.where.startswith(("loopback", "no filter")):
        return piece.where
    if piece.rule is None:
        return f"{piece.where}: " + (
            "no rule matched, default DROP" if piece.action is Action.DROP else "not filtered"
        )
    ref = piece.rule
    return f"{piece.where}: {ref.group} #{ref.index}: {ref.rule.text}"


def _rows(pieces: Sequence[Piece]) -> list[list[str]]:
    rows = []
    for piece in pieces:
        for number, box in enumerate(piece.sources):
            rows.append([
                box.addresses(),
                str(box.protocol),
                _decider(piece) if number == 0 else '"',
                ", ".join(piece.hosts) if number == 0 and piece.hosts else "",
            ])  # fmt: skip
    return rows


def render_reach_text(target: str, results: Sequence[BackendReach]) -> str:
    blocks = []
    headers = ["sources", "proto", "decided by", "named hosts inside"]
    for result in results:
        where = f"backend {result.backend}" if result.backend else "direct"
        allowed = (
            tabulate(_rows(result.allowed), headers, tablefmt="simple")
            if result.allowed
            else "nobody"
        )
        blocked = (
            tabulate(_rows(result.blocked), headers, tablefmt="simple")
            if result.blocked
            else "nobody"
        )
        blocks.append(
            f"{target} ({result.protocol}), {where}\n\nallowed:\n{allowed}\n\nblocked:\n{blocked}"
        )
    return "\n\n".join(blocks) + "\n"


def _piece_json(piece: Piece) -> dict[str, Any]:
    ref = piece.rule
    return {
        "sources": [str(n) for b in piece.sources for n in b.networks()],
        "protocols": sorted({str(b.protocol) for b in piece.sources}),
        "checkpoint": piece.where,
        "group": ref.group if ref else None,
        "index": ref.index if ref else None,
        "rule": ref.rule.text if ref else None,
        "hosts": list(piece.hosts),
    }


def render_reach_json(target: str, results: Sequence[BackendReach]) -> str:
    document = {
        "target": target,
        "backends": [
            {
                "backend": r.backend,
                "protocol": str(r.protocol),
                "allowed": [_piece_json(p) for p in r.allowed],
                "blocked": [_piece_json(p) for p in r.blocked],
            }
            for r in results
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _side(region: Region) -> str:
    ref = region.rule
    if ref is None:
        return "default DROP"
    return f"#{ref.index} {ref.rule.text}"


def _towards(change: Change) -> str:
    return "from" if change.direction is Direction.INBOUND else "to"


def _example(change: Change) -> str:
    protocol, address, port = change.example.example()
    who = "from" if change.direction is Direction.INBOUND else "to"
    return f"{protocol} {who} {address}" + (f" port {port}" if port is not None else "")


def render_diff_text(old: str, new: str, result: Diff) -> str:
    if result.equivalent:
        return f"{old} and {new} are equivalent: no packet, flow or health check changes\n"
    lines = [f"{old} -> {new}"]
    if result.changes:
        rows = [
            [
                f"{c.group} {c.direction}",
                "; ".join(b.describe(_towards(c)) for b in c.space.boxes[:3])
                + (f" (+{len(c.space.boxes) - 3} more)" if len(c.space.boxes) > 3 else ""),
                f"{c.old.action} -> {c.new.action}",
                _side(c.old),
                _side(c.new),
                _example(c),
            ]
            for c in result.changes
        ]
        headers = ["group", "packets", "verdict", "old rule", "new rule", "try"]
        lines += [
            "",
            tabulate(rows, headers, tablefmt="simple", maxcolwidths=[None, 50, None, 30, 30, 30]),
        ]
    if result.outcomes:
        rows = [[o.kind, o.what, o.old, o.new] for o in result.outcomes]
        lines += ["", tabulate(rows, ["changes", "what", "old", "new"], tablefmt="simple")]
    return "\n".join(lines) + "\n"


def render_diff_json(result: Diff) -> str:
    document = {
        "equivalent": result.equivalent,
        "regions": [
            {
                "group": c.group,
                "direction": str(c.direction),
                "packets": [b.describe(_towards(c)) for b in c.space],
                "old": {
                    "action": str(c.old.action),
                    "index": c.old.rule.index if c.old.rule else None,
                    "rule": c.old.rule.rule.text if c.old.rule else None,
                },
                "new": {
                    "action": str(c.new.action),
                    "index": c.new.rule.index if c.new.rule else None,
                    "rule": c.new.rule.rule.text if c.new.rule else None,
                },
                "example": _example(c),
            }
            for c in result.changes
        ],
        "flows": [
            {"what": o.what, "old": o.old, "new": o.new}
            for o in result.outcomes
            if o.kind == "flow"
        ],
        "health_checks": [
            {"what": o.what, "old": o.old, "new": o.new}
            for o in result.outcomes
            if o.kind == "health_check"
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
