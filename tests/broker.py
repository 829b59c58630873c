"""Fixtures that start a private mosquitto for the tests, on a free loopback port (never 1883).

`mosquitto` is a started `replay.mqtt.broker.MosquittoBroker` (persistence on, saved after every change)
that a test may stop, kill and restart on the same port; `broker_info` is where clients connect.
Both skip, with the reason, when no mosquitto binary can be found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.mqtt.broker import BrokerInfo, MosquittoBroker, find_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A private mosquitto for one test, with its persistence directory under `tmp_path`."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (make test installs it)")
    data_dir = tmp_path / "mosquitto"
    data_dir.mkdir()
    broker = MosquittoBroker(data_dir=data_dir, autosave_changes=1)
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def broker_info(mosquitto: MosquittoBroker) -> BrokerInfo:
    """Where the test's mosquitto listens."""
    return mosquitto.info
