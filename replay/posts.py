"""The posts: one MQTT client each, with a persistent session, recording what reaches them.

A `PostClient` connects with the fixed client id `cableroute-post-<RI>` and `clean_session=False`,
subscribes to `posts/<RI>` at QoS 1 and hands every message to a handler before the PUBACK leaves.
It can be taken offline and brought back: the broker keeps the session and queues what arrives
meanwhile. It reconnects by itself when the broker goes away.

`ReceiptRecorder` is the handler a run uses: it decodes the transmission, applies `--lossy`, works
out the received time in simulated seconds and submits a `Receipt` to the audit store's writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

import structlog

from replay.broker import BrokerInfo
from replay.mqtt import MqttConnection, MqttError, open_connection
from replay.receipt import Receipt
from replay.topics import post_client_id, post_topic
from replay.wire import WireError, decode_transmission
from router.faults import is_dropped

log = structlog.get_logger()

#: Reconnection backoff of a post: first delay and ceiling, seconds.
RECONNECT_DELAYS = (0.05, 1.0)

#: How many posts connect at the same time when a group starts.
CONNECT_CONCURRENCY = 32

MessageHandler = Callable[[str, bytes], None]


class PostClient:
    """One post's MQTT client: fixed id, persistent session, its topic at QoS 1."""

    def __init__(self, ri: str, broker: BrokerInfo, handler: MessageHandler, *, keepalive: int = 30) -> None:
        self.ri = ri
        self.topic = post_topic(ri)
        self.client_id = post_client_id(ri)
        self.broker = broker
        self.keepalive = keepalive
        self._handler = handler
        self._want_online = True
        self._stopping = False
        self._changed = asyncio.Event()
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._down.set()
        self._task: asyncio.Task[None] | None = None
        #: Successful connections so far, and messages handed to the handler.
        self.connects = 0
        self.messages = 0

    @property
    def online(self) -> bool:
        """Whether the post is connected and subscribed right now."""
        return self._up.is_set()

    def _deliver(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        self._handler(self.ri, payload)

    async def start(self, timeout: float = 10.0, *, online: bool = True) -> None:
        """Start the client task; wait until connected and subscribed (unless `online=False`)."""
        self._want_online = online
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"post-{self.ri}")
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

    async def stop(self) -> None:
        """Disconnect and end the client task."""
        self._stopping = True
        self._changed.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _wait(self, event: asyncio.Event, timeout: float, what: str) -> None:
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            raise MqttError(f"post {self.ri} did not {what} within {timeout} s") from None

    async def _run(self) -> None:
        delay = RECONNECT_DELAYS[0]
        while not self._stopping:
            if not self._want_online:
                self._changed.clear()
                await self._changed.wait()
                continue
            connection: MqttConnection | None = None
            try:
                connection = await open_connection(
                    self.broker,
                    self.client_id,
                    clean_session=False,
                    keepalive=self.keepalive,
                    on_message=self._deliver,
                )
                await connection.subscribe(self.topic, qos=1)
                self.connects += 1
                self._down.clear()
                self._up.set()
                delay = RECONNECT_DELAYS[0]
                told = await self._until_lost_or_told(connection)
                if told:
                    await connection.disconnect()
                elif self._want_online and not self._stopping:
                    log.info("post connection lost", post=self.ri)
            except MqttError as error:
                if connection is not None:
                    connection.abort()
                if self._want_online and not self._stopping:
                    log.info("post cannot connect", post=self.ri, error=str(error))
            finally:
                self._up.clear()
                self._down.set()
            if self._want_online and not self._stopping:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_DELAYS[1])

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


