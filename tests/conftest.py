"""Shared test setup: hypothesis profiles and the ``--update-goldens`` option.

Hypothesis profiles, chosen by ``HYPOTHESIS_PROFILE``:

    ci         derandomized, 50 examples, no deadline     (default when ``CI`` is set)
    dev        200 examples                               (default otherwise)
    thorough   5000 examples, no deadline                 (before a release)
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, max_examples=50, deadline=None)
settings.register_profile("dev", max_examples=200)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the golden files from the current output instead of comparing with them",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True when pytest was run with ``--update-goldens``."""
    return bool(request.config.getoption("--update-goldens"))
