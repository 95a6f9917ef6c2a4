"""Reach: exactly who gets through, checked against replayed flows."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from simulator.analysis.reach import reach
from simulator.cli import main
from simulator.model import Action
from simulator.scenario import load_file, load_text

ROOT = Path(__file__).resolve().parent.parent
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"


def test_seed_1_lets_exactly_client_a_client_b_and_the_vip_reach_the_backends() -> None:
    for result in reach(load_file(SEED_1), "clb-1", 80):
        allowed = [
            n for b in (p.sources for p in result.allowed) for box in b for n in box.networks()
        ]
        assert [str(n) for n in allowed] == [
            "203.0.113.10/32",
            "198.51.100.20/32",
            "119.28.10.10/32",
        ]
        assert [p.hosts for p in result.allowed] == [("ClientA",), ("ClientB",), ("clb-1 VIP",)]
        assert all(p.action is Action.DROP for p in result.blocked)
        assert "ClientC" in result.blocked[0].hosts


def test_the_clb_groups_and_the_acl_narrow_the_sources() -> None:
    text = """title: reach
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-open], subnet: web}
load_balancers:
  clb: {type: public, vip: 1.1.1.1, security_groups: [sg-clb], listeners: [{protocol: TCP, port: 80, backends: [rs-1:8080]}]}
security_groups:
  sg-clb: {inbound: [10.0.0.0/8 + 80 allow]}
  sg-open: {inbound: [0.0.0.0/0 + 8080 allow], outbound: [0.0.0.0/0 + ALL allow]}
network_acls:
  acl: {subnets: [web], inbound: [10.1.0.0/16 + 8080 deny, 0.0.0.0/0 + 8080 allow], outbound: [0.0.0.0/0 + ALL allow]}
"""
    (result,) = reach(load_text(text, "r.yaml"), "clb", 80)

    def holds(pieces: tuple[object, ...], address: str) -> bool:
        value = int(ipaddress.ip_address(address))
        return any(b.lo <= value <= b.hi for p in pieces for b in p.sources)  # type: ignore[attr-defined]

    assert holds(result.allowed, "10.2.0.1") and holds(result.allowed, "10.255.0.1")
    assert holds(result.blocked, "10.1.0.1")  # the ACL's deny
    assert holds(result.blocked, "11.0.0.1")  # the CLB's group
    assert holds(result.blocked, "10.0.1.11")  # rs-1 itself: its ACL drops the reply to port 50000
    where = {p.where for p in result.blocked}
    assert where == {"clb CLB groups inbound", "acl inbound", "acl inbound (reply)"}


def test_cli_reach_text_json_and_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reach", str(SEED_1), "--to", "clb-1:80", "--from", "ClientC"]) == 0
    out = capsys.readouterr().out
    assert "allowed:\nnobody" in out and "192.0.2.30/32" in out
    assert main(["reach", str(SEED_1), "--to", "rs-1:8080", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [p["hosts"] for p in document["backends"][0]["allowed"]] == [
        ["ClientA"],
        ["ClientB"],
        ["clb-1 VIP"],
    ]
    assert main(["reach", str(SEED_1), "--to", "nowhere:80"]) == 2
    assert "--to: unknown target 'nowhere'" in capsys.readouterr().err


def test_an_instance_sources_own_egress_is_part_of_the_path() -> None:
    scenario = load_file(ROOT / "scenarios" / "03-seed-3-private-clb-as-written.yaml")
    for result in reach(scenario, "clb-1", 80):
        assert [p.hosts for p in result.allowed] == [("clb-1 VIP",)]
        stopped = {
            p.hosts: (p.where, p.rule)
            for p in result.blocked
            if p.where.endswith("groups outbound")
        }
        assert set(stopped) == {("ClientA",), ("ClientB",)}
        assert all(rule is None for _, rule in stopped.values())  # the default DROP of their egress
    corrected = load_file(ROOT / "scenarios" / "04-seed-3-private-clb-corrected.yaml")
    (first, *_) = reach(corrected, "clb-1", 80)
    assert [p.hosts for p in first.allowed] == [("ClientA",), ("ClientB",), ("clb-1 VIP",)]


def test_a_backend_reaching_its_own_clb_is_blocked_by_loopback() -> None:
    scenario = load_file(ROOT / "scenarios" / "23-loopback-backend-calls-its-own-clb.yaml")
    for result in reach(scenario, "clb-1", 80):
        backend = result.backend.rpartition(":")[0] if result.backend else None
        loops = [p for p in result.blocked if p.where.startswith("loopback")]
        assert [p.hosts for p in loops] == [(backend,)]
        assert all(backend not in p.hosts for p in result.allowed)
