"""simulator.testing: assertions for users' own tests, and the example project that uses them."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from simulator import ScenarioError, UsageError, Verdict
from simulator.testing import (
    ScenarioAssertionError,
    assert_equivalent,
    assert_flow,
    assert_health_checks_pass,
    assert_never_reaches,
    load,
    load_text,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SEED_1 = SCENARIOS / "01-seed-1-public-clb-allowlist.yaml"
SEED1 = load(SEED_1)
EXAMPLE = ROOT / "examples" / "shop"
GUIDE = ROOT / "docs" / "testing.md"
#: The rule the broken copy of the example changes, and what it becomes.
OFFICE_SSH = "198.51.100.0/24   + 22 allow"
WORLD_SSH = "0.0.0.0/0         + 22 allow"


# -- loading -----------------------------------------------------------------------------

BAD_FILES = [
    ("flows: []\n", "bad.yaml:1: title: required key is missing"),
    (
        "title: t\nclients: {A: 192.0.2.1}\nflows:\n  - {from: B, to: A:80}\n",
        "bad.yaml:4: flows[0].from: unknown client or instance 'B'",
    ),
    ("title: t\nflows:\n  - {from: A, to: b:1\n", "bad.yaml:3: yaml: malformed YAML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_load_reports_the_located_mistake(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as error:
        load("bad.yaml")
    assert str(error.value).startswith(message)
    with pytest.raises(ScenarioError) as again:
        load_text(text, "bad.yaml")
    assert str(again.value) == str(error.value)


def test_a_mistake_does_not_come_with_a_traceback_deep_in_sgsim() -> None:
    with pytest.raises(ScenarioError) as error:
        load_text("flows: []\n", "bad.yaml")
    files = {Path(frame.filename).name for frame in traceback.extract_tb(error.value.__traceback__)}
    assert files <= {"testing.py", Path(__file__).name}


def test_a_missing_file_is_a_located_mistake(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r":1: file: cannot read the file"):
        load(tmp_path / "missing.yaml")


# -- flows -------------------------------------------------------------------------------


def test_a_flow_that_holds_returns_its_trace() -> None:
    result = assert_flow(SEED1, "ClientA", "clb-1:80", "allowed")
    assert result.verdict is Verdict.ALLOWED
    assert [p.backend for p in result.paths] == ["rs-1", "rs-2"]


def test_a_scenario_may_be_given_as_a_path() -> None:
    assert_flow(SEED_1, "ClientC", "clb-1:80", "denied")
    assert_flow(str(SEED_1), "ClientA", "rs-1:22", "denied", protocol="TCP", src_port=40000)


def test_a_failing_flow_shows_every_step_and_the_verified_fix() -> None:
    with pytest.raises(AssertionError) as error:
        assert_flow(SEED1, "ClientC", "clb-1:80", "allowed")
    message = str(error.value)
    assert message.startswith("flow ClientC -> clb-1:80 (TCP): expected allowed, got denied\n")
    assert "decided by: sg-web inbound #3: 0.0.0.0/0 + 8080 drop" in message
    assert "1. ClientC sends TCP 192.0.2.30:50000 -> 119.28.10.10:80" in message
    assert "sg-web #3  0.0.0.0/0 + 8080 drop" in message  # each rule read
    assert "fixes (each checked by simulating the whole scenario again" in message
    assert "fix: insert '192.0.2.30 + TCP:8080 allow' at index 3 of sg-web inbound" in message
    assert "(breaks its expectation: denied)" in message  # what else the fix changes


def test_any_address_may_be_the_source() -> None:
    assert_flow(SEED1, "192.0.2.200", "rs-1:8080", "denied")
    assert_flow(SEED1, ipaddress.ip_address("203.0.113.10"), "rs-1:8080", "allowed")  # ClientA's
    with pytest.raises(AssertionError, match=r"^flow 192\.0\.2\.200 -> rs-1:8080 \(TCP\)"):
        assert_flow(SEED1, "192.0.2.200", "rs-1:8080", "allowed")


def test_the_explanation_is_worked_out_once_and_only_when_read() -> None:
    calls: list[int] = []

    def explain() -> str:
        calls.append(1)
        return "why"

    error = ScenarioAssertionError(explain)
    assert calls == []
    first, second = str(error), str(error)
    assert first == second == "why"
    assert calls == [1]


FLOW_MISTAKES: list[tuple[dict[str, Any], str]] = [
    (
        {"source": "ClientX"},
        "assert_flow: source: unknown client or instance 'ClientX' (did you mean 'ClientC'?)",
    ),
    ({"target": "clb-9:80"}, "assert_flow: target: unknown target 'clb-9'"),
    ({"target": "clb-1"}, "assert_flow: target: 'clb-1' has no port; write TARGET:PORT"),
    ({"target": "clb-1:99999"}, "assert_flow: target: port 99999 is out of range 1-65535"),
    ({"protocol": "TPC"}, "assert_flow: protocol: unknown protocol 'TPC'"),
    ({"src_port": 0}, "assert_flow: src_port: port 0 is out of range 1-65535"),
    ({"expected": "alowed"}, "assert_flow: expected: 'alowed' is not one of allowed, denied"),
    ({"source": "119.28.10.10"}, "assert_flow: source: 119.28.10.10 is the VIP of 'clb-1'"),
]


@pytest.mark.parametrize(("change", "message"), FLOW_MISTAKES)
def test_a_mistake_in_the_arguments_is_a_usage_error(change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "source": "ClientA",
        "target": "clb-1:80",
        "expected": "allowed",
        **change,
    }
    with pytest.raises(UsageError) as error:
        assert_flow(SEED1, **arguments)
    assert str(error.value).startswith(message)


def test_something_that_is_not_a_scenario_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="expected a Scenario or the path of a scenario file"):
        assert_flow(42, "ClientA", "clb-1:80", "allowed")  # type: ignore[arg-type]


# -- health checks -----------------------------------------------------------------------


def test_health_checks_that_pass() -> None:
    checks = assert_health_checks_pass(SEED1)
    assert [str(c.backend) for c in checks] == ["rs-1:8080", "rs-2:8080"]


def test_failing_health_checks_each_show_where_they_stop_and_the_fix() -> None:
    with pytest.raises(AssertionError) as error:
        assert_health_checks_pass(SCENARIOS / "21-all-backends-unhealthy.yaml")
    message = str(error.value)
    assert message.startswith("2 of 2 health checks fail\n")
    assert message.count("expected healthy, got unhealthy") == 4  # headline and fix, twice
    assert "1. the health checker of clb-1 sends TCP" in message
    assert message.count("    fix: ") >= 2


# -- exposure ----------------------------------------------------------------------------


def test_a_port_nobody_reaches() -> None:
    assert_never_reaches(SEED1)  # SSH on every instance
    assert_never_reaches(SEED1, port=443, to="clb-1")  # no listener


def test_ranges_that_get_through_with_the_rule_that_lets_each_in() -> None:
    with pytest.raises(AssertionError) as error:
        assert_never_reaches(SEED1, port=8080, to="rs-1")
    message = str(error.value)
    assert message.startswith("3 ranges of addresses get through to TCP port 8080:")
    assert re.search(
        r"rs-1:8080 +203\.0\.113\.10/32 +rs-1 groups inbound: sg-web #0: ClientA IP \+ 8080 allow"
        r" +ClientA",
        message,
    )
    assert f"sgsim reach {SEED1.file} --to rs-1:8080" in message


def test_exempt_sources_and_narrower_sources() -> None:
    assert_never_reaches(SEED1, port=8080, exempt=["ClientA", "ClientB", "119.28.10.10"])
    assert_never_reaches(SEED1, port=8080, sources=["192.0.2.0/24", "ClientC"], to="clb-1")
    with pytest.raises(AssertionError, match=r"^1 range of 203\.0\.113\.0/24 gets through"):
        assert_never_reaches(SEED1, port=8080, sources="203.0.113.0/24", to="rs-2")


@given(address=st.ip_addresses(v=4))
def test_never_reaches_agrees_with_tracing_each_address(address: ipaddress.IPv4Address) -> None:
    taken = {c.ip for c in SEED1.clients} | {i.ip for i in SEED1.instances}
    taken.add(SEED1.load_balancers[0].vip)
    assume(address not in taken)
    allowed = _holds(lambda: assert_flow(SEED1, address, "rs-1:8080", "allowed"))
    reached = not _holds(
        lambda: assert_never_reaches(SEED1, sources=str(address), port=8080, to="rs-1")
    )
    assert reached == allowed


def _holds(check: Callable[[], object]) -> bool:
    try:
        check()
    except AssertionError:
        return False
    return True


NEVER_MISTAKES: list[tuple[dict[str, Any], str]] = [
    ({"sources": "10.0.1.5/24"}, "sources: '10.0.1.5/24' is not a CIDR, an address or a client"),
    ({"sources": "10.0.1.5/24"}, "(did you mean 10.0.1.0/24?)"),
    ({"exempt": ["ClientAA"]}, "exempt: 'ClientAA' is not a CIDR, an address or a client"),
    ({"port": 0}, "port: expected a port number 1-65535, got 0"),
    ({"port": True}, "port: expected a port number 1-65535, got True"),
    ({"protocol": "ICMP"}, "protocol: expected TCP or UDP, got 'ICMP'"),
    ({"to": "rs-3"}, "to: unknown instance or load balancer 'rs-3' (did you mean 'rs-2'?)"),
]


@pytest.mark.parametrize(("change", "message"), NEVER_MISTAKES)
def test_a_mistake_in_what_must_not_reach_is_a_usage_error(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as error:
        assert_never_reaches(SEED1, **change)
    assert str(error.value).startswith("assert_never_reaches: ")
    assert message in str(error.value)


# -- changes -----------------------------------------------------------------------------


def test_a_scenario_is_equivalent_to_itself() -> None:
    assert_equivalent(SEED1, SEED_1)


def test_changes_show_every_region_and_outcome_that_moves() -> None:
    old = SCENARIOS / "07-seed-5-blocklist-drops-first.yaml"
    new = SCENARIOS / "08-seed-5-blocklist-accept-first.yaml"
    with pytest.raises(AssertionError) as error:
        assert_equivalent(old, new)
    message = str(error.value)
    assert re.search(r"sg-web inbound +TCP:8080 from 203\.0\.113\.10/32 +DROP -> ACCEPT", message)
    assert re.search(r"flow +ClientA -> clb-1:80 \(TCP\) +denied +allowed", message)
    with pytest.raises(AssertionError, match="sg-web inbound"):
        assert_equivalent(old, new, group="sg-web")
    with pytest.raises(UsageError, match=r"group: unknown security group 'sg-wbe' \(did you mean"):
        assert_equivalent(old, new, group="sg-wbe")


# -- the command line stays light ------------------------------------------------------


def test_the_command_line_imports_neither_this_module_nor_pytest() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import simulator.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "simulator.testing" not in imported
    assert "simulator.pytest_plugin" not in imported
    assert not {name for name in imported if name.split(".")[0] in ("pytest", "_pytest")}


# -- the example project -----------------------------------------------------------------


Run = subprocess.CompletedProcess[str]


def _run_example(folder: Path, *args: str) -> Run:
    """``pytest`` in a copy of the example project, as its owner would run it."""
    # CI changes what pytest and hypothesis print (untruncated summaries, no reproduce line)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "HYPOTHESIS_")) and k not in ("CI", "BUILD_NUMBER")
    }
    env.update(COLUMNS="80", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-seed=0", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def _copy_example(tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    return copy


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """The example with SSH opened to everyone, the way a rule gets widened while debugging."""
    copy = _copy_example(tmp_path_factory.mktemp("broken"))
    rules = copy / "scenarios" / "shop.yaml"
    text = rules.read_text(encoding="utf-8")
    assert text.count(OFFICE_SSH) == 1
    rules.write_text(text.replace(OFFICE_SSH, WORLD_SSH), encoding="utf-8")
    return copy, _run_example(copy)


def test_the_example_project_passes(tmp_path: Path) -> None:
    run = _run_example(_copy_example(tmp_path), "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tests/test_rules.py::test_only_the_office_gets_ssh PASSED" in run.stdout
    assert "scenarios/shop.yaml::flow[stranger SSH] PASSED" in run.stdout
    assert "scenarios/shop.yaml::health[shop-clb:TCP:443 -> web-1:8443] PASSED" in run.stdout


def test_a_broken_rule_fails_with_a_shrunk_readable_counterexample(
    broken_run: tuple[Path, Run],
) -> None:
    _, run = broken_run
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    # older hypothesis says "Falsifying example", newer "Failing test case"
    assert re.search(
        r"(Falsifying example|Failing test case): test_only_the_office_gets_ssh\(", out
    )
    assert "address=IPv4Address('0.0.0.0')" in out  # shrunk to the smallest address
    assert "flow 0.0.0.0 -> web-1:22 (TCP): expected denied, got allowed" in out
    assert "decided by: sg-admin inbound #0: 0.0.0.0/0 + 22 allow" in out
    assert "fix: insert" in out
    assert "get through to TCP port 22" in out  # the exact check names every range
    summary = "\n".join(_blocks(out)["short test summary info"])
    assert "FAILED tests/test_rules.py::test_nobody_outside_the_office_gets_ssh" in summary
    assert "FAILED tests/test_rules.py::test_only_the_office_gets_ssh" in summary
    assert "FAILED scenarios/shop.yaml::flow[stranger SSH]" in summary  # the file's own
    assert "test_only_the_allowlist_reaches_the_shop" not in summary


def _blocks(out: str) -> dict[str, list[str]]:
    """pytest's output cut at its headers (``____ name ____``, ``==== name ====``)."""
    blocks: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in out.splitlines():
        header = re.fullmatch(r"[_=]{3,} (.+?) [_=]{3,}", line)
        if header:
            lines = blocks[header.group(1)] = [line]
        else:
            lines.append(line)
    return blocks


