"""The broker replay: a corpus through a real MQTT broker, every post its own subscriber.

1. Read and decode the inputs (a cable id seen before is skipped), record the cables: the same pass 1
   as the simulator's (`replay.engine.ingest`), keeping each cable's text to publish.
2. Build the topology, order the cables (filing time, DTG, precedence, position), plan each one and
   record the plans. Start one `PostClient` per planned post and the publisher.
3. Walk simulated time: inject each cable into the network at its time, and publish every
   transmission the circuits complete to its post's topic when its paced wall-clock time comes.
   `--offline` windows disconnect a post (after it has everything sent to it before the window)
   and reconnect it to its persistent session when the window ends.
4. Wait until every published delivery is received or dropped (or the timeout), then record drops
   and every planned delivery without a receipt as missing.

If the broker goes away, the publisher reconnects and sends again what it had not had acknowledged;
once the posts are back, every delivery published but not yet received is sent again, so nothing
the broker lost with its memory is lost for the run. Posts count what arrives twice. On a clustered
broker (several nodes) the posts are spread over the nodes; a client whose node goes away moves to
the next one and resumes its session there, and the cluster keeps what it acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import msgspec
import structlog

from replay.engine.ingest import Ingest, entry_time
from replay.engine.pacing import Pacer
from replay.engine.posts import PostGroup, ReceiptRecorder
from replay.engine.receipt_writer import ReceiptWriter
from replay.engine.runs import RunOptions, RunSummary, post_names
from replay.inputs.corpus import CableText, ReadError
from replay.mqtt.access import ClientAccess, run_access
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import is_valid_ri, post_topic, run_client_prefix, run_publisher_id
from replay.mqtt.wire import seal_transmission, text_digest, transmission_head_for
from replay.store.rows import CableRow
from replay.store.store import StoreError
from replay.store.writer import StoreWriter
from replay.store.writes import (
    CloseMissing,
    RecordCableRows,
    RecordCircuitStats,
    RecordDrops,
    RecordPlans,
    RecordPostNames,
    RecordRejected,
    RecordSent,
)
from router.circuit import merge_windows
from router.compact import unpack
from router.deliveries import Plan, Sent
from router.load import LoadClock
from router.model import Cable
from router.network import Network, depth_slices
from router.order import entry_times
from router.planner import cable_id_of, plan
from topology.topology import Topology

log = structlog.get_logger()

TopologyFactory = Callable[[Iterable[Cable]], Topology]

#: Reason recorded for deliveries that never reached a post that stayed offline.
OFFLINE_REASON = "not received (post offline)"
#: Reason recorded for other deliveries without a receipt when the run ends.
TIMEOUT_REASON = "not received before the end of the run"
#: Reason recorded when the run was interrupted.
INTERRUPTED_REASON = "not received (run interrupted)"

#: Messages published between two looks at the event loop and the flow window.
PUBLISH_CHUNK = 500
#: Deliveries allowed in flight to online posts (published, not yet received) before publishing waits.
FLOW_WINDOW = 20_000
#: Cables and plans recorded per store call.
RECORD_CHUNK = 2_000
#: Planned deliveries from which receipts are written by a child process (`ReceiptWriter`) rather than
#: the run's writer thread: starting the child costs about 0.2 s, and from some thousands of deliveries
#: on it pays (the thread holds the event loop's interpreter lock while it builds and binds rows).
RECEIPT_PROCESS_FROM = 5_000


class ReplayOptions(RunOptions, kw_only=True):
    """How a replay runs: the common what-if settings, pacing (`speed=None` is top speed) and the
    time allowed for the last receipts."""

    record_sent: bool = True
    speed: float | None = None
    max_gap: float | None = None
    timeout: float = 30.0


class ReplaySummary(RunSummary, kw_only=True):
    """What a replay did (also stored as the run's summary)."""

    broker: str = ""
    status: str = "running"
    posts: int = 0
    published: int = 0
    published_bytes: int = 0
    duplicates: int = 0
    unusable_posts: list[str] = msgspec.field(default_factory=list)
    resent: int = 0
    reconnects: int = 0
    foreign: int = 0
    rejected: dict[str, int] = msgspec.field(default_factory=dict)
    replay_s: float = 0.0
    deliveries_per_s: float = 0.0


class ReplayProgress(msgspec.Struct, kw_only=True):
    """A progress report: cables injected so far (of all), deliveries published and received."""

    cables: int
    cables_total: int
    published: int
    received: int


class DeliveryLedger:
    """Deliveries published and not yet received or dropped, per post."""

    def __init__(self) -> None:
        self.outstanding: dict[tuple[str, str], Sent] = {}
        self.per_post: Counter[str] = Counter()
        #: Posts disconnected on purpose right now (their deliveries wait in the broker).
        self.offline: set[str] = set()
        self.published = 0
        self.handled = 0

    def sent(self, sent: Sent) -> None:
        """A delivery was published for the first time."""
        key = (sent.cable_id, sent.post)
        if key not in self.outstanding:
            self.outstanding[key] = sent
            self.per_post[sent.post] += 1
            self.published += 1

    def done(self, cable_id: str, post: str) -> None:
        """A delivery was received or dropped (called once per delivery)."""
        if self.outstanding.pop((cable_id, post), None) is not None:
            self.per_post[post] -= 1
            self.handled += 1

    def is_drained(self, post: str) -> bool:
        """Whether nothing sent to `post` is outstanding."""
        return self.per_post[post] == 0

    def in_flight(self) -> int:
        """Outstanding deliveries to posts that are online."""
        waiting = sum(self.per_post[post] for post in self.offline)
        return len(self.outstanding) - waiting


async def poll_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.001
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.02)
    return True


