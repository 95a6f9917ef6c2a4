"""Stage 3, checks: warnings about a valid scenario that the cloud would not take as it is.

Tencent limits a security group to 512 rules (both directions together) and a load balancer to
5 security groups (§1.8); an instance bound to no group is let through unfiltered by
sgsim's choice (§1.7), which deserves a word. Warnings never change a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Scenario


@dataclass(frozen=True, slots=True)
class Limits:
    """Tencent's quotas, which an account may have raised."""

    rules_per_group: int = 512
    groups_per_load_balancer: int = 5


@dataclass(frozen=True, slots=True)
class ScenarioWarning:
    """Something to look at in a scenario that is still simulated as written."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: warning: {self.message}"


def scenario_warnings(scenario: Scenario, limits: Limits) -> tuple[ScenarioWarning, ...]:
    """The warnings of ``scenario``, in the order their subjects appear in the file."""
    found: list[ScenarioWarning] = []
    for group in scenario.security_groups:
        count = len(group.inbound) + len(group.outbound)
        if count > limits.rules_per_group:
            found.append(
                ScenarioWarning(
                    scenario.file,
                    group.line,
                    f"security_groups.{group.name}",
                    f"{count} rules, inbound and outbound together; the limit is "
                    f"{limits.rules_per_group} per group (§1.8)",
                )
            )
    for instance in scenario.instances:
        if not instance.security_groups:
            found.append(
                ScenarioWarning(
                    scenario.file,
                    instance.line,
                    f"instances.{instance.name}.security_groups",
                    "bound to no security group, so no group filters it (§1.7)",
                )
            )
    for lb in scenario.load_balancers:
        if len(lb.security_groups) > limits.groups_per_load_balancer:
            found.append(
                ScenarioWarning(
                    scenario.file,
                    lb.line,
                    f"load_balancers.{lb.name}.security_groups",
                    f"{len(lb.security_groups)} security groups; the limit is "
                    f"{limits.groups_per_load_balancer} per load balancer (§1.8)",
                )
            )
    return tuple(sorted(found, key=lambda w: w.line))
