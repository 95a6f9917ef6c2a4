"""Diff: exact regions that change verdict, and the flows and checks that change outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.analysis.diff import Kind, diff
from simulator.analysis.report import render_diff_json, render_diff_text
from simulator.cli import main
from simulator.model import Action, Direction
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
        ("ClientA -> rs-2:8080 (TCP)", None, "allowed"),  # a flow only the new file asks
        ("ClientA -> rs-1:8080 (TCP)", "denied", None),
        ("ClientC -> rs-1:8080 (TCP)", "allowed", None),
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


BOUND = """\
title: bound
clients:
  c: 203.0.113.5
instances:
  web: {ip: 10.0.1.10, security_groups: [sg-block, sg-open], subnet: sn-a}
load_balancers:
  clb-1:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: TCP, port: 80, backends: ["web:8080"]}
security_groups:
  sg-block:
    inbound: [203.0.113.5 + 8080 drop]
  sg-open:
    inbound: [0.0.0.0/0 + 8080 allow]
network_acls:
  acl-a:
    subnets: [sn-a]
    inbound: [0.0.0.0/0 + 8080 allow]
    outbound: [0.0.0.0/0 + ALL allow]
flows:
  - {from: c, to: clb-1:80}
"""


def test_swapping_the_binding_order_shows_the_packets_that_change() -> None:
    swapped = BOUND.replace("[sg-block, sg-open]", "[sg-open, sg-block]")
    result = diff(load_text(BOUND), load_text(swapped))
    assert not result.equivalent
    (change,) = result.changes
    assert change.kind is Kind.INSTANCE
    assert change.where == "instance web inbound (sg-block, sg-open -> sg-open, sg-block)"
    assert str(change.space.boxes[0]) == "TCP:8080 from 203.0.113.5/32"
    assert change.old.rule is not None and change.old.rule.group == "sg-block"
    assert change.new.rule is not None and change.new.rule.group == "sg-open"
    assert [(o.what, o.old, o.new) for o in result.outcomes] == [
        ("c -> clb-1:80 (TCP)", "denied", "allowed")
    ]


def test_the_same_groups_bound_in_an_order_that_changes_nothing_are_equivalent() -> None:
    text = BOUND.replace("203.0.113.5 + 8080 drop", "203.0.113.5 + 9090 drop")
    swapped = text.replace("[sg-block, sg-open]", "[sg-open, sg-block]")
    assert diff(load_text(text), load_text(swapped)).equivalent


def test_a_network_acl_change_is_compared_as_regions() -> None:
    new = BOUND.replace(
        "inbound: [0.0.0.0/0 + 8080 allow]\n    outbound",
        "inbound: [0.0.0.0/0 + 9090 allow]\n    outbound",
    )
    result = diff(load_text(BOUND), load_text(new))
    assert [(c.where, str(c.space.boxes[0]), str(c.old.action), str(c.new.action)) for c in result.changes] == [
        ("network ACL acl-a inbound", "TCP:8080 from 0.0.0.0/0", "ACCEPT", "DROP"),
        ("network ACL acl-a inbound", "TCP:9090 from 0.0.0.0/0", "DROP", "ACCEPT"),
    ]  # fmt: skip
    assert {c.kind for c in result.changes} == {Kind.NETWORK_ACL}


def test_a_drop_rule_removed_from_a_group_bound_first_lets_packets_fall_through() -> None:
    """Alone, the group drops those packets either way; bound before sg-open, they now pass."""
    new = BOUND.replace("inbound: [203.0.113.5 + 8080 drop]", "inbound: []")
    result = diff(load_text(BOUND), load_text(new))
    (change,) = result.changes
    assert change.where == "instance web inbound (sg-block, sg-open)"
    assert (change.old.action, change.new.action) == (Action.DROP, Action.ACCEPT)
    assert change.new.rule is not None and change.new.rule.group == "sg-open"


SETUP_EDITS = [
    ("ip: 10.0.1.10", "ip: 10.0.1.20", "instance web: ip"),
    ("subnet: sn-b}", "subnet: sn-c}", "instance db: subnet"),
    ("subnet: sn-a}", "subnet: sn-a, running: false}", "instance web: running"),
    ("c: 203.0.113.5", "c: 203.0.113.6", "client c: ip"),
    ("type: public", "type: private", "load balancer clb-1: type"),
    ("vip: 119.28.10.10", "vip: 119.28.10.11", "load balancer clb-1: vip"),
    (
        "    listeners:",
        "    bypass_backend_security_groups: true\n    listeners:",
        "load balancer clb-1: bypass_backend_security_groups",
    ),
    ('["web:8080"]}', '["web:8081"]}', "load balancer clb-1: listener TCP:80 backends"),
    (
        '["web:8080"]}',
        '["web:8080"], health_check: {port: 9000}}',
        "load balancer clb-1: listener TCP:80 health_check.port",
    ),
    ("port: 80,", "port: 81,", "load balancer clb-1: listener TCP:81"),
    ("subnets: [sn-a]", "subnets: [sn-a, sn-b]", "network ACL acl-a: subnets"),
    ("\nflows:", "\n  acl-b: {subnets: [sn-b]}\nflows:", "network ACL acl-b"),
]


@pytest.mark.parametrize(("old", "new", "what"), SETUP_EDITS, ids=[w for _, _, w in SETUP_EDITS])
def test_every_change_of_the_setup_is_reported(old: str, new: str, what: str) -> None:
    db = "  db: {ip: 10.0.2.10, security_groups: [sg-open], subnet: sn-b}\n"
    text = BOUND.replace("load_balancers:", db + "load_balancers:")
    changed = text.replace(old, new, 1)
    assert changed != text
    result = diff(load_text(text), load_text(changed))
    assert not result.equivalent
    assert what in [o.what for o in result.outcomes if o.kind == "setup"]


def test_a_group_added_to_a_clb_shows_what_binding_it_restricts() -> None:
    new = BOUND.replace("    listeners:", "    security_groups: [sg-clb]\n    listeners:").replace(
        "network_acls:", "  sg-clb:\n    inbound: [198.51.100.0/24 + 80 allow]\nnetwork_acls:"
    )
    result = diff(load_text(BOUND), load_text(new))
    assert [c.kind for c in result.changes] == [Kind.LOAD_BALANCER]  # no row for sg-clb alone
    (change,) = result.changes
    assert change.where == "load balancer clb-1 inbound (no group -> sg-clb)"
    assert (change.old.action, change.new.action) == (Action.ACCEPT, Action.DROP)
    assert str(change.example) == "TCP:80 from 203.0.113.5/32"  # the client, on the listener port
    assert ("setup", "security group sg-clb", None, "1 inbound, 0 outbound rules") in [
        (o.kind, o.what, o.old, o.new) for o in result.outcomes
    ]
    text = render_diff_text("old.yaml", "new.yaml", result)
    assert "not filtered (no group bound)" in text
    assert "TCP:ALL from 0.0.0.0 - 198.51.99.255" in text  # a compact range, not dozens of CIDRs
    assert "security group sg-clb  absent" in text


def test_a_file_is_equivalent_to_itself_with_flows_that_differ_only_by_source_port(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "sp.yaml"
    path.write_text(
        BOUND.replace(
            "outbound: [0.0.0.0/0 + ALL allow]", "outbound: [0.0.0.0/0 + 1024-65535 allow]"
        )
        + "  - {name: ephemeral, from: c, to: web:8080}\n"
        + "  - {name: low port, from: c, to: web:8080, src_port: 80}\n",
        encoding="utf-8",
    )
    assert main(["diff", str(path), str(path)]) == 0
    assert "are equivalent" in capsys.readouterr().out


def test_flows_and_health_checks_on_one_side_only_are_added_or_removed() -> None:
    old = load_text(BOUND + "  - {from: c, to: web:8080, src_port: 80}\n")
    new = load_text(
        BOUND.replace(
            '["web:8080"]}',
            '["web:8080"]}\n      - {protocol: TCP, port: 81, backends: ["web:8080"]}',
        )
        + "  - {from: c, to: web:8080, src_port: 81}\n"
    )
    outcomes = [(o.kind, o.what, o.old, o.new) for o in diff(old, new).outcomes]
    assert ("flow", "c -> web:8080 (TCP, source port 81)", None, "denied") in outcomes
    assert ("flow", "c -> web:8080 (TCP, source port 80)", "denied", None) in outcomes
    assert ("health_check", "clb-1:TCP:81 on web:8080", None, "healthy") in outcomes


def test_the_example_packet_is_a_named_host_inside_the_region() -> None:
    old = load_text(GROUP.replace("RULES", "0.0.0.0/0 + 80 allow") + "clients:\n  c: 192.0.2.7\n")
    new = load_text(GROUP.replace("RULES", "") + "clients:\n  c: 192.0.2.7\n")
    (change,) = diff(old, new).changes
    assert str(change.example) == "TCP:80 from 192.0.2.7/32"


def test_group_compares_that_groups_rules_only_and_says_so() -> None:
    swapped = BOUND.replace("[sg-block, sg-open]", "[sg-open, sg-block]")
    result = diff(load_text(BOUND), load_text(swapped), group="sg-block")
    assert result.equivalent
    text = render_diff_text("a.yaml", "b.yaml", result)
    assert "equivalent for security group sg-block" in text
    assert "compares that group's rules only" in text
    assert json.loads(render_diff_json(result))["group"] == "sg-block"


def test_json_adds_kind_where_bound_and_setup() -> None:
    swapped = BOUND.replace("[sg-block, sg-open]", "[sg-open, sg-block]").replace(
        "ip: 10.0.1.10", "ip: 10.0.1.11"
    )
    document = json.loads(render_diff_json(diff(load_text(BOUND), load_text(swapped))))
    region = document["regions"][0]
    assert region["kind"] == "instance"
    assert region["group"] is None
    assert region["bound"] == {"old": ["sg-block", "sg-open"], "new": ["sg-open", "sg-block"]}
    assert region["direction"] == str(Direction.INBOUND)
    assert region["old"] == {
        "action": "DROP",
        "group": "sg-block",
        "index": 0,
        "rule": "203.0.113.5 + 8080 drop",
    }
    assert document["setup"] == [
        {"what": "instance web: ip", "old": "10.0.1.10", "new": "10.0.1.11"}
    ]