# -- the guide's failure output is a real one --------------------------------------------

BLOCK = re.compile(r"(<!-- broken-example: start -->\n```text\n)(.*?)(```)", re.S)
SHOWN = ("test_nobody_outside_the_office_gets_ssh", "test_only_the_office_gets_ssh")


def guide_excerpt(copy: Path, out: str) -> str:
    """What the guide shows of the broken example's run: the two failing tests and the
    summary, with the temporary folder left out of paths and no trailing spaces."""
    blocks = _blocks(out.replace(f"{copy}{os.sep}", ""))
    shown = [line for name in SHOWN for line in blocks[name]]
    summary = blocks["short test summary info"]
    lines = ["$ python -m pytest", "...", *shown, "...", *summary]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def test_the_guide_shows_the_broken_example_as_it_fails_today(
    broken_run: tuple[Path, Run], update_goldens: bool
) -> None:
    page = GUIDE.read_text(encoding="utf-8")
    match = BLOCK.search(page)
    assert match, "docs/testing.md has no broken-example block"
    copy, run = broken_run
    actual = guide_excerpt(copy, run.stdout)
    if update_goldens:
        page = page[: match.start(2)] + actual + page[match.end(2) :]
        GUIDE.write_text(page, encoding="utf-8")
        return
    assert match.group(2) == actual, (
        "stale docs/testing.md: run python -m pytest tests/test_testing.py --update-goldens"
    )
