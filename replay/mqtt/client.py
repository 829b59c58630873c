"""A lean MQTT 3.1.1 client connection for asyncio: QoS 0/1 publish and subscribe, nothing more.

Every post is its own MQTT client, hundreds of them in one process, and every delivery crosses two
connections (router → broker → post). paho-mqtt (and aiomqtt on top of it) spends several system
calls and Python objects per packet: measured here, 200 aiomqtt post clients took about 7,000
messages/s from one paho publisher, this connection class about 34,000. It parses whatever one
`recv` brings (many packets at a time), calls the message handler for each PUBLISH and then writes
all the PUBACKs in one go, so a message is handled before the broker hears it was delivered. Packets
sent in one turn of the event loop (a burst of PUBLISHes, the PUBACKs of one read) leave in one
write at the end of that turn: one system call for many packets.

A clean `disconnect()` sends DISCONNECT, shuts down the writing side and waits for the broker to
close the connection, ignoring (not acknowledging) anything that still arrives: the broker keeps
those messages in the session. Closing straight away would let the broker hit a closed socket before
reading the last PUBACKs, and deliver those messages again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import time
from collections.abc import Callable

from replay.mqtt.access import client_password
from replay.mqtt.broker import BrokerInfo
from topology.errors import CablerouteError

#: Seconds to wait for CONNACK, SUBACK and the broker's side of a clean disconnect.
REPLY_TIMEOUT_S = 10.0

_CONNECT, _CONNACK, _PUBLISH, _PUBACK = 1, 2, 3, 4
_SUBSCRIBE, _SUBACK, _PINGREQ, _PINGRESP, _DISCONNECT = 8, 9, 12, 13, 14
_PUBACK_HEADER = b"\x40\x02"
_PINGREQ_PACKET = b"\xc0\x00"
_DISCONNECT_PACKET = b"\xe0\x00"
_U16 = struct.Struct("!H")

_SERVER_UNAVAILABLE = 3  # the one CONNACK refusal worth retrying
_CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}

MessageHandler = Callable[[str, bytes], None]
AckHandler = Callable[[int], None]


class MqttError(CablerouteError):
    """The broker could not be reached, refused us, broke the protocol or went away."""


class ConnectionRefused(MqttError):
    """The broker refused CONNECT (bad credentials, not authorised, ...) or its TLS certificate
    failed verification: retrying with the same settings cannot help."""


def remaining_length(length: int) -> bytes:
    """MQTT's variable-length encoding of a packet's remaining length."""
    out = bytearray()
    while True:
        digit, length = length % 128, length // 128
        out.append(digit | 0x80 if length else digit)
        if not length:
            return bytes(out)


def _string(value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _U16.pack(len(data)) + data


def connect_packet(
    client_id: str, *, clean_session: bool, keepalive: int, username: str | None, password: str | None
) -> bytes:
    """A CONNECT packet (protocol level 4, MQTT 3.1.1)."""
    flags = 0x02 if clean_session else 0
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
        if password is not None:
            flags |= 0x40
            payload += _string(password)
    body = _string("MQTT") + bytes((4, flags)) + _U16.pack(keepalive) + payload
    return bytes((_CONNECT << 4,)) + remaining_length(len(body)) + body


def publish_packet(
    topic: str, payload: bytes, qos: int, mid: int, *, dup: bool = False, retain: bool = False
) -> bytes:
    """A PUBLISH packet; `mid` is ignored at QoS 0; with `retain`, the broker keeps it for later
    subscribers."""
    topic_bytes = topic.encode()
    header = (_PUBLISH << 4) | (qos << 1) | (0x08 if dup and qos else 0) | (0x01 if retain else 0)
    variable = _U16.pack(len(topic_bytes)) + topic_bytes + (_U16.pack(mid) if qos else b"")
    return bytes((header,)) + remaining_length(len(variable) + len(payload)) + variable + payload


def subscribe_packet(topic: str, qos: int, mid: int) -> bytes:
    """A SUBSCRIBE packet for one topic filter."""
    body = _U16.pack(mid) + _string(topic) + bytes((qos,))
    return bytes((_SUBSCRIBE << 4 | 0x02,)) + remaining_length(len(body)) + body


class MqttConnection(asyncio.Protocol):
    """One MQTT 3.1.1 connection. Create it with `open_connection`.

    `on_message(topic, payload)` is called for every PUBLISH received (QoS 0 or 1), `on_ack(mid)`
    for every PUBACK. `lost` completes when the connection is over, for whatever reason.
    """

    def __init__(
        self,
        on_message: MessageHandler | None = None,
        on_ack: AckHandler | None = None,
        in_use: Callable[[int], bool] | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.on_message = on_message
        self.on_ack = on_ack
        self.lost: asyncio.Future[None] = loop.create_future()
        self.session_present = False
        self._connack: asyncio.Future[None] = loop.create_future()
        self._subacks: dict[int, asyncio.Future[int]] = {}
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._outgoing: list[bytes] = []
        self._next_mid = 0
        self._in_use: Callable[[int], bool] = in_use or (lambda mid: False)
        self._closing = False
        self._keepalive = 0
        self._ping: asyncio.TimerHandle | None = None
        self._last_heard = time.monotonic()

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ping is not None:
            self._ping.cancel()
        error = MqttError(f"connection lost: {exc}" if exc else "connection closed by the broker")
        if not self._connack.done():
            self._connack.set_exception(error)
        for waiter in self._subacks.values():
            if not waiter.done():
                waiter.set_exception(error)
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        self._last_heard = time.monotonic()
        size = len(buffer)
        position = 0
        acks: list[bytes] = []
        while size - position >= 2:
            header = buffer[position]
            length = 0
            multiplier = 1
            index = position + 1
            while True:
                if index >= size:
                    length = -1
                    break
                digit = buffer[index]
                length += (digit & 0x7F) * multiplier
                multiplier *= 128
                index += 1
                if not digit & 0x80:
                    break
                if multiplier > 128**4:
                    self._protocol_error("bad remaining length")
                    return
            if length < 0 or index + length > size:
                break
            body = bytes(buffer[index : index + length])
            position = index + length
            kind = header >> 4
            if kind == _PUBLISH:
                self._handle_publish(header, body, acks)
            elif kind == _PUBACK:
                if self.on_ack is not None and length >= 2:
                    self.on_ack(_U16.unpack_from(body)[0])
            elif kind == _CONNACK:
                self._handle_connack(body)
            elif kind == _SUBACK:
                self._handle_suback(body)
            elif kind != _PINGRESP:
                self._protocol_error(f"unexpected packet type {kind}")
                return
        del buffer[:position]
        if acks:
            self._send(b"".join(acks))

    def _handle_publish(self, header: int, body: bytes, acks: list[bytes]) -> None:
        if self._closing:
            return  # not acknowledged: the broker keeps it in the session
        topic_length = _U16.unpack_from(body)[0]
        start = 2 + topic_length
        topic = body[2:start].decode("utf-8", "replace")
        qos = (header >> 1) & 0x03
        if qos:
            acks.append(_PUBACK_HEADER + body[start : start + 2])
            start += 2
        if self.on_message is not None:
            self.on_message(topic, body[start:])

    def _handle_connack(self, body: bytes) -> None:
        if self._connack.done() or len(body) < 2:
            return
        code = body[1]
        if code:
            reason = _CONNACK_REASONS.get(code, f"code {code}")
            error = MqttError if code == _SERVER_UNAVAILABLE else ConnectionRefused
            self._connack.set_exception(error(f"broker refused the connection: {reason}"))
            return
        self.session_present = bool(body[0] & 0x01)
        self._connack.set_result(None)

    def _handle_suback(self, body: bytes) -> None:
        if len(body) < 3:
            return
        waiter = self._subacks.pop(_U16.unpack_from(body)[0], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(body[2])

    def _protocol_error(self, message: str) -> None:
        self.abort()
        if not self._connack.done():
            self._connack.set_exception(MqttError(message))

    # -- operations ------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the connection is up (accepted and not closing)."""
        return self._connack.done() and not self.lost.done() and not self._closing

    def new_mid(self) -> int:
        """The next free packet id (1 to 65,535)."""
        mid = self._next_mid
        for _ in range(65_535):
            mid = mid % 65_535 + 1
            if mid not in self._subacks and not self._in_use(mid):
                self._next_mid = mid
                return mid
        raise MqttError("no free packet id: 65,535 messages unacknowledged")

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, *, dup: bool = False, retain: bool = False
    ) -> int:
        """Send a PUBLISH; returns its packet id (0 at QoS 0). `on_ack(mid)` follows at QoS 1."""
        transport = self._transport
        if transport is None or self.lost.done() or self._closing:
            raise MqttError("not connected")
        mid = self.new_mid() if qos else 0
        self._send(publish_packet(topic, payload, qos, mid, dup=dup, retain=retain))
        return mid

    async def subscribe(self, topic: str, qos: int = 1, timeout: float = REPLY_TIMEOUT_S) -> int:
        """Subscribe to one topic filter; returns the QoS granted. MqttError when refused."""
        transport = self._transport
        if transport is None or self.lost.done():
            raise MqttError("not connected")
        mid = self.new_mid()
        waiter: asyncio.Future[int] = self._loop.create_future()
        self._subacks[mid] = waiter
        self._send(subscribe_packet(topic, qos, mid))
        try:
            granted = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise MqttError(f"no SUBACK for {topic}") from None
        finally:
            self._subacks.pop(mid, None)
        if granted == 0x80:
            raise MqttError(f"broker refused the subscription to {topic}")
        return granted

    async def disconnect(self, timeout: float = REPLY_TIMEOUT_S) -> None:
        """Send DISCONNECT and wait for the broker to close the connection (see the module doc)."""
        transport = self._transport
        if transport is None or self.lost.done():
            return
        self._closing = True
        self._flush()
        transport.write(_DISCONNECT_PACKET)
        if transport.can_write_eof():
            transport.write_eof()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.lost), timeout)

    def _send(self, packet: bytes) -> None:
        """Queue a packet; everything queued in this turn of the event loop leaves in one write."""
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(packet)

    def _flush(self) -> None:
        """Write the queued packets (dropped when the connection is gone: the session keeps them)."""
        if not self._outgoing:
            return
        data = b"".join(self._outgoing)
        self._outgoing.clear()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def abort(self) -> None:
        """Drop the connection at once."""
        if self._transport is not None:
            self._transport.abort()

    async def handshake(
        self,
        client_id: str,
        *,
        clean_session: bool,
        keepalive: int,
        username: str | None,
        password: str | None,
        timeout: float = REPLY_TIMEOUT_S,
    ) -> None:
        """Send CONNECT and wait for the CONNACK; start the keepalive pings."""
        transport = self._transport
        if transport is None:
            raise MqttError("no transport")
        packet = connect_packet(
            client_id, clean_session=clean_session, keepalive=keepalive, username=username, password=password
        )
        transport.write(packet)
        try:
            async with asyncio.timeout(timeout):  # no task of its own: the CONNACK is seen a turn sooner
                await self._connack
        except TimeoutError:
            self.abort()
            raise MqttError("no CONNACK from the broker") from None
        except MqttError:
            self.abort()
            raise
        self._start_keepalive(keepalive)

    def _start_keepalive(self, keepalive: int) -> None:
        self._keepalive = keepalive
        if keepalive > 0:
            self._ping = self._loop.call_later(keepalive / 2, self._keep_alive)

    def _keep_alive(self) -> None:
        """Ping every half keepalive; give up on a broker silent for two keepalive periods."""
        if self.lost.done() or self._transport is None:
            return
        if time.monotonic() - self._last_heard > 2 * self._keepalive:
            self.abort()
            return
        self._transport.write(_PINGREQ_PACKET)
        self._ping = self._loop.call_later(self._keepalive / 2, self._keep_alive)


