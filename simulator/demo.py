"""Stage 5, teaching output: classroom mode, scenarios told one flow at a time.

``Demo`` walks simulation results the way a teacher would: a scenario's title and notes, then
each flow (who connects to what), a pause, and the outcome with the checkpoint and rule that
decided it; then each health check likewise. With ``quiz`` the learner predicts every outcome
first, hears at once whether it was right, and gets a score at the end. Without a terminal
nothing is asked: the whole narration is printed, each question followed by its answer, which
makes an answer key.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import TextIO

from .errors import UsageError
from .model import (
    DEFAULT_SOURCE_PORT,
    Checkpoint,
    Decision,
    Health,
    Leg,
    Protocol,
    Scenario,
    TargetKind,
    Verdict,
)
from .report import describe
from .results import FlowResult, HealthResult, Hop, Path, ScenarioResult

Outcome = Verdict | Health
#: The seed's scenarios, 01 to 08, played when no file is named.
SEEDS = tuple(f"{n:02d}-" for n in range(1, 9))
#: Line width without a terminal, so that a printed narration is the same everywhere.
WIDTH = 80
FLOW_OUTCOMES = (Verdict.ALLOWED, Verdict.DENIED)
HEALTH_OUTCOMES = (Health.HEALTHY, Health.UNHEALTHY)

_RULES = (Checkpoint.SECURITY_GROUP, Checkpoint.CLB_SECURITY_GROUP, Checkpoint.NETWORK_ACL)
_SECTION = re.compile(r" \(§[\d.]+\)")
_ITEM = re.compile(r"\s*(?:[-*]|\d{1,2}[.)])\s+")  # "- ", "* ", "1. ", "2) "
_COLORS = {"green": "32", "red": "31", "yellow": "33", "bold": "1"}
_TONE: dict[Outcome, str] = {Verdict.PARTIAL: "yellow"}
_TONE |= dict.fromkeys((Verdict.ALLOWED, Health.HEALTHY), "green")
_TONE |= dict.fromkeys((Verdict.DENIED, Health.UNHEALTHY), "red")
_MEANING: dict[Outcome, str] = {
    Verdict.PARTIAL: ": only some of the backends the CLB may pick let it through"
}
_MIXED = {
    Verdict.PARTIAL: "it depends on the backend the CLB picks",
    Verdict.ALLOWED: "every backend the CLB may pick lets it in, each by its own rule",
    Verdict.DENIED: "every backend the CLB may pick stops it, each in its own way",
}


def seed_files(folder: FilePath = FilePath("scenarios")) -> list[FilePath]:
    """The seed's scenarios (01 to 08) in ``folder``, a path relative to the current directory."""
    found = sorted(f for f in folder.glob("*.yaml") if f.name.startswith(SEEDS))
    if not found:
        raise UsageError(
            f"no seed scenarios (01 to 08) in ./{folder}/ here; name scenario files or folders: "
            "sgsim demo FILE..."
        )
    return found


def play(
    results: Sequence[ScenarioResult], *, quiz: bool, stdin: TextIO | None, stdout: TextIO
) -> Score:
    """The demo on a process's streams: interactive on a terminal, else printed whole."""
    interactive = stdin is not None and stdin.isatty() and stdout.isatty()
    columns = shutil.get_terminal_size((WIDTH, 24)).columns if interactive else WIDTH
    demo = Demo(
        stdout,
        stdin if interactive else None,
        quiz=quiz,
        width=max(40, min(100, columns)),  # a large font on a wide screen stays readable
        color=interactive and not os.environ.get("NO_COLOR"),
    )
    return demo.run(results)


@dataclass
class Score:
    """The quiz so far: questions answered, right answers, and what was missed."""

    asked: int = 0
    right: int = 0
    missed: list[str] = field(default_factory=list)


