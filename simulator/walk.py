"""Stage 4, walking: the checkpoints of a path -> hops, request then reply.

A path is walked checkpoint by checkpoint: first the request, stopping at the first DROP, then
the reply, which security groups accept by connection state and stateless ACLs evaluate again
with addresses and ports swapped (§1.6, §2.1, §4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .evaluate import ConnectionTable, Evaluation, Packet, first_match, ordered
from .model import (
    Action,
    Backend,
    Checkpoint,
    Decision,
    Direction,
    Leg,
    Listener,
    Network,
    Protocol,
    Scenario,
    host_network,
)
from .results import Hop
from .topology import (
    AclCheck,
    Check,
    ClbSecurityGroupCheck,
    ListenerCheck,
    LoopbackCheck,
    SecurityGroupCheck,
    ServiceCheck,
)


@dataclass(frozen=True, slots=True)
class Context:
    """What the listener checkpoint needs to know beyond the packet."""

    listener: Listener | None = None
    port: int | None = None
    protocol: Protocol | None = None
    backend: Backend | None = None


def show(packet: Packet) -> str:
    """A packet as a trace shows it: ``TCP 203.0.113.10:50000 -> 10.0.1.11:8080``."""

    def end(net: Network, port: int | None) -> str:
        text = str(net.network_address) if net.num_addresses == 1 else str(net)
        if port is None:
            return text
        return f"[{text}]:{port}" if net.version == 6 else f"{text}:{port}"

    return f"{packet.protocol} {end(packet.src, packet.src_port)} -> {end(packet.dst, packet.dst_port)}"


@dataclass(frozen=True, slots=True)
class Walker:
    """Walks paths of one scenario."""

    scenario: Scenario

    # -- walking -------------------------------------------------------------------------
    def walk(
        self, segments: Sequence[tuple[Sequence[Check], Packet]], context: Context
    ) -> list[Hop]:
        """Hops of the request over every segment, then of the reply back over them."""
        table = ConnectionTable()
        hops: list[Hop] = []
        for checks, packet in segments:
            for check in checks:
                hop = self.request_hop(check, packet, table, context)
                if hop is not None:
                    hops.append(hop)
                    if hop.decision is Decision.DROP:
                        return hops
        for checks, packet in reversed(segments):
            reply = packet.reply()
            for check in reversed(checks):
                hop = self.reply_hop(check, reply, table)
                if hop is not None:
                    hops.append(hop)
                    if hop.decision is Decision.DROP:
                        return hops
        return hops

    def request_hop(
        self, check: Check, packet: Packet, table: ConnectionTable, context: Context
    ) -> Hop | None:
        """What ``check`` does with the first packet; None where it has nothing to say."""
        shown = show(packet)
        match check:
            case SecurityGroupCheck(node, groups, direction, bypassed_by, implicit):
                if bypassed_by is not None:
                    hop = _note(node, Checkpoint.SECURITY_GROUP, direction, Decision.BYPASS,
                                f"bypassed by {bypassed_by} (§3.4)",
                                "backend security groups are not evaluated for traffic from the CLB",
                                Leg.REQUEST, shown)  # fmt: skip
                elif implicit is not None:
                    hop = _note(node, Checkpoint.SECURITY_GROUP, direction, Decision.IMPLICIT,
                                f"{implicit} (§3.5)", "no rule is needed for Tencent's health checks",
                                Leg.REQUEST, shown)  # fmt: skip
                elif not groups:
                    hop = _note(node, Checkpoint.SECURITY_GROUP, direction, Decision.IMPLICIT,
                                "no security group (§1.7)", "nothing filters this instance",
                                Leg.REQUEST, shown)  # fmt: skip
                else:
                    hop = self.rules_hop(
                        node, Checkpoint.SECURITY_GROUP, groups, direction, packet, Leg.REQUEST
                    )
                return _record(hop, packet, table)
            case ClbSecurityGroupCheck(lb, groups):
                if groups:
                    hop = self.rules_hop(
                        lb,
                        Checkpoint.CLB_SECURITY_GROUP,
                        groups,
                        Direction.INBOUND,
                        packet,
                        Leg.REQUEST,
                    )
                else:
                    hop = _note(lb, Checkpoint.CLB_SECURITY_GROUP, Direction.INBOUND, Decision.IMPLICIT,
                                "no CLB security group (§3.2)", "every client reaches the listeners",
                                Leg.REQUEST, shown)  # fmt: skip
                return _record(hop, packet, table)
            case AclCheck(node, acl, direction):
                return self.rules_hop(
                    node, Checkpoint.NETWORK_ACL, (acl,), direction, packet, Leg.REQUEST
                )
            case ListenerCheck(lb):
                return self.listener_hop(lb, context, shown)
            case LoopbackCheck(node):
                if packet.src != host_network(self.scenario.instance(node).ip):
                    return None
                return _note(node, Checkpoint.LOOPBACK, None, Decision.DROP, "loopback (§3.10)",
                             "the CLB sent the instance's own connection back to it, "
                             "and it drops a packet from its own address", Leg.REQUEST, shown)  # fmt: skip
            case ServiceCheck(node):
                if self.scenario.instance(node).running or not packet.protocol.has_ports:
                    return None  # a ping or GRE is the instance's own to answer, not a service's
                return _note(node, Checkpoint.SERVICE, None, Decision.DROP, "service down (§3.7)",
                             "running: false, so nothing answers", Leg.REQUEST, shown)  # fmt: skip
        raise AssertionError(f"unknown checkpoint {check!r}")

    def reply_hop(self, check: Check, reply: Packet, table: ConnectionTable) -> Hop | None:
        """What ``check`` does with the reply: groups pass it by state, ACLs read it anew."""
        shown = show(reply)
        match check:
            case SecurityGroupCheck(node=node, direction=direction) if table.is_reply(reply):
                return _established(node, Checkpoint.SECURITY_GROUP, _flip(direction), shown)
            case ClbSecurityGroupCheck(groups=()):
                return None  # no group on the CLB: nothing to pass
            case ClbSecurityGroupCheck(lb) if table.is_reply(reply):
                return _established(lb, Checkpoint.CLB_SECURITY_GROUP, Direction.OUTBOUND, shown)
            case AclCheck(node, acl, direction):
                return self.rules_hop(
                    node, Checkpoint.NETWORK_ACL, (acl,), _flip(direction), reply, Leg.REPLY
                )
            case ListenerCheck() | LoopbackCheck() | ServiceCheck():
                return None
        raise AssertionError(f"reply of a connection no group accepted: {check!r}")

    def rules_hop(
        self,
        node: str,
        checkpoint: Checkpoint,
        lists: Sequence[str],
        direction: Direction,
        packet: Packet,
        leg: Leg,
    ) -> Hop:
        """First match over the rules of ``lists`` (groups in binding order, or one ACL)."""
        if checkpoint is Checkpoint.NETWORK_ACL:
            acl = self.scenario.network_acl(lists[0])
            sources = [(acl.name, acl.rules(direction))]
            default = "no rule matched: the ACL's final deny-all drops it (§2.2)"
        else:
            sources = [(g, self.scenario.security_group(g).rules(direction)) for g in lists]
            default = "no rule matched: default DROP (§1.4)"
        refs = ordered(sources, direction)
        evaluation = first_match(refs, packet, direction)
        ref = evaluation.decided_by
        decision = Decision.ACCEPT if evaluation.action is Action.ACCEPT else Decision.DROP
        reason = (
            _range_reason(evaluation, packet, direction)
            if evaluation.split
            else ("first matching rule (§1.3)" if ref else default)
        )
        return Hop(
            node,
            checkpoint,
            direction,
            decision,
            reason,
            leg,
            show(packet),
            group=ref.group if ref else ", ".join(lists),
            index=ref.index if ref else None,
            rule=ref.rule.text if ref else None,
            partly=evaluation.split and decision is Decision.DROP,
            short=f"{packet.peer(direction)} only partly allowed (§3.6)"
            if evaluation.split
            else "",
            rules=tuple(refs),
            fields=_fields(packet, direction),
            header=packet,
            lists=tuple(lists),
        )

    def listener_hop(self, lb: str, context: Context, shown: str) -> Hop:
        listener, backend = context.listener, context.backend
        if listener is None:
            where = f" on port {context.port}" if context.port is not None else ""
            short = f"no {context.protocol} listener{where} (§3.1)"
            return _note(lb, Checkpoint.LISTENER, None, Decision.DROP, short,
                         "the packet goes nowhere", Leg.REQUEST, shown)  # fmt: skip
        if backend is None:
            return _note(lb, Checkpoint.LISTENER, None, Decision.DROP, f"listener {listener.key} has no backends",
                         "there is nowhere to forward to", Leg.REQUEST, shown, rule=listener.key)  # fmt: skip
        return _note(lb, Checkpoint.LISTENER, None, Decision.ACCEPT, f"listener {listener.key}",
                     f"forwards to {backend}", Leg.REQUEST, shown, rule=listener.key)  # fmt: skip


def _note(
    node: str,
    checkpoint: Checkpoint,
    direction: Direction | None,
    decision: Decision,
    short: str,
    detail: str,
    leg: Leg,
    packet: str,
    rule: str | None = None,
) -> Hop:
    """A hop decided by a fact of the setup rather than by a rule."""
    return Hop(node, checkpoint, direction, decision, f"{short}; {detail}", leg, packet,
               rule=rule, short=short)  # fmt: skip


def _record(hop: Hop, packet: Packet, table: ConnectionTable) -> Hop:
    """A stateful checkpoint's hop: a request it passes opens a connection (§1.6), which its
    rules' accept makes worth showing."""
    if not hop.decision.passes:
        return hop
    table.record(packet)
    return replace(hop, tracked=True) if hop.decision is Decision.ACCEPT else hop


