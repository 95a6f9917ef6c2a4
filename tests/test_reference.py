"""The independent reference simulator (tests/reference.py) against the scenarios and sgsim.

1. On every shipped scenario the reference gives every verdict the file expects.
2. On every shipped scenario the reference and ``simulate`` agree on every flow and check.
3. On random whole scenarios (drawn here, and by ``simulator.strategies`` where it exists)
   the two agree. Example counts come from the hypothesis profile (see conftest.py); run
   ``HYPOTHESIS_PROFILE=thorough pytest tests/test_reference.py`` for 5000 of each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.model import Scenario
from simulator.scenario import load_file, load_text
from simulator.simulate import simulate
from tests.reference import Outcomes, reference

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def disagreements(scenario: Scenario, outcomes: Outcomes) -> list[str]:
    """Every flow and check where ``simulate`` and the reference differ, one line each."""
    result = simulate(scenario)
    found = []
    assert len(result.flows) == len(outcomes.flows)
    for index, (flow, mine) in enumerate(zip(result.flows, outcomes.flows, strict=True)):
        if flow.verdict != mine:
            found.append(
                f"flow {index} {flow.flow.source} -> {flow.flow.written_to} "
                f"({flow.protocol}): simulate {flow.verdict}, reference {mine}"
            )
    keys = set()
    for check in result.health_checks:
        key = (check.load_balancer, check.listener.key, check.backend.instance, check.backend.port)
        keys.add(key)
        if check.status != outcomes.health[key]:
            found.append(f"check {key}: simulate {check.status}, reference {outcomes.health[key]}")
    assert keys == set(outcomes.health), "simulate and the reference list different checks"
    return found


def unmet(scenario: Scenario, outcomes: Outcomes) -> list[str]:
    """Every expectation the scenario file states that ``outcomes`` does not meet."""
    wrong = [
        f"flow {index} '{flow.name or flow.written_to}': file {flow.expect}, got {mine}"
        for index, (flow, mine) in enumerate(zip(scenario.flows, outcomes.flows, strict=True))
        if flow.expect is not None and flow.expect != mine
    ]
    for check in scenario.health_checks:
        key = (check.load_balancer, check.listener, check.backend.instance, check.backend.port)
        if outcomes.health[key] != check.expect:
            wrong.append(f"check {key}: file {check.expect}, got {outcomes.health[key]}")
    return wrong


def simulated(scenario: Scenario) -> Outcomes:
    """``simulate``'s answers in the reference's shape."""
    result = simulate(scenario)
    health = {
        (c.load_balancer, c.listener.key, c.backend.instance, c.backend.port): c.status
        for c in result.health_checks
    }
    return Outcomes(tuple(f.verdict for f in result.flows), health)


# -- 1 and 2: the shipped scenarios ------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_reference_meets_every_expectation_of_a_shipped_scenario(path: Path) -> None:
    scenario = load_file(path)
    assert unmet(scenario, reference(scenario)) == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_reference_and_simulate_agree_on_a_shipped_scenario(path: Path) -> None:
    scenario = load_file(path)
    assert disagreements(scenario, reference(scenario)) == []


def test_every_shipped_scenario_states_expectations() -> None:
    assert len(SHIPPED) >= 25
    for path in SHIPPED:
        scenario = load_file(path)
        assert any(f.expect for f in scenario.flows) or scenario.health_checks, path.name


# -- points the random scenarios seldom reach ---------------------------------------------------

#: Small scenarios, one per point where docs/semantics.md leaves a reading open or where random
#: scenarios rarely reach; each states what both simulators must answer (see tests/reference.py).
POINTS = {
    "a layer-7 CLB connects from port 50000, a layer-4 one passes the client's port (§3.3)": """
title: source port a backend sees
clients: {c: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [], subnet: s1}
load_balancers:
  clb-1:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: HTTP, port: 80, backends: [rs-1:8080]}
      - {protocol: TCP, port: 81, backends: [rs-1:8080]}
network_acls:
  acl-1: {subnets: [s1], inbound: [0.0.0.0/0 + 8080 allow], outbound: [0.0.0.0/0 + 50000 allow]}
