"""The README shows real output: its excerpt is what sgsim prints today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_excerpt_is_current(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    match = re.search(r"```console\n\$ sgsim ([^\n]+)\n(.*?)```", README, re.S)
    assert match, "the README has no console excerpt"
    monkeypatch.chdir(ROOT)
    assert main(match.group(1).split()) == 0
    assert capsys.readouterr().out == match.group(2)


def test_readme_opens_with_the_two_setup_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert blocks[:2] == [
        "python -m pip install -e . && sgsim replay scenarios/",
        "python -m pip install -e '.[test]' && python -m pytest",
    ]


def test_readme_trace_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = next(
        b for b in re.findall(r"```sh\n(.*?)\n```", README, re.S) if b.startswith("sgsim trace")
    )
    monkeypatch.chdir(ROOT)
    assert main(command.split()[1:]) == 0
    assert "denied" in capsys.readouterr().out
