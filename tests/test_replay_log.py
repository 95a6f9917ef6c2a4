"""``sgsim replay-log``: the shipped sample's report worked out by hand, the reading of flow
logs (gzip, header, ``-``, NODATA/SKIPDATA, bad lines), and every record decided as the
reference below decides it with ``first_match``.

The hand working of the sample is written out in docs/flow-logs.md; its table is an excerpt
there, which tests/test_docs.py keeps current.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import main
from simulator.evaluate import Packet, first_match, ordered
from simulator.logs.commands import _Progress
from simulator.logs.plan import compile_plan
from simulator.logs.records import CHUNK, read_chunks
from simulator.logs.replay import Tally, decide
from simulator.model import Action, Direction, Instance, Protocol, Scenario, host_network
from simulator.scenario import load_file, load_text

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "examples/flow-logs/shop.yaml"
LOG = "examples/flow-logs/shop.log"
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def replay(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["replay-log", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# -- the shipped sample, by hand -------------------------------------------------------------
def rule(group: str, direction: str, index: int | None, text: str | None, hits: int) -> Any:
    checkpoint = "network_acl" if group.startswith("acl-") else "security_group"
    if index is None:
        shown = f"{group} {direction}: no rule matched, default DROP"
    else:
        shown = f"{group} {direction} #{index}: {text}"
    return {"checkpoint": checkpoint, "group": group, "direction": direction, "index": index,
            "rule": text, "allowance": None, "instance": None, "reason": None, "text": shown,
            "hits": hits}  # fmt: skip


def allowance(groups: str, instance: str, kind: str, reason: str, hits: int) -> Any:
    """The row of the records that passed ``instance``'s inbound groups unread (§3.4, §3.5)."""
    section = {"IMPLICIT": "§3.5", "BYPASS": "§3.4"}[kind]
    return {"checkpoint": "security_group", "group": groups, "direction": "inbound",
            "index": None, "rule": None, "allowance": kind, "instance": instance,
            "reason": reason, "text": f"{instance} inbound: {reason} ({section})",
            "hits": hits}  # fmt: skip


PROBES = "health checks from 100.64.0.0/10 are allowed implicitly"


HAND_RULES = [
    rule("sg-web", "inbound", 0, "0.0.0.0/0 + 80 allow", 10),  # lines 2-11
    rule("sg-web", "inbound", 1, "::/0 + 80 allow", 2),  # 34, 35
    rule("sg-web", "inbound", 2, "203.0.113.66 + ALL drop", 1),  # 12
    rule("sg-web", "outbound", 0, "0.0.0.0/0 + 443 allow", 2),  # 25, 26
    rule("sg-web", "outbound", 1, "sg-db + 3306 allow", 4),  # 21-24
    rule("sg-admin", "inbound", 0, "198.51.100.0/24 + 22 allow", 2),  # 13, 14
    rule("sg-admin", "inbound", 1, "198.51.100.0/24 + ICMP allow", 1),  # 31
    rule("sg-admin", "inbound", 2, "0.0.0.0/0 + 3389 allow", 0),
    rule("sg-admin", "outbound", 0, "198.51.100.0/24 + ICMP allow", 1),  # 32
    rule("sg-db", "inbound", 0, "sg-web + 3306 allow", 4),  # 21-24
    rule("acl-db", "inbound", 0, "10.0.1.0/24 + 3306 allow", 6),  # 21-24, 44, 45
    rule("acl-db", "inbound", 1, "198.51.100.0/24 + 22 allow", 0),
    rule("acl-db", "outbound", 0, "10.0.1.0/24 + 1024-65535 allow", 3),  # 23, 24, 45 (replies)
    rule("acl-db", "outbound", 1, "198.51.100.0/24 + 1024-65535 allow", 0),
    rule("sg-web, sg-admin", "inbound", None, None, 5),  # 15-18, 33
    rule("sg-web, sg-admin", "outbound", None, None, 4),  # 27-30
    rule("sg-web", "inbound", None, None, 1),  # 36
    rule("acl-db", "inbound", None, None, 2),  # 19, 20
    allowance("sg-web, sg-admin", "web-1", "IMPLICIT", PROBES, 2),  # 40, 41
    allowance("sg-web, sg-admin", "web-2", "IMPLICIT", PROBES, 2),  # 42, 43
    allowance("sg-db, sg-admin", "db-1", "BYPASS", "bypassed by clb-db", 2),  # 44, 45
]


def difference(
    change: str, n: int, instance: str, leg: str, protocol: str, port: int, by: Any, line: int
) -> dict[str, Any]:
    logged, simulated = change.split(" -> ")
    decided = {k: v for k, v in by.items() if k != "hits"}
    return {"logged": logged, "simulated": simulated, "records": n, "instance": instance,
            "leg": leg, "protocol": protocol, "port": port, "decided_by": decided,
            "example": f"{LOG}:{line}"}  # fmt: skip


