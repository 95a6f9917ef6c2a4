"""Properties of lint and diff against the evaluator on random rule sets.

- removing every rule lint calls shadowed or redundant changes no verdict, and on whole
  scenarios removing every rule lint says to delete changes what no instance accepts;
- diff reports two groups equivalent exactly when no packet gets different verdicts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from hypothesis import event, given
from hypothesis import strategies as st

from simulator.analysis.diff import diff
from simulator.analysis.lint import lint
from simulator.analysis.regions import accepted
from simulator.evaluate import Packet, first_match, ordered
from simulator.model import Action, Direction, Protocol
from simulator.scenario import load_text
from tests.test_properties import sg_scenarios

NETS = [
    "10.0.0.0/8",
    "10.0.0.0/9",
    "10.128.0.0/9",
    "10.1.0.0/16",
    "10.1.2.3",
    "0.0.0.0/0",
    "192.0.2.0/24",
]
SERVICES = ["80", "80-90", "85-100", "TCP:ALL", "UDP:53", "ICMP", "ALL", "80,443"]
ADDRESSES = ["10.0.0.1", "10.1.2.3", "10.1.9.9", "10.200.0.1", "192.0.2.7", "8.8.8.8"]
PACKETS = [
    (protocol, address, port)
    for address in ADDRESSES
    for protocol, port in [(Protocol.TCP, 80), (Protocol.TCP, 85), (Protocol.TCP, 443), (Protocol.TCP, 95),
                           (Protocol.UDP, 53), (Protocol.ICMP, None), (Protocol.GRE, None)]
]  # fmt: skip

rules = st.lists(
    st.builds(
        lambda net, service, action: f"{net} + {service} {action}",
        st.sampled_from(NETS),
        st.sampled_from(SERVICES),
        st.sampled_from(["allow", "drop"]),
    ),
    max_size=8,
)


def scenario(texts: list[str]) -> str:
    listed = ", ".join(f"'{t}'" for t in texts)
    return f"title: p\nsecurity_groups:\n  sg:\n    inbound: [{listed}]\n"


def verdicts(texts: list[str]) -> list[Action]:
    group = load_text(scenario(texts)).security_groups[0]
    refs = ordered([("sg", group.inbound)], Direction.INBOUND)
    dst = ipaddress.ip_network("10.9.9.9/32")
    return [
        first_match(
            refs, Packet(p, ipaddress.ip_network(a), dst, 50000, port), Direction.INBOUND
        ).action
        for p, a, port in PACKETS
    ]


@given(rules)
def test_removing_rules_that_never_apply_changes_no_verdict(texts: list[str]) -> None:
    findings = lint(load_text(scenario(texts)))
    dead = {
        f.index for f in findings if f.kind in ("shadowed", "redundant", "blocklist-below-accept")
    }
    kept = [t for i, t in enumerate(texts) if i not in dead]
    assert verdicts(kept) == verdicts(texts)


@given(rules, rules)
def test_diff_is_equivalent_exactly_when_no_packet_differs(old: list[str], new: list[str]) -> None:
    result = diff(load_text(scenario(old)), load_text(scenario(new)), group="sg")
    same = verdicts(old) == verdicts(new)
    if result.equivalent:
        assert same
    for change in result.changes:  # every region diff names really changes verdict
        protocol, address, port = change.example.example()
        assert change.old.action is not change.new.action
        for texts, want in ((old, change.old.action), (new, change.new.action)):
            group = load_text(scenario(texts)).security_groups[0]
            refs = ordered([("sg", group.inbound)], change.direction)
            packet = Packet(
                protocol,
                ipaddress.ip_network(address),
                ipaddress.ip_network("10.9.9.9/32"),
                50000,
                port,
            )
            assert first_match(refs, packet, change.direction).action is want


@given(sg_scenarios())
def test_deleting_what_lint_says_to_delete_changes_nothing_anywhere(text: str) -> None:
    """On random scenarios whose instances bind several groups: every rule lint says to
    delete can go, and every instance accepts exactly the packets it accepted before."""
    before = load_text(text, "p.yaml")
    doomed = {
        (f.group, f.direction, f.index)
        for f in lint(before)
        if f.fix and f.fix.startswith("delete it") and not f.acl
    }
    event(f"{min(len(doomed), 3)}{'+' if len(doomed) > 2 else ''} rules to delete")
    after = replace(
        before,
        security_groups=tuple(
            replace(
                g,
                inbound=tuple(
                    r
                    for i, r in enumerate(g.inbound)
                    if (g.name, Direction.INBOUND, i) not in doomed
                ),
                outbound=tuple(
                    r
                    for i, r in enumerate(g.outbound)
                    if (g.name, Direction.OUTBOUND, i) not in doomed
                ),
            )
            for g in before.security_groups
        ),
    )
    for instance in before.instances:
        for direction in Direction:
            old, new = (
                accepted(
                    ordered(
                        [
                            (n, s.security_group(n).rules(direction))
                            for n in instance.security_groups
                        ],
                        direction,
                    )
                )
                for s in (before, after)
            )
            assert old.covers(new) and new.covers(old), (instance.name, direction)
