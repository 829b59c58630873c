"""A thousand posts, each its own MQTT client, all connected at once, with a corpus reaching every one."""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.audit.load import receipt_totals
from replay.engine.replayer import Replayer, ReplayOptions
from replay.mqtt.broker import BrokerInfo
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.synth.topology import WIDE_COLLECTIVE, wide_topology
from tests.cable_texts import circular_texts

pytestmark = [pytest.mark.broker, pytest.mark.slow]

POSTS = 1_000
CABLES = 20


async def test_a_thousand_posts_receive_every_delivery(broker_info: BrokerInfo, tmp_path: Path) -> None:
    topology = wide_topology(POSTS)
    store = AuditStore(tmp_path / "wide.sqlite")
    run = store.start_run("wide", "replay", {})
    writer = StoreWriter(store)
    replayer = Replayer(writer, run, broker_info, ReplayOptions(timeout=60))
    try:
        await replayer.run(circular_texts(CABLES, WIDE_COLLECTIVE), lambda cables: topology)
    finally:
        writer.close()
    summary = replayer.summary
    assert (summary.cables, summary.posts, summary.planned) == (CABLES, POSTS, CABLES * POSTS)
    assert (summary.received, summary.missing, summary.duplicates) == (CABLES * POSTS, 0, 0)
    assert receipt_totals(store, run) == (CABLES * POSTS, 0)
    per_post = store.connection.execute(
        "SELECT count(*) FROM receipts WHERE run_id = ? GROUP BY post", (store.run_id(run),)
    ).fetchall()
    assert len(per_post) == POSTS
    assert {count for (count,) in per_post} == {CABLES}
