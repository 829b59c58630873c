"""Publisher and posts against a real mosquitto: restarts lose nothing, sessions outlive disconnects."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from replay.engine.posts import PostClient, PostGroup, ReceiptRecorder
from replay.mqtt.broker import BrokerInfo, MosquittoBroker
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import post_topic
from replay.mqtt.wire import seal, transmission_for
from replay.store.receipt import Receipt
from router.deliveries import Sent
from router.faults import is_dropped
from router.precedence import Precedence
from tests.waiting import wait_until_async

pytestmark = pytest.mark.broker

POSTS = ["RUEHAA", "RUEHBB", "RUEHCC", "RUEHDD", "RUEHEE"]
KEY = b"transport-test-key-0123456789"


async def _restart_mid_stream(mosquitto: MosquittoBroker, *, kill: bool) -> tuple[Counter[bytes], Publisher]:
    got: Counter[bytes] = Counter()
    group = PostGroup(POSTS, mosquitto.info, lambda ri, payload: got.update([payload]))
    await group.start()
    publisher = Publisher(mosquitto.info)
    await publisher.start()
    try:
        for number in range(600):
            publisher.publish(post_topic(POSTS[number % len(POSTS)]), b"message %d" % number)
            if number == 300:
                assert await wait_until_async(lambda: publisher.acknowledged >= 100)  # mid-stream
                mosquitto.stop(kill=kill)
                assert await wait_until_async(lambda: not publisher.online)
                mosquitto.start()
            elif number % 50 == 0:
                await asyncio.sleep(0)
        assert await publisher.flush(10)
        await wait_until_async(lambda: len(got) == 600)
        return got, publisher
    finally:
        await group.stop()
        await publisher.close()


async def test_a_broker_restart_loses_no_published_message(mosquitto: MosquittoBroker) -> None:
    got, publisher = await _restart_mid_stream(mosquitto, kill=False)
    assert publisher.reconnects == 1
    assert publisher.resent > 0
    assert set(got) == {b"message %d" % number for number in range(600)}


async def test_posts_reconnect_to_their_sessions_after_a_broker_is_killed(mosquitto: MosquittoBroker) -> None:
    got, publisher = await _restart_mid_stream(mosquitto, kill=True)
    assert publisher.reconnects == 1
    # mosquitto saves after every change, so at most a message or two acknowledged just before
    # SIGKILL can be lost at the broker; the replayer sends those again end to end.
    assert len(got) >= 598
    assert all(f"message {number}".encode() in got for number in range(301, 600))


async def test_an_offline_post_gets_its_queued_messages_once_on_reconnecting(broker_info: BrokerInfo) -> None:
    got: list[bytes] = []
    post = PostClient("RUEHKO", broker_info, lambda ri, payload: got.append(payload))
    publisher = Publisher(broker_info)
    await post.start()
    await publisher.start()
    try:
        publisher.publish(post.topic, b"before")
        assert await wait_until_async(lambda: got == [b"before"])
        await post.go_offline()
        assert not post.online
        for number in range(20):
            publisher.publish(post.topic, b"while offline %d" % number)
        assert await publisher.flush(5)
        assert got == [b"before"]
        await post.go_online()
        publisher.publish(post.topic, b"marker")  # arrives after whatever the session had queued
        assert await wait_until_async(lambda: b"marker" in got)
        assert got == [b"before"] + [b"while offline %d" % number for number in range(20)] + [b"marker"]
        assert post.connects == 2
    finally:
        await post.stop()
        await publisher.close()


class _Sink:
    def __init__(self) -> None:
        self.receipts: list[Receipt] = []

    def submit_receipt(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)


def _payload(run: str, cable_id: str, post: str, transmitted: float = 1000.0) -> bytes:
    sent = Sent(
        cable_id=cable_id,
        post=post,
        role="action",
        precedence=Precedence.IMMEDIATE,
        niact=True,
        channel_serial=3,
        chars=12,
        scheduled_at=990.0,
        enqueued_at=990.0,
        started_at=995.0,
        transmitted_at=transmitted,
    )
    message = transmission_for(
        sent, run=run, text="CABLE TEXT..", scheduled_wall=5.0, transmitted_wall=6.0, speed=0.0
    )
    return seal(message, KEY)


def test_the_recorder_counts_duplicates_and_ignores_other_runs_and_garbage() -> None:
    sink = _Sink()
    handled: list[tuple[str, str]] = []
    recorder = ReceiptRecorder(
        "run-a", sink, KEY, on_handled=lambda cable, post: handled.append((cable, post))
    )
    recorder("RUEHKO", _payload("run-a", "08TOKYO1", "RUEHKO"))
    recorder("RUEHKO", _payload("run-a", "08TOKYO1", "RUEHKO"))
    recorder("RUEHKO", _payload("run-b", "08TOKYO2", "RUEHKO"))
    recorder("RUEHKO", b"\x93garbage")
    recorder("RUEHFK", _payload("run-a", "08TOKYO3", "RUEHKO"))
    assert (recorder.received, recorder.duplicates, recorder.foreign) == (1, 1, 1)
    assert recorder.rejected_by_kind() == {"malformed": 1, "misrouted": 1}
    assert handled == [("08TOKYO1", "RUEHKO")]
    assert len(sink.receipts) == 2  # the store turns the second into a duplicate count
    receipt = sink.receipts[0]
    assert (receipt.precedence, receipt.niact, receipt.channel_serial) == (Precedence.IMMEDIATE, True, 3)
    assert receipt.received_sim == 1000.0
    assert receipt.received_wall is not None and receipt.transmitted_wall == 6.0


class _BatchSink(_Sink):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[Receipt]] = []

    def submit_receipts(self, receipts: list[Receipt]) -> None:
        self.batches.append(receipts)


def test_a_sink_that_takes_lists_gets_the_receipts_of_each_turn_of_the_event_loop_at_once() -> None:
    sink = _BatchSink()

    async def main() -> None:
        recorder = ReceiptRecorder("run-a", sink, KEY)
        for number in range(3):
            recorder("RUEHKO", _payload("run-a", f"08TOKYO{number}", "RUEHKO"))
        assert sink.batches == [] and recorder.received == 3
        await asyncio.sleep(0)
        recorder("RUEHKO", _payload("run-a", "08TOKYO9", "RUEHKO"))
        recorder.flush()  # at once, without waiting for the end of the turn
        await asyncio.sleep(0)

    asyncio.run(main())
    assert [[r.cable_id for r in batch] for batch in sink.batches] == [
        ["08TOKYO0", "08TOKYO1", "08TOKYO2"],
        ["08TOKYO9"],
    ]
    assert sink.receipts == []


def test_a_post_back_online_receives_no_earlier_than_its_return() -> None:
    sink = _Sink()
    recorder = ReceiptRecorder("run-a", sink, KEY)
    recorder.online_since["RUEHKO"] = 5000.0
    recorder("RUEHKO", _payload("run-a", "08TOKYO1", "RUEHKO", transmitted=1000.0))
    recorder("RUEHKO", _payload("run-a", "08TOKYO2", "RUEHKO", transmitted=6000.0))
    assert [r.received_sim for r in sink.receipts] == [5000.0, 6000.0]


def test_a_lossy_post_drops_exactly_what_the_shared_rule_picks() -> None:
    sink = _Sink()
    recorder = ReceiptRecorder("run-a", sink, KEY, lossy={"RUEHKO": 0.3}, seed=7)
    cables = [f"08TOKYO{number}" for number in range(200)]
    for cable in cables:
        recorder("RUEHKO", _payload("run-a", cable, "RUEHKO"))
        recorder("RUEHFK", _payload("run-a", cable, "RUEHFK"))
    expected = {cable for cable in cables if is_dropped(7, cable, "RUEHKO", 0.3)}
    assert 30 < len(expected) < 90
    assert {cable for _, cable, _ in recorder.drops} == expected
    assert {r.cable_id for r in sink.receipts if r.post == "RUEHKO"} == set(cables) - expected
    assert sum(r.post == "RUEHFK" for r in sink.receipts) == 200
