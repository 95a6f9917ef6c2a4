"""Lint: the seed's pitfalls are found, the corrected files are clean, union shadowing is exact."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from simulator.analysis.lint import Severity, lint
from simulator.cli import main
from simulator.model import Health, Rule, Scenario
from simulator.rules import Names, parse_seed_rule
from simulator.scenario import load_file, load_text
from simulator.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def kinds(text: str) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.kind, str(f.severity), f.group, f.index) for f in lint(load_text(text, "l.yaml"))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("03-seed-3-private-clb-as-written", {"client-egress"}),
        ("05-seed-4-classic-private-as-written", {"client-egress"}),
        ("08-seed-5-blocklist-accept-first", {"blocklist-below-accept"}),
    ],
)
def test_the_seeds_pitfalls_are_errors(name: str, expected: set[str]) -> None:
    found = lint(load_file(SCENARIOS / f"{name}.yaml"))
    assert {f.kind for f in found if f.severity is Severity.ERROR} == expected


@pytest.mark.parametrize(
    "name",
    [
        "04-seed-3-private-clb-corrected",
        "06-seed-4-classic-private-corrected",
        "07-seed-5-blocklist-drops-first",
    ],
)
def test_the_corrected_files_have_no_error_or_warning(name: str) -> None:
    found = lint(load_file(SCENARIOS / f"{name}.yaml"))
    assert [f for f in found if f.severity is not Severity.INFO] == []


GROUP = """title: lint
instances: {web: {ip: 10.0.0.5, security_groups: [sg]}}
security_groups:
  sg:
    inbound:
RULES
"""


def group(*rules: str) -> str:
    return GROUP.replace("RULES", "\n".join(f"      - {r}" for r in rules))


def test_a_rule_covered_by_a_union_of_earlier_rules_is_found() -> None:
    text = group("10.0.0.0/9 + 80 drop", "10.128.0.0/9 + 80 drop", "10.0.0.0/8 + 80 allow")
    assert kinds(text) == [("shadowed", "error", "sg", 2)]
    blocklist = group("10.0.0.0/9 + 80 allow", "10.128.0.0/9 + 80 allow", "10.0.0.0/8 + 80 drop")
    assert kinds(blocklist) == [("blocklist-below-accept", "error", "sg", 2)]
    found = lint(load_text(text, "l.yaml"))[0]
    assert "#0, #1" in found.message and found.fix == "move it above #0, or delete it"


def test_a_rule_covered_with_the_same_action_is_redundant() -> None:
    text = group("10.0.0.0/8 + 80,443 allow", "10.1.0.0/16 + 443 allow")
    assert kinds(text) == [("redundant", "warning", "sg", 1)]


def test_partial_overlap_with_different_actions_is_a_correlation() -> None:
    text = group("10.1.0.0/16 + 85-100 drop", "10.0.0.0/8 + 80-90 allow")
    assert kinds(text) == [("correlation", "warning", "sg", 1)]


def test_a_drop_partly_taken_by_an_earlier_accept_is_a_blocklist_warning() -> None:
    # The blocklist's target still reaches port 8080, the one port that matters.
    text = group("0.0.0.0/0 + 8080 allow", "203.0.113.5 + ALL drop")
    (finding,) = lint(load_text(text, "l.yaml"))
    assert (finding.kind, finding.severity, finding.index) == (
        "blocklist-partly-below-accept", Severity.WARNING, 1,
    )  # fmt: skip
    assert finding.message.startswith("part of this drop never applies: sg inbound #0")
    assert finding.fix == "move it above #0"


SHARED = """title: shared groups
instances:
  a: {ip: 10.0.1.10, security_groups: [sg-base, sg-web]}
  b: {ip: 10.0.1.20, security_groups: [SECOND]}
security_groups:
  sg-base: {inbound: [10.0.0.0/8 + 8080 allow]}
  sg-web: {inbound: [10.0.0.0/8 + 8080 allow]}
