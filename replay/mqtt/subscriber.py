"""A subscriber that keeps its broker session: fixed client id, `clean_session=False`, QoS 1.

The broker keeps the session while the client is away (on purpose or because the broker went
down) and hands over what was queued when it reconnects. With a clustered broker (several nodes),
a client that loses its node, or cannot reach it, reconnects to the next node and resumes its
session there.

Reconnecting waits as `replay.mqtt.backoff` says. A broker that answers CONNACK with "session
present" still has the subscription the client made earlier in that session, so the client does not
subscribe again (that would cost a round trip while the queued messages pour in); with no session
(a broker that lost it, or `clean_session`) it subscribes. Every attempt is kept in `attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import structlog

from replay.mqtt.backoff import RECONNECT_BACKOFF, Backoff
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.client import ConnectionRefused, MqttConnection, MqttError, open_connection

log = structlog.get_logger()

#: Connection attempts a client remembers (the latest ones).
ATTEMPTS_KEPT = 64


class Attempt(NamedTuple):
    """One connection attempt: when it began (event loop clock), the node tried, the retry number
    since the client was last connected (or started) and the wait before it, then what came of it:
    the error, or whether the broker had kept the session and whether the client subscribed."""

    at: float
    node: int
    retry: int
    waited_s: float
    error: str | None = None
    session_present: bool = False
    subscribed: bool = False


class Subscriber:
    """An MQTT client with a fixed id and a persistent session, subscribed to one topic at QoS 1.

    Every message goes to `on_payload(payload)` before it is acknowledged. The client reconnects by
    itself when the broker goes away; `go_offline` / `go_online` take it down and back on purpose.
    With `clean_session=True` the broker keeps nothing while it is away (for short-lived clients).
    A broker that refuses the connection (credentials, authorisation) ends the client: waiting for
    it then fails at once with the broker's reason. `node` is the cluster node tried first (see
    `BrokerInfo.node`); after a lost connection or a failed attempt the next node is tried.
    """

    def __init__(
        self,
        client_id: str,
        topic: str,
        broker: BrokerInfo,
        on_payload: Callable[[bytes], None],
        *,
        keepalive: int = 30,
        node: int = 0,
        clean_session: bool = False,
        backoff: Backoff = RECONNECT_BACKOFF,
    ) -> None:
        self.client_id = client_id
        self.clean_session = clean_session
        self.topic = topic
        self.name = client_id
        self.broker = broker
        self.keepalive = keepalive
        self.backoff = backoff
        #: The latest connection attempts, oldest first.
        self.attempts: deque[Attempt] = deque(maxlen=ATTEMPTS_KEPT)
        #: Whether this client subscribed in the session the broker keeps for it (as far as it knows).
        self._subscribed = False
        self._on_payload = on_payload
        self._want_online = True
        self._stopping = False
        self._changed = asyncio.Event()
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._down.set()
        self._task: asyncio.Task[None] | None = None
        #: Why the broker refused the connection, when it did (the client then stops trying).
        self.refused: ConnectionRefused | None = None
        self._refused = asyncio.Event()
        #: The last reason a connection attempt failed, for error messages.
        self.last_error: str | None = None
        #: Successful connections so far, and messages handed to the handler.
        self.connects = 0
        self.messages = 0
        #: The index of the node in use (or tried next), and how often the client moved to another.
        self.node = node
        self.failovers = 0
        #: What the client publishes (`publish`): kept until the broker acknowledges it, sent again on
        #: the next connection when it does not.
        self._outbox: dict[int, tuple[str, bytes, bool]] = {}
        self._mid_to_seq: dict[int, int] = {}
        self._out_seq = 0
        self._connection: MqttConnection | None = None
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        #: Called (without arguments) each time the client is connected and subscribed.
        self.on_online: list[Callable[[], None]] = []

    @property
    def online(self) -> bool:
        """Whether the client is connected and subscribed right now."""
        return self._up.is_set()

    def _deliver(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        self._on_payload(payload)

    @property
    def unacknowledged(self) -> int:
        """Messages this client published that the broker has not acknowledged yet."""
        return len(self._outbox)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish at QoS 1 on this client's own connection. Called from the message handler, the
        PUBLISH leaves before the PUBACK of the message being handled. Kept until acknowledged, and
        sent again after a reconnect."""
        self._out_seq += 1
        self._outbox[self._out_seq] = (topic, payload, retain)
        self._outbox_empty.clear()
        connection = self._connection
        if connection is not None and self.online:
            self._send(connection, self._out_seq, topic, payload, retain, dup=False)

    async def flush(self, timeout: float) -> bool:
        """Wait until everything published is acknowledged; False if `timeout` passed first."""
        try:
            await asyncio.wait_for(self._outbox_empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _send(
        self, connection: MqttConnection, seq: int, topic: str, payload: bytes, retain: bool, *, dup: bool
    ) -> None:
        with contextlib.suppress(MqttError):  # the connection just went: sent again on the next one
            self._mid_to_seq[connection.publish(topic, payload, qos=1, dup=dup, retain=retain)] = seq

    def _acknowledged(self, mid: int) -> None:
        seq = self._mid_to_seq.pop(mid, None)
        if seq is not None and self._outbox.pop(seq, None) is not None and not self._outbox:
            self._outbox_empty.set()

    def _resend_outbox(self, connection: MqttConnection) -> None:
        self._mid_to_seq = {}
        for seq, (topic, payload, retain) in list(self._outbox.items()):
            self._send(connection, seq, topic, payload, retain, dup=True)

    async def start(self, timeout: float = 10.0, *, online: bool = True) -> None:
        """Start the client task; wait until connected and subscribed (unless `online=False`)."""
        self._want_online = online
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)
        if online:
            await self._wait(self._up, timeout, "connect")

    async def go_offline(self, timeout: float = 10.0) -> None:
        """Disconnect cleanly and stay disconnected; the broker queues messages for the session."""
        self._want_online = False
        self._changed.set()
        await self._wait(self._down, timeout, "disconnect")

    async def go_online(self, timeout: float = 10.0) -> None:
        """Reconnect to the persistent session; queued messages follow at once."""
        self._want_online = True
        self._changed.set()
        await self._wait(self._up, timeout, "reconnect")

    async def stop(self, *, forget_session: bool = False) -> None:
        """Disconnect and end the client task; with `forget_session`, also have the broker drop the
        session (and whatever it would queue for it from now on)."""
        self._stopping = True
        self._changed.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if forget_session and self.refused is None:
            with contextlib.suppress(MqttError):
                connection = await open_connection(
                    self.broker.node(self.node), self.client_id, clean_session=True
                )
                await connection.disconnect()

    async def _wait(self, event: asyncio.Event, timeout: float, what: str) -> None:
        waiters = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._refused.wait())}
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self.refused is not None:
            raise MqttError(f"{self.name} could not {what}: {self.refused}")
        if not event.is_set():
            last = f" (last error: {self.last_error})" if self.last_error else ""
            raise MqttError(f"{self.name} did not {what} within {timeout} s{last}")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        retry, waited = 0, 0.0
        while not self._stopping:
            if not self._want_online:
                self._changed.clear()
                await self._changed.wait()
                retry, waited = 0, 0.0
                continue
            connection: MqttConnection | None = None
            attempt = Attempt(loop.time(), self.node, retry, waited)
            connected = False
            try:
                connection = await open_connection(
                    self.broker.node(self.node),
                    self.client_id,
                    clean_session=self.clean_session,
                    keepalive=self.keepalive,
                    on_message=self._deliver,
                    on_ack=self._acknowledged,
                    in_use=lambda mid: mid in self._mid_to_seq,
                )
                self._connection = connection
                present = connection.session_present and not self.clean_session
                subscribe = not (present and self._subscribed)
                attempt = attempt._replace(session_present=present, subscribed=subscribe)
                if subscribe:
                    self._subscribed = False  # a new session until the SUBACK says otherwise
                    await connection.subscribe(self.topic, qos=1)
                    self._subscribed = not self.clean_session
                self.attempts.append(attempt)
                connected = True
                self._resend_outbox(connection)
                self.connects += 1
                self._down.clear()
                self._up.set()
                for callback in self.on_online:
                    callback()
                retry = 0
                told = await self._until_lost_or_told(connection)
                if told:
                    await connection.disconnect()
                elif self._want_online and not self._stopping:
                    log.info("connection lost", client=self.name, node=self.broker.node(self.node).url)
                    self._next_node()
            except ConnectionRefused as error:
                log.warning("connection refused", client=self.name, error=str(error))
                self.attempts.append(attempt._replace(error=str(error)))
                self.refused = error
                self._refused.set()
                return
            except MqttError as error:
                self.last_error = str(error)
                if not connected:  # the attempt itself failed (not a connection lost later)
                    self.attempts.append(attempt._replace(error=str(error)))
                    retry += 1
                if connection is not None:
                    connection.abort()
                if self._want_online and not self._stopping:
                    log.info("cannot connect", client=self.name, error=str(error))
                    self._next_node()
            finally:
                self._up.clear()
                self._down.set()
            if self._want_online and not self._stopping:
                waited = self.backoff.delay(retry)
                await asyncio.sleep(waited)

    def _next_node(self) -> None:
        """Try the next node of a clustered broker from now on."""
        if self.broker.other_nodes:
            self.node = (self.node + 1) % len(self.broker.nodes)
            self.failovers += 1

    async def _until_lost_or_told(self, connection: MqttConnection) -> bool:
        """Wait until told to go offline or stop (True) or the connection is lost (False)."""
        self._changed.clear()
        if not self._want_online or self._stopping:
            return True
        told = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait((connection.lost, told), return_when=asyncio.FIRST_COMPLETED)
        finally:
            told.cancel()
        return not connection.lost.done()
