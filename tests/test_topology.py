"""The graph: nodes by role, edges carrying the checkpoints a packet meets, in order."""

from __future__ import annotations

from simulator.model import Direction
from simulator.scenario import load_text
from simulator.topology import (
    AclCheck,
    ClbSecurityGroupCheck,
    Link,
    ListenerCheck,
    LoopbackCheck,
    Role,
    SecurityGroupCheck,
    ServiceCheck,
    build,
    checker_node,
    forward_key,
    probe_key,
)

TEXT = """
title: graph
clients: {alice: 203.0.113.10}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg-web], subnet: web}
  app: {ip: 10.0.2.5, security_groups: [sg-app], subnet: app}
load_balancers:
  clb:
    type: public
    vip: 119.28.10.10
    security_groups: [sg-clb]
    listeners:
      - {protocol: TCP, port: 80, backends: [rs-1:8080]}
security_groups: {sg-web: {}, sg-app: {}, sg-clb: {}}
network_acls:
  acl-web: {subnets: [web]}
flows:
  - {from: alice, to: 192.0.2.1:443}
  - {from: app, to: clb:80}
  - {from: app, to: rs-1:8080}
"""


def test_nodes_have_roles() -> None:
    graph = build(load_text(TEXT))
    roles = {n: graph.nodes[n]["role"] for n in graph}
    assert roles == {
        "alice": Role.CLIENT,
        "rs-1": Role.INSTANCE,
        "app": Role.INSTANCE,
        "clb": Role.LOAD_BALANCER,
        "clb health checker": Role.HEALTH_CHECKER,
        "address 192.0.2.1": Role.ADDRESS,
    }


def test_edges_carry_checkpoints_in_path_order() -> None:
    scenario = load_text(TEXT)
    listener = scenario.load_balancers[0].listeners[0]
    backend = listener.backends[0]
    graph = build(scenario)
    assert graph.edges["app", "clb", Link.TO_VIP]["checkpoints"] == (
        SecurityGroupCheck("app", ("sg-app",), Direction.OUTBOUND),
        ClbSecurityGroupCheck("clb", ("sg-clb",)),
        ListenerCheck("clb"),
    )
    assert graph.edges["clb", "rs-1", forward_key(listener, backend)]["checkpoints"] == (
        LoopbackCheck("rs-1"),
        AclCheck("rs-1", "acl-web", Direction.INBOUND),
        SecurityGroupCheck("rs-1", ("sg-web",), Direction.INBOUND),
        ServiceCheck("rs-1"),
    )
    probe = graph.edges[checker_node("clb"), "rs-1", probe_key(listener, backend)]
    assert probe["checkpoints"][0] == AclCheck("rs-1", "acl-web", Direction.INBOUND)
    assert graph.edges["app", "rs-1", Link.DIRECT]["checkpoints"] == (
        SecurityGroupCheck("app", ("sg-app",), Direction.OUTBOUND),
        AclCheck("rs-1", "acl-web", Direction.INBOUND),
        SecurityGroupCheck("rs-1", ("sg-web",), Direction.INBOUND),
        ServiceCheck("rs-1"),
    )
    assert graph.edges["alice", "address 192.0.2.1", Link.DIRECT]["checkpoints"] == ()


def test_flows_alone_decide_which_host_edges_exist() -> None:
    graph = build(load_text(TEXT))
    hosts = [(u, v, k) for u, v, k in graph.edges(keys=True) if k in (Link.DIRECT, Link.TO_VIP)]
    assert sorted(hosts) == [
        ("alice", "address 192.0.2.1", Link.DIRECT),
        ("app", "clb", Link.TO_VIP),
        ("app", "rs-1", Link.DIRECT),
    ]
