"""Stage 2, scenario loading: a YAML file -> a validated ``Scenario``.

Every mistake is a ``ScenarioError`` located as ``FILE:LINE: FIELD``. Names are read first, so
rules may name hosts, VIPs and security groups wherever they are defined in the file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .balancers import BalancerReader
from .errors import RuleError, ScenarioError, did_you_mean
from .model import (
    Client,
    Flow,
    Instance,
    NetworkAcl,
    Protocol,
    Rule,
    Scenario,
    SecurityGroup,
    Target,
)
from .questions import QuestionReader
from .rules import STRUCTURED_KEYS, Names, parse_protocol, parse_seed_rule, parse_structured_rule
from .yamlnodes import LocatedDict, load

if TYPE_CHECKING:
    from .importers.tencent import Entry

TOP_KEYS = (
    "title", "source", "notes", "clients", "instances", "load_balancers",
    "security_groups", "network_acls", "flows", "health_checks",
)  # fmt: skip
INSTANCE_KEYS = ("ip", "security_groups", "subnet", "running")
FROM_FILE_KEYS = ("from_file", "templates")
#: Top-level keys of the files ``sgsim import`` reads: a scenario has none of them.
IMPORTED_KEYS = {
    "Response": "tencent", "SecurityGroupPolicySet": "tencent", "LoadBalancerSet": "tencent",
    "Listeners": "tencent", "format_version": "terraform",
}  # fmt: skip


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


class _Loader(BalancerReader, QuestionReader):
    # -- the file ------------------------------------------------------------------------
    def scenario(self, data: Any) -> Scenario:
        if data is None:
            self.fail(1, "title", "the file is empty; a scenario needs at least a title")
        if isinstance(data, LocatedDict) and "title" not in data:
            for key in (k for k in data if k in IMPORTED_KEYS):
                self.fail(data.key_lines[key], key, "not a scenario but what `sgsim import "
                          f"{IMPORTED_KEYS[key]}` reads: it writes a scenario from this file")  # fmt: skip
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
        for acl_name, _, acl_field, acl_line in raw_acls:
            self.name(acl_name, "network ACL", acl_field, acl_line)

        instances = [self.instance_groups(head, group_names) for head in inst_data]
        hosts: dict[str, Client | Instance] = {c.name: c for c in clients}
        hosts.update((i.name, i) for i in instances)
        names = Names(
            hosts={name: h.ip for name, h in hosts.items()},
            vips={name: vip for name, vip, _, _ in lb_heads},
            groups={
                g: tuple(i.ip for i in instances if g in i.security_groups) for g in group_names
            },
        )
        groups = [self.group(n, v, f, ln, names) for n, v, f, ln in raw_groups]
        acl_names_only = replace(names, groups_allowed=False)
        acls = [self.acl(n, v, f, ln, acl_names_only, instances) for n, v, f, ln in raw_acls]
        by_name = {i.name: i for i in instances}
        lbs = [self.load_balancer(head, by_name, group_names, acls) for head in lb_heads]
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
        line = data.key_lines["security_groups"]
        bound = self.bound_groups(data["security_groups"], field, line, groups, required=True)
        return replace(instance, security_groups=bound)

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
                        "a rule is 'PEER + PORTS ACTION' or a mapping with peer, protocol, port, "
                        f"action; got {value!r}",
                    )
            except RuleError as error:
                self.fail(line, item_field, str(error))
        return tuple(rules)

    def group(self, name: str, value: Any, field: str, line: int, names: Names) -> SecurityGroup:
        if value is None:
            return SecurityGroup(name, line=line)
        if isinstance(value, LocatedDict) and "from_file" in value:
            return self.group_from_file(name, value, field, line, names)
        data = self.mapping(value, field, line, optional=("inbound", "outbound"))
        return SecurityGroup(
            name,
            self.rules(data, "inbound", field, names),
            self.rules(data, "outbound", field, names),
            line,
        )

    def group_from_file(
        self, name: str, data: LocatedDict, field: str, line: int, names: Names
    ) -> SecurityGroup:
        """A group whose rules are a DescribeSecurityGroupPolicies response (docs/import-tencent.md).

        Paths are relative to the scenario file. A mistake in the response is reported on its
        own line, in that file; each rule is placed on the line of ``from_file``.
        """
        from .importers.tencent import policy_file  # noqa: PLC0415 (read only where used)

        lines = data.key_lines
        for key in ("inbound", "outbound"):
            if key in data:
                self.fail(lines[key], f"{field}.{key}", "a group's rules come from from_file or "
                          "from inbound and outbound, not both")  # fmt: skip
        self.mapping(data, field, line, optional=FROM_FILE_KEYS)
        path = self.beside(data["from_file"], f"{field}.from_file", lines["from_file"])
        templates = [
            self.beside(item, item_field, item_line)
            for item, item_field, item_line in self.items(
                data.get("templates"), f"{field}.templates", lines.get("templates", line)
            )
        ]
        entries = policy_file(path, name, templates)
        at = lines["from_file"]
        rules = {key: tuple(self.rule_of(e, names, at) for e in entries[key]) for key in entries}
        return SecurityGroup(name, rules["inbound"], rules["outbound"], line)

    def beside(self, value: Any, field: str, line: int) -> Path:
        """A file named relative to the scenario file, which must exist."""
        path = Path(self.file).parent / self.text(value, field, line)
        if not path.is_file():
            self.fail(line, field, f"no such file: {path}")
        return path

    def rule_of(self, entry: Entry, names: Names, line: int) -> Rule:
        """A rule entry of a policies file as a rule; a mistake is reported where it was read."""
        try:
            if isinstance(entry.entry, str):
                return parse_seed_rule(entry.entry, names, line=line)
            return parse_structured_rule(entry.entry, names, line=line)
        except RuleError as error:
            raise ScenarioError(
                str(error), file=entry.file, line=entry.line, field=entry.field
            ) from None

    def acl(
        self, name: str, value: Any, field: str, line: int, names: Names, instances: list[Instance]
    ) -> NetworkAcl:
        data = self.mapping(
            value, field, line, required=("subnets",), optional=("subnets", "inbound", "outbound")
        )
        known = sorted({i.subnet for i in instances if i.subnet})
        subnets: list[str] = []
        for item, item_field, item_line in self.items(
            data["subnets"], f"{field}.subnets", data.key_lines["subnets"], required=True
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


def _command_line_loader(scenario: Scenario) -> _Loader:
    """A loader that knows the scenario's names, for questions asked on the command line."""
    loader = _Loader(scenario.file)
    kinds = (
        ("client", scenario.clients),
        ("instance", scenario.instances),
        ("load balancer", scenario.load_balancers),
        ("security group", scenario.security_groups),
        ("network ACL", scenario.network_acls),
    )
    for kind, things in kinds:
        loader.defined.update((thing.name, (kind, thing.line)) for thing in things)
    return loader


def _hosts(scenario: Scenario) -> dict[str, Client | Instance]:
    hosts: dict[str, Client | Instance] = {h.name: h for h in scenario.clients}
    hosts.update((i.name, i) for i in scenario.instances)
    return hosts


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
    instances = {i.name: i for i in scenario.instances}
    lbs = {lb.name: lb for lb in scenario.load_balancers}
    return _command_line_loader(scenario).flow(data, "trace", 0, _hosts(scenario), instances, lbs)


def target_from_options(
    scenario: Scenario, *, to: str, protocol: str | None = None
) -> tuple[Target, Protocol | None]:
    """A ``TARGET:PORT`` and protocol asked for on the command line, validated like a flow's."""
    loader = _command_line_loader(scenario)
    parsed = None
    if protocol is not None:
        try:
            parsed = parse_protocol(protocol, allow_all=False)
        except RuleError as error:
            loader.fail(0, "trace.protocol", str(error))
    instances = {i.name: i for i in scenario.instances}
    lbs = {lb.name: lb for lb in scenario.load_balancers}
    target = loader.target(to, "trace.to", 0, parsed, _hosts(scenario), instances, lbs)
    return target, parsed
