"""Stage 2, scenario loading: a YAML file -> a validated ``Scenario``.

Every mistake is a ``ScenarioError`` located as ``FILE:LINE: FIELD``. Names are read first, so
rules may name hosts, VIPs and security groups wherever they are defined in the file.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from pathlib import Path
from typing import Any

from .errors import RuleError, ScenarioError, did_you_mean
from .model import (
    DEFAULT_SOURCE_PORT,
    Address,
    Backend,
    Client,
    Flow,
    Health,
    HealthCheckSettings,
    HealthExpectation,
    HealthProtocol,
    HealthSource,
    Instance,
    Listener,
    ListenerProtocol,
    LoadBalancer,
    LoadBalancerType,
    NetworkAcl,
    NetworkType,
    Protocol,
    Rule,
    Scenario,
    SecurityGroup,
    Target,
    TargetKind,
    Verdict,
)
from .rules import STRUCTURED_KEYS, Names, parse_protocol, parse_seed_rule, parse_structured_rule
from .yamlnodes import LocatedDict, Reader, load

TOP_KEYS = (
    "title", "source", "notes", "clients", "instances", "load_balancers",
    "security_groups", "network_acls", "flows", "health_checks",
)  # fmt: skip
INSTANCE_KEYS = ("ip", "security_groups", "subnet", "running")
LB_KEYS = (
    "type", "network", "classic", "created", "vip", "security_groups",
    "bypass_backend_security_groups", "listeners",
)  # fmt: skip
LISTENER_KEYS = ("protocol", "port", "backends", "persistent_connections", "health_check")
HEALTH_KEYS = ("enabled", "source", "protocol", "port")
FLOW_KEYS = ("name", "from", "to", "protocol", "src_port", "expect")
NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def load_file(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            f"cannot read the file: {error}", file=file, line=1, field="file"
        ) from None
    return load_text(text, file)


def load_text(text: str, file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as YAML text; ``file`` is used in messages."""
    return _Loader(file).scenario(load(text, file))


