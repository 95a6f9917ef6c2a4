"""Simulation: one small scenario per point of SEMANTICS.md, verdicts worked out by hand."""

from __future__ import annotations

import textwrap

import pytest

from simulator.errors import ScenarioError
from simulator.model import Checkpoint, Decision, Health, Leg, Verdict
from simulator.results import FlowResult, HealthResult, ScenarioResult
from simulator.scenario import load_text
from simulator.simulate import simulate

BASE = """
title: test
clients:
  alice: 203.0.113.10
  bob: 198.51.100.20
instances:
  rs-1: {{ip: 10.0.1.11, security_groups: [sg-a], subnet: web{running1}}}
  rs-2: {{ip: 10.0.1.12, security_groups: [{groups2}], subnet: web}}
  app: {{ip: 10.0.2.5, security_groups: [sg-app], subnet: app}}
load_balancers:
  clb:
    type: {type}
    vip: 119.28.10.10
{lb_extra}
    listeners:
      - protocol: {protocol}
        port: 80
        backends: [rs-1:8080, rs-2:8080]
{listener_extra}
security_groups:
  sg-a:
    outbound: [0.0.0.0/0 + ALL accept]
    inbound:
{inbound}
  sg-b:
    inbound:
{inbound2}
  sg-app:
    outbound: [{app_out}]
{acls}
flows:
{flows}
"""


def run(
    inbound: str = "- 0.0.0.0/0 + 8080 allow",
    inbound2: str = "- 0.0.0.0/0 + 8080 allow",
    flows: str = "- {from: alice, to: clb:80}",
    type: str = "public",
    protocol: str = "TCP",
    lb_extra: str = "",
    listener_extra: str = "",
    groups2: str = "sg-a",
    app_out: str = "0.0.0.0/0 + ALL accept",
    acls: str = "",
    running1: str = "",
) -> ScenarioResult:
    text = BASE.format(
        inbound=textwrap.indent(inbound, "      "),
        inbound2=textwrap.indent(inbound2, "      "),
        flows=textwrap.indent(flows, "  "),
        type=type,
        protocol=protocol,
        lb_extra=textwrap.indent(lb_extra, "    "),
        listener_extra=textwrap.indent(listener_extra, "        "),
        groups2=groups2,
        app_out=app_out,
        acls=acls,
        running1=running1,
    )
    return simulate(load_text(text, "test.yaml"))


def flow(result: ScenarioResult, index: int = 0) -> FlowResult:
    return result.flows[index]


def check(result: ScenarioResult, backend: str = "rs-1") -> HealthResult:
    return next(h for h in result.health_checks if h.backend.instance == backend)


# -- security groups (§1) -----------------------------------------------------------------
def test_first_match_decides_and_later_rules_are_never_read() -> None:
    result = run(inbound="- 0.0.0.0/0 + 8080 drop\n- alice IP + 8080 allow")
    hop = flow(result).paths[0].blocked_at
    assert flow(result).verdict is Verdict.DENIED
    assert hop is not None and (hop.group, hop.index, hop.rule) == (
        "sg-a",
        0,
        "0.0.0.0/0 + 8080 drop",
    )


def test_no_matching_rule_is_a_default_drop() -> None:
    result = run(inbound="- bob IP + 8080 allow")
    hop = flow(result).paths[0].blocked_at
    assert hop is not None and hop.index is None and hop.rule is None
    assert hop.decision is Decision.DROP and "default DROP" in hop.reason


def test_several_groups_are_one_list_in_binding_order() -> None:
    result = run(
        inbound="- alice IP + 8080 drop", inbound2="- 0.0.0.0/0 + 8080 allow", groups2="sg-a, sg-b"
    )
    rs2 = next(p for p in flow(result).paths if p.backend == "rs-2")
    assert rs2.blocked_at is not None and rs2.blocked_at.group == "sg-a"
    result = run(
        inbound="- bob IP + 8080 drop", inbound2="- alice IP + 8080 allow", groups2="sg-a, sg-b"
    )
    rs2 = next(p for p in flow(result).paths if p.backend == "rs-2")
    assert rs2.verdict is Verdict.ALLOWED
    assert rs2.deciding_hop is not None and rs2.deciding_hop.group == "sg-b"


