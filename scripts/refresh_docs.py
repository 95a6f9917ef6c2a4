"""Rewrite every console excerpt in docs/*.md with what sgsim prints today.

    python scripts/refresh_docs.py

An excerpt is a fenced block that opens with ```console and a first line ``$ sgsim ARGS``;
everything after that line is replaced by the output of ``sgsim ARGS`` run from the project's
root. tests/test_docs.py fails while any excerpt is stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

from simulator.cli import main as sgsim

ROOT = Path(__file__).resolve().parent.parent
EXCERPT = re.compile(r"(```console\n\$ sgsim ([^\n]+)\n)(.*?)```", re.S)


def output_of(command: str) -> str:
    """What ``sgsim command`` prints on standard output, run from the project's root."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        sgsim(shlex.split(command))
    return buffer.getvalue()


def refresh(text: str) -> str:
    return EXCERPT.sub(lambda m: f"{m.group(1)}{output_of(m.group(2))}```", text)


def main() -> int:
    os.chdir(ROOT)
    changed = 0
    for path in sorted((ROOT / "docs").glob("*.md")):
        old = path.read_text(encoding="utf-8")
        new = refresh(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
            changed += 1
    print(f"{changed} file(s) updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
