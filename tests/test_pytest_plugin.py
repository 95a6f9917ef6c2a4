"""The pytest plugin: scenario files' expectations as test items, collected only when asked."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SEED_1 = ROOT / "scenarios" / "01-seed-1-public-clb-allowlist.yaml"
SEED_1_ITEMS = 9  # 7 flows and 2 health checks, each with an expectation
#: Load the plugin by hand only where the installed metadata predates its entry point.
REGISTERED = any(
    e.name == "sgsim" and e.value == "simulator.pytest_plugin"
    for e in entry_points(group="pytest11")
)
EXTRA = () if REGISTERED else ("-p", "simulator.pytest_plugin")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *EXTRA, *args)


def seed(pytester: pytest.Pytester, where: str = "scenarios", name: str = SEED_1.name) -> Path:
    folder = pytester.path / where
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SEED_1.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_the_plugin_is_declared_as_a_pytest11_entry_point() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    assert project["entry-points"]["pytest11"] == {"sgsim": "simulator.pytest_plugin"}


# -- items -------------------------------------------------------------------------------


def test_flows_and_health_checks_are_items_with_readable_ids(pytester: pytest.Pytester) -> None:
    seed(pytester)
    result = run(pytester, "scenarios", "--collect-only", "-q")
    file = f"scenarios/{SEED_1.name}"
    result.stdout.fnmatch_lines([
        f"{file}::flow[[]ClientA via CLB[]]",
        f"{file}::flow[[]stranger via CLB[]]",
        f"{file}::health[[]clb-1:TCP:80 -> rs-1:8080[]]",
        f"{file}::health[[]clb-1:TCP:80 -> rs-2:8080[]]",
        f"{SEED_1_ITEMS} tests collected*",
    ])  # fmt: skip


def test_expectations_that_hold_pass(pytester: pytest.Pytester) -> None:
    seed(pytester)
    run(pytester, "scenarios").assert_outcomes(passed=SEED_1_ITEMS)


def test_a_flow_without_a_name_is_named_by_where_it_goes(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        plain="""
        title: t
        clients: {A: 192.0.2.1}
        instances:
          web: {ip: 10.0.0.1, security_groups: []}
        flows:
          - {from: A, to: "web:80", expect: allowed}
          - {from: A, to: "web:53", protocol: UDP, expect: allowed}
          - {from: A, to: "web:80", expect: allowed}
          - {from: A, to: "web:22"}
        """,
    )
    result = run(pytester, "plain.yaml", "-v")
    result.stdout.fnmatch_lines([
        "plain.yaml::flow[[]A -> web:80[]] PASSED*",
        "plain.yaml::flow[[]A -> web:53 UDP[]] PASSED*",
        "plain.yaml::flow[[]A -> web:80 (2)[]] PASSED*",
    ])  # fmt: skip
    result.assert_outcomes(passed=3)  # the flow without an expectation is no item


def test_a_file_without_expectations_is_one_skipped_item(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", quiet="title: t\nclients: {A: 192.0.2.1}\nflows: []\n")
    result = run(pytester, "quiet.yaml", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no flow or health check of this file has an expectation*"])


def test_a_failing_flow_shows_the_trace_and_the_fix(pytester: pytest.Pytester) -> None:
    path = seed(pytester)
    wrong = path.read_text(encoding="utf-8").replace(
        "{name: stranger via CLB, from: ClientC, to: clb-1:80, expect: denied}",
        "{name: stranger via CLB, from: ClientC, to: clb-1:80, expect: allowed}",
    )
    path.write_text(wrong, encoding="utf-8")
    result = run(pytester, "scenarios")
    result.assert_outcomes(passed=SEED_1_ITEMS - 1, failed=1)
    result.stdout.fnmatch_lines([
        "*_ flow[[]stranger via CLB[]] _*",
        "flow 'stranger via CLB' ClientC -> clb-1:80 (TCP): expected allowed, got denied",
        "decided by: sg-web inbound #3: 0.0.0.0/0 + 8080 drop",
        "path 1 of 2 (backend rs-1:8080)",
        "1. ClientC sends TCP 192.0.2.30:50000 -> 119.28.10.10:80",
        "*sg-web #3  0.0.0.0/0 + 8080 drop*DROP",
        "fixes (each checked by simulating the whole scenario again with it applied):",
        "    fix: insert '192.0.2.30 + TCP:8080 allow' at index 3 of sg-web inbound",
        f"scenarios/{SEED_1.name}:58: the expectation",
        f"FAILED scenarios/{SEED_1.name}::flow[[]stranger via CLB[]]*",
    ])  # fmt: skip
    assert "Traceback" not in result.stdout.str()


def test_a_failing_health_check_shows_where_it_stops_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    path = seed(pytester)
    wrong = path.read_text(encoding="utf-8").replace(
        "      - CLB VIP    + 8080 allow    # index 2: the health check (§3.5)\n", ""
    )
    path.write_text(wrong, encoding="utf-8")
    result = run(pytester, "scenarios")
    result.assert_outcomes(passed=SEED_1_ITEMS - 2, failed=2)
    result.stdout.fnmatch_lines([
        "*_ health[[]clb-1:TCP:80 -> rs-1:8080[]] _*",
        "health check clb-1:TCP:80 on rs-1:8080: expected healthy, got unhealthy",
        "TCP probe from 119.28.10.10 to port 8080, decided by: sg-web inbound #2: 0.0.0.0/0 + 8080 drop",
        "1. the health checker of clb-1 sends TCP 119.28.10.10:50000 -> 10.0.1.11:8080",
        "    fix: *",
    ])  # fmt: skip


BROKEN = [
    (
        "title: t\nflows:\n  - {from: A, to: b:1}\n",
        "broken.yaml:3: flows[[]0[]].from: unknown client",
    ),
    ("title: t\nflows:\n  - {from: A, to: b:1\n", "broken.yaml:3: yaml: malformed YAML*"),
    ("title: [t\nflows: []\n", "broken.yaml:*: yaml: malformed YAML*"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_file_that_does_not_load_is_one_failing_item(
    pytester: pytest.Pytester, text: str, message: str
) -> None:
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "broken.yaml").write_text(text, encoding="utf-8")
    result = run(pytester, "scenarios")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*_ load _*",
        f"scenarios/{message}*",
        "FAILED scenarios/broken.yaml::load - *",
    ])  # fmt: skip
    assert "Traceback" not in result.stdout.str()


# -- what is collected -------------------------------------------------------------------


def test_a_file_named_on_the_command_line_is_collected_whatever_it_holds(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yml", rules="clients: {A: 192.0.2.1}\n")
    result = run(pytester, "rules.yml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["rules.yml:1: title: required key is missing"])


def test_one_item_may_be_run_by_its_id(pytester: pytest.Pytester) -> None:
    seed(pytester)
    result = run(pytester, f"scenarios/{SEED_1.name}::flow[ClientA via CLB]", "-v")
    result.assert_outcomes(passed=1)


def test_nothing_is_collected_unless_named(pytester: pytest.Pytester) -> None:
    seed(pytester, ".")
    seed(pytester, "scenarios")
    pytester.makefile(".py", test_other="def test_other():\n    pass\n")
    run(pytester).assert_outcomes(passed=1)  # the current folder, by default
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["scenarios", "."]\n')
    run(pytester).assert_outcomes(passed=1)  # testpaths


def test_a_named_folder_yields_only_its_own_scenario_files(pytester: pytest.Pytester) -> None:
    seed(pytester, "scenarios")
    seed(pytester, "scenarios/old")  # a sub-folder: not named
    (pytester.path / "scenarios" / "ci.yaml").write_text("jobs: {test: {}}\n", encoding="utf-8")
    (pytester.path / "scenarios" / "notes.yaml").write_text(
        "title: not a scenario, no questions\n", encoding="utf-8"
    )
    result = run(pytester, "scenarios", "--collect-only", "-q")
    result.stdout.fnmatch_lines([f"{SEED_1_ITEMS} tests collected*"])
    assert "old/" not in result.stdout.str()


def test_the_ini_option_collects_files_wherever_pytest_walks(pytester: pytest.Pytester) -> None:
    seed(pytester, "scenarios")
    seed(pytester, "scenarios", name="other.yml")
    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\n"
        'testpaths = ["scenarios"]\n'
        'sgsim_scenarios = ["scenarios/01-*.yaml"]\n'
    )
    result = run(pytester)
    result.assert_outcomes(passed=SEED_1_ITEMS)  # other.yml matches no glob


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    seed(pytester)
    if not REGISTERED:
        pytest.skip("the installed metadata predates the entry point: pip install -e .")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:sgsim", "scenarios")
    result.assert_outcomes()


# -- this project ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("tests",)], ids=["testpaths", "tests"])
def test_this_projects_own_run_collects_no_yaml(args: tuple[str, ...]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    items = [line for line in run.stdout.splitlines() if "::" in line]
    assert items, run.stdout + run.stderr
    assert not [line for line in items if ".yaml::" in line or ".yml::" in line]


def test_the_plugin_imports_nothing_of_sgsim_until_a_scenario_file_is_collected() -> None:
    """Every pytest run of anyone who installs sgsim loads the plugin: loading it must not load
    the loader, the assertions, the fixes, nor YAML or networkx."""
    code = "import sys, simulator.pytest_plugin; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert {m for m in loaded if m.startswith("simulator")} == {
        "simulator",
        "simulator.pytest_plugin",
    }
    assert not {"yaml", "networkx", "hypothesis", "tabulate"} & loaded


LAZY_NAMES = """
import sys, types
import simulator.simulate  # the submodule first: binding it must not hide the function
import simulator
from simulator import *
assert isinstance(simulator.simulate, types.FunctionType), simulator.simulate
assert simulate is sys.modules["simulator.simulate"].simulate
assert [n for n in simulator.__all__ if getattr(simulator, n, None) is None] == []
assert set(simulator.__all__) <= set(dir(simulator))
"""


def test_the_package_names_its_public_names_although_it_imports_them_on_first_use() -> None:
    """``simulator`` imports its names lazily, so that the plugin stays cheap; they are all
    there, and ``simulator.simulate`` stays the function once the submodule is imported."""
    subprocess.run([sys.executable, "-c", LAZY_NAMES], capture_output=True, text=True, check=True)
