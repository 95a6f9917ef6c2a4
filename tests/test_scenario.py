"""Loading: every key of the contract read into the model, with its defaults."""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path

import pytest

from simulator.errors import ScenarioError
from simulator.model import (
    Action,
    Backend,
    Health,
    HealthProtocol,
    HealthSource,
    ListenerProtocol,
    LoadBalancerType,
    NetworkType,
    PortRange,
    Protocol,
    TargetKind,
    Verdict,
)
from simulator.scenario import load_file, load_text

CONTRACT = Path(__file__).resolve().parent / "data" / "contract-example.yaml"


def test_the_contract_example_loads_exactly_as_written() -> None:
    scenario = load_file(CONTRACT)
    assert scenario.title.startswith("Public CLB")
    assert [c.name for c in scenario.clients] == ["ClientA", "ClientB", "ClientC"]
    assert scenario.clients[1].ip == ipaddress.ip_address("198.51.100.20")
    rs1 = scenario.instance("rs-1")
    assert (rs1.security_groups, rs1.subnet, rs1.running) == (("sg-web",), "subnet-web", True)
    lb = scenario.load_balancer("clb-1")
    assert (lb.type, lb.network, lb.classic, lb.created) == (
        LoadBalancerType.PUBLIC, NetworkType.VPC, False, date(2021, 3, 1),
    )  # fmt: skip
    listener = lb.listeners[0]
    assert (listener.protocol, listener.port, listener.key) == (ListenerProtocol.TCP, 80, "TCP:80")
    assert listener.backends == (Backend("rs-1", 8080), Backend("rs-2", 8080))
    check = listener.health_check
    assert (check.enabled, check.source, check.protocol, check.port) == (
        True, HealthSource.AUTO, HealthProtocol.TCP, 8080,
    )  # fmt: skip
    web = scenario.security_group("sg-web")
    assert [r.text for r in web.inbound] == [
        "ClientA IP + 8080 allow",
        "ClientB IP + 8080 allow",
        "CLB VIP + 8080 allow",
        "0.0.0.0/0 + 8080 drop",
    ]
    out = web.outbound[0]
    assert (out.protocol, out.ports, out.action, out.description) == (
        Protocol.ALL, (PortRange.all(),), Action.ACCEPT, "everything out",
    )  # fmt: skip
    assert out.text == "0.0.0.0/0 + ALL accept"
    acl = scenario.network_acls[0]
    assert (acl.name, acl.subnets) == ("acl-web", ("subnet-web",))
    flows = scenario.flows
    assert flows[0].name == "A via CLB" and flows[0].target.kind is TargetKind.LOAD_BALANCER
    assert flows[2].target.kind is TargetKind.INSTANCE
    assert flows[3].target.kind is TargetKind.INSTANCE and flows[3].target.address is not None
    assert (flows[3].protocol, flows[3].src_port, flows[3].expect) == (Protocol.TCP, 40000, None)
    assert flows[1].expect is Verdict.DENIED and flows[1].src_port == 50000
    assert scenario.health_checks[0].expect is Health.HEALTHY


def test_defaults() -> None:
    scenario = load_text(
        """
title: defaults
instances: {web: {ip: 10.0.0.5, security_groups: []}}
load_balancers:
  lb: {type: private, vip: 10.0.0.100, listeners: [{protocol: QUIC, port: 443, backends: [web:443]}]}
security_groups: {empty: }
"""
    )
    web = scenario.instance("web")
    assert (web.security_groups, web.subnet, web.running) == ((), None, True)
    lb = scenario.load_balancer("lb")
    assert (lb.network, lb.classic, lb.created, lb.security_groups) == (
        NetworkType.VPC,
        False,
        None,
        (),
    )
    assert lb.bypass_backend_security_groups is False
    check = lb.listeners[0].health_check
    assert (check.enabled, check.protocol, check.port) == (True, HealthProtocol.UDP, None)
    assert scenario.security_group("empty").inbound == ()


def test_names_can_be_used_before_they_are_defined() -> None:
    scenario = load_text(
        """
title: order
security_groups:
  sg: {inbound: [later IP + 80 allow, sg + 22 allow, other VIP + 80 allow]}
instances: {later: {ip: 10.0.0.5, security_groups: [sg]}}
load_balancers: {other: {type: public, vip: 1.2.3.4}}
"""
    )
    peers = [r.peers for r in scenario.security_group("sg").inbound]
    host = (ipaddress.ip_network("10.0.0.5/32"),)
    assert peers == [host, host, (ipaddress.ip_network("1.2.3.4/32"),)]


def test_anchors_and_merge_keys() -> None:
    scenario = load_text(
        """
title: anchors
instances:
  a: &web {ip: 10.0.0.5, security_groups: [sg], subnet: web}
  b: {<<: *web, ip: 10.0.0.6}
security_groups: {sg: {}}
"""
    )
    assert scenario.instance("b").subnet == "web" and str(scenario.instance("b").ip) == "10.0.0.6"


def test_a_quoted_date_is_read() -> None:
    text = "title: t\nload_balancers: {lb: {type: private, classic: true, created: '2015-01-02', vip: 10.0.0.1}}\n"
    assert load_text(text).load_balancer("lb").created == date(2015, 1, 2)


def test_unreadable_file_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:1: file: cannot read the file")


def test_of_several_merged_mappings_the_first_wins() -> None:
    scenario = load_text(
        """
title: merge
instances:
  a: &over {ip: 10.0.0.5, security_groups: [sg]}
  b: &base {ip: 10.0.0.6, security_groups: [], subnet: web}
  c: {<<: [*over, *base], ip: 10.0.0.7}
security_groups: {sg: {}}
"""
    )
    c = scenario.instance("c")
    assert (str(c.ip), c.security_groups, c.subnet) == ("10.0.0.7", ("sg",), "web")


def test_clb_vip_names_a_load_balancer_called_clb() -> None:
    scenario = load_text(
        """
title: names
load_balancers:
  clb: {type: public, vip: 1.1.1.1}
  other: {type: public, vip: 2.2.2.2}
security_groups: {sg: {inbound: [clb VIP + 80 allow]}}
"""
    )
    assert scenario.security_group("sg").inbound[0].peers == (ipaddress.ip_network("1.1.1.1/32"),)
