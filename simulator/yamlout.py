"""Stage 1 in reverse: a scenario -> the YAML text of a scenario file.

``dump`` writes what the loader reads (docs/scenario-format.md): loading the text gives the same
scenario back, line numbers aside. Rules are written as they were (their seed notation), or as a
structured rule where they carry a description, which the seed notation cannot hold. Defaults
are left out, so the text reads like a file a person would write.
"""

from __future__ import annotations

from typing import Any

import yaml

from .model import (
    DEFAULT_SOURCE_PORT,
    HealthExpectation,
    HealthProtocol,
    HealthSource,
    Listener,
    LoadBalancer,
    NetworkType,
    Protocol,
    Rule,
    Scenario,
)


def dump(scenario: Scenario) -> str:
    """The YAML text of ``scenario``."""
    document: dict[str, Any] = {"title": scenario.title}
    if scenario.source:
        document["source"] = scenario.source
    if scenario.notes:
        document["notes"] = scenario.notes
    if scenario.clients:
        document["clients"] = {c.name: str(c.ip) for c in scenario.clients}
    if scenario.instances:
        document["instances"] = {
            i.name: {
                "ip": str(i.ip),
                "security_groups": list(i.security_groups),
                **({"subnet": i.subnet} if i.subnet else {}),
                **({} if i.running else {"running": False}),
            }
            for i in scenario.instances
        }
    if scenario.load_balancers:
        document["load_balancers"] = {lb.name: _balancer(lb) for lb in scenario.load_balancers}
    if scenario.security_groups:
        document["security_groups"] = {
            g.name: {"inbound": _rules(g.inbound), "outbound": _rules(g.outbound)}
            for g in scenario.security_groups
        }
    if scenario.network_acls:
        document["network_acls"] = {
            a.name: {
                "subnets": list(a.subnets),
                "inbound": _rules(a.inbound),
                "outbound": _rules(a.outbound),
            }
            for a in scenario.network_acls
        }
    if scenario.flows:
        document["flows"] = [
            {
                **({"name": f.name} if f.name else {}),
                "from": f.source,
                "to": f.written_to,
                **({"protocol": str(f.protocol)} if f.protocol else {}),
                **({"src_port": f.src_port} if f.src_port != DEFAULT_SOURCE_PORT else {}),
                **({"expect": str(f.expect)} if f.expect else {}),
            }
            for f in scenario.flows
        ]
    if scenario.health_checks:
        document["health_checks"] = [_expectation(scenario, e) for e in scenario.health_checks]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _balancer(lb: LoadBalancer) -> dict[str, Any]:
    data: dict[str, Any] = {"type": str(lb.type), "vip": str(lb.vip)}
    if lb.network is not NetworkType.VPC:
        data["network"] = str(lb.network)
    if lb.classic:
        data["classic"] = True
    if lb.created is not None:
        data["created"] = lb.created.isoformat()
    if lb.security_groups:
        data["security_groups"] = list(lb.security_groups)
    if lb.bypass_backend_security_groups:
        data["bypass_backend_security_groups"] = True
    if lb.listeners:
        data["listeners"] = [_listener(li) for li in lb.listeners]
    return data


def _listener(listener: Listener) -> dict[str, Any]:
    data: dict[str, Any] = {
        "protocol": str(listener.protocol),
        "port": listener.port,
        "backends": [str(b) for b in listener.backends],
    }
    if listener.persistent_connections:
        data["persistent_connections"] = True
    check = _health_check(listener)
    if check:
        data["health_check"] = check
    return data


def _health_check(listener: Listener) -> dict[str, Any]:
    settings = listener.health_check
    default = (
        HealthProtocol.UDP if listener.protocol.transport is Protocol.UDP else HealthProtocol.TCP
    )
    data: dict[str, Any] = {}
    if not settings.enabled:
        data["enabled"] = False
    if settings.source is not HealthSource.AUTO:
        data["source"] = str(settings.source)
    if settings.protocol is not default:
        data["protocol"] = str(settings.protocol)
    if settings.port is not None:
        data["port"] = settings.port
    return data


def _rules(rules: tuple[Rule, ...]) -> list[Any]:
    return [_rule(r) for r in rules]


def _rule(rule: Rule) -> Any:
    if not rule.description:
        return rule.text
    data: dict[str, Any] = {
        "peer": rule.text.rpartition(" + ")[0],
        "protocol": str(rule.protocol),
    }
    if rule.protocol.has_ports:
        data["port"] = ",".join(str(r) for r in rule.ports)
    data["action"] = str(rule.action)
    data["description"] = rule.description
    return data


def _expectation(scenario: Scenario, expectation: HealthExpectation) -> dict[str, Any]:
    lb = scenario.load_balancer(expectation.load_balancer)
    listener = next(li for li in lb.listeners if li.key == expectation.listener)
    same_port = [li for li in lb.listeners if li.port == listener.port]
    where = f"{lb.name}:{listener.key}" if len(same_port) > 1 else f"{lb.name}:{listener.port}"
    backend = expectation.backend
    twice = sum(1 for b in listener.backends if b.instance == backend.instance) > 1
    return {
        "listener": where,
        "backend": str(backend) if twice else backend.instance,
        "expect": str(expectation.expect),
    }


__all__ = ["dump"]
