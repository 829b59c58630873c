"""The virtual-time simulator: the replay's plans and circuits on a discrete-event clock, no broker.

Two passes, so that a corpus of Cablegate size fits in memory:

1. Stream the inputs: decode each cable (on worker processes, see `replay.engine.ingest`) and record it in
   the audit store, in input order, and keep only its replay key and a compact packed form
   (`router.compact`). The cables also go through the topology factory once (the default topology
   learns from them).
2. In replay order (filing time, DTG, precedence, position): plan each cable, record the plan,
   advance the network to the cable's time, and inject it. Every completed transmission becomes a
   receipt (or a drop for a lossy post, or nothing for a post that stays offline); at the end the
   planned deliveries without a receipt are recorded as missing.

Store writes of both passes go to a `StoreProcess`, so that SQLite works beside the decoding and the
network; cables go there as plain rows (`AuditStore.record_cable_rows`), planned deliveries and receipts
as rows of small integer codes and times (`AuditStore.record_rows`, `RowCoder`).

Faults: `lossy` posts drop the share of deliveries `router.faults.is_dropped` picks (the broker replay
uses the same function); `offline` posts receive what reaches them during a window when the window
ends (a persistent session), and nothing at all when offline without a window.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import msgspec
import structlog

from replay.engine.ingest import Ingest
from replay.engine.runs import RunOptions, RunSummary, Window, post_names
from replay.gcpause import cycle_collection_paused
from replay.inputs.corpus import CableText, CsvSlice, ReadError
from replay.store.process import StoreProcess
from replay.store.rows import ROLE_CODES, DeliveryRow, ReceiptRow, RowCoder
from replay.store.store import AuditStore
from router.circuit import CircuitStats
from router.compact import unpack
from router.deliveries import Plan, Sent
from router.faults import is_dropped, receipt_time
from router.load import LoadClock
from router.model import Cable
from router.network import Network, depth_slices
from router.planner import Planner
from router.precedence import RANK
from topology.topology import Topology

log = structlog.get_logger()


#: When a transmission completed (and is received, unless a fault says otherwise).
_TRANSMITTED_AT = attrgetter("transmitted_at")

#: Reason recorded for planned deliveries that never reached their post.
MISSING_REASON = "not received (post offline)"


class SimulationOptions(RunOptions, kw_only=True):
    """What-if settings of a simulated run: the common ones, circuit outages, and records per batch."""

    outages: dict[str, list[Window]] = msgspec.field(default_factory=dict)
    batch: int = 20_000


class SimulationSummary(RunSummary, kw_only=True):
    """What a simulated run did (also stored as the run's summary). `stages`: wall-clock seconds of
    this process by stage (read: pass 1, decoding on the workers; plan; network; store: handing
    batches to the store process; order: replay order and unpacking; finish: waiting for the store
    process, then the last writes)."""

    transmitted: int = 0
    stages: dict[str, float] = msgspec.field(default_factory=dict)


class Progress(msgspec.Struct, kw_only=True):
    """A progress report: which pass, how many cables and deliveries so far."""

    stage: str
    cables: int
    deliveries: int = 0


TopologyFactory = Callable[[Iterable[Cable]], Topology]


class Simulation:
    """One simulated run writing to an audit store. Call `run(items, topology_factory)` once.

    `workers` decode processes share pass 1 (1: everything in this process).
    """

    def __init__(
        self,
        store: AuditStore,
        run: str,
        options: SimulationOptions,
        progress: Callable[[Progress], None] | None = None,
        workers: int = 2,
    ) -> None:
        self.store = store
        self.run_name = run
        self.options = options
        self.workers = workers
        self.progress = progress or (lambda report: None)
        self.summary = SimulationSummary(run=run)
        self.read_errors: list[ReadError] = []
        self._receipts: list[ReceiptRow] = []
        self._deliveries: list[DeliveryRow] = []
        self._coder = RowCoder()  # the codes of the rows' cables, posts and reasons
        self._sent: list[Sent] = []
        self._drops: list[tuple[str, str]] = []
        self._plans: list[Plan] = []  # plans with other-means, unresolved or exempted addressees
        self._writer: StoreProcess | None = None
        #: Each circuit's contention figures, once the run is over.
        self.circuit_stats: list[CircuitStats] = []
        self._handing = 0.0  # seconds spent handing batches to the store process

    # -- pass 1 ----------------------------------------------------------------------------------

    def _ingest(
        self,
        ingest: Ingest,
        items: Iterable[CableText | ReadError | CsvSlice],
        keys: list[tuple[int, float, float, int, int]],
        packed: list[bytes],
    ) -> Iterator[bytes]:
        """Pass 1, keeping each cable's packed form in `packed` (and its key in `keys`)."""
        for data in ingest.run(items, keys):
            packed.append(data)
            if len(packed) % 10_000 == 0:
                self.progress(Progress(stage="read", cables=len(packed)))
            yield data

    # -- pass 2 ----------------------------------------------------------------------------------

    def _network(self, topology: Topology, keys: list[tuple[int, float, float, int, int]]) -> Network:
        """The network, with queue depth kept per 1/120 of the span the cables enter in."""
        options = self.options
        times = [key[1] for key in keys if key[0] == 0]
        first, last = (min(times), max(times)) if times else (None, None)
        if first is not None and last is not None:
            last = first + (last - first) / options.load
        depth_from, depth_every = depth_slices(first, last)
        return Network(
            topology,
            fifo=options.fifo,
            link_cps=options.link_cps,
            default_cps=options.default_cps,
            outages=options.outages,
            depth_from=depth_from,
            depth_every=depth_every,
        )

    def _deliver(self, sent: list[Sent]) -> None:
        """Turn completed transmissions into receipts, drops, or nothing (offline for good)."""
        if not sent:
            return
        self.summary.transmitted += len(sent)
        if self.options.record_sent:
            self._sent.extend(sent)
        received: Iterable[float]
        if self.options.lossy or self.options.offline:
            sent, received = self._faults(sent)
        else:
            received = map(_TRANSMITTED_AT, sent)
        rank, roles = RANK, ROLE_CODES
        cables, posts = self._coder.cables, self._coder.posts
        self._receipts.extend(
            [
                (
                    cables[s.cable_id],
                    posts[s.post],
                    roles[s.role],
                    rank[s.precedence],
                    1 if s.niact else 0,
                    s.channel_serial,
                    s.scheduled_at,
                    s.enqueued_at,
                    s.transmitted_at,
                    at,
                )
                for s, at in zip(sent, received, strict=True)
            ]
        )

    def _faults(self, sent: list[Sent]) -> tuple[list[Sent], list[float]]:
        """The transmissions that become receipts, and when each is received: a lossy post's drops are
        kept aside (`_drops`), an offline post receives at the end of its window, or never."""
        lossy = self.options.lossy
        offline = self.options.offline
        seed = self.options.seed
        kept: list[Sent] = []
        received: list[float] = []
        for s in sent:
            post = s.post
            if lossy and post in lossy and is_dropped(seed, s.cable_id, post, lossy[post]):
                self._drops.append((s.cable_id, post))
                continue
            at = s.transmitted_at
            if offline and post in offline:
                arrival = receipt_time(at, offline[post])
                if arrival is None:
                    continue
                at = arrival
            kept.append(s)
            received.append(at)
        return kept, received

    def _add_plan(self, plan: Plan) -> None:
        """Buffer a plan for the store (its deliveries as rows, the rest, rare, as a plan without them)
        and count it in the summary."""
        if plan.other_means or plan.unresolved or plan.exempted:  # (rare: counted only then)
            self._plans.append(msgspec.structs.replace(plan, deliveries=()))
            summary = self.summary
            summary.other_means += len(plan.other_means)
            summary.unresolved += len(plan.unresolved)
            summary.exempted += len(plan.exempted)
        if not plan.deliveries:
            return
        self.summary.planned += len(plan.deliveries)
        rank, roles = RANK, ROLE_CODES
        coder = self._coder
        cable, posts, reasons = coder.cables[plan.cable_id], coder.posts, coder.reasons  # (one cable)
        self._deliveries.extend(
            [
                (
                    cable,
                    posts[d.post],
                    roles[d.role],
                    rank[d.precedence],
                    1 if d.niact else 0,
                    reasons[d.reasons],
                )
                for d in plan.deliveries
            ]
        )

    def _flush(self) -> None:
        """Hand over what is buffered: plans, deliveries and receipts, drops and transmissions."""
        started = time.perf_counter()
        self._hand_over()
        self._handing += time.perf_counter() - started

    def _hand_over(self) -> None:
        writer, summary = self._writer, self.summary
        assert writer is not None
        writer.record_plans(self._plans)
        self._plans = []
        summary.received += len(self._receipts)
        writer.record_rows(self._coder.batch(self._deliveries, self._receipts))
        self._deliveries = []
        self._receipts = []
        summary.dropped += len(self._drops)
        writer.record_drops(self._drops)
        self._drops = []
        writer.record_sent(self._sent)
        self._sent = []

    def _route(
        self, keys: list[tuple[int, float, float, int, int]], packed: list[bytes], topology: Topology
    ) -> None:
        """Plan and inject every cable in replay order, advancing the network as time goes on.

        The cycle collector is paused meanwhile (`replay.gcpause`): plans, deliveries and transmissions
        are Structs without GC and rows are tuples of numbers, so its collections would find nothing."""
        with cycle_collection_paused():
            self._replay(keys, packed, topology)

    def _replay(
        self, keys: list[tuple[int, float, float, int, int]], packed: list[bytes], topology: Topology
    ) -> None:
        """`_route`'s work."""
        began = time.perf_counter()
        network = self._network(topology, keys)
        plan = Planner(topology).plan
        summary = self.summary
        deliver = self._deliver
        add_plan = self._add_plan
        clock = LoadClock(self.options.load)
        done = 0
        now = time.perf_counter
        batch = self.options.batch
        planning = 0.0
        networking = 0.0
        # Completed transmissions become receipts a batch at a time, not one call per cable (in a
        # clean run each becomes a receipt, so the batches are the same as receipt by receipt).
        transmitted: list[Sent] = []
        for index in sorted(range(len(keys)), key=keys.__getitem__):
            cable = unpack(packed[index])
            packed[index] = b""
            key = keys[index]
            if key[0] == 0:
                at = clock(key[1])
                if summary.first_time is None:
                    summary.first_time = at
            else:
                summary.untimed += 1
                at = network.now if math.isfinite(network.now) else 0.0
            started = now()
            transmitted += network.advance(at)
            planned = now()
            result = plan(cable)
            add_plan(result)
            injected = now()
            network.inject(result, cable.size, at)
            ended = now()
            networking += planned - started + ended - injected
            planning += injected - planned
            if len(self._deliveries) >= batch or len(transmitted) >= batch:
                started = now()
                deliver(transmitted)
                transmitted = []
                networking += now() - started
                self._flush()
            done += 1
            if done % 10_000 == 0:
                completed = summary.transmitted + len(transmitted)
                self.progress(Progress(stage="route", cables=done, deliveries=completed))
        started = now()
        transmitted += network.drain()
        deliver(transmitted)
        networking += now() - started
        if math.isfinite(network.now):
            summary.last_time = network.now
        self._flush()
        self.circuit_stats = network.stats()
        # (each circuit counts the completed transmissions that had been interrupted)
        summary.interrupted += sum(stats.interrupted for stats in self.circuit_stats)
        handing = self._handing
        other = time.perf_counter() - began - planning - networking - handing
        summary.stages.update(plan=planning, network=networking, store=handing, order=other)
        self.progress(Progress(stage="route", cables=done, deliveries=summary.transmitted))

    # -- the run ---------------------------------------------------------------------------------

    def _report_ingest(self, ingest: Ingest, cables: int) -> None:
        """Log and count what pass 1 could not use."""
        self.read_errors = ingest.read_errors
        ingest.report(self.summary)
        self.summary.cables = cables
        self.progress(Progress(stage="read", cables=cables))

    def run(
        self, items: Iterable[CableText | ReadError | CsvSlice], topology_factory: TopologyFactory
    ) -> SimulationSummary:
        """Read, order, plan, simulate and record; returns the summary."""
        started = time.perf_counter()
        keys: list[tuple[int, float, float, int, int]] = []
        packed: list[bytes] = []
        with StoreProcess(self.store.path, self.run_name) as writer:
            with Ingest(writer.record_cable_rows, self.workers) as ingest:
                stream = self._ingest(ingest, items, keys, packed)
                topology = topology_factory(unpack(data) for data in stream)
                for _ in stream:  # whatever the factory did not consume
                    pass
            self._report_ingest(ingest, len(packed))
            self.summary.stages["read"] = time.perf_counter() - started
            self._writer = writer
            # What pass 1 kept lives to the end: keep it out of the garbage collector's way.
            gc.freeze()
            try:
                self._route(keys, packed, topology)
            finally:
                self._writer = None
                gc.unfreeze()
            finishing = time.perf_counter()
        self.store.record_post_names(self.run_name, post_names(topology))
        summary = self.summary
        self.store.record_circuit_stats(self.run_name, self.circuit_stats)
        # Every receipt is of a planned delivery, at most once: when all arrived, none is missing.
        if summary.received != summary.planned:
            summary.missing = self.store.close_missing(self.run_name, MISSING_REASON)
        ended = time.perf_counter()
        summary.stages["finish"] = ended - finishing
        summary.wall_s = ended - started
        return summary


def options_record(options: SimulationOptions, paths: Sequence[str]) -> dict[str, Any]:
    """The run's options as stored with it (plain JSON types)."""
    return {"inputs": list(paths), **msgspec.to_builtins(options)}
