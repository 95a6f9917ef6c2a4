"""Whole scenarios: hosts, groups, ACLs, load balancers and flows whose names agree.

A scenario is drawn as a ``Plan`` (see _plan.py), in an order that lets every part name the
parts before it: the family; instances (in subnets); clients; which subnets have an ACL; load
balancers (backends among the instances), maybe with a split listener (see _split.py);
security groups with their rules (peers among the names so far, ports among the ports so
far), then the bindings; the ACLs' rules; flows. A binding is drawn with its instance or load
balancer, as the place of a group in the list, and resolved once the groups are drawn, so
that shrinking can drop a group with all its rules. Every count and choice shrinks to none,
or to the first and simplest value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

from ..model import Scenario
from ..scenario import load_text
from . import _validation as check
from ._parts import (
    ANYWHERE,
    CLIENT_IPS,
    ELSEWHERE,
    ICMP,
    INSTANCE_CEILING,
    MAX_BALANCERS,
    MAX_CLIENTS,
    MAX_FLOWS,
    WIDE,
    Drawn,
    Options,
    balancer_heads,
    flow_plans,
    instance_ip,
    instance_specs,
    named,
    now_and_then,
    subnet_cidr,
    subnet_name,
)
from ._plan import FlowPlan, HostPlan, Plan, RuleItem, RulesPlan, render
from ._split import Split, make_split, split_bindings, split_flow, splits

FILE = "drawn.yaml"


@dataclass(frozen=True, slots=True)
class _RuleDraw:
    """A rule before its peer is resolved: an int peer is a security group's place."""

    peer: str | int
    protocol: str
    ports: str | None
    accept: bool
    structured: bool
    described: bool

    def written(self, groups: list[str]) -> RuleItem:
        peer = self.peer if isinstance(self.peer, str) else groups[min(self.peer, len(groups) - 1)]
        action = "allow" if self.accept else "drop"
        if self.structured:
            items = [("peer", peer), ("protocol", self.protocol)]
            items += [("port", self.ports)] if self.ports is not None else []
            items.append(("action", "ACCEPT" if self.accept else "DROP"))
            items += [("description", "drawn rule")] if self.described else []
            return tuple(items)
        if self.protocol == "TCP" and self.ports is not None:
            service = self.ports  # the seed's bare ports mean TCP
        elif self.protocol in ("TCP", "UDP"):
            service = f"{self.protocol}:{self.ports or 'ALL'}"
        else:
            service = self.protocol
        return f"{peer} + {service} {action}"


@st.composite
def _plans(draw: st.DrawFn, options: Options) -> Plan:
    drawn = Drawn(version=draw(st.sampled_from(options.families)))
    bindings = _hosts(draw, drawn, options)
    lb_bindings, split = _balancers(draw, drawn, options)
    group_peers = _peers(drawn, groups=range(options.max_groups))
    rule_lists = draw(
        st.lists(
            _directions(group_peers, _services(drawn), options),
            min_size=0 if split is None else 1,  # a group tells the split's backends apart
            max_size=options.max_groups,
        )
    )
    drawn.groups = [f"sg-{k + 1}" for k in range(len(rule_lists))]
    if split is not None:
        bindings = split_bindings(drawn, bindings, split)
    groups = [
        _written(name, lists, drawn.groups)
        for name, lists in zip(drawn.groups, rule_lists, strict=True)
    ]
    drawn.instances = [
        replace(host, groups=drawn.bound(places))
        for host, places in zip(drawn.instances, bindings, strict=True)
    ]
    drawn.balancers = [
        replace(lb, groups=drawn.bound(places))
        for lb, places in zip(drawn.balancers, lb_bindings, strict=True)
    ]
    acl_peers = _peers(drawn, groups=range(0))  # ACLs take no security groups
    acl_services = _services(drawn, acl=True)
    acls = [
        _written(f"acl-{k + 1}", draw(_directions(acl_peers, acl_services, options)), [], subnet)
        for k, subnet in enumerate(drawn.acl_subnets)
    ]
    return Plan(
        tuple(drawn.clients),
        tuple(drawn.instances),
        tuple(drawn.balancers),
        tuple(groups),
        tuple(acls),
        tuple(_flows(draw, drawn, options, split)),
    )