class Replayer:
    """One replay of a corpus through a broker, recorded through a `StoreWriter`.

    Call `await run(items, topology_factory)` once; `summary` holds the figures (also after an
    interruption, when `summary.status` is "interrupted").

    Transmissions are sealed with `key` (by default one made for this run alone), and the posts take
    only what that key seals: whatever else reaches their topics is rejected, counted and recorded
    with the run. The run's MQTT clients have client ids of their own (`client_prefix`, by default
    made for this run), so several runs can share one broker. `start_broker(clients)`, when given,
    is called (in a thread) once the run knows its clients, before any of them connects: a private
    broker is started then, admitting those clients only.
    """

    def __init__(
        self,
        writer: StoreWriter,
        run: str,
        broker: BrokerInfo,
        options: ReplayOptions | None = None,
        progress: Callable[[ReplayProgress], None] | None = None,
        *,
        key: bytes | None = None,
        client_prefix: str | None = None,
        start_broker: Callable[[list[ClientAccess]], object] | None = None,
    ) -> None:
        self.writer = writer
        self.run_name = run
        self.broker = broker
        self.key = key or secrets.token_bytes(32)
        self.client_prefix = client_prefix or run_client_prefix()
        self.start_broker = start_broker
        self.options = options or ReplayOptions()
        self.progress = progress or (lambda report: None)
        self.summary = ReplaySummary(run=run, broker=broker.url)
        self.read_errors: list[ReadError] = []
        self.ledger = DeliveryLedger()
        self.pacer = Pacer(self.options.speed, self.options.max_gap)
        self._recorder = ReceiptRecorder(
            run,
            writer,
            self.key,
            lossy=self.options.lossy,
            seed=self.options.seed,
            on_handled=self.ledger.done,
        )
        self._cable_ids: list[str] = []
        self._texts: dict[str, str] = {}
        #: The SHA-256 of each cable's text, computed once for all the posts it goes to.
        self._digests: dict[str, bytes] = {}
        self._injected_wall: dict[str, float] = {}
        self._topics: dict[str, str] = {}
        self._sent_batch: list[Sent] = []
        self._faults: list[tuple[float, bool, str]] = []
        self._posts: PostGroup | None = None
        self._receipt_writer: ReceiptWriter | None = None
        self._publisher: Publisher | None = None
        self._network: Network | None = None
        self._injected = 0
        self._total = 0
        self._last_report = 0.0
        self._started_publishing: float | None = None

    @property
    def cable_ids(self) -> list[str]:
        """The ids of the cables replayed, in replay order (known once the run has read them)."""
        return self._cable_ids

    # -- reading and planning ----------------------------------------------------------------------

    def _read(
        self, items: Iterable[CableText | ReadError], topology_factory: TopologyFactory
    ) -> tuple[list[Cable], list[float | None], Topology]:
        """Pass 1, shared with the simulator (`replay.engine.ingest`): decode every input, record the
        cables, skip ids seen before, keep the texts. Returns the cables in replay order (the compact
        form planning needs), their times, and the topology made from them as they were read."""
        keys: list[tuple[int, float, float, int, int]] = []
        packed: list[bytes] = []
        with Ingest(self._record_cable_rows, workers=1, keep_texts=True) as ingest:
            stream = _kept(ingest.run(items, keys), packed)
            topology = topology_factory(unpack(data) for data in stream)
            for _ in stream:  # whatever the factory did not consume
                pass
        ingest.report(self.summary)
        self.read_errors = ingest.read_errors
        self._texts = ingest.texts
        order = sorted(range(len(packed)), key=keys.__getitem__)
        return (
            [unpack(packed[index]) for index in order],
            [entry_time(keys[index]) for index in order],
            topology,
        )

    def _record_cable_rows(self, rows: list[CableRow]) -> None:
        """Hand the rows of decoded cables to the store writer."""
        self.writer.submit(RecordCableRows(self.run_name, rows))

    def _plan(self, cables: Sequence[Cable], topology: Topology) -> list[Plan]:
        """Plan every cable (in replay order) and record the plans."""
        plans = [plan(cable, topology) for cable in cables]
        summary = self.summary
        for start in range(0, len(plans), RECORD_CHUNK):
            self.writer.submit(RecordPlans(self.run_name, plans[start : start + RECORD_CHUNK]))
        for result in plans:
            summary.planned += len(result.deliveries)
            summary.other_means += len(result.other_means)
            summary.unresolved += len(result.unresolved)
            summary.exempted += len(result.exempted)
        return plans

    def _posts_of(self, plans: Iterable[Plan]) -> list[str]:
        """Every post some plan delivers to and that can have a topic (others end up missing)."""
        posts = {delivery.post for result in plans for delivery in result.deliveries}
        unusable = sorted(post for post in posts if not is_valid_ri(post))
        if unusable:
            log.warning(
                "posts without a usable routing indicator; their deliveries will be missing", posts=unusable
            )
        self.summary.unusable_posts = unusable
        usable = sorted(posts - set(unusable))
        self._topics = {post: post_topic(post) for post in usable}
        return usable

    def _fault_schedule(self, posts: Iterable[str]) -> list[tuple[float, bool, str]]:
        """(time, up?, post) for the start and end of every offline window, latest first (a stack).

        At equal times a post goes down before it comes up, and both happen before transmissions
        completing at that time are published.
        """
        known = set(posts)
        events: list[tuple[float, bool, str]] = []
        for post, windows in self.options.offline.items():
            if post not in known or windows is None:
                continue
            for start, end in merge_windows(windows):
                events.append((start, False, post))
                events.append((end, True, post))
        events.sort(reverse=True)
        return events

    @property
    def posts(self) -> PostGroup | None:
        """The post clients, once the run has made them."""
        return self._posts

    # -- the run ---------------------------------------------------------------------------------

    async def run(
        self, items: Iterable[CableText | ReadError], topology_factory: TopologyFactory
    ) -> ReplaySummary:
        """Read, plan, replay through the broker and record; returns the summary."""
        started = time.perf_counter()
        summary = self.summary
        ordered, times, topology = self._read(items, topology_factory)
        self.writer.submit(RecordPostNames(self.run_name, post_names(topology)))
        self._cable_ids = [cable_id_of(cable) for cable in ordered]
        summary.cables = len(ordered)
        self._total = len(ordered)
        plans = self._plan(ordered, topology)
        clock = LoadClock(self.options.load)
        schedule = [(_at(clock, moment), cable.size) for moment, cable in zip(times, ordered, strict=True)]
        del ordered  # the plans, sizes and texts are all the replay needs from here
        posts = self._posts_of(plans)
        summary.posts = len(posts)
        self._faults = self._fault_schedule(posts)
        options = self.options
        timed = [at for at, _ in schedule if at is not None]
        depth_from, depth_every = depth_slices(min(timed), max(timed)) if timed else depth_slices(None, None)
        self._network = Network(
            topology,
            fifo=options.fifo,
            link_cps=options.link_cps,
            default_cps=options.default_cps,
            depth_from=depth_from,
            depth_every=depth_every,
        )
        self._posts = PostGroup(posts, self.broker, self._recorder, client_prefix=self.client_prefix)
        self._publisher = Publisher(self.broker, run_publisher_id(self.client_prefix))
        self._publisher.on_reconnect.append(self._after_reconnect)
        never_online = [
            post for post, windows in options.offline.items() if windows is None and post in self._posts
        ]
        reason = TIMEOUT_REASON
        try:
            if self.start_broker is not None:
                await asyncio.to_thread(self.start_broker, run_access(self.client_prefix, posts))
            await self._publisher.start()  # one connection first: a broker that refuses us fails fast
            await self.writer.aflush()  # the cables and plans, before any receipt
            if summary.planned >= RECEIPT_PROCESS_FROM:
                self._receipt_writer = ReceiptWriter(self.writer.path)
                self._recorder.hand_to(self._receipt_writer)
            await self._posts.start(offline=never_online)
            self.ledger.offline.update(never_online)
            self._started_publishing = time.perf_counter()
            await self._replay(schedule, plans)
            await self._wait_for_receipts()
            summary.status = "ok"
        except asyncio.CancelledError:
            summary.status = "interrupted"
            reason = INTERRUPTED_REASON
            raise
        finally:
            await self._finish(reason, started)
        return summary

    async def _replay(self, schedule: Sequence[tuple[float | None, int]], plans: Sequence[Plan]) -> None:
        """Inject every cable at its time (`entry_times`: cables without one, which come last, when the
        last timed one entered, as in the simulator) and publish what the circuits complete, paced. `schedule`
        holds (time, size) per cable."""
        network = self._network
        assert network is not None
        summary = self.summary
        times = entry_times(time_of_cable for time_of_cable, _ in schedule)
        for (time_of_cable, size), at, result in zip(schedule, times, plans, strict=True):
            if time_of_cable is None:
                summary.untimed += 1
            elif summary.first_time is None:
                summary.first_time = at
            await self._run_until(at)
            self.pacer.note(at)
            self._injected_wall[result.cable_id] = time.time()
            network.inject(result, size, at)
            self._injected += 1
        await self._run_until(math.inf)
        if math.isfinite(network.now):
            summary.last_time = network.now
        self._report(force=True)

    async def _run_until(self, limit: float) -> None:
        """Handle every offline-window edge and completed transmission up to `limit`, in time order."""
        network = self._network
        assert network is not None
        faults = self._faults
        pacer = self.pacer
        while True:
            upcoming = network.next_event()
            fault_at = faults[-1][0] if faults else None
            if fault_at is not None and fault_at <= limit and (upcoming is None or fault_at <= upcoming):
                await pacer.wait_until(fault_at)
                await self._apply_faults(fault_at)
                continue
            if upcoming is None or upcoming > limit:
                return
            await pacer.wait_until(upcoming)
            horizon = min(limit, pacer.horizon())
            if fault_at is not None and fault_at <= horizon:
                horizon = math.nextafter(fault_at, -math.inf)
            await self._publish(network.advance(max(horizon, upcoming)))

    async def _apply_faults(self, at: float) -> None:
        """Take posts offline or bring them back, for every window edge at `at`."""
        faults = self._faults
        posts = self._posts
        assert posts is not None
        while faults and faults[-1][0] == at:
            _, up, post = faults.pop()
            if up:
                self._recorder.online_since[post] = at
                self.ledger.offline.discard(post)
                await posts[post].go_online()
            else:
                await poll_until(partial(self.ledger.is_drained, post), self.options.timeout)
                await posts[post].go_offline()
                self.ledger.offline.add(post)

    async def _publish(self, sent: list[Sent]) -> None:
        """Publish completed transmissions to their posts and keep track of them."""
        if not sent:
            return
        note = self.pacer.note
        summary = self.summary
        for s in sent:
            note(s.transmitted_at)
            if s.interruptions:
                summary.interrupted += 1
        await self._send(sent, track=True)
        summary.published = self.ledger.published
        if self.options.record_sent:
            self._sent_batch.extend(sent)
            if len(self._sent_batch) >= RECORD_CHUNK * 5:
                self._record_sent()

    def _record_sent(self, *, check: bool = True) -> None:
        """Hand the completed transmissions kept so far to the receipt writer (or the run's writer);
        with `check`, `StoreError` when the receipt writer has stopped (the run cannot be recorded)."""
        if self._receipt_writer is not None:
            self._receipt_writer.submit_sent(self.run_name, self._sent_batch)
            if check:
                self._receipt_writer.check()
        else:
            self.writer.submit(RecordSent(self.run_name, self._sent_batch))
        self._sent_batch = []

    async def _send(self, sent: Sequence[Sent], *, track: bool) -> None:
        """Publish transmissions a chunk at a time, keeping within the flow window; with `track`,
        enter them in the ledger (not when sending again)."""
        publisher = self._publisher
        assert publisher is not None
        topics = self._topics
        texts = self._texts
        digests = self._digests
        injected = self._injected_wall
        ledger = self.ledger
        run = self.run_name
        key = self.key
        speed = self.options.speed or 0.0
        for start in range(0, len(sent), PUBLISH_CHUNK):
            now = time.time()
            for s in sent[start : start + PUBLISH_CHUNK]:
                topic = topics.get(s.post)
                if topic is None:
                    continue
                cable_id = s.cable_id
                text = texts.get(cable_id, "")
                digest = digests.get(cable_id)
                if digest is None:
                    digest = digests[cable_id] = text_digest(text)
                head = transmission_head_for(
                    s,
                    run=run,
                    digest=digest,
                    scheduled_wall=injected.get(cable_id, now),
                    transmitted_wall=now,
                    speed=speed,
                )
                publisher.publish(topic, seal_transmission(head, text, key))
                if track:
                    ledger.sent(s)
            await self._breathe()

    async def _breathe(self) -> None:
        """Let the event loop move messages; wait while too much is unacknowledged or in flight."""
        publisher = self._publisher
        assert publisher is not None
        await asyncio.sleep(0)
        if publisher.pending >= publisher.high_water:
            await publisher.wait_for_room()
        ledger = self.ledger
        if ledger.in_flight() > FLOW_WINDOW:
            await poll_until(lambda: ledger.in_flight() <= FLOW_WINDOW // 2, self.options.timeout)
        self._report()

    async def _wait_for_receipts(self) -> None:
        """Wait until every delivery to an online post is received or dropped, or the timeout."""
        ledger = self.ledger
        if not await poll_until(lambda: ledger.in_flight() == 0, self.options.timeout):
            log.warning("timed out waiting for receipts", outstanding=ledger.in_flight())

    def _after_reconnect(self) -> None:
        """The broker came back: once the posts are back too, send again what is not received.

        Not on a clustered broker: a node that goes away leaves what the cluster acknowledged on
        the other nodes, and sending it all again would only make duplicates.
        """
        if not self.broker.other_nodes:
            asyncio.get_running_loop().create_task(self._resend_outstanding())

    async def _resend_outstanding(self) -> None:
        posts = self._posts
        publisher = self._publisher
        assert posts is not None and publisher is not None
        expected = [post for post in posts.posts.values() if post.ri not in self.ledger.offline]
        await poll_until(lambda: all(post.online for post in expected), self.options.timeout)
        again = list(self.ledger.outstanding.values())
        log.warning("broker restarted; sending again what was not received", deliveries=len(again))
        await self._send(again, track=False)
        self.summary.resent += len(again)

    async def _finish(self, reason: str, started: float) -> None:
        """Stop the clients and record drops and missing deliveries, whatever happened."""
        summary = self.summary
        recorder = self._recorder
        if self._posts is not None:
            await self._posts.stop(forget_sessions=True)
        if self._publisher is not None:
            await self._publisher.close(timeout=1.0)
            summary.resent += self._publisher.resent
            summary.reconnects = self._publisher.reconnects
            summary.published_bytes = self._publisher.published_bytes
        recorder.flush()
        writer = self.writer
        if self._sent_batch:
            self._record_sent(check=False)
        receipts_failed: StoreError | None = None
        if self._receipt_writer is not None:  # everything it has is written before missing is closed
            try:
                await asyncio.to_thread(self._receipt_writer.close)
            except StoreError as error:
                log.error("receipts not all recorded", error=str(error))
                receipts_failed = error
        if self._network is not None:
            writer.submit(RecordCircuitStats(self.run_name, self._network.stats()))
        if recorder.drops:
            writer.submit(RecordDrops(self.run_name, [(cable, post) for _, cable, post in recorder.drops]))
        summary.rejected = recorder.rejected_by_kind()
        if summary.rejected:
            log.warning("messages rejected", **summary.rejected)
            writer.submit(RecordRejected(self.run_name, summary.rejected))
        missing_posts = {post for _, post in self.ledger.outstanding}
        if reason == TIMEOUT_REASON and missing_posts and missing_posts <= self.ledger.offline:
            reason = OFFLINE_REASON
        future = writer.submit(CloseMissing(self.run_name, reason))
        with contextlib.suppress(Exception):
            summary.missing = await asyncio.wrap_future(future)
        if self._started_publishing is not None:  # every receipt is in the store by now
            summary.replay_s = time.perf_counter() - self._started_publishing
        summary.received = recorder.received
        self._report(force=True)  # the last frame shows the final figures
        summary.duplicates = recorder.duplicates
        summary.dropped = len(recorder.drops)
        summary.foreign = recorder.foreign
        summary.published = self.ledger.published
        summary.wall_s = time.perf_counter() - started
        if summary.replay_s > 0:
            summary.deliveries_per_s = summary.received / summary.replay_s
        if receipts_failed is not None:
            raise receipts_failed

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_report >= 0.2:
            self._last_report = now
            self.progress(
                ReplayProgress(
                    cables=self._injected,
                    cables_total=self._total,
                    published=self.ledger.published,
                    received=self._recorder.received,
                )
            )


def _at(clock: LoadClock, moment: float | None) -> float | None:
    """A cable's time in the run (None stays None: the cable has no time)."""
    return None if moment is None else clock(moment)


def options_record(options: ReplayOptions, paths: Sequence[str], broker: BrokerInfo) -> dict[str, Any]:
    """The run's options as stored with it (plain JSON types; no password)."""
    return {"inputs": list(paths), "broker": broker.url, **msgspec.to_builtins(options)}


def _kept(stream: Iterator[bytes], packed: list[bytes]) -> Iterator[bytes]:
    """The packed cables of pass 1 as they come, each also kept in `packed`."""
    for data in stream:
        packed.append(data)
        yield data
