"""Import, reading: a JSON file into located values, as a scenario file is read.

JSON is YAML, so ``yamlnodes.load`` reads it and every value keeps its line; the file is first
parsed as JSON, so that a malformed one gets JSON's own message rather than YAML's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..yamlnodes import load


def load_json(path: Path, file: str) -> Any:
    """The file's JSON, located; a malformed file is ``FILE:LINE: json: malformed JSON: ...``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            f"cannot read the file: {error}", file=file, line=1, field="file"
        ) from None
    if not text.strip():
        raise ScenarioError(
            "the file is empty; expected the JSON that tccli or terraform show -json prints",
            file=file, line=1, field="file",
        )  # fmt: skip
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"malformed JSON: {error.msg} (column {error.colno})",
            file=file,
            line=error.lineno,
            field="json",
        ) from None
    except RecursionError:
        raise ScenarioError(
            "the document nests too deeply", file=file, line=1, field="json"
        ) from None
    # JSON allows tabs between tokens where YAML does not; a string cannot hold one raw
    return load(text.expandtabs(1), file)


__all__ = ["load_json"]