def _balancers(
    draw: st.DrawFn, drawn: Drawn, options: Options
) -> tuple[list[tuple[int, ...]], Split | None]:
    """Load balancers, half the time with a split listener; the places of their groups."""
    if not (options.load_balancers and drawn.instances):
        return [], None
    heads = draw(st.lists(balancer_heads(drawn, options), max_size=MAX_BALANCERS))
    drawn.balancers = [named(lb, k, drawn.version) for k, (lb, _) in enumerate(heads)]
    lb_bindings = [places for _, places in heads]
    split = draw(splits(drawn, options))
    if split is None:
        return lb_bindings, None
    return make_split(drawn, lb_bindings, split), split


def _flows(draw: st.DrawFn, drawn: Drawn, options: Options, split: Split | None) -> list[FlowPlan]:
    """One to four flows, the split's first; those with a name named after their place."""
    if not options.flows:
        return []
    flows = [] if split is None else [split_flow(drawn, split)]
    flows += draw(
        st.lists(flow_plans(drawn), min_size=1 - len(flows), max_size=MAX_FLOWS - len(flows))
    )
    return [f if f.name is None else replace(f, name=f"flow-{k + 1}") for k, f in enumerate(flows)]


def _hosts(draw: st.DrawFn, drawn: Drawn, options: Options) -> list[tuple[int, ...]]:
    """Instances, clients and the subnets with an ACL; the places of each instance's groups."""
    specs = draw(
        st.lists(
            instance_specs(options), min_size=options.min_instances, max_size=options.max_instances
        )
    )
    drawn.instances = [
        HostPlan(f"rs-{i + 1}", instance_ip(drawn.version, s, i), (), subnet_name(s), r)
        for i, (s, _, r) in enumerate(specs)
    ]
    least = 1 if options.flows and not drawn.instances else 0  # a flow needs a source
    drawn.clients = [
        HostPlan(f"client-{i + 1}", CLIENT_IPS[drawn.version][i])
        for i in range(draw(st.integers(least, MAX_CLIENTS)))
    ]
    if options.network_acls:
        used = sorted({i.subnet for i in drawn.instances if i.subnet})
        drawn.acl_subnets = [s for s in used if draw(st.booleans())]
    return [places for _, places, _ in specs]


def _written(
    name: str,
    lists: tuple[list[_RuleDraw], list[_RuleDraw]],
    groups: list[str],
    subnet: str | None = None,
) -> RulesPlan:
    """A group (or, with its ``subnet``, an ACL) with its rules as written."""
    inbound, outbound = (tuple(rule.written(groups) for rule in rules) for rules in lists)
    return RulesPlan(name, inbound, outbound, None if subnet is None else (subnet,))


def _peers(drawn: Drawn, *, groups: range) -> list[str | int]:
    """What a rule's peer may be, the catch-all first; ``groups``: the places of security
    groups it may name (none for an ACL)."""
    version = drawn.version
    hosts = [f"{h.name} IP" for h in (*drawn.clients, *drawn.instances)]
    if len(drawn.balancers) == 1:
        vips = ["CLB VIP"]
    else:
        vips = [f"{lb.name} VIP" for lb in drawn.balancers]
    subnets = sorted({i.subnet for i in drawn.instances if i.subnet})
    cidrs = [subnet_cidr(version, int(s.rpartition("-")[2])) for s in subnets]
    return [ANYWHERE[version], *hosts, *vips, *groups, *cidrs, *WIDE[version], ELSEWHERE[version]]


def _services(drawn: Drawn, *, acl: bool = False) -> list[tuple[str, str | None]]:
    """(protocol, ports or None for all) a rule may name: the scenario's ports first."""
    tcp = [("TCP", str(p)) for p in drawn.ports() or [80]]
    more: list[tuple[str, str | None]] = [
        ("TCP", "22"), ("TCP", "80,443"), ("TCP", "8000-8100"), ("TCP", None),
        ("UDP", "53"), ("UDP", None), ("ALL", None), (ICMP[drawn.version], None), ("GRE", None),
    ]  # fmt: skip
    if acl:  # replies to clients come back to their ephemeral ports (§2.1)
        more[:0] = [("TCP", "1024-65535"), ("UDP", "1024-65535")]
    return list(dict.fromkeys([*tcp, *more]))


