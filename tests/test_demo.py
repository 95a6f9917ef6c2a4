"""Classroom mode: the narration, the quiz with scripted answers, and a quiz under a terminal."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

import pytest

from simulator import load_file, simulate
from simulator.cli import main
from simulator.demo import Demo, Score, wrap_notes
from simulator.narrate import COLOR_CODE
from simulator.results import ScenarioResult

ROOT = Path(__file__).resolve().parent.parent
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"
SEED_3 = ROOT / "scenarios" / "03-seed-3-private-clb-as-written.yaml"
SEED_5B = ROOT / "scenarios" / "08-seed-5-blocklist-accept-first.yaml"
ONE_BACKEND = ROOT / "scenarios" / "12-hc-source-classic-before-2016-snat.yaml"


def results(*files: Path) -> list[ScenarioResult]:
    return [simulate(load_file(f.relative_to(ROOT))) for f in files]


def narrate(files: list[ScenarioResult], *, quiz: bool = False) -> str:
    out = io.StringIO()
    Demo(out, quiz=quiz).run(files)
    return out.getvalue()


def play(files: list[ScenarioResult], replies: str, *, quiz: bool = True) -> tuple[str, Score]:
    out = io.StringIO()
    score = Demo(out, io.StringIO(replies), quiz=quiz).run(files)
    return out.getvalue(), score


def flat(text: str) -> str:
    """Text with every run of whitespace made one space, so wrapping does not matter."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# -- the narration -------------------------------------------------------------------------
def test_narration_tells_the_notes_every_flow_its_verdict_and_the_deciding_rule() -> None:
    (result,) = results(SEED_1)
    out = narrate([result])
    text = flat(out)
    assert result.scenario.title in text
    assert result.scenario.notes is not None and flat(result.scenario.notes) in text
    for number, flow in enumerate(result.flows, 1):
        assert f"-- Flow {number} of 7: {flow.flow.name}" in out
        verdict = f"{flow.flow.source} -> {flow.flow.written_to} is {str(flow.verdict).upper()}:"
        assert verdict in text
        for path in flow.paths:
            hop = path.deciding_hop
            assert hop is not None
            if hop.rule is not None:
                assert (
                    f"{hop.group} {hop.direction} #{hop.index} ({hop.rule}) matched first" in text
                )
    assert (
        "ClientC -> clb-1:80 is DENIED: at rs-1's and rs-2's security groups, sg-web inbound #3 "
        "(0.0.0.0/0 + 8080 drop) matched first." in text
    )
    assert (
        "ClientA -> rs-1:22 is DENIED: at rs-1's security group, no rule of sg-web inbound "
        "matched, so it was dropped by default (§1.4)." in text
    )
    assert "ClientA -> clb-1:443 is DENIED: at clb-1, no TCP listener on port 443 (§3.1)" in text
    assert text.count("The scenario expects") == 9
    assert "The check of rs-1:8080 is HEALTHY" in text and "CLB VIP + 8080 allow" in text
    assert "press Enter" not in out and "Question" not in out


def test_narration_is_deterministic_and_fits_80_columns() -> None:
    files = results(SEED_1, SEED_3)
    first, second = narrate(files), narrate(files)
    assert first == second
    assert all(len(line) <= 80 for line in first.splitlines())


def test_colour_codes_take_no_room_when_lines_are_wrapped() -> None:
    out = io.StringIO()
    Demo(out, width=50, color=True).run(results(SEED_1, SEED_5B))
    painted = out.getvalue()
    plain = COLOR_CODE.sub("", painted)
    assert painted != plain
    out = io.StringIO()
    Demo(out, width=50).run(results(SEED_1, SEED_5B))
    assert plain == out.getvalue()
    assert max(len(line) for line in plain.splitlines()) <= 50


def test_backends_that_disagree_are_told_one_by_one() -> None:
    (result,) = results(ROOT / "scenarios" / "22-partial-backends-disagree.yaml")
    text = flat(narrate([result]))
    assert "ClientC -> clb-1:80 is PARTIAL: it depends on the backend the CLB picks." in text
    assert "- via rs-1:8080: allowed; at rs-1's security group" in text
    assert "- via rs-2:8080: denied; at rs-2's security group" in text