class PostGroup:
    """Many posts in one process: started together, stopped together, addressed by RI."""

    def __init__(self, ris: Iterable[str], broker: BrokerInfo, handler: MessageHandler) -> None:
        self.posts: dict[str, PostClient] = {ri: PostClient(ri, broker, handler) for ri in sorted(set(ris))}

    async def start(self, timeout: float = 30.0, offline: Iterable[str] = ()) -> None:
        """Connect every post (a bounded number at a time); those in `offline` connect once to
        create their session, then disconnect."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def start_one(post: PostClient) -> None:
            async with gate:
                await post.start(timeout)

        await asyncio.gather(*(start_one(post) for post in self.posts.values()))
        await asyncio.gather(*(self.posts[ri].go_offline() for ri in offline if ri in self.posts))

    async def stop(self) -> None:
        """Disconnect every post."""
        await asyncio.gather(*(post.stop() for post in self.posts.values()), return_exceptions=True)

    def __getitem__(self, ri: str) -> PostClient:
        return self.posts[ri]

    def __contains__(self, ri: object) -> bool:
        return ri in self.posts

    def __len__(self) -> int:
        return len(self.posts)


class ReceiptSink(Protocol):
    """Where receipts go: `replay.store.StoreWriter` in a run."""

    def submit_receipt(self, receipt: Receipt) -> None:
        """Take one receipt (must not block)."""


class ReceiptRecorder:
    """Turns messages reaching posts into receipts, drops and counts.

    With `run` set, messages of other runs (left queued in a persistent session by an earlier run on
    the same broker) are counted in `foreign` and ignored; with `run=None` every run is accepted.
    `online_since[post]` is the simulated time the post last came back online: nothing it receives
    is earlier than that. `on_handled(cable_id, post)` is called once per (cable, post) received or
    dropped, never for a duplicate.
    """

    def __init__(
        self,
        run: str | None,
        sink: ReceiptSink,
        *,
        lossy: Mapping[str, float] | None = None,
        seed: int = 0,
        on_handled: Callable[[str, str], None] | None = None,
    ) -> None:
        self.run = run
        self.sink = sink
        self.lossy = dict(lossy or {})
        self.seed = seed
        self.on_handled = on_handled
        self.online_since: dict[str, float] = {}
        self._seen: set[tuple[str, str, str]] = set()
        #: (cable id, post) pairs dropped on purpose by lossy posts.
        self.drops: list[tuple[str, str]] = []
        self.received = 0
        self.duplicates = 0
        self.foreign = 0
        self.malformed = 0
        self.misrouted = 0

    def __call__(self, post: str, payload: bytes) -> None:
        """Handle one message that reached `post`."""
        received_wall = time.time()
        try:
            message = decode_transmission(payload)
        except WireError:
            self.malformed += 1
            return
        if self.run is not None and message.run != self.run:
            self.foreign += 1
            return
        if message.post != post:
            self.misrouted += 1
            return
        key = (message.run, message.cable_id, post)
        first = key not in self._seen
        fraction = self.lossy.get(post)
        if fraction is not None and is_dropped(self.seed, message.cable_id, post, fraction):
            if first:
                self._seen.add(key)
                self.drops.append((message.cable_id, post))
                if self.on_handled is not None:
                    self.on_handled(message.cable_id, post)
            return
        delay_sim = (received_wall - message.transmitted_wall) * message.speed if message.speed > 0 else 0.0
        received_sim = max(
            message.transmitted_sim + max(delay_sim, 0.0), self.online_since.get(post, -math.inf)
        )
        self.sink.submit_receipt(
            Receipt(
                run=message.run,
                cable_id=message.cable_id,
                post=post,
                role=message.role,
                precedence=message.precedence,
                niact=message.niact,
                channel_serial=message.channel_serial,
                scheduled_sim=message.scheduled_sim,
                enqueued_sim=message.enqueued_sim,
                transmitted_sim=message.transmitted_sim,
                received_sim=received_sim,
                scheduled_wall=message.scheduled_wall,
                enqueued_wall=message.enqueued_wall,
                transmitted_wall=message.transmitted_wall,
                received_wall=received_wall,
            )
        )
        if first:
            self._seen.add(key)
            self.received += 1
            if self.on_handled is not None:
                self.on_handled(message.cable_id, post)
        else:
            self.duplicates += 1
