"""Hypothesis strategies for users' own tests: addresses, rules, groups, packets, scenarios.

The last stage, beside ``simulator.testing``: it draws values of the model (stage 1), and
scenarios read by the loader (stage 2). The command line never imports it, nor hypothesis::

    from hypothesis import given
    from hypothesis import strategies as st
    from simulator import simulate
    from simulator import strategies as sgst
    from simulator.evaluate import first_match, ordered
    from simulator.model import Direction

    @given(sgst.scenarios())
    def test_every_flow_has_a_verdict(scenario):
        for flow in simulate(scenario).flows:
            assert flow.verdict is not None

    @given(group=sgst.security_groups(family=4), data=st.data())
    def test_a_rule_of_mine(group, data):
        packet = data.draw(sgst.packets(towards=group))
        rules = ordered([(group.name, group.inbound)], Direction.INBOUND)
        ...  # first_match(rules, packet, Direction.INBOUND), against what the group should do

Like hypothesis's own strategies, every argument is keyword-only, sizes are ``min_size`` and
``max_size``, and a bad argument raises ``hypothesis.errors.InvalidArgument`` when the strategy
is built. Values shrink to small, readable examples: pools of meaningful values come first
(``0.0.0.0/0``, ``10.0.0.1``, port 80), then anything. ``packets(towards=...)`` aims at the
edges of given rules, where off-by-one mistakes live. docs/strategies.md has the whole list.
"""

from ._packets import packets
from ._rules import rules, security_groups
from ._scenarios import scenario_texts, scenarios
from ._values import addresses, networks, port_ranges

__all__ = [
    "addresses",
    "networks",
    "packets",
    "port_ranges",
    "rules",
    "scenario_texts",
    "scenarios",
    "security_groups",
]