flows:
  - {from: c, to: clb-1:80, src_port: 1025, expect: allowed}
  - {from: c, to: clb-1:81, src_port: 1025, expect: denied}
  - {from: c, to: clb-1:81, expect: allowed}
health_checks:
  - {listener: clb-1:80, backend: rs-1, expect: healthy}   # the probe comes from port 50000
""",
    "an ACL skips traffic inside its subnet, not the CLB's leg (§2.3)": """
title: same subnet
instances:
  app: {ip: 10.0.1.20, security_groups: [], subnet: s1}
  rs-1: {ip: 10.0.1.11, security_groups: [], subnet: s1}
  rs-2: {ip: 10.0.2.12, security_groups: [], subnet: s2}
load_balancers:
  clb-1:
    type: private
    vip: 10.0.0.100
    listeners:
      - {protocol: TCP, port: 80, backends: [rs-1:8080], health_check: {enabled: false}}
network_acls:
  acl-1: {subnets: [s1, s2], inbound: [10.0.0.100 + ALL allow], outbound: [0.0.0.0/0 + ALL allow]}
flows:
  - {from: app, to: rs-1:8080, expect: allowed}
  - {from: app, to: rs-2:8080, expect: denied}
  - {from: app, to: clb-1:80, expect: denied}
""",
    "a stopped service fails a UDP check only where the probe reaches it (§3.7)": """
title: UDP checks of stopped services
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-ping], running: false}
  rs-2: {ip: 10.0.1.12, security_groups: [sg-ping-udp], running: false}
  rs-3: {ip: 10.0.1.13, security_groups: [sg-ping-udp]}
load_balancers:
  clb-1:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: UDP, port: 53, backends: [rs-1:53, rs-2:53, rs-3:53]}
      - {protocol: TCP, port: 53, backends: [rs-1:53], health_check: {protocol: UDP}}
security_groups:
  sg-ping: {inbound: [CLB VIP + ICMP allow]}
  sg-ping-udp: {inbound: [CLB VIP + ICMP allow, CLB VIP + UDP:53 allow]}
health_checks:
  - {listener: clb-1:UDP:53, backend: rs-1, expect: healthy}
  - {listener: clb-1:UDP:53, backend: rs-2, expect: unhealthy}
  - {listener: clb-1:UDP:53, backend: rs-3, expect: healthy}
  - {listener: clb-1:TCP:53, backend: rs-1, expect: healthy}
""",
    "an old classic private CLB shows the VIP, persistent connections or not (§3.3)": """
title: classic SNAT and persistent connections
clients: {c: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg]}
load_balancers:
  clb-1:
    type: private
    classic: true
    created: 2016-12-04
    vip: 10.0.0.100
    listeners:
      - {protocol: HTTP, port: 80, backends: [rs-1:8080], persistent_connections: true}
  clb-2:
    type: private
    classic: true
    created: 2016-12-05
    vip: 10.0.0.200
    listeners:
      - {protocol: TCP, port: 80, backends: [rs-1:8080], health_check: {enabled: false}}
security_groups:
  sg: {inbound: [clb-1 VIP + 8080 allow, clb-2 VIP + 8080 allow]}
flows:
  - {from: c, to: clb-1:80, expect: allowed}
  - {from: c, to: clb-2:80, expect: denied}   # created on the day: no SNAT
health_checks:
  - {listener: clb-1:80, backend: rs-1, expect: healthy}
""",
    "a stopped service stops TCP and UDP; the instance answers a ping (§3.7)": """
title: stopped instance
clients: {c: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg], running: false}
load_balancers:
  clb-1:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: TCP, port: 80, backends: [rs-1:80]}
security_groups:
  sg: {inbound: [0.0.0.0/0 + ALL allow], outbound: [0.0.0.0/0 + ALL allow]}
flows:
  - {from: c, to: rs-1, protocol: ICMP, expect: allowed}
  - {from: c, to: rs-1, protocol: GRE, expect: allowed}
  - {from: c, to: "rs-1:80", expect: denied}
  - {from: c, to: "rs-1:53", protocol: UDP, expect: denied}
  - {from: c, to: clb-1, protocol: ICMP, expect: denied}   # a ping meets no listener
  - {from: rs-1, to: 203.0.113.10:80, expect: allowed}   # a stopped service still sends
