"""Reach: exactly who gets through, checked against replayed flows."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from simulator.analysis.reach import BackendReach, Piece, reach, restrict_to
from simulator.analysis.report import render_reach_json, render_reach_text
from simulator.cli import main
from simulator.model import (
    Action,
    Address,
    Checkpoint,
    Client,
    Flow,
    Protocol,
    Scenario,
    Target,
    TargetKind,
    Verdict,
)
from simulator.results import Path as TracedPath
from simulator.scenario import load_file, load_text
from simulator.simulate import trace

ROOT = Path(__file__).resolve().parent.parent
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"


def holds(pieces: tuple[Piece, ...], address: str) -> bool:
    value = int(ipaddress.ip_address(address))
    return any(b.lo <= value <= b.hi for p in pieces for b in p.sources)


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
        assert [p.names for p in result.allowed] == [("ClientA",), ("ClientB",), ("clb-1 VIP",)]
        assert all(p.action is Action.DROP for p in result.blocked)
        assert "ClientC" in result.blocked[0].names


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
    assert holds(result.allowed, "10.2.0.1") and holds(result.allowed, "10.255.0.1")
    assert holds(result.blocked, "10.1.0.1")  # the ACL's deny
    assert holds(result.blocked, "11.0.0.1")  # the CLB's group
    assert holds(result.blocked, "10.0.1.11")  # rs-1 itself: sent back to itself (§3.10)
    where = {p.where for p in result.blocked}
    assert where == {"clb CLB groups inbound", "acl inbound", "rs-1 loopback"}


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
        assert [p.names for p in result.allowed] == [("clb-1 VIP",)]
        stopped = {
            p.names: (p.where, p.rule)
            for p in result.blocked
            if p.where.endswith("groups outbound")
        }
        # the backends too: their groups let nothing out to the VIP's port 80
        assert set(stopped) == {("ClientA",), ("ClientB",), ("rs-1",), ("rs-2",)}
        assert all(rule is None for _, rule in stopped.values())  # the default DROP of their egress
    corrected = load_file(ROOT / "scenarios" / "04-seed-3-private-clb-corrected.yaml")
    (first, *_) = reach(corrected, "clb-1", 80)
    assert [p.names for p in first.allowed] == [("ClientA",), ("ClientB",), ("clb-1 VIP",)]


def test_a_backend_reaching_its_own_clb_is_blocked_by_loopback() -> None:
    scenario = load_file(ROOT / "scenarios" / "23-loopback-backend-calls-its-own-clb.yaml")
    for result in reach(scenario, "clb-1", 80):
        backend = result.backend.rpartition(":")[0] if result.backend else None
        loops = [p for p in result.blocked if p.where.endswith(" loopback")]
        assert [p.names for p in loops] == [(backend,)]
        assert "(§3.10)" in loops[0].note
        assert all(backend not in p.names for p in result.allowed)


# -- a service that is not running (§3.7), whatever source the backend sees ----------------

DOWN = """title: service down
clients:
  c: 203.0.113.10
instances:
  rs: {{ip: 10.0.1.11, security_groups: [sg-web], running: false}}
load_balancers:
  lb:
    {lb}
    listeners:
      - {{protocol: {protocol}, port: 80, backends: [rs:8080]{extra}}}
security_groups:
  sg-web:
    inbound: [0.0.0.0/0 + 8080 allow]
"""
PUBLIC = "type: public\n    vip: 119.28.10.10"
PERSISTENT = DOWN.format(lb=PUBLIC, protocol="HTTP", extra=", persistent_connections: true")
SNAT = DOWN.format(
    lb="type: private\n    classic: true\n    created: 2015-01-01\n    vip: 10.0.0.200",
    protocol="TCP",
    extra="",
)
LAYER_4 = DOWN.format(lb=PUBLIC, protocol="TCP", extra="")


@pytest.mark.parametrize("text", [PERSISTENT, SNAT, LAYER_4], ids=["persistent", "snat", "l4"])
def test_nobody_gets_through_to_a_service_that_is_not_running(text: str) -> None:
    scenario = load_text(text, "down.yaml")
    (result,) = reach(scenario, "lb", 80)
    assert result.allowed == ()
    stopped = [(p.where, p.note) for p in result.blocked if holds((p,), "203.0.113.10")]
    assert stopped == [("rs service", "running: false, so nothing answers (§3.7)")]
    assert [p.names for p in result.blocked] == [("c", "lb VIP"), ("rs",)]  # rs: its own egress
    assert trace(scenario, flow_to(scenario, "c", "lb", 80)).verdict is Verdict.DENIED


def test_a_stopped_service_answers_before_the_acl_sees_a_reply() -> None:
    """The request stops at the service, so the reply's ACL is never read (as the trace)."""
    text = LAYER_4.replace("running: false}", "running: false, subnet: sn}") + (
        "network_acls:\n  acl: {subnets: [sn], inbound: [0.0.0.0/0 + ALL allow], outbound: []}\n"
    )
    (result,) = reach(load_text(text, "down.yaml"), "lb", 80)
    assert {p.where for p in result.blocked} == {"rs service", "rs groups outbound"}