def test_replies_pass_security_groups_by_state() -> None:
    result = run()  # no outbound rules on sg-a: the reply still leaves
    hops = flow(result).paths[0].hops
    replies = [h for h in hops if h.leg is Leg.REPLY]
    assert replies and all(h.decision is Decision.ACCEPT for h in replies)
    assert any("established" in h.reason for h in replies)


def test_client_instance_needs_its_own_outbound_rule() -> None:
    result = run(flows="- {from: app, to: clb:80}", app_out="CLB VIP + 8080 allow")
    hop = flow(result).paths[0].blocked_at
    assert flow(result).verdict is Verdict.DENIED
    assert hop is not None and hop.node == "app" and hop.direction == "outbound"
    assert (
        run(flows="- {from: app, to: clb:80}", app_out="CLB VIP + 80 allow").flows[0].verdict
        is Verdict.ALLOWED
    )


# -- network ACLs (§2) --------------------------------------------------------------------
ACL = """
network_acls:
  acl-web:
    subnets: [web]
    inbound: [0.0.0.0/0 + 8080 allow, 0.0.0.0/0 + 22 allow]
    outbound: [0.0.0.0/0 + {ports} allow]
"""


def test_stateless_acl_checks_the_reply_to_the_ephemeral_port() -> None:
    flows = "- {from: alice, to: rs-1:8080}\n- {from: alice, to: rs-1:8080, src_port: 1000}"
    result = run(flows=flows, acls=ACL.format(ports="1024-65535"))
    assert flow(result, 0).verdict is Verdict.ALLOWED
    blocked = flow(result, 1).paths[0].blocked_at
    assert blocked is not None and blocked.leg is Leg.REPLY
    assert blocked.checkpoint is Checkpoint.NETWORK_ACL and blocked.direction == "outbound"
    assert blocked.packet == "TCP 10.0.1.11:8080 -> 203.0.113.10:1000"


def test_acl_is_not_bypassed_by_health_checks() -> None:
    result = run(acls=ACL.format(ports="80"))
    assert check(result).status is Health.UNHEALTHY
    hop = check(result).blocked_at
    assert hop is not None and hop.leg is Leg.REPLY and "deny-all" in hop.reason


def test_acl_does_not_filter_inside_its_subnet() -> None:
    acl = "network_acls:\n  acl-web:\n    subnets: [web]\n    inbound: []\n    outbound: []\n"
    result = run(flows="- {from: rs-2, to: rs-1:8080}\n- {from: alice, to: rs-1:8080}", acls=acl)
    assert flow(result, 0).verdict is Verdict.ALLOWED
    assert flow(result, 1).verdict is Verdict.DENIED


# -- the CLB (§3) -------------------------------------------------------------------------
def test_a_port_without_a_listener_goes_nowhere() -> None:
    result = run(flows="- {from: alice, to: clb:81}")
    hop = flow(result).paths[0].blocked_at
    assert hop is not None and hop.checkpoint is Checkpoint.LISTENER
    assert flow(result).paths[0].backend is None


def test_clb_groups_filter_clients_on_the_listener_port() -> None:
    extra = "security_groups: [sg-b]"
    result = run(
        inbound2="- alice IP + 80 allow",
        lb_extra=extra,
        flows="- {from: alice, to: clb:80}\n- {from: bob, to: clb:80}",
    )
    assert flow(result, 0).verdict is Verdict.ALLOWED
    hop = flow(result, 1).paths[0].blocked_at
    assert hop is not None and hop.checkpoint is Checkpoint.CLB_SECURITY_GROUP