SSH_DROP, DNS_DROP = HAND_RULES[14], HAND_RULES[15]
HAND_DIFFERENCES = [
    difference("ACCEPT -> REJECT", 2, "web-1", "request", "TCP", 22, SSH_DROP, 15),  # 15, 17
    difference("ACCEPT -> REJECT", 2, "web-1", "reply", "TCP", 22, SSH_DROP, 16),  # 16, 18
    difference("ACCEPT -> REJECT", 2, "web-1", "request", "UDP", 53, DNS_DROP, 27),  # 27, 29
    difference("ACCEPT -> REJECT", 2, "web-1", "reply", "UDP", 53, DNS_DROP, 28),  # 28, 30
    difference("REJECT -> ACCEPT", 1, "web-1", "request", "TCP", 80, HAND_RULES[0], 10),
    difference("REJECT -> ACCEPT", 1, "web-2", "request", "TCP", 80, HAND_RULES[0], 11),
    difference("ACCEPT -> REJECT", 1, "db-1", "request", "TCP", 22, HAND_RULES[17], 19),
    difference("ACCEPT -> REJECT", 1, "db-1", "reply", "TCP", 22, HAND_RULES[17], 20),
]


@pytest.mark.usefixtures("at_root")
def test_the_sample_gives_the_report_worked_out_by_hand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = replay(capsys, SCENARIO, LOG, "--format", "json")
    assert (status, err) == (1, "")
    report = json.loads(out)
    assert report["records"] == {
        "total": 46, "replayed": 41, "no_instance": 2, "other_protocol": 1, "nodata": 1,
        "skipdata": 1, "malformed": 0,
    }  # fmt: skip
    assert report["verdicts"] == {"ACCEPT": 28, "REJECT": 13}
    assert report["logged_vs_simulated"] == [
        {"logged": "ACCEPT", "simulated": "ACCEPT", "records": 26},
        {"logged": "ACCEPT", "simulated": "REJECT", "records": 10},
        {"logged": "REJECT", "simulated": "ACCEPT", "records": 2},
        {"logged": "REJECT", "simulated": "REJECT", "records": 3},
    ]
    assert report["rules"] == HAND_RULES
    assert report["differences"] == HAND_DIFFERENCES
    assert report["no_instance"] == [
        {"interface": "eni-9zz8yy7x", "records": 2, "example": f"{LOG}:38"}
    ]
    assert report["other_protocols"] == [{"protocol": 50, "records": 1, "example": f"{LOG}:37"}]
    assert report["first_malformed"] is None
    assert report["ok"] is False


