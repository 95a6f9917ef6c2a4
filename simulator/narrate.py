"""Stage 5, teaching output: what classroom mode says of a flow or a health check.

Sentences a teacher would say, built from simulation results: who connects to what, what the
outcome is, and the checkpoint and rule that decided it; and a scenario's notes, rewrapped.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from .model import (
    DEFAULT_SOURCE_PORT,
    Checkpoint,
    Decision,
    Leg,
    Protocol,
    Scenario,
    TargetKind,
    Verdict,
)
from .report import describe
from .results import FlowResult, HealthResult, Hop, Path, ScenarioResult

_RULES = (Checkpoint.SECURITY_GROUP, Checkpoint.CLB_SECURITY_GROUP, Checkpoint.NETWORK_ACL)
_SECTION = re.compile(r" \(§[\d.]+\)")
_ITEM = re.compile(r"\s*(?:[-*]|\d{1,2}[.)])\s+")  # "- ", "* ", "1. ", "2) "
_MIXED = {
    Verdict.PARTIAL: "it depends on the backend the CLB picks",
    Verdict.ALLOWED: "every backend the CLB may pick lets it in, each by its own rule",
    Verdict.DENIED: "every backend the CLB may pick stops it, each in its own way",
}


def connects(scenario: Scenario, result: FlowResult) -> str:
    """Who connects to what, before the outcome: ``ClientA, a client at ..., connects ...``."""
    flow, target = result.flow, result.flow.target
    kind = "a client" if any(c.name == flow.source for c in scenario.clients) else "an instance"
    where = "to " + (f"port {target.port} of " if target.port is not None else "")
    if target.kind is TargetKind.LOAD_BALANCER:
        vip = scenario.load_balancer(target.name).vip
        where += f"the load balancer {target.name} (VIP {vip})"
    elif target.kind is TargetKind.INSTANCE:
        where = f"straight {where}the instance {target.name} ({scenario.instance(target.name).ip})"
    else:
        where += f"the address {target.address or target.name}"
    port = flow.src_port != DEFAULT_SOURCE_PORT and result.protocol.has_ports
    origin = f" from source port {flow.src_port}" if port else ""
    source = f"{flow.source}, {kind} at {scenario.host_address(flow.source)},"
    return f"{source} connects over {result.protocol}{origin} {where}."


def probes(result: HealthResult) -> str:
    """What a health check sends, before the outcome."""
    listener = f"{result.load_balancer}'s {result.listener.key} listener"
    if not result.enabled:
        return f"{listener} has its health checks disabled."
    address = result.source[:1].isdigit() or ":" in result.source  # else "physical host"
    source = result.source if address else f"the {result.source}"
    protocol = result.listener.health_check.protocol
    what = "a ping and UDP probes" if protocol.transport is Protocol.UDP else f"{protocol} probes"
    return (
        f"{listener} sends {what} from {source} to {result.backend.instance} on port {result.port}."
    )


def explain_flow(result: FlowResult) -> tuple[str, list[str]]:
    """Why a flow got its verdict: one reason, or one per group of backends that agree."""
    groups: dict[tuple[object, ...], list[Path]] = {}
    for path in result.paths:
        hop = path.deciding_hop
        where = (hop.checkpoint, hop.leg) if hop else ()
        groups.setdefault((path.verdict, *where, _reason(hop)), []).append(path)
    said = [
        (paths, _at([p.deciding_hop for p in paths], _reason(paths[0].deciding_hop)))
        for paths in groups.values()
    ]
    if len(said) == 1:
        return said[0][1], []
    items = []
    for paths, sentence in said:
        backends = join_names([f"{p.backend}:{p.port}" if p.backend else "direct" for p in paths])
        items.append(f"via {backends}: {paths[0].verdict}; {sentence}")
    return _MIXED[result.verdict], items


def explain_health(result: HealthResult) -> str:
    """Why a health check passes or fails."""
    if not result.enabled:
        return "with checks disabled, every backend counts as healthy (§3.7)"
    hop = result.path.deciding_hop
    text = _at([hop], _reason(hop))
    if result.silent_drop is not None:
        text += (
            f"; the UDP probe went unanswered ({describe(result.silent_drop)}), "
            "which fails nothing (§3.7)"
        )
    return text


def _reason(hop: Hop | None) -> str:
    """What decided at a hop, without saying where: the rule that matched first, or why."""
    if hop is None:
        return "nothing on the way filters it"
    if hop.checkpoint not in _RULES or hop.decision not in (Decision.ACCEPT, Decision.DROP):
        return hop.reason
    if hop.partly or hop.group is None:
        return hop.reason
    if hop.index is not None:
        return f"{hop.group} {hop.direction} #{hop.index} ({hop.rule}) matched first"
    acl = hop.checkpoint is Checkpoint.NETWORK_ACL
    what = "the ACL's final deny-all dropped it" if acl else "it was dropped by default"
    section = _SECTION.search(hop.reason)
    return f"no rule of {hop.group} {hop.direction} matched, so {what}" + (
        section.group(0) if section else ""
    )


def _at(hops: Sequence[Hop | None], reason: str) -> str:
    """``at rs-1's security group, REASON``: where the hops are, then what decided."""
    found = [h for h in hops if h is not None]
    if not found:
        return reason
    nodes = list(dict.fromkeys(h.node for h in found))
    owners, plural = join_names([f"{n}'s" for n in nodes]), "s" if len(nodes) > 1 else ""
    places = {
        Checkpoint.SECURITY_GROUP: f"{owners} security group{plural}",
        Checkpoint.CLB_SECURITY_GROUP: f"{owners} own security group{plural}",
        Checkpoint.NETWORK_ACL: f"{owners} subnet ACL{plural}",
    }
    where = places.get(found[0].checkpoint, join_names(nodes))
    reply = ", on the reply" if found[0].leg is Leg.REPLY else ""
    return f"at {where}{reply}, {reason}"