def test_layer7_persistent_connections_come_from_100_127() -> None:
    extra = "persistent_connections: true"
    only_client = run(
        protocol="HTTP",
        listener_extra=extra,
        inbound="- alice IP + 8080 allow\n- CLB VIP + 8080 allow",
    )
    assert flow(only_client).verdict is Verdict.DENIED
    whole = run(
        protocol="HTTP",
        listener_extra=extra,
        inbound="- 100.127.0.0/16 + 8080 allow\n- CLB VIP + 8080 allow",
    )
    assert flow(whole).verdict is Verdict.ALLOWED
    half = run(
        protocol="HTTP",
        listener_extra=extra,
        inbound="- 100.127.0.0/17 + 8080 allow\n- CLB VIP + 8080 allow",
    )
    hop = flow(half).paths[0].blocked_at
    assert flow(half).verdict is Verdict.DENIED
    assert hop is not None and hop.partly and "100.127.128.0/17" in hop.reason


def test_classic_private_clb_before_2016_snats_clients_to_the_vip() -> None:
    extra = "classic: true\ncreated: 2015-06-01"
    result = run(type="private", lb_extra=extra, inbound="- alice IP + 8080 allow")
    assert flow(result).verdict is Verdict.DENIED
    assert check(result).source == "119.28.10.10"
    assert check(result).status is Health.UNHEALTHY
    result = run(type="private", lb_extra=extra, inbound="- CLB VIP + 8080 allow")
    assert flow(result).verdict is Verdict.ALLOWED


def test_bypass_skips_backend_groups_but_not_direct_traffic() -> None:
    result = run(
        inbound="- 0.0.0.0/0 + ALL drop",
        lb_extra="bypass_backend_security_groups: true",
        flows="- {from: alice, to: clb:80}\n- {from: alice, to: rs-1:8080}",
    )
    assert flow(result, 0).verdict is Verdict.ALLOWED
    assert any(h.decision is Decision.BYPASS for h in flow(result, 0).paths[0].hops)
    assert flow(result, 1).verdict is Verdict.DENIED
    assert check(result).status is Health.HEALTHY


def test_health_check_sources_by_clb_kind() -> None:
    drop_all = "- 0.0.0.0/0 + ALL drop"
    assert check(run(inbound=drop_all)).source == "119.28.10.10"
    assert check(run(inbound=drop_all)).status is Health.UNHEALTHY
    assert check(run(inbound=drop_all, type="private")).status is Health.UNHEALTHY
    basic = check(run(inbound=drop_all, type="private", lb_extra="network: basic"))
    assert (basic.source, basic.status) == ("physical host", Health.HEALTHY)
    classic = check(run(inbound=drop_all, type="private", lb_extra="classic: true"))
    assert (classic.source, classic.status) == ("169.254.128.0/17", Health.HEALTHY)
    cgnat = check(run(inbound=drop_all, listener_extra="health_check: {source: 100.64.0.0/10}"))
    assert (cgnat.source, cgnat.status) == ("100.64.0.0/10", Health.HEALTHY)
    assert any(h.decision is Decision.IMPLICIT for h in cgnat.hops)


def test_implicit_health_source_must_still_pass_the_acl_as_a_whole_range() -> None:
    acl = """
network_acls:
  acl-web:
    subnets: [web]
    inbound: [100.64.0.0/11 + 8080 allow]
    outbound: [0.0.0.0/0 + ALL allow]
"""
    result = run(listener_extra="health_check: {source: 100.64.0.0/10}", acls=acl)
    hop = check(result).blocked_at
    assert check(result).status is Health.UNHEALTHY
    assert hop is not None and hop.checkpoint is Checkpoint.NETWORK_ACL and hop.partly


def test_udp_checks_need_icmp_and_stopped_services_fail() -> None:
    udp_only = run(protocol="UDP", inbound="- CLB VIP + UDP:8080 allow")
    assert check(udp_only).status is Health.UNHEALTHY
    assert check(udp_only).blocked_at is not None and check(udp_only).blocked_at.packet.startswith(
        "ICMP"
    )
    with_icmp = run(protocol="UDP", inbound="- CLB VIP + UDP:8080 allow\n- CLB VIP + ICMP allow")
    assert check(with_icmp).status is Health.HEALTHY
    stopped = run(running1=", running: false", flows="- {from: alice, to: rs-1:8080}")
    assert check(stopped).status is Health.UNHEALTHY
    hop = flow(stopped).paths[0].blocked_at
    assert hop is not None and hop.checkpoint is Checkpoint.SERVICE


