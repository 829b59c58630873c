"""Receipts over the broker: sealed, bounded, and idempotent when they arrive again."""

from __future__ import annotations

from pathlib import Path

from replay.audit.load import receipt_totals
from replay.engine.receipts import PostDrop, ReceiptCollector, receipt_message, receipt_of
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.topics import receipts_topic
from replay.mqtt.wire import encode, seal
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter

KEY = b"test-key-0123456789abcdef"
RECEIPT = Receipt(
    run="night",
    cable_id="08TOKYO3310",
    post="RUEHFK",
    role="info",
    precedence="PRIORITY",
    channel_serial=7,
    scheduled_sim=1.0,
    enqueued_sim=2.0,
    transmitted_sim=3.0,
    received_sim=4.5,
    scheduled_wall=10.0,
    enqueued_wall=11.0,
    transmitted_wall=12.0,
    received_wall=13.25,
)


def test_a_receipt_crosses_the_wire_unchanged_with_the_posts_receive_time() -> None:
    assert receipt_of(receipt_message(RECEIPT)) == RECEIPT


def test_receipts_topics_are_per_run_and_safe() -> None:
    assert receipts_topic("night") == receipts_topic("night") != receipts_topic("day")
    topic = receipts_topic("a/b+#c")
    assert topic.startswith("receipts/") and not set("+#") & set(topic) and topic.count("/") == 1


def test_the_recorder_keeps_one_receipt_and_counts_what_comes_again(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "audit.sqlite")
    store.start_run("night", "replay", {})
    writer = StoreWriter(store)
    collector = ReceiptCollector(BrokerInfo(host="127.0.0.1", port=1), store, writer, KEY)
    payload = seal(receipt_message(RECEIPT), KEY)
    for _ in range(3):  # delivered once, then twice more (a repeated transmission or receipt)
        collector._take(payload)
    collector._take(seal(receipt_message(RECEIPT), b"another deployment's key"))
    collector._take(encode(receipt_message(RECEIPT)))  # no MAC at all
    collector._take(seal(PostDrop("night", "08TOKYO3100", "RUEHFK"), KEY))
    collector._take(seal(receipt_message(RECEIPT), KEY)[:-3])  # cut short
    collector._take(seal(receipt_message(Receipt(**{**_fields(RECEIPT), "run": "unknown"})), KEY))
    writer.close()
    assert receipt_totals(store, "night") == (1, 2)
    assert (collector.recorded, collector.dropped, collector.unknown) == (3, 1, 1)
    assert collector.rejected == {("night", "unauthenticated"): 2, (None, "malformed"): 1}
    drops = store.connection.execute("SELECT count(*) FROM drops").fetchone()[0]
    assert drops == 1
    store.close()


def _fields(receipt: Receipt) -> dict[str, object]:
    return {name: getattr(receipt, name) for name in receipt.__struct_fields__}
