"""Shared fixtures: where the shared corpus is, and the bundled example cables.

Every test that starts a broker is marked `broker`, and every test that reads ../shared is marked
`corpus`, so that `make check` (which deselects both) needs neither. The hooks below hold the suite
to that: an unmarked test that starts a broker fails, and one that asks for the corpus stops the run,
each naming the marker it lacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.mqtt.broker import AmqttBroker, MosquittoBroker

#: The private mosquitto fixtures (`mosquitto`, `broker_info`).
pytest_plugins = ["tests.broker", "tests.nats_cluster"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "replay" / "examples"

#: Fixtures that read ../shared.
CORPUS_FIXTURES = {"shared_dir", "corpus_dir"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse to run when a test asks for ../shared without the `corpus` marker."""
    unmarked = [
        item.nodeid
        for item in items
        if CORPUS_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("corpus") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests read ../shared: mark them @pytest.mark.corpus: " + ", ".join(unmarked)
        )


@pytest.fixture(autouse=True)
def _brokers_only_in_broker_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test that starts a broker without the `broker` marker."""
    if request.node.get_closest_marker("broker") is None:

        def refuse(*args: object, **kwargs: object) -> None:
            pytest.fail(f"{request.node.nodeid} starts a broker: mark it @pytest.mark.broker")

        monkeypatch.setattr(MosquittoBroker, "start", refuse)
        monkeypatch.setattr(AmqttBroker, "start", refuse)


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