def test_disabled_checks_count_healthy() -> None:
    result = run(inbound="- 0.0.0.0/0 + ALL drop", listener_extra="health_check: {enabled: false}")
    assert check(result).status is Health.HEALTHY and not check(result).hops


def test_unhealthy_backends_are_not_picked_unless_all_are_unhealthy() -> None:
    one_down = run(running1=", running: false")
    assert [p.backend for p in flow(one_down).paths] == ["rs-2"]
    assert flow(one_down).unhealthy == ("rs-1:8080",)
    all_down = run(inbound="- alice IP + 8080 allow")  # the VIP is not allowed: every check fails
    assert [p.backend for p in flow(all_down).paths] == ["rs-1", "rs-2"]
    assert flow(all_down).all_unhealthy and flow(all_down).verdict is Verdict.ALLOWED


def test_backends_with_different_groups_give_a_partial_verdict() -> None:
    result = run(
        inbound="- 0.0.0.0/0 + 8080 allow", inbound2="- CLB VIP + 8080 allow", groups2="sg-b"
    )
    assert flow(result).verdict is Verdict.PARTIAL
    assert [p.verdict for p in flow(result).paths] == [Verdict.ALLOWED, Verdict.DENIED]


def test_a_backend_reaching_its_own_clb_can_loop_back_to_itself() -> None:
    result = run(flows="- {from: rs-1, to: clb:80}")
    assert flow(result).verdict is Verdict.PARTIAL
    loop = next(p for p in flow(result).paths if p.backend == "rs-1")
    assert loop.blocked_at is not None and loop.blocked_at.checkpoint is Checkpoint.LOOPBACK


def test_ipv6_client_is_matched_by_ipv6_rules_only() -> None:
    text = """
title: v6
clients: {v6: "2001:db8::10"}
instances: {web: {ip: "2001:db8:1::5", security_groups: [sg]}}
security_groups:
  sg:
    inbound: [0.0.0.0/0 + 443 allow, "::/0 + 80 allow"]
flows:
  - {from: v6, to: "[2001:db8:1::5]:443"}
  - {from: v6, to: "web:80"}
"""
    result = simulate(load_text(text, "v6.yaml"))
    assert [f.verdict for f in result.flows] == [Verdict.DENIED, Verdict.ALLOWED]
    assert (
        result.flows[1].paths[0].hops[0].packet == "TCP [2001:db8::10]:50000 -> [2001:db8:1::5]:80"
    )


def test_flow_to_an_unknown_address_meets_only_the_source_side() -> None:
    result = run(
        flows="- {from: app, to: 8.8.8.8:53, protocol: UDP}", app_out="0.0.0.0/0 + UDP:53 allow"
    )
    assert flow(result).verdict is Verdict.ALLOWED
    result = run(
        flows="- {from: app, to: 8.8.8.8:53, protocol: UDP}", app_out="0.0.0.0/0 + 53 allow"
    )
    assert flow(result).verdict is Verdict.DENIED  # a bare port means TCP


def test_udp_probe_dropped_by_a_group_fails_nothing_but_a_closed_service_does() -> None:
    # Tencent: healthy when the ping is answered and no "port unreachable" comes back (§3.7).
    silent = run(protocol="UDP", inbound="- CLB VIP + ICMP allow")
    assert check(silent).status is Health.HEALTHY
    assert check(silent).silent_drop is not None and check(silent).blocked_at is None
    assert flow(silent).verdict is Verdict.DENIED  # clients still cannot reach UDP 8080
    down = run(
        protocol="UDP",
        inbound="- CLB VIP + ICMP allow\n- 0.0.0.0/0 + UDP:8080 allow",
        running1=", running: false",
    )
    assert check(down).status is Health.UNHEALTHY
    hop = check(down).blocked_at
    assert hop is not None and hop.checkpoint is Checkpoint.SERVICE
    assert hop.packet.startswith("UDP")  # the ping is answered; the probe meets the closed port


