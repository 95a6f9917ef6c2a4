"""The ``replay-log`` command: argparse and dispatch; reading and deciding live beside.

Nothing here imports numpy or dask at load time: the command line registers this command for
every run, and only ``replay-log`` itself pays for them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError

EXIT_OK, EXIT_DIFFERENT, EXIT_INVALID = 0, 1, 2
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_PART = 64 << 20  # bytes of a plain log per task, by default


def add_command(commands: Any) -> None:
    """``replay-log``, on the top-level command's subparsers."""
    replay = commands.add_parser(
        "replay-log",
        help="replay VPC flow logs against a scenario's rules: verdicts, rule hits, differences",
        description="Decide every record of Tencent VPC flow logs (plain or gzip) by the "
        "scenario's rules, at the instance that owns its address: counts by verdict, hits per "
        "rule (and rules never hit), and every record whose verdict differs from the logged "
        "action, grouped. Exit status 0: every verdict agrees with the log; 1: one differs; "
        "2: invalid input.",
    )
    replay.add_argument("scenario", metavar="SCENARIO", help="scenario file with the rules")
    replay.add_argument("logs", nargs="+", metavar="LOG", help="flow-log file, plain or gzip")
    replay.add_argument("--format", choices=("table", "json"), default="table")
    replay.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of the terminal"
    )
    replay.add_argument(
        "--skip-malformed", action="store_true",
        help="count a line that is not a record, and report the first, instead of stopping",
    )  # fmt: skip
    dask = replay.add_argument_group(
        "distributed (needs the dask extra: pip install 'sgsim[dask]')"
    )
    dask.add_argument(
        "--dask", action="store_true",
        help="replay on a local Dask cluster of --workers processes",
    )  # fmt: skip
    dask.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="replay on the running Dask cluster whose scheduler is ADDRESS (tcp://host:8786)",
    )  # fmt: skip
    dask.add_argument(
        "--workers", type=_count, metavar="N",
        help="processes of the local cluster (default: one per CPU)",
    )  # fmt: skip
    dask.add_argument(
        "--partition-size", type=_size, metavar="SIZE",
        help="bytes of a plain log per task (default 64M); a gzip log is one task",
    )  # fmt: skip


def run_replay_log(args: argparse.Namespace) -> int:
    """Load, replay, report; a malformed log line is printed as FILE:LINE: FIELD: message."""
    from ..cli import load_one, write_output  # noqa: PLC0415 (the command line imports this module)
    from .plan import compile_plan  # noqa: PLC0415 (numpy: only this command loads it)
    from .records import LogError  # noqa: PLC0415
    from .replay import replay_logs  # noqa: PLC0415
    from .report import Report, render_json, render_table  # noqa: PLC0415

    distributed = args.dask or args.scheduler is not None
    if args.workers is not None and (args.scheduler is not None or not args.dask):
        raise UsageError("--workers: only with --dask, for a local cluster")
    if args.partition_size is not None and not distributed:
        raise UsageError("--partition-size: only with --dask or --scheduler")
    scenario = load_one(args.scenario, "replay-log")
    for log in args.logs:
        if distributed and "://" in log:
            continue
        if Path(log).is_dir():
            raise UsageError(f"{log}: a folder; name the log files in it")
        if not Path(log).is_file():
            raise UsageError(f"{log}: no such file")
    plan = compile_plan(scenario)
    logs = tuple(args.logs)
    try:
        if distributed:
            from .distributed import replay_on_dask  # noqa: PLC0415 (dask is an extra)

            tally, where = replay_on_dask(
                plan, logs, skip_malformed=args.skip_malformed, scheduler=args.scheduler,
                workers=args.workers, partition_size=args.partition_size or _PART,
                progress=_Progress.to(sys.stderr, _total(logs)),
            )  # fmt: skip
        else:
            bar = _Progress.to(sys.stderr, _total(logs))
            tally = replay_logs(
                plan,
                logs,
                skip_malformed=args.skip_malformed,
                progress=bar.advance if bar is not None else None,
            )
            if bar is not None:
                bar.close()
            where = _as_read
    except LogError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    report = Report(scenario, logs, plan, tally, where)
    write_output((render_json if args.format == "json" else render_table)(report), args.output)
    if not report.checked:
        print("sgsim: replay-log: no record of the logs was replayed", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK if report.ok else EXIT_DIFFERENT


def _as_read(place: tuple[int, int, int]) -> tuple[int, int]:
    """A place read in one piece: its line is the line of the file."""
    return place[0], place[2]


def _total(logs: tuple[str, ...]) -> int:
    return sum(os.path.getsize(log) for log in logs if "://" not in log)


class _Progress:
    """A one-line progress bar on a terminal's standard error: bytes read of the logs (the
    compressed bytes of a gzip file), and the rate."""

    WIDTH = 30

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream, self.total = stream, max(total, 1)
        self.done, self.start, self.shown = 0, time.monotonic(), 0.0

    @classmethod
    def to(cls, stream: TextIO, total: int) -> _Progress | None:
        """A bar on ``stream`` if it is a terminal; none when it is piped or a file."""
        return cls(stream, total) if stream.isatty() else None

    def advance(self, done: int) -> None:
        self.done += done
        now = time.monotonic()
        if now - self.shown >= 0.2:
            self.shown = now
            share = min(self.done / self.total, 1.0)
            filled = int(share * self.WIDTH)
            rate = self.done / max(now - self.start, 1e-9) / (1 << 20)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {share:4.0%} {rate:6.1f} MiB/s")
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * (self.WIDTH + 20) + "\r")
        self.stream.flush()


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _size(text: str) -> int:
    """``67108864``, ``64M``, ``512K`` or ``1G``: bytes, for argparse."""
    number, unit = text.rstrip("KMGkmg"), text[len(text.rstrip("KMGkmg")) :].upper()
    if not (number.isascii() and number.isdigit()) or unit not in _UNITS or int(number) < 1:
        raise argparse.ArgumentTypeError(f"expected a size such as 64M, got {text!r}")
    return int(number) * _UNITS[unit]


__all__ = ["add_command", "run_replay_log"]
