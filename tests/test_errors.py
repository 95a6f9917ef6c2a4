"""Bad input: a table of small scenario texts and the exact ``FILE:LINE: FIELD: message``.

Each text is written line by line, so the line a message names can be counted by eye.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.scenario import load_text
from simulator.simulate import simulate


def y(*lines: str) -> str:
    """A YAML text from its lines; line 1 is the first argument."""
    return "\n".join(lines) + "\n"


#: Lines 1-20 of the flow and health-check rows; their own item is on line 22.
BASE = (
    "title: x",
    "clients:",
    "  alice: 203.0.113.10",
    "instances:",
    "  rs-1: {ip: 10.0.1.11, security_groups: [sg-web]}",
    "  rs-2: {ip: 10.0.1.12, security_groups: [sg-web]}",
    "security_groups:",
    "  sg-web:",
    "    inbound: [0.0.0.0/0 + 8080 allow]",
    "load_balancers:",
    "  clb-1:",
    "    type: public",
    "    vip: 119.28.10.10",
    "    listeners:",
    "      - protocol: TCP",
    "        port: 80",
    "        backends: [rs-1:8080]",
    "      - protocol: UDP",
    "        port: 53",
    "        backends: [rs-1:53, rs-2:53]",
)


def flow(item: str) -> str:
    return y(*BASE, "flows:", f"  - {item}")


def health(*items: str) -> str:
    return y(*BASE, "health_checks:", *(f"  - {item}" for item in items))


def lb(*lines: str, instances: tuple[str, ...] = ()) -> str:
    """An instance on line 3, then load balancer ``clb-1`` whose ``lines`` start on line 6."""
    return y(
        "title: x",
        "instances:",
        "  rs-1: {ip: 10.0.0.1, security_groups: []}",
        *instances,
        "load_balancers:",
        "  clb-1:",
        *(f"    {line}" for line in lines),
    )


def listeners(*lines: str) -> str:
    """``clb-1`` (public, VIP 1.1.1.1) with the listener lines given, the first on line 9."""
    return lb("type: public", "vip: 1.1.1.1", "listeners:", *(f"  {line}" for line in lines))


def rule(text: str, *before: str) -> str:
    """A security group whose first inbound rule, on line ``5 + len(before)``, is ``text``."""
    return y(
        "title: x", *before, "security_groups:", "  sg-web:", "    inbound:", f"      - {text}"
    )


BAD = [
    # -- the file as a whole --------------------------------------------------------------
    pytest.param(
        y("title: x", "clients:", "  a: 1.2.3.4", " b: 5.6.7.8"),
        "bad.yaml:4: yaml: malformed YAML: expected <block end>, but found '<block mapping start>' (column 2)",
        id="malformed YAML",
    ),
    pytest.param(
        y("title: x", "\tclients: {}"),
        "bad.yaml:2: yaml: malformed YAML: found character '\\t' that cannot start any token (column 1)",
        id="malformed YAML, a tab",
    ),
    pytest.param(
        '{"Response": {"SecurityGroupPolicySet": {}},\n "RequestId": "x"}',
        "bad.yaml:1: Response: not a scenario but what `sgsim import tencent` reads: it writes a "
        "scenario from this file",
        id="an API response",
    ),
    pytest.param(
        y('{"format_version": "1.0",', ' "values": {}}'),
        "bad.yaml:1: format_version: not a scenario but what `sgsim import terraform` reads: it "
        "writes a scenario from this file",
        id="terraform show -json",
    ),
    pytest.param(
        "",
        "bad.yaml:1: title: the file is empty; a scenario needs at least a title",
        id="empty file",
    ),
    pytest.param(
        y("# only a comment"),
        "bad.yaml:1: title: the file is empty; a scenario needs at least a title",
        id="only a comment",
    ),
    pytest.param(
        y("clients:", "  a: 1.2.3.4"),
        "bad.yaml:1: title: required key is missing",
        id="missing title",
    ),
    pytest.param(
        y("title: ''"),
        "bad.yaml:1: title: must not be empty",
        id="empty title",
    ),
    pytest.param(
        y("title:"),
        "bad.yaml:1: title: expected text, got nothing (null)",
        id="null title",
    ),
    pytest.param(
        y("title: x", "client:", "  a: 1.2.3.4"),
        "bad.yaml:2: client: unknown key (did you mean 'clients'?)",
        id="unknown top-level key",
    ),
    pytest.param(
        y("title: x", "title: y"),
        "bad.yaml:2: title: duplicate key (first given on line 1)",
        id="duplicate top-level key",
    ),
    # -- names and addresses --------------------------------------------------------------
    pytest.param(
        y("title: x", "clients:", "  web: 1.2.3.4", "instances:", "  web: {ip: 10.0.0.1, security_groups: []}"),
        "bad.yaml:5: instances.web: name 'web' is already used by the client on line 3",
        id="duplicate name, client and instance",
    ),
    pytest.param(
        y("title: x", "clients:", "  web: 1.2.3.4", "security_groups:", "  web: {}"),
        "bad.yaml:5: security_groups.web: name 'web' is already used by the client on line 3",
        id="duplicate name, client and security group",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: []}", "load_balancers:", "  rs-1: {type: public, vip: 1.1.1.1}"),
        "bad.yaml:5: load_balancers.rs-1: name 'rs-1' is already used by the instance on line 3",
        id="duplicate name, instance and load balancer",
    ),
    pytest.param(
        y("title: x", "clients:", "  my client: 1.2.3.4"),
        "bad.yaml:3: clients.my client: 'my client' is not a valid name: use letters, digits, '.', '_' or '-'",
        id="invalid name, a space",
    ),
    pytest.param(
        y("title: x", "clients:", "  'a:b': 1.2.3.4"),
        "bad.yaml:3: clients.a:b: 'a:b' is not a valid name: use letters, digits, '.', '_' or '-'",
        id="invalid name, a colon",
    ),
    pytest.param(
        y("title: x", "clients:", "  a: 1.2.3.400"),
        "bad.yaml:3: clients.a: '1.2.3.400' is not a valid IPv4 or IPv6 address",
        id="bad address, short form",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0, security_groups: []}"),
        "bad.yaml:3: instances.rs-1.ip: '10.0.0' is not a valid IPv4 or IPv6 address",
        id="bad address, instance",
    ),
    pytest.param(
        y("title: x", "clients:", "  a: 1.2.3.4", "  b: 1.2.3.4"),
        "bad.yaml:4: clients.b: address 1.2.3.4 is already used by 'a'",
        id="duplicate address",
    ),
    pytest.param(
        y("title: x", "clients:", "  a: '2001:db8::1'", "  b: '2001:DB8:0::1'"),
        "bad.yaml:4: clients.b: address 2001:db8::1 is already used by 'a'",
        id="duplicate address, IPv6 written differently",
    ),
    pytest.param(
        y("title: x", "clients:", "  a: 1.2.3.4", "load_balancers:", "  clb-1: {type: public, vip: 1.2.3.4}"),
        "bad.yaml:5: load_balancers.clb-1.vip: address 1.2.3.4 is already used by 'a'",
        id="duplicate address, a VIP",
    ),
    # -- instances ------------------------------------------------------------------------
    pytest.param(
        y("title: x", "instances:", "  rs-1:", "    ip: 10.0.0.1", "    security_groups: []", "    subnett: s"),
        "bad.yaml:6: instances.rs-1.subnett: unknown key (did you mean 'subnet'?)",
        id="unknown instance key",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1}"),
        "bad.yaml:3: instances.rs-1.security_groups: required key is missing",
        id="instance without security_groups",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [sg-wbe]}", "security_groups:", "  sg-web: {}"),
        "bad.yaml:3: instances.rs-1.security_groups[0]: unknown security group 'sg-wbe' (did you mean 'sg-web'?)",
        id="unknown security group",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1:", "    ip: 10.0.0.1", "    security_groups:", "      - sg-web", "      - sg-web", "security_groups:", "  sg-web: {}"),
        "bad.yaml:7: instances.rs-1.security_groups[1]: security group 'sg-web' is bound twice",
        id="group bound twice",
    ),
    # -- rules ----------------------------------------------------------------------------
    pytest.param(
        rule("0.0.0.0/0 8080 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: '0.0.0.0/0 8080 allow' is not 'PEER + PORTS ACTION' (no '+')",
        id="bad rule text",
    ),
    pytest.param(
        rule("0.0.0.0/0 + 8080 permit"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: unknown action 'permit'; write allow/accept or drop/deny",
        id="bad action",
    ),
    pytest.param(
        rule("0.0.0.0/0 + 70000 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: port 70000 is out of range 1-65535",
        id="port out of range",
    ),
    pytest.param(
        rule("0.0.0.0/0 + 90-80 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: port range 90-80 is reversed; write 80-90",
        id="reversed range",
    ),
    pytest.param(
        rule("10.0.0.1/8 + 80 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?",
        id="host bits set",
    ),
    pytest.param(
        rule("0.0.0.0/0 + ICMP:8 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: port 8 with protocol ICMP: ICMP has no ports; write port ALL",
        id="port with ICMP",
    ),
    pytest.param(
        rule("{peer: [1.2.3.4, 5.6.7.8], action: allow}"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: a rule has exactly one peer; write one rule per peer",
        id="two peers, structured",
    ),
    pytest.param(
        rule("1.2.3.4 5.6.7.8+80 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: a rule has exactly one peer, got '1.2.3.4 5.6.7.8'; write one rule per peer",
        id="two peers, seed notation",
    ),
    pytest.param(
        rule("{peer: 0.0.0.0/0, action: allow, ports: 80}"),
        "bad.yaml:5: security_groups.sg-web.inbound[0].ports: unknown key (did you mean 'port'?)",
        id="structured rule, unknown key",
    ),
    pytest.param(
        rule("CLB VIP + 80 allow", "load_balancers:", "  clb-1: {type: public, vip: 1.1.1.1}", "  clb-2: {type: public, vip: 1.1.1.2}"),
        "bad.yaml:8: security_groups.sg-web.inbound[0]: 'CLB VIP' is ambiguous with several load balancers; write NAME VIP, with NAME one of clb-1, clb-2",
        id="CLB VIP with two load balancers",
    ),
    pytest.param(
        rule("ClientB IP + 80 allow", "clients:", "  ClientA: 1.2.3.4"),
        "bad.yaml:7: security_groups.sg-web.inbound[0]: unknown client or instance 'ClientB' (did you mean 'ClientA'?)",
        id="unknown NAME IP",
    ),
    pytest.param(
        rule("clb-2 VIP + 80 allow", "load_balancers:", "  clb-1: {type: public, vip: 1.1.1.1}"),
        "bad.yaml:7: security_groups.sg-web.inbound[0]: unknown load balancer 'clb-2' (did you mean 'clb-1'?)",
        id="unknown NAME VIP",
    ),
    pytest.param(
        rule("sg-wbe + 80 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: unknown peer 'sg-wbe': not an address, a CIDR or a security group (did you mean 'sg-web'?)",
        id="unknown security group peer",
    ),
    pytest.param(
        rule("5"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: a rule is 'PEER + PORTS ACTION' or a mapping with peer, protocol, port, action; got 5",
        id="a rule that is a number",
    ),
    pytest.param(
        y("title: x", "security_groups:", "  sg-web:", "    ingress: []"),
        "bad.yaml:4: security_groups.sg-web.ingress: unknown key; expected one of inbound, outbound",
        id="unknown group key",
    ),
    # -- network ACLs ---------------------------------------------------------------------
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [sg-web], subnet: s1}", "security_groups:", "  sg-web: {}", "network_acls:", "  acl-1:", "    subnets: [s1]", "    inbound:", "      - sg-web + 80 allow"),
        "bad.yaml:10: network_acls.acl-1.inbound[0]: 'sg-web' is a security group; network ACL rules take addresses only",
        id="security group peer in an ACL rule",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [], subnet: subnet-web}", "network_acls:", "  acl-1:", "    subnets: [subnet-wbe]"),
        "bad.yaml:6: network_acls.acl-1.subnets[0]: no instance is in subnet 'subnet-wbe' (did you mean 'subnet-web'?)",
        id="ACL on an unknown subnet",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [], subnet: s1}", "network_acls:", "  acl-1:", "    subnets: [s1]", "  acl-2:", "    subnets: [s1]"),
        "bad.yaml:8: network_acls.acl-2.subnets[0]: subnet 's1' already has network ACL 'acl-1'; a subnet has at most one",
        id="a subnet with two ACLs",
    ),
    # -- load balancers -------------------------------------------------------------------
    pytest.param(
        y("title: x", "load_balancers:", "  clb-1: {type: public}"),
        "bad.yaml:3: load_balancers.clb-1.vip: required key is missing",
        id="load balancer without vip",
    ),
    pytest.param(
        lb("type: pubic", "vip: 1.1.1.1"),
        "bad.yaml:6: load_balancers.clb-1.type: 'pubic' is not one of public, private (did you mean 'public'?)",
        id="bad load balancer type",
    ),
    pytest.param(
        lb("type: public", "vip: 1.1.1.1", "network: classic"),
        "bad.yaml:8: load_balancers.clb-1.network: 'classic' is not one of vpc, basic (did you mean 'basic'?)",
        id="bad network",
    ),
    pytest.param(
        lb("type: public", "vip: 1.1.1.1", "security_groups: [sg-cbl]", instances=("security_groups:", "  sg-clb: {}")),
        "bad.yaml:10: load_balancers.clb-1.security_groups[0]: unknown security group 'sg-cbl' (did you mean 'sg-clb'?)",
        id="unknown security group on a load balancer",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-2:8080]"),
        "bad.yaml:11: load_balancers.clb-1.listeners[0].backends[0]: unknown instance 'rs-2' (did you mean 'rs-1'?)",
        id="backend unknown",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1:http]"),
        "bad.yaml:11: load_balancers.clb-1.listeners[0].backends[0]: 'http' is not a port number",
        id="backend port not a number",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1:0]"),
        "bad.yaml:11: load_balancers.clb-1.listeners[0].backends[0]: port 0 is out of range 1-65535",
        id="backend port out of range",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1]"),
        "bad.yaml:11: load_balancers.clb-1.listeners[0].backends[0]: 'rs-1' is not INSTANCE:PORT",
        id="backend without port",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1:8080, rs-1:8080]"),
        "bad.yaml:11: load_balancers.clb-1.listeners[0].backends[1]: backend rs-1:8080 is listed twice",
        id="backend listed twice",
    ),
    pytest.param(
        listeners("- protocol: HTTPX", "  port: 80", "  backends: []"),
        "bad.yaml:9: load_balancers.clb-1.listeners[0].protocol: 'HTTPX' is not one of TCP, UDP, TCP_SSL, QUIC, HTTP, HTTPS (did you mean 'HTTP'?)",
        id="bad listener protocol",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1:8080]", "  persistent_connections: true"),
        "bad.yaml:12: load_balancers.clb-1.listeners[0].persistent_connections: persistent connections exist only on layer-7 (HTTP, HTTPS) listeners, not TCP",
        id="persistent_connections on a TCP listener",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: []", "  health_check: {source: 100.64.0.0/11}"),
        "bad.yaml:12: load_balancers.clb-1.listeners[0].health_check.source: '100.64.0.0/11' is not one of auto, vip, 100.64.0.0/10 (did you mean '100.64.0.0/10'?)",
        id="bad health-check source",
    ),
    pytest.param(
        lb("type: private", "classic: true", "vip: 10.1.1.1", "bypass_backend_security_groups: true"),
        "bad.yaml:9: load_balancers.clb-1.bypass_backend_security_groups: a classic private load balancer cannot bypass backend security groups (§3.4)",
        id="bypass on a classic private CLB",
    ),
    pytest.param(
        lb("type: private", "classic: true", "vip: 10.1.1.1", "security_groups: [sg-clb]", instances=("security_groups:", "  sg-clb: {}")),
        "bad.yaml:11: load_balancers.clb-1.security_groups[0]: a classic private load balancer cannot have security groups (§3.2)",
        id="security groups on a classic private CLB",
    ),
    pytest.param(
        lb("type: private", "vip: 10.1.1.1", "created: yesterday"),
        "bad.yaml:8: load_balancers.clb-1.created: 'yesterday' is not a date; write YYYY-MM-DD",
        id="bad created date, a word",
    ),
    pytest.param(
        lb("type: private", "vip: 10.1.1.1", "created: '2016-13-01'"),
        "bad.yaml:8: load_balancers.clb-1.created: '2016-13-01' is not a date; write YYYY-MM-DD",
        id="bad created date, quoted",
    ),
    # -- flows ----------------------------------------------------------------------------
    pytest.param(
        flow("{from: alcie, to: clb-1:80}"),
        "bad.yaml:22: flows[0].from: unknown client or instance 'alcie' (did you mean 'alice'?)",
        id="flow from unknown",
    ),
    pytest.param(
        flow("{from: clb-1, to: rs-1:8080}"),
        "bad.yaml:22: flows[0].from: 'clb-1' is a load balancer; a flow starts at a client or an instance",
        id="flow from a load balancer",
    ),
    pytest.param(
        flow("{to: rs-1:8080}"),
        "bad.yaml:22: flows[0].from: required key is missing",
        id="flow without from",
    ),
    pytest.param(
        flow("{from: alice, to: rs-3:8080}"),
        "bad.yaml:22: flows[0].to: unknown target 'rs-3': not a load balancer, an instance or an address (did you mean 'rs-2'?)",
        id="flow to unknown target",
    ),
    pytest.param(
        flow("{from: rs-1, to: alice:8080}"),
        "bad.yaml:22: flows[0].to: 'alice' is a client; a flow goes to a load balancer, an instance or an address",
        id="flow to a client",
    ),
    pytest.param(
        flow("{from: rs-1, to: rs-1:8080}"),
        "bad.yaml:22: flows[0].to: a flow from 'rs-1' to itself never leaves the instance",
        id="flow to itself",
    ),
    pytest.param(
        flow("{from: rs-1, to: '10.0.1.11:8080'}"),
        "bad.yaml:22: flows[0].to: a flow from 'rs-1' to itself never leaves the instance",
        id="flow to its own address",
    ),
    pytest.param(
        flow("{from: alice, to: rs-1}"),
        "bad.yaml:22: flows[0].to: 'rs-1' has no port; write TARGET:PORT",
        id="flow without port",
    ),
    pytest.param(
        flow("{from: alice, to: clb-1:99999}"),
        "bad.yaml:22: flows[0].to: port 99999 is out of range 1-65535",
        id="flow port out of range",
    ),
    pytest.param(
        flow("{from: alice, to: rs-1:8080, protocol: ICMP}"),
        "bad.yaml:22: flows[0].to: ICMP has no ports; write the target without ':8080'",
        id="flow with port and ICMP",
    ),
    pytest.param(
        flow("{from: alice, to: rs-1, protocol: ICMP, src_port: 4000}"),
        "bad.yaml:22: flows[0].src_port: ICMP has no ports",
        id="flow with source port and ICMP",
    ),
    pytest.param(
        flow("{from: alice, to: clb-1:80, protocol: TCPP}"),
        "bad.yaml:22: flows[0].protocol: unknown protocol 'TCPP'; expected one of TCP, UDP, ICMP, ICMPv6, GRE (did you mean 'TCP'?)",
        id="flow with a bad protocol",
    ),
    pytest.param(
        flow("{from: alice, to: clb-1:80, expect: allow}"),
        "bad.yaml:22: flows[0].expect: 'allow' is not one of allowed, denied, partial (did you mean 'allowed'?)",
        id="bad expect value",
    ),
    pytest.param(
        flow("{from: alice, to: clb-1:80, expected: allowed}"),
        "bad.yaml:22: flows[0].expected: unknown key (did you mean 'expect'?)",
        id="unknown flow key",
    ),
    # -- health checks --------------------------------------------------------------------
    pytest.param(
        health("{listener: clb-1:81, backend: rs-1, expect: healthy}"),
        "bad.yaml:22: health_checks[0].listener: load balancer 'clb-1' has no listener 81; it has clb-1:TCP:80, clb-1:UDP:53",
        id="health check listener unknown",
    ),
    pytest.param(
        health("{listener: clb-2:80, backend: rs-1, expect: healthy}"),
        "bad.yaml:22: health_checks[0].listener: unknown load balancer 'clb-2' (did you mean 'clb-1'?)",
        id="health check load balancer unknown",
    ),
    pytest.param(
        health("{listener: clb-1:80, backend: rs-2, expect: healthy}"),
        "bad.yaml:22: health_checks[0].backend: 'rs-2' is not a backend of listener TCP:80; its backends are rs-1:8080 (did you mean 'rs-1'?)",
        id="health check backend not on listener",
    ),
    pytest.param(
        health(
            "{listener: clb-1:80, backend: rs-1, expect: healthy}",
            "{listener: clb-1:TCP:80, backend: rs-1, expect: unhealthy}",
        ),
        "bad.yaml:23: health_checks[1]: the health check of clb-1:TCP:80 on rs-1:8080 is already expected on line 22",
        id="duplicate health-check expectation",
    ),
    pytest.param(
        health("{listener: clb-1:80, backend: rs-1, expect: up}"),
        "bad.yaml:22: health_checks[0].expect: 'up' is not one of healthy, unhealthy",
        id="bad health expect value",
    ),
    # -- wrong types ----------------------------------------------------------------------
    pytest.param(
        y("title: x", "clients: [alice, bob]"),
        "bad.yaml:2: clients: expected a mapping, got a list",
        id="a list where a mapping is expected",
    ),
    pytest.param(
        y("title: x", "load_balancers:", "  clb-1: [public]"),
        "bad.yaml:3: load_balancers.clb-1: expected a mapping, got a list",
        id="a list where a load balancer is expected",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: {sg: 1}}"),
        "bad.yaml:3: instances.rs-1.security_groups: expected a list, got a mapping",
        id="a mapping where a list is expected",
    ),
    pytest.param(
        y("title: x", "flows:", "  a: b"),
        "bad.yaml:2: flows: expected a list, got a mapping",
        id="flows as a mapping",
    ),
    pytest.param(
        y("title: [a, b]"),
        "bad.yaml:1: title: expected text, got a list",
        id="a list where text is expected",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [], running: 'no'}"),
        "bad.yaml:3: instances.rs-1.running: expected true or false, got str 'no'",
        id="text where a bool is expected",
    ),
    pytest.param(
        lb("type: public", "vip: 1.1.1.1", "bypass_backend_security_groups: sometimes"),
        "bad.yaml:8: load_balancers.clb-1.bypass_backend_security_groups: expected true or false, got str 'sometimes'",
        id="a word where a bool is expected",
    ),
    pytest.param(
        listeners("- {protocol: TCP, port: eighty, backends: []}"),
        "bad.yaml:9: load_balancers.clb-1.listeners[0].port: expected a port number, got str 'eighty'",
        id="text where a port is expected",
    ),
]  # fmt: skip


BAD += [
    pytest.param(
        lb("type: private", "vip: 10.1.1.1", "created: 2016-13-01"),
        "bad.yaml:8: load_balancers.clb-1.created: '2016-13-01' is not a date; write YYYY-MM-DD",
        id="bad created date, unquoted",
    ),
    pytest.param(
        lb(
            "type: private",
            "classic: true",
            "created: 2016-12-01 10:00:00",
            "vip: 10.1.1.1",
            "listeners: [{protocol: TCP, port: 80, backends: ['rs-1:80']}]",
        ),
        "bad.yaml:8: load_balancers.clb-1.created: '2016-12-01 10:00:00' is not a date; write YYYY-MM-DD",
        id="created date with a time",
    ),
    pytest.param(
        y("- a", "- b"),
        "bad.yaml:1: file: expected a mapping, got a list",
        id="the file is a list",
    ),
    pytest.param(
        y("title: x", "foo: 1"),
        "bad.yaml:2: foo: unknown key; expected one of title, source, notes, clients, instances, load_balancers, security_groups, network_acls, flows, health_checks",
        id="unknown top-level key lists title twice",
    ),
    pytest.param(
        y("title: x", "clients:", "  a: 1.2.3.4", "  a: 1.2.3.5"),
        "bad.yaml:4: clients.a: duplicate key (first given on line 3)",
        id="duplicate key has no path",
    ),
    pytest.param(
        y("title: x", "clients:", "  yes: 1.2.3.4"),
        "bad.yaml:3: clients.yes: keys must be text; YAML reads yes as true, so put it in quotes",
        id="a key YAML reads as a boolean",
    ),
    pytest.param(
        y("title: x", "clients: {? : 1.2.3.4}"),
        "bad.yaml:2: clients.(empty key): keys must be text; this key is empty, which YAML reads as null",
        id="an empty key",
    ),
    pytest.param(
        y("title: x", "clients: [a"),
        "bad.yaml:2: yaml: malformed YAML: expected ',' or ']', but got '<stream end>' (column 10)",
        id="unclosed bracket located past the end",
    ),
    pytest.param(
        y("title: x", "clients:", "  alice: 1.2.3.4", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: []}", "load_balancers:", "  clb-1:", "    type: public", "    vip: 1.1.1.1", "    listeners:", "      - protocol: TCP", "        port: 80", "        backends: [alice:8080]"),
        "bad.yaml:13: load_balancers.clb-1.listeners[0].backends[0]: 'alice' is a client, not an instance",
        id="backend is a client",
    ),
    pytest.param(
        y("title: x", "clients:", "  sg-web: 1.2.3.4", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [sg-web]}"),
        "bad.yaml:5: instances.rs-1.security_groups[0]: 'sg-web' is a client, not a security group",
        id="a client where a group is expected",
    ),
    pytest.param(
        listeners("- protocol: TCP", "  port: 80", "  backends: [rs-1:8080]", "- protocol: HTTP", "  port: 80", "  backends: [rs-1:8081]"),
        "bad.yaml:13: load_balancers.clb-1.listeners[1].port: TCP port 80 is already used by the TCP:80 listener on line 9",
        id="listener port used twice is located on the listener",
    ),
    pytest.param(
        y("title: x", "instances:", "  rs-1: {ip: 10.0.0.1, security_groups: [], subnet: s1}", "network_acls:", "  acl-1:", "    subnets: [s1]", "load_balancers:", "  clb-1:", "    type: private", "    network: basic", "    vip: 10.1.1.1", "    listeners:", "      - {protocol: TCP, port: 80, backends: ['rs-1:8080']}"),
        "bad.yaml:10: load_balancers.clb-1.network: a basic-network load balancer's backend 'rs-1' is in subnet 's1' with network ACL 'acl-1'; network ACLs exist only in VPCs",
        id="basic network with an ACL is located on the name",
    ),
    pytest.param(
        flow("{from: alice, to: clb-1:80, protocol: ALL}"),
        "bad.yaml:22: flows[0].protocol: a flow has one protocol, not ALL; expected one of TCP, UDP, ICMP, ICMPv6, GRE",
        id="flow with protocol ALL",
    ),
    pytest.param(
        y(
            "title: x",
            "instances:",
            "  rs-1: {ip: 10.0.0.1, security_groups: [sg-web]}",
            "security_groups:",
            "  10.0.0.9: {}",
            "  sg-web:",
            "    inbound: [10.0.0.9 + 80 allow]",
        ),
        "bad.yaml:5: security_groups.10.0.0.9: '10.0.0.9' is not a valid name: it reads as an address",
        id="a name that is an address",
    ),
    pytest.param(
        rule("1.2.3.4 5.6.7.8 + 80 allow"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: a rule has exactly one peer, got '1.2.3.4 5.6.7.8'; write one rule per peer",
        id="two peers quoted with a trailing space",
    ),
]  # fmt: skip


def message_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "bad.yaml")
    return str(caught.value)


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_scenario(text: str, message: str) -> None:
    assert message_of(text) == message


def test_the_error_carries_its_parts() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(rule("0.0.0.0/0 + 90-80 allow"), "bad.yaml")
    error = caught.value
    assert (error.file, error.line, error.field) == (
        "bad.yaml",
        5,
        "security_groups.sg-web.inbound[0]",
    )
    assert error.message == "port range 90-80 is reversed; write 80-90"


# -- what is not an error ----------------------------------------------------------------------


def test_tcp_and_udp_listeners_may_share_a_port() -> None:
    text = listeners(
        "- protocol: TCP", "  port: 80", "  backends: [rs-1:8080]",
        "- protocol: UDP", "  port: 80", "  backends: [rs-1:8080]",
    )  # fmt: skip
    keys = [li.key for li in load_text(text, "ok.yaml").load_balancers[0].listeners]
    assert keys == ["TCP:80", "UDP:80"]


def test_a_flow_to_a_shared_port_needs_a_protocol() -> None:
    text = listeners(
        "- protocol: TCP", "  port: 80", "  backends: [rs-1:8080]",
        "- protocol: UDP", "  port: 80", "  backends: [rs-1:8080]",
    )  # fmt: skip
    text += y("clients:", "  alice: 203.0.113.10", "flows:", "  - {from: alice, to: clb-1:80}")
    assert message_of(text) == (
        "bad.yaml:18: flows[0].to: clb-1 has TCP and UDP listeners on port 80; give the flow a protocol"
    )
    ok = text.replace("to: clb-1:80}", "to: clb-1:80, protocol: udp}")
    assert load_text(ok, "ok.yaml").flows[0].target.port == 80


def test_the_base_of_the_flow_rows_is_valid() -> None:
    scenario = load_text(flow("{from: alice, to: clb-1:80, expect: allowed}"), "ok.yaml")
    assert scenario.flows[0].line == 22
    simulate(scenario)


# -- through the command line ------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "bad.yaml"],
        ["replay", "--format", "json", "bad.yaml"],
        ["trace", "bad.yaml", "--from", "alice", "--to", "clb-1:80"],
    ],
    ids=["replay", "replay json", "trace"],
)
def test_cli_bad_file_is_one_line_on_stderr_and_exit_2(
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(tmp_path, "bad.yaml", rule("0.0.0.0/0 + 90-80 allow"))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "bad.yaml:5: security_groups.sg-web.inbound[0]: port range 90-80 is reversed; write 80-90\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        p
        for p in BAD
        if p.id in ("malformed YAML", "empty file", "backend unknown", "flow to itself")
    ],
)
def test_cli_reports_the_table_message(
    text: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(tmp_path, "bad.yaml", text)
    monkeypatch.chdir(tmp_path)
    assert main(["replay", "bad.yaml"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", message + "\n")


def test_cli_folder_with_one_bad_file_reports_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "a-good.yaml", flow("{from: alice, to: clb-1:80}"))
    bad = write(tmp_path, "b-bad.yaml", y("title: x", "clients:", "  a: 1.2.3.400"))
    assert main(["replay", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{bad}:3: clients.a: '1.2.3.400' is not a valid IPv4 or IPv6 address\n"


def test_cli_reports_every_bad_file_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path, "a.yaml", "")
    second = write(tmp_path, "b.yaml", y("clients: {}"))
    assert main(["replay", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{first}:1: title: the file is empty; a scenario needs at least a title",
        f"{second}:1: title: required key is missing",
    ]


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["replay", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"sgsim: {missing}: no such file or folder\n")


def test_cli_missing_file_for_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["trace", str(missing), "--from", "a", "--to", "b:1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"sgsim: {missing}: no such file\n"


def test_cli_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"sgsim: {tmp_path}: no *.yaml scenario files in this folder\n")


def test_cli_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"title: caf\xe9\n")
    assert main(["replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{path}:1: file: cannot read the file: 'utf-8' codec can't decode byte 0xe9 in "
        "position 10: invalid continuation byte\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        p.values[0]
        for p in BAD
        if p.id in ("bad created date, unquoted", "created date with a time")
    ],
    ids=["impossible date", "date with a time"],
)
def test_cli_bug_no_traceback_for_a_bad_date(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    assert main(["replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


#: Found by review: silent misreadings, crashes and alias bombs, each now a located error.
REVIEW = [
    pytest.param(
        y("title: x","instances:","  rs-1:","    ip: 10.0.1.11","    security_groups:"),
        'bad.yaml:5: instances.rs-1.security_groups: expected a list, got nothing (null); write [] for none',
        id='security_groups left empty',
    ),
    pytest.param(
        listeners("- {protocol: TCP, port: 80, backends: }"),
        'bad.yaml:9: load_balancers.clb-1.listeners[0].backends: expected a list, got nothing (null); write [] for none',
        id='backends left empty',
    ),
    pytest.param(
        y("title: x","instances:","  rs-1: {ip: 10.0.0.1, security_groups: [], subnet: s1}","network_acls:","  acl-1: {subnets: }"),
        'bad.yaml:5: network_acls.acl-1.subnets: expected a list, got nothing (null); write [] for none',
        id='acl subnets left empty',
    ),
    pytest.param(
        rule("{peer: 0.0.0.0/0, port: 1:20, action: accept}"),
        "bad.yaml:5: security_groups.sg-web.inbound[0].port: '1:20' is not a decimal number (YAML 1.1 reads it as 80); write it in decimal, or quote it as text",
        id='sexagesimal port',
    ),
    pytest.param(
        rule("{peer: 0.0.0.0/0, port: 0443, action: accept}"),
        "bad.yaml:5: security_groups.sg-web.inbound[0].port: '0443' is not a decimal number (YAML 1.1 reads it as 291); write it in decimal, or quote it as text",
        id='octal port',
    ),
    pytest.param(
        flow("{from: alice, to: 'rs-1:8080', src_port: 0x9C40}"),
        "bad.yaml:22: flows[0].src_port: '0x9C40' is not a decimal number (YAML 1.1 reads it as 40000); write it in decimal, or quote it as text",
        id='hex source port',
    ),
    pytest.param(
        rule("'0.0.0.0/0 + \uff18\uff10 allow'"),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: unknown protocol '\uff18\uff10'; expected one of TCP, UDP, ICMP, ICMPv6, GRE, ALL",
        id='full-width digits in a rule',
    ),
    pytest.param(
        flow("{from: alice, to: 'rs-1:²'}"),
        "bad.yaml:22: flows[0].to: 'rs-1:²' has no port; write TARGET:PORT",
        id='superscript port in a target',
    ),
    pytest.param(
        listeners("- {protocol: TCP, port: 80, backends: ['rs-1:³']}"),
        "bad.yaml:9: load_balancers.clb-1.listeners[0].backends[0]: '³' is not a port number",
        id='superscript backend port',
    ),
    pytest.param(
        y("title: x","clients: {A: 203.0.113.10}","instances:","  v6: {ip: '2001:db8::11', security_groups: []}","flows:","  - {from: A, to: 'v6:22'}"),
        "bad.yaml:6: flows[0].to: 'A' has an IPv4 address and 2001:db8::11 is IPv6; a connection stays in one address family",
        id='IPv4 client to an IPv6 instance',
    ),
    pytest.param(
        y("title: x","clients: {A: '2001:db8::10'}","instances:","  v6: {ip: '2001:db8::11', security_groups: []}","flows:","  - {from: A, to: v6, protocol: ICMP}"),
        'bad.yaml:6: flows[0].to: ICMP does not reach an IPv6 address; use ICMPv6',
        id='ICMP to an IPv6 instance',
    ),
    pytest.param(
        y("title: x","clients: {A: '2001:db8::10'}","flows:","  - {from: A, to: '2001:db8::5:443'}"),
        "bad.yaml:4: flows[0].to: write an IPv6 address with a port in brackets: '[2001:db8::5]:443'",
        id='IPv6 address with a port, unbracketed',
    ),
    pytest.param(
        y("title: x","clients: &a {A: *a}"),
        'bad.yaml:1: yaml: the document nests too deeply, or an alias refers to itself',
        id='recursive alias',
    ),
    pytest.param(
        y("title: x","a: &a [1,1,1,1,1,1,1,1,1,1]","b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]","c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]","d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]","e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]","f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]"),
        'bad.yaml:2: yaml: the document expands to more than 200000 values (aliases?)',
        id='alias bomb',
    ),
    pytest.param(
        y("title: x","clients:",'  "A\\n": 1.2.3.4'),
        "bad.yaml:3: clients.A\\n: 'A\\n' is not a valid name: use letters, digits, '.', '_' or '-'",
        id='a newline in a name',
    ),
    pytest.param(
        rule('"foo\\nbar + 80 allow"'),
        "bad.yaml:5: security_groups.sg-web.inbound[0]: a rule has exactly one peer, got 'foo\\nbar'; write one rule per peer",
        id='a newline in a rule',
    ),
    pytest.param(
        y("title: x","instances:","  rs-1: {ip: 10.0.0.1, security_groups: [off]}"),
        'bad.yaml:3: instances.rs-1.security_groups[0]: expected text, got false (YAML reads yes, no, on and off as true or false: quote it)',
        id='a quoted-looking boolean in a list',
    ),
    pytest.param(
        lb("type: private","classic: true","vip: 10.1.1.1","created: 20161204"),
        "bad.yaml:9: load_balancers.clb-1.created: '20161204' is not a date; write YYYY-MM-DD",
        id='created as a plain number',
    ),
    pytest.param(
        y("title: x", "l0: &l0 {k: 1}", *(f"l{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}]}}" for i in range(1, 30))),
        "bad.yaml:2: yaml: the document expands to more than 200000 values (aliases?)",
        id="merge-key bomb",
    ),
    pytest.param(
        y("title: x", "notes: " + "[" * 5000 + "]" * 5000),
        "bad.yaml:1: yaml: the document nests too deeply",
        id="nesting too deep for the parser",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), REVIEW)
def test_bad_scenario_found_by_review(text: str, message: str) -> None:
    assert message_of(text) == message
