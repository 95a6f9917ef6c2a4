"""Warnings: Tencent's quotas (§1.8) and instances no group filters (§1.7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.checks import Limits, scenario_warnings
from simulator.cli import main
from simulator.scenario import load_text

TEXT = """title: limits
instances:
  open: {ip: 10.0.0.5, security_groups: []}
  web: {ip: 10.0.0.6, security_groups: [g1]}
load_balancers:
  lb:
    type: public
    vip: 1.1.1.1
    security_groups: [g1, g2, g3]
security_groups:
  g1:
    inbound: [0.0.0.0/0 + 80 allow, 0.0.0.0/0 + 443 allow]
    outbound: [0.0.0.0/0 + ALL allow]
  g2: {}
  g3: {}
"""


def test_warnings_name_their_place_and_limit() -> None:
    found = scenario_warnings(
        load_text(TEXT, "w.yaml"), Limits(rules_per_group=2, groups_per_load_balancer=2)
    )
    assert [str(w) for w in found] == [
        "w.yaml:3: instances.open.security_groups: warning: bound to no security group, so no group filters it (§1.7)",
        "w.yaml:6: load_balancers.lb.security_groups: warning: 3 security groups; the limit is 2 per load balancer (§1.8)",
        "w.yaml:11: security_groups.g1: warning: 3 rules, inbound and outbound together; the limit is 2 per group (§1.8)",
    ]


def test_default_limits_are_tencents() -> None:
    found = scenario_warnings(load_text(TEXT, "w.yaml"), Limits())
    assert [w.field for w in found] == ["instances.open.security_groups"]


def test_replay_prints_warnings_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(TEXT, encoding="utf-8")
    assert main(["replay", str(path), "--max-rules-per-group", "2"]) == 0
    out = capsys.readouterr().out
    assert f"{path}:11: security_groups.g1: warning: 3 rules" in out
    assert main(["replay", str(path), "--format", "json", "--max-groups-per-clb", "2"]) == 0
    assert '"field": "load_balancers.lb.security_groups"' in capsys.readouterr().out
