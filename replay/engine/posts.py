"""The posts: one MQTT client each, with a persistent session, recording what reaches them.

A `PostClient` is a `Subscriber` with the fixed client id `cableroute-post-<RI>` and a persistent
session on `posts/<RI>`: it hands every message to a handler before the PUBACK leaves, can be taken
offline and brought back (the broker queues what arrives meanwhile) and reconnects by itself when
the broker goes away.

`ReceiptRecorder` is the handler a run uses: it checks the transmission's MAC and bounds (rejecting
and counting what fails), applies `--lossy`, works out the received time in simulated seconds and
submits a `Receipt` to the audit store's writer.
"""

from __future__ import annotations

import asyncio
import math
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from replay.mqtt.broker import BrokerInfo
from replay.mqtt.subscriber import Subscriber
from replay.mqtt.topics import SERVICE_CLIENT_PREFIX, post_client_id, post_topic
from replay.mqtt.wire import (
    PostReceipt,
    TextCheck,
    TransmissionHeader,
    UnauthenticatedError,
    WireError,
    claimed_run,
    open_transmission_head,
)
from replay.store.receipt import Receipt
from replay.store.store import REJECTION_KINDS
from router.faults import is_dropped

#: How many posts connect at the same time when a group starts.
CONNECT_CONCURRENCY = 32

#: Open files a process needs besides its post connections (store, logs, other connections).
SPARE_FILES = 256


def ensure_open_files(needed: int) -> int:
    """Raise this process's soft limit on open files to `needed` when it is lower (as far as the hard
    limit allows: many systems start processes at 1,024, fewer than a thousand posts need). Returns
    the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


MessageHandler = Callable[[str, bytes], None]


class PostClient(Subscriber):
    """One post's MQTT client: id `<prefix>-post-<RI>`, persistent session, `posts/<RI>` at QoS 1."""

    def __init__(
        self,
        ri: str,
        broker: BrokerInfo,
        handler: MessageHandler,
        *,
        keepalive: int = 30,
        node: int = 0,
        client_prefix: str = SERVICE_CLIENT_PREFIX,
    ) -> None:
        super().__init__(
            post_client_id(ri, client_prefix),
            post_topic(ri),
            broker,
            lambda payload: handler(ri, payload),
            keepalive=keepalive,
            node=node,
        )
        self.ri = ri
        self.name = f"post {ri}"


