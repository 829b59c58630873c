"""The router as a service: remote runs come in on `cables/in`, transmissions go out to the posts.

`cableroute replay --remote` (see `replay.engine.submitter`) sends a run as numbered messages:
`RunStart` (0) with the topology to route with and the ledger of the cables it will send, one
`CableSubmission` per cable (1 to N, in the order and with the entry times the local replay uses),
and `RunEnd` (N + 1). The service acknowledges each message it holds on the run's ack topic; the
submitter keeps a window of unacknowledged messages and sends again what is not acknowledged, so a
broker's queue never overflows and nothing is lost without a trace. Messages that arrive twice are
acknowledged again and otherwise ignored.

Cables are routed in their numbered order, each injected into the run's network at its entry time,
so the plans, the order on every circuit and the simulated latencies are those of a local replay
of the same inputs at top speed. At the end the network is drained; `settle` seconds later (time for
the posts to record their receipts) planned deliveries without a receipt are recorded as missing.
Every cable of the ledger that was never routed is recorded as lost before routing, and the run is
then not `ok` but `incomplete`.

Limits: a message over `max_message_bytes` is refused; while the runs hold `max_pending_bytes`
(starts and cables not yet transmitted) a new run is refused and a cable is not acknowledged (the
submitter sends it again later). A run that hears nothing from its submitter for `run_timeout`
seconds is closed as `aborted`. A stop (SIGTERM) ends within `stop_timeout` seconds, whether or
not the broker is reachable; open runs are closed as `interrupted`, and deliveries that could not
be sent are recorded missing with that reason.

Every message is sealed with the deployment's key (`replay.mqtt.wire`): the service's acks and
transmissions, and what it takes in. A message without a valid MAC, or out of bounds, is rejected:
counted in `rejected`, logged, and recorded with its run when the service knows the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import Counter, OrderedDict
from collections.abc import Callable

import msgspec
import structlog

from replay.engine.runs import post_names
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber
from replay.mqtt.topics import (
    CABLES_IN,
    ROUTER_INBOX_CLIENT_ID,
    ROUTER_OUTBOX_CLIENT_ID,
    ack_topic,
    is_valid_ri,
    post_topic,
)
from replay.mqtt.wire import (
    Ack,
    CableSubmission,
    Inbound,
    Refusal,
    RunEnd,
    RunOutcome,
    RunStart,
    UnauthenticatedError,
    WireError,
    claimed_session,
    open_inbound,
    seal,
    seal_transmission,
    text_digest,
    transmission_head_for,
)
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from replay.store.writes import (
    CloseMissing,
    FinishRun,
    RecordCables,
    RecordLost,
    RecordPlans,
    RecordPostNames,
    RecordSent,
    RecordSubmitted,
    StartRun,
)
from router.decoder import decode
from router.deliveries import Sent
from router.network import Network
from router.planner import cable_id_of, plan
from topology.topology import Topology

log = structlog.get_logger()

#: Client ids of the service's two connections (one home: `replay.mqtt.topics`).
INBOX_CLIENT_ID = ROUTER_INBOX_CLIENT_ID
OUTBOX_CLIENT_ID = ROUTER_OUTBOX_CLIENT_ID

#: Reasons recorded for planned deliveries without a receipt.
REMOTE_MISSING_REASON = "not received before the run was closed"
STOPPED_REASON = "not received (the router stopped during the run)"
NOT_SENT_REASON = "not sent: the router stopped while the broker was unreachable"
#: Reason recorded for deliveries to a post that no `cableroute posts` process ever connected.
NEVER_CONNECTED_REASON = "not received (post never connected)"

#: Reasons recorded for cables of the submitter's ledger that were never routed.
LOST_UNSEEN = "lost before routing: never reached the router"
LOST_EXPIRED = "lost before routing: the run expired before it arrived"
LOST_STOPPED = "lost before routing: the router stopped before routing it"

#: Finished runs whose outcome is remembered, to answer an end of run that arrives again.
FINISHED_REMEMBERED = 1_000

#: How often (seconds) the service looks for runs that expired.
EXPIRY_CHECK_S = 1.0


class ServiceLimits(msgspec.Struct, frozen=True, kw_only=True):
    """What the service holds at most, and how long it waits."""

    max_message_bytes: int = 8 * 1024 * 1024
    max_pending_bytes: int = 64 * 1024 * 1024
    run_timeout: float = 300.0
    stop_timeout: float = 10.0


class ServiceCounts(msgspec.Struct, kw_only=True):
    """What the service did since it started."""

    runs: int = 0
    cables: int = 0
    published: int = 0
    oversize: int = 0
    deferred: int = 0
    refused: int = 0
    duplicates: int = 0
    expired: int = 0


class _Rejected(msgspec.Struct, frozen=True):
    """A message that was not a valid sealed one, waiting in the inbox to be counted in order (so
    that it is counted with a run started by a message just before it)."""

    claimed: tuple[str, int] | None
    kind: str


class _Run:
    """One remote run inside the service."""

    def __init__(self, start: RunStart, topology: Topology, fifo: bool, size: int) -> None:
        self.session = start.session
        self.name = start.run
        self.topology = topology
        self.network = Network(topology, fifo=start.fifo or fifo)
        self.ledger = {entry.seq: entry for entry in start.ledger}
        self.next_seq = 1
        self.waiting: dict[int, tuple[CableSubmission, int]] = {}
        self.routed: set[int] = set()
        self.refused: dict[int, str] = {}
        self.cable_ids: set[str] = set()
        self.texts: dict[str, str] = {}
        #: The SHA-256 of each text, computed once for all the posts the cable goes to.
        self.digests: dict[str, bytes] = {}
        self.sizes: dict[str, int] = {}
        self.remaining: dict[str, int] = {}
        self.injected_wall: dict[str, float] = {}
        self.held = size
        self.start_size = size
        self.last_heard = time.monotonic()
        self.planned = 0
        self.published = 0
        #: The posts the run's plans deliver to.
        self.posts: set[str] = set()

    def holds(self, seq: int) -> bool:
        """Whether message `seq` has been taken already (routed, waiting or refused)."""
        return seq in self.routed or seq in self.waiting or seq in self.refused


class _Closing(msgspec.Struct, kw_only=True):
    """A run whose circuits are drained, waiting `settle` seconds before it is finished."""

    name: str
    status: str
    missing_reason: str
    summary: dict[str, object]
    posts: list[str] = []
    done: bool = False


class RouterService:
    """Takes remote runs from `cables/in`, routes them and publishes to the posts."""

    def __init__(
        self,
        broker: BrokerInfo,
        store: AuditStore,
        writer: StoreWriter,
        key: bytes,
        *,
        fifo: bool = False,
        settle: float = 5.0,
        limits: ServiceLimits | None = None,
        connected: Callable[[str], bool] | None = None,
    ) -> None:
        self.broker = broker
        self.store = store
        self.writer = writer
        self.key = key
        self.fifo = fifo
        self.settle = settle
        self.limits = limits or ServiceLimits()
        #: Whether a post has connected (said so by a `posts` process); None when nobody can tell.
        self.connected = connected
        #: Set once the service is subscribed to `cables/in` (and takes what is published there).
        self.listening = asyncio.Event()
        self.counts = ServiceCounts()
        #: Inbox messages rejected, by (the run they name, kind of rejection).
        self.rejected: Counter[tuple[str | None, str]] = Counter()
        self._inbox: asyncio.Queue[tuple[Inbound | _Rejected, int]] = asyncio.Queue()
        self._runs: dict[str, _Run] = {}
        #: Finished runs by session: their name and outcome.
        self._finished: OrderedDict[str, tuple[str, RunOutcome]] = OrderedDict()
        self._held = 0
        self._publisher = Publisher(broker, OUTBOX_CLIENT_ID)
        self._subscriber = Subscriber(INBOX_CLIENT_ID, CABLES_IN, broker, self._take)
        self._closing: dict[asyncio.Task[None], _Closing] = {}
        self._stopped: list[_Closing] = []
        self._stopping = False

    @property
    def held_bytes(self) -> int:
        """Bytes of run starts and cables held right now (queued, waiting or not yet transmitted)."""
        return self._held

    # -- taking messages in (called by the subscriber for each message, must not block) ----------

    def _take(self, payload: bytes) -> None:
        size = len(payload)
        limits = self.limits
        if size > limits.max_message_bytes:
            self.counts.oversize += 1
            reason = f"message of {size} bytes is over the router's limit of {limits.max_message_bytes}"
            log.warning("message refused", reason=reason)
            self._refuse_envelope(payload, reason)
            return
        try:
            message = open_inbound(payload, self.key)
        except WireError as error:
            kind = "unauthenticated" if isinstance(error, UnauthenticatedError) else "malformed"
            self._inbox.put_nowait((_Rejected(claimed_session(payload), kind), 0))
            return
        if self._held + size > limits.max_pending_bytes:
            held = f"the router holds {self._held} bytes of open runs (limit {limits.max_pending_bytes})"
            if isinstance(message, RunStart):
                self._refuse(message.session, 0, f"run not started: {held}; try again later")
                return
            if isinstance(message, CableSubmission):
                self.counts.deferred += 1  # not acknowledged: the submitter sends it again later
                log.warning("cable deferred", run_session=message.session, seq=message.seq, reason=held)
                return
        self._held += size
        self._inbox.put_nowait((message, size))

    def _refuse_envelope(self, payload: bytes, reason: str) -> None:
        """Refuse a message taken apart only as far as its session and number (unchecked: the
        answer goes to the ack topic of the session it names, sealed, and says only why)."""
        claimed = claimed_session(payload)
        if claimed is not None:
            with contextlib.suppress(ValueError):
                self._refuse(*claimed, reason)

    def _record_rejected(self, run: str | None, kind: str) -> None:
        """Count a rejected message and record it with its run (when known). The 1st, 10th, 100th, …
        of a kind for a run are logged (a flood does not flood the log)."""
        self.rejected[(run, kind)] += 1
        count = self.rejected[(run, kind)]
        if count == 10 ** (len(str(count)) - 1):
            log.warning(
                "message on cables/in rejected", run=None if run is None else run[:80], kind=kind, count=count
            )
        if run is not None:
            self.writer.submit_rejected(run, kind)

    def _refuse(self, session: str, seq: int, reason: str) -> None:
        self.counts.refused += 1
        run = self._runs.get(session)
        if run is not None and seq:
            run.refused[seq] = reason
        self._ack(session, refused=[Refusal(seq, reason)])

    def _ack(
        self,
        session: str,
        seqs: list[int] | None = None,
        refused: list[Refusal] | None = None,
        outcome: RunOutcome | None = None,
    ) -> None:
        ack = Ack(session=session, seqs=seqs or [], refused=refused or [], outcome=outcome)
        self._publisher.publish(ack_topic(session), seal(ack, self.key))

    # -- the service -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        """Serve until `stop` is set; then close open runs, within `stop_timeout` seconds."""
        await self._publisher.start()
        await self._subscriber.start()
        self.listening.set()
        log.info("router service listening", broker=self.broker.url, topic=CABLES_IN)
        if ready is not None:
            ready.set()
        worker = asyncio.create_task(self._serve(), name="router-service")
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if worker.done():
                worker.result()  # an error in the service ends it
        finally:
            stopping.cancel()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await self._shutdown()

    async def _serve(self) -> None:
        next_check = time.monotonic() + EXPIRY_CHECK_S
        while True:
            try:
                message, size = await asyncio.wait_for(self._inbox.get(), EXPIRY_CHECK_S)
            except TimeoutError:
                message = None
            if message is not None:
                try:
                    await self._handle(message, size)
                finally:  # counted as queued until handled: what it became is counted by then
                    self._held -= size
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + EXPIRY_CHECK_S
                await self._expire()

    async def _handle(self, message: Inbound | _Rejected, size: int) -> None:
        if isinstance(message, _Rejected):  # counted with its run when the service knows the run
            known = self._runs.get(message.claimed[0]) if message.claimed is not None else None
            self._record_rejected(known.name if known is not None else None, message.kind)
            return
        if isinstance(message, RunStart):
            await self._start(message, size)
            return
        run = self._runs.get(message.session)
        if run is None:
            finished = self._finished.get(message.session)
            if finished is None:
                self._refuse(message.session, message.seq, "unknown run: not started on this router")
            elif isinstance(message, RunEnd):
                self.counts.duplicates += 1
                self._ack(message.session, [message.seq], outcome=finished[1])
            else:
                self._record_rejected(finished[0], "after_finish")
                self._refuse(message.session, message.seq, f"the run {finished[0]!r} has finished")
            return
        run.last_heard = time.monotonic()
        if isinstance(message, RunEnd):
            await self._close(run, "end", end_seq=message.seq)
            return
        if run.holds(message.seq):
            self.counts.duplicates += 1
            if message.seq in run.refused:
                self._ack(run.session, refused=[Refusal(message.seq, run.refused[message.seq])])
            else:
                self._ack(run.session, [message.seq])
            return
        if message.seq not in run.ledger:
            self._refuse(run.session, message.seq, "not in the run's ledger")
            return
        run.waiting[message.seq] = (message, size)
        run.held += size
        self._held += size
        self._ack(run.session, [message.seq])
        while run.next_seq in run.waiting or run.next_seq in run.refused:
            if run.next_seq in run.waiting:
                await self._route(run, *run.waiting.pop(run.next_seq))
            run.next_seq += 1

    async def _start(self, start: RunStart, size: int) -> None:
        if start.session in self._runs or start.session in self._finished:
            self.counts.duplicates += 1
            self._ack(start.session, [0])
            return
        if self.store.has_run(start.run):
            if self.store.run_finished(start.run):
                self._record_rejected(start.run, "after_finish")
            self._refuse(start.session, 0, f"run not started: a run named {start.run!r} already exists")
            return
        try:
            topology = Topology.from_image(start.topology)
        except (ValueError, TypeError) as error:
            self._refuse(start.session, 0, f"run not started: unusable topology: {error}")
            return
        options = {"service": True, "remote": True, "broker": self.broker.url, "session": start.session}
        options["fifo"] = start.fifo or self.fifo
        options["topology"] = f"{len(topology.posts)} posts, {len(topology.collectives)} collectives"
        await asyncio.wrap_future(self.writer.submit(StartRun(start.run, "replay", options)))
        self.writer.submit(RecordPostNames(start.run, post_names(topology)))
        ledger = [(entry.seq, entry.cable_id, entry.source) for entry in start.ledger]
        self.writer.submit(RecordSubmitted(start.run, ledger))
        run = _Run(start, topology, self.fifo, size)
        self._held += size
        self._runs[start.session] = run
        self.counts.runs += 1
        self._ack(start.session, [0])
        log.info("remote run started", run=start.run, cables=len(start.ledger))

    async def _route(self, run: _Run, submission: CableSubmission, size: int) -> None:
        """Decode, plan and record one cable, and inject it into the run's network at its time."""
        cable = decode(submission.text, submission.source)
        cable_id = cable_id_of(cable)
        if cable_id in run.cable_ids:
            run.refused[submission.seq] = f"lost before routing: cable id {cable_id} came twice in the run"
            self._release(run, size)
            return
        run.cable_ids.add(cable_id)
        run.routed.add(submission.seq)
        result = plan(cable, run.topology)
        run.posts.update(delivery.post for delivery in result.deliveries)
        self.writer.submit(RecordCables(run.name, [cable]))
        self.writer.submit(RecordPlans(run.name, [result]))
        network = run.network
        await self._publish(run, network.advance(submission.at))
        run.planned += len(result.deliveries)
        if result.deliveries:
            run.texts[cable_id] = submission.text
            run.digests[cable_id] = text_digest(submission.text)
            run.sizes[cable_id] = size
            run.remaining[cable_id] = len(result.deliveries)
            run.injected_wall[cable_id] = time.time()
            network.inject(result, cable.size, submission.at)
        else:
            self._release(run, size)
        self.counts.cables += 1

    def _release(self, run: _Run, size: int) -> None:
        run.held -= size
        self._held -= size

    async def _publish(self, run: _Run, sent: list[Sent], deadline: float | None = None) -> None:
        """Publish completed transmissions; wait while the broker has too much unacknowledged (until
        `deadline`, a `time.monotonic()` value, when given)."""
        if not sent:
            return
        now = time.time()
        for s in sent:
            cable_id = s.cable_id
            if is_valid_ri(s.post):
                text = run.texts.get(cable_id, "")
                head = transmission_head_for(
                    s,
                    run=run.name,
                    digest=run.digests.get(cable_id) or text_digest(text),
                    scheduled_wall=run.injected_wall.get(cable_id, now),
                    transmitted_wall=now,
                    speed=0.0,
                )
                self._publisher.publish(post_topic(s.post), seal_transmission(head, text, self.key))
                run.published += 1
                self.counts.published += 1
            left = run.remaining.get(cable_id, 0) - 1
            if left > 0:
                run.remaining[cable_id] = left
            elif cable_id in run.remaining:
                del run.remaining[cable_id], run.texts[cable_id], run.injected_wall[cable_id]
                run.digests.pop(cable_id, None)
                self._release(run, run.sizes.pop(cable_id))
        self.writer.submit(RecordSent(run.name, sent))
        if deadline is None:
            await self._publisher.wait_for_room()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._publisher.wait_for_room(), max(0.0, deadline - time.monotonic()))

    # -- closing runs ------------------------------------------------------------------------------

    async def _close(self, run: _Run, why: str, deadline: float | None = None, end_seq: int = 0) -> None:
        """Route what is waiting, drain the network, record what was lost before routing, answer the
        submitter (its end of run was `end_seq`) and finish the run after `settle` seconds (when
        stopping: once the stop has flushed what it can).

        `why` is "end" (the submitter's end of run), "expired" or "stopped"."""
        del self._runs[run.session]
        if why != "stopped":
            for seq in sorted(run.waiting):
                await self._route(run, *run.waiting.pop(seq))
        await self._publish(run, run.network.drain(), deadline)
        lost_reason = {"end": LOST_UNSEEN, "expired": LOST_EXPIRED, "stopped": LOST_STOPPED}[why]
        lost = [
            (seq, run.refused.get(seq, lost_reason)) for seq in sorted(run.ledger) if seq not in run.routed
        ]
        if lost:
            self.writer.submit(RecordLost(run.name, lost))
        if why == "end":
            status = "incomplete" if lost else "ok"
        else:
            status = "aborted" if why == "expired" else "interrupted"
        outcome = RunOutcome(
            status=status,
            routed=len(run.routed),
            lost=len(lost),
            planned=run.planned,
            published=run.published,
        )
        self._finished[run.session] = (run.name, outcome)
        while len(self._finished) > FINISHED_REMEMBERED:
            self._finished.popitem(last=False)
        if why == "end":
            self._ack(run.session, [end_seq], outcome=outcome)
        self._release(run, run.held)
        summary: dict[str, object] = {
            "submitted": len(run.ledger),
            "routed": len(run.routed),
            "lost_before_routing": len(lost),
            "planned": run.planned,
            "published": run.published,
        }
        if why == "expired":
            summary["reason"] = f"no end of run from the submitter within {self.limits.run_timeout:g} s"
            self.counts.expired += 1
        elif why == "stopped":
            summary["reason"] = "the router stopped during the run"
        missing_reason = STOPPED_REASON if why == "stopped" else REMOTE_MISSING_REASON
        closing = _Closing(
            name=run.name,
            status=status,
            missing_reason=missing_reason,
            summary=summary,
            posts=sorted(run.posts),
        )
        log.info("remote run closed", run=run.name, status=status, routed=len(run.routed), lost=len(lost))
        if why == "stopped":
            self._stopped.append(closing)
            return
        task = asyncio.create_task(self._finish_later(closing))
        self._closing[task] = closing
        task.add_done_callback(lambda done: self._closing.pop(done, None))

    async def _finish_later(self, closing: _Closing) -> None:
        await asyncio.sleep(self.settle)
        await self._publisher.flush(self.settle)
        await self._finish(closing)

    async def _finish(self, closing: _Closing) -> None:
        """Record the run's missing deliveries and finish it in the store (once)."""
        if closing.done:
            return
        closing.done = True
        reason = closing.missing_reason
        if self._stopping and self._publisher.pending:
            reason = NOT_SENT_REASON
        connected = self.connected
        never = [post for post in closing.posts if not connected(post)] if connected is not None else []
        if never:
            log.warning("posts never connected; their deliveries are missing", run=closing.name, posts=never)
            await asyncio.wrap_future(
                self.writer.submit(CloseMissing(closing.name, NEVER_CONNECTED_REASON, never))
            )
        missing = await asyncio.wrap_future(self.writer.submit(CloseMissing(closing.name, reason)))
        summary = {**closing.summary, "missing": missing, "never_connected": never}
        await asyncio.wrap_future(self.writer.submit(FinishRun(closing.name, closing.status, summary)))

    async def _expire(self) -> None:
        """Close runs that heard nothing from their submitter for `run_timeout` seconds."""
        cutoff = time.monotonic() - self.limits.run_timeout
        for run in [run for run in self._runs.values() if run.last_heard < cutoff]:
            log.warning("remote run expired", run=run.name, timeout=self.limits.run_timeout)
            await self._close(run, "expired")

    async def _shutdown(self) -> None:
        """Close every open run and disconnect, within `stop_timeout` seconds."""
        self._stopping = True
        deadline = time.monotonic() + self.limits.stop_timeout

        def left() -> float:
            return max(0.0, deadline - time.monotonic())

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscriber.stop(), left())
        for run in list(self._runs.values()):
            await self._close(run, "stopped", deadline)
        settling = [task for task, closing in self._closing.items() if not closing.done]
        if settling:
            await asyncio.wait(settling, timeout=left())
        if self._publisher.online:
            await self._publisher.flush(min(left(), self.settle))
        for task, closing in list(self._closing.items()):
            if closing.done:  # finishing right now: let it
                await asyncio.wait({task}, timeout=left())
            else:
                task.cancel()
                await self._finish(closing)
        for closing in self._stopped:
            await self._finish(closing)
        if self._publisher.pending:
            log.warning(
                "stopping with transmissions the broker never acknowledged", pending=self._publisher.pending
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._publisher.close(timeout=left()), left() + 1.0)


def print_ready(service: str, broker: BrokerInfo, detail: str) -> None:
    """The line a service prints on standard error once it is ready."""
    print(f"cableroute {service}: ready on {broker.url}: {detail}", file=sys.stderr, flush=True)