def test_the_cli_does_not_let_anyone_into_a_stopped_service(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / "down.yaml"
    file.write_text(PERSISTENT, encoding="utf-8")
    assert main(["reach", str(file), "--to", "lb:80", "--from", "c"]) == 0
    out = capsys.readouterr().out
    assert "allowed:\nnobody" in out
    assert "rs service: running: false, so nothing answers (§3.7)" in out


# -- within one subnet, no ACL (§2.3) --------------------------------------------------------

SAME_SUBNET = """title: same subnet
clients:
  outsider: 192.0.2.7
instances:
  web: {ip: 10.0.1.10, security_groups: [sg-web], subnet: sn-a}
  app: {ip: 10.0.1.20, security_groups: [sg-app], subnet: sn-a}
  far: {ip: 10.0.2.30, security_groups: [sg-app], subnet: sn-b}
security_groups:
  sg-web:
    inbound: [0.0.0.0/0 + 8080 allow]
  sg-app:
    outbound: [0.0.0.0/0 + ALL allow]
network_acls:
  acl-a:
    subnets: [sn-a]
    inbound: [192.0.2.0/24 + 8080 allow]
    outbound: [0.0.0.0/0 + ALL allow]
"""


def test_an_instance_of_the_same_subnet_does_not_cross_the_acl() -> None:
    scenario = load_text(SAME_SUBNET, "same.yaml")
    (result,) = reach(scenario, "web", 8080)
    assert holds(result.allowed, "10.0.1.20")  # app: same subnet, the ACL does not apply
    assert holds(result.allowed, "192.0.2.7")  # the ACL allows the outsider
    assert holds(result.blocked, "10.0.2.30")  # far: another subnet, the ACL drops it
    assert holds(result.blocked, "10.0.1.21")  # an address no host has: it crosses the ACL
    app = restrict_to(result, ipaddress.ip_address("10.0.1.20"), "app")
    assert [(p.where, p.rule.index if p.rule else None) for p in app.allowed] == [
        ("web groups inbound", 0)
    ]
    for name in ("app", "far", "outsider"):
        verdict = trace(scenario, flow_to(scenario, name, "web", 8080)).verdict
        assert verdict is (Verdict.DENIED if name == "far" else Verdict.ALLOWED)


# -- a port with no listener, and a port with two --------------------------------------------


def test_a_port_with_no_listener_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reach", str(SEED_1), "--to", "clb-1:443"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "sgsim: --to: clb-1 has no listener on port 443; it has TCP:80 (§3.1)\n"
    assert main(["reach", str(SEED_1), "--to", "clb-1:80", "--protocol", "UDP"]) == 2
    assert "clb-1 has no UDP listener on port 80; it has TCP:80 (§3.1)" in capsys.readouterr().err


def test_the_library_still_answers_for_a_port_with_no_listener() -> None:
    (result,) = reach(load_file(SEED_1), "clb-1", 443)
    assert result.allowed == ()
    assert {(p.where, p.note) for p in result.blocked} >= {
        ("clb-1 listener", "no TCP listener on port 443 (§3.1)")
    }


def test_two_listeners_on_one_port_name_the_protocol_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / "dns.yaml"
    file.write_text(
        """title: dns
instances:
  ns: {ip: 10.0.1.11, security_groups: [sg]}
load_balancers:
  lb:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: TCP, port: 53, backends: [ns:53]}
      - {protocol: UDP, port: 53, backends: [ns:53]}
security_groups:
  sg: {inbound: [0.0.0.0/0 + ALL allow]}
""",
        encoding="utf-8",
    )
    assert main(["reach", str(file), "--to", "lb:53"]) == 2
    assert "lb has TCP and UDP listeners on port 53; choose one with --protocol" in (
        capsys.readouterr().err
    )
    assert main(["reach", str(file), "--to", "lb:53", "--protocol", "UDP"]) == 0
    assert "lb:53 (UDP), backend ns:53" in capsys.readouterr().out


# -- wording ---------------------------------------------------------------------------------


def row_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_each_named_host_is_on_the_row_whose_range_holds_it() -> None:
    scenario = load_file(SEED_1)
    text = render_reach_text("rs-1:8080", reach(scenario, "rs-1", 8080))
    assert re.search(r'"\s+ClientC$', row_of(text, "119.28.10.11 - 198.51.100.19"))
    assert "ClientC" not in row_of(text, "0.0.0.0 - ")
    addresses = {c.name: c.ip for c in scenario.clients} | {
        i.name: i.ip for i in scenario.instances
    }
    seen = []
    for line in text.splitlines():
        sources, _, rest = line.partition("  ")
        low, _, high = sources.partition(" - ")
        if not re.match(r"\d", sources) or not rest.rstrip().endswith(tuple(addresses)):
            continue
        for name in re.split(r",\s*", rest.rsplit("  ", 1)[-1].strip()):
            value = int(addresses[name])
            first = int(ipaddress.ip_network(low).network_address)
            last = int(ipaddress.ip_address(high)) if high else int(ipaddress.ip_network(low)[-1])
            assert first <= value <= last, line
            seen.append(name)
    assert sorted(seen) == sorted(addresses)


def test_a_range_the_rules_split_says_which_part_each_rule_decided() -> None:
    scenario = load_file(ROOT / "scenarios" / "18-layer7-persistent-connections.yaml")
    (result,) = reach(scenario, "clb-1", 82)
    assert result.allowed == ()
    note = result.blocked[0].note
    assert note == (
        "rules split 100.127.0.0/16: 100.127.0.0/17 ACCEPT by sg-half-range #0; "
        "100.127.128.0/17 DROP by default (§3.6)"
    )
    assert "no rule matched" not in render_reach_text("clb-1:82", [result]).split("\n")[8]


def test_bypassed_groups_are_said_to_be_bypassed() -> None:
    text = """title: bypass
instances:
  rs: {ip: 10.0.1.11, security_groups: [sg-none]}
load_balancers:
  lb: {type: public, vip: 119.28.10.10, bypass_backend_security_groups: true, listeners: [{protocol: TCP, port: 80, backends: [rs:8080]}]}
security_groups:
  sg-none: {}
"""
    (result,) = reach(load_text(text, "bypass.yaml"), "lb", 80)
    assert [(p.where, p.note) for p in result.allowed] == [
        ("rs groups inbound", "bypassed by lb (§3.4)")
    ]
    assert "rs groups inbound: bypassed by lb (§3.4)" in render_reach_text("lb:80", [result])
    assert "no filter" not in render_reach_text("lb:80", [result])


def test_the_json_notes_a_fact_that_decided() -> None:
    (result,) = reach(load_text(PERSISTENT, "down.yaml"), "lb", 80)
    piece, _ = json.loads(render_reach_json("lb:80", [result]))["backends"][0]["blocked"]
    assert piece["note"] == "running: false, so nothing answers (§3.7)"
    assert piece["rule"] is None and piece["hosts"] == ["c", "lb VIP"]


# -- the page's citations --------------------------------------------------------------------


def test_every_point_docs_reach_cites_is_the_point_it_means() -> None:
    page = (ROOT / "docs" / "reach.md").read_text(encoding="utf-8")
    semantics = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    titles: dict[str, str] = {}
    section = ""
    for line in semantics.splitlines():
        if found := re.match(r"## (\d)\. ", line):
            section = found.group(1)
        elif found := re.match(r"(\d+)\. (.*)", line):
            titles[f"{section}.{found.group(1)}"] = found.group(2)
    cited = set(re.findall(r"§(\d\.\d+)", page))
    assert cited <= set(titles), cited - set(titles)
    for phrase, point in [
        ("CLB's own security groups", "3.2"),
        ("bypasses them", "3.4"),
        ("ACL, both ways", "2.1"),
        ("health checks' source", "3.5"),
        ("binding order", "1.5"),
        ("default DROP", "1.4"),
    ]:
        assert re.search(rf"{re.escape(phrase)}[^§\n]*§{re.escape(point)}\b", page), phrase


# -- property: reach agrees with the simulator, source by source -----------------------------

INSTANCES = {"a": "10.0.1.11", "b": "10.0.1.12", "d": "10.0.2.13"}
CLIENTS = {"c1": "203.0.113.10", "c2": "100.127.0.5"}
VIP = "119.28.10.10"
PEERS = [
    "0.0.0.0/0",
    "10.0.1.0/24",
    "10.0.0.0/8",
    "203.0.113.0/24",
    "100.127.0.0/16",
    "100.127.0.0/17",
    "100.64.0.0/10",
    "CLB VIP",
    "a IP",
    "c1 IP",
    "10.0.1.12",
]
FRESH = ["203.0.113.0/24", "100.127.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "198.51.100.0/24"]


@st.composite
def rules(draw: st.DrawFn, acl: bool) -> str:
    """One rule; a group's peer may be a group, an ACL's may not."""
    peers = PEERS if acl else [*PEERS, "sg-1", "sg-2"]
    protocol = draw(st.sampled_from(["TCP", "TCP", "UDP", "ALL", "ICMP"]))
    if protocol in ("TCP", "UDP"):
        ports = ["ALL", "80", "8080", "80,8080", "1-100", "1024-65535", "50000"]
        service = f"{protocol}:{draw(st.sampled_from(ports))}"
    else:
        service = protocol
    action = draw(st.sampled_from(["allow", "allow", "drop"]))
    return json.dumps(f"{draw(st.sampled_from(peers))} + {service} {action}")


def rule_list(draw: st.DrawFn, acl: bool) -> str:
    return "[" + ", ".join(draw(st.lists(rules(acl), max_size=4))) + "]"


@st.composite
def lb_scenarios(draw: st.DrawFn) -> str:
    """Clients, instances (some stopped, some in subnets with ACLs) and one load balancer."""
    lines = ["title: property", "clients:", *(f"  {n}: {ip}" for n, ip in CLIENTS.items())]
    lines.append("instances:")
    subnets = set()
    for name, ip in INSTANCES.items():
        groups = draw(st.lists(st.sampled_from(["sg-1", "sg-2", "sg-3"]), unique=True, max_size=2))
        subnet = draw(st.sampled_from([None, "sn-1", "sn-2"]))
        extra = f", subnet: {subnet}" if subnet else ""
        extra += ", running: false" if draw(st.integers(0, 4)) == 0 else ""
        subnets |= {subnet} if subnet else set()
        lines.append(f"  {name}: {{ip: {ip}, security_groups: [{', '.join(groups)}]{extra}}}")
    kind = draw(st.sampled_from(["public", "private", "classic-old", "classic-new"]))
    lb = {
        "public": "type: public",
        "private": "type: private",
        "classic-old": "type: private, classic: true, created: 2015-01-01",
        "classic-new": "type: public, classic: true",
    }[kind]
    if kind != "classic-old":
        clb_groups = draw(st.lists(st.sampled_from(["sg-3", "sg-clb"]), unique=True, max_size=1))
        lb += f", security_groups: [{', '.join(clb_groups)}]"
        lb += ", bypass_backend_security_groups: true" if draw(st.booleans()) else ""
    lines += ["load_balancers:", "  lb:", f"    {{{lb}, vip: {VIP}, listeners: ["]
    kinds = [("TCP", 80), ("UDP", 80), ("HTTP", 81), ("HTTPS", 82)]
    for protocol, port in draw(st.lists(st.sampled_from(kinds), unique=True, min_size=1)):
        chosen = draw(st.lists(st.sampled_from(sorted(INSTANCES)), unique=True, min_size=1))
        backends = ", ".join(f"{n}:{draw(st.sampled_from([8080, 80]))}" for n in chosen)
        extra = ""
        if protocol.startswith("HTTP") and draw(st.booleans()):
            extra += ", persistent_connections: true"
        check = draw(
            st.sampled_from(["", "enabled: false", "source: vip", "source: 100.64.0.0/10"])
        )
        extra += f", health_check: {{{check}}}" if check else ""
        lines.append(
            f"      {{protocol: {protocol}, port: {port}, backends: [{backends}]{extra}}},"
        )
    lines.append("    ]}")
    lines.append("security_groups:")
    for group in ("sg-1", "sg-2", "sg-3", "sg-clb"):
        inbound, outbound = rule_list(draw, False), rule_list(draw, False)
        lines.append(f"  {group}: {{inbound: {inbound}, outbound: {outbound}}}")
    acls = [s for s in sorted(subnets) if draw(st.booleans())]
    if acls:
        lines.append("network_acls:")
        for subnet in acls:
            inbound, outbound = rule_list(draw, True), rule_list(draw, True)
            lines.append(
                f"  acl-{subnet}: {{subnets: [{subnet}], inbound: {inbound}, outbound: {outbound}}}"
            )
    return "\n".join(lines) + "\n"


def flow_to(
    scenario: Scenario, source: str, target: str, port: int, protocol: Protocol | None = None
) -> Flow:
    """A flow from ``source`` to ``target:port``, as ``sgsim trace`` asks for one."""
    lbs = {lb.name for lb in scenario.load_balancers}
    kind = TargetKind.LOAD_BALANCER if target in lbs else TargetKind.INSTANCE
    return Flow(source, Target(kind, target, port), f"{target}:{port}", protocol)


def targets(scenario: Scenario) -> list[tuple[str, int, Protocol]]:
    """Every listener of the load balancer, and TCP port 8080 of every instance."""
    found = [
        (lb.name, li.port, li.protocol.transport)
        for lb in scenario.load_balancers
        for li in lb.listeners
    ]
    return found + [(i.name, 8080, Protocol.TCP) for i in scenario.instances]


def agrees(result: BackendReach, address: Address, path: TracedPath) -> None:
    """Exactly one piece holds ``address``: allowed iff ``path`` is, else stopped where it is."""
    narrowed = restrict_to(result, address, "source")
    pieces = [*narrowed.allowed, *narrowed.blocked]
    assert len(pieces) == 1, (address, pieces)
    assert bool(narrowed.allowed) == (path.verdict is Verdict.ALLOWED), (address, path)
    stop = path.blocked_at
    if stop is not None:
        (piece,) = narrowed.blocked
        node = stop.lists[0] if stop.checkpoint is Checkpoint.NETWORK_ACL else stop.node
        assert piece.where.startswith(f"{node} "), (piece.where, stop)
        assert (piece.rule.index if piece.rule else None) == stop.index, (piece, stop)


def backend_of(path: TracedPath) -> str | None:
    return f"{path.backend}:{path.port}" if path.backend else None


@settings(deadline=None)  # a few dozen traces per example
@given(text=lb_scenarios(), fresh=st.sampled_from(FRESH).flatmap(
    lambda net: st.integers(1, 254).map(lambda i: ipaddress.ip_network(net)[i])
))  # fmt: skip
def test_reach_agrees_with_the_trace_of_every_named_source_and_of_any_other_address(
    text: str, fresh: ipaddress.IPv4Address
) -> None:
    scenario = load_text(text, "property.yaml")
    taken = {c.ip for c in scenario.clients} | {i.ip for i in scenario.instances}
    assume(fresh not in taken and str(fresh) != VIP)
    # an address no host has: the ranges decide it; traced as a client added at it
    with_fresh = replace(scenario, clients=(*scenario.clients, Client("fresh", fresh)))
    sources = [(c.name, c.ip) for c in scenario.clients] + [
        (i.name, i.ip) for i in scenario.instances
    ]
    for name, port, protocol in targets(scenario):
        results = reach(scenario, name, port, protocol)
        for source, address in [*sources, ("fresh", fresh)]:
            if source == name:
                continue
            base = with_fresh if source == "fresh" else scenario
            flow = trace(base, flow_to(base, source, name, port, protocol))
            paths = {backend_of(p): p for p in flow.paths}
            event(f"{'fresh' if source == 'fresh' else 'named'}: {flow.verdict}")
            for result in results:
                agrees(result, address, paths[result.backend])
