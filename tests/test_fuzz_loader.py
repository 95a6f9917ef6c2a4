"""The loader against mutated files: whatever is changed in a valid scenario file, sgsim either
reads a scenario it can simulate, or says `FILE:LINE: FIELD: what is wrong` — never anything
else (a traceback, another exception, a line outside the file)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from simulator.analysis.lint import lint
from simulator.errors import ScenarioError
from simulator.scenario import load_text
from simulator.simulate import simulate

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in SCENARIOS]

#: Tokens that make YAML or sgsim stumble: structure, numbers in odd spellings, addresses,
#: names, rule words, anchors, and the empty string.
TOKENS = [
    "", " ", ":", "- ", "[", "]", "{", "}", ",", "#", "&a", "*a", "<<: *a", "|", ">", "'", '"',
    "\t", "\n", "0", "-1", "65536", "0443", "0x50", "1:20", "1e3", "8080", "80-90", "90-80",
    "ALL", "TCP:ALL", "ICMP", "10.0.0.0/8", "10.0.1.5/24", "999.1.1.1", "::/0", "2001:db8::1",
    "[2001:db8::1]:80", "allow", "drop", "accept", "deny", "yes", "no", "null", "~", "true",
    "ClientA", "rs-1", "clb-1", "sg-web", "CLB VIP", "ClientA IP", "+", "HTTP", "UDP",
    "public", "private", "classic", "2016-12-04", "partial", "healthy", "ünïcode", "a" * 300,
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A shipped scenario file with a few lines or tokens changed."""
    lines = draw(st.sampled_from(TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "cut", "indent"]))
        event(kind)
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "token":
            line = lines[at]
            start = draw(st.integers(0, len(line)))
            end = draw(st.integers(start, min(len(line), start + 12)))
            lines[at] = line[:start] + draw(st.sampled_from(TOKENS)) + line[end:]
        elif kind == "cut":
            lines = lines[: at + 1]
        else:
            lines[at] = draw(st.sampled_from(["", " ", "  ", "    "])) + lines[at].lstrip()
        if not lines:
            lines = [""]
    return "\n".join(lines)


@given(mutated())
def test_a_mutated_file_is_read_or_rejected_with_a_located_message(text: str) -> None:
    try:
        scenario = load_text(text, "mutated.yaml")
    except ScenarioError as error:
        event("rejected")
        assert error.file == "mutated.yaml"
        assert 1 <= error.line <= text.count("\n") + 1, (error.line, str(error))
        assert error.field, str(error)
        assert str(error).startswith(f"mutated.yaml:{error.line}: {error.field}: ")
        assert "\n" not in str(error)
        return
    event("read")
    simulate(scenario)  # what was read can be simulated, and linted
    lint(scenario)
