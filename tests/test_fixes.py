"""Fixes: for every failing expectation, the smallest rule change that meets it, verified.

Unit tests pin the kind of fix each pitfall of the seed gets; a property then checks, on random
whole scenarios, that every fix proposed really gives the expected outcome when applied.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import event, given

from simulator.cli import main
from simulator.fixes import EditKind, Repair, Target, apply, repair_all
from simulator.model import Verdict
from simulator.scenario import load_file, load_text
from simulator.simulate import simulate
from simulator.strategies import scenario_texts
from tests.test_properties import sg_scenarios

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def repairs_of(name: str, *swaps: tuple[str, str]) -> list[Repair]:
    """The repairs of a shipped scenario with some of its expectations changed."""
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    for old, new in swaps:
        assert old in text
        text = text.replace(old, new)
    return repair_all(simulate(load_text(text, name)))


def test_a_shipped_scenario_whose_expectations_hold_needs_no_fix() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert repair_all(simulate(load_file(path))) == [], path.name


def test_client_egress_on_the_wrong_port_is_fixed_by_widening_that_port() -> None:
    (fix,) = repairs_of(
        "03-seed-3-private-clb-as-written.yaml",
        (
            "from: ClientA, to: clb-1:80, expect: denied",
            "from: ClientA, to: clb-1:80, expect: allowed",
        ),
    )
    (edit,) = fix.edits
    assert (edit.kind, edit.name, edit.index) == (EditKind.CHANGE, "sg-client", 0)
    assert str(edit) == (
        "change sg-client outbound #0 'CLB VIP + 8080 allow' to 'CLB VIP + TCP:80,8080 allow'"
    )
    assert fix.packets == 2  # TCP:80 to the VIP, on ClientA and on ClientB, which share the group
    (effect,) = fix.side_effects  # ClientB shares the group, and its file expects it denied
    assert effect.what.startswith("flow 'ClientB via CLB")
    assert (effect.old, effect.new, effect.breaks) == ("denied", "allowed", True)


def test_a_blocklist_below_the_accept_is_fixed_by_moving_the_drop_up() -> None:
    fixes = repairs_of(
        "08-seed-5-blocklist-accept-first.yaml",
        ("ClientA via CLB\", from: ClientA, to: clb-1:80, expect: allowed",
         "ClientA via CLB\", from: ClientA, to: clb-1:80, expect: denied"),
    )  # fmt: skip
    (fix,) = fixes
    assert [str(e) for e in fix.edits] == [
        "move sg-web inbound #1 'ClientA IP + 8080 drop' to index 0"
    ]
    assert fix.packets == 2  # ClientA's TCP:8080, on rs-1 and on rs-2, which share sg-web


def test_a_failing_health_check_gets_the_rule_for_its_prober() -> None:
    (fix,) = repairs_of(
        "09-hc-source-public-vip.yaml",
        ("backend: rs-2, expect: unhealthy", "backend: rs-2, expect: healthy"),
    )
    assert fix.what == "health check clb-1:TCP:80 on rs-2:8080"
    assert [str(e) for e in fix.edits] == [
        "insert '119.28.10.10 + TCP:8080 allow' at index 2 of sg-clients-only inbound"
    ]


def test_an_acl_that_stops_the_reply_opens_every_ephemeral_port_and_says_what_that_breaks() -> None:
    # A client's source port changes with each connection, so a fix for port 1025 alone would
    # fail the next one; the ephemeral range also lets through the flows the file expects denied,
    # and the fix says so.
    (fix,) = repairs_of(
        "19-acl-stateless-ephemeral-ports.yaml",
        ("src_port: 1025, expect: partial", "src_port: 1025, expect: allowed"),
    )
    assert [str(e) for e in fix.edits] == [
        "insert '203.0.113.10 + TCP:1024-65535 allow' at index 1 of network ACL acl-b outbound"
    ]
    assert [e.breaks for e in fix.side_effects] == [True, True]


def test_a_peer_is_never_widened_far_and_a_group_peer_never() -> None:
    text = """title: widen
clients: {ClientA: 203.0.113.10, ClientC: 192.0.2.30}
instances:
  app: {ip: 10.0.2.4, security_groups: [sg-app]}
  api: {ip: 10.0.3.4, security_groups: [sg-api]}
  rs: {ip: 10.0.1.11, security_groups: [sg-web]}
security_groups:
  sg-app: {outbound: [0.0.0.0/0 + ALL allow]}
  sg-api: {}
  sg-web: {inbound: [ClientA IP + 8080 allow, sg-api + 8080 allow]}
flows:
  - {from: ClientC, to: rs:8080, expect: allowed}
  - {from: app, to: rs:8080, expect: allowed}
