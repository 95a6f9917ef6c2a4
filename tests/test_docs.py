"""Every console excerpt in the docs is what sgsim prints today."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXCERPTS = [
    pytest.param(command, output, id=f"{path.name}: {command[:60]}")
    for path in sorted((ROOT / "docs").glob("*.md"))
    for command, output in re.findall(
        r"```console\n\$ sgsim ([^\n]+)\n(.*?)```", path.read_text(encoding="utf-8"), re.S
    )
]


def test_there_are_excerpts() -> None:
    assert len(EXCERPTS) >= 3


@pytest.mark.parametrize(("command", "output"), EXCERPTS)
def test_excerpt_is_current(
    command: str, output: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    main(shlex.split(command))
    assert capsys.readouterr().out == output