def test_notes_are_refilled_but_indented_lines_kept() -> None:
    notes = load_file(SEED_3.relative_to(ROOT)).notes
    assert notes is not None
    lines = wrap_notes(notes, 70)
    assert "    CLB VIP    + 8080 allow" in lines
    assert "- A connection's first packet must pass the source's outbound rules" in lines
    assert lines[-2:] == [
        "The corrected variant is 04-seed-3-private-clb-corrected.yaml.",
        "Pitfall: a stateful group does not make egress free (§5).",
    ]
    assert all(len(line) <= 70 for line in lines)
    assert flat("\n".join(lines)) == flat(notes)


def test_answer_key_prints_each_question_then_its_answer() -> None:
    out = narrate(results(SEED_1), quiz=True)
    lines = out.splitlines()
    asked = lines.index("Question 3 of 9: allowed, denied or partial?")
    assert lines[asked + 1] == "Answer: denied."
    assert lines[asked + 2].startswith("ClientC -> clb-1:80 is DENIED")
    assert "Question 9 of 9: healthy or unhealthy?" in lines
    assert flat(out).endswith(
        "End of the demo (answer key, 9 questions: 1 scenario, 7 flows, 2 health checks)."
    )
    assert "Score" not in out


# -- the quiz, answered in-process -------------------------------------------------------
def test_quiz_gives_feedback_asks_again_and_scores() -> None:
    # Seed 1: allowed, allowed, denied, allowed, denied, denied, denied; healthy, healthy.
    replies = "maybe\na\nallowed\n A \na\nd\nDENIED\np\nh\nu\n"
    out, score = play(results(SEED_1), replies)
    assert (score.asked, score.right) == (9, 6)
    assert out.count("Please answer a (allowed), d (denied) or p (partial: only some") == 1
    assert out.count("Right!") == 6
    assert "Wrong, you said allowed. ClientC -> clb-1:80 is DENIED: at rs-1's" in out
    assert "Wrong, you said partial. ClientA -> clb-1:443 is DENIED" in out
    assert "Score: 6 of 9 right." in out
    missed = out[out.index("Missed:") :].splitlines()[1:]
    assert missed == [
        '- 01-seed-1-public-clb-allowlist.yaml, "stranger via CLB" (ClientC -> clb-1:80):',
        "  you said allowed, it is denied.",
        '- 01-seed-1-public-clb-allowlist.yaml, "ClientA to a port with no listener"',
        "  (ClientA -> clb-1:443): you said partial, it is denied.",
        "- 01-seed-1-public-clb-allowlist.yaml, health check clb-1:TCP:80 -> rs-2:8080:",
        "  you said unhealthy, it is healthy.",
    ]
    assert "End of the demo" not in out


def test_partial_is_no_answer_where_no_flow_can_be_partial() -> None:
    out, score = play(results(ONE_BACKEND), "p\nd\n")
    assert "Question 1 of 7: allowed or denied? [a/d]" in out
    assert "Please answer a (allowed) or d (denied)." in out
    assert (score.asked, score.right) == (1, 1)


def test_end_of_input_mid_quiz_prints_the_score_so_far() -> None:
    out, score = play(results(SEED_1, SEED_5B), "a\nd\n")
    assert (score.asked, score.right) == (2, 1)
    assert "\nStopped.\n\nScore so far: 1 of 2 right.\nMissed:\n" in out
    assert out.endswith("you said denied, it is allowed.\n")
    assert "Question 3 of 15" in out and "ClientC -> clb-1:80 is" not in out


def test_ctrl_c_stops_gracefully() -> None:
    class Interrupted:
        def readline(self) -> str:
            raise KeyboardInterrupt

    out = io.StringIO()
    score = Demo(out, cast(TextIO, Interrupted()), quiz=True).run(results(SEED_1))
    assert score.asked == 0
    assert out.getvalue().endswith("\nStopped.\n\nScore so far: 0 of 0 right.\n")


def test_without_quiz_it_pauses_before_each_outcome() -> None:
    out, score = play(results(SEED_1, SEED_5B), "\n" * 9 + "\n" + "\n", quiz=False)
    assert score.asked == 0
    before = out.index("[press Enter to see what happens]")
    assert out.index("connects over TCP") < before < out.index("is ALLOWED")
    assert out.count("[press Enter to see what happens]") == 11
    assert "[press Enter for the next scenario]" in out
    assert out.endswith("\nStopped.\n")


# -- the command line ----------------------------------------------------------------------
def test_demo_without_files_plays_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "== Scenario 8 of 8: Seed 5 in the wrong order" in out
    assert "Scenario 9" not in out and "End of the demo (8 scenarios," in out.replace("\n", " ")
    assert main(["demo"]) == 0
    assert capsys.readouterr().out == out


