"""Flow logs, distributed: the same replay on a Dask cluster, for logs beyond one machine.

The plan (the scenario's rules, compiled) is shipped to every worker once, with
``Client.scatter(..., broadcast=True)``. Each log is cut into parts: a plain file into byte
ranges of about ``partition_size`` (a line belongs to the part its first byte is in), a gzip
file, which cannot be read from the middle, into one part. Each task reads its part a chunk
at a time, exactly as ``replay_logs`` reads a whole file, and returns its ``Tally`` and how
many lines it read; the client adds the tallies up as they come. A record's line number is its
line within its part until all parts are in, when the counts of the parts before it give the
line of the file: so the report is the one a single process gives, byte for byte.

Workers open the logs with fsspec: a path must be readable at the same place on every worker
(a shared file system), or be a URL that fsspec opens there (``s3://...`` with s3fs).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from ..errors import UsageError
from .plan import Plan
from .records import GZIP_MAGIC, UNREADABLE, LogError, read_chunks, unreadable
from .replay import Place, Tally


class Progress(Protocol):
    def advance(self, done: int) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Part:
    """Bytes ``start`` to ``end`` of log number ``log`` (the whole file when ``end`` is None,
    decompressed); ``number`` orders the parts of one log."""

    log: int
    path: str
    url: str
    number: int
    start: int
    end: int | None
    size: int


@dataclass(frozen=True, slots=True)
class PartResult:
    """What one task found: its tally, the lines it read, the first malformed line that
    stopped it (when not skipping them)."""

    part: Part
    tally: Tally
    lines: int
    error: tuple[Place, LogError] | None


def replay_on_dask(
    plan: Plan,
    logs: tuple[str, ...],
    *,
    skip_malformed: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_size: int = 64 << 20,
    progress: Progress | None = None,
) -> tuple[Tally, Callable[[Place], tuple[int, int]]]:
    """Replay ``logs`` on the cluster at ``scheduler``, or on a local cluster of ``workers``
    processes; the tally, and how to turn a place into (log, line of the log). A malformed
    line raises ``LogError`` (the first of the logs) unless ``skip_malformed``."""
    try:
        from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415
    except ImportError:
        raise UsageError("the distributed replay needs Dask: pip install 'sgsim[dask]'") from None
    parts = [p for number, log in enumerate(logs) for p in partition(number, log, partition_size)]
    merged = Merger()
    cluster: Any = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
            dashboard_address=":0",
        )  # fmt: skip
    try:
        try:
            client: Any = Client(scheduler or cluster)  # type: ignore[no-untyped-call]
        except OSError as error:  # no scheduler answers there (a TimeoutError is an OSError)
            raise UsageError(f"--scheduler: cannot connect to {scheduler}: {error}") from None
        with client:
            shipped = client.scatter(plan, broadcast=True, hash=False)
            tasks = [
                client.submit(replay_part, shipped, part, skip_malformed, pure=False)
                for part in parts
            ]
            for task in as_completed(tasks):  # type: ignore[no-untyped-call]
                result: PartResult = task.result()
                task.release()
                merged.add(result)
                if progress is not None:
                    progress.advance(result.part.size)
    finally:
        if cluster is not None:
            cluster.close()
        if progress is not None:
            progress.close()
    return merged.finish()


class Merger:
    """The results of the parts, added up in whatever order they come."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.lines: dict[tuple[int, int], int] = {}
        self.errors: list[tuple[Place, LogError]] = []

    def add(self, result: PartResult) -> None:
        self.tally.merge(result.tally)
        self.lines[(result.part.log, result.part.number)] = result.lines
        if result.error is not None:
            self.errors.append(result.error)

    def finish(self) -> tuple[Tally, Callable[[Place], tuple[int, int]]]:
        """The tally, and how to turn its places into lines of the logs; the first malformed
        line of the logs, if one stopped a part, as ``LogError``."""
        where = _lines_of_files(self.lines)
        if self.errors:
            place, error = min(self.errors, key=lambda e: e[0])
            raise LogError(error.message, file=error.file, line=where(place)[1], field=error.field)
        return self.tally, where


def partition(log: int, path: str, size: int) -> list[Part]:
    """The parts of one log: byte ranges of about ``size`` of a plain file, or the whole
    of a gzip file."""
    import fsspec  # type: ignore[import-untyped]  # noqa: PLC0415 (a dependency of dask)

    url = path if "://" in path else os.path.abspath(path)
    try:
        fs, inside = fsspec.core.url_to_fs(url)
        total = int(fs.size(inside))
        with fs.open(inside, "rb") as file:
            gzipped = file.read(2) == GZIP_MAGIC
    except OSError as error:
        raise unreadable(path, 1, error) from None
    if gzipped:
        return [Part(log, path, url, 0, 0, None, total)]
    cuts = list(range(0, total, size)) or [0]
    return [
        Part(log, path, url, n, start, min(start + size, total), min(size, total - start))
        for n, start in enumerate(cuts)
    ]


def replay_part(plan: Plan, part: Part, skip_malformed: bool) -> PartResult:
    """One task: replay one part of a log, lines numbered from the part's first line."""
    import fsspec  # noqa: PLC0415

    tally = Tally()
    lines = 0
    try:
        with fsspec.open(part.url, "rb") as file:
            source: Iterable[bytes] = (
                gzip.GzipFile(fileobj=file, mode="rb")
                if part.end is None
                else _between(file, part.start, part.end)
            )
            for chunk in read_chunks(
                source, part.path, header=part.number == 0, skip_malformed=skip_malformed
            ):
                tally.add(plan, chunk, part.log, part.number)
                lines = chunk.through
    except UNREADABLE as error:
        failed = unreadable(part.path, 1, error)
        return PartResult(part, tally, lines, ((part.log, -1, 1), failed))
    except LogError as error:
        return PartResult(part, tally, lines, ((part.log, part.number, error.line), error))
    return PartResult(part, tally, lines, None)


def _between(file: IO[bytes], start: int, end: int, block: int = 1 << 22) -> Iterator[bytes]:
    """The lines whose first byte is at ``start`` or after, and before ``end`` (without their
    line ends), read a block at a time."""
    if start > 0:
        file.seek(start - 1)
        file.readline()  # the end of the line before, which the part before reads
    left = end - file.tell()
    carry = b""
    while left > 0:
        data = file.read(min(left, block))
        if not data:
            break
        left -= len(data)
        lines = (carry + data).split(b"\n")
        carry = lines.pop()  # the start of a line that goes on in the next block
        yield from lines
    if carry:
        yield carry + file.readline().rstrip(b"\n")  # the last line begins before ``end``


def _lines_of_files(lines: dict[tuple[int, int], int]) -> Callable[[Place], tuple[int, int]]:
    """(log, line of the log) of a place, once every part's count of lines is known."""
    offsets: dict[tuple[int, int], int] = {}
    for log, number in sorted(lines):
        offsets[(log, number)] = offsets.get((log, number - 1), 0) + lines.get((log, number - 1), 0)

    def where(place: Place) -> tuple[int, int]:
        log, number, line = place
        return log, offsets.get((log, number), 0) + line

    return where
