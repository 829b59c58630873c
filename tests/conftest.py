"""Shared fixtures: where the shared corpus is, and the bundled example cables."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The private mosquitto fixtures (`mosquitto`, `broker_info`).
pytest_plugins = ["tests.broker"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "replay" / "examples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared`, or skip when it is absent."""
    if not (SHARED / "corpus" / "cables").is_dir():
        pytest.skip(f"the shared corpus is not at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    """`../shared/corpus/cables`."""
    return shared_dir / "corpus" / "cables"


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    """The two seed cables bundled with the project."""
    return EXAMPLES
