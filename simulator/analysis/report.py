"""Lint findings -> a table per file, or one JSON document; both deterministic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from .lint import Finding, Severity

HEADERS = ["severity", "kind", "where", "rule", "finding", "fix"]


def _where(finding: Finding) -> str:
    if finding.group is None:
        return "-"
    index = f" #{finding.index}" if finding.index is not None else ""
    direction = f" {finding.direction}" if finding.direction else ""
    return f"{finding.group}{direction}{index}"


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
        blocks.append(f"== {file}\n\n{body}\n\n{len(findings)} findings, {errors} errors")
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
    }


def render_findings_json(files: Sequence[tuple[str, Sequence[Finding]]]) -> str:
    document = {"findings": [finding_json(file, f) for file, findings in files for f in findings]}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