def _directions(
    peers: list[str | int], services: list[tuple[str, str | None]], options: Options
) -> st.SearchStrategy[tuple[list[_RuleDraw], list[_RuleDraw]]]:
    """The inbound and the outbound rules of one group or ACL."""
    one = st.lists(
        _rule_draws(st.sampled_from(peers), st.sampled_from(services)), max_size=options.max_rules
    )
    return st.tuples(one, one)


_ACCEPT_FIRST = st.sampled_from([True, False])


@st.composite
def _rule_draws(
    draw: st.DrawFn,
    peers: st.SearchStrategy[str | int],
    services: st.SearchStrategy[tuple[str, str | None]],
) -> _RuleDraw:
    """One rule, in the seed notation or now and then as a structured mapping."""
    protocol, ports = draw(services)
    return _RuleDraw(
        peer=draw(peers),
        protocol=protocol,
        ports=ports,
        accept=draw(_ACCEPT_FIRST),
        structured=now_and_then(draw),
        described=draw(st.booleans()),
    )


def scenario_texts(
    *,
    min_instances: int = 1,
    max_instances: int = 3,
    load_balancers: bool = True,
    network_acls: bool = True,
    health_checks: bool = True,
    family: int | None = 4,
    max_groups: int = 3,
    max_rules: int = 3,
    flows: bool = True,
) -> st.SearchStrategy[str]:
    """The YAML text of valid scenario files; ``scenarios`` takes the same arguments.

    Between ``min_instances`` and ``max_instances`` instances, each bound to some of up to
    ``max_groups`` security groups in binding order, with up to ``max_rules`` rules in each
    direction; up to two clients; with ``network_acls``, subnets and their network ACLs; with
    ``load_balancers``, up to two CLBs (public or private, VPC or basic network, classic or not,
    some with groups of their own or bypassing the backends' groups) with layer-4 and layer-7
    listeners whose backends are among the instances, in half the scenarios where it can be
    one listener split over an instance in no group and one in a group, with a client's flow
    to it, so that ``partial`` verdicts are common (see _split.py); with ``health_checks``,
    listeners whose checks have a port, a source, a protocol or are off (else every listener
    keeps the default check); with ``flows``, one to four flows to listeners, instances' ports
    and an outside address. ``family`` is 4, 6 or None (each scenario one or the other).
    """
    checked = Options(
        *check.bounds(
            min_instances, max_instances, "min_instances", "max_instances", 0, INSTANCE_CEILING
        ),
        load_balancers=check.flag(load_balancers, "load_balancers"),
        network_acls=check.flag(network_acls, "network_acls"),
        health_checks=check.flag(health_checks, "health_checks"),
        families=check.families(family),
        max_groups=check.integer(max_groups, "max_groups", 0, 50),
        max_rules=check.integer(max_rules, "max_rules", 0, 100),
        flows=check.flag(flows, "flows"),
    )
    return _plans(checked).map(render)


def scenarios(
    *,
    min_instances: int = 1,
    max_instances: int = 3,
    load_balancers: bool = True,
    network_acls: bool = True,
    health_checks: bool = True,
    family: int | None = 4,
    max_groups: int = 3,
    max_rules: int = 3,
    flows: bool = True,
) -> st.SearchStrategy[Scenario]:
    """Valid scenarios, as ``load_text`` reads the text ``scenario_texts`` draws (file
    ``drawn.yaml``), so every rule and host has the line it is written on."""
    texts = scenario_texts(
        min_instances=min_instances,
        max_instances=max_instances,
        load_balancers=load_balancers,
        network_acls=network_acls,
        health_checks=health_checks,
        family=family,
        max_groups=max_groups,
        max_rules=max_rules,
        flows=flows,
    )
    return texts.map(lambda text: load_text(text, FILE))
