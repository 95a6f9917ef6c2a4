"""Golden files for every shipped scenario: the table and the JSON report.

Regenerate with ``python -m pytest tests/test_golden.py --update-goldens`` and review the diff;
never edit a golden file by hand. On a mismatch the actual output is written beside the golden
file as ``*.actual``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulator.analysis.diff import diff
from simulator.analysis.lint import lint
from simulator.analysis.reach import reach
from simulator.analysis.report import render_diff_text, render_findings_table, render_reach_text
from simulator.cli import main
from simulator.fixes import repair_all
from simulator.model import Checkpoint, Decision, Health, Verdict
from simulator.report import render_json, render_table
from simulator.results import ScenarioResult
from simulator.scenario import load_file
from simulator.simulate import simulate
from simulator.steps import render_steps

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = ROOT / "tests" / "golden"


def render_replay_table(results: Sequence[ScenarioResult]) -> str:
    """What ``sgsim replay`` prints: the tables, with fixes for any failing expectation."""
    return render_table(results, fixes=[repair_all(r) for r in results])


def render_replay_json(results: Sequence[ScenarioResult]) -> str:
    return render_json(results, fixes=[repair_all(r) for r in results])


FORMATS = {"table": (render_replay_table, "txt"), "json": (render_replay_json, "json")}


def render_lint(results: Sequence[ScenarioResult]) -> str:
    """The lint report of each scenario, every severity included."""
    return render_findings_table([(r.scenario.file, lint(r.scenario)) for r in results])


FORMATS["lint"] = (render_lint, "lint.txt")


def render_reach(results: Sequence[ScenarioResult]) -> str:
    """Who reaches every listener of every load balancer of each scenario."""
    blocks = []
    for result in results:
        for lb in result.scenario.load_balancers:
            for listener in lb.listeners:
                target = f"{lb.name}:{listener.key}"
                found = reach(result.scenario, lb.name, listener.port, listener.protocol.transport)
                blocks.append(render_reach_text(target, found))
    return "\n".join(blocks) or "no load balancer\n"


FORMATS["reach"] = (render_reach, "reach.txt")


def render_every_step(results: Sequence[ScenarioResult]) -> str:
    """Every flow of each scenario as numbered steps, rule by rule."""
    return "\n".join(render_steps(f) for r in results for f in r.flows) or "no flow\n"


FORMATS["steps"] = (render_every_step, "steps.txt")
PAIRS = [
    ("03-seed-3-private-clb-as-written", "04-seed-3-private-clb-corrected"),
    ("05-seed-4-classic-private-as-written", "06-seed-4-classic-private-corrected"),
    ("07-seed-5-blocklist-drops-first", "08-seed-5-blocklist-accept-first"),
]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a[:2]}-{b[:2]}" for a, b in PAIRS])
def test_golden_diff(
    old: str, new: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed's as-written and corrected files differ exactly as their notes say."""
    monkeypatch.chdir(ROOT)
    old_path, new_path = f"scenarios/{old}.yaml", f"scenarios/{new}.yaml"
    actual = render_diff_text(old_path, new_path, diff(load_file(old_path), load_file(new_path)))
    _compare(GOLDEN / f"diff-{old[:2]}-{new[:2]}.txt", actual, update_goldens, f"diff {old} {new}")


def test_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_golden(
    path: Path, fmt: str, update_goldens: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    render, suffix = FORMATS[fmt]
    actual = render([simulate(load_file(path.relative_to(ROOT)))])
    _compare(GOLDEN / f"{path.stem}.{suffix}", actual, update_goldens, f"{path.name} ({fmt})")


def _compare(golden: Path, actual: str, update: bool, what: str) -> None:
    """Compare with a golden file, or rewrite it; on a mismatch leave ``*.actual`` beside it."""
    beside = golden.with_name(golden.name + ".actual")
    if update:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        beside.unlink(missing_ok=True)
        return
    assert golden.exists(), f"no golden file {golden}; run pytest --update-goldens and review it"
    if actual != golden.read_text(encoding="utf-8"):
        beside.write_text(actual, encoding="utf-8")
        pytest.fail(f"{what} differs from {golden.name}; actual output in {beside.name}")
    beside.unlink(missing_ok=True)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_teaches_and_holds(path: Path) -> None:
    """Each shipped file explains itself and asks about everything, and its expectations hold."""
    scenario = load_file(path)
    assert scenario.title and scenario.source and scenario.notes
    result = simulate(scenario)
    assert result.flows or result.health_checks
    for flow in result.flows:
        assert flow.flow.expect is not None, f"flow {flow.flow.source} -> {flow.flow.written_to}"
    for check in result.health_checks:
        assert check.expected is not None, f"health check {check.listener.key} {check.backend}"
    failing = [
        f"{f.flow.source} -> {f.flow.written_to}: {f.verdict}, expected {f.flow.expect}"
        for f in result.flows
        if f.ok is False
    ] + [
        f"{h.load_balancer}:{h.listener.key} {h.backend}: {h.status}, expected {h.expected}"
        for h in result.health_checks
        if h.ok is False
    ]
    assert not failing


def test_replay_json_is_byte_identical_and_follows_the_contract(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["replay", "scenarios/", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert main(["replay", "scenarios/", "--format", "json"]) == 0
    assert capsys.readouterr().out == first
    document = json.loads(first)
    assert document["ok"] is True
    assert [s["file"] for s in document["scenarios"]] == [f"scenarios/{p.name}" for p in SCENARIOS]
    for report in document["scenarios"]:
        _check_report(report)


def _check_report(report: dict[str, object]) -> None:
    assert {"file", "title", "ok", "flows", "health_checks"} <= set(report)
    verdicts = {v.value for v in Verdict}
    flows = report["flows"]
    assert isinstance(flows, list)
    for flow in flows:
        assert {"name", "from", "to", "protocol", "verdict", "expected", "ok", "paths"} <= set(flow)
        assert flow["verdict"] in verdicts
        assert flow["expected"] in (*verdicts, None)
        assert flow["ok"] in (True, False, None)
        assert flow["paths"]
        for path in flow["paths"]:
            assert {"backend", "verdict", "blocked_at", "hops"} <= set(path)
            assert path["verdict"] in (Verdict.ALLOWED, Verdict.DENIED)
            assert (path["blocked_at"] is None) == (path["verdict"] == Verdict.ALLOWED)
            for hop in path["hops"]:
                _check_hop(hop)
    checks = report["health_checks"]
    assert isinstance(checks, list)
    for check in checks:
        keys = {"listener", "backend", "port", "source", "status", "expected", "ok", "hops"}
        assert keys <= set(check)
        assert check["listener"].count(":") == 2
        assert check["status"] in {h.value for h in Health}
        for hop in check["hops"]:
            _check_hop(hop)


def _check_hop(hop: dict[str, object]) -> None:
    keys = {"node", "checkpoint", "direction", "group", "index", "decision", "rule", "reason"}
    assert keys <= set(hop)
    assert hop["checkpoint"] in {c.value for c in Checkpoint}
    assert hop["decision"] in {d.value for d in Decision}
    assert hop["direction"] in ("inbound", "outbound", None)
    assert hop["index"] is None or (isinstance(hop["index"], int) and hop["index"] >= 0)
    assert (hop["index"] is None) == (hop["rule"] is None) or hop["checkpoint"] == "listener"
