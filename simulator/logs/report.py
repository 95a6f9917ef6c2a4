"""Flow logs, report: a replay's tally -> rows -> tables or one JSON document.

The table and the JSON are two renderings of the same rows. Both are deterministic: the same
scenario and logs give byte-identical output, however the logs were split to be read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from ..model import Decision, Scenario
from .allowances import SECTIONS
from .compiled import PROTOCOL_CODES
from .plan import Decider, Plan
from .records import LogError, LoggedAction
from .replay import Place, Tally

#: Row labels of the record counts, in the order they are shown.
STATUSES = (
    ("replayed", "replayed"),
    ("no_instance", "no instance of the scenario"),
    ("other_protocol", "other protocol (not replayed)"),
    ("nodata", "NODATA: no traffic in the window"),
    ("skipdata", "SKIPDATA: records lost in the window"),
    ("malformed", "malformed, skipped"),
)
ACTIONS = {int(LoggedAction.ACCEPT): "ACCEPT", int(LoggedAction.REJECT): "REJECT"}
PROTOCOLS = {code: str(protocol) for protocol, code in PROTOCOL_CODES.items()}


@dataclass(frozen=True, slots=True)
class Report:
    """A finished replay: the scenario, the logs, the plan and the tally, with ``where`` to
    turn a ``Place`` into ``FILE:LINE``-ready (log's index, line of the log)."""

    scenario: Scenario
    logs: tuple[str, ...]
    plan: Plan
    tally: Tally
    where: Callable[[Place], tuple[int, int]]

    @property
    def differences(self) -> int:
        return sum(
            n for (logged, simulated), n in self.tally.verdicts.items() if logged != simulated
        )

    @property
    def checked(self) -> bool:
        """Whether any record was replayed: an empty log checks nothing."""
        return self.counts()["replayed"] > 0

    @property
    def ok(self) -> bool:
        return self.checked and self.differences == 0

    def place(self, place: Place) -> str:
        log, line = self.where(place)
        return f"{self.logs[log]}:{line}"

    def counts(self) -> dict[str, int]:
        counts = {key: self.tally.statuses.get(key, 0) for key, _ in STATUSES}
        counts["malformed"] = self.tally.malformed
        counts["total"] = sum(counts.values())
        return counts

    def first_error(self) -> str | None:
        if self.tally.first_error is None:
            return None
        place, error = self.tally.first_error
        log, line = self.where(place)
        return str(LogError(error.message, file=self.logs[log], line=line, field=error.field))

    def rules(self) -> list[dict[str, Any]]:
        """Every rule, and every default or allowance that decided a record, with its hits."""
        hits = self.tally.hits
        rows = []
        for number, decider in enumerate(self.plan.deciders):
            n = int(hits[number]) if number < len(hits) else 0
            if decider.is_rule or n:
                rows.append({**_decider(decider), "hits": n})
        return rows

    def mismatches(self) -> list[dict[str, Any]]:
        """Each group of records whose verdict differs from the log, most records first."""
        groups = sorted(self.tally.mismatches.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        rows = []
        for (instance, decider, protocol, port, reply, logged, simulated), (n, place) in groups:
            rows.append(
                {
                    "logged": ACTIONS[logged],
                    "simulated": ACTIONS[simulated],
                    "records": n,
                    "instance": self.plan.instances[instance],
                    "leg": "reply" if reply else "request",
                    "protocol": PROTOCOLS.get(protocol, str(protocol)),
                    "port": port if port >= 0 else None,
                    "decided_by": _decider(self.plan.deciders[decider]),
                    "example": self.place(place),
                }
            )
        return rows

    def leftovers(self, groups: dict[Any, list[Any]], name: str) -> list[dict[str, Any]]:
        ordered = sorted(groups.items(), key=lambda kv: kv[1][1])
        return [{name: key, "records": n, "example": self.place(at)} for key, (n, at) in ordered]

    def verdicts(self) -> list[dict[str, Any]]:
        return [
            {
                "logged": ACTIONS[a],
                "simulated": ACTIONS[b],
                "records": self.tally.verdicts.get((a, b), 0),
            }
            for a in ACTIONS
            for b in ACTIONS
        ]


def _decider(decider: Decider) -> dict[str, Any]:
    return {
        "checkpoint": str(decider.checkpoint),
        "group": decider.group or None,
        "direction": str(decider.direction),
        "index": decider.index,
        "rule": decider.rule,
        "allowance": None if decider.allowance is None else str(decider.allowance),
        "instance": decider.instance,
        "reason": decider.reason,
        "text": str(decider),
    }


def render_json(report: Report) -> str:
    """The report as one JSON document, keys sorted."""
    simulated = dict.fromkeys(ACTIONS.values(), 0)
    for row in report.verdicts():
        simulated[row["simulated"]] += row["records"]
    document = {
        "scenario": report.scenario.file,
        "title": report.scenario.title,
        "logs": list(report.logs),
        "ok": report.ok,
        "records": report.counts(),
        "verdicts": simulated,
        "logged_vs_simulated": report.verdicts(),
        "rules": report.rules(),
        "differences": report.mismatches(),
        "no_instance": report.leftovers(report.tally.unowned, "interface"),
        "other_protocols": report.leftovers(report.tally.protocols, "protocol"),
        "first_malformed": report.first_error(),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_table(report: Report) -> str:
    """The report as tables, for people."""
    counts = report.counts()
    blocks = [
        f"== {report.scenario.file}: {report.scenario.title}"
        + "".join(f"\n   log: {log}" for log in report.logs),
        tabulate(
            [[label, counts[key]] for key, label in STATUSES if counts[key] or key == "replayed"]
            + [["total", counts["total"]]],
            ["records", "count"],
        ),
        tabulate(
            [[r["logged"], r["simulated"], r["records"]] for r in report.verdicts()],
            ["logged", "simulated", "records"],
        ),
        _rules_table(report.rules()),
    ]
    mismatches = report.mismatches()
    if mismatches:
        blocks.append(_mismatch_table(mismatches))
    if report.tally.unowned:
        rows = report.leftovers(report.tally.unowned, "interface")
        blocks.append(
            tabulate(
                [[r["interface"], r["records"], r["example"]] for r in rows],
                ["interface with no instance", "records", "example"],
            )
        )
    if report.tally.protocols:
        rows = report.leftovers(report.tally.protocols, "protocol")
        blocks.append(
            tabulate(
                [[r["protocol"], r["records"], r["example"]] for r in rows],
                ["other protocol", "records", "example"],
                colalign=("left", "right", "left"),
            )
        )
    error = report.first_error()
    if error is not None:
        blocks.append(f"first malformed line: {error}")
    blocks.append(_summary(report, mismatches))
    return "\n\n".join(blocks) + "\n"


def _rules_table(rules: Sequence[dict[str, Any]]) -> str:
    rows = [[r["group"] or "-", r["direction"], "-" if r["index"] is None else r["index"],
             _what(r), r["hits"], _note(r)] for r in rules]  # fmt: skip
    headers = ["group", "direction", "#", "rule", "hits", "note"]
    return tabulate(rows, headers, colalign=("left", "left", "right", "left", "right", "left"))


def _what(row: dict[str, Any]) -> str:
    """The rule column: the rule, or what decided without one."""
    if row["rule"] is not None:
        return str(row["rule"])
    if row["allowance"] is not None:
        section = SECTIONS[Decision(row["allowance"])]
        return f"{row['allowance'].lower()} ({section}): {row['instance']}"
    return "default DROP" if row["group"] else "not filtered (§1.7)"


def _note(row: dict[str, Any]) -> str:
    if row["index"] is not None:
        return "" if row["hits"] else "never hit"
    return str(row["reason"] or "")


def _mismatch_table(rows: Sequence[dict[str, Any]]) -> str:
    body = [
        [
            f"{r['logged']} -> {r['simulated']}",
            r["records"],
            r["instance"],
            r["leg"],
            r["protocol"],
            "-" if r["port"] is None else r["port"],
            r["decided_by"]["text"],
            r["example"],
        ]
        for r in rows
    ]
    headers = [
        "logged -> simulated",
        "records",
        "instance",
        "leg",
        "proto",
        "port",
        "decided by",
        "example",
    ]
    return tabulate(
        body, headers, colalign=("left", "right", "left", "left", "left", "right", "left", "left")
    )


def _summary(report: Report, mismatches: Sequence[dict[str, Any]]) -> str:
    counts = report.counts()
    broken = sum(r["records"] for r in mismatches if r["simulated"] == "REJECT")
    let_in = sum(r["records"] for r in mismatches if r["simulated"] == "ACCEPT")
    unused = sum(1 for r in report.rules() if r["index"] is not None and not r["hits"])
    verdict = (
        "every verdict agrees with the log: ok"
        if report.ok
        else "nothing was checked"
        if not report.checked
        else f"{broken + let_in} differ from the log ({broken} would be rejected, {let_in} let in)"
    )
    rules = sum(1 for d in report.plan.deciders if d.is_rule)
    return (
        f"{counts['replayed']} of {counts['total']} records replayed, {verdict}; "
        f"{unused} of {rules} rules never hit"
    )