def test_no_loopback_where_the_backend_does_not_see_its_own_address() -> None:
    extra = "persistent_connections: true"
    result = run(
        protocol="HTTP",
        listener_extra=extra,
        inbound="- 100.127.0.0/16 + 8080 allow\n- CLB VIP + 8080 allow",
        flows="- {from: rs-1, to: clb:80}",
    )
    assert flow(result).verdict is Verdict.ALLOWED


def test_ipv6_load_balancers_check_backend_groups_and_refuse_nat64() -> None:
    text = """
title: v6 lb
clients: {c: "2001:db8:9::1"}
instances:
  web: {ip: "2001:db8:1::5", security_groups: [sg]}
  old: {ip: 10.0.0.5, security_groups: [sg]}
security_groups: {sg: {inbound: ["::/0 + 80 allow", "lb VIP + 80 allow"]}}
load_balancers:
  lb:
    type: public
    vip: "2001:db8::80"
    listeners: [{protocol: TCP, port: 80, backends: [BACKEND]}]
flows: [{from: c, to: "lb:80"}]
"""
    result = simulate(load_text(text.replace("BACKEND", "web:80"), "v6.yaml"))
    assert result.flows[0].verdict is Verdict.ALLOWED
    assert result.health_checks[0].status is Health.HEALTHY
    with pytest.raises(ScenarioError) as caught:
        load_text(text.replace("BACKEND", "old:80"), "v6.yaml")
    assert "does not model IPv6 NAT64 load balancers" in str(caught.value)


def test_basic_network_private_clbs_take_no_groups_and_no_bypass() -> None:
    base = "title: t\nsecurity_groups: {sg: {}}\nload_balancers:\n  lb: {type: private, network: basic, vip: 10.0.0.1, EXTRA}\n"
    with pytest.raises(
        ScenarioError, match="basic-network private load balancer cannot have security groups"
    ):
        load_text(base.replace("EXTRA", "security_groups: [sg]"))
    with pytest.raises(ScenarioError, match="cannot bypass backend security groups"):
        load_text(base.replace("EXTRA", "bypass_backend_security_groups: true"))


def test_layer7_backend_connections_come_from_the_clbs_own_port() -> None:
    acl = """
network_acls:
  acl-web:
    subnets: [web]
    inbound: [0.0.0.0/0 + 8080 allow]
    outbound: [0.0.0.0/0 + 50000 allow]
"""
    flows = "- {from: alice, to: clb:80, src_port: 40000}"
    assert flow(run(protocol="HTTP", acls=acl, flows=flows)).verdict is Verdict.ALLOWED
    assert flow(run(protocol="TCP", acls=acl, flows=flows)).verdict is Verdict.DENIED


def test_ipv4_only_sources_are_refused_behind_an_ipv6_vip() -> None:
    base = """title: v6
instances: {web: {ip: "2001:db8:1::5", security_groups: []}}
load_balancers:
  lb:
    type: public
    vip: "2001:db8::80"
    listeners: [{protocol: HTTP, port: 80, backends: [web:80], LISTENER}]
"""
    with pytest.raises(ScenarioError, match=r"100\.127\.0\.0/16, an IPv4 range"):
        load_text(base.replace("LISTENER", "persistent_connections: true"))
    with pytest.raises(ScenarioError, match=r"100\.64\.0\.0/10 is an IPv4 range"):
        load_text(base.replace("LISTENER", "health_check: {source: 100.64.0.0/10}"))
    with pytest.raises(ScenarioError, match="classic load balancers have no IPv6 VIP"):
        load_text(
            base.replace("LISTENER", "health_check: {}").replace(
                "type: public", "type: public\n    classic: true"
            )
        )