async def open_connection(
    broker: BrokerInfo,
    client_id: str,
    *,
    clean_session: bool,
    keepalive: int = 30,
    on_message: MessageHandler | None = None,
    on_ack: AckHandler | None = None,
    in_use: Callable[[int], bool] | None = None,
    timeout: float = REPLY_TIMEOUT_S,
) -> MqttConnection:
    """Connect to `broker` as `client_id` and wait for the CONNACK; MqttError when that fails.

    `in_use(mid)` tells the connection which packet ids the caller still waits on.
    """
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context() if broker.tls else None
    try:
        # asyncio.timeout, not wait_for: no task of its own, so two turns of a busy event loop fewer
        async with asyncio.timeout(timeout):
            _, connection = await loop.create_connection(
                lambda: MqttConnection(on_message, on_ack, in_use),
                broker.host,
                broker.port,
                ssl=context,
                server_hostname=broker.host if context else None,
            )
    except ssl.SSLCertVerificationError as error:
        raise ConnectionRefused(f"cannot trust {broker.url}: {error.verify_message}") from None
    except (OSError, TimeoutError, ssl.SSLError) as error:
        raise MqttError(f"cannot reach {broker.url}: {error or 'timed out'}") from None
    username, password = broker.username, broker.password
    if username is None and broker.client_secret is not None:
        username, password = client_id, client_password(broker.client_secret, client_id)
    await connection.handshake(
        client_id,
        clean_session=clean_session,
        keepalive=keepalive,
        username=username,
        password=password,
        timeout=timeout,
    )
    return connection
