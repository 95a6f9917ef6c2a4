"""Diff: exact regions that change verdict, and the flows and checks that change outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.analysis.diff import diff
from simulator.cli import main
from simulator.model import Action
from simulator.scenario import load_file, load_text

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
DROPS_FIRST = SCENARIOS / "07-seed-5-blocklist-drops-first.yaml"
ACCEPT_FIRST = SCENARIOS / "08-seed-5-blocklist-accept-first.yaml"


def test_the_two_blocklist_orders_differ_exactly_in_the_blocked_clients() -> None:
    result = diff(load_file(DROPS_FIRST), load_file(ACCEPT_FIRST))
    assert [str(c.space.boxes[0]) for c in result.changes] == [
        "TCP:8080 from 203.0.113.10/32",
        "TCP:8080 from 198.51.100.20/32",
    ]
    assert all((c.old.action, c.new.action) == (Action.DROP, Action.ACCEPT) for c in result.changes)
    assert [(o.what, o.old, o.new) for o in result.outcomes] == [
        ("ClientA -> clb-1:80 (TCP)", "denied", "allowed"),
        ("ClientB -> clb-1:80 (TCP)", "denied", "allowed"),
    ]


GROUP = "title: d\nsecurity_groups:\n  sg:\n    inbound: [RULES]\n"


def test_a_reordering_that_changes_nothing_is_equivalent() -> None:
    old = load_text(GROUP.replace("RULES", "10.0.0.0/8 + 80 allow, 192.168.0.0/16 + 80 allow"))
    new = load_text(GROUP.replace("RULES", "192.168.0.0/16 + 80 allow, 10.0.0.0/8 + 80 allow"))
    assert diff(old, new).equivalent


def test_a_split_rule_is_equivalent_and_a_narrowed_one_is_not() -> None:
    old = load_text(GROUP.replace("RULES", "10.0.0.0/8 + 80-90 allow"))
    split = load_text(
        GROUP.replace("RULES", "10.0.0.0/9 + 80-90 allow, '10.128.0.0/9 + 80,81-90 allow'")
    )
    assert diff(old, split, group="sg").equivalent
    narrowed = load_text(GROUP.replace("RULES", "10.0.0.0/8 + 80-89 allow"))
    (change,) = diff(old, narrowed, group="sg").changes
    assert str(change.space.boxes[0]) == "TCP:90 from 10.0.0.0/8"
    assert change.new.rule is None  # the default DROP decides it now


def test_cli_diff_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(DROPS_FIRST), str(DROPS_FIRST)]) == 0
    assert "are equivalent" in capsys.readouterr().out
    assert main(["diff", str(DROPS_FIRST), str(ACCEPT_FIRST), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["equivalent"] is False
    assert [r["example"] for r in document["regions"]] == [
        "TCP from 203.0.113.10 port 8080",
        "TCP from 198.51.100.20 port 8080",
    ]
    assert main(["diff", str(DROPS_FIRST), str(ACCEPT_FIRST), "--group", "sg-wb"]) == 2
    assert "did you mean 'sg-web'" in capsys.readouterr().err
