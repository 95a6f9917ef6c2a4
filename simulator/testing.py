"""Assertions for users' own tests of their rule sets, each failing with what to do about it.

The last stage, beside the command line: it loads scenarios (stage 2), simulates them (stage 4)
and explains a failure with the step-by-step trace and the verified fix (stage 5), the exact
reach or the diff (analysis). The command line never imports it::

    from simulator.testing import assert_flow, assert_never_reaches, load

    shop = load("scenarios/shop.yaml")
    assert_flow(shop, "partner-api", "shop-clb:443", "allowed")
    assert_never_reaches(shop, port=22, exempt="198.51.100.0/24")

A failing assertion raises ``ScenarioAssertionError``, an ``AssertionError`` whose message a
person can act on. A mistake in
the arguments (an unknown host, a bad port) raises ``UsageError``; a mistake in a scenario file
raises ``ScenarioError``, printed as ``FILE:LINE: FIELD: message``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from tabulate import tabulate

from .analysis.diff import diff
from .analysis.reach import BackendReach, Piece, reach
from .analysis.report import render_diff_text
from .analysis.space import PORTS, Box
from .errors import ScenarioError, UsageError, did_you_mean
from .fixes import Target as Expectation
from .fixes import repair
from .model import (
    Address,
    Client,
    Health,
    HealthExpectation,
    Instance,
    Network,
    Protocol,
    Scenario,
    Verdict,
    host_network,
)
from .report import flow_decided_by, health_decided_by, render_repairs
from .results import FlowResult, HealthResult, ScenarioResult
from .scenario import flow_from_options, load_file
from .scenario import load_text as _load_text
from .simulate import simulate, trace
from .steps import Paint, path_steps, render_steps

#: A scenario, or the path of a scenario file to load.
ScenarioLike = Scenario | str | os.PathLike[str]
#: A source of a flow: a client's or an instance's name, or any address.
Source = str | ipaddress.IPv4Address | ipaddress.IPv6Address

#: Every address, IPv4 and IPv6: the sources ``assert_never_reaches`` checks by default.
EVERYONE = ("0.0.0.0/0", "::/0")

_OPTIONS = {"from": "source", "to": "target", "protocol": "protocol", "src_port": "src_port"}


class ScenarioAssertionError(AssertionError):
    """An expectation about a scenario that does not hold.

    The explanation (the trace and the verified fix) is worked out when the message is first
    read, so that a hypothesis property shrinking through many failing examples pays for one.
    """

    def __init__(self, explain: str | Callable[[], str]) -> None:
        super().__init__()
        self._explain = explain

    def __str__(self) -> str:
        if not isinstance(self._explain, str):
            self._explain = self._explain()
        return self._explain


def load(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate one scenario file; a mistake raises ``ScenarioError`` located as
    ``FILE:LINE: FIELD: message``."""
    __tracebackhide__ = True
    try:
        return load_file(os.fspath(path))
    except ScenarioError as error:
        raise error.with_traceback(None) from None