class Demo:
    """Narrate results to ``out``; ``answers`` is the learner's input, or None to print all.

    Without ``answers`` nothing waits and nothing is asked; with ``quiz`` each question is then
    printed followed by its answer.
    """

    def __init__(
        self,
        out: TextIO,
        answers: TextIO | None = None,
        *,
        quiz: bool = False,
        width: int = WIDTH,
        color: bool = False,
    ) -> None:
        self.out, self.answers, self.quiz = out, answers, quiz
        self.width, self.color = width, color
        self.score = Score()
        self.number = 0  # of the last question asked
        self.total = 0

    # -- the walk ----------------------------------------------------------------------
    def run(self, results: Sequence[ScenarioResult]) -> Score:
        """Every scenario in turn, then the score; end of input or Ctrl-C stops early."""
        self.total = sum(len(r.flows) + len(r.health_checks) for r in results)
        if self.answers is not None:
            keys = "answer each question, then Enter" if self.quiz else "press Enter to go on"
            self.say(f"Classroom mode: {keys}; Ctrl-D or Ctrl-C stops.")
        try:
            for number, result in enumerate(results, 1):
                if number > 1:
                    self.pause("press Enter for the next scenario")
                if number > 1 or self.answers is not None:
                    self.say("")
                self.scenario(result, f"Scenario {number} of {len(results)}")
        except (EOFError, KeyboardInterrupt):
            self.out.write("\n")
            self.say("Stopped.")
            self.finish(results, stopped=True)
        else:
            self.finish(results, stopped=False)
        self.out.flush()
        return self.score

    def scenario(self, result: ScenarioResult, heading: str) -> None:
        scenario = result.scenario
        self.say(self.paint(f"== {heading}: {scenario.title}", "bold"), "   ")
        flows, checks = len(result.flows), len(result.health_checks)
        self.say(f"({scenario.file}: {_count(flows, 'flow')}, {_count(checks, 'health check')})")
        if scenario.notes:
            self.out.write("\n" + "\n".join(wrap_notes(scenario.notes, self.width)) + "\n")
        outcomes = (*FLOW_OUTCOMES, Verdict.PARTIAL) if can_be_partial(result) else FLOW_OUTCOMES
        for index, flow in enumerate(result.flows, 1):
            self.flow(scenario, flow, f"Flow {index} of {flows}", outcomes)
        for index, check in enumerate(result.health_checks, 1):
            self.health(scenario, check, f"Health check {index} of {checks}")

    def flow(
        self, scenario: Scenario, result: FlowResult, heading: str, outcomes: Sequence[Outcome]
    ) -> None:
        flow, verdict = result.flow, result.verdict
        self.say("")
        self.say(self.paint(f"-- {heading}" + (f": {flow.name}" if flow.name else ""), "bold"))
        self.say(connects(scenario, result))
        prefix = self.predict(
            f"{FilePath(scenario.file).name}, {flow_label(result)}", outcomes, verdict
        )
        why, items = explain_flow(result)
        shown = self.paint(str(verdict).upper(), _TONE[verdict])
        self.say(f"{prefix}{flow.source} -> {flow.written_to} is {shown}: {why}.")
        for item in items:
            self.say(f"- {item}.", "  ")
        if result.all_unhealthy:
            self.say(
                "Every backend fails its health check, so the CLB sends to all of them (§3.8)."
            )
        elif result.unhealthy:
            one = len(result.unhealthy) == 1
            fails = "which fails its health check" if one else "which fail their health checks"
            self.say(f"The CLB does not pick {_join(result.unhealthy)}, {fails} (§3.8).")
        self.expectation(flow.expect, verdict)

    def health(self, scenario: Scenario, result: HealthResult, heading: str) -> None:
        status = result.status
        self.say("")
        self.say(self.paint(f"-- {heading}: {health_label(result)}", "bold"))
        self.say(probes(result))
        label = f"{FilePath(scenario.file).name}, health check {health_label(result)}"
        prefix = self.predict(label, HEALTH_OUTCOMES, status)
        shown = self.paint(str(status).upper(), _TONE[status])
        self.say(f"{prefix}The check of {result.backend} is {shown}: {explain_health(result)}.")
        self.expectation(result.expected, status)

    def expectation(self, expected: Outcome | None, actual: Outcome) -> None:
        if expected is None:
            return
        if expected is actual:
            self.say(f"The scenario expects {expected}, and so it is.")
        else:
            broken = self.paint("the expectation does not hold", "red")
            self.say(f"The scenario expects {expected}, but it is {actual}: {broken}.")

    def finish(self, results: Sequence[ScenarioResult], *, stopped: bool) -> None:
        score = self.score
        if self.quiz and self.answers is not None:
            word = "Score so far" if stopped else "Score"
            self.say("")
            self.say(self.paint(f"{word}: {score.right} of {score.asked} right.", "bold"))
            if score.missed:
                self.say("Missed:")
                for miss in score.missed:
                    self.say(f"- {miss}", "  ")
        elif not stopped:
            flows = sum(len(r.flows) for r in results)
            checks = sum(len(r.health_checks) for r in results)
            key = f"answer key, {_count(self.total, 'question')}: " if self.quiz else ""
            self.say("")
            self.say(
                f"End of the demo ({key}{_count(len(results), 'scenario')}, "
                f"{_count(flows, 'flow')}, {_count(checks, 'health check')})."
            )

    # -- questions ---------------------------------------------------------------------
    def predict(self, label: str, outcomes: Sequence[Outcome], truth: Outcome) -> str:
        """Pause or ask before an outcome is shown; the feedback to put before it."""
        if not self.quiz:
            self.pause("press Enter to see what happens")
            return ""
        self.number += 1
        words = ", ".join(str(o) for o in outcomes[:-1]) + f" or {outcomes[-1]}"
        question = f"Question {self.number} of {self.total}: {words}?"
        if self.answers is None:
            self.say(question)
            self.say(f"Answer: {truth}.")
            return ""
        accepted = {key: o for o in outcomes for key in (str(o)[0], str(o))}
        prompt = f"{question} [{'/'.join(str(o)[0] for o in outcomes)}] "
        reply = self.ask(prompt).lower()
        while reply not in accepted:
            hints = [f"{str(o)[0]} ({o}{_MEANING.get(o, '')})" for o in outcomes]
            self.say(f"Please answer {', '.join(hints[:-1])} or {hints[-1]}.")
            reply = self.ask(prompt).lower()
        said = accepted[reply]
        self.score.asked += 1
        if said is truth:
            self.score.right += 1
            return self.paint("Right!", "green", "bold") + " "
        self.score.missed.append(f"{label}: you said {said}, it is {truth}.")
        return self.paint(f"Wrong, you said {said}.", "red", "bold") + " "

    def pause(self, what: str) -> None:
        if self.answers is not None:
            self.ask(f"[{what}] ")

    def ask(self, prompt: str) -> str:
        """One line from the learner; ``EOFError`` at the end of input (Ctrl-D)."""
        assert self.answers is not None
        self.out.write(prompt)
        self.out.flush()
        line = self.answers.readline()
        if not line:
            raise EOFError
        return line.strip()

    # -- output ------------------------------------------------------------------------
    def say(self, text: str, indent: str = "") -> None:
        """One paragraph, wrapped to the width; later lines indented by ``indent``."""
        self.out.write("\n".join(_fill(text, self.width, "", indent)) + "\n")

    def paint(self, text: str, *styles: str) -> str:
        if not self.color:
            return text
        return f"\033[{';'.join(_COLORS[s] for s in styles)}m{text}\033[0m"


# -- what to say ---------------------------------------------------------------------------
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
        backends = _join([f"{p.backend}:{p.port}" if p.backend else "direct" for p in paths])
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
    owners, plural = _join([f"{n}'s" for n in nodes]), "s" if len(nodes) > 1 else ""
    places = {
        Checkpoint.SECURITY_GROUP: f"{owners} security group{plural}",
        Checkpoint.CLB_SECURITY_GROUP: f"{owners} own security group{plural}",
        Checkpoint.NETWORK_ACL: f"{owners} subnet ACL{plural}",
    }
    where = places.get(found[0].checkpoint, _join(nodes))
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
        out.extend(_fill(" ".join(words), width, first, rest) if words else ())
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


def _fill(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` wrapped, never breaking a name, an address or a rule's peer."""
    return textwrap.wrap(
        text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False,
        break_on_hyphens=False,
    )  # fmt: skip


def _join(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