"""
    fixes = repair_all(simulate(load_text(text, "w.yaml")))
    assert [str(e) for f in fixes for e in f.edits] == [
        "insert '192.0.2.30 + TCP:8080 allow' at index 2 of sg-web inbound",
        "insert '10.0.2.4 + TCP:8080 allow' at index 2 of sg-web inbound",
    ]


def test_an_acl_with_no_near_rule_gets_a_rule_for_the_ephemeral_ports() -> None:
    fixes = repairs_of(
        "19-acl-stateless-ephemeral-ports.yaml",
        ("0.0.0.0/0 + 32768-60999 allow  # index 0", "198.51.100.0/24 + 80 allow"),
    )
    fix = next(f for f in fixes if "default source port straight to rs-b" in f.what)
    (edit,) = fix.edits
    assert edit.acl and edit.rule.text == "203.0.113.10 + TCP:1024-65535 allow"
    assert str(edit).endswith("at index 1 of network ACL acl-b outbound")


def test_no_rule_change_starts_a_stopped_service() -> None:
    (fix,) = repairs_of(
        "25-service-not-running.yaml",
        ("to: clb-1:81, expect: denied", "to: clb-1:81, expect: allowed"),
    )
    assert not fix.fixed
    assert fix.reason == (
        "it stops at rs-2 service: service down (§3.7); no rule change opens that"
    )


def test_a_rule_for_just_that_peer_is_narrowed_rather_than_a_drop_inserted() -> None:
    text = """title: narrow
clients: {ClientA: 203.0.113.10, ClientB: 198.51.100.7}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-1]}
security_groups:
  sg-1:
    inbound:
      - ClientA IP + 22,80 allow
      - 198.51.100.0/24 + 22-80 allow
flows:
  - {from: ClientA, to: rs-1:22, expect: denied}
  - {from: ClientB, to: rs-1:22, expect: denied}
  - {from: ClientB, to: rs-1:80, expect: allowed}
"""
    narrowed, inserted = repair_all(simulate(load_text(text, "narrow.yaml")))
    assert [str(e) for e in narrowed.edits] == [
        "change sg-1 inbound #0 'ClientA IP + 22,80 allow' to 'ClientA IP + TCP:80 allow'"
    ]
    # narrowing 22-80 to 23-80 would stop the whole /24 on port 22: a drop for ClientB is less
    assert [str(e) for e in inserted.edits] == [
        "insert '198.51.100.7 + TCP:22 drop' at index 1 of sg-1 inbound"
    ]


def test_a_check_of_a_listener_with_checks_off_says_they_are_off() -> None:
    (fix,) = repairs_of(
        "25-service-not-running.yaml",
        ("{listener: clb-1:82, backend: rs-1, expect: healthy}",
         "{listener: clb-1:82, backend: rs-1, expect: unhealthy}"),
    )  # fmt: skip
    assert not fix.fixed
    assert fix.reason == (
        "the listener's health checks are off, so the CLB counts every backend healthy (§3.7); "
        "turn them on to test the rules"
    )


def test_a_partial_expectation_is_met_by_stopping_one_backend_only() -> None:
    (fix,) = repairs_of(
        "22-partial-backends-disagree.yaml",
        ("from: ClientA, to: clb-1:80, expect: allowed", "from: ClientA, to: clb-1:80, expect: partial"),
    )  # fmt: skip
    assert (fix.expected, fix.actual) == ("partial", "allowed")
    assert [str(e) for e in fix.edits] == [
        "insert '203.0.113.10 + TCP:8080 drop' at index 0 of sg-open inbound"
    ]
    assert fix.side_effects == ()


def test_a_partial_expectation_from_denied_lets_one_backend_through() -> None:
    fixes = repairs_of(
        "22-partial-backends-disagree.yaml",
        # sg-open now lets in only what sg-allowlist does: ClientC is stopped on both backends
        ("- 0.0.0.0/0 + 8080 allow ", "- 203.0.113.10 + 8080 allow\n      - 119.28.10.10 + 8080 allow "),
    )  # fmt: skip
    by_what = {f.what: f for f in fixes}
    fix = by_what["flow 'ClientC via CLB' ClientC -> clb-1:80 (TCP)"]
    assert (fix.expected, fix.actual) == ("partial", "denied")
    assert len(fix.edits) == 1 and fix.edits[0].rule.action.name == "ACCEPT"


def test_a_partial_expectation_without_a_way_to_split_the_backends_says_why() -> None:
    fixes = repairs_of(
        "01-seed-1-public-clb-allowlist.yaml",
        ("name: ClientA via CLB, from: ClientA, to: clb-1:80, expect: allowed",
         "name: ClientA via CLB, from: ClientA, to: clb-1:80, expect: partial"),
    )  # fmt: skip
    (fix,) = fixes
    assert not fix.fixed
    assert fix.reason == (
        "no change of rules can stop one backend's path and leave the others as they are"
    )


def test_a_partial_expectation_of_a_single_path_says_it_cannot_be() -> None:
    (fix,) = repairs_of(
        "22-partial-backends-disagree.yaml",
        ("from: ClientC, to: rs-1:8080, expect: allowed", "from: ClientC, to: rs-1:8080, expect: partial"),
    )  # fmt: skip
    assert not fix.fixed and "single path" in (fix.reason or "")


def test_each_backend_with_its_own_block_gets_its_own_edit() -> None:
    text = """title: two backends, two groups
