"""A drawn scenario before it is a file: plain values, and the YAML text a person would write.

``scenario_texts`` draws a ``Plan`` and renders it; the loader then reads the text like any
scenario file, so a drawn scenario is valid exactly when a written one would be, and its line
numbers are real.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

import yaml

#: A rule as written: the seed notation, or a structured mapping's keys and values in order.
RuleItem = str | tuple[tuple[str, str], ...]
#: Extra keys of a mapping, in the order written.
Settings = tuple[tuple[str, str | int | bool], ...]


@dataclass(frozen=True, slots=True)
class HostPlan:
    name: str
    ip: str
    groups: tuple[str, ...] | None = None  # None: a client
    subnet: str | None = None
    running: bool = True


@dataclass(frozen=True, slots=True)
class ListenerPlan:
    protocol: str
    port: int
    backends: tuple[str, ...]
    persistent: bool = False
    health: Settings = ()


@dataclass(frozen=True, slots=True)
class BalancerPlan:
    name: str
    type: str
    vip: str
    listeners: tuple[ListenerPlan, ...]
    basic: bool = False
    classic: bool = False
    created: str | None = None
    groups: tuple[str, ...] = ()
    bypass: bool = False


@dataclass(frozen=True, slots=True)
class RulesPlan:
    """A security group (``subnets`` None) or a network ACL, with its ordered rules."""

    name: str
    inbound: tuple[RuleItem, ...] = ()
    outbound: tuple[RuleItem, ...] = ()
    subnets: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class FlowPlan:
    source: str
    to: str
    protocol: str | None = None
    src_port: int | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    clients: tuple[HostPlan, ...] = ()
    instances: tuple[HostPlan, ...] = ()
    balancers: tuple[BalancerPlan, ...] = ()
    groups: tuple[RulesPlan, ...] = ()
    acls: tuple[RulesPlan, ...] = ()
    flows: tuple[FlowPlan, ...] = ()


TITLE = "drawn scenario"
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./+ :,-]*")


@functools.lru_cache(maxsize=4096, typed=True)  # True == 1, but not as YAML
def scalar(value: str | int | bool, *, flow: bool = True) -> str:
    """``value`` as YAML: plain where YAML reads it back as the same text, quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain = (
        _PLAIN.fullmatch(value)
        and ": " not in value
        and not value.endswith(":")
        and not (flow and "," in value)
        and yaml.safe_load(value) == value  # not a number, a date, a boolean, a sexagesimal
    )
    return value if plain else json.dumps(value)


def mapping(items: Settings) -> str:
    return "{" + ", ".join(f"{key}: {scalar(value)}" for key, value in items) + "}"


def sequence(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(scalar(item) for item in items) + "]"


def render(plan: Plan) -> str:
    """The scenario file of ``plan``; sections with nothing in them are left out."""
    lines = [f"title: {TITLE}"]
    if plan.clients:
        lines.append("clients:")
        lines += [f"  {c.name}: {scalar(c.ip)}" for c in plan.clients]
    if plan.instances:
        lines.append("instances:")
        lines += [f"  {i.name}: {_instance(i)}" for i in plan.instances]
    if plan.balancers:
        lines.append("load_balancers:")
        for lb in plan.balancers:
            lines += _balancer(lb)
    if plan.groups:
        lines.append("security_groups:")
        for group in plan.groups:
            lines += _rules(group)
    if plan.acls:
        lines.append("network_acls:")
        for acl in plan.acls:
            lines += _rules(acl)
    if plan.flows:
        lines.append("flows:")
        lines += [f"  - {_flow(f)}" for f in plan.flows]
    return "\n".join(lines) + "\n"


def _instance(host: HostPlan) -> str:
    text = f"{{ip: {scalar(host.ip)}, security_groups: {sequence(host.groups or ())}"
    if host.subnet:
        text += f", subnet: {host.subnet}"
    if not host.running:
        text += ", running: false"
    return text + "}"


def _balancer(lb: BalancerPlan) -> list[str]:
    lines = [f"  {lb.name}:", f"    type: {lb.type}", f"    vip: {scalar(lb.vip)}"]
    if lb.basic:
        lines.append("    network: basic")
    if lb.classic:
        lines.append("    classic: true")
    if lb.created:
        lines.append(f"    created: {lb.created}")
    if lb.groups:
        lines.append(f"    security_groups: {sequence(lb.groups)}")
    if lb.bypass:
        lines.append("    bypass_backend_security_groups: true")
    lines.append("    listeners:")
    for listener in lb.listeners:
        text = (
            f"{{protocol: {listener.protocol}, port: {listener.port}, "
            f"backends: {sequence(listener.backends)}"
        )
        if listener.persistent:
            text += ", persistent_connections: true"
        if listener.health:
            text += f", health_check: {mapping(listener.health)}"
        lines.append(f"      - {text}}}")
    return lines


def _rules(plan: RulesPlan) -> list[str]:
    if plan.subnets is None and not plan.inbound and not plan.outbound:
        return [f"  {plan.name}: {{}}"]
    lines = [f"  {plan.name}:"]
    if plan.subnets is not None:
        lines.append(f"    subnets: {sequence(plan.subnets)}")
    for direction, items in (("inbound", plan.inbound), ("outbound", plan.outbound)):
        if items:
            lines.append(f"    {direction}:")
            lines += [f"      - {_rule(item)}" for item in items]
    return lines


def _rule(item: RuleItem) -> str:
    return scalar(item, flow=False) if isinstance(item, str) else mapping(item)


def _flow(flow: FlowPlan) -> str:
    items: Settings = ()
    if flow.name:
        items += (("name", flow.name),)
    items += (("from", flow.source), ("to", flow.to))
    if flow.protocol:
        items += (("protocol", flow.protocol),)
    if flow.src_port is not None:
        items += (("src_port", flow.src_port),)
    return mapping(items)