"""


def test_a_rule_dead_only_where_another_group_comes_first_is_not_to_be_deleted() -> None:
    (finding,) = lint(load_text(SHARED.replace("SECOND", "sg-web"), "s.yaml"))
    assert (finding.kind, finding.severity, finding.group, finding.on) == (
        "redundant", Severity.INFO, "sg-web", "instance a",
    )  # fmt: skip
    assert finding.fix is None
    assert finding.message.endswith("; it still applies on b")


def test_a_rule_dead_wherever_its_group_is_bound_may_be_deleted() -> None:
    findings = lint(load_text(SHARED.replace("SECOND", "sg-base, sg-web"), "s.yaml"))
    assert {f.on for f in findings} == {"instance a", "instance b"}
    assert {f.fix for f in findings} == {"delete it: it applies nowhere its group is bound"}


def test_a_drop_in_a_group_bound_after_the_accepting_one_is_fixed_by_the_binding_order() -> None:
    text = """title: order of groups
instances: {web: {ip: 10.0.1.10, security_groups: [sg-open, sg-block]}}
security_groups:
  sg-open: {inbound: [0.0.0.0/0 + 8080 allow]}
  sg-block: {inbound: [203.0.113.5 + 8080 drop]}
"""
    (finding,) = [f for f in lint(load_text(text, "o.yaml")) if f.severity is Severity.ERROR]
    assert (finding.kind, finding.group, finding.index, finding.on) == (
        "blocklist-below-accept", "sg-block", 0, "instance web",
    )  # fmt: skip
    assert finding.message.startswith(
        "on instance web, whose groups are read sg-open, then sg-block"
    )
    assert finding.fix == "bind sg-block before sg-open on web"


def test_a_clbs_groups_are_read_together_in_binding_order() -> None:
    text = """title: CLB groups
clients: {bad: 203.0.113.5}
instances: {rs: {ip: 10.0.1.10, security_groups: [sg-web]}}
load_balancers:
  clb:
    type: public
    vip: 119.28.10.10
    security_groups: [sg-allow, sg-block]
    listeners: [{protocol: TCP, port: 80, backends: [rs:8080]}]
security_groups:
  sg-allow: {inbound: [0.0.0.0/0 + 80 allow]}
  sg-block: {inbound: [bad IP + 80 drop]}
  sg-web: {inbound: [0.0.0.0/0 + 8080 allow]}
"""
    errors = [f for f in lint(load_text(text, "c.yaml")) if f.severity is Severity.ERROR]
    assert [(f.kind, f.group, f.on) for f in errors] == [
        ("blocklist-below-accept", "sg-block", "CLB clb")
    ]


def test_network_acls_are_linted_too() -> None:
    text = """title: ACL
instances: {web: {ip: 10.0.1.10, subnet: sn, security_groups: [sg]}}
security_groups: {sg: {inbound: [10.0.0.0/8 + 8080 allow]}}
network_acls:
  acl: {subnets: [sn], inbound: [0.0.0.0/0 + ALL allow, 10.0.0.0/8 + 8080 drop]}
"""
    (finding,) = lint(load_text(text, "a.yaml"))
    assert (finding.kind, finding.group, finding.acl, finding.index) == (
        "blocklist-below-accept",
        "acl",
        True,
        1,
    )


def test_all_ports_open_even_below_a_bogon_block() -> None:
    text = group("0.0.0.0/8 + ALL drop", "0.0.0.0/0 + ALL allow")
    assert ("all-ports-public", "warning", "sg", 1) in kinds(text)


def test_a_shadowed_rule_says_which_earlier_rules_decide_which_way() -> None:
    text = group("10.0.0.0/9 + 80 allow", "10.128.0.0/9 + 80 drop", "10.0.0.0/8 + 80 drop")
    (finding,) = [f for f in lint(load_text(text, "l.yaml")) if f.index == 2]
    assert finding.message == (
        "this drop never applies: earlier accepts (#0) take its packets first, and #1 already "
        "DROP the rest"
    )


def test_admin_ports_and_all_ports_open_to_the_internet() -> None:
    text = group("0.0.0.0/0 + 22 allow", "10.0.0.0/8 + 3389 allow", "::/0 + TCP:ALL allow")
    assert kinds(text) == [
        ("admin-port-public", "warning", "sg", 0),
        ("admin-port-public", "warning", "sg", 2),
        ("admin-port-public", "warning", "sg", 2),
        ("all-ports-public", "warning", "sg", 2),
    ]


def test_a_failing_health_check_gets_the_rule_to_add() -> None:
    text = """title: hc
