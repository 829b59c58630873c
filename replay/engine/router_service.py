"""The router as a service: cables come in on `cables/in`, transmissions go out to the posts.

`cableroute replay --remote` publishes each input as a `Submission` (run name, source, text) and
then an end-of-run marker (empty source and text). The service decodes and plans each cable, injects
it into that run's network at the cable's time and publishes what the circuits complete. When no
cable has come for `idle_flush` seconds, every run's network is drained. At the end marker the run
is drained and, `settle` seconds later (time for the posts to record their receipts), its planned
deliveries without a receipt are recorded as missing and the run is finished.

The service records runs, cables, plans and transmissions in the audit store; the posts
(`cableroute posts`) record the receipts in the same store.

Submissions and transmissions are sealed with the deployment's key (`replay.mqtt.wire`). A submission
without a valid MAC, out of bounds, or for a run already finished is rejected: counted in
`rejected`, logged, and recorded with the run it names when the store knows that run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable

import structlog

from replay.inputs.corpus import CableText, ReadError
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber
from replay.mqtt.topics import (
    CABLES_IN,
    ROUTER_INBOX_CLIENT_ID,
    ROUTER_OUTBOX_CLIENT_ID,
    SUBMITTER_CLIENT_ID,
    is_valid_ri,
    post_topic,
)
from replay.mqtt.wire import (
    Submission,
    UnauthenticatedError,
    WireError,
    claimed_run,
    open_submission,
    seal,
    transmission_for,
)
from replay.store.store import AuditStore, StoreError
from replay.store.writer import StoreWriter
from replay.store.writes import (
    CloseMissing,
    FinishRun,
    RecordCables,
    RecordPlans,
    RecordSent,
    StartRun,
)
from router.decoder import decode
from router.deliveries import Sent
from router.network import Network
from router.order import cable_time
from router.planner import cable_id_of, plan
from topology.topology import Topology

log = structlog.get_logger()

#: Client ids of the service's two connections and of the submitter (one home: `replay.mqtt.topics`).
INBOX_CLIENT_ID = ROUTER_INBOX_CLIENT_ID
OUTBOX_CLIENT_ID = ROUTER_OUTBOX_CLIENT_ID

#: Reason recorded for deliveries without a receipt when a remote run is closed.
REMOTE_MISSING_REASON = "not received before the run was closed"
#: Reason recorded for deliveries to a post that no `cableroute posts` process ever connected.
NEVER_CONNECTED_REASON = "not received (post never connected)"


def end_marker(run: str) -> Submission:
    """The submission that ends a remote run."""
    return Submission(run, "", "")


class _RunState:
    """One remote run inside the service: its network and what it needs to publish."""

    def __init__(self, topology: Topology, fifo: bool) -> None:
        self.network = Network(topology, fifo=fifo)
        self.texts: dict[str, str] = {}
        self.injected_wall: dict[str, float] = {}
        self.seen: set[str] = set()
        #: The posts the run's plans deliver to.
        self.posts: set[str] = set()


class RouterService:
    """Takes cables from `cables/in`, plans and routes them, publishes to the posts."""

    def __init__(
        self,
        broker: BrokerInfo,
        store: AuditStore,
        writer: StoreWriter,
        topology: Topology,
        key: bytes,
        *,
        fifo: bool = False,
        idle_flush: float = 0.5,
        settle: float = 5.0,
        connected: Callable[[str], bool] | None = None,
    ) -> None:
        self.broker = broker
        self.store = store
        self.writer = writer
        self.topology = topology
        self.key = key
        self.fifo = fifo
        self.idle_flush = idle_flush
        self.settle = settle
        #: Whether a post has connected (said so by a `posts` process); None when nobody can tell.
        self.connected = connected
        self._inbox: asyncio.Queue[Submission] = asyncio.Queue()
        self._runs: dict[str, _RunState] = {}
        self._publisher = Publisher(broker, OUTBOX_CLIENT_ID)
        self._subscriber = Subscriber(INBOX_CLIENT_ID, CABLES_IN, broker, self._take)
        self._closing: set[asyncio.Task[None]] = set()
        #: Cables routed and transmissions published.
        self.cables = 0
        self.published = 0
        #: Set once the service is subscribed to `cables/in` (and takes what is published there).
        self.listening = asyncio.Event()
        #: Inbox messages rejected, by (the run they name, kind of rejection).
        self.rejected: Counter[tuple[str | None, str]] = Counter()

    def _take(self, payload: bytes) -> None:
        try:
            self._inbox.put_nowait(open_submission(payload, self.key))
        except WireError as error:
            kind = "unauthenticated" if isinstance(error, UnauthenticatedError) else "malformed"
            self._reject(claimed_run(payload), kind)

    def _reject(self, run: str | None, kind: str) -> None:
        """Count a rejected submission; record it with the run it names when the store knows it. The
        1st, 10th, 100th, … of a kind for a run are logged (a flood does not flood the log)."""
        self.rejected[(run, kind)] += 1
        count = self.rejected[(run, kind)]
        if count == 10 ** (len(str(count)) - 1):
            log.warning("submission rejected", run=None if run is None else run[:80], kind=kind, count=count)
        if run is not None:
            self.writer.submit_rejected(run, kind)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; then drain what is queued and disconnect."""
        await self._publisher.start()
        await self._subscriber.start()
        self.listening.set()
        log.info("router service listening", broker=self.broker.url, topic=CABLES_IN)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                getting = asyncio.ensure_future(self._inbox.get())
                done, _ = await asyncio.wait(
                    {getting, stopping}, timeout=self.idle_flush, return_when="FIRST_COMPLETED"
                )
                if getting in done:
                    await self._handle(getting.result())
                else:
                    getting.cancel()
                    await self._drain_all()
        finally:
            stopping.cancel()
            await self._drain_all()
            await self._subscriber.stop()
            await self._publisher.close()
            for task in list(self._closing):
                task.cancel()

    async def _handle(self, submission: Submission) -> None:
        run = submission.run
        state = self._runs.get(run)
        if state is None:
            if self.store.has_run(run) and self.store.run_finished(run):
                self._reject(run, "after_finish")
                return
            state = await self._open_run(run)
        if not submission.source and not submission.text:
            await self._publish(run, state, state.network.drain())
            task = asyncio.create_task(self._close_later(run))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            return
        cable = decode(submission.text, submission.source)
        cable_id = cable_id_of(cable)
        if cable_id in state.seen:
            log.warning("cable id seen before in this run; skipped", run=run, id=cable_id)
            return
        state.seen.add(cable_id)
        result = plan(cable, self.topology)
        state.posts.update(delivery.post for delivery in result.deliveries)
        self.writer.submit(RecordCables(run, [cable]))
        self.writer.submit(RecordPlans(run, [result]))
        at = cable_time(cable)
        network = state.network
        if at is None:
            at = network.now if math.isfinite(network.now) else time.time()
        await self._publish(run, state, network.advance(at))
        state.texts[cable_id] = submission.text
        state.injected_wall[cable_id] = time.time()
        network.inject(result, cable.size, at)
        self.cables += 1

    async def _open_run(self, run: str) -> _RunState:
        """The run's state; the run is created in the store (and committed, so that the posts can
        record receipts for it) unless it exists already."""
        try:
            self.store.run_id(run)
        except StoreError:
            options = {"service": True, "broker": self.broker.url}
            await asyncio.wrap_future(self.writer.submit(StartRun(run, "replay", options)))
        state = _RunState(self.topology, self.fifo)
        self._runs[run] = state
        return state

    async def _publish(self, run: str, state: _RunState, sent: list[Sent]) -> None:
        if not sent:
            return
        now = time.time()
        for s in sent:
            if not is_valid_ri(s.post):
                continue
            message = transmission_for(
                s,
                run=run,
                text=state.texts.get(s.cable_id, ""),
                scheduled_wall=state.injected_wall.get(s.cable_id, now),
                transmitted_wall=now,
                speed=0.0,
            )
            self._publisher.publish(post_topic(s.post), seal(message, self.key))
            self.published += 1
        self.writer.submit(RecordSent(run, sent))
        await self._publisher.wait_for_room()

    async def _drain_all(self) -> None:
        for run, state in self._runs.items():
            await self._publish(run, state, state.network.drain())

    async def _close_later(self, run: str) -> None:
        """After `settle` seconds, record the run's missing deliveries and finish it."""
        await asyncio.sleep(self.settle)
        await self._publisher.flush(self.settle)
        state = self._runs.get(run)
        connected = self.connected
        never = sorted(post for post in state.posts if not connected(post)) if state and connected else []
        if never:
            log.warning("posts never connected; their deliveries are missing", run=run, posts=never)
            await asyncio.wrap_future(self.writer.submit(CloseMissing(run, NEVER_CONNECTED_REASON, never)))
        missing = await asyncio.wrap_future(self.writer.submit(CloseMissing(run, REMOTE_MISSING_REASON)))
        summary = {"missing": missing, "never_connected": never}
        await asyncio.wrap_future(self.writer.submit(FinishRun(run, "ok", summary)))
        self._runs.pop(run, None)
        log.info("remote run closed", run=run, missing=missing)


async def submit_corpus(
    broker: BrokerInfo, items: Iterable[CableText | ReadError], run: str, key: bytes
) -> tuple[int, int]:
    """Publish every input to `cables/in` as one run, sealed with `key`, then the end marker;
    (cables sent, unreadable)."""
    publisher = Publisher(broker, SUBMITTER_CLIENT_ID)
    await publisher.start()
    sent = failed = 0
    try:
        for item in items:
            if isinstance(item, ReadError):
                failed += 1
                log.warning("cannot read input", source=item.source, reason=item.message)
                continue
            publisher.publish(CABLES_IN, seal(Submission(run, item.source, item.text), key))
            sent += 1
            await publisher.wait_for_room()
        publisher.publish(CABLES_IN, seal(end_marker(run), key))
        await publisher.flush(30)
    finally:
        await publisher.close()
    return sent, failed
