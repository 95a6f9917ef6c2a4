"""Stage 2, scenario loading: the questions a scenario asks, flows and health-check expectations."""

from __future__ import annotations

import ipaddress
from typing import Any

from .errors import RuleError, did_you_mean
from .model import (
    DEFAULT_SOURCE_PORT,
    Address,
    Backend,
    Client,
    Flow,
    Health,
    HealthExpectation,
    Instance,
    Listener,
    LoadBalancer,
    Protocol,
    Target,
    TargetKind,
    Verdict,
)
from .rules import is_address, is_number, parse_protocol
from .scenario_base import ScenarioReader

FLOW_KEYS = ("name", "from", "to", "protocol", "src_port", "expect")


class QuestionReader(ScenarioReader):
    """Reads ``flows`` and ``health_checks``, whose names refer to the rest of the file."""

    # -- questions -----------------------------------------------------------------------
    def flow(
        self,
        value: Any,
        field: str,
        line: int,
        hosts: dict[str, Client | Instance],
        instances: dict[str, Instance],
        lbs: dict[str, LoadBalancer],
    ) -> Flow:
        data = self.mapping(value, field, line, required=("from", "to"), optional=FLOW_KEYS)
        kl = data.key_lines
        source = self.text(data["from"], f"{field}.from", kl["from"])
        if source not in hosts:
            if source in lbs:
                self.fail(
                    kl["from"],
                    f"{field}.from",
                    f"'{source}' is a load balancer; a flow starts at a client or an instance",
                )
            self.reference(source, hosts, "client or instance", f"{field}.from", kl["from"])
        protocol = None
        if "protocol" in data:
            try:
                protocol = parse_protocol(
                    self.text(data["protocol"], f"{field}.protocol", kl["protocol"]),
                    allow_all=False,
                )
            except RuleError as error:
                self.fail(kl["protocol"], f"{field}.protocol", str(error))
        written = self.text(data["to"], f"{field}.to", kl["to"])
        target = self.target(written, f"{field}.to", kl["to"], protocol, hosts, instances, lbs)
        if target.kind is TargetKind.INSTANCE and target.name == source:
            self.fail(
                kl["to"],
                f"{field}.to",
                f"a flow from '{source}' to itself never leaves the instance",
            )
        self.check_family(hosts[source], target, protocol, instances, lbs, f"{field}.to", kl["to"])
        src_port = (
            self.port(data["src_port"], f"{field}.src_port", kl["src_port"])
            if "src_port" in data
            else DEFAULT_SOURCE_PORT
        )
        if "src_port" in data and protocol is not None and not protocol.has_ports:
            self.fail(kl["src_port"], f"{field}.src_port", f"{protocol} has no ports")
        name = self.text(data["name"], f"{field}.name", kl["name"]) if "name" in data else None
        expect = (
            self.choice(data["expect"], f"{field}.expect", kl["expect"], Verdict)
            if "expect" in data
            else None
        )
        return Flow(source, target, written, protocol, src_port, name, expect, line)

    def check_family(
        self,
        source: Client | Instance,
        target: Target,
        protocol: Protocol | None,
        instances: dict[str, Instance],
        lbs: dict[str, LoadBalancer],
        field: str,
        line: int,
    ) -> None:
        """A connection stays in one address family, and ICMP is IPv4's, ICMPv6 IPv6's."""
        if target.kind is TargetKind.LOAD_BALANCER:
            address = lbs[target.name].vip
        elif target.kind is TargetKind.INSTANCE:
            address = instances[target.name].ip
        else:
            assert target.address is not None
            address = target.address
        if address.version != source.ip.version:
            self.fail(
                line,
                field,
                f"'{source.name}' has an IPv{source.ip.version} address and {address} is IPv"
                f"{address.version}; a connection stays in one address family",
            )
        wrong = {Protocol.ICMP: 6, Protocol.ICMPV6: 4}.get(protocol) if protocol else None
        if wrong == address.version:
            right = Protocol.ICMPV6 if protocol is Protocol.ICMP else Protocol.ICMP
            self.fail(line, field, f"{protocol} does not reach an IPv{wrong} address; use {right}")

    def target(
        self,
        text: str,
        field: str,
        line: int,
        protocol: Protocol | None,
        hosts: dict[str, Client | Instance],
        instances: dict[str, Instance],
        lbs: dict[str, LoadBalancer],
    ) -> Target:
        portless = protocol is not None and not protocol.has_ports
        head, colon, port_text = text.rpartition(":")
        if not colon or not is_number(port_text) or (portless and is_address(text)):
            head, port = text, None
            if not portless:
                self.fail(line, field, f"'{text}' has no port; write TARGET:PORT")
        else:
            port = self.port(int(port_text), field, line)
            if portless:
                self.fail(
                    line, field, f"{protocol} has no ports; write the target without ':{port}'"
                )
        if head.startswith("[") and head.endswith("]"):
            head = head[1:-1]
        elif ":" in head and port is not None:
            self.fail(
                line, field, f"write an IPv6 address with a port in brackets: '[{head}]:{port}'"
            )
        if head in lbs:
            return self.lb_target(lbs[head], port, protocol, field, line)
        if head in instances:
            return Target(TargetKind.INSTANCE, head, port)
        try:
            address = ipaddress.ip_address(head)
        except ValueError:
            if head in hosts:
                self.fail(
                    line,
                    field,
                    f"'{head}' is a client; a flow goes to a load balancer, an instance or an address",
                )
            self.fail(
                line,
                field,
                f"unknown target '{head}': not a load balancer, an instance or an address"
                + did_you_mean(head, [*lbs, *instances]),
            )
        for lb in lbs.values():
            if lb.vip == address:
                return self.lb_target(lb, port, protocol, field, line, address)
        for instance in instances.values():
            if instance.ip == address:
                return Target(TargetKind.INSTANCE, instance.name, port, address)
        return Target(TargetKind.ADDRESS, str(address), port, address)

    def lb_target(
        self,
        lb: LoadBalancer,
        port: int | None,
        protocol: Protocol | None,
        field: str,
        line: int,
        address: Address | None = None,
    ) -> Target:
        """A load balancer's port; without a protocol, the port's listener must be unique."""
        if protocol is None:
            on_port = sorted({li.protocol.transport for li in lb.listeners if li.port == port})
            if len(on_port) > 1:
                self.fail(
                    line,
                    field,
                    f"{lb.name} has {' and '.join(on_port)} listeners on port {port}; "
                    "give the flow a protocol",
                )
        return Target(TargetKind.LOAD_BALANCER, lb.name, port, address)

    def health_checks(
        self, section: tuple[Any, str, int], lbs: dict[str, LoadBalancer]
    ) -> list[HealthExpectation]:
        checks: list[HealthExpectation] = []
        for value, field, line in self.items(*section):
            data = self.mapping(value, field, line, required=("listener", "backend", "expect"))
            kl = data.key_lines
            lb, listener = self.listener_ref(
                self.text(data["listener"], f"{field}.listener", kl["listener"]),
                f"{field}.listener",
                kl["listener"],
                lbs,
            )
            backend = self.backend_ref(
                self.text(data["backend"], f"{field}.backend", kl["backend"]),
                listener,
                f"{field}.backend",
                kl["backend"],
            )
            expect = self.choice(data["expect"], f"{field}.expect", kl["expect"], Health)
            for other in checks:
                if (other.load_balancer, other.listener, other.backend) == (
                    lb.name,
                    listener.key,
                    backend,
                ):
                    self.fail(
                        line,
                        field,
                        f"the health check of {lb.name}:{listener.key} on {backend} is already expected on line {other.line}",
                    )
            checks.append(HealthExpectation(lb.name, listener.key, backend, expect, line))
        return checks

    def listener_ref(
        self, text: str, field: str, line: int, lbs: dict[str, LoadBalancer]
    ) -> tuple[LoadBalancer, Listener]:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            self.fail(line, field, f"'{text}' is not LB:PORT or LB:PROTOCOL:PORT")
        lb_name = self.reference(parts[0], lbs, "load balancer", field, line)
        lb = lbs[lb_name]
        if not is_number(parts[-1]):
            self.fail(line, field, f"'{parts[-1]}' is not a port number")
        port = int(parts[-1])
        found = [
            li
            for li in lb.listeners
            if li.port == port
            and (len(parts) == 2 or li.protocol.value.lower() == parts[1].lower())
        ]
        if not found:
            keys = [f"{lb.name}:{li.key}" for li in lb.listeners]
            self.fail(
                line,
                field,
                f"load balancer '{lb.name}' has no listener {text.split(':', 1)[1]}; it has {', '.join(keys) or 'none'}",
            )
        if len(found) > 1:
            self.fail(
                line,
                field,
                f"'{text}' is ambiguous; write one of "
                + ", ".join(f"{lb.name}:{li.key}" for li in found),
            )
        return lb, found[0]

    def backend_ref(self, text: str, listener: Listener, field: str, line: int) -> Backend:
        name, colon, port = text.partition(":")
        found = [
            b
            for b in listener.backends
            if b.instance == name and (not colon or str(b.port) == port)
        ]
        if not found:
            known = [str(b) for b in listener.backends]
            self.fail(
                line,
                field,
                f"'{text}' is not a backend of listener {listener.key}; its backends are {', '.join(known) or 'none'}"
                + did_you_mean(text, [b.instance for b in listener.backends]),
            )
        if len(found) > 1:
            self.fail(
                line,
                field,
                f"'{text}' is on this listener twice; write one of "
                + ", ".join(str(b) for b in found),
            )
        return found[0]
