"""A paho-mqtt client driven by the running asyncio event loop (paho's external-loop callbacks).

The publisher needs fire-and-forget QoS 1 publishing with its own acknowledgement tracking;
aiomqtt's `publish()` awaits each PUBACK and slows to a crawl with thousands in flight, so the
publisher talks to paho directly through this small binding.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from replay.broker import BrokerInfo

#: Seconds to wait for a CONNACK.
CONNECT_TIMEOUT_S = 10.0


class ConnectionFailed(Exception):
    """The broker could not be reached or refused the connection."""


def new_paho_client(broker: BrokerInfo, client_id: str, *, clean_session: bool = True) -> mqtt.Client:
    """A paho MQTT 3.1.1 client for `broker`: credentials and TLS set, unlimited in-flight window."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        reconnect_on_failure=False,
    )
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set_context(ssl.create_default_context())
    return client


class AsyncPahoConnection:
    """One connection of a paho client, its socket watched by the asyncio loop.

    `connect()` returns once the broker accepted the connection; `lost` completes when the
    connection ends for any reason. Create a new one to reconnect.
    """

    def __init__(self, client: mqtt.Client, broker: BrokerInfo, keepalive: int = 30) -> None:
        self.client = client
        self.broker = broker
        self.keepalive = keepalive
        self._loop = asyncio.get_running_loop()
        self._connected: asyncio.Future[None] = self._loop.create_future()
        self.lost: asyncio.Future[None] = self._loop.create_future()
        self._misc: asyncio.Task[None] | None = None
        self._fileno = -1
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write

    async def connect(self, timeout: float = CONNECT_TIMEOUT_S) -> None:
        """Open the socket (in a worker thread: it may block) and wait for the CONNACK."""
        try:
            await self._loop.run_in_executor(
                None, self.client.connect, self.broker.host, self.broker.port, self.keepalive
            )
        except (OSError, ValueError) as error:
            raise ConnectionFailed(str(error)) from error
        try:
            await asyncio.wait_for(asyncio.shield(self._connected), timeout)
        except TimeoutError as error:
            self.abort()
            raise ConnectionFailed("no CONNACK from the broker") from error

    def disconnect(self) -> None:
        """Send DISCONNECT; `lost` completes when the socket closes."""
        if self.client.disconnect() != mqtt.MQTT_ERR_SUCCESS:
            self.abort()

    def abort(self) -> None:
        """Stop watching the socket and close it without a DISCONNECT; this connection is over."""
        if self._fileno > -1:
            self._loop.remove_reader(self._fileno)
            self._loop.remove_writer(self._fileno)
        sock = self.client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        self._set_lost()

    async def close(self, timeout: float = 2.0) -> None:
        """Disconnect cleanly and wait until the socket is closed."""
        if not self.lost.done():
            self.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        self._set_lost()

    def _set_lost(self) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        if self._misc is not None:
            self._misc.cancel()

    # paho callbacks -------------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self._connected.done():
            return
        if reason == 0:
            self._connected.set_result(None)
        else:
            self._connected.set_exception(ConnectionFailed(f"broker refused the connection: {reason}"))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not self._connected.done():
            self._connected.set_exception(ConnectionFailed(f"disconnected before CONNACK: {reason}"))
        self._set_lost()

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._fileno = sock.fileno()
        self._loop.call_soon_threadsafe(self._watch, sock)

    def _watch(self, sock: Any) -> None:
        if self.lost.done():
            return
        self._loop.add_reader(sock.fileno(), self._readable)
        self._misc = self._loop.create_task(self._housekeeping())

    def _readable(self) -> None:
        client = self.client
        try:
            while True:
                client.loop_read()
                sock = client.socket()
                if sock is None or not (hasattr(sock, "pending") and sock.pending() > 0):
                    break
        except Exception:  # a broken socket: the connection is over
            self.abort()

    def _writable(self) -> None:
        try:
            self.client.loop_write()
        except Exception:
            self.abort()

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        fileno = sock.fileno()
        if fileno > -1:
            self._loop.remove_reader(fileno)
            self._loop.remove_writer(fileno)
        self._set_lost()

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._loop.call_soon_threadsafe(self._add_writer, sock)

    def _add_writer(self, sock: Any) -> None:
        if not self.lost.done() and sock.fileno() > -1:
            self._loop.add_writer(sock.fileno(), self._writable)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if sock.fileno() > -1:
            self._loop.remove_writer(sock.fileno())

    async def _housekeeping(self) -> None:
        """Keepalive pings and timeouts: paho's `loop_misc` once a second."""
        while self.client.loop_misc() == mqtt.MQTT_ERR_SUCCESS:
            await asyncio.sleep(1)
        self._set_lost()