health_checks:
  - {listener: clb-1:80, backend: rs-1, expect: unhealthy}
""",
    "no loopback where the backend sees 100.127.0.0/16 (§3.10)": """
title: persistent connections and loopback
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg]}
load_balancers:
  clb-1:
    type: private
    vip: 10.0.0.100
    listeners:
      - {protocol: HTTP, port: 80, backends: [rs-1:8080], persistent_connections: true}
      - {protocol: HTTP, port: 81, backends: [rs-1:8080]}
security_groups:
  sg:
    inbound: [100.127.0.0/16 + 8080 allow, 10.0.0.0/8 + 8080 allow]
    outbound: [0.0.0.0/0 + ALL allow]
flows:
  - {from: rs-1, to: clb-1:80, expect: allowed}
  - {from: rs-1, to: clb-1:81, expect: denied}
""",
    "a range must be wholly accepted, across several rules and groups (§3.6)": """
title: ranges split over rules
clients: {c: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-low, sg-high]}
  rs-2: {ip: 10.0.1.12, security_groups: [sg-low, sg-hole]}
load_balancers:
  clb-1:
    type: public
    vip: 119.28.10.10
    listeners:
      - {protocol: HTTP, port: 80, backends: [rs-1:8080, rs-2:8080], persistent_connections: true}
security_groups:
  sg-low: {inbound: [100.127.0.0/17 + 8080 allow, CLB VIP + 8080 allow]}
  sg-high: {inbound: [100.127.128.0/17 + 8080 allow]}
  sg-hole: {inbound: [100.127.200.0/24 + 8080 drop, 100.127.0.0/16 + 8080 allow]}
flows:
  - {from: c, to: clb-1:80, expect: partial}
