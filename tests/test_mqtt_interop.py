"""The lean MQTT connection (`replay.mqtt.client`) and aiomqtt (paho-mqtt) talk through a real mosquitto.

Each side is checked against the other: aiomqtt publishes at QoS 1 to the lean subscriber (the
posts' client) and the lean publisher (the router's) to an aiomqtt subscriber; persistent sessions
of either kind get what the other published while they were away; and payloads of every size class
of MQTT's remaining-length encoding cross in both directions.

The lean subscriber is shown to receive exactly once across a reconnect: it goes offline and back
after the messages, then a marker is sent, and anything the broker still held for its session (an
acknowledgement it did not take) would arrive before the marker. An aiomqtt subscriber is checked
within one connection: its clean disconnect returns once DISCONNECT is written, so reconnecting the
same client id at once can reach mosquitto first, which then drops the old connection without
reading its last PUBACKs and delivers those messages again (QoS 1 allows it; see docs/design.md).
"""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from replay.mqtt.broker import BrokerInfo
from replay.mqtt.client import open_connection
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber
from tests.waiting import wait_until_async

pytestmark = pytest.mark.broker

TOPIC = "posts/RUEHKO"
MARKER = b"end"
#: One payload per length class of MQTT's remaining-length field (1 to 4 bytes), and the edges.
SIZES = (0, 1, 120, 127, 128, 16_000, 16_383, 16_384, 2_097_000, 2_097_152)


def _aiomqtt(broker: BrokerInfo, identifier: str, *, clean_session: bool = True) -> aiomqtt.Client:
    return aiomqtt.Client(broker.host, broker.port, identifier=identifier, clean_session=clean_session)


def _payloads(count: int) -> list[bytes]:
    return [b"message %d " % number + bytes(range(256)) * (number % 5) for number in range(count)]


def _sized() -> list[bytes]:
    return [bytes((size + offset) % 251 for offset in range(size)) for size in SIZES]


async def _lean_receives(broker: BrokerInfo, payloads: list[bytes], *, offline: bool) -> list[bytes]:
    """What a lean persistent subscriber gets when aiomqtt publishes `payloads` at QoS 1 (while the
    subscriber is offline, with `offline`), then again after a reconnect and a marker."""
    got: list[bytes] = []
    subscriber = Subscriber("interop-lean-sub", TOPIC, broker, got.append)
    await subscriber.start()
    try:
        if offline:
            await subscriber.go_offline()
        async with _aiomqtt(broker, "interop-aiomqtt-pub") as client:
            for payload in payloads:
                await client.publish(TOPIC, payload, qos=1)
            if offline:
                assert got == []
                await subscriber.go_online()
            assert await wait_until_async(lambda: len(got) >= len(payloads))
            await subscriber.go_offline()
            await subscriber.go_online()
            await client.publish(TOPIC, MARKER, qos=1)
            assert await wait_until_async(lambda: got[-1:] == [MARKER])
    finally:
        await subscriber.stop()
    return got


async def _aiomqtt_receives(broker: BrokerInfo, payloads: list[bytes], *, offline: bool) -> list[bytes]:
    """What a persistent aiomqtt subscriber gets when the lean publisher publishes `payloads` and then
    a marker (with `offline`: the payloads while the subscriber is disconnected, the marker after it
    has reconnected to its session)."""
    publisher = Publisher(broker, "interop-lean-pub")
    await publisher.start()
    subscriber = _aiomqtt(broker, "interop-aiomqtt-sub", clean_session=False)
    try:
        async with subscriber:
            await subscriber.subscribe(TOPIC, qos=1)
            if not offline:
                await _publish_acknowledged(publisher, payloads)
                publisher.publish(TOPIC, MARKER)
                return await _take_until_marker(subscriber)
        await _publish_acknowledged(publisher, payloads)
        async with subscriber:  # the same session again: what it missed, then the marker
            publisher.publish(TOPIC, MARKER)
            return await _take_until_marker(subscriber)
    finally:
        await publisher.close()


