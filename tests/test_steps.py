"""Step-by-step traces: numbered events, rules read field by field, colour only where wanted."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.results import FlowResult
from simulator.scenario import flow_from_options, load_file
from simulator.simulate import trace
from simulator.steps import render_steps, use_color

ROOT = Path(__file__).resolve().parent.parent
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"
ACL = ROOT / "scenarios" / "19-acl-stateless-ephemeral-ports.yaml"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def traced(path: Path, source: str, to: str, **options: object) -> FlowResult:
    scenario = load_file(path)
    return trace(scenario, flow_from_options(scenario, source=source, to=to, **options))  # type: ignore[arg-type]


def steps_of(text: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^ *(\d+)\. ", text, re.M)]


def test_a_denied_flow_reads_every_rule_up_to_the_catch_all() -> None:
    text = render_steps(traced(SEED_1, "ClientC", "clb-1:80"))
    path_1 = text.split("path 2 of 2")[0]
    assert "1. ClientC sends TCP 192.0.2.30:50000 -> 119.28.10.10:80" in path_1
    assert "first match reads 4 rules for TCP, port 8080, source 192.0.2.30" in path_1
    rows = [line.split() for line in path_1.splitlines() if line.strip().startswith("sg-web #")]
    assert [row[1] for row in rows] == ["#0", "#1", "#2", "#3"]
    assert [row[-2:] for row in rows[:3]] == [["no", "match"]] * 3
    assert rows[3][-1] == "DROP"
    for row in rows:  # protocol and port match every rule; only the peer tells them apart
        assert row.count("✓") == (3 if row[-1] == "DROP" else 2)
        assert row.count("✗") == (0 if row[-1] == "DROP" else 1)
    assert "outcome: DROP (denied), decided by sg-web inbound #3: 0.0.0.0/0 + 8080 drop" in path_1


def test_events_are_numbered_from_one_in_each_path() -> None:
    text = render_steps(traced(SEED_1, "ClientA", "clb-1:80"))
    for path in text.split("\npath ")[1:]:
        numbers = steps_of(path)
        assert numbers == list(range(1, len(numbers) + 1))


def test_an_allowed_flow_shows_the_connection_entry_and_the_reply_passing_by_state() -> None:
    text = render_steps(traced(SEED_1, "ClientA", "clb-1:80")).split("path 2 of 2")[0]
    entry = text.index("rs-1 enters the connection in its table: TCP 203.0.113.10:50000 -> ")
    reply = text.index("the reply goes back: TCP 10.0.1.11:8080 -> 203.0.113.10:50000")
    state = text.index("the reply matches the connection table -> ACCEPT")
    assert entry < reply < state


def test_a_stateless_acl_reads_the_reply_and_stops_it() -> None:
    text = render_steps(traced(ACL, "ClientA", "clb-1:80", src_port=1025))
    path_2 = text.split("path 2 of 2")[1]
    assert "an ACL keeps no state, so it reads the reply anew (§1.6)" in path_2
    assert "for TCP, port 1025, destination 203.0.113.10" in path_2
    assert re.search(r"acl-b #0 .*✗ 32768-60999 .* no match", path_2)
    assert "no rule matched: the ACL's final deny-all drops it (§2.2)" in path_2


def test_no_colour_unless_asked() -> None:
    result = traced(SEED_1, "ClientC", "clb-1:80")
    plain, painted = render_steps(result), render_steps(result, color=True)
    assert not ANSI.search(plain)
    assert ANSI.search(painted)
    assert ANSI.sub("", painted) == plain


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "tty", "no_color", "expected"),
    [
        ("auto", True, None, True),
        ("auto", True, "1", False),
        ("auto", True, "", True),  # NO_COLOR counts only when set to something
        ("auto", False, None, False),
        ("always", False, "1", True),
        ("never", True, None, False),
    ],
)
def test_use_color(
    choice: str, tty: bool, no_color: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert use_color(choice, Terminal() if tty else io.StringIO()) is expected


def test_cli_steps_piped_has_no_colour(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    args = ["trace", str(SEED_1), "--from", "ClientC", "--to", "clb-1:80", "--steps"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "first match reads 4 rules" in out and not ANSI.search(out)
    assert main([*args, "--color", "always"]) == 0
    assert ANSI.search(capsys.readouterr().out)


def test_cli_steps_as_json_holds_every_rule_read(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["trace", str(SEED_1), "--from", "ClientC", "--to", "clb-1:80", "--format", "json"]
    assert main([*args, "--steps"]) == 0
    hops = json.loads(capsys.readouterr().out)["paths"][0]["hops"]
    readings = [r for hop in hops for r in hop["readings"]]
    assert [(r["index"], r["matched"], r["peer"]) for r in readings] == [
        (0, False, "none"),
        (1, False, "none"),
        (2, False, "none"),
        (3, True, "all"),
    ]
    assert main(args) == 0  # without --steps the flow keeps the report's shape
    assert "readings" not in json.loads(capsys.readouterr().out)["paths"][0]["hops"][0]