""",
}


@pytest.mark.parametrize("text", POINTS.values(), ids=list(POINTS))
def test_the_reference_answers_each_point_as_written(text: str) -> None:
    scenario = load_text(text, "point.yaml")
    assert unmet(scenario, reference(scenario)) == []


@pytest.mark.parametrize("text", POINTS.values(), ids=list(POINTS))
def test_simulate_answers_each_point_as_written(text: str) -> None:
    scenario = load_text(text, "point.yaml")
    assert unmet(scenario, simulated(scenario)) == []


# -- 3: random whole scenarios -----------------------------------------------------------------

#: Addresses per family: instances, clients, public and private VIPs, a bare outside address,
#: and the peers rules are written with (ranges the CLB and its probers come from included).
FAMILY: dict[int, dict[str, Any]] = {
    4: {
        "instances": ["10.0.1.11", "10.0.1.12", "10.0.2.13", "10.0.2.14"],
        "clients": ["203.0.113.10", "10.0.3.30"],
        "vips": {"public": ["119.28.10.10", "119.28.10.20"], "private": ["10.0.0.100", "10.0.0.200"]},
        "outside": "192.0.2.99",
        "anywhere": "0.0.0.0/0",
        "peers": [
            "10.0.0.0/8", "10.0.1.0/24", "10.0.0.0/16", "203.0.113.0/24", "119.28.10.0/24",
            "100.64.0.0/10", "100.64.0.0/11", "100.127.0.0/16", "100.127.0.0/17",
            "169.254.128.0/17", "169.254.0.0/16", "169.254.192.0/18", "192.0.2.0/24",
        ],
        "ping": "ICMP",
    },
    6: {
        "instances": ["2001:db8:1::11", "2001:db8:1::12", "2001:db8:2::13", "2001:db8:2::14"],
        "clients": ["2001:db8:ff::10", "2001:db8:3::30"],
        "vips": {"public": ["2001:db8:aa::10", "2001:db8:aa::20"], "private": ["2001:db8::100", "2001:db8::200"]},
        "outside": "2001:db8:99::99",
        "anywhere": "::/0",
        "peers": ["2001:db8::/32", "2001:db8:1::/48", "2001:db8:ff::/48", "2001:db8:aa::/48"],
        "ping": "ICMPv6",
    },
}  # fmt: skip
GROUPS = ["sg-a", "sg-b", "sg-c", "sg-d"]
SUBNETS = ["subnet-a", "subnet-b"]
PORTS = ["80", "8080", "53", "443", "80,8080", "8000-8100", "1024-65535", "32768-60999", "1-1024"]
LISTENER_PORTS = [80, 81, 53, 443]
BACKEND_PORTS = [8080, 80, 53]
LISTENER_PROTOCOLS = ["TCP", "UDP", "TCP_SSL", "QUIC", "HTTP", "HTTPS"]
SOURCE_PORTS = [1025, 80, 61000, 40000, 50000]
#: What an ACL commonly opens: services inbound, replies to ephemeral ports outbound.
SERVICES = ["8080", "80,8080", "53", "UDP:53", "ALL"]
EPHEMERAL = ["1024-65535", "32768-60999", "50000", "TCP:ALL", "UDP:1024-65535"]


@dataclass
class Sketch:
    """What a random scenario has drawn so far, for the parts drawn after."""

    family: int
    instances: dict[str, str] = field(default_factory=dict)  # name -> address
    subnets: dict[str, str | None] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    acl_subnets: list[str] = field(default_factory=list)
    balancers: list[str] = field(default_factory=list)
    #: load balancer -> listener port -> the transports listened to on it
    listeners: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return FAMILY[self.family]


def q(text: object) -> str:
    return json.dumps(str(text))


def often(draw: st.DrawFn, one_in: int) -> bool:
    """True one time in ``one_in``."""
    return draw(st.integers(1, one_in)) == 1


def draw_peer(draw: st.DrawFn, sk: Sketch, groups: bool) -> str:
    if often(draw, 3):
        return str(sk.data["anywhere"])
    choices: list[str] = list(sk.data["peers"])
    choices += [f"{name} IP" for name in [*sk.instances, *sk.clients]]
    choices += [f"{lb} VIP" for lb in sk.balancers]
    choices += ["CLB VIP"] if len(sk.balancers) == 1 else []
    choices += GROUPS if groups else []
    return draw(st.sampled_from(choices))


def draw_rule(draw: st.DrawFn, sk: Sketch, groups: bool) -> str:
    """One rule, mostly in the seed's notation, now and then structured."""
    accept = draw(st.sampled_from([True, True, False]))
    peer = draw_peer(draw, sk, groups)
    ping = sk.data["ping"]
    if often(draw, 6):
        protocol = draw(st.sampled_from(["TCP", "UDP", ping, "ALL"]))
        port = f", port: {q(draw(st.sampled_from(PORTS)))}" if protocol in ("TCP", "UDP") else ""
        action = "ACCEPT" if accept else "DROP"
        return f"{{peer: {q(peer)}, protocol: {protocol}{port}, action: {action}}}"
    service = draw(
        st.one_of(
            st.sampled_from(PORTS),
            st.sampled_from(["TCP:ALL", "TCP", "UDP", "UDP:53", "UDP:ALL", "UDP:1024-65535"]),
            st.sampled_from([ping, "GRE", "ALL"]),
        )
    )
    return q(f"{peer} + {service} {'allow' if accept else 'drop'}")


def draw_rules(draw: st.DrawFn, sk: Sketch, groups: bool) -> str:
    rules = [draw_rule(draw, sk, groups) for _ in range(draw(st.integers(0, 4)))]
    ending = draw(st.sampled_from(["", "", "allow", "drop"]))  # a catch-all now and then
    rules += [q(f"{sk.data['anywhere']} + ALL {ending}")] if ending else []
    return "[" + ", ".join(rules) + "]"


def draw_acl_rules(draw: st.DrawFn, sk: Sketch, usual: list[str]) -> str:
    """An ACL's list: random rules, often after one for the usual ports of that direction."""
    rules = draw_rules(draw, sk, False)
    if draw(st.booleans()):
        first = q(f"{sk.data['anywhere']} + {draw(st.sampled_from(usual))} allow")
        rules = f"[{first}, {rules[1:]}" if rules != "[]" else f"[{first}]"
    return rules


