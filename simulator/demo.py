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
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import TextIO

from .errors import UsageError
from .model import (
    Health,
    Scenario,
    Verdict,
)
from .narrate import (
    can_be_partial,
    connects,
    explain_flow,
    explain_health,
    fill,
    flow_label,
    health_label,
    join_names,
    probes,
    wrap_notes,
)
from .report import count
from .results import FlowResult, HealthResult, ScenarioResult

Outcome = Verdict | Health
#: The seed's scenarios, 01 to 08, played when no file is named.
SEEDS = tuple(f"{n:02d}-" for n in range(1, 9))
#: Line width without a terminal, so that a printed narration is the same everywhere.
WIDTH = 80
FLOW_OUTCOMES = (Verdict.ALLOWED, Verdict.DENIED)
HEALTH_OUTCOMES = (Health.HEALTHY, Health.UNHEALTHY)

_COLORS = {"green": "32", "red": "31", "yellow": "33", "bold": "1"}
_TONE: dict[Outcome, str] = {Verdict.PARTIAL: "yellow"}
_TONE |= dict.fromkeys((Verdict.ALLOWED, Health.HEALTHY), "green")
_TONE |= dict.fromkeys((Verdict.DENIED, Health.UNHEALTHY), "red")
_MEANING: dict[Outcome, str] = {
    Verdict.PARTIAL: ": only some of the backends the CLB may pick let it through"
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
        self.say(f"({scenario.file}: {count(flows, 'flow')}, {count(checks, 'health check')})")
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
            self.say(f"The CLB does not pick {join_names(result.unhealthy)}, {fails} (§3.8).")
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
            key = f"answer key, {count(self.total, 'question')}: " if self.quiz else ""
            self.say("")
            self.say(
                f"End of the demo ({key}{count(len(results), 'scenario')}, "
                f"{count(flows, 'flow')}, {count(checks, 'health check')})."
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
        self.out.write("\n".join(fill(text, self.width, "", indent)) + "\n")

    def paint(self, text: str, *styles: str) -> str:
        if not self.color:
            return text
        return f"\033[{';'.join(_COLORS[s] for s in styles)}m{text}\033[0m"
