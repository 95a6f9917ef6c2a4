"""sgsim: simulate packets through Tencent Cloud load balancers and security groups.

Load a scenario, simulate it, and read each flow's verdict and deciding rule::

    from simulator import load_file, simulate
    result = simulate(load_file("scenarios/01-seed-1-public-clb-allowlist.yaml"))

The names below are imported from their modules when first used (see ``_Package``), so that
importing the package stays cheap: its pytest plugin (``simulator.pytest_plugin``) is loaded by
every pytest run of anyone who installs sgsim, and needs none of them until a scenario file is
collected.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import RuleError, ScenarioError, SimulatorError, UsageError
    from .evaluate import ConnectionTable, Evaluation, Packet, RuleRef, first_match
    from .model import (
        Action,
        Decision,
        Direction,
        Health,
        PortRange,
        Protocol,
        Rule,
        Scenario,
        Verdict,
    )
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

#: Where each public name but ``simulate`` (which ``_Package`` serves) is defined.
_HOMES = {
    "errors": ("RuleError", "ScenarioError", "SimulatorError", "UsageError"),
    "evaluate": ("ConnectionTable", "Evaluation", "Packet", "RuleRef", "first_match"),
    "model": (
        "Action", "Decision", "Direction", "Health", "PortRange", "Protocol", "Rule",
        "Scenario", "Verdict",
    ),
    "results": ("FlowResult", "HealthResult", "Hop", "Path", "ScenarioResult"),
    "scenario": ("load_file", "load_text"),
    "simulate": ("trace",),
}  # fmt: skip
_MODULES = {name: module for module, names in _HOMES.items() for name in names}


class _Package(types.ModuleType):
    """The package: its public names are imported from their modules on first use.

    ``simulate`` is a property: importing a submodule binds it as an attribute of its package,
    which would hide the function ``simulate`` behind the submodule of that name.
    """

    def __getattr__(self, name: str) -> object:
        """A public name, imported from its module on first use and kept."""
        if name not in _MODULES:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{_MODULES[name]}", self.__name__), name)
        setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        """Every attribute, the public names not yet imported included."""
        return sorted({*super().__dir__(), *__all__})

    @property
    def simulate(self) -> object:
        """The function ``simulate.simulate``, whatever the import system bound here."""
        from .simulate import simulate  # noqa: PLC0415 (imported on first use)

        return simulate

    @simulate.setter
    def simulate(self, submodule: types.ModuleType) -> None:
        """The import system binding the submodule: the name keeps meaning the function."""


sys.modules[__name__].__class__ = _Package