def draw_hosts(draw: st.DrawFn, sk: Sketch) -> None:
    names = [f"rs-{i + 1}" for i in range(draw(st.integers(1, 4)))]
    sk.instances = dict(zip(names, sk.data["instances"], strict=False))
    sk.subnets = {name: draw(st.sampled_from([None, *SUBNETS])) for name in names}
    clients = [f"client-{i + 1}" for i in range(draw(st.integers(0, 2)))]
    sk.clients = dict(zip(clients, sk.data["clients"], strict=False))
    sk.acl_subnets = [s for s in SUBNETS if s in sk.subnets.values() and draw(st.booleans())]
    sk.lines.append("clients:" if clients else "clients: {}")
    sk.lines += [f"  {name}: {q(ip)}" for name, ip in sk.clients.items()]
    sk.lines.append("instances:")
    for name, ip in sk.instances.items():
        bound = draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=3))
        subnet = f", subnet: {sk.subnets[name]}" if sk.subnets[name] else ""
        running = ", running: false" if often(draw, 6) else ""
        sk.lines.append(
            f"  {name}: {{ip: {q(ip)}, security_groups: [{', '.join(bound)}]{subnet}{running}}}"
        )


def draw_listener(
    draw: st.DrawFn, sk: Sketch, candidates: list[str], used: dict[int, set[str]]
) -> str | None:
    protocol = draw(st.sampled_from(LISTENER_PROTOCOLS))
    transport = "UDP" if protocol in ("UDP", "QUIC") else "TCP"
    port = draw(st.sampled_from(LISTENER_PORTS))
    if transport in used.get(port, set()):
        return None
    used.setdefault(port, set()).add(transport)
    chosen = draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1, max_size=3))
    backends = ", ".join(f"{b}:{draw(st.sampled_from(BACKEND_PORTS))}" for b in chosen)
    item = f"{{protocol: {protocol}, port: {port}, backends: [{backends}]"
    if protocol in ("HTTP", "HTTPS") and sk.family == 4 and draw(st.booleans()):
        item += ", persistent_connections: true"
    check = []
    if often(draw, 6):
        check.append("enabled: false")
    source = draw(st.sampled_from(["auto", "auto", "vip", "100.64.0.0/10"]))
    if source == "vip" or (source != "auto" and sk.family == 4):
        check.append(f"source: {source}")
    if often(draw, 4):
        check.append(f"protocol: {draw(st.sampled_from(['TCP', 'UDP', 'HTTP']))}")
    if often(draw, 4):
        check.append(f"port: {draw(st.sampled_from([8081, 80, 53]))}")
    if check:
        item += f", health_check: {{{', '.join(check)}}}"
    return item + "}"


def draw_balancers(draw: st.DrawFn, sk: Sketch) -> None:
    count = draw(st.integers(0, 2))
    sk.balancers = [f"clb-{i + 1}" for i in range(count)]
    if count:
        sk.lines.append("load_balancers:")
    for index, name in enumerate(sk.balancers):
        kind = draw(st.sampled_from(["public", "private"]))
        classic = sk.family == 4 and often(draw, 4)
        basic = sk.family == 4 and often(draw, 5)
        candidates = list(sk.instances)
        if basic:
            candidates = [i for i in candidates if sk.subnets[i] not in sk.acl_subnets]
            basic = bool(candidates)
            candidates = candidates or list(sk.instances)
        sk.lines += [
            f"  {name}:",
            f"    type: {kind}",
            f"    vip: {q(sk.data['vips'][kind][index])}",
        ]
        sk.lines.append(f"    network: {'basic' if basic else 'vpc'}")
        if classic:
            sk.lines.append("    classic: true")
            created = draw(st.sampled_from([None, "2015-08-01", "2016-12-04", "2016-12-05"]))
            sk.lines += [f"    created: {created}"] if created else []
        classic_private = classic and kind == "private"
        if not classic_private and not (basic and kind == "private") and draw(st.booleans()):
            sk.lines.append(f"    security_groups: [{draw(st.sampled_from(GROUPS))}]")
        if not classic_private and not basic and often(draw, 4):
            sk.lines.append("    bypass_backend_security_groups: true")
        sk.lines.append("    listeners:")
        used: dict[int, set[str]] = {}
        for _ in range(draw(st.integers(1, 3))):
            item = draw_listener(draw, sk, candidates, used)
            sk.lines += [f"      - {item}"] if item else []
        sk.listeners[name] = used


