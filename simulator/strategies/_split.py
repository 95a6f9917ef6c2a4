"""Split listeners: a listener whose backends disagree, so that its flow can be ``partial``.

Drawn at random, the backends of one listener are mostly bound to the same groups, or fail
their checks and are not picked, so a ``partial`` verdict (some paths allowed, some denied,
§3.9) is rare. Where a load balancer can forward to two instances, half the scenarios therefore
split one of its listeners: the listener forwards to two instances, the open one bound to no
group and the guarded one bound to a group first; its checks pass whatever the groups say
(turned off, or from 100.64.0.0/10, which groups allow implicitly, §3.5), so that the CLB picks
both; its load balancer neither bypasses the backends' groups nor has groups of its own; and
the first flow goes to it from a client. Whether the guarded backend lets the flow in is up to
that group's rules, and the subnets' ACLs and a stopped service still have their say.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

from ._parts import BACKEND_PORTS, CLIENT_IPS, UDP_LISTENERS, Drawn, Options, forwards_to
from ._plan import FlowPlan, HostPlan, Settings

#: Checks every backend passes, whatever its groups: off, or from 100.64.0.0/10 (§3.5).
PASSING_CHECKS: dict[int, tuple[Settings, ...]] = {
    4: ((("enabled", False),), (("source", "100.64.0.0/10"),)),
    6: ((("enabled", False),),),
}


@dataclass(frozen=True, slots=True)
class Split:
    """Which listener is split, over which two instances, by the group at which place."""

    balancer: int
    listener: int
    open: str
    guarded: str
    place: int
    ports: tuple[int, int]
    health: Settings


@st.composite
def splits(draw: st.DrawFn, drawn: Drawn, options: Options) -> Split | None:
    """Half the time, where a load balancer has two instances to forward to, a group can tell
    them apart and a flow can show it: the split of one of its listeners; else None."""
    able = [
        k for k, lb in enumerate(drawn.balancers) if len(forwards_to(drawn, basic=lb.basic)) > 1
    ]
    if not (able and options.max_groups and options.flows) or not draw(st.booleans()):
        return None
    balancer = draw(st.sampled_from(able))
    lb = drawn.balancers[balancer]
    names = forwards_to(drawn, basic=lb.basic)
    open_ = draw(st.sampled_from(names))
    guarded = draw(st.sampled_from([name for name in names if name != open_]))
    health = draw(st.sampled_from(PASSING_CHECKS[drawn.version])) if options.health_checks else ()
    return Split(
        balancer=balancer,
        listener=draw(st.integers(0, len(lb.listeners) - 1)),
        open=open_,
        guarded=guarded,
        place=draw(st.integers(0, options.max_groups - 1)),
        ports=(draw(st.sampled_from(BACKEND_PORTS)), draw(st.sampled_from(BACKEND_PORTS))),
        health=health,
    )


def make_split(
    drawn: Drawn, lb_places: list[tuple[int, ...]], split: Split
) -> list[tuple[int, ...]]:
    """Make ``split`` in ``drawn``: the listener forwards to its two instances with checks that
    pass, its load balancer neither bypasses the backends' groups nor has groups of its own,
    and there is a client (one is added where there is none) to send the flow; the places of
    the load balancers' groups."""
    lb = drawn.balancers[split.balancer]
    listeners = list(lb.listeners)
    listeners[split.listener] = replace(
        listeners[split.listener],
        backends=(f"{split.open}:{split.ports[0]}", f"{split.guarded}:{split.ports[1]}"),
        health=split.health,
    )
    drawn.balancers[split.balancer] = replace(lb, listeners=tuple(listeners), bypass=False)
    drawn.clients = drawn.clients or [HostPlan("client-1", CLIENT_IPS[drawn.version][0])]
    return [() if k == split.balancer else places for k, places in enumerate(lb_places)]


def split_bindings(
    drawn: Drawn, bindings: list[tuple[int, ...]], split: Split
) -> list[tuple[int, ...]]:
    """The places of each instance's groups with the open instance bound to none and the
    guarded one to the split's group first (the last group, if there are fewer)."""
    place = min(split.place, len(drawn.groups) - 1)

    def rebound(host: HostPlan, places: tuple[int, ...]) -> tuple[int, ...]:
        if host.name == split.open:
            return ()
        if host.name == split.guarded:
            return (place, *(k for k in places if k != place))
        return places

    return [rebound(h, p) for h, p in zip(drawn.instances, bindings, strict=True)]


def split_flow(drawn: Drawn, split: Split) -> FlowPlan:
    """The first client's flow to the split listener, over the listener's transport."""
    lb = drawn.balancers[split.balancer]
    listener = lb.listeners[split.listener]
    protocol = "UDP" if listener.protocol in UDP_LISTENERS else "TCP"
    return FlowPlan(drawn.clients[0].name, f"{lb.name}:{listener.port}", protocol)
