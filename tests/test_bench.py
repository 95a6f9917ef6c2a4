"""The benchmark script runs, on a small workload: it is shipped, so it must not rot.

Only that it runs and prints its ratios is checked here; its timings are never asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_and_prints_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "bench/analysis.py", "--groups", "2", "--rules", "40", "--samples", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "2 groups x 40 rules = 80 inbound rules on one instance"
    for command in ("lint", "reach", "diff"):
        assert any(line.startswith(f"{command} / naive baseline: ") for line in lines)