def load_text(text: str, file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as YAML text; ``file`` names it in messages."""
    __tracebackhide__ = True
    try:
        return _load_text(text, file)
    except ScenarioError as error:
        raise error.with_traceback(None) from None


# -- flows -------------------------------------------------------------------------------


def assert_flow(
    scenario: ScenarioLike,
    source: Source,
    target: str,
    expected: str,
    *,
    protocol: str | None = None,
    src_port: int | None = None,
) -> FlowResult:
    """Assert that a connection from ``source`` (a client, an instance or any address) to
    ``target`` (``LB:PORT``, ``INSTANCE:PORT`` or ``ADDRESS:PORT``) is ``expected``:
    ``"allowed"``, ``"denied"`` or ``"partial"``. The flow need not be in the file.

    On failure the message holds every step of the connection and the smallest rule change that
    gives the expected outcome, checked by simulating the whole scenario again. Returns the
    traced flow."""
    __tracebackhide__ = True
    base = _as_scenario(scenario, "assert_flow")
    want = _verdict(expected)
    asked, name = _with_source(base, source, "assert_flow")
    try:
        flow = flow_from_options(
            asked, source=name, to=target, protocol=protocol, src_port=src_port
        )
    except ScenarioError as error:
        option = _OPTIONS.get(error.field.rsplit(".", 1)[-1], error.field)
        raise UsageError(f"assert_flow: {option}: {error.message}") from None
    flow = replace(flow, expect=want)
    result = trace(asked, flow)
    if result.ok:
        return result
    with_flow = replace(asked, flows=(*asked.flows, flow))
    position = len(with_flow.flows) - 1
    raise ScenarioAssertionError(lambda: explain_flow(simulate(with_flow), position))


def explain_flow(result: ScenarioResult, position: int) -> str:
    """Why flow ``position`` of a simulated scenario misses its expectation: the outcome, every
    step of the connection, and the verified fix."""
    flow = result.flows[position]
    which = Expectation("flow", position)
    return "\n".join([
        f"{which.label(result)}: expected {flow.flow.expect}, got {flow.verdict}",
        f"decided by: {flow_decided_by(flow)}",
        "",
        render_steps(flow).rstrip("\n"),
        "",
        render_repairs([repair(result, which)]),
    ])  # fmt: skip


def _verdict(expected: str) -> Verdict:
    __tracebackhide__ = True
    try:
        return Verdict(expected)
    except ValueError:
        choices = [str(v) for v in Verdict]
        raise UsageError(
            f"assert_flow: expected: {expected!r} is not one of {', '.join(choices)}"
            + did_you_mean(str(expected), choices)
        ) from None


def _with_source(scenario: Scenario, source: Source, function: str) -> tuple[Scenario, str]:
    """The scenario and the name of the flow's source; an address no host has becomes a client
    of its own, named after it."""
    __tracebackhide__ = True
    hosts = _hosts(scenario)
    if isinstance(source, str) and any(h.name == source for h in hosts):
        return scenario, source
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return scenario, str(source)  # not an address: reported as an unknown host
    owner = next((h.name for h in hosts if h.ip == address), None)
    if owner is not None:
        return scenario, owner
    vip = next((lb.name for lb in scenario.load_balancers if lb.vip == address), None)
    if vip is not None:
        raise UsageError(
            f"{function}: source: {address} is the VIP of '{vip}'; a flow starts at a client, "
            "an instance or an address no load balancer has"
        )
    name = str(address)
    return replace(scenario, clients=(*scenario.clients, Client(name, address))), name


# -- health checks -----------------------------------------------------------------------


def assert_health_checks_pass(scenario: ScenarioLike) -> tuple[HealthResult, ...]:
    """Assert that every health check of every listener is healthy, whatever the file expects.

    On failure the message holds each failing check: where its probe stops, every step, and the
    smallest rule change that makes it healthy. Returns the health checks."""
    __tracebackhide__ = True
    base = _as_scenario(scenario, "assert_health_checks_pass")
    healthy = tuple(
        HealthExpectation(lb.name, listener.key, backend, Health.HEALTHY)
        for lb in base.load_balancers
        for listener in lb.listeners
        for backend in listener.backends
    )
    result = simulate(replace(base, health_checks=healthy))
    failing = [k for k, h in enumerate(result.health_checks) if h.ok is False]
    if failing:
        count = f"{len(failing)} of {len(result.health_checks)} health checks fail"
        raise ScenarioAssertionError(
            lambda: "\n\n".join([count, *(explain_health_check(result, k) for k in failing)])
        )
    return result.health_checks


def explain_health_check(result: ScenarioResult, position: int) -> str:
    """Why health check ``position`` of a simulated scenario misses its expectation: where its
    probe stops, every step, and the verified fix."""
    check = result.health_checks[position]
    which = Expectation("health check", position)
    probe = f"{check.listener.health_check.protocol} probe from {check.source} to port {check.port}"
    steps = path_steps(f"the health checker of {check.load_balancer}", check.path, Paint(False))
    return "\n".join([
        f"{which.label(result)}: expected {check.expected}, got {check.status}",
        f"{probe}, decided by: {health_decided_by(check)}",
        "",
        *steps,
        "",
        render_repairs([repair(result, which)]),
    ])  # fmt: skip


# -- exposure ----------------------------------------------------------------------------


def assert_never_reaches(
    scenario: ScenarioLike,
    *,
    sources: str | Sequence[str] = EVERYONE,
    port: int = 22,
    to: str | Sequence[str] | None = None,
    protocol: str = "TCP",
    exempt: str | Sequence[str] = (),
) -> None:
    """Assert that no address in ``sources`` (CIDRs, addresses or host names; by default every
    IPv4 and IPv6 address), other than those in ``exempt``, gets through to ``port`` of any
    instance (or of ``to``: instances or load balancers), computed exactly for every address at
    once, not by sampling.

    On failure the message lists each range that gets through, where, and the rule that lets
    it in."""
    __tracebackhide__ = True
    function = "assert_never_reaches"
    base = _as_scenario(scenario, function)
    wanted = _networks(base, sources, function, "sources")
    spared = _networks(base, exempt, function, "exempt")
    if isinstance(port, bool) or not isinstance(port, int) or not PORTS[0] <= port <= PORTS[1]:
        raise UsageError(f"{function}: port: expected a port number 1-65535, got {port!r}")
    if str(protocol).upper() not in ("TCP", "UDP"):
        raise UsageError(f"{function}: protocol: expected TCP or UDP, got {protocol!r}")
    proto = Protocol(str(protocol).upper())
    rows: list[list[str]] = []
    reached: dict[str, None] = {}
    for name in _targets(base, to, function):
        for result in reach(base, name, port, proto):
            where = f"{name}:{port}" + (f" via {result.backend}" if result.backend else "")
            found = [[where, *row] for row in _getting_through(base, result, wanted, spared)]
            reached.update(dict.fromkeys([name] if found else []))
            rows += found
    if rows:
        everyone = {ipaddress.ip_network(n) for n in EVERYONE}
        asked = "addresses" if set(wanted) == everyone else ", ".join(str(n) for n in wanted)
        but = f" (except {', '.join(str(n) for n in spared)})" if spared else ""
        table = tabulate(
            rows, ["to", "sources", "let in by", "named hosts inside"], tablefmt="simple"
        )
        commands = "\n".join(f"  sgsim reach {base.file} --to {name}:{port}" for name in reached)
        ranges = f"{len(rows)} range{'s' * (len(rows) != 1)}"
        raise ScenarioAssertionError(
            f"{ranges} of {asked}{but} get{'s' * (len(rows) == 1)} through to {proto} port "
            f"{port}:\n\n{table}\n\nevery source, and what stops the rest:\n{commands}"
        )


def _getting_through(
    scenario: Scenario, result: BackendReach, wanted: Sequence[Network], spared: Sequence[Network]
) -> Iterator[list[str]]:
    """The rows of the allowed ranges of ``result`` inside ``wanted`` and outside ``spared``."""
    for piece in result.allowed:
        for box in piece.sources:
            for network in wanted:
                if network.version != box.family:
                    continue
                lo = max(box.lo, int(network.network_address))
                hi = min(box.hi, int(network.broadcast_address))
                if lo > hi:
                    continue
                left = [Box(box.protocol, box.family, lo, hi, box.plo, box.phi)]
                for cut in spared:
                    hole = Box(box.protocol, cut.version, int(cut.network_address),
                               int(cut.broadcast_address), box.plo, box.phi)  # fmt: skip
                    left = [part for b in left for part in b.minus(hole)]
                for part in sorted(left):
                    yield [part.addresses(), _let_in_by(piece), ", ".join(_inside(scenario, part))]


def _let_in_by(piece: Piece) -> str:
    if piece.rule is None:
        return f"{piece.where}: not filtered" if piece.where != "no filter" else "not filtered"
    ref = piece.rule
    return f"{piece.where}: {ref.group} #{ref.index}: {ref.rule.text}"


def _inside(scenario: Scenario, box: Box) -> list[str]:
    named = [(h.name, h.ip) for h in _hosts(scenario)]
    named += [(f"{lb.name} VIP", lb.vip) for lb in scenario.load_balancers]
    return [n for n, ip in named if ip.version == box.family and box.lo <= int(ip) <= box.hi]


def _networks(
    scenario: Scenario, values: str | Sequence[str], function: str, parameter: str
) -> list[Network]:
    __tracebackhide__ = True
    hosts: dict[str, Address] = {h.name: h.ip for h in _hosts(scenario)}
    found = []
    for value in [values] if isinstance(values, str) else values:
        if value in hosts:
            found.append(host_network(hosts[value]))
            continue
        try:
            found.append(ipaddress.ip_network(value))
        except ValueError as error:
            hint = did_you_mean(str(value), hosts)
            if not hint and "host bits set" in str(error):
                hint = f" (did you mean {ipaddress.ip_network(value, strict=False)}?)"
            raise UsageError(
                f"{function}: {parameter}: {value!r} is not a CIDR, an address or a client or "
                f"instance of the scenario{hint}"
            ) from None
    return found


def _targets(scenario: Scenario, to: str | Sequence[str] | None, function: str) -> list[str]:
    __tracebackhide__ = True
    names = [i.name for i in scenario.instances]
    if to is None:
        return names
    known = names + [lb.name for lb in scenario.load_balancers]
    asked = [to] if isinstance(to, str) else list(to)
    for name in asked:
        if name not in known:
            raise UsageError(
                f"{function}: to: unknown instance or load balancer {name!r}"
                + did_you_mean(name, known)
            )
    return asked


# -- changes -----------------------------------------------------------------------------


def assert_equivalent(old: ScenarioLike, new: ScenarioLike, *, group: str | None = None) -> None:
    """Assert that ``new`` decides every packet, flow and health check as ``old`` does (only
    security group ``group``'s rules, when given), computed exactly.

    On failure the message lists every region of packets whose verdict changes, with the
    deciding rule on each side and a packet to try, and every flow and health check that
    changes."""
    __tracebackhide__ = True
    before = _as_scenario(old, "assert_equivalent")
    after = _as_scenario(new, "assert_equivalent")
    if group is not None:
        names = sorted({g.name for g in (*before.security_groups, *after.security_groups)})
        if group not in names:
            raise UsageError(
                f"assert_equivalent: group: unknown security group {group!r}"
                + did_you_mean(group, names)
            )
    result = diff(before, after, group=group)
    if not result.equivalent:
        raise ScenarioAssertionError(render_diff_text(before.file, after.file, result).rstrip("\n"))


def _hosts(scenario: Scenario) -> list[Client | Instance]:
    return [*scenario.clients, *scenario.instances]


def _as_scenario(value: ScenarioLike, function: str) -> Scenario:
    __tracebackhide__ = True
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | os.PathLike):
        return load(value)
    raise UsageError(
        f"{function}: expected a Scenario or the path of a scenario file, "
        f"got {type(value).__name__}"
    )


__all__ = [
    "EVERYONE",
    "ScenarioAssertionError",
    "ScenarioLike",
    "Source",
    "assert_equivalent",
    "assert_flow",
    "assert_health_checks_pass",
    "assert_never_reaches",
    "explain_flow",
    "explain_health_check",
    "load",
    "load_text",
]