instances: {rs-1: {ip: 10.0.0.5, security_groups: [sg]}}
load_balancers:
  clb: {type: public, vip: 1.1.1.1, listeners: [{protocol: TCP, port: 80, backends: [rs-1:8080]}]}
security_groups:
  sg: {inbound: [10.0.0.0/8 + 8080 allow, 0.0.0.0/0 + 8080 drop]}
"""
    (finding,) = [f for f in lint(load_text(text, "hc.yaml")) if f.severity is Severity.ERROR]
    assert (finding.kind, finding.group, finding.index) == ("health-check", "sg", 1)
    assert finding.fix == "insert '1.1.1.1 + TCP:8080 allow' at index 1 of sg inbound"


def test_cli_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SCENARIOS / "04-seed-3-private-clb-corrected.yaml")]) == 0
    assert "no findings" in capsys.readouterr().out
    assert (
        main(["lint", str(SCENARIOS / "08-seed-5-blocklist-accept-first.yaml"), "--format", "json"])
        == 1
    )
    document = json.loads(capsys.readouterr().out)
    assert {tuple(sorted(f)) for f in document["findings"]} == {
        (
            "acl",
            "direction",
            "file",
            "fix",
            "group",
            "index",
            "kind",
            "message",
            "on",
            "rule",
            "severity",
        )
    }
    assert [f["index"] for f in document["findings"]] == [1, 2]


def _apply(scenario: Scenario, fix: str) -> Scenario:
    """Apply "insert 'RULE' at index I of LIST DIRECTION" or "change LIST DIRECTION #I 'OLD'
    to 'NEW'" (LIST may be "network ACL NAME") to a scenario, read from the text alone."""
    if fix.startswith("insert '"):
        rule_text, rest = fix.removeprefix("insert '").split("' at index ")
        index_text, _, where = rest.partition(" of ")
        replaced = 0
    else:
        head, _, rest = fix.removeprefix("change ").partition(" #")
        index_text, _, texts = rest.partition(" ")
        rule_text = texts.split("' to '")[1].removesuffix("'")
        where, replaced = head, 1
    name, direction = where.removeprefix("network ACL ").split()
    rule = parse_seed_rule(rule_text, Names())
    index = int(index_text)

    def insert(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        return (*rules[:index], rule, *rules[index + replaced :])

    key = "inbound" if direction == "inbound" else "outbound"
    groups = tuple(
        replace(g, **{key: insert(getattr(g, key))}) if g.name == name else g
        for g in scenario.security_groups
    )
    acls = tuple(
        replace(a, **{key: insert(getattr(a, key))}) if a.name == name else a
        for a in scenario.network_acls
    )
    return replace(scenario, security_groups=groups, network_acls=acls)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_health_check_fix_makes_the_check_pass(path: Path) -> None:
    scenario = load_file(path)
    for finding in lint(scenario):
        if finding.kind != "health-check" or finding.fix is None:
            continue
        fixed = simulate(_apply(scenario, finding.fix))
        where = finding.message.split("the health check of ")[1].split(" from ")[0]
        check = next(
            h
            for h in fixed.health_checks
            if f"{h.load_balancer}:{h.listener.key} on {h.backend}" == where
        )
        assert check.status is Health.HEALTHY, (finding.fix, check.blocked_at)
