"""Errors: the one base class every failure of sgsim derives from.

    SimulatorError            anything sgsim reports to a person
     +-- ScenarioError        a mistake in a scenario file, located as FILE:LINE: FIELD
     +-- UsageError           a command-line request that cannot be answered

Any other exception escaping the package is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SimulatorError(Exception):
    """Base class of every error sgsim reports to its user."""


class ScenarioError(SimulatorError):
    """A mistake in a scenario file, printed as ``FILE:LINE: FIELD: message``."""

    def __init__(self, message: str, *, file: str, line: int, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.field}: {self.message}"
        return text.replace("\r", "\\r").replace("\n", "\\n")  # always one line


class UsageError(SimulatorError):
    """A command-line request that names something the scenario does not have."""


class RuleError(SimulatorError):
    """A rule that cannot be read; the scenario loader adds where it was written."""


def did_you_mean(word: str, choices: Iterable[str], otherwise: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, else ``otherwise``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else otherwise
