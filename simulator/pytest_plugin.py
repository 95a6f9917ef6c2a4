"""The pytest plugin (entry point ``pytest11``, name ``sgsim``): scenario files as tests.

Each flow and health check of a scenario file that has an expectation becomes one test item,
``FILE::flow[NAME]`` (or ``flow[FROM -> TO]``) and ``FILE::health[LB:PROTOCOL:PORT ->
INSTANCE:PORT]``; it passes when the expectation holds and fails with the step-by-step trace and
the verified fix. A file that does not load is one failing item, ``FILE::load``, with the
``FILE:LINE: FIELD: message`` of the mistake.

Which YAML files are scenarios (``*.yaml`` and ``*.yml`` only), so that nothing is collected
by surprise:

- a file named on the command line (``pytest rules.yaml``);
- a file directly inside a folder named on the command line (``pytest scenarios/``), the files
  ``sgsim replay FOLDER`` reads, if its top level has ``title:`` and ``flows:`` or
  ``health_checks:`` at the start of a line;
- a file that matches a glob of the ini option ``sgsim_scenarios`` (relative to the ini file),
  wherever pytest finds it, testpaths included.

Folders pytest walks by itself (testpaths, the current folder, the sub-folders of a named one)
yield nothing else. ``-p no:sgsim`` turns the plugin off. Loading the plugin loads nothing else
of sgsim (the package imports its names on first use): the loader, the assertions, the fixes
and the analysis are imported only once a scenario file is collected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from .model import Scenario
    from .results import ScenarioResult

SUFFIXES = (".yaml", ".yml")
_TITLE = re.compile(r"^title\s*:", re.MULTILINE)
_QUESTIONS = re.compile(r"^(flows|health_checks)\s*:", re.MULTILINE)


class _Named:
    """The files and folders named on the command line, and those the ini globs match."""

    def __init__(self, config: pytest.Config) -> None:
        self.files: set[Path] = set()
        self.folders: set[Path] = set()
        if config.args_source is pytest.Config.ArgsSource.ARGS:
            here = config.invocation_params.dir
            for arg in config.args:
                path = (here / arg.split("::", 1)[0]).resolve()
                (self.folders if path.is_dir() else self.files).add(path)
        base = config.inipath.parent if config.inipath else config.rootpath
        self.globbed = {
            found.resolve()
            for pattern in config.getini("sgsim_scenarios")
            for found in base.glob(pattern)
        }

    def wants(self, path: Path) -> bool:
        path = path.resolve()
        if path in self.files or path in self.globbed:
            return True
        return path.parent in self.folders and _looks_like_scenario(path)


_NAMED = pytest.StashKey[_Named]()


def _looks_like_scenario(path: Path) -> bool:
    """A top-level ``title:`` and ``flows:`` or ``health_checks:``, read as text so that a file
    with a YAML mistake is still collected (and fails with it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(_TITLE.search(text) and _QUESTIONS.search(text))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "sgsim_scenarios",
        type="linelist",
        default=[],
        help="globs (relative to the ini file) of sgsim scenario files to collect as tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_NAMED] = _Named(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.suffix not in SUFFIXES or not parent.config.stash[_NAMED].wants(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class _Failed(AssertionError):
    """An expectation of a scenario file that does not hold; the message says why."""


class ScenarioFile(pytest.File):
    """A scenario file: one item per flow and health check with an expectation."""

    _result: ScenarioResult | None = None
    scenario: Scenario | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from .errors import ScenarioError  # noqa: PLC0415 (sgsim loads only for scenario files)
        from .testing import load  # noqa: PLC0415

        try:
            self.scenario = load(self.shown())
        except ScenarioError as error:
            yield Broken.from_parent(self, name="load", error=error)
            return
        names: set[str] = set()
        for position, flow in enumerate(self.scenario.flows):
            if flow.expect is None:
                continue
            label = flow.name or f"{flow.source} -> {flow.written_to}" + (
                f" {flow.protocol}" if flow.protocol else ""
            )
            name = _unique("flow", label, names)
            yield Expectation.from_parent(
                self, name=name, kind="flow", key=position, line=flow.line
            )
        for check in self.scenario.health_checks:
            label = f"{check.load_balancer}:{check.listener} -> {check.backend}"
            key = (check.load_balancer, check.listener, str(check.backend))
            name = _unique("health", label, names)
            yield Expectation.from_parent(self, name=name, kind="health", key=key, line=check.line)
        if not names:
            yield Expectation.from_parent(self, name="expectations", kind="none", key=0, line=1)

    def result(self) -> ScenarioResult:
        """The file simulated, once for all its items."""
        from .simulate import simulate  # noqa: PLC0415

        if self._result is None:
            assert self.scenario is not None
            self._result = simulate(self.scenario)
        return self._result

    def shown(self) -> str:
        """The path as messages show it: relative to where pytest was started, if inside."""
        here = self.config.invocation_params.dir
        try:
            return str(self.path.relative_to(here))
        except ValueError:
            return str(self.path)


def _unique(kind: str, label: str, taken: set[str]) -> str:
    """``kind[label]``, numbered from the second item of the same label on."""
    name, count = f"{kind}[{label}]", 1
    while name in taken:
        count += 1
        name = f"{kind}[{label} ({count})]"
    taken.add(name)
    return name


class Expectation(pytest.Item):
    """One flow's or health check's expectation; ``kind`` "none" marks a file with none."""

    def __init__(
        self, *, kind: str, key: int | tuple[str, str, str], line: int, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.kind = kind
        self.key = key
        self.line = line

    def runtest(self) -> None:
        from .testing import explain_flow, explain_health_check  # noqa: PLC0415

        if self.kind == "none":
            pytest.skip("no flow or health check of this file has an expectation")
        assert isinstance(self.parent, ScenarioFile)
        result = self.parent.result()
        if isinstance(self.key, int):
            if result.flows[self.key].ok is False:
                raise _Failed(explain_flow(result, self.key))
            return
        position = next(
            k
            for k, h in enumerate(result.health_checks)
            if (h.load_balancer, h.listener.key, str(h.backend)) == self.key
        )
        if result.health_checks[position].ok is False:
            raise _Failed(explain_health_check(result, position))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, _Failed) and isinstance(self.parent, ScenarioFile):
            return f"{excinfo.value}\n\n{self.parent.shown()}:{self.line}: the expectation"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, self.line - 1 if self.line else None, self.name


class Broken(pytest.Item):
    """A scenario file that does not load: one failing item with the mistake."""

    def __init__(self, *, error: Exception, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None
    ) -> str | TerminalRepr:
        if excinfo.value is self.error:
            return str(self.error)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = getattr(self.error, "line", 0)
        return self.path, line - 1 if line else None, "load"