@pytest.mark.usefixtures("at_root")
def test_the_table_ends_with_the_summary_and_json_is_byte_identical(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, table, _ = replay(capsys, SCENARIO, LOG)
    assert status == 1
    assert table.endswith(
        "41 of 46 records replayed, 12 differ from the log (10 would be rejected, 2 let in); "
        "3 of 14 rules never hit\n"
    )
    first = replay(capsys, SCENARIO, LOG, "--format", "json")[1]
    assert replay(capsys, SCENARIO, LOG, "--format", "json")[1] == first


@pytest.mark.usefixtures("at_root")
def test_gzip_and_several_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "shop.log.gz"  # the name does not matter: the first bytes do
    packed.write_bytes(gzip.compress((ROOT / LOG).read_bytes()))
    renamed = tmp_path / "shop.txt"
    shutil.copyfile(packed, renamed)
    plain = json.loads(replay(capsys, SCENARIO, LOG, "--format", "json")[1])
    for path in (packed, renamed):
        report = json.loads(replay(capsys, SCENARIO, str(path), "--format", "json")[1])
        assert report["differences"] == [
            {**d, "example": d["example"].replace(LOG, str(path))} for d in plain["differences"]
        ]
        assert report["rules"] == plain["rules"]
    both = json.loads(replay(capsys, SCENARIO, LOG, str(packed), "--format", "json")[1])
    assert both["records"]["total"] == 92 and both["logs"] == [LOG, str(packed)]
    assert [r["hits"] for r in both["rules"]] == [2 * r["hits"] for r in plain["rules"]]
    assert [d["example"] for d in both["differences"]] == [
        d["example"] for d in plain["differences"]
    ]  # the earliest example: in the first log


def write_log(tmp_path: Path, *lines: str, name: str = "x.log") -> str:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(path)


def record(src: str, dst: str, sport: str, dport: str, protocol: int, action: str) -> str:
    return (
        f"2 100012345678 eni-1ab2cd3e {src} {dst} {sport} {dport} {protocol} 1 60 "
        f"1735707600 1735707660 {action} OK"
    )


@pytest.mark.usefixtures("at_root")
def test_exit_0_when_every_verdict_agrees_and_no_header_is_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(
        tmp_path,
        record("203.0.113.10", "10.0.1.11", "50111", "80", 6, "ACCEPT"),
        "",  # blank lines are passed over
        record("10.0.1.11", "203.0.113.10", "80", "50111", 6, "ACCEPT"),
    )
    status, out, err = replay(capsys, SCENARIO, log)
    assert (status, err) == (0, "")
    assert "2 of 2 records replayed, every verdict agrees with the log: ok" in out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2 1 eni-1 10.0.1.11 10.0.1.12 1 2 6 1 1 1 1 ACCEPT", "record: expected 14 fields, got 13"),
        (record("10.0.1.300", "10.0.1.11", "1", "2", 6, "ACCEPT"),
         "srcaddr: expected an IPv4 or IPv6 address, got '10.0.1.300'"),
        (record("10.0.1.1", "2001:db8::1", "1", "2", 6, "ACCEPT"),
         "dstaddr: an IPv6 address, but srcaddr is IPv4"),
        (record("10.0.1.1", "10.0.1.11", "1", "70000", 6, "ACCEPT"),
         "dstport: expected a port 0-65535 or '-', got '70000'"),
        (record("10.0.1.1", "10.0.1.11", "-", "80", 6, "ACCEPT"),
         "srcport: a TCP or UDP record needs a port, got '-'"),
        (record("10.0.1.1", "10.0.1.11", "x", "-", 1, "ACCEPT"),
         "srcport: expected a port 0-65535 or '-', got 'x'"),
        (record("10.0.1.1", "10.0.1.11", "1", "2", 256, "ACCEPT"),
         "protocol: expected an IP protocol number 0-255, got '256'"),
        (record("10.0.1.1", "10.0.1.11", "1", "2", 6, "ALLOW"),
         "action: expected ACCEPT or REJECT, got 'ALLOW'"),
        (record("10.0.1.1", "10.0.1.11", "1", "2", 6, "ACCEPT")[:-2] + "FINE",
         "log-status: expected OK, NODATA or SKIPDATA, got 'FINE'"),
    ],
)  # fmt: skip
def test_a_malformed_line_stops_the_run_located(
    line: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(tmp_path, HEADER, record("10.0.1.1", "10.0.1.11", "1", "80", 6, "ACCEPT"), line)
    status, out, err = replay(capsys, str(ROOT / SCENARIO), log)
    assert (status, out) == (2, "")
    assert err == f"{log}:3: {expected}\n"


def test_a_header_in_another_order_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = HEADER.split()
    log = write_log(tmp_path, " ".join([fields[1], fields[0], *fields[2:]]))
    status, _, err = replay(capsys, str(ROOT / SCENARIO), log)
    assert status == 2
    assert err == f"{log}:1: header: expected the fields {HEADER}\n"
    later = write_log(tmp_path, record("10.0.1.1", "10.0.1.11", "1", "80", 6, "ACCEPT"), HEADER)
    assert replay(capsys, str(ROOT / SCENARIO), later)[2] == (
        f"{later}:2: header: only the first line of a file may be the header\n"
    )


def test_skip_malformed_counts_and_reports_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(
        tmp_path,
        record("203.0.113.10", "10.0.1.11", "50111", "80", 6, "ACCEPT"),
        "garbage",
        record("203.0.113.10", "10.0.1.11", "50112", "80", 6, "MAYBE"),
    )
    status, out, err = replay(
        capsys, str(ROOT / SCENARIO), log, "--skip-malformed", "--format", "json"
    )
    report = json.loads(out)
    assert (status, err) == (0, "")
    assert report["records"]["malformed"] == 2 and report["records"]["total"] == 3
    assert report["first_malformed"] == f"{log}:2: record: expected 14 fields, got 1"
    table = replay(capsys, str(ROOT / SCENARIO), log, "--skip-malformed")[1]
    assert f"first malformed line: {log}:2: record: expected 14 fields, got 1" in table
    assert "malformed, skipped" in table


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(ROOT / SCENARIO)
    assert replay(capsys, scenario, str(tmp_path / "none.log"))[::2] == (
        2, f"sgsim: {tmp_path / 'none.log'}: no such file\n",
    )  # fmt: skip
    log = write_log(tmp_path, HEADER)
    assert replay(capsys, scenario, log, "--workers", "2")[::2] == (
        2, "sgsim: --workers: only with --dask, for a local cluster\n",
    )  # fmt: skip
    assert replay(capsys, scenario, log, "--partition-size", "1M")[::2] == (
        2, "sgsim: --partition-size: only with --dask or --scheduler\n",
    )  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        main(["replay-log", scenario, log, "--partition-size", "lots"])
    assert stop.value.code == 2
    assert "expected a size such as 64M, got 'lots'" in capsys.readouterr().err


def test_a_folder_given_as_a_log_is_named_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(capsys, str(ROOT / SCENARIO), str(tmp_path))[::2] == (
        2, f"sgsim: {tmp_path}: a folder; name the log files in it\n",
    )  # fmt: skip


@pytest.mark.parametrize(
    "lines", [(), (HEADER,), (HEADER, "2 100012345678 eni-1ab2cd3e - - - - - - - 1 2 - NODATA")]
)
def test_logs_with_no_record_to_replay_check_nothing_and_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: tuple[str, ...]
) -> None:
    log = write_log(tmp_path, *lines)
    status, out, err = replay(capsys, str(ROOT / SCENARIO), log)
    assert status == 2
    assert err == "sgsim: replay-log: no record of the logs was replayed\n"
    assert "records replayed, nothing was checked;" in out.splitlines()[-1]
    status, out, _ = replay(capsys, str(ROOT / SCENARIO), log, "--format", "json")
    assert status == 2 and json.loads(out)["ok"] is False