clients: {c: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-1]}
  rs-2: {ip: 10.0.1.12, security_groups: [sg-2]}
load_balancers:
  clb:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: TCP, port: 80, backends: [rs-1:8080, rs-2:8080], health_check: {enabled: false}}
security_groups:
  sg-1: {inbound: [0.0.0.0/0 + 8080 drop]}
  sg-2: {inbound: [10.0.0.0/8 + 8080 allow]}
flows:
  - {from: c, to: clb:80, expect: allowed}
"""
    (fix,) = repair_all(simulate(load_text(text, "two.yaml")))
    assert [str(e) for e in fix.edits] == [
        "insert '203.0.113.10 + TCP:8080 allow' at index 0 of sg-1 inbound",
        "insert '203.0.113.10 + TCP:8080 allow' at index 1 of sg-2 inbound",
    ]
    fixed = simulate(apply(load_text(text, "two.yaml"), fix.edits))
    assert fixed.flows[0].verdict is Verdict.ALLOWED


@given(text=sg_scenarios())
def test_every_fix_gives_the_expected_outcome_when_applied(text: str) -> None:
    """Each flow expected the other way than it goes; every fix found must turn it."""
    scenario = load_text(text, "property.yaml")
    first = simulate(scenario)
    flipped = tuple(
        replace(flow, expect=Verdict.DENIED if r.verdict is Verdict.ALLOWED else Verdict.ALLOWED)
        for flow, r in zip(scenario.flows, first.flows, strict=True)
    )
    asked = replace(scenario, flows=flipped)
    result = simulate(asked)
    for target, fix in zip(
        [Target("flow", i) for i in range(len(flipped))], repair_all(result), strict=True
    ):
        if not fix.fixed:
            event("no fix")
            assert fix.reason
            continue
        event(f"fixed in {len(fix.edits)} edit(s)")
        after = simulate(apply(asked, fix.edits))
        assert target.outcome(after) == target.expected(after)
        assert fix.packets > 0


@given(text=scenario_texts(min_instances=2))
def test_every_fix_toward_partial_gives_partial_when_applied(text: str) -> None:
    """Each flow a CLB spreads over several backends, expected partial where it is not."""
    scenario = load_text(text, "property.yaml")
    first = simulate(scenario)
    spread = [
        i
        for i, r in enumerate(first.flows)
        if len(r.paths) > 1 and r.verdict is not Verdict.PARTIAL
    ]
    asked = replace(
        scenario,
        flows=tuple(
            replace(f, expect=Verdict.PARTIAL if i in spread else None)
            for i, f in enumerate(scenario.flows)
        ),
    )
    result = simulate(asked)
    for target, fix in zip([Target("flow", i) for i in spread], repair_all(result), strict=True):
        if not fix.fixed:
            event("no fix")
            assert fix.reason
            continue
        event(f"partial in {len(fix.edits)} edit(s)")
        after = simulate(apply(asked, fix.edits))
        assert target.outcome(after) == "partial"


def test_trace_fix_prints_the_verified_change(capsys: pytest.CaptureFixture[str]) -> None:
    path = SCENARIOS / "01-seed-1-public-clb-allowlist.yaml"
    assert main(["trace", str(path), "--from", "ClientC", "--to", "clb-1:80", "--fix"]) == 0
    out = capsys.readouterr().out
    assert "- flow ClientC -> clb-1:80 (TCP): expected allowed, got denied" in out
    assert "fix: insert '192.0.2.30 + TCP:8080 allow' at index 3 of sg-web inbound" in out


def test_trace_expect_needs_fix(capsys: pytest.CaptureFixture[str]) -> None:
    path = SCENARIOS / "01-seed-1-public-clb-allowlist.yaml"
    args = ["trace", str(path), "--from", "ClientA", "--to", "clb-1:80", "--expect", "denied"]
    assert main(args) == 2
    assert capsys.readouterr().err == "sgsim: --expect: only with --fix\n"
