"""Every console excerpt in the docs is what sgsim prints today.

After a deliberate change of output, ``python scripts/refresh_docs.py`` rewrites the excerpts.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from refresh_docs import EXCERPT  # noqa: E402

EXCERPTS = [
    pytest.param(command, output, id=f"{path.name}: {command[:60]}")
    for path in sorted((ROOT / "docs").glob("*.md"))
    for _, command, output in EXCERPT.findall(path.read_text(encoding="utf-8"))
]


def test_there_are_excerpts() -> None:
    assert len(EXCERPTS) >= 3


@pytest.mark.parametrize(("command", "output"), EXCERPTS)
def test_excerpt_is_current(
    command: str, output: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    main(shlex.split(command))
    assert capsys.readouterr().out == output, "stale excerpt: run python scripts/refresh_docs.py"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_to_files(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"
