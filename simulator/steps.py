"""Stage 5, teaching output: a connection as numbered events, every rule read field by field.

``render_steps`` turns a traced flow into the events a learner steps through: the packet leaving
its source, each checkpoint it meets, each rule read in order with a mark per field (protocol,
port, peer) saying why it matched or not, the decision, the connection-table entry a stateful
checkpoint opens, and the reply passing by state or read anew by a stateless ACL.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from tabulate import tabulate

from .evaluate import PeerMatch, Reading
from .model import Checkpoint, Decision, Direction, Leg, Protocol, Rule
from .report import describe, trace_heading
from .results import FlowResult, Hop, Path

YES, NO, SOME = "✓", "✗", "~"
_CODES = {"green": "32", "red": "31", "dim": "2", "bold": "1"}
_WHERE = {
    Checkpoint.SECURITY_GROUP: "security groups",
    Checkpoint.CLB_SECURITY_GROUP: "CLB security groups",
    Checkpoint.NETWORK_ACL: "network ACL",
    Checkpoint.LISTENER: "listener",
    Checkpoint.LOOPBACK: "loopback",
    Checkpoint.SERVICE: "service",
}


def use_color(choice: str, stream: TextIO) -> bool:
    """``always``, ``never``, or ``auto``: colour on a terminal unless ``NO_COLOR`` is set."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


class Paint:
    """ANSI colour, or none."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, *styles: str) -> str:
        if not self.on or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def mark(self, ok: bool) -> str:
        return self(YES, "green") if ok else self(NO, "red")

    def decision(self, decision: Decision) -> str:
        if decision is Decision.DROP:
            return self(str(decision), "red", "bold")
        return self(str(decision), "green", "bold")


def render_steps(result: FlowResult, *, color: bool = False) -> str:
    """Every path of one flow as numbered events, request then reply."""
    paint = Paint(color)
    lines = trace_heading(result)
    for number, path in enumerate(result.paths, 1):
        where = f"backend {path.backend}:{path.port}" if path.backend else "direct"
        lines += ["", paint(f"path {number} of {len(result.paths)} ({where})", "bold")]
        lines += path_steps(result.flow.source, path, paint)
    return "\n".join(lines) + "\n"


def path_steps(source: str, path: Path, paint: Paint) -> list[str]:
    """The numbered events of one path."""
    events: list[list[str]] = []
    packet = None
    leg = Leg.REQUEST
    for hop in path.hops:
        if packet is None:
            events.append([f"{source} sends {hop.packet}"])
        elif hop.leg is not leg:
            events.append([f"the reply goes back: {hop.packet}"])
        elif hop.packet != packet:
            events.append([f"the packet goes on as {hop.packet}"])
        packet, leg = hop.packet, hop.leg
        events.append(hop_event(hop, paint))
        if hop.tracked:
            events.append(
                [
                    f"{hop.node} enters the connection in its table: {hop.packet}; "
                    "its reply will pass by state (§1.6)"
                ]
            )
    verdict = paint.decision(Decision.DROP if path.blocked_at else Decision.ACCEPT)
    events.append(
        [f"outcome: {verdict} ({path.verdict}), decided by {describe(path.deciding_hop)}"]
    )
    lines = []
    width = len(str(len(events)))
    for step, event in enumerate(events, 1):
        head, *rest = event
        lines.append(f"{step:>{width}}. {head}")
        lines += [" " * (width + 2) + line if line else "" for line in rest]
    return lines


def hop_event(hop: Hop, paint: Paint) -> list[str]:
    """One checkpoint: its header, the rules it read, and what it decided."""
    where = f"{hop.node} {_WHERE[hop.checkpoint]}" + (f" {hop.direction}" if hop.direction else "")
    decision = paint.decision(hop.decision)
    if hop.leg is Leg.REPLY and hop.reason.startswith("established connection"):
        return [f"at {where}: the reply matches the connection table -> {decision}: {hop.reason}"]
    readings = hop.readings
    if not readings:
        return [f"at {where}: {decision}: {hop.reason}"]
    lists = list(dict.fromkeys(r.ref.group for r in readings))
    read = len(readings)
    head = (
        f"at {where} ({', '.join(lists)}): first match reads {read} rule{'s' * (read != 1)} "
        f"for {hop.fields}"
    )
    if hop.leg is Leg.REPLY:
        head += "; an ACL keeps no state, so it reads the reply anew (§1.6)"
    table = rule_table(readings, hop.direction, paint)
    after = f"-> {decision}: {hop.reason}"
    return [head, *table.splitlines(), after]


def rule_table(readings: Sequence[Reading], direction: Direction | None, paint: Paint) -> str:
    """The rules read, one row each, with a mark per field and what the row decided."""
    rows = []
    for reading in readings:
        rule = reading.ref.rule
        peer_ok = reading.peer is not PeerMatch.NONE
        peer_mark = paint(SOME, "green") if reading.peer is PeerMatch.PART else paint.mark(peer_ok)
        row = [
            f"{reading.ref.group} #{reading.ref.index}",
            rule.text,
            f"{paint.mark(reading.protocol)} {rule.protocol}",
            f"{paint.mark(reading.port)} {_ports(rule)}"
            if rule.protocol.has_ports or rule.protocol is Protocol.ALL
            else "-",
            f"{peer_mark} {_peers(rule)}",
            _outcome(reading, paint),
        ]
        if not reading.matched:
            row[:2] = [paint(cell, "dim") for cell in row[:2]]
        rows.append(row)
    peer = "source" if direction is not Direction.OUTBOUND else "destination"
    headers = ["rule", "as written", "protocol", "port", peer, "result"]
    return tabulate(rows, headers, tablefmt="simple", disable_numparse=True)


def _outcome(reading: Reading, paint: Paint) -> str:
    if not reading.matched:
        return "no match"
    action = paint.decision(Decision(str(reading.ref.rule.action)))
    if reading.peer is PeerMatch.PART:
        return f"{action} {', '.join(str(n) for n in reading.taken)}"
    return action


def _ports(rule: Rule) -> str:
    return ",".join(str(r) for r in rule.ports)


def _peers(rule: Rule) -> str:
    if not rule.peers:
        return "(no address)"
    return ", ".join(str(n) for n in rule.peers)