def test_a_gzip_log_cut_short_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = gzip.compress((ROOT / LOG).read_bytes())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    status, out, err = replay(capsys, str(ROOT / SCENARIO), str(cut))
    assert (status, out) == (2, "")
    assert err.startswith(f"{cut}:1: file: cannot read the file: Compressed file ended")
    damaged = tmp_path / "damaged.log.gz"
    damaged.write_bytes(packed[:-8] + bytes(8))  # a wrong checksum and length
    status, out, err = replay(capsys, str(ROOT / SCENARIO), str(damaged), "--skip-malformed")
    assert (status, out) == (2, "")
    assert err.startswith(f"{damaged}:") and ": file: cannot read the file: " in err


def test_a_log_given_as_the_scenario_is_quoted_briefly(
    capsys: pytest.CaptureFixture[str], at_root: None
) -> None:
    status, out, err = replay(capsys, LOG, SCENARIO)
    assert (status, out) == (2, "")
    assert err.startswith(f"{LOG}:1: file: expected a mapping, got str 'version account-id")
    assert len(err) < 200


def test_an_ipv6_address_with_an_ipv4_address_in_its_low_bits_is_another_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "twins.yaml"
    scenario.write_text(
        "title: t\ninstances:\n  four: {ip: 10.0.0.1, security_groups: [sg]}\n"
        '  six: {ip: "::a00:1", security_groups: []}\n'
        "security_groups:\n  sg: {inbound: [0.0.0.0/0 + 80 allow]}\n",
        encoding="utf-8",
    )
    log = write_log(
        tmp_path,
        record("192.0.2.1", "10.0.0.1", "50000", "22", 6, "REJECT"),
        record("2001:db8::1", "::a00:1", "50000", "22", 6, "ACCEPT"),
    )
    report = json.loads(replay(capsys, str(scenario), log, "--format", "json")[1])
    assert report["ok"] and report["records"]["replayed"] == 2
    assert [r["hits"] for r in report["rules"] if r["index"] is None] == [1, 1]
    assert [r["text"] for r in report["rules"] if r["index"] is None] == [
        "sg inbound: no rule matched, default DROP",
        "no security group, inbound not filtered (§1.7)",
    ]


def test_progress_bar_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert _Progress.to(io.StringIO(), 100) is None
    screen = Terminal()
    bar = _Progress.to(screen, 100)
    assert bar is not None
    bar.advance(50)
    bar.close()
    assert screen.getvalue().startswith("\r[###############---------------]  50%")
    assert screen.getvalue().endswith("\r")