class _Loader(Reader):
    def __init__(self, file: str) -> None:
        super().__init__(file)
        self.defined: dict[str, tuple[str, int]] = {}  # name -> (kind, line)
        self.addresses: dict[Address, str] = {}
        self.acl_subnets: dict[str, str] = {}

    # -- names ---------------------------------------------------------------------------
    def name(self, name: str, kind: str, field: str, line: int) -> str:
        if not NAME.match(name):
            self.fail(
                line, field, f"'{name}' is not a valid name: use letters, digits, '.', '_' or '-'"
            )
        if name in self.defined:
            other, other_line = self.defined[name]
            self.fail(
                line, field, f"name '{name}' is already used by the {other} on line {other_line}"
            )
        self.defined[name] = (kind, line)
        return name

    def address(self, value: Any, field: str, line: int, owner: str) -> Address:
        text = self.text(value, field, line)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            self.fail(line, field, f"'{text}' is not a valid IPv4 or IPv6 address")
        if address in self.addresses:
            self.fail(
                line, field, f"address {address} is already used by '{self.addresses[address]}'"
            )
        self.addresses[address] = owner
        return address

    def reference(self, name: str, kinds: dict[str, Any], what: str, field: str, line: int) -> str:
        if name in kinds:
            return name
        if name in self.defined:
            self.fail(line, field, f"'{name}' is a {self.defined[name][0]}, not {what}")
        self.fail(line, field, f"unknown {what} '{name}'" + did_you_mean(name, kinds))

    # -- the file ------------------------------------------------------------------------
    def scenario(self, data: Any) -> Scenario:
        if data is None:
            self.fail(1, "title", "the file is empty; a scenario needs at least a title")
        top = self.mapping(data, "", 1, required=("title",), optional=TOP_KEYS)
        lines = top.key_lines

        def section(key: str) -> tuple[Any, str, int]:
            return top.get(key), key, lines.get(key, top.line)

        clients = [self.client(*e) for e in self.entries(*section("clients"))]
        raw_instances = self.entries(*section("instances"))
        inst_data = [self.instance_head(*e) for e in raw_instances]
        raw_lbs = self.entries(*section("load_balancers"))
        lb_heads = [self.lb_head(*e) for e in raw_lbs]
        raw_groups = self.entries(*section("security_groups"))
        group_names = {self.name(n, "security group", f, ln): ln for n, _, f, ln in raw_groups}
        raw_acls = self.entries(*section("network_acls"))
        acl_names = [self.name(n, "network ACL", f, ln) for n, _, f, ln in raw_acls]
        del acl_names

        instances = [self.instance_groups(head, group_names) for head in inst_data]
        names = Names(
            hosts={h.name: h.ip for h in (*clients, *instances)},
            vips={name: vip for name, vip, _, _ in lb_heads},
            groups={
                g: tuple(i.ip for i in instances if g in i.security_groups) for g in group_names
            },
        )
        groups = [self.group(n, v, f, ln, names) for n, v, f, ln in raw_groups]
        acl_names_only = Names(
            hosts=names.hosts, vips=names.vips, groups=names.groups, groups_allowed=False
        )
        acls = [self.acl(n, v, f, ln, acl_names_only, instances) for n, v, f, ln in raw_acls]
        by_name = {i.name: i for i in instances}
        lbs = [self.load_balancer(head, by_name, group_names, acls) for head in lb_heads]
        hosts = {h.name: h for h in (*clients, *instances)}
        lb_map = {lb.name: lb for lb in lbs}
        flows = [
            self.flow(v, f, ln, hosts, by_name, lb_map)
            for v, f, ln in self.items(*section("flows"))
        ]
        checks = self.health_checks(section("health_checks"), lb_map)
        return Scenario(
            file=self.file,
            title=self.text(top["title"], "title", lines["title"]),
            source=self.optional_text(top, "source"),
            notes=self.optional_text(top, "notes"),
            clients=tuple(clients),
            instances=tuple(instances),
            load_balancers=tuple(lbs),
            security_groups=tuple(groups),
            network_acls=tuple(acls),
            flows=tuple(flows),
            health_checks=tuple(checks),
        )

    def optional_text(self, data: LocatedDict, key: str) -> str | None:
        if key not in data or data[key] is None:
            return None
        return self.text(data[key], key, data.key_lines[key])

    # -- hosts ---------------------------------------------------------------------------
    def client(self, name: str, value: Any, field: str, line: int) -> Client:
        self.name(name, "client", field, line)
        if isinstance(value, LocatedDict):
            data = self.mapping(value, field, line, required=("ip",))
            return Client(
                name, self.address(data["ip"], f"{field}.ip", data.key_lines["ip"], name), line
            )
        return Client(name, self.address(value, field, line, name), line)

    def instance_head(
        self, name: str, value: Any, field: str, line: int
    ) -> tuple[LocatedDict, Instance]:
        self.name(name, "instance", field, line)
        data = self.mapping(
            value, field, line, required=("ip", "security_groups"), optional=INSTANCE_KEYS
        )
        kl = data.key_lines
        subnet = None
        if data.get("subnet") is not None:
            subnet = self.text(data["subnet"], f"{field}.subnet", kl["subnet"])
        running = (
            self.boolean(data["running"], f"{field}.running", kl["running"])
            if "running" in data
            else True
        )
        ip = self.address(data["ip"], f"{field}.ip", kl["ip"], name)
        return data, Instance(name, ip, (), subnet, running, line)

    def instance_groups(
        self, head: tuple[LocatedDict, Instance], groups: dict[str, int]
    ) -> Instance:
        data, instance = head
        field = f"instances.{instance.name}.security_groups"
        bound: list[str] = []
        for value, item_field, line in self.items(
            data["security_groups"], field, data.key_lines["security_groups"]
        ):
            group = self.reference(
                self.text(value, item_field, line), groups, "security group", item_field, line
            )
            if group in bound:
                self.fail(line, item_field, f"security group '{group}' is bound twice")
            bound.append(group)
        return Instance(
            instance.name,
            instance.ip,
            tuple(bound),
            instance.subnet,
            instance.running,
            instance.line,
        )

    # -- rules ---------------------------------------------------------------------------
    def rules(self, data: LocatedDict, key: str, field: str, names: Names) -> tuple[Rule, ...]:
        rules = []
        for value, item_field, line in self.items(
            data.get(key), f"{field}.{key}", data.key_lines.get(key, data.line)
        ):
            try:
                if isinstance(value, LocatedDict):
                    self.mapping(value, item_field, line, optional=STRUCTURED_KEYS)
                    rules.append(parse_structured_rule(value, names, line=line))
                elif isinstance(value, str):
                    rules.append(parse_seed_rule(value, names, line=line))
                else:
                    self.fail(
                        line,
                        item_field,
                        "a rule is 'PEER + PORTS ACTION' or a mapping with peer, protocol, port, action",
                    )
            except RuleError as error:
                self.fail(line, item_field, str(error))
        return tuple(rules)

    def group(self, name: str, value: Any, field: str, line: int, names: Names) -> SecurityGroup:
        if value is None:
            return SecurityGroup(name, line=line)
        data = self.mapping(value, field, line, optional=("inbound", "outbound"))
        return SecurityGroup(
            name,
            self.rules(data, "inbound", field, names),
            self.rules(data, "outbound", field, names),
            line,
        )

    def acl(
        self, name: str, value: Any, field: str, line: int, names: Names, instances: list[Instance]
    ) -> NetworkAcl:
        data = self.mapping(
            value, field, line, required=("subnets",), optional=("subnets", "inbound", "outbound")
        )
        known = sorted({i.subnet for i in instances if i.subnet})
        subnets: list[str] = []
        for item, item_field, item_line in self.items(
            data["subnets"], f"{field}.subnets", data.key_lines["subnets"]
        ):
            subnet = self.text(item, item_field, item_line)
            if subnet not in known:
                self.fail(
                    item_line,
                    item_field,
                    f"no instance is in subnet '{subnet}'" + did_you_mean(subnet, known),
                )
            if subnet in self.acl_subnets:
                self.fail(
                    item_line,
                    item_field,
                    f"subnet '{subnet}' already has network ACL '{self.acl_subnets[subnet]}'; a subnet has at most one",
                )
            self.acl_subnets[subnet] = name
            subnets.append(subnet)
        return NetworkAcl(
            name,
            tuple(subnets),
            self.rules(data, "inbound", field, names),
            self.rules(data, "outbound", field, names),
            line,
        )

    # -- load balancers ------------------------------------------------------------------
    def lb_head(
        self, name: str, value: Any, field: str, line: int
    ) -> tuple[str, Address, LocatedDict, int]:
        self.name(name, "load balancer", field, line)
        data = self.mapping(value, field, line, required=("type", "vip"), optional=LB_KEYS)
        return (
            name,
            self.address(data["vip"], f"{field}.vip", data.key_lines["vip"], name),
            data,
            line,
        )

    def load_balancer(
        self,
        head: tuple[str, Address, LocatedDict, int],
        instances: dict[str, Instance],
        groups: dict[str, int],
        acls: list[NetworkAcl],
    ) -> LoadBalancer:
        name, vip, data, line = head
        field = f"load_balancers.{name}"
        kl = data.key_lines

        def at(key: str) -> tuple[Any, str, int]:
            return data[key], f"{field}.{key}", kl[key]

        lb_type = self.choice(*at("type"), LoadBalancerType)
        network = self.choice(*at("network"), NetworkType) if "network" in data else NetworkType.VPC
        classic = self.boolean(*at("classic")) if "classic" in data else False
        created = self.created(*at("created")) if "created" in data else None
        bypass = (
            self.boolean(*at("bypass_backend_security_groups"))
            if "bypass_backend_security_groups" in data
            else False
        )
        classic_private = classic and lb_type is LoadBalancerType.PRIVATE
        lb_groups: list[str] = []
        for value, item_field, item_line in self.items(
            data.get("security_groups"), f"{field}.security_groups", kl.get("security_groups", line)
        ):
            if classic_private:
                self.fail(
                    item_line,
                    item_field,
                    "a classic private load balancer cannot have security groups (SEMANTICS §3.2)",
                )
            group = self.reference(
                self.text(value, item_field, item_line),
                groups,
                "security group",
                item_field,
                item_line,
            )
            if group in lb_groups:
                self.fail(item_line, item_field, f"security group '{group}' is bound twice")
            lb_groups.append(group)
        if bypass and classic_private:
            self.fail(
                kl["bypass_backend_security_groups"],
                f"{field}.bypass_backend_security_groups",
                "a classic private load balancer cannot bypass backend security groups (SEMANTICS §3.4)",
            )
        listeners: list[Listener] = []
        for value, item_field, item_line in self.items(
            data.get("listeners"), f"{field}.listeners", kl.get("listeners", line)
        ):
            listener = self.listener(value, item_field, item_line, instances)
            for other in listeners:
                if (
                    other.port == listener.port
                    and other.protocol.transport is listener.protocol.transport
                ):
                    self.fail(
                        listener.line,
                        f"{item_field}.port",
                        f"{listener.protocol.transport} port {listener.port} is already used by the {other.key} listener on line {other.line}",
                    )
            listeners.append(listener)
        if network is NetworkType.BASIC:
            self.check_basic_network(name, listeners, instances, acls, field, line)
        return LoadBalancer(
            name,
            lb_type,
            vip,
            tuple(listeners),
            network,
            classic,
            created,
            tuple(lb_groups),
            bypass,
            line,
        )

    def created(self, value: Any, field: str, line: int) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(self.text(value, field, line))
        except ValueError:
            self.fail(line, field, f"'{value}' is not a date; write YYYY-MM-DD")

    def check_basic_network(
        self,
        name: str,
        listeners: list[Listener],
        instances: dict[str, Instance],
        acls: list[NetworkAcl],
        field: str,
        line: int,
    ) -> None:
        for listener in listeners:
            for backend in listener.backends:
                subnet = instances[backend.instance].subnet
                acl = next((a for a in acls if subnet in a.subnets), None)
                if acl is not None:
                    self.fail(
                        line,
                        f"{field}.network",
                        f"a basic-network load balancer's backend '{backend.instance}' is in subnet '{subnet}' with network ACL '{acl.name}'; network ACLs exist only in VPCs",
                    )

    def listener(
        self, value: Any, field: str, line: int, instances: dict[str, Instance]
    ) -> Listener:
        data = self.mapping(
            value, field, line, required=("protocol", "port", "backends"), optional=LISTENER_KEYS
        )
        kl = data.key_lines
        protocol = self.choice(
            data["protocol"], f"{field}.protocol", kl["protocol"], ListenerProtocol
        )
        port = self.port(data["port"], f"{field}.port", kl["port"])
        backends: list[Backend] = []
        for item, item_field, item_line in self.items(
            data["backends"], f"{field}.backends", kl["backends"]
        ):
            backend = self.backend(item, item_field, item_line, instances)
            if backend in backends:
                self.fail(item_line, item_field, f"backend {backend} is listed twice")
            backends.append(backend)
        persistent = False
        if "persistent_connections" in data:
            persistent = self.boolean(
                data["persistent_connections"],
                f"{field}.persistent_connections",
                kl["persistent_connections"],
            )
            if persistent and not protocol.layer7:
                self.fail(
                    kl["persistent_connections"],
                    f"{field}.persistent_connections",
                    f"persistent connections exist only on layer-7 (HTTP, HTTPS) listeners, not {protocol}",
                )
        check = self.health_settings(
            data.get("health_check"),
            f"{field}.health_check",
            kl.get("health_check", line),
            protocol,
        )
        return Listener(protocol, port, tuple(backends), persistent, check, line)

    def backend(self, value: Any, field: str, line: int, instances: dict[str, Instance]) -> Backend:
        text = self.text(value, field, line)
        name, colon, port_text = text.rpartition(":")
        if not colon:
            self.fail(line, field, f"'{text}' is not INSTANCE:PORT")
        name = self.reference(name, instances, "instance", field, line)
        if not port_text.isdigit():
            self.fail(line, field, f"'{port_text}' is not a port number")
        return Backend(name, self.port(int(port_text), field, line))

    def health_settings(
        self, value: Any, field: str, line: int, listener: ListenerProtocol
    ) -> HealthCheckSettings:
        default_protocol = (
            HealthProtocol.UDP if listener.transport is Protocol.UDP else HealthProtocol.TCP
        )
        if value is None:
            return HealthCheckSettings(protocol=default_protocol)
        data = self.mapping(value, field, line, optional=HEALTH_KEYS)
        kl = data.key_lines
        return HealthCheckSettings(
            enabled=self.boolean(data["enabled"], f"{field}.enabled", kl["enabled"])
            if "enabled" in data
            else True,
            source=self.choice(data["source"], f"{field}.source", kl["source"], HealthSource)
            if "source" in data
            else HealthSource.AUTO,
            protocol=self.choice(
                data["protocol"], f"{field}.protocol", kl["protocol"], HealthProtocol
            )
            if "protocol" in data
            else default_protocol,
            port=self.port(data["port"], f"{field}.port", kl["port"]) if "port" in data else None,
        )

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
        if not colon or not port_text.isdigit() or (portless and _is_address(text)):
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
        if head in lbs:
            return Target(TargetKind.LOAD_BALANCER, head, port)
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
                return Target(TargetKind.LOAD_BALANCER, lb.name, port, address)
        for instance in instances.values():
            if instance.ip == address:
                return Target(TargetKind.INSTANCE, instance.name, port, address)
        return Target(TargetKind.ADDRESS, str(address), port, address)

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
        if not parts[-1].isdigit():
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


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def flow_from_options(
    scenario: Scenario,
    *,
    source: str,
    to: str,
    protocol: str | None = None,
    src_port: int | None = None,
) -> Flow:
    """A flow asked for on the command line, validated like one in a file."""
    data = LocatedDict({"from": source, "to": to})
    if protocol is not None:
        data["protocol"] = protocol
    if src_port is not None:
        data["src_port"] = src_port
    data.line = 0
    data.key_lines = dict.fromkeys(data, 0)
    loader = _Loader(scenario.file)
    hosts: dict[str, Client | Instance] = {
        h.name: h for h in (*scenario.clients, *scenario.instances)
    }
    for name in (*hosts, *(lb.name for lb in scenario.load_balancers)):
        loader.defined[name] = (
            "client"
            if name in {c.name for c in scenario.clients}
            else "instance"
            if name in hosts
            else "load balancer",
            0,
        )
    instances = {i.name: i for i in scenario.instances}
    lbs = {lb.name: lb for lb in scenario.load_balancers}
    return loader.flow(data, "trace", 0, hosts, instances, lbs)