def can_be_partial(result: ScenarioResult) -> bool:
    """Whether a flow of the scenario goes to a listener with several backends."""
    scenario = result.scenario
    for flow in scenario.flows:
        if flow.target.kind is TargetKind.LOAD_BALANCER:
            lb = scenario.load_balancer(flow.target.name)
            on_port = (li for li in lb.listeners if li.port == flow.target.port)
            if any(len(li.backends) > 1 for li in on_port):
                return True
    return any(f.verdict is Verdict.PARTIAL for f in result.flows)


def flow_label(result: FlowResult) -> str:
    flow = result.flow
    route = f"{flow.source} -> {flow.written_to}"
    return f'"{flow.name}" ({route})' if flow.name else route


def health_label(result: HealthResult) -> str:
    return f"{result.load_balancer}:{result.listener.key} -> {result.backend}"


def wrap_notes(notes: str, width: int) -> list[str]:
    """Notes refilled to ``width``: paragraphs and list items rewrapped, indented lines kept.

    A line that ends a sentence well short of the notes' longest line ends its paragraph too.
    """
    lines = notes.strip("\n").splitlines()
    short = 0.75 * max(len(line) for line in lines)
    out: list[str] = []
    words: list[str] = []
    first = rest = ""

    def flush() -> None:
        out.extend(fill(" ".join(words), width, first, rest) if words else ())
        words.clear()

    for before, line in zip(["", *lines], lines, strict=False):
        lead = len(line) - len(line.lstrip())
        item = _ITEM.match(line)
        ended = before.rstrip().endswith((".", ":", "!", "?")) and len(before) < short
        if not line.strip():
            flush()
            if out and out[-1]:
                out.append("")
        elif item:
            flush()
            first, rest = item.group(0), " " * item.end()
            words.append(line[item.end() :].strip())
        elif words and lead == len(rest) and not ended:
            words.append(line.strip())
        elif lead > len(rest) or (not words and lead > 0):
            flush()
            out.append(line.rstrip())  # written to be shown as is
        else:
            flush()
            first = rest = " " * lead
            words.append(line.strip())
    flush()
    return out


def fill(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` wrapped, never breaking a name, an address or a rule's peer. Colour codes take
    no room: the text is wrapped without them, then each line is given back its own words."""
    plain = COLOR_CODE.sub("", text)
    lines = textwrap.wrap(
        plain, width, initial_indent=first, subsequent_indent=rest, break_long_words=False,
        break_on_hyphens=False,
    )  # fmt: skip
    if plain == text:
        return lines
    words = iter(text.split())
    return [
        (rest if n else first) + " ".join(next(words) for _ in line.split())
        for n, line in enumerate(lines)
    ]


COLOR_CODE = re.compile(r"\033\[[0-9;]*m")  # a terminal's select-graphic-rendition code


def join_names(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
