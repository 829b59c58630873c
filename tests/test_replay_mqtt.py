"""The lean MQTT 3.1.1 connection: packet encoding, parsing in any chunking, and a real broker."""

from __future__ import annotations

import asyncio

import pytest

from replay.mqtt.broker import BrokerInfo, free_port
from replay.mqtt.client import (
    ConnectionRefused,
    MqttConnection,
    MqttError,
    connect_packet,
    open_connection,
    publish_packet,
    remaining_length,
)
from tests.waiting import wait_until_async


@pytest.mark.parametrize(
    ("length", "encoded"),
    [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"), (16_384, b"\x80\x80\x01")],
)
def test_remaining_length_encoding(length: int, encoded: bytes) -> None:
    assert remaining_length(length) == encoded


def test_connect_carries_the_session_flag_and_credentials() -> None:
    anonymous = connect_packet(
        "cableroute-post-RUEHKO", clean_session=False, keepalive=30, username=None, password=None
    )
    assert anonymous[0] == 0x10
    assert anonymous[2:10] == b"\x00\x04MQTT\x04\x00"  # MQTT 3.1.1, persistent session, no credentials
    assert anonymous.endswith(b"\x00\x16cableroute-post-RUEHKO")
    signed = connect_packet("router", clean_session=True, keepalive=30, username="ops", password="s3cret")
    assert signed[9] == 0x80 | 0x40 | 0x02
    assert signed.endswith(b"\x00\x06router\x00\x03ops\x00\x06s3cret")


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written.append(bytes(data))

    def abort(self) -> None:
        self.written.append(b"<abort>")

    def is_closing(self) -> bool:
        return False

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        self.written.append(b"<close>")


async def test_messages_are_parsed_whatever_the_chunking_and_acknowledged_after_handling() -> None:
    received: list[tuple[str, bytes]] = []
    connection = MqttConnection(on_message=lambda topic, payload: received.append((topic, payload)))
    transport = _Transport()
    connection.connection_made(transport)
    big = bytes(range(256)) * 80  # a multi-byte remaining length
    stream = (
        publish_packet("posts/RUEHKO", b"first", 1, 7)
        + publish_packet("posts/RUEHKO", big, 1, 300)
        + publish_packet("posts/RUEHKO", b"at most once", 0, 0)
    )
    for index in range(len(stream)):  # one byte at a time
        connection.data_received(stream[index : index + 1])
    assert received == [("posts/RUEHKO", b"first"), ("posts/RUEHKO", big), ("posts/RUEHKO", b"at most once")]
    assert transport.written == []  # written when this turn of the event loop ends
    await asyncio.sleep(0)
    assert b"".join(transport.written) == b"\x40\x02\x00\x07" + b"\x40\x02\x01\x2c"
    transport.written.clear()
    connection.data_received(stream)  # all at once: the acknowledgements go out in one write
    await asyncio.sleep(0)
    assert transport.written == [b"\x40\x02\x00\x07\x40\x02\x01\x2c"]


async def test_publishes_of_one_turn_leave_in_one_write_before_a_disconnect() -> None:
    connection = MqttConnection()
    transport = _Transport()
    connection.connection_made(transport)
    connection._connack.set_result(None)
    mids = [connection.publish("posts/RUEHC", b"cable %d" % n, qos=1) for n in range(50)]
    await asyncio.sleep(0)
    assert transport.written == [
        b"".join(publish_packet("posts/RUEHC", b"cable %d" % n, 1, mid) for n, mid in enumerate(mids))
    ]
    transport.written.clear()
    connection.publish("posts/RUEHC", b"last", qos=0)
    disconnecting = asyncio.ensure_future(connection.disconnect(timeout=0.01))
    await disconnecting
    assert transport.written == [publish_packet("posts/RUEHC", b"last", 0, 0), b"\xe0\x00", b"<close>"]


@pytest.mark.parametrize(
    ("code", "reason", "final"),
    [(4, "bad user name or password", True), (5, "not authorised", True), (3, "server unavailable", False)],
)
async def test_a_refused_connection_is_an_error_final_unless_the_server_is_unavailable(
    code: int, reason: str, final: bool
) -> None:
    connection = MqttConnection()
    connection.connection_made(_Transport())
    handshake = asyncio.ensure_future(
        connection.handshake("x", clean_session=True, keepalive=0, username=None, password=None, timeout=1)
    )
    await asyncio.sleep(0)
    connection.data_received(b"\x20\x02\x00" + bytes([code]))
    with pytest.raises(MqttError, match=reason) as raised:
        await handshake
    assert isinstance(raised.value, ConnectionRefused) is final


@pytest.mark.broker
async def test_publish_subscribe_and_session_through_mosquitto(broker_info: BrokerInfo) -> None:
    got: list[bytes] = []
    acks: list[int] = []
    post = await open_connection(
        broker_info, "cableroute-post-RUEHKO", clean_session=False, on_message=lambda t, p: got.append(p)
    )
    assert not post.session_present
    assert await post.subscribe("posts/RUEHKO", qos=1) == 1
    router = await open_connection(broker_info, "router", clean_session=True, on_ack=acks.append)
    mids = [router.publish("posts/RUEHKO", b"message %d" % n, qos=1) for n in range(3)]
    assert await wait_until_async(lambda: len(got) == 3 and len(acks) == 3)
    assert got == [b"message 0", b"message 1", b"message 2"]
    assert sorted(acks) == sorted(mids)
    await post.disconnect()
    router.publish("posts/RUEHKO", b"while away", qos=1)
    again = await open_connection(
        broker_info, "cableroute-post-RUEHKO", clean_session=False, on_message=lambda t, p: got.append(p)
    )
    assert again.session_present
    assert await wait_until_async(lambda: len(got) == 4)
    assert got[3:] == [b"while away"]
    await again.disconnect()
    await router.disconnect()


async def test_no_broker_is_a_clear_error() -> None:
    nowhere = BrokerInfo(host="127.0.0.1", port=free_port())
    with pytest.raises(MqttError, match="cannot reach"):
        await open_connection(nowhere, "x", clean_session=True, timeout=2)
