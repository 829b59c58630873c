"""Replays through RabbitMQ's MQTT plugin, on a private node the test starts (a second broker engine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replay.audit.load import receipt_totals
from replay.cli import main
from replay.engine.replayer import Replayer, ReplayOptions
from replay.store.queries import who_got
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from tests.cable_texts import cable_texts, small_topology
from tests.rabbitmq_node import RabbitMqNode, find_rabbitmq_server

pytestmark = pytest.mark.cluster

START = datetime(2008, 12, 4, 7, 0, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def rabbitmq_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMqNode]:
    """One private RabbitMQ node for this module's tests (it takes some seconds to boot)."""
    if find_rabbitmq_server() is None:
        pytest.skip("RabbitMQ is not installed (make test installs the rabbitmq-server package)")
    node = RabbitMqNode(tmp_path_factory.mktemp("rabbitmq"))
    try:
        node.start()
        yield node
    finally:
        node.stop()


def test_a_replay_through_rabbitmq_receives_every_delivery(
    rabbitmq_node: RabbitMqNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"mqtt://guest:guest@127.0.0.1:{rabbitmq_node.mqtt_port}"
    db = tmp_path / "audit.sqlite"
    assert main(["replay", "--broker", url, "--db", str(db), "--json", "--timeout", "20"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["broker"] == f"mqtt://guest@127.0.0.1:{rabbitmq_node.mqtt_port}"
    assert (summary["planned"], summary["received"], summary["missing"], summary["duplicates"]) == (
        22,
        22,
        0,
        0,
    )
    with AuditStore(db) as store:
        assert receipt_totals(store, summary["run"]) == (22, 0)


async def test_rabbitmq_keeps_a_post_session_through_an_offline_window(
    rabbitmq_node: RabbitMqNode, tmp_path: Path
) -> None:
    window = (START + 3 * 60 - 1, START + 7 * 60 - 1)  # cables filed 07:03 to 07:06 fall inside
    store = AuditStore(tmp_path / "offline.sqlite")
    run = store.start_run("rabbitmq-offline", "replay", {})
    writer = StoreWriter(store)
    options = ReplayOptions(offline={"RUEHFK": [window]}, timeout=20)
    replayer = Replayer(writer, run, rabbitmq_node.broker, options)
    try:
        await replayer.run(cable_texts(10), lambda cables: small_topology())
    finally:
        writer.close()
    summary = replayer.summary
    assert (summary.planned, summary.received, summary.missing, summary.duplicates) == (50, 50, 0, 0)
    late = [
        cable
        for cable in (f"08TOKYO{serial}" for serial in range(100, 110))
        for entry in who_got(store, run, cable).received
        if entry.post == "RUEHFK" and entry.received_at == "2008-12-04T07:06:59Z"
    ]
    assert late == ["08TOKYO103", "08TOKYO104", "08TOKYO105", "08TOKYO106"]
