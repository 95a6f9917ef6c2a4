"""Flow logs, reading: Tencent VPC flow-log files -> chunks of records as numpy columns.

This is the loading stage for logs, as ``scenario`` is for scenario files: it knows the
record format and nothing of the rules. A record is one line of 14 space-separated fields::

    version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes
    start end action log-status

A file may be gzip-compressed (recognised by its first bytes, whatever its name) and may open
with a header line naming those fields. ``-`` stands for a field with no value: the ports of a
protocol without ports, and every field of a ``NODATA`` or ``SKIPDATA`` record but the
interface, the times and the status. Blank lines are passed over.

A line that does not read as a record is a ``LogError``, located as ``FILE:LINE: FIELD:
message`` like a mistake in a scenario; the caller chooses whether it stops the run (the
default) or is counted and reported (``skip_malformed``). Records are read ``CHUNK`` at a
time, so a file of any size is read in constant memory.
"""

from __future__ import annotations

import functools
import gzip
import ipaddress
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import numpy as np
import numpy.typing as npt

from ..errors import ScenarioError

#: The fields of a record, in order, as the header line names them.
FIELDS = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip
#: Records per chunk: the unit of work, and of memory.
CHUNK = 1 << 16
#: Distinct address texts remembered between chunks; the memo is emptied when full.
_MEMO = 1 << 16
_LOW_64 = (1 << 64) - 1
_NO_PORT = -1
#: The first bytes of a gzip file, whatever its name.
GZIP_MAGIC = b"\x1f\x8b"
_HEADER = tuple(name.encode() for name in FIELDS)


class LogError(ScenarioError):
    """A line of a flow log that is not a record, located as ``FILE:LINE: FIELD: message``."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        """Pickle with the keyword-only context too: a worker sends it back to the client."""
        rebuild = functools.partial(
            LogError, self.message, file=self.file, line=self.line, field=self.field
        )
        return rebuild, ()


#: What reading a damaged log raises: a file cut short (``EOFError``), a damaged gzip stream
#: (``zlib.error``, or ``gzip.BadGzipFile``, an ``OSError``), a file that cannot be read.
UNREADABLE = (OSError, EOFError, zlib.error)


def unreadable(file: str, line: int, error: BaseException) -> LogError:
    """A log that could not be read on to its end, located at the line reading stopped at."""
    return LogError(f"cannot read the file: {error}", file=file, line=line, field="file")


class Status(IntEnum):
    """A record's ``log-status``; ``MALFORMED`` marks a line skipped as unreadable."""

    OK = 0
    NODATA = 1
    SKIPDATA = 2
    MALFORMED = 3


class LoggedAction(IntEnum):
    """A record's ``action``: what the cloud did. ``NONE`` is ``-`` (no traffic)."""

    ACCEPT = 0
    REJECT = 1
    NONE = 2


_STATUS = {b"OK": Status.OK, b"NODATA": Status.NODATA, b"SKIPDATA": Status.SKIPDATA}
_ACTION = {b"ACCEPT": LoggedAction.ACCEPT, b"REJECT": LoggedAction.REJECT}
_PORTED = (6, 17)  # TCP, UDP: the protocols whose records carry ports
_NOWHERE = (0, 0, 0, 0)
_PROTOCOLS = {str(n).encode(): n for n in range(256)}


@dataclass(frozen=True, slots=True)
class Chunk:
    """Records of one log as columns, one row per record (blank lines and the header left out).

    ``line`` counts from the first line of what was read (1 for a whole file). Addresses are
    ``version`` (4 or 6; 0 where the record has none) and the high and low 64 bits of
    ``src``/``dst``; a port is -1 where the record has none; ``protocol`` is the IANA number,
    -1 where the record has none. ``interface`` indexes ``interfaces``. ``through`` is the
    number of the last line read, so the last chunk's is how many lines there were (the last
    chunk may hold no record). ``malformed`` lines were skipped (only when asked);
    ``first_error`` is the earliest of them.
    """

    line: npt.NDArray[np.int64]
    status: npt.NDArray[np.uint8]
    action: npt.NDArray[np.uint8]
    protocol: npt.NDArray[np.int16]
    version: npt.NDArray[np.uint8]
    src_hi: npt.NDArray[np.uint64]
    src_lo: npt.NDArray[np.uint64]
    dst_hi: npt.NDArray[np.uint64]
    dst_lo: npt.NDArray[np.uint64]
    src_port: npt.NDArray[np.int32]
    dst_port: npt.NDArray[np.int32]
    interface: npt.NDArray[np.int32]
    interfaces: tuple[str, ...]
    through: int = 0
    malformed: int = 0
    first_error: LogError | None = None

    def __len__(self) -> int:
        return len(self.line)