def test_demo_without_files_or_scenarios_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sgsim: no seed scenarios") and captured.err.count("\n") == 1
    assert "name scenario files" in captured.err
    (tmp_path / "scenarios").mkdir()
    assert main(["demo", "--quiz"]) == 2
    assert "no seed scenarios" in capsys.readouterr().err


def test_demo_reads_folders_and_reports_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(SEED_5B.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["demo", str(tmp_path)]) == 0
    assert "== Scenario 1 of 1: Seed 5 in the wrong order" in capsys.readouterr().out
    assert main(["demo", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err == f"sgsim: {tmp_path / 'nope.yaml'}: no such file or folder\n"
    (tmp_path / "b.yaml").write_text("title: [", encoding="utf-8")
    assert main(["demo", str(tmp_path)]) == 2
    assert capsys.readouterr().out == ""


# -- under a real terminal ---------------------------------------------------------------
CTRL_D = "\x04"
PROMPT = re.compile(rb"Question \d+ of \d+: ([a-z, ]+)\? \[[a-z/]+\] |\[press Enter[^\]]*\] ")


def under_terminal(
    args: list[str], answer: Callable[[str], str | None], *, color: bool = False
) -> tuple[int, str]:
    """Run ``python -m simulator ARGS`` on a pseudo-terminal, answering each prompt.

    ``answer`` gets what the prompt asks and returns the line to type, ``CTRL_D`` for the end
    of input, or None for Ctrl-C (the SIGINT a terminal sends its foreground program).
    """
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    env |= {} if color else {"NO_COLOR": "1"}
    if not hasattr(os, "openpty"):
        pytest.skip("this platform has no pseudo-terminals (os.openpty)")
    termios = pytest.importorskip("termios")
    master, slave = os.openpty()
    termios.tcsetwinsize(slave, (24, 80))
    child = subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(slave)
    seen, done, deadline = b"", 0, time.monotonic() + 60
    try:
        while True:
            if time.monotonic() > deadline:
                pytest.fail(f"no end after 60 s; the terminal showed:\n{seen.decode()}")
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the program ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            for prompt in PROMPT.finditer(seen, done):
                done = prompt.end()
                reply = answer((prompt.group(1) or b"press Enter").decode())
                if reply is None:
                    child.send_signal(signal.SIGINT)
                else:
                    os.write(master, reply.encode() + (b"" if reply == CTRL_D else b"\r"))
        return child.wait(timeout=10), seen.decode("utf-8").replace("\r\n", "\n")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)


def test_a_whole_quiz_can_be_played_from_a_terminal() -> None:
    # Seed 5 in the wrong order: every flow allowed and every check healthy; answering
    # "unhealthy" to both checks gets 4 of 6 right.
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        if len(asked) == 1:
            return "perhaps"  # asked again, with a hint
        return "a" if "allowed" in question else "u"

    status, transcript = under_terminal(["demo", "--quiz", str(SEED_5B.relative_to(ROOT))], answer)
    assert status == 0, transcript
    assert len(asked) == 7
    assert "Please answer a (allowed), d (denied) or p (partial" in transcript
    assert "Right! ClientA -> clb-1:80 is ALLOWED" in transcript
    assert "Wrong, you said unhealthy. The check of rs-1:8080 is HEALTHY" in transcript
    assert re.search(r"^Score: 4 of 6 right\.$", transcript, re.M), transcript
    assert "\x1b[" not in transcript


def test_ctrl_c_at_a_terminal_prints_the_score_so_far_in_colour() -> None:
    replies = iter(["a", None])

    def answer(question: str) -> str | None:
        return next(replies)

    file = str(SEED_5B.relative_to(ROOT))
    status, transcript = under_terminal(["demo", "--quiz", file], answer, color=True)
    assert status == 0, transcript
    assert "Stopped." in transcript and "Score so far: 1 of 1 right." in transcript
    assert "\x1b[32;1mRight!\x1b[0m" in transcript
    assert "Traceback" not in transcript


def test_at_a_terminal_it_pauses_before_each_outcome_until_ctrl_d() -> None:
    replies = iter(["", "", CTRL_D])
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return next(replies)

    status, transcript = under_terminal(["demo", str(SEED_5B.relative_to(ROOT))], answer)
    assert status == 0, transcript
    assert prompts == ["press Enter"] * 3
    assert "ClientB -> clb-1:80 is ALLOWED" in transcript
    assert "ClientC -> clb-1:80 is" not in transcript
    assert transcript.rstrip().endswith("Stopped.") and "Score" not in transcript