async def _publish_acknowledged(publisher: Publisher, payloads: list[bytes]) -> None:
    """Publish at QoS 1 and wait until the broker has acknowledged every message."""
    for payload in payloads:
        publisher.publish(TOPIC, payload)
    assert await publisher.flush(10)
    assert publisher.acknowledged == len(payloads)


async def _take_until_marker(client: aiomqtt.Client) -> list[bytes]:
    """The payloads of the messages up to and including the marker; each must have come at QoS 1."""
    got: list[bytes] = []
    async with asyncio.timeout(10):
        async for message in client.messages:
            assert message.qos == 1
            assert isinstance(message.payload, bytes)
            got.append(message.payload)
            if message.payload == MARKER:
                break
    return got


async def test_aiomqtt_publishes_at_qos_1_to_a_lean_subscriber_exactly_once(broker_info: BrokerInfo) -> None:
    payloads = _payloads(300)
    assert await _lean_receives(broker_info, payloads, offline=False) == [*payloads, MARKER]


async def test_the_lean_publisher_reaches_an_aiomqtt_subscriber_exactly_once(broker_info: BrokerInfo) -> None:
    payloads = _payloads(300)
    assert await _aiomqtt_receives(broker_info, payloads, offline=False) == [*payloads, MARKER]


async def test_a_lean_session_gets_what_aiomqtt_published_while_it_was_offline(
    broker_info: BrokerInfo,
) -> None:
    payloads = _payloads(200)
    assert await _lean_receives(broker_info, payloads, offline=True) == [*payloads, MARKER]


async def test_an_aiomqtt_session_gets_what_the_lean_publisher_sent_while_it_was_away(
    broker_info: BrokerInfo,
) -> None:
    payloads = _payloads(200)
    assert await _aiomqtt_receives(broker_info, payloads, offline=True) == [*payloads, MARKER]


@pytest.mark.parametrize("direction", ["aiomqtt-to-lean", "lean-to-aiomqtt"])
async def test_payloads_of_every_length_class_cross_intact(broker_info: BrokerInfo, direction: str) -> None:
    payloads = _sized()
    receive = _lean_receives if direction == "aiomqtt-to-lean" else _aiomqtt_receives
    got = await receive(broker_info, payloads, offline=False)
    assert [len(payload) for payload in got] == [*SIZES, len(MARKER)]
    assert got == [*payloads, MARKER]


async def test_a_bare_lean_connection_and_aiomqtt_exchange_qos_0_and_qos_1(broker_info: BrokerInfo) -> None:
    got: list[tuple[str, bytes]] = []
    acks: list[int] = []
    lean = await open_connection(
        broker_info,
        "interop-lean-bare",
        clean_session=True,
        on_message=lambda topic, payload: got.append((topic, payload)),
        on_ack=acks.append,
    )
    try:
        await lean.subscribe("interop/to-lean/#", qos=1)
        async with _aiomqtt(broker_info, "interop-aiomqtt-bare") as client:
            await client.subscribe("interop/to-aiomqtt", qos=1)
            await client.publish("interop/to-lean/a", b"zero", qos=0)
            await client.publish("interop/to-lean/b", b"one", qos=1)
            assert await wait_until_async(lambda: len(got) == 2)
            mids = [
                lean.publish("interop/to-aiomqtt", b"zero", qos=0),
                lean.publish("interop/to-aiomqtt", b"one"),
            ]
            received = []
            async with asyncio.timeout(10):
                async for message in client.messages:
                    received.append((message.payload, message.qos))
                    if len(received) == 2:
                        break
            assert await wait_until_async(lambda: len(acks) == 1)
    finally:
        await lean.disconnect()
    assert got == [("interop/to-lean/a", b"zero"), ("interop/to-lean/b", b"one")]
    assert received == [(b"zero", 0), (b"one", 1)]
    assert mids[0] == 0 and acks == [mids[1]]
