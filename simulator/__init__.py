"""sgsim: simulate packets through Tencent Cloud load balancers and security groups.

Load a scenario, simulate it, and read each flow's verdict and deciding rule::

    from simulator import load_file, simulate
    result = simulate(load_file("scenarios/01-seed-1-public-clb-allowlist.yaml"))
"""

from .errors import RuleError, ScenarioError, SimulatorError, UsageError
from .evaluate import ConnectionTable, Evaluation, Packet, RuleRef, first_match
from .model import Action, Decision, Direction, Health, PortRange, Protocol, Rule, Scenario, Verdict
from .results import FlowResult, HealthResult, Hop, Path, ScenarioResult
from .scenario import load_file, load_text
from .simulate import simulate, trace

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ConnectionTable",
    "Decision",
    "Direction",
    "Evaluation",
    "FlowResult",
    "Health",
    "HealthResult",
    "Hop",
    "Packet",
    "Path",
    "PortRange",
    "Protocol",
    "Rule",
    "RuleError",
    "RuleRef",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SimulatorError",
    "UsageError",
    "Verdict",
    "first_match",
    "load_file",
    "load_text",
    "simulate",
    "trace",
]
