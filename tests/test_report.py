"""Reports: the deciding rule in words, and the table and JSON as renderings of one result."""

from __future__ import annotations

import json

from simulator.model import Checkpoint, Decision, Direction, Leg
from simulator.report import describe, render_json, render_table, render_trace
from simulator.results import Hop
from simulator.scenario import load_text
from simulator.simulate import simulate

PACKET = "TCP 203.0.113.10:50000 -> 10.0.1.11:8080"


def hop(**changes: object) -> Hop:
    base: dict[str, object] = {
        "node": "rs-1",
        "checkpoint": Checkpoint.SECURITY_GROUP,
        "direction": Direction.INBOUND,
        "decision": Decision.DROP,
        "reason": "why",
        "leg": Leg.REQUEST,
        "packet": PACKET,
    }
    base.update(changes)
    return Hop(**base)  # type: ignore[arg-type]


def test_describe_names_the_rule_with_its_zero_based_index() -> None:
    assert describe(hop(group="sg-web", index=3, rule="0.0.0.0/0 + 8080 drop")) == (
        "sg-web inbound #3: 0.0.0.0/0 + 8080 drop"
    )
    assert describe(hop(group="sg-a, sg-b")) == "sg-a, sg-b inbound: no rule matched, default DROP"
    acl = hop(checkpoint=Checkpoint.NETWORK_ACL, group="acl-web", direction=Direction.OUTBOUND)
    assert describe(acl) == "acl-web outbound: no rule matched, default DROP"
    partly = hop(group="sg", partly=True, short="100.127.0.0/16 only partly allowed (§3.6)")
    assert (
        describe(partly)
        == "sg inbound: 100.127.0.0/16 only partly allowed (§3.6); the rest: default DROP"
    )
    loop = hop(checkpoint=Checkpoint.LOOPBACK, direction=None, short="loopback (§3.10)")
    assert describe(loop) == "rs-1: loopback (§3.10)"
    assert describe(None) == "-"


TEXT = """title: report
clients: {a: 203.0.113.10}
instances: {rs-1: {ip: 10.0.1.11, security_groups: [sg]}}
security_groups: {sg: {inbound: [a IP + 22 allow]}}
flows:
  - {from: a, to: rs-1:22, expect: allowed}
  - {from: a, to: rs-1:80, expect: allowed}
"""


def test_table_and_json_say_the_same() -> None:
    result = simulate(load_text(TEXT, "r.yaml"))
    table = render_table([result])
    document = json.loads(render_json([result]))
    flows = document["scenarios"][0]["flows"]
    assert [f["verdict"] for f in flows] == ["allowed", "denied"]
    assert [f["ok"] for f in flows] == [True, False]
    for flow in flows:
        assert flow["decided_by"] in table
    assert "FAILED: 1 of 2 expectations do not hold" in table
    assert document["ok"] is False


def test_trace_numbers_request_and_reply_hops() -> None:
    result = simulate(load_text(TEXT, "r.yaml"))
    text = render_trace(result.flows[0])
    assert text.splitlines()[0] == "a -> rs-1:22 (TCP): allowed"
    assert "  1  request" in text and "  2  reply" in text
    assert text.rstrip().endswith("decided by: sg inbound #0: a IP + 22 allow")
