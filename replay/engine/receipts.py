"""Receipts over the broker: posts publish them, one recorder writes them to the audit store.

A `cableroute posts` process needs no store and no shared disk. Each post publishes a sealed
`PostReceipt` for every transmission it takes (QoS 1, on the run's own topic `receipts/<run tag>`),
on its own connection and before that transmission's acknowledgement leaves, so the broker holds the
receipt before it lets go of the transmission; a lossy post publishes a `PostDrop` instead. The
publish is kept until the broker acknowledges it and sent again after a reconnect.

The recorder (`ReceiptCollector`, run by `cableroute serve`) takes every run's receipts on a
persistent session and writes those of runs the store knows. Receipts are idempotent: the store
keeps one receipt per (run, cable, post), and a receipt that arrives again (the transmission was
delivered twice, or the receipt itself was) is counted as a duplicate, never recorded twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Literal

import msgspec
import structlog

from replay.engine.posts import PostClient, receipt_for
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.subscriber import Subscriber
from replay.mqtt.topics import ALL_RECEIPTS, RECORDER_CLIENT_ID, presence_topic, receipts_topic
from replay.mqtt.wire import (
    MAX_NAME,
    CableId,
    PostReceipt,
    PostRI,
    RunName,
    Seconds,
    UnauthenticatedError,
    WireError,
    claimed_run,
    open_one_of,
    seal,
)
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from replay.store.writes import RecordDrops

log = structlog.get_logger()


class PostDrop(msgspec.Struct, frozen=True, array_like=True):
    """What a lossy post publishes for a transmission it dropped on purpose."""

    run: RunName
    cable_id: CableId
    post: PostRI


class PostRejection(msgspec.Struct, frozen=True, array_like=True):
    """What a post publishes for a message it refused that names `run` (forged, out of bounds, or
    meant for another post), so that the refusal is counted with the run in the audit store."""

    run: RunName
    post: PostRI
    kind: Literal["unauthenticated", "malformed", "misrouted"]


class PostOnline(msgspec.Struct, frozen=True, array_like=True):
    """What a post of `cableroute posts` publishes (retained) each time it is connected: that it is
    hosted somewhere, so that the run can tell a post that never connected from one that got nothing."""

    post: PostRI
    since_wall: Seconds


def announce_online(post: PostClient, key: bytes) -> None:
    """Have `post` publish, each time it is connected, that it is (retained, sealed)."""

    def say_online() -> None:
        post.publish(presence_topic(post.ri), seal(PostOnline(post.ri, time.time()), key), retain=True)

    post.on_online.append(say_online)


def receipt_message(receipt: Receipt) -> PostReceipt:
    """The message that carries a receipt (a broker replay's: every wall-clock time is set)."""
    return PostReceipt(
        receipt.run,
        receipt.cable_id,
        receipt.post,
        receipt.role,
        receipt.precedence,
        receipt.niact,
        receipt.channel_serial,
        receipt.scheduled_sim,
        receipt.enqueued_sim,
        receipt.transmitted_sim,
        receipt.received_sim,
        receipt.scheduled_wall or 0.0,
        receipt.enqueued_wall or 0.0,
        receipt.transmitted_wall or 0.0,
        receipt.received_wall or 0.0,
    )


def receipt_of(message: PostReceipt) -> Receipt:
    """The audit store's receipt for a received `PostReceipt`."""
    return receipt_for(message, message.received_sim, message.received_wall)


class ReceiptPublisher:
    """The receipt sink of a `posts` process: each receipt or drop goes out on the post's own
    connection to its run's receipts topic, sealed with the deployment's key."""

    def __init__(self, posts: Mapping[str, PostClient], key: bytes) -> None:
        self.posts = posts
        self.key = key
        self.published = 0

    def submit_receipt(self, receipt: Receipt) -> None:
        """Publish one receipt."""
        self.posts[receipt.post].publish(
            receipts_topic(receipt.run), seal(receipt_message(receipt), self.key)
        )
        self.published += 1

    def submit_drop(self, run: str, cable_id: str, post: str) -> None:
        """Publish that `post` dropped a delivery on purpose."""
        self.posts[post].publish(receipts_topic(run), seal(PostDrop(run, cable_id, post), self.key))
        self.published += 1

    def submit_rejected(self, run: str | None, kind: str, post: str) -> None:
        """Publish that `post` refused a message naming `run` (one naming no run stays a local count)."""
        if run is None or not 0 < len(run) <= MAX_NAME:
            return
        rejection = PostRejection(run, post, kind)  # type: ignore[arg-type]
        self.posts[post].publish(receipts_topic(run), seal(rejection, self.key))
        self.published += 1


class ReceiptCollector:
    """Takes every run's receipts from the broker (client id `cableroute-recorder`, persistent
    session) and writes those of runs the store knows through `writer`.

    Counts: `recorded` receipts and `dropped` drops passed on, `unknown` for runs the store does not
    know, `rejected[(run, kind)]` for messages without a valid MAC or out of bounds (recorded with
    their run when the store knows it), `posts_rejected` for the refusals the posts report (sealed
    `PostRejection`s, recorded with their run). `online[post]` is when each post last said it was
    connected (`connected(post)` asks).
    """

    def __init__(self, broker: BrokerInfo, store: AuditStore, writer: StoreWriter, key: bytes) -> None:
        self.store = store
        self.writer = writer
        self.key = key
        self.subscriber = Subscriber(RECORDER_CLIENT_ID, ALL_RECEIPTS, broker, self._take)
        self.recorded = 0
        self.dropped = 0
        self.unknown = 0
        self.rejected: Counter[tuple[str | None, str]] = Counter()
        #: Refusals the posts reported (each recorded with its run).
        self.posts_rejected = 0
        self.online: dict[str, float] = {}
        self._known: set[str] = set()

    def connected(self, post: str) -> bool:
        """Whether `post` has said it is connected (since this recorder started, or retained)."""
        return post in self.online

    async def start(self) -> None:
        """Connect and subscribe (receipts queued for the session while away follow at once)."""
        await self.subscriber.start()

    async def stop(self) -> None:
        """Disconnect, keeping the session."""
        await self.subscriber.stop()

    def _knows(self, run: str) -> bool:
        if run in self._known:
            return True
        if self.store.has_run(run):
            self._known.add(run)
            return True
        self.unknown += 1
        return False

    def _take(self, payload: bytes) -> None:
        try:
            message = open_one_of((PostReceipt, PostDrop, PostRejection, PostOnline), payload, self.key)
        except WireError as error:
            kind = "unauthenticated" if isinstance(error, UnauthenticatedError) else "malformed"
            self._reject(claimed_run(payload), kind)
            return
        if isinstance(message, PostOnline):
            self.online[message.post] = message.since_wall
        elif isinstance(message, PostRejection):  # a post's report of a message it refused
            self.posts_rejected += 1
            self.writer.submit_rejected(message.run, message.kind)
        elif isinstance(message, PostDrop):
            if self._knows(message.run):
                self.writer.submit(RecordDrops(message.run, [(message.cable_id, message.post)]))
                self.dropped += 1
        elif isinstance(message, PostReceipt) and self._knows(message.run):
            self.writer.submit_receipt(receipt_of(message))
            self.recorded += 1

    def _reject(self, run: str | None, kind: str) -> None:
        """Count a refused message; record it with the run it names (when the store knows it). The
        1st, 10th, 100th, … of a kind for a run are logged (a flood does not flood the log)."""
        self.rejected[(run, kind)] += 1
        count = self.rejected[(run, kind)]
        if count == 10 ** (len(str(count)) - 1):
            log.warning("receipt rejected", run=None if run is None else run[:80], kind=kind, count=count)
        if run is not None:
            self.writer.submit_rejected(run, kind)