def draw_filters(draw: st.DrawFn, sk: Sketch) -> None:
    sk.lines.append("security_groups:")
    for group in GROUPS:
        sk.lines.append(f"  {group}:")
        sk.lines.append(f"    inbound: {draw_rules(draw, sk, True)}")
        sk.lines.append(f"    outbound: {draw_rules(draw, sk, True)}")
    if sk.acl_subnets:
        sk.lines.append("network_acls:")
    for index, subnet in enumerate(sk.acl_subnets):
        sk.lines.append(f"  acl-{index + 1}:")
        sk.lines.append(f"    subnets: [{subnet}]")
        sk.lines.append(f"    inbound: {draw_acl_rules(draw, sk, SERVICES)}")
        sk.lines.append(f"    outbound: {draw_acl_rules(draw, sk, EPHEMERAL)}")


def draw_flow(draw: st.DrawFn, sk: Sketch) -> str:
    source = draw(st.sampled_from([*sk.clients, *sk.instances]))
    others = [name for name in sk.instances if name != source]
    kinds = ["address"] + ["balancer"] * 3 * bool(sk.balancers) + ["instance"] * 2 * bool(others)
    kind = draw(st.sampled_from(kinds))
    ping = sk.data["ping"]
    protocol = draw(st.sampled_from(["TCP", "UDP", ping, "GRE"])) if often(draw, 5) else None
    if kind == "balancer":
        head = draw(st.sampled_from(sk.balancers))
        ports = sorted(sk.listeners[head]) if not often(draw, 5) else []
        port = draw(st.sampled_from(ports or LISTENER_PORTS))
        if protocol is None and len(sk.listeners[head].get(port, set())) > 1:
            protocol = draw(st.sampled_from(["TCP", "UDP"]))
    elif kind == "instance":
        head = draw(st.sampled_from(others))
        port = draw(st.sampled_from([*BACKEND_PORTS, 22, 8081]))
    else:
        head = sk.data["outside"]
        port = draw(st.sampled_from([443, 80]))
    if protocol in (ping, "GRE"):
        target = head
    elif kind == "address" and sk.family == 6:
        target = f"[{head}]:{port}"
    else:
        target = f"{head}:{port}"
    item = f"{{from: {source}, to: {q(target)}"
    item += f", protocol: {protocol}" if protocol else ""
    if protocol not in (ping, "GRE") and draw(st.booleans()):
        item += f", src_port: {draw(st.sampled_from(SOURCE_PORTS))}"
    return item + "}"


@st.composite
def random_scenario_texts(draw: st.DrawFn) -> str:
    """A valid scenario's YAML: instances in subnets with several groups, ACLs, CLBs, flows."""
    sk = Sketch(family=draw(st.sampled_from([4, 4, 4, 6])))
    sk.lines.append("title: random")
    draw_hosts(draw, sk)
    draw_balancers(draw, sk)
    draw_filters(draw, sk)
    sk.lines.append("flows:")
    sk.lines += [f"  - {draw_flow(draw, sk)}" for _ in range(draw(st.integers(1, 6)))]
    return "\n".join(sk.lines) + "\n"


def compare(text: str) -> None:
    scenario = load_text(text, "random.yaml")
    found = disagreements(scenario, reference(scenario))
    assert found == [], "\n".join([*found, "", text])


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_scenario_texts())
def test_the_reference_and_simulate_agree_on_random_scenarios(text: str) -> None:
    compare(text)


try:
    from simulator import strategies as sgst
except ImportError:  # pragma: no cover - the strategies ship with the simulator
    sgst = None  # type: ignore[assignment]


@pytest.mark.skipif(sgst is None, reason="simulator.strategies is not available")
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_the_reference_and_simulate_agree_on_scenarios_drawn_by_the_strategies(
    data: st.DataObject,
) -> None:
    family = data.draw(st.sampled_from([4, 6]))
    compare(data.draw(sgst.scenario_texts(family=family, max_instances=4)))