def _fields(packet: Packet, direction: Direction) -> str:
    """The fields rules read: ``TCP, port 80, source 203.0.113.10``."""
    peer = packet.peer(direction)
    shown = str(peer.network_address) if peer.num_addresses == 1 else str(peer)
    side = "source" if direction is Direction.INBOUND else "destination"
    port = f", port {packet.dst_port}" if packet.dst_port is not None else ""
    return f"{packet.protocol}{port}, {side} {shown}"


def _established(node: str, checkpoint: Checkpoint, direction: Direction, packet: str) -> Hop:
    return _note(node, checkpoint, direction, Decision.ACCEPT, "established connection (§1.6)",
                 "security groups are stateful, so the reply passes", Leg.REPLY, packet)  # fmt: skip


def _flip(direction: Direction) -> Direction:
    return Direction.OUTBOUND if direction is Direction.INBOUND else Direction.INBOUND


def _range_reason(evaluation: Evaluation, packet: Packet, direction: Direction) -> str:
    """Which rule decided which part of a range of addresses (§3.6)."""
    peer = packet.peer(direction)
    parts = "; ".join(
        f"{p.addresses} {p.action} by "
        + (f"{p.decided_by.group} #{p.decided_by.index}" if p.decided_by else "default")
        for p in evaluation.parts
    )
    if evaluation.action is Action.ACCEPT:
        return f"every address of {peer} is accepted: {parts}"
    return f"the address is not fixed, so all of {peer} must be allowed, but rules split it: {parts} (§3.6)"
