"""QoS 1 publishing that loses nothing when the broker goes away and comes back.

Every publish is kept until the broker acknowledges it (PUBACK). When the connection drops, the
publisher reconnects with backoff and sends again, in the original order, everything not yet
acknowledged. A message the broker had received but not yet acknowledged is then sent twice;
receivers count such duplicates, they do not record them twice. With a clustered broker (several
nodes), the publisher reconnects to the next node when its own goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

import structlog

from replay.mqtt.backoff import RECONNECT_BACKOFF
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.client import ConnectionRefused, MqttConnection, MqttError, open_connection

log = structlog.get_logger()

#: Un-acknowledged messages allowed before `wait_for_room` makes the producer wait (well below the
#: 65,535 packet ids MQTT has).
HIGH_WATER = 8_000

#: Messages on the wire without an acknowledgement at most; further ones wait their turn in order. A
#: clustered broker stores each QoS 1 message on several nodes before it acknowledges it and gives
#: up on a client whose message waited too long, so a publisher that pours out everything it holds
#: after a reconnect can make the cluster drop it again and again.
MAX_IN_FLIGHT = 2_000


class Publisher:
    """A QoS 1 publisher with its own acknowledgement ledger, resending after reconnects.

    `publish()` never blocks: it sends at once when connected (and fewer than `max_in_flight` are
    unacknowledged on the wire), otherwise keeps the message for later, in order. Producers that can
    outrun the broker call `await wait_for_room()`.
    `node` is the cluster node tried first (see `BrokerInfo.node`); after a lost connection or a
    failed attempt the next node is tried.
    """

    def __init__(
        self,
        broker: BrokerInfo,
        client_id: str = "cableroute-publisher",
        *,
        high_water: int = HIGH_WATER,
        max_in_flight: int = MAX_IN_FLIGHT,
        node: int = 0,
    ):
        self.broker = broker
        self.client_id = client_id
        self.high_water = high_water
        self.max_in_flight = max_in_flight
        #: The index of the node in use (or tried next).
        self.node = node
        self._pending: dict[int, tuple[str, bytes]] = {}
        self._mid_to_seq: dict[int, int] = {}
        #: Messages waiting for room on the wire (sequence numbers, in order), and the last sequence
        #: number sent on an earlier connection (those go out again marked DUP).
        self._waiting: deque[int] = deque()
        self._sent_before = 0
        self._seq = 0
        self._connection: MqttConnection | None = None
        self._online = False
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        #: Messages (and payload bytes) handed to `publish`, acknowledged by the broker, and sent again
        #: after a reconnect.
        self.published = 0
        self.published_bytes = 0
        self.acknowledged = 0
        self.resent = 0
        #: Times the connection was re-established after a loss.
        self.reconnects = 0
        #: Called (without arguments) after each successful reconnect.
        self.on_reconnect: list[Callable[[], None]] = []

    @property
    def pending(self) -> int:
        """Messages published but not yet acknowledged by the broker."""
        return len(self._pending)

    @property
    def online(self) -> bool:
        """Whether the publisher is connected right now."""
        return self._online

    async def start(self, timeout: float = 10.0) -> None:
        """Connect for the first time (retrying until `timeout`), then keep the connection up."""
        await self._connect_with_retry(deadline=asyncio.get_running_loop().time() + timeout)
        self._supervisor = asyncio.create_task(self._supervise(), name="publisher-supervisor")

    def publish(self, topic: str, payload: bytes) -> None:
        """Send `payload` to `topic` at QoS 1, or keep it for the next connection."""
        self._seq += 1
        seq = self._seq
        self._pending[seq] = (topic, payload)
        self.published += 1
        self.published_bytes += len(payload)
        self._empty.clear()
        if len(self._pending) >= self.high_water:
            self._room.clear()
        if self._online and not self._waiting and len(self._mid_to_seq) < self.max_in_flight:
            self._send(seq, topic, payload)
        else:
            self._waiting.append(seq)

    async def wait_for_room(self) -> None:
        """Wait while more than `high_water` messages are unacknowledged."""
        while len(self._pending) >= self.high_water:
            self._room.clear()
            await self._room.wait()

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every message is acknowledged; False if `timeout` passed first."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout: float = 5.0) -> None:
        """Wait (up to `timeout`) for outstanding acknowledgements, then disconnect."""
        if self._pending and self._online:
            await self.flush(timeout)
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._connection is not None:
            await self._connection.disconnect(timeout=2.0)
        self._online = False

    # internals -----------------------------------------------------------------------------

    def _send(self, seq: int, topic: str, payload: bytes) -> None:
        connection = self._connection
        assert connection is not None
        dup = seq <= self._sent_before
        try:
            mid = connection.publish(topic, payload, qos=1, dup=dup)
        except MqttError:
            return  # the connection just went; the message is sent again after reconnecting
        self._mid_to_seq[mid] = seq
        if dup:
            self.resent += 1

    def _send_waiting(self) -> None:
        """Send waiting messages, in order, while there is room on the wire."""
        waiting = self._waiting
        pending = self._pending
        while waiting and self._online and len(self._mid_to_seq) < self.max_in_flight:
            seq = waiting.popleft()
            message = pending.get(seq)
            if message is not None:
                self._send(seq, *message)

    def _on_ack(self, mid: int) -> None:
        seq = self._mid_to_seq.pop(mid, None)
        if seq is None or self._pending.pop(seq, None) is None:
            return
        self.acknowledged += 1
        if self._waiting:
            self._send_waiting()
        if not self._pending:
            self._empty.set()
        if len(self._pending) < self.high_water // 2:
            self._room.set()

    async def _connect_once(self) -> None:
        self._mid_to_seq = {}
        connection = await open_connection(
            self.broker.node(self.node),
            self.client_id,
            clean_session=True,
            on_ack=self._on_ack,
            in_use=self._mid_to_seq.__contains__,
        )
        self._connection = connection
        self._online = True
        connection.lost.add_done_callback(self._on_lost)

    def _on_lost(self, _: asyncio.Future[None]) -> None:
        self._online = False

    async def _connect_with_retry(self, deadline: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        retry = 0
        while True:
            try:
                await self._connect_once()
                return
            except ConnectionRefused as error:
                raise MqttError(f"cannot connect to the broker: {error}") from error
            except MqttError as error:
                delay = RECONNECT_BACKOFF.delay(retry)
                if deadline is not None and loop.time() + delay > deadline:
                    raise MqttError(f"cannot connect to the broker: {error}") from error
                self._next_node()
            await asyncio.sleep(delay)
            retry += 1

    async def _supervise(self) -> None:
        """Reconnect whenever the connection is lost, then send again what is unacknowledged."""
        while not self._closing:
            connection = self._connection
            assert connection is not None
            await connection.lost
            if self._closing:
                return
            lost = self.broker.node(self.node).url
            log.warning("broker connection lost; reconnecting", broker=lost, pending=self.pending)
            self._next_node()
            await self._connect_with_retry()
            self.reconnects += 1
            self._resend_pending()
            log.warning(
                "broker connection re-established",
                broker=self.broker.node(self.node).url,
                to_send_again=len(self._pending),
            )
            for callback in self.on_reconnect:
                callback()

    def _next_node(self) -> None:
        """Try the next node of a clustered broker from now on."""
        self.node = (self.node + 1) % len(self.broker.nodes)

    def _resend_pending(self) -> None:
        """Queue everything unacknowledged again, in the original order, and start sending it."""
        self._sent_before = self._seq
        self._waiting = deque(self._pending)
        self._send_waiting()
