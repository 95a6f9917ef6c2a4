"""The distributed replay gives the single-process report byte for byte.

The parts of a log are tested without a cluster; the whole run on a local cluster of two
worker processes (the ``dask`` extra, which the ``test`` extra includes).
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.logs.distributed import Merger, _between, partition, replay_part
from simulator.logs.plan import compile_plan
from simulator.logs.replay import replay_logs
from simulator.logs.report import Report, render_json
from simulator.scenario import load_file

distributed = pytest.importorskip(
    "distributed", reason="the distributed replay needs the dask extra: pip install -e '.[dask]'"
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "examples/flow-logs/shop.yaml"
LOG = ROOT / "examples/flow-logs/shop.log"
BAD = "2 100012345678 eni-1ab2cd3e 10.0.1.11 10.0.1.12 80 50111 6 1 1 1 1 PASS OK\n"


def test_every_line_is_in_exactly_one_part(tmp_path: Path) -> None:
    for data in (b"a\n\nbcd\nefghij\nk\nlast line without an end", b"a\r\nbc\n\n"):
        path = tmp_path / "lines"
        path.write_bytes(data)
        for size in range(1, len(data) + 2):
            for block in (1, 2, 5, 1 << 22):
                lines = []
                with path.open("rb") as file:
                    for start in range(0, len(data), size):
                        end = min(start + size, len(data))
                        lines += list(_between(file, start, end, block))
                assert lines == data.split(b"\n")[: data.count(b"\n") + (not data.endswith(b"\n"))]


def test_parts_merged_in_any_order_give_the_single_process_report(tmp_path: Path) -> None:
    scenario = load_file(SCENARIO)
    plan = compile_plan(scenario)
    packed = tmp_path / "shop.gz"
    packed.write_bytes(gzip.compress(LOG.read_bytes()))
    logs = (str(LOG), str(packed), str(LOG))
    single = Report(scenario, logs, plan, replay_logs(plan, logs), lambda p: (p[0], p[2]))
    for allowance in ("IMPLICIT", "BYPASS"):  # the parts need the plan's allowances too
        assert f'"allowance": "{allowance}"' in render_json(single)
    for size in (97, 500, 1 << 20):
        parts = [p for n, log in enumerate(logs) for p in partition(n, log, size)]
        assert (len(parts) > 3) is (size < 1000)
        merger = Merger()
        for part in reversed(parts):
            merger.add(replay_part(plan, part, skip_malformed=False))
        tally, where = merger.finish()
        assert render_json(Report(scenario, logs, plan, tally, where)) == render_json(single)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A local cluster of two worker processes, for the whole module."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["replay-log", str(SCENARIO), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_on_a_cluster_the_report_is_byte_identical(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = tmp_path / "shop.log.gz"
    packed.write_bytes(gzip.compress(LOG.read_bytes()))
    for form in ("json", "table"):
        logs = (str(LOG), str(packed))
        one = run(capsys, *logs, "--format", form)
        assert one[0] == 1
        cluster = run(capsys, *logs, "--format", form, "--scheduler", scheduler,
                      "--partition-size", "300")  # fmt: skip
        assert cluster == one


def test_on_a_cluster_a_malformed_line_is_the_same_error(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.log"
    lines = LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    broken.write_text("".join([*lines[:30], BAD, *lines[30:], BAD]), encoding="utf-8")
    one = run(capsys, str(broken))
    assert one == (2, "", f"{broken}:31: action: expected ACCEPT or REJECT, got 'PASS'\n")
    assert run(capsys, str(broken), "--scheduler", scheduler, "--partition-size", "200") == one
    skipped = run(capsys, str(broken), "--skip-malformed", "--format", "json")
    assert '"malformed": 2' in skipped[1]
    options = ("--skip-malformed", "--format", "json", "--scheduler", scheduler)
    assert run(capsys, str(broken), *options, "--partition-size", "200") == skipped


def test_dask_starts_its_own_local_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "shop.log"
    shutil.copyfile(LOG, copy)
    one = run(capsys, str(copy), "--format", "json")
    assert run(capsys, str(copy), "--format", "json", "--dask", "--workers", "2") == one