def test_replay_log_keeps_numpy_off_the_other_commands(tmp_path: Path) -> None:
    code = (
        "import sys; from simulator.cli import main; main(['replay', sys.argv[1]]); "
        "print(sorted(m for m in ('numpy', 'dask', 'distributed') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / SCENARIO)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1] == "[]"


# -- every record decided as first_match decides it ------------------------------------------
REFERENCE = """
title: reference
instances:
  a1: {ip: 10.0.1.1, security_groups: [sg-a, sg-b], subnet: sn-a}
  a2: {ip: 10.0.1.2, security_groups: [sg-a], subnet: sn-a}
  b1: {ip: 10.0.2.1, security_groups: [sg-b], subnet: sn-b}
  c1: {ip: 10.0.3.1, security_groups: [sg-b, sg-a], subnet: sn-c}
  free: {ip: 10.0.4.1, security_groups: []}
  v6: {ip: "2001:db8::1", security_groups: [sg-a], subnet: sn-a}
security_groups:
  sg-a:
    inbound: [10.0.0.0/8 + ALL allow, 0.0.0.0/0 + 80 allow, 203.0.113.0/24 + 22 drop,
              "::/0 + 443 allow", 0.0.0.0/0 + ICMP allow]
    outbound: [0.0.0.0/0 + 443 allow, sg-b + TCP:1000-2000 allow, 0.0.0.0/0 + UDP:53 allow]
  sg-b:
    inbound: [198.51.100.0/24 + ALL allow, 0.0.0.0/0 + 22 drop, sg-a + 3306 allow,
              0.0.0.0/0 + GRE allow]
    outbound: [10.0.0.0/8 + ALL allow, "::/0 + ALL allow", 0.0.0.0/0 + 25 drop]
network_acls:
  acl-a:
    subnets: [sn-a]
    inbound: [10.0.2.0/24 + ALL drop, 0.0.0.0/0 + 1-1023 allow, "::/0 + ALL allow"]
    outbound: [0.0.0.0/0 + 1024-65535 allow, 10.0.3.0/24 + ALL allow]
  acl-b:
    subnets: [sn-b]
    inbound: [0.0.0.0/0 + ALL allow]
    outbound: [0.0.0.0/0 + TCP:ALL allow, 0.0.0.0/0 + ICMP allow]
"""
V4 = ["10.0.1.1", "10.0.1.2", "10.0.2.1", "10.0.3.1", "10.0.4.1", "203.0.113.5",
      "198.51.100.7", "192.0.2.1", "10.9.9.9"]  # fmt: skip
V6 = ["2001:db8::1", "2001:db8::2", "2400:cb00::1"]
PORTS = [0, 22, 25, 53, 80, 443, 1023, 1024, 1500, 3306, 40000, 50000, 65535]
NUMBERS = {
    Protocol.TCP: 6,
    Protocol.UDP: 17,
    Protocol.ICMP: 1,
    Protocol.ICMPV6: 58,
    Protocol.GRE: 47,
}


def expected(scenario: Scenario, protocol: Protocol, src: str, dst: str,
             sport: int | None, dport: int | None) -> tuple[bool, str] | None:  # fmt: skip
    """The verdict and deciding rule of one record, by the rules of docs/flow-logs.md, with
    ``first_match``; None where no address is an instance's."""
    owners = {str(i.ip): i for i in scenario.instances}
    if src not in owners and dst not in owners:
        return None
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    record = Packet(protocol, host_network(s), host_network(d), sport, dport)
    reply = sport is not None and dport is not None and sport < dport
    request = record.reply() if reply else record
    start, end = (
        owners.get(str(request.src.network_address)),
        owners.get(str(request.dst.network_address)),
    )
    inside = (
        start is not None
        and end is not None
        and start.subnet is not None
        and start.subnet == end.subnet
    )
    checks: list[tuple[Instance | None, str, Direction, Packet]] = [
        (start, "sg", Direction.OUTBOUND, request),
        (None if inside else start, "acl", Direction.OUTBOUND, request),
        (None if inside else end, "acl", Direction.INBOUND, request),
        (end, "sg", Direction.INBOUND, request),
    ]
    if reply:
        checks += [(None if inside else end, "acl", Direction.OUTBOUND, record),
                   (None if inside else start, "acl", Direction.INBOUND, record)]  # fmt: skip
    passed: dict[str, str] = {}
    for instance, kind, direction, packet in checks:
        if instance is None:
            continue
        if kind == "sg":
            names = instance.security_groups
            if not names:
                passed["sg"] = f"no security group, {direction} not filtered (§1.7)"
                continue
            lists = [(g, scenario.security_group(g).rules(direction)) for g in names]
        else:
            acl = scenario.acl_of(instance.subnet)
            if acl is None:
                continue
            names, lists = (acl.name,), [(acl.name, acl.rules(direction))]
        evaluation = first_match(ordered(lists, direction), packet, direction)
        ref = evaluation.decided_by
        text = (f"{ref.group} {direction} #{ref.index}: {ref.rule.text}" if ref
                else f"{', '.join(names)} {direction}: no rule matched, default DROP")  # fmt: skip
        if evaluation.action is Action.DROP:
            return False, text
        passed[kind] = text
    return True, passed.get("sg", passed.get("acl", ""))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_record_is_decided_as_first_match_decides_it(seed: int) -> None:
    scenario = load_text(REFERENCE, "reference.yaml")
    plan = compile_plan(scenario)
    rng = random.Random(seed)
    lines, wanted = [], []
    for _ in range(600):
        protocol = rng.choice(list(NUMBERS))
        pool = V6 if protocol is Protocol.ICMPV6 or rng.random() < 0.2 else V4
        src, dst = rng.choice(pool), rng.choice(pool)
        sport, dport = (
            (rng.choice(PORTS), rng.choice(PORTS)) if protocol.has_ports else (None, None)
        )
        lines.append(record(src, dst, "-" if sport is None else str(sport),
                            "-" if dport is None else str(dport), NUMBERS[protocol], "ACCEPT"))  # fmt: skip
        wanted.append(expected(scenario, protocol, src, dst, sport, dport))
    (chunk,) = read_chunks([line.encode() for line in lines], "r.log")
    src = plan.owner(chunk.version, chunk.src_hi, chunk.src_lo)
    dst = plan.owner(chunk.version, chunk.dst_hi, chunk.dst_lo)
    rows = [n for n, want in enumerate(wanted) if want is not None]
    assert [n for n in range(len(lines)) if src[n] >= 0 or dst[n] >= 0] == rows
    import numpy as np  # noqa: PLC0415

    outcome = decide(plan, chunk, np.array(rows), src[rows], dst[rows])
    got = [
        (bool(accepted), str(plan.deciders[decider]))
        for accepted, decider in zip(outcome.accepted, outcome.decider, strict=True)
    ]
    assert got == [wanted[n] for n in rows]
    assert {True, False} <= {g[0] for g in got}


def test_chunks_of_any_size_add_up_to_the_same_tally() -> None:
    plan = compile_plan(load_file(ROOT / SCENARIO))
    lines = (ROOT / LOG).read_bytes().splitlines(keepends=True)

    def tally(size: int) -> Tally:
        total = Tally()
        for chunk in read_chunks(lines, LOG, size=size):
            part = Tally()
            part.add(plan, chunk, 0)
            total.merge(part)
        return total

    whole = tally(CHUNK)
    for size in (1, 3, 7):
        some = tally(size)
        assert some.statuses == whole.statuses and some.verdicts == whole.verdicts
        assert some.mismatches == whole.mismatches and some.unowned == whole.unowned
        assert some.hits.tolist() == whole.hits.tolist()


# -- traffic from load balancers: health checks and bypass (§3.4, §3.5) ---------------------
FROM_CLB = """
title: traffic from load balancers
instances:
  app-1: {ip: 10.0.1.11, security_groups: [sg-app], subnet: sn-acl}
  app-2: {ip: 10.0.2.12, security_groups: [sg-app], subnet: sn-open}
  app-3: {ip: 10.0.3.13, security_groups: [sg-app]}
load_balancers:
  clb-probed:
    type: public
    vip: 119.28.10.10
    listeners:
      - protocol: TCP
        port: 80
        backends: [app-1:8080, app-2:8080]
        health_check: {source: 100.64.0.0/10, port: 8081}
  clb-vip:
    type: private
    vip: 10.0.9.10
    listeners:
      - {protocol: TCP, port: 80, backends: [app-3:9000]}
  clb-bypass:
    type: private
    vip: 10.0.9.20
    security_groups: [sg-clb]
    bypass_backend_security_groups: true
    listeners:
      - {protocol: UDP, port: 53, backends: [app-3:5353]}
  clb-classic:
    type: private
    classic: true
    vip: 10.0.9.30
    listeners:
      - {protocol: UDP, port: 53, backends: [app-2:5353]}
security_groups:
  sg-app:
    inbound: [0.0.0.0/0 + 8080 allow]
  sg-clb:
    inbound: [0.0.0.0/0 + UDP:53 allow]
network_acls:
  acl-app:
    subnets: [sn-acl]
    inbound: [0.0.0.0/0 + 8080 allow, 100.64.0.0/11 + 8081 allow]
    outbound: [0.0.0.0/0 + 1024-65535 allow]
"""
IMPLICIT_100_64 = "inbound: health checks from 100.64.0.0/10 are allowed implicitly (§3.5)"
IMPLICIT_169_254 = "health checks from 169.254.128.0/17 are allowed implicitly (§3.5)"
APP_DROP = "sg-app inbound: no rule matched, default DROP"


def decided(scenario: Scenario, *lines: str) -> list[tuple[bool, str]]:
    """The verdict and the deciding rule's text of each record, every one an instance's."""
    import numpy as np  # noqa: PLC0415

    plan = compile_plan(scenario)
    (chunk,) = read_chunks([line.encode() for line in lines], "clb.log")
    src = plan.owner(chunk.version, chunk.src_hi, chunk.src_lo)
    dst = plan.owner(chunk.version, chunk.dst_hi, chunk.dst_lo)
    assert ((src >= 0) | (dst >= 0)).all()
    outcome = decide(plan, chunk, np.arange(len(lines)), src, dst)
    return [
        (bool(accepted), str(plan.deciders[decider]))
        for accepted, decider in zip(outcome.accepted, outcome.decider, strict=True)
    ]


def test_a_probe_passes_the_groups_implicitly_but_not_an_acl_that_drops_it() -> None:
    scenario = load_text(FROM_CLB, "clb.yaml")
    assert decided(
        scenario,
        record("100.64.1.2", "10.0.2.12", "41000", "8081", 6, "ACCEPT"),  # no ACL on sn-open
        record("10.0.2.12", "100.64.1.2", "8081", "41000", 6, "ACCEPT"),  # its reply
        record("100.64.1.2", "10.0.1.11", "41000", "8081", 6, "ACCEPT"),  # acl-app in #1
        record("10.0.1.11", "100.64.1.2", "8081", "41000", 6, "ACCEPT"),  # and out #0
        record("100.100.1.2", "10.0.1.11", "41000", "8081", 6, "ACCEPT"),  # not in the /11
        record("10.0.1.11", "100.100.1.2", "8081", "41000", 6, "ACCEPT"),
    ) == [
        (True, f"app-2 {IMPLICIT_100_64}"),
        (True, f"app-2 {IMPLICIT_100_64}"),
        (True, f"app-1 {IMPLICIT_100_64}"),
        (True, f"app-1 {IMPLICIT_100_64}"),
        (False, "acl-app inbound: no rule matched, default DROP"),
        (False, "acl-app inbound: no rule matched, default DROP"),
    ]


def test_a_probe_to_another_port_or_protocol_than_the_check_gets_no_allowance() -> None:
    scenario = load_text(FROM_CLB, "clb.yaml")
    assert decided(
        scenario,
        record("100.64.1.2", "10.0.2.12", "41000", "22", 6, "ACCEPT"),  # the check is on 8081
        record("100.64.1.2", "10.0.2.12", "41000", "8080", 6, "ACCEPT"),  # the backend's port
        record("100.64.1.2", "10.0.2.12", "41000", "8081", 17, "ACCEPT"),  # a TCP check
        record("100.64.1.2", "10.0.3.13", "41000", "8081", 6, "ACCEPT"),  # not its backend
        record("100.64.1.2", "10.0.2.12", "-", "-", 1, "ACCEPT"),  # no ping: a TCP check
    ) == [
        (False, APP_DROP),
        (True, "sg-app inbound #0: 0.0.0.0/0 + 8080 allow"),
        (False, APP_DROP),
        (False, APP_DROP),
        (False, APP_DROP),
    ]


def test_probes_of_a_listener_checked_from_its_vip_are_decided_by_the_groups() -> None:
    scenario = load_text(FROM_CLB, "clb.yaml")
    assert (
        decided(
            scenario,
            record("100.64.1.2", "10.0.3.13", "41000", "9000", 6, "ACCEPT"),  # clb-vip checks from
            record("10.0.9.10", "10.0.3.13", "41000", "9000", 6, "ACCEPT"),  # its VIP, no bypass
            record("10.0.3.13", "10.0.9.10", "9000", "41000", 6, "ACCEPT"),
        )
        == [(False, APP_DROP)] * 3
    )


def test_traffic_from_the_vip_of_a_bypassing_clb_skips_the_groups() -> None:
    scenario = load_text(FROM_CLB, "clb.yaml")
    bypassed = "bypassed by clb-bypass (§3.4)"
    assert decided(
        scenario,
        record("10.0.9.20", "10.0.3.13", "41000", "5353", 17, "ACCEPT"),  # its UDP check
        record("10.0.3.13", "10.0.9.20", "5353", "41000", 17, "ACCEPT"),  # the answer
        record("10.0.9.20", "10.0.3.13", "-", "-", 1, "ACCEPT"),  # its ping (§3.7)
        record("10.0.3.13", "10.0.9.20", "-", "-", 1, "ACCEPT"),  # the echo reply
        record("10.0.9.20", "10.0.3.13", "41000", "5353", 6, "ACCEPT"),  # TCP: not its listener
        record("10.0.9.20", "10.0.3.13", "41000", "22", 17, "ACCEPT"),  # no backend's port
        record("203.0.113.5", "10.0.3.13", "41000", "5353", 17, "ACCEPT"),  # a client: direct
    ) == [
        (True, f"app-3 inbound: {bypassed}"),
        (True, f"app-3 inbound: {bypassed}"),
        (True, f"app-3 inbound: {bypassed}"),
        (True, f"app-3 outbound: {bypassed}"),
        (False, APP_DROP),
        (False, APP_DROP),
        (False, APP_DROP),
    ]


def test_a_udp_check_from_169_254_128_0_17_pings_implicitly() -> None:
    scenario = load_text(FROM_CLB, "clb.yaml")
    assert decided(
        scenario,
        record("169.254.128.9", "10.0.2.12", "41000", "5353", 17, "ACCEPT"),
        record("169.254.128.9", "10.0.2.12", "-", "-", 1, "ACCEPT"),
        record("10.0.2.12", "169.254.128.9", "-", "-", 1, "ACCEPT"),
        record("169.254.0.9", "10.0.2.12", "41000", "5353", 17, "ACCEPT"),  # not the range
    ) == [
        (True, f"app-2 inbound: {IMPLICIT_169_254}"),
        (True, f"app-2 inbound: {IMPLICIT_169_254}"),
        (True, f"app-2 outbound: {IMPLICIT_169_254}"),
        (False, APP_DROP),
    ]


def test_the_report_shows_a_row_per_instance_for_what_passed_the_groups_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "clb.yaml"
    scenario.write_text(FROM_CLB, encoding="utf-8")
    log = write_log(
        tmp_path,
        record("100.64.1.2", "10.0.2.12", "41000", "8081", 6, "ACCEPT"),
        record("100.100.1.2", "10.0.1.11", "41000", "8081", 6, "ACCEPT"),
        record("10.0.9.20", "10.0.3.13", "41000", "5353", 17, "REJECT"),
    )
    report = json.loads(replay(capsys, str(scenario), log, "--format", "json")[1])
    rows = [r for r in report["rules"] if r["allowance"] is not None]
    assert [(r["instance"], r["allowance"], r["group"], r["hits"]) for r in rows] == [
        ("app-2", "IMPLICIT", "sg-app", 1),
        ("app-3", "BYPASS", "sg-app", 1),
    ]
    assert [
        (d["logged"], d["simulated"], d["decided_by"]["text"]) for d in report["differences"]
    ] == [
        ("ACCEPT", "REJECT", "acl-app inbound: no rule matched, default DROP"),
        ("REJECT", "ACCEPT", "app-3 inbound: bypassed by clb-bypass (§3.4)"),
    ]
    table = [" ".join(line.split()) for line in replay(capsys, str(scenario), log)[1].splitlines()]
    assert "sg-app inbound - implicit (§3.5): app-2 1 " + PROBES in table
    assert "sg-app inbound - bypass (§3.4): app-3 1 bypassed by clb-bypass" in table


SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", [*SCENARIOS, None], ids=lambda p: p.name if p else "from-clb")
def test_a_probe_passes_the_groups_as_the_simulator_says_it_does(path: Path | None) -> None:
    """Each health check of a scenario, logged as a record from its prober: replay names the
    groups' decision as the simulator's health check does (ACLs aside: they read the exact
    address, where the simulator reads the whole range, §3.6)."""
    from dataclasses import replace  # noqa: PLC0415

    from simulator.model import Checkpoint, Decision, Leg  # noqa: PLC0415
    from simulator.simulate import health_checks  # noqa: PLC0415
    from simulator.topology import health_source  # noqa: PLC0415

    loaded = load_file(path) if path else load_text(FROM_CLB, "clb.yaml")
    scenario = replace(loaded, network_acls=())
    compared = 0
    for result in health_checks(scenario):
        source = health_source(scenario.load_balancer(result.load_balancer), result.listener)
        if source.network is None:
            continue
        prober = str(source.network.network_address + (source.network.num_addresses > 1))
        backend = str(scenario.instance(result.backend.instance).ip)
        port = str(result.port)
        probes = (
            [record(prober, backend, "50000", port, 6, "ACCEPT")]
            if result.listener.health_check.protocol.transport is Protocol.TCP
            else [record(prober, backend, "-", "-", 1, "ACCEPT"),  # a UDP check pings first
                  record(prober, backend, "50000", port, 17, "ACCEPT")]
        )  # fmt: skip
        hops = [
            h
            for h in result.hops
            if h.checkpoint is Checkpoint.SECURITY_GROUP and h.leg is Leg.REQUEST
        ]
        for (accepted, text), hop in zip(decided(scenario, *probes), hops, strict=False):
            allowed = (
                hop.decision in (Decision.IMPLICIT, Decision.BYPASS) and "§1.7" not in hop.short
            )
            assert accepted is hop.decision.passes
            assert (text == f"{hop.node} inbound: {hop.short}") is allowed, (text, hop.short)
            compared += 1
    assert compared or path is not None
