"""The command line: exit codes, streams, and the same program under ``python -m``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

GOOD = """
title: cli
clients: {alice: 203.0.113.10, bob: 198.51.100.20}
instances:
  rs-1: {ip: 10.0.1.11, security_groups: [sg]}
  rs-2: {ip: 10.0.1.12, security_groups: [sg]}
load_balancers:
  clb:
    type: public
    vip: 119.28.10.10
    listeners: [{protocol: TCP, port: 80, backends: [rs-1:8080, rs-2:8080]}]
security_groups:
  sg:
    inbound: [alice IP + 8080 allow, CLB VIP + 8080 allow]
flows:
  - {from: alice, to: clb:80, expect: allowed}
  - {from: bob, to: clb:80, expect: EXPECT}
health_checks:
  - {listener: clb:80, backend: rs-1, expect: healthy}
"""


def write(tmp_path: Path, expect: str = "denied") -> Path:
    path = tmp_path / "cli.yaml"
    path.write_text(GOOD.replace("EXPECT", expect), encoding="utf-8")
    return path


def test_replay_exit_status_follows_expectations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(write(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out
    assert "sg inbound #0: alice IP + 8080 allow" in out
    assert main(["replay", str(write(tmp_path, "allowed"))]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "expectations do not hold" in captured.out
    assert captured.err == ""


def test_replay_of_a_folder_takes_every_yaml_sorted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("b.yaml", "a.yaml"):
        (tmp_path / name).write_text(GOOD.replace("EXPECT", "denied"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    assert main(["replay", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("a.yaml") < out.index("b.yaml") and "notes.txt" not in out
    assert "2 scenarios, 0 with failing expectations" in out


def test_invalid_file_prints_one_located_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("EXPECT", "maybe"), encoding="utf-8")
    assert main(["replay", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}:17: flows[1].expect: 'maybe' is not one of allowed, denied, partial"
    ]


def test_trace_shows_every_backend_request_and_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", str(write(tmp_path)), "--from", "alice", "--to", "clb:80"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("alice -> clb:80 (TCP): allowed")
    assert "path 1 of 2 (backend rs-1)" in out and "path 2 of 2 (backend rs-2)" in out
    assert "reply" in out and "established" in out


def test_trace_options_are_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write(tmp_path))
    assert main(["trace", path, "--from", "alise", "--to", "clb:80"]) == 2
    assert capsys.readouterr().err == (
        "sgsim: --from: unknown client or instance 'alise' (did you mean 'alice'?)\n"
    )
    assert main(["trace", path, "--from", "alice", "--to", "clb:80", "--protocol", "SCTP"]) == 2
    assert "--protocol: unknown protocol 'SCTP'" in capsys.readouterr().err
    assert main(["trace", path, "--from", "alice", "--to", "clb:80", "--src-port", "70000"]) == 2
    assert "--src-port: port 70000 is out of range" in capsys.readouterr().err


def test_trace_json_and_src_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write(tmp_path))
    assert (
        main(
            [
                "trace",
                path,
                "--from",
                "bob",
                "--to",
                "rs-1:8080",
                "--src-port",
                "40000",
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert '"verdict": "denied"' in out and "198.51.100.20:40000" in out


def test_missing_paths_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["replay", str(tmp_path)]) == 2
    assert "no *.yaml scenario files" in capsys.readouterr().err


def test_python_dash_m_is_the_same_program(tmp_path: Path) -> None:
    path = write(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "replay", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith('{\n  "ok": true')


def test_command_line_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys; from simulator.cli import main; main(['replay', sys.argv[1]]); "
        "print(sorted(m for m in ('hypothesis', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(write(tmp_path))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "[]"


def test_trace_to_an_address_the_file_never_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "trace",
                str(write(tmp_path)),
                "--from",
                "alice",
                "--to",
                "8.8.8.8:53",
                "--protocol",
                "UDP",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith("alice -> 8.8.8.8:53 (UDP): allowed")


def test_replay_notes_and_option_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "n.yaml"
    path.write_text(
        GOOD.replace("EXPECT", "denied").replace("title: cli", "title: cli\nnotes: Why it works."),
        encoding="utf-8",
    )
    assert main(["replay", str(path), "--notes"]) == 0
    assert "\n\nWhy it works.\n" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["replay", str(path), "--max-rules-per-group", "-3"])
    assert exit_.value.code == 2
    assert "expected a whole number of at least 1" in capsys.readouterr().err
    assert main(["trace", str(tmp_path), "--from", "alice", "--to", "clb:80"]) == 2
    assert (
        capsys.readouterr().err == f"sgsim: {tmp_path}: a folder; trace reads one scenario file\n"
    )


def test_a_colon_in_a_value_gets_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("title: Private: a colon\n", encoding="utf-8")
    assert main(["replay", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"{path}:1: yaml: malformed YAML: mapping values are not allowed here (column 15); "
        "quote a value that contains ': '\n"
    )
