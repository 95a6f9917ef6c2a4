"""Scenario -> YAML -> scenario gives the same scenario back, line numbers aside."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from simulator.scenario import load_file, load_text
from simulator.simulate import simulate
from simulator.strategies import scenario_texts
from simulator.yamlout import dump

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def unlined(value: Any) -> Any:
    """``value`` with every ``line`` field set to 0: where a thing was written is not what it is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: 0 if f.name == "line" else unlined(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(unlined(v) for v in value)
    return value


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_comes_back_the_same(path: Path) -> None:
    scenario = load_file(path)
    again = load_text(dump(scenario), scenario.file)
    assert unlined(again) == unlined(scenario)
    assert dump(again) == dump(scenario)


@given(scenario_texts())
def test_random_scenarios_come_back_the_same(text: str) -> None:
    scenario = load_text(text, "random.yaml")
    again = load_text(dump(scenario), "random.yaml")
    assert unlined(again) == unlined(scenario)
    assert [f.verdict for f in simulate(again).flows] == [
        f.verdict for f in simulate(scenario).flows
    ]


def test_defaults_are_left_out() -> None:
    text = dump(load_file(SCENARIOS[0]))
    for default in ("running: true", "classic: false", "network: vpc", "src_port: 50000"):
        assert default not in text


def test_a_structured_rule_with_a_description_stays_structured() -> None:
    text = """title: t
instances: {web: {ip: 10.0.0.5, security_groups: [sg]}}
security_groups:
  sg:
    inbound:
      - {peer: 10.0.0.0/8, protocol: UDP, port: "53,5353", action: ACCEPT, description: DNS}
      - 0.0.0.0/0 + 80 allow
"""
    scenario = load_text(text, "t.yaml")
    out = dump(scenario)
    assert "description: DNS" in out and "- 0.0.0.0/0 + 80 allow" in out
    assert unlined(load_text(out, "t.yaml")) == unlined(scenario)
