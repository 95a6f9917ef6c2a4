"""Properties of lint and diff against the evaluator on random rule sets.

- removing every rule lint calls shadowed or redundant changes no verdict, and on whole
  scenarios removing every rule lint says to delete changes what no instance accepts;
- diff reports two groups, two network ACLs, or an instance's groups bound in two orders or
  changed, equivalent exactly when no packet gets different verdicts, and every region it
  reports holds a packet that really changes.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace

from hypothesis import event, given
from hypothesis import strategies as st

from simulator.analysis.diff import Change, Kind, diff
from simulator.analysis.lint import lint
from simulator.analysis.regions import accepted
from simulator.evaluate import Packet, RuleRef, first_match, ordered
from simulator.model import Action, Direction, Protocol, Scenario
from simulator.scenario import load_text
from simulator.strategies import scenario_texts

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


def acl_scenario(texts: list[str]) -> str:
    listed = ", ".join(f"'{t}'" for t in texts)
    return (
        "title: p\ninstances:\n  web: {ip: 10.9.9.9, security_groups: [], subnet: sn}\n"
        f"network_acls:\n  acl:\n    subnets: [sn]\n    inbound: [{listed}]\n"
    )


def acl_verdicts(texts: list[str]) -> list[Action]:
    acl = load_text(acl_scenario(texts)).network_acls[0]
    refs = ordered([("acl", acl.inbound)], Direction.INBOUND)
    return [decide(refs, packet, Direction.INBOUND) for packet in PACKETS]


def decide(
    refs: list[RuleRef] | None, packet: tuple[Protocol, str, int | None], direction: Direction
) -> Action:
    """First match of one packet from (inbound) or to (outbound) a peer; None: not filtered."""
    if refs is None:
        return Action.ACCEPT
    protocol, address, port = packet
    peer, host = ipaddress.ip_network(address), ipaddress.ip_network("10.9.9.9/32")
    src, dst = (peer, host) if direction is Direction.INBOUND else (host, peer)
    return first_match(refs, Packet(protocol, src, dst, 50000, port), direction).action


@given(rules, rules)
def test_diff_of_acls_is_equivalent_exactly_when_no_packet_differs(
    old: list[str], new: list[str]
) -> None:
    result = diff(load_text(acl_scenario(old)), load_text(acl_scenario(new)))
    if result.equivalent:
        assert acl_verdicts(old) == acl_verdicts(new)
    for change in result.changes:
        assert change.kind is Kind.NETWORK_ACL
        protocol, address, port = change.example.example()
        for texts, want in ((old, change.old.action), (new, change.new.action)):
            acl = load_text(acl_scenario(texts)).network_acls[0]
            refs = ordered([("acl", acl.rules(change.direction))], change.direction)
            assert decide(refs, (protocol, str(address), port), change.direction) is want


GROUP_NAMES = ["g1", "g2", "g3"]


def bound_scenario(groups: dict[str, list[str]], bound: list[str]) -> str:
    lines = [
        "title: p",
        "instances:",
        f"  web: {{ip: 10.9.9.9, security_groups: [{', '.join(bound)}]}}",
        "security_groups:",
    ]
    for name in GROUP_NAMES:
        listed = ", ".join(f"'{t}'" for t in groups[name])
        lines.append(f"  {name}: {{inbound: [{listed}]}}")
    return "\n".join(lines) + "\n"


def bound_refs(scenario: Scenario, direction: Direction) -> list[RuleRef] | None:
    """The instance's groups as one list in binding order; None where none is bound."""
    names = scenario.instances[0].security_groups
    if not names:
        return None
    return ordered([(n, scenario.security_group(n).rules(direction)) for n in names], direction)


def holds(change: Change, packet: tuple[Protocol, str, int | None]) -> bool:
    protocol, address, port = packet
    peer = ipaddress.ip_address(address)
    return any(
        box.protocol is protocol
        and box.family == peer.version
        and box.lo <= int(peer) <= box.hi
        and (port is None or box.plo <= port <= box.phi)
        for box in change.space
    )


def own_list(change: Change, scenario: Scenario) -> list[RuleRef] | None:
    """The list a row of diff speaks of: the group alone, or the instance's groups."""
    if change.kind is Kind.INSTANCE:
        return bound_refs(scenario, change.direction)
    group = scenario.security_group(change.group)
    return ordered([(group.name, group.rules(change.direction))], change.direction)


groups_rules = st.fixed_dictionaries(dict.fromkeys(GROUP_NAMES, rules))


@given(
    groups_rules,
    st.lists(st.sampled_from(GROUP_NAMES), unique=True, min_size=2, max_size=3),
    st.randoms(use_true_random=False),
)
def test_binding_order_is_equivalent_exactly_when_no_packet_differs(
    groups: dict[str, list[str]], bound: list[str], rng: random.Random
) -> None:
    """The same groups bound in another order: equivalent iff first match over the two
    concatenations never disagrees, and each row's packet does disagree."""
    swapped = rng.sample(bound, len(bound))
    old, new = load_text(bound_scenario(groups, bound)), load_text(bound_scenario(groups, swapped))
    result = diff(old, new)
    before, after = bound_refs(old, Direction.INBOUND), bound_refs(new, Direction.INBOUND)
    same = all(
        decide(before, p, Direction.INBOUND) is decide(after, p, Direction.INBOUND) for p in PACKETS
    )
    event("order changes verdicts" if not same else "order changes nothing")
    assert result.equivalent is (not result.changes)  # no setup line for a new binding order
    if result.equivalent:
        assert same
    for change in result.changes:
        assert change.kind is Kind.INSTANCE
        protocol, address, port = change.example.example()
        packet = (protocol, str(address), port)
        assert (
            decide(bound_refs(old, change.direction), packet, change.direction) is change.old.action
        )
        assert (
            decide(bound_refs(new, change.direction), packet, change.direction) is change.new.action
        )


@given(
    groups_rules,
    groups_rules,
    st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=3),
    st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=3),
)
def test_every_packet_an_instance_decides_differently_lies_in_a_row(
    old_groups: dict[str, list[str]],
    new_groups: dict[str, list[str]],
    old_bound: list[str],
    new_bound: list[str],
) -> None:
    """Groups changed and bound anew: a packet the instance decides differently lies in some
    row (its groups' own or the binding's), and every row's packet changes in its own list."""
    old = load_text(bound_scenario(old_groups, old_bound))
    new = load_text(bound_scenario(new_groups, new_bound))
    result = diff(old, new)
    before, after = bound_refs(old, Direction.INBOUND), bound_refs(new, Direction.INBOUND)
    for packet in PACKETS:
        if decide(before, packet, Direction.INBOUND) is not decide(
            after, packet, Direction.INBOUND
        ):
            assert any(
                c.direction is Direction.INBOUND and holds(c, packet) for c in result.changes
            )
    for change in result.changes:
        protocol, address, port = change.example.example()
        assert holds(change, (protocol, str(address), port))
        packet = (protocol, str(address), port)
        assert decide(own_list(change, old), packet, change.direction) is change.old.action
        assert decide(own_list(change, new), packet, change.direction) is change.new.action


#: Instances in several groups, and nothing else: what the property below reads.
GROUPED_INSTANCES = scenario_texts(
    min_instances=2,
    family=None,
    max_rules=4,
    load_balancers=False,
    network_acls=False,
    flows=False,
)


@given(GROUPED_INSTANCES)
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
