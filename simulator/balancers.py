"""Stage 2, scenario loading: load balancers, their listeners, backends and health checks."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from .model import (
    Address,
    Backend,
    HealthCheckSettings,
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
)
from .rules import is_number
from .scenario_base import ScenarioReader
from .yamlnodes import LocatedDict

LB_KEYS = (
    "type", "network", "classic", "created", "vip", "security_groups",
    "bypass_backend_security_groups", "listeners",
)  # fmt: skip
LISTENER_KEYS = ("protocol", "port", "backends", "persistent_connections", "health_check")
HEALTH_KEYS = ("enabled", "source", "protocol", "port")


class BalancerReader(ScenarioReader):
    """Reads ``load_balancers`` (§3)."""

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
        if classic and vip.version == 6:
            self.fail(kl["classic"], f"{field}.classic", "classic load balancers have no IPv6 VIP")
        created = self.created(*at("created")) if "created" in data else None
        bypass = (
            self.boolean(*at("bypass_backend_security_groups"))
            if "bypass_backend_security_groups" in data
            else False
        )
        classic_private = classic and lb_type is LoadBalancerType.PRIVATE
        basic_private = network is NetworkType.BASIC and lb_type is LoadBalancerType.PRIVATE
        no_groups = (
            "a classic private load balancer" if classic_private
            else "a basic-network private load balancer" if basic_private
            else None
        )  # fmt: skip
        lb_groups = self.bound_groups(
            data.get("security_groups"),
            f"{field}.security_groups",
            kl.get("security_groups", line),
            groups,
            refused=no_groups,
        )
        if bypass and (no_groups or network is NetworkType.BASIC):
            self.fail(
                kl["bypass_backend_security_groups"],
                f"{field}.bypass_backend_security_groups",
                f"{no_groups or 'a basic-network load balancer'} cannot bypass backend security groups (§3.4)",
            )
        listeners = self.listeners(
            data.get("listeners"), field, kl.get("listeners", line), instances, vip
        )
        if network is NetworkType.BASIC:
            self.check_basic_network(name, listeners, instances, acls, field, kl["network"])
        return LoadBalancer(
            name,
            lb_type,
            vip,
            tuple(listeners),
            network,
            classic,
            created,
            lb_groups,
            bypass,
            line,
        )

    def listeners(
        self, value: Any, field: str, line: int, instances: dict[str, Instance], vip: Address
    ) -> list[Listener]:
        """A load balancer's listeners; a transport's port serves one listener (§3.1)."""
        listeners: list[Listener] = []
        for item, item_field, item_line in self.items(value, f"{field}.listeners", line):
            listener = self.listener(item, item_field, item_line, instances, vip)
            for other in listeners:
                if (
                    other.port == listener.port
                    and other.protocol.transport is listener.protocol.transport
                ):
                    self.fail(
                        item.key_lines["port"],
                        f"{item_field}.port",
                        f"{listener.protocol.transport} port {listener.port} is already used "
                        f"by the {other.key} listener on line {other.line}",
                    )
            listeners.append(listener)
        return listeners

    def created(self, value: Any, field: str, line: int) -> date:
        if isinstance(value, datetime):
            self.fail(line, field, f"'{value}' is not a date; write YYYY-MM-DD")
        if isinstance(value, date):
            return value
        text = self.text(value, field, line)
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError(text)
            return date.fromisoformat(text)
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
        self, value: Any, field: str, line: int, instances: dict[str, Instance], vip: Address
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
            data["backends"], f"{field}.backends", kl["backends"], required=True
        ):
            backend = self.backend(item, item_field, item_line, instances)
            if instances[backend.instance].ip.version != vip.version:
                self.fail(
                    item_line,
                    item_field,
                    f"'{backend.instance}' is IPv{instances[backend.instance].ip.version} behind "
                    f"an IPv{vip.version} VIP: sgsim does not model IPv6 NAT64 load balancers, "
                    "whose backends see an undocumented source address",
                )
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
            if persistent and vip.version == 6:
                self.fail(
                    kl["persistent_connections"],
                    f"{field}.persistent_connections",
                    "backends of persistent connections see 100.127.0.0/16, an IPv4 range; "
                    "sgsim does not model them behind an IPv6 VIP",
                )
        check = self.health_settings(
            data.get("health_check"),
            f"{field}.health_check",
            kl.get("health_check", line),
            protocol,
        )
        if check.source is HealthSource.CGNAT and vip.version == 6:
            self.fail(
                data["health_check"].key_lines["source"],
                f"{field}.health_check.source",
                "100.64.0.0/10 is an IPv4 range; it cannot check the backends of an IPv6 VIP",
            )
        return Listener(protocol, port, tuple(backends), persistent, check, line)

    def backend(self, value: Any, field: str, line: int, instances: dict[str, Instance]) -> Backend:
        text = self.text(value, field, line)
        name, colon, port_text = text.rpartition(":")
        if not colon:
            self.fail(line, field, f"'{text}' is not INSTANCE:PORT")
        name = self.reference(name, instances, "instance", field, line)
        if not is_number(port_text):
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