def open_log(path: str | Path) -> tuple[BinaryIO, BinaryIO]:
    """The file opened for reading, and the stream of its lines: the same stream for a plain
    file, a decompressing one for gzip. Progress is the first one's position."""
    try:
        raw: BinaryIO = open(path, "rb")  # noqa: SIM115 (the caller closes it)
    except OSError as error:
        raise LogError(
            f"cannot read the file: {error.strerror}", file=str(path), line=1, field="file"
        ) from None
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    raw.seek(0)
    return raw, raw


def read_chunks(
    lines: Iterable[bytes],
    file: str,
    *,
    header: bool = True,
    skip_malformed: bool = False,
    size: int = CHUNK,
) -> Iterator[Chunk]:
    """The records of ``lines``, read from ``file``, ``size`` at a time; lines are numbered
    from 1, and the first may be the header when ``header`` (the start of a file). A malformed
    line raises ``LogError``, or with ``skip_malformed`` is counted."""
    parser = _Parser(file, skip_malformed, header)
    yield from parser.feed(lines, size)


class _Parser:
    """Lines -> columns; the memo of addresses already read is kept across chunks."""

    def __init__(self, file: str, skip_malformed: bool, header: bool) -> None:
        self.file = file
        self.skip = skip_malformed
        self.header = header
        self.memo: dict[bytes, tuple[int, int, int]] = {}
        self.names: dict[bytes, int] = {}
        self.through = 0
        self._reset()

    def _reset(self) -> None:
        self.lines: list[int] = []
        self.rows: list[int] = []  # 7 values a record: status ... interface, as in ``chunk``
        self.addresses: list[int] = []  # 4 a record: source high, low, destination high, low
        self.malformed = 0
        self.first_error: LogError | None = None
        self.names = {}

    def feed(self, lines: Iterable[bytes], size: int) -> Iterator[Chunk]:
        """Chunks of the records of ``lines``. An ordinary record takes the short way here,
        with no check that could fail; anything else, and any failure, goes to ``take``, which
        checks each field and says what is wrong."""
        memo, names, protocols, actions = self.memo, self.names, _PROTOCOLS, _ACTION
        numbers, rows, addresses = self.lines, self.rows, self.addresses
        number = 0
        for number, line in enumerate(lines, start=1):
            try:
                _, _, name, src, dst, sport, dport, code, _, _, _, _, act, status = line.split()
                if status != b"OK":
                    raise KeyError(status)
                protocol, action = protocols[code], actions[act]
                (version, src_hi, src_lo), (other, dst_hi, dst_lo) = memo[src], memo[dst]
                if protocol == 6 or protocol == 17:  # noqa: PLR1714 (faster than a tuple)
                    src_port, dst_port = int(sport), int(dport)
                    if not (0 <= src_port <= 65535 and 0 <= dst_port <= 65535 and other == version):
                        raise ValueError(sport)
                elif sport == dport == b"-" and other == version:
                    src_port = dst_port = _NO_PORT
                else:
                    raise ValueError(sport)
                interface = names.get(name)
                if interface is None:
                    interface = names[name] = len(names)
                rows.extend((0, action, protocol, version, src_port, dst_port, interface))
                addresses.extend((src_hi, src_lo, dst_hi, dst_lo))
                numbers.append(number)
            except (ValueError, KeyError):
                self.take(number, line)
            if len(numbers) + self.malformed >= size:
                yield self.chunk(number)
                numbers, rows, addresses, names = self.lines, self.rows, self.addresses, self.names
        if numbers or self.malformed or number > self.through:
            yield self.chunk(number)

    def take(self, number: int, line: bytes) -> None:
        """Read one line into the chunk being built, checking every field."""
        fields = line.split()
        if not fields:
            return
        try:
            row = self.record(number, fields)
        except LogError as error:
            if not self.skip:
                raise
            self.malformed += 1
            if self.first_error is None:
                self.first_error = error
            return
        if row is not None:
            self.lines.append(number)
            self.rows.extend(row[0])
            self.addresses.extend(row[1])

    def record(
        self, number: int, fields: list[bytes]
    ) -> tuple[tuple[int, int, int, int, int, int, int], tuple[int, int, int, int]] | None:
        """One record's row (small values, then addresses), None for the header line;
        ``LogError`` for a malformed line."""
        if number == 1 and self.header and (b"version" in fields or b"srcaddr" in fields):
            if tuple(fields) != _HEADER:
                self.fail(number, "header", f"expected the fields {' '.join(FIELDS)}")
            return None
        if len(fields) != len(FIELDS):
            self.fail(number, "record", f"expected {len(FIELDS)} fields, got {len(fields)}")
        if tuple(fields) == _HEADER:
            self.fail(number, "header", "only the first line of a file may be the header")
        interface = self.names.setdefault(fields[2], len(self.names))
        status = _STATUS.get(fields[13])
        if status is None:
            self.fail(
                number, "log-status", f"expected OK, NODATA or SKIPDATA, got {_text(fields[13])!r}"
            )
        if status is not Status.OK:
            return (status, LoggedAction.NONE, -1, 0, _NO_PORT, _NO_PORT, interface), _NOWHERE
        action = _ACTION.get(fields[12])
        if action is None:
            self.fail(number, "action", f"expected ACCEPT or REJECT, got {_text(fields[12])!r}")
        protocol = self.protocol(number, fields[7])
        version, src_hi, src_lo = self.address(number, "srcaddr", fields[3])
        dst_version, dst_hi, dst_lo = self.address(number, "dstaddr", fields[4])
        if dst_version != version:
            self.fail(
                number, "dstaddr", f"an IPv{dst_version} address, but srcaddr is IPv{version}"
            )
        src_port = self.port(number, "srcport", fields[5], protocol)
        dst_port = self.port(number, "dstport", fields[6], protocol)
        return (
            (status, action, protocol, version, src_port, dst_port, interface),
            (src_hi, src_lo, dst_hi, dst_lo),
        )

    def protocol(self, number: int, text: bytes) -> int:
        if text.isdigit() and int(text) <= 255:
            return int(text)
        self.fail(number, "protocol", f"expected an IP protocol number 0-255, got {_text(text)!r}")

    def address(self, number: int, field: str, text: bytes) -> tuple[int, int, int]:
        known = self.memo.get(text)
        if known is not None:
            return known
        try:
            address = ipaddress.ip_address(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            self.fail(number, field, f"expected an IPv4 or IPv6 address, got {_text(text)!r}")
        value = int(address)
        known = (address.version, value >> 64, value & _LOW_64)
        if len(self.memo) >= _MEMO:
            self.memo.clear()
        self.memo[text] = known
        return known

    def port(self, number: int, field: str, text: bytes, protocol: int) -> int:
        if text == b"-":
            if protocol in _PORTED:
                self.fail(number, field, "a TCP or UDP record needs a port, got '-'")
            return _NO_PORT
        if not (text.isdigit() and int(text) <= 65535):
            self.fail(number, field, f"expected a port 0-65535 or '-', got {_text(text)!r}")
        return int(text) if protocol in _PORTED else _NO_PORT

    def fail(self, number: int, field: str, message: str) -> NoReturn:
        raise LogError(message, file=self.file, line=number, field=field)

    def chunk(self, through: int) -> Chunk:
        """The records taken so far, as columns; the parser starts a new chunk."""
        small = np.fromiter(self.rows, dtype=np.int32, count=len(self.rows)).reshape(-1, 7).T
        wide = np.fromiter(self.addresses, np.uint64, len(self.addresses)).reshape(-1, 4).T
        chunk = Chunk(
            line=np.array(self.lines, dtype=np.int64),
            status=small[0].astype(np.uint8),
            action=small[1].astype(np.uint8),
            protocol=small[2].astype(np.int16),
            version=small[3].astype(np.uint8),
            src_hi=wide[0].copy(),
            src_lo=wide[1].copy(),
            dst_hi=wide[2].copy(),
            dst_lo=wide[3].copy(),
            src_port=small[4].copy(),
            dst_port=small[5].copy(),
            interface=small[6].copy(),
            interfaces=tuple(_text(name) for name in self.names),
            malformed=self.malformed,
            through=through,
            first_error=self.first_error,
        )
        self.through = through
        self._reset()
        return chunk


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")
