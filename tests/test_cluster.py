"""Replays through a three-node NATS cluster (started by the tests) that loses a node mid-run.

The posts are spread over the three nodes; one node is killed with SIGKILL while deliveries are
flowing. The posts that were on it reconnect to another node and resume their persistent sessions
there, the router's publisher moves on if it was on it, and the run must end with every planned
delivery received, none recorded twice, and every repeat counted as a duplicate.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from replay.audit.load import missing_rows, receipt_totals, unexpected_rows
from replay.engine.posts import PostClient, PostGroup, ReceiptRecorder
from replay.engine.receipts import ReceiptCollector, ReceiptPublisher
from replay.engine.replayer import Replayer, ReplayOptions, ReplayProgress, ReplaySummary, poll_until
from replay.inputs.corpus import CableText
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import post_topic
from replay.mqtt.wire import Transmission, seal
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.precedence import Precedence
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology
from tests.nats_cluster import NatsCluster

pytestmark = pytest.mark.cluster

#: The corpus: synthetic cables over one simulated hour, replayed in about ten wall-clock seconds.
CABLES = 300
START = datetime(2008, 12, 4, 7, 0, tzinfo=UTC)
SPEED = 360.0
#: Receipts to wait for before the node is killed.
KILL_AFTER = 600


def _corpus() -> list[CableText]:
    cables = synth_cables(
        CABLES, seed=3, topology=synthetic_topology(3), start=START, end=START + timedelta(hours=1)
    )
    return [CableText(source=f"synth-{index}.txt", text=cable.text) for index, cable in enumerate(cables)]


class _NodeLoss:
    """Kills node `victim` once `KILL_AFTER` receipts are in; times how long its posts took to be
    back online elsewhere."""

    def __init__(self, cluster: NatsCluster, victim: int) -> None:
        self.cluster = cluster
        self.victim = victim
        self.ready = asyncio.Event()
        self.killed_at_receipts = 0
        self.reconnect_s: float | None = None

    def progress(self, report: ReplayProgress) -> None:
        if report.received >= KILL_AFTER and not self.ready.is_set():
            self.killed_at_receipts = report.received
            self.ready.set()

    async def strike(self, replayer: Replayer) -> None:
        await self.ready.wait()
        group = replayer.posts
        assert group is not None
        nodes = len(self.cluster.nodes)
        moved = [post for post in group.posts.values() if post.node % nodes == self.victim]
        assert moved, "no post was on the node to be killed"
        killed = time.monotonic()
        self.cluster.kill(self.victim)
        assert await poll_until(lambda: all(post.online and post.node != self.victim for post in moved), 30)
        self.reconnect_s = time.monotonic() - killed


async def _replay_losing_a_node(
    cluster: NatsCluster, db: Path, victim: int
) -> tuple[ReplaySummary, AuditStore, Replayer, _NodeLoss]:
    store = AuditStore(db)
    run = store.start_run("cluster", "replay", {})
    writer = StoreWriter(store)
    loss = _NodeLoss(cluster, victim)
    replayer = Replayer(writer, run, cluster.broker, ReplayOptions(speed=SPEED, timeout=60), loss.progress)
    topology = synthetic_topology(3)
    try:
        await asyncio.gather(replayer.run(_corpus(), lambda cables: topology), loss.strike(replayer))
    finally:
        writer.close()
    return replayer.summary, store, replayer, loss


def _assert_nothing_lost_nothing_twice(summary: ReplaySummary, store: AuditStore, replayer: Replayer) -> None:
    assert summary.status == "ok"
    assert summary.planned > 2 * KILL_AFTER
    assert (summary.received, summary.missing, summary.dropped, summary.foreign) == (summary.planned, 0, 0, 0)
    assert missing_rows(store, summary.run, "ok") == []
    assert unexpected_rows(store, summary.run) == []
    rows, duplicates = receipt_totals(store, summary.run)
    assert (rows, duplicates) == (summary.planned, summary.duplicates)
    group = replayer.posts
    assert group is not None
    arrived = sum(post.messages for post in group.posts.values())
    assert arrived == rows + duplicates  # every message that reached a post: one receipt or one duplicate


async def test_a_node_killed_mid_run_loses_nothing(nats_cluster: NatsCluster, tmp_path: Path) -> None:
    summary, store, replayer, loss = await _replay_losing_a_node(nats_cluster, tmp_path / "a.sqlite", 1)
    _assert_nothing_lost_nothing_twice(summary, store, replayer)
    assert loss.killed_at_receipts < summary.planned  # the node died while deliveries were flowing
    print(
        f"\nnode 1 of 3 killed after {loss.killed_at_receipts} of {summary.planned} receipts: its posts "
        f"back on other nodes in {loss.reconnect_s:.2f} s; {summary.duplicates} duplicates counted, "
        f"{summary.resent} resent, run {summary.replay_s:.1f} s"
    )


async def test_the_node_of_the_router_killed_mid_run_loses_nothing(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    summary, store, replayer, loss = await _replay_losing_a_node(nats_cluster, tmp_path / "b.sqlite", 0)
    _assert_nothing_lost_nothing_twice(summary, store, replayer)
    assert summary.reconnects >= 1  # the router's publisher was on node 0 and moved
    print(
        f"\nthe router's node killed after {loss.killed_at_receipts} of {summary.planned} receipts: posts "
        f"back in {loss.reconnect_s:.2f} s; {summary.duplicates} duplicates counted, "
        f"{summary.resent} resent, run {summary.replay_s:.1f} s"
    )


async def test_receipts_over_the_broker_survive_a_node_loss(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    """Posts without a store publish their receipts through the cluster; one node dies meanwhile."""
    key = b"cluster-test-key-0123456789"
    posts, per_post = [f"RZAA{letter}" for letter in "ABCDEFGHI"], 60
    store = AuditStore(tmp_path / "receipts.sqlite")
    run = store.start_run("receipts", "replay", {})
    writer = StoreWriter(store)
    broker = nats_cluster.broker
    clients: dict[str, PostClient] = {}
    recorder = ReceiptRecorder(None, ReceiptPublisher(clients, key), key)
    group = PostGroup(posts, broker, recorder)
    clients.update(group.posts)
    collector = ReceiptCollector(broker, store, writer, key)  # on node 0, with the publisher
    publisher = Publisher(broker, "cluster-test-router")
    await group.start(timeout=60)
    await collector.start()
    await publisher.start(timeout=30)
    try:
        for number in range(per_post):
            if number == per_post // 3:
                nats_cluster.kill(1)  # a third of the posts lose their node
            for post in posts:
                publisher.publish(post_topic(post), seal(_transmission(run, number, post), key))
            await asyncio.sleep(0.02)
        assert await poll_until(lambda: receipt_totals(store, run)[0] == len(posts) * per_post, 60)
        assert await publisher.flush(30)
        assert await poll_until(lambda: all(post.unacknowledged == 0 for post in group.posts.values()), 30)
    finally:
        await publisher.close()
        await group.stop()
        await collector.stop()
        writer.close()
    rows, duplicates = receipt_totals(store, run)
    assert rows == len(posts) * per_post  # every receipt, once
    assert rows + duplicates == collector.recorded  # every repeat counted
    assert recorder.received == rows and recorder.duplicates <= duplicates
    assert any(post.failovers for post in group.posts.values())


def _transmission(run: str, number: int, post: str) -> Transmission:
    now = time.time()
    return Transmission(
        run, f"08TOKYO{number}", post, "action", Precedence.PRIORITY, False, number + 1,
        1000.0 + number, 1000.0 + number, 1001.0 + number, now, now, now, 0.0, "TEXT",
    )  # fmt: skip
