"""Metamorphic properties: changes to a scenario that must change no verdict.

Swapping two adjacent rules with the same action, binding a copy of a group right after the
group, and renaming every host, group, subnet and load balancer leave every flow's verdict and
every health check's status as they were, on random whole scenarios.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import assume, event, given
from hypothesis import strategies as st

from simulator.model import Backend, Direction, Scenario, Target
from simulator.scenario import load_text
from simulator.simulate import simulate
from simulator.strategies import scenario_texts


def outcomes(scenario: Scenario) -> tuple[list[str], list[str]]:
    result = simulate(scenario)
    return [str(f.verdict) for f in result.flows], [str(h.status) for h in result.health_checks]


@given(text=scenario_texts(), data=st.data())
def test_swapping_adjacent_rules_with_the_same_action_changes_no_verdict(
    text: str, data: st.DataObject
) -> None:
    scenario = load_text(text, "m.yaml")
    pairs = [
        (g.name, d, i)
        for g in scenario.security_groups
        for d in Direction
        for i in range(len(g.rules(d)) - 1)
        if g.rules(d)[i].action is g.rules(d)[i + 1].action
    ]
    assume(pairs)
    name, direction, i = data.draw(st.sampled_from(pairs))
    group = scenario.security_group(name)
    rules = list(group.rules(direction))
    rules[i], rules[i + 1] = rules[i + 1], rules[i]
    side = "inbound" if direction is Direction.INBOUND else "outbound"
    swapped = replace(
        scenario,
        security_groups=tuple(
            replace(g, **{side: tuple(rules)}) if g.name == name else g
            for g in scenario.security_groups
        ),
    )
    assert outcomes(swapped) == outcomes(scenario)


@given(text=scenario_texts(), data=st.data())
def test_binding_a_copy_of_a_group_right_after_it_changes_no_verdict(
    text: str, data: st.DataObject
) -> None:
    scenario = load_text(text, "m.yaml")
    bound = [(i.name, g) for i in scenario.instances for g in i.security_groups]
    assume(bound)
    instance_name, group_name = data.draw(st.sampled_from(bound))
    copy = replace(scenario.security_group(group_name), name=f"{group_name}-copy")
    instances = tuple(
        replace(
            i,
            security_groups=tuple(
                n for g in i.security_groups for n in ((g, copy.name) if g == group_name else (g,))
            ),
        )
        if i.name == instance_name
        else i
        for i in scenario.instances
    )
    doubled = replace(
        scenario, instances=instances, security_groups=(*scenario.security_groups, copy)
    )
    assert outcomes(doubled) == outcomes(scenario)


def renamed(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every name of the scenario replaced, wherever a name is referred to."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, tuple):
        return tuple(renamed(v, names) for v in value)
    if isinstance(value, Backend | Target):
        return replace(
            value,
            **{
                k: renamed(getattr(value, k), names)
                for k in ("instance", "name")
                if hasattr(value, k)
            },
        )
    if hasattr(value, "__dataclass_fields__"):
        skip = {"text", "file", "title", "notes", "source_text", "description", "rules"}
        fields = {
            k: renamed(getattr(value, k), names)
            for k in value.__dataclass_fields__
            if k not in skip and value.__dataclass_fields__[k].init
        }
        return replace(value, **fields)
    return value


@given(scenario_texts())
def test_renaming_every_node_changes_no_verdict(text: str) -> None:
    scenario = load_text(text, "m.yaml")
    names = [
        *(c.name for c in scenario.clients),
        *(i.name for i in scenario.instances),
        *(g.name for g in scenario.security_groups),
        *(a.name for a in scenario.network_acls),
        *(lb.name for lb in scenario.load_balancers),
        *{i.subnet for i in scenario.instances if i.subnet},
    ]
    mapping = {name: f"zz-{len(names) - n}-{name[::-1]}" for n, name in enumerate(names)}
    event(f"{len(mapping)} names")
    assert outcomes(renamed(scenario, mapping)) == outcomes(scenario)
