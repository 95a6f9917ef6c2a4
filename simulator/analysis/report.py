"""Lint findings -> a table per file, or one JSON document; both deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ..model import Direction
from .diff import Change, Diff, Kind, unfiltered
from .lint import Finding, Severity
from .reach import BackendReach, Piece
from .regions import Region
from .space import PORTS

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
    if piece.note:
        return f"{piece.where}: {piece.note}"
    if piece.rule is None:
        return f"{piece.where}: no rule matched, default DROP"
    ref = piece.rule
    return f"{piece.where}: {ref.group} #{ref.index}: {ref.rule.text}"


def _rows(pieces: Sequence[Piece]) -> list[list[str]]:
    """A row per range of a piece, each named host on the row whose range holds it."""
    rows = []
    for piece in pieces:
        for number, box in enumerate(piece.sources):
            inside = [
                h.name
                for h in piece.hosts
                if h.address.version == box.family and box.lo <= int(h.address) <= box.hi
            ]
            rows.append([
                box.addresses(),
                str(box.protocol),
                _decider(piece) if number == 0 else '"',
                ", ".join(inside),
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
        "note": piece.note or None,
        "hosts": list(piece.names),
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


def _side(change: Change, region: Region) -> str:
    ref = region.rule
    if ref is None:
        return "default DROP"
    if unfiltered(region):
        return "not filtered (no group bound)"
    if change.kind in (Kind.INSTANCE, Kind.LOAD_BALANCER):
        return f"{ref.group} #{ref.index} {ref.rule.text}"
    return f"#{ref.index} {ref.rule.text}"


def _towards(change: Change) -> str:
    return "from" if change.direction is Direction.INBOUND else "to"


def _example(change: Change) -> str:
    protocol, address, port = change.example.example()
    return f"{protocol} {_towards(change)} {address}" + (
        f" port {port}" if port is not None else ""
    )


def _packets(change: Change) -> str:
    """The first boxes, each peer range as CIDRs where they are few, else ``first - last``."""
    shown = []
    for box in change.boxes[:3]:
        ports = (
            "" if box.ports is None else f":{'ALL' if (box.plo, box.phi) == PORTS else box.ports}"
        )
        shown.append(f"{box.protocol}{ports} {_towards(change)} {box.addresses()}")
    more = len(change.space.boxes) - 3
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _absent(text: str | None) -> str:
    return "absent" if text is None else text


def render_diff_text(old: str, new: str, result: Diff) -> str:
    if result.equivalent and result.group is not None:
        return (
            f"{old} and {new} are equivalent for security group {result.group}: its rules decide "
            "every packet alike (--group compares that group's rules only)\n"
        )
    if result.equivalent:
        return f"{old} and {new} are equivalent: no packet, flow or health check changes\n"
    lines = [f"{old} -> {new}"]
    if result.changes:
        rows = [
            [
                c.where,
                _packets(c),
                f"{c.old.action} -> {c.new.action}",
                _side(c, c.old),
                _side(c, c.new),
                _example(c),
            ]
            for c in result.changes
        ]
        headers = ["where", "packets", "verdict", "old rule", "new rule", "try"]
        widths = [None, 40, None, 36, 36, 36]
        lines += ["", tabulate(rows, headers, tablefmt="simple", maxcolwidths=widths)]
    if result.outcomes:
        rows = [[o.kind, o.what, _absent(o.old), _absent(o.new)] for o in result.outcomes]
        table = tabulate(
            rows,
            ["changes", "what", "old", "new"],
            tablefmt="simple",
            maxcolwidths=[None, 60, 30, 30],
        )
        lines += ["", table]
    return "\n".join(lines) + "\n"


def _side_json(region: Region) -> dict[str, Any]:
    ref = None if unfiltered(region) else region.rule
    return {
        "action": str(region.action),
        "group": ref.group if ref else None,
        "index": ref.index if ref else None,
        "rule": ref.rule.text if ref else None,
    }


def render_diff_json(result: Diff) -> str:
    def outcomes(kind: str) -> list[dict[str, Any]]:
        return [
            {"what": o.what, "old": o.old, "new": o.new} for o in result.outcomes if o.kind == kind
        ]

    document = {
        "equivalent": result.equivalent,
        "group": result.group,
        "regions": [
            {
                "kind": str(c.kind),
                "where": c.where,
                "group": c.group if c.bound is None else None,
                "bound": {"old": list(c.bound[0]), "new": list(c.bound[1])} if c.bound else None,
                "direction": str(c.direction),
                "packets": [b.describe(_towards(c)) for b in c.boxes],
                "old": _side_json(c.old),
                "new": _side_json(c.new),
                "example": _example(c),
            }
            for c in result.changes
        ],
        "setup": outcomes("setup"),
        "flows": outcomes("flow"),
        "health_checks": outcomes("health_check"),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