class PostGroup:
    """Many posts in one process: started together, stopped together, addressed by RI.

    On a clustered broker the posts are spread over its nodes (in RI order, one node after another).
    Client ids are `<client_prefix>-post-<RI>`: the services' fixed ones by default, a run's own
    (`replay.mqtt.topics.run_client_prefix`) in a replay.
    """

    def __init__(
        self,
        ris: Iterable[str],
        broker: BrokerInfo,
        handler: MessageHandler,
        *,
        client_prefix: str = SERVICE_CLIENT_PREFIX,
    ) -> None:
        self.posts: dict[str, PostClient] = {
            ri: PostClient(ri, broker, handler, node=index, client_prefix=client_prefix)
            for index, ri in enumerate(sorted(set(ris)))
        }

    async def start(self, timeout: float = 30.0, offline: Iterable[str] = ()) -> None:
        """Connect every post (a bounded number at a time); those in `offline` connect once to
        create their session, then disconnect."""
        ensure_open_files(len(self.posts) + SPARE_FILES)
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def start_one(post: PostClient) -> None:
            async with gate:
                await post.start(timeout)

        await asyncio.gather(*(start_one(post) for post in self.posts.values()))
        await asyncio.gather(*(self.posts[ri].go_offline() for ri in offline if ri in self.posts))

    async def stop(self, *, forget_sessions: bool = False) -> None:
        """Disconnect every post; with `forget_sessions`, also end their sessions on the broker (a
        run's own client ids are never used again)."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def stop_one(post: PostClient) -> None:
            async with gate:
                await post.stop(forget_session=forget_sessions)

        await asyncio.gather(*(stop_one(post) for post in self.posts.values()), return_exceptions=True)

    def __getitem__(self, ri: str) -> PostClient:
        return self.posts[ri]

    def __contains__(self, ri: object) -> bool:
        return ri in self.posts

    def __len__(self) -> int:
        return len(self.posts)


class ReceiptSink(Protocol):
    """Where receipts go: `replay.store.store.StoreWriter` in a run. A sink that also has
    `submit_receipts(list)` (the store writer) is handed the receipts of one turn of the event loop
    at a time."""

    def submit_receipt(self, receipt: Receipt) -> None:
        """Take one receipt (must not block)."""


def receipt_for(
    message: TransmissionHeader | PostReceipt, received_sim: float, received_wall: float
) -> Receipt:
    """The audit store's receipt for a transmission its post took at `received_sim` (simulated) and
    `received_wall` (wall-clock) seconds."""
    return Receipt(
        run=message.run,
        cable_id=message.cable_id,
        post=message.post,
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


class ReceiptRecorder:
    """Turns messages reaching posts into receipts, drops and counts.

    Only transmissions sealed with `key` (see `replay.mqtt.wire`) and within every bound are taken;
    the others are rejected and counted in `rejected[(claimed run or None, kind)]`, kind as in
    `replay.store.store.REJECTION_KINDS`, and `on_reject(run, kind, post)` is called for each.
    With `run` set, messages of other runs (left queued in a persistent session by an earlier run on
    the same broker, or of another run sharing it) are counted in `foreign` and ignored; with
    `run=None` every run is accepted.
    `online_since[post]` is the simulated time the post last came back online: nothing it receives
    is earlier than that. A sink with `submit_receipts` gets the receipts of each turn of the event
    loop in one list (`flush()` hands over what is waiting at once).
    `on_handled(cable_id, post)` is called once per (cable, post) received or
    dropped, never for a duplicate; `on_drop(run, cable_id, post)` once per delivery a lossy post
    drops.
    """

    def __init__(
        self,
        run: str | None,
        sink: ReceiptSink,
        key: bytes,
        *,
        lossy: Mapping[str, float] | None = None,
        seed: int = 0,
        on_handled: Callable[[str, str], None] | None = None,
        on_drop: Callable[[str, str, str], None] | None = None,
        on_reject: Callable[[str | None, str, str], None] | None = None,
    ) -> None:
        self.run = run
        self.sink = sink
        self.key = key
        self.on_reject = on_reject
        self.lossy = dict(lossy or {})
        self.seed = seed
        self.on_handled = on_handled
        self.on_drop = on_drop
        self._batches = hasattr(sink, "submit_receipts")
        self._waiting: list[Receipt] = []
        self.online_since: dict[str, float] = {}
        #: The texts already checked against their digests (a cable reaches many posts).
        self.texts = TextCheck()
        self._seen: set[tuple[str, str, str]] = set()
        #: (run, cable id, post) of the deliveries lossy posts dropped on purpose.
        self.drops: list[tuple[str, str, str]] = []
        self.received = 0
        self.duplicates = 0
        self.foreign = 0
        self.rejected: Counter[tuple[str | None, str]] = Counter()

    def _reject(self, run: str | None, kind: str, post: str) -> None:
        self.rejected[(run, kind)] += 1
        if self.on_reject is not None:
            self.on_reject(run, kind, post)

    def _submit(self, receipt: Receipt) -> None:
        """Hand a receipt to the sink, or keep it for the end of this turn of the event loop."""
        if not self._batches:
            self.sink.submit_receipt(receipt)
            return
        if not self._waiting:
            asyncio.get_running_loop().call_soon(self.flush)
        self._waiting.append(receipt)

    def flush(self) -> None:
        """Hand the receipts kept for a batch to the sink now."""
        if self._waiting:
            waiting, self._waiting = self._waiting, []
            self.sink.submit_receipts(waiting)  # type: ignore[attr-defined]

    def hand_to(self, sink: ReceiptSink) -> None:
        """Send the receipts to `sink` from now on (those kept so far go to the sink before)."""
        self.flush()
        self.sink = sink
        self._batches = hasattr(sink, "submit_receipts")

    def rejected_by_kind(self) -> dict[str, int]:
        """How many messages were rejected, by kind (in report order), whatever run they named."""
        counts: Counter[str] = Counter()
        for (_, kind), count in self.rejected.items():
            counts[kind] += count
        return {kind: counts[kind] for kind in REJECTION_KINDS if counts[kind]}

    def __call__(self, post: str, payload: bytes) -> None:
        """Handle one message that reached `post`."""
        received_wall = time.time()
        try:
            message = open_transmission_head(payload, self.key, self.texts)
        except WireError as error:
            run = claimed_run(payload)
            if self.run is not None and run is not None and run != self.run:
                self.foreign += 1  # another run's traffic, sealed with that run's key
                return
            kind = "unauthenticated" if isinstance(error, UnauthenticatedError) else "malformed"
            self._reject(run, kind, post)
            return
        if self.run is not None and message.run != self.run:
            self.foreign += 1
            return
        if message.post != post:
            self._reject(message.run, "misrouted", post)
            return
        key = (message.run, message.cable_id, post)
        first = key not in self._seen
        fraction = self.lossy.get(post)
        if fraction is not None and is_dropped(self.seed, message.cable_id, post, fraction):
            if first:
                self._seen.add(key)
                self.drops.append((message.run, message.cable_id, post))
                if self.on_drop is not None:
                    self.on_drop(message.run, message.cable_id, post)
                if self.on_handled is not None:
                    self.on_handled(message.cable_id, post)
            return
        delay_sim = (received_wall - message.transmitted_wall) * message.speed if message.speed > 0 else 0.0
        received_sim = max(
            message.transmitted_sim + max(delay_sim, 0.0), self.online_since.get(post, -math.inf)
        )
        self._submit(receipt_for(message, received_sim, received_wall))
        if first:
            self._seen.add(key)
            self.received += 1
            if self.on_handled is not None:
                self.on_handled(message.cable_id, post)
        else:
            self.duplicates += 1
