"""`cableroute replay --remote`: hand a corpus to a running router service (`cableroute serve`).

The submitter prepares the run exactly as a local replay would: it reads and decodes the inputs
(skipping a cable id seen before), builds the topology the local replay would use, puts the cables
in replay order and works out when each enters the network (with `load`, the time between cables
compressed as `replay --load` does). It then sends, on `cables/in`, the
`RunStart` (topology and ledger: every cable's number, id and source), the cables in that order and
the `RunEnd`, keeping at most `window` messages unacknowledged by the router. What is not
acknowledged within `resend_after` seconds is sent again (the router ignores what it already has).
When nothing is acknowledged for `give_up_after` seconds it stops waiting: what was not
acknowledged then is recorded by the router as lost before routing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Iterable

import msgspec
import structlog

from replay.inputs.corpus import CableText, ReadError
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber
from replay.mqtt.topics import CABLES_IN, SUBMITTER_ACK_CLIENT_ID, SUBMITTER_CLIENT_ID, ack_topic
from replay.mqtt.wire import (
    Ack,
    CableSubmission,
    LedgerEntry,
    RunEnd,
    RunOutcome,
    RunStart,
    WireError,
    open_ack,
    seal,
)
from router.decoder import decode
from router.load import LoadClock
from router.model import Cable
from router.order import cable_time, entry_times, replay_key
from router.planner import cable_id_of
from topology.errors import CablerouteError
from topology.topology import Topology

log = structlog.get_logger()

TopologyFactory = Callable[[Iterable[Cable]], Topology]


class SubmitError(CablerouteError):
    """The router refused the run, or never answered."""


class SubmitOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a remote run is sent: the window of unacknowledged messages and the waits."""

    fifo: bool = False
    load: float = 1.0
    window: int = 100
    resend_after: float = 5.0
    give_up_after: float = 30.0


class SubmitProgress(msgspec.Struct, kw_only=True):
    """Cables acknowledged by the router so far (of all), and messages sent again."""

    acknowledged: int
    total: int
    resent: int


class SubmitSummary(msgspec.Struct, kw_only=True):
    """What a remote submission did, and the router's outcome of the run."""

    run: str
    broker: str
    session: str
    cables: int = 0
    read_errors: int = 0
    duplicate_ids: int = 0
    acknowledged: int = 0
    resent: int = 0
    refused: dict[str, str] = {}
    status: str = "not finished"
    routed: int = 0
    lost_before_routing: int = 0
    planned: int = 0
    published: int = 0


class _Cable(msgspec.Struct, frozen=True):
    source: str
    text: str
    cable_id: str
    key: tuple[int, float, float, int, int]
    time: float | None


class Submitter:
    """One remote run: `await run(items, topology_factory)` once; `summary` holds the figures."""

    def __init__(
        self,
        broker: BrokerInfo,
        run: str,
        key: bytes,
        options: SubmitOptions | None = None,
        progress: Callable[[SubmitProgress], None] | None = None,
    ) -> None:
        self.broker = broker
        self.key = key
        self.options = options or SubmitOptions()
        self.progress = progress or (lambda report: None)
        self.session = uuid.uuid4().hex
        self.summary = SubmitSummary(run=run, broker=broker.url, session=self.session)
        self.read_errors: list[ReadError] = []
        self._payloads: dict[int, bytes] = {}
        self._sources: dict[int, str] = {}
        self._done: set[int] = set()
        self._changed = asyncio.Event()
        self._outcome: RunOutcome | None = None
        self._start_refused: str | None = None

    # -- preparing the run ------------------------------------------------------------------------

    def prepare(self, items: Iterable[CableText | ReadError], topology_factory: TopologyFactory) -> int:
        """Read, decode and order the inputs and build the run's messages; returns the cable count."""
        summary = self.summary
        cables: list[_Cable] = []
        seen: set[str] = set()
        decoded: list[Cable] = []
        for item in items:
            if isinstance(item, ReadError):
                summary.read_errors += 1
                self.read_errors.append(item)
                log.warning("cannot read input", source=item.source, reason=item.message)
                continue
            cable = decode(item.text, item.source)
            cable_id = cable_id_of(cable)
            if cable_id in seen:
                summary.duplicate_ids += 1
                log.warning("cable id seen before; later copy skipped", id=cable_id, source=item.source)
                continue
            seen.add(cable_id)
            decoded.append(cable)
            cables.append(
                _Cable(item.source, item.text, cable_id, replay_key(cable, len(cables)), cable_time(cable))
            )
        topology = topology_factory(decoded)
        del decoded
        cables.sort(key=lambda cable: cable.key)
        clock = LoadClock(self.options.load)
        times = entry_times(None if cable.time is None else clock(cable.time) for cable in cables)
        ledger = [LedgerEntry(seq, cable.cable_id, cable.source) for seq, cable in enumerate(cables, 1)]
        key = self.key
        self._payloads[0] = seal(
            RunStart(self.session, summary.run, topology.image(), self.options.fifo, ledger), key
        )
        for seq, (entry, at) in enumerate(zip(cables, times, strict=True), 1):
            self._payloads[seq] = seal(CableSubmission(self.session, seq, at, entry.source, entry.text), key)
            self._sources[seq] = entry.source
        self._payloads[len(cables) + 1] = seal(RunEnd(self.session, len(cables) + 1), key)
        summary.cables = len(cables)
        return len(cables)

    # -- sending it ----------------------------------------------------------------------------------

    async def run(self) -> SubmitSummary:
        """Send the prepared run and wait for the router's outcome; SubmitError when the router refuses
        the run or never answers."""
        publisher = Publisher(self.broker, SUBMITTER_CLIENT_ID)
        acks = Subscriber(
            SUBMITTER_ACK_CLIENT_ID,
            ack_topic(self.session),
            self.broker,
            self._take_ack,
            clean_session=True,
        )
        await acks.start()
        try:
            await publisher.start()
            try:
                await self._send_all(publisher)
            finally:
                await publisher.close(timeout=1.0)
        finally:
            await acks.stop()
        return self.summary

    def _take_ack(self, payload: bytes) -> None:
        try:
            ack = open_ack(payload, self.key)
        except WireError:
            return
        if ack.session != self.session:
            return
        self._note(ack)
        self._changed.set()

    def _note(self, ack: Ack) -> None:
        summary = self.summary
        end = len(self._payloads) - 1
        for seq in ack.seqs:
            if seq not in self._done:
                self._done.add(seq)
                if 0 < seq < end:
                    summary.acknowledged += 1
        for refusal in ack.refused:
            if refusal.seq == 0:
                self._start_refused = refusal.reason
            elif refusal.seq not in self._done:
                self._done.add(refusal.seq)
                summary.refused[self._sources.get(refusal.seq, str(refusal.seq))] = refusal.reason
        if ack.outcome is not None:
            self._outcome = ack.outcome

    async def _send_all(self, publisher: Publisher) -> None:
        """The window: send in order, at most `window` ahead of the oldest unacknowledged message;
        the start first on its own, the end once every cable is acknowledged or given up."""
        options = self.options
        end = len(self._payloads) - 1
        sent_at: dict[int, float] = {}
        base = 0  # the oldest message not acknowledged
        following = 0  # the next message never sent
        last_progress = time.monotonic()
        last_report = 0.0
        while self._outcome is None:
            if self._start_refused is not None:
                raise SubmitError(f"the router refused the run: {self._start_refused}")
            limit = 1 if base == 0 else (end if base < end else end + 1)
            while following < min(base + options.window, limit):
                publisher.publish(CABLES_IN, self._payloads[following])
                sent_at[following] = time.monotonic()
                following += 1
            now = time.monotonic()
            for seq in range(base, following):
                if seq not in self._done and now - sent_at[seq] >= options.resend_after:
                    publisher.publish(CABLES_IN, self._payloads[seq])
                    sent_at[seq] = now
                    self.summary.resent += 1
            self._changed.clear()
            waits = [sent_at[seq] + options.resend_after - now for seq in range(base, following)]
            timeout = max(0.01, min([options.resend_after, *waits]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
            moved = base
            while base in self._done:
                base += 1
            now = time.monotonic()
            if base != moved or self._outcome is not None:
                last_progress = now
            elif now - last_progress >= options.give_up_after:
                if base == 0:
                    raise SubmitError(
                        f"no answer from a router on {self.broker.url} within {options.give_up_after:g} s "
                        "(is `cableroute serve` running there?)"
                    )
                if base == end:
                    raise SubmitError(
                        f"the router did not confirm the end of the run within {options.give_up_after:g} s"
                    )
                log.warning("cables not acknowledged; ending the run without them", first=base)
                self._done.update(range(base, end))  # given up: the router records them as lost
                last_progress = now
            if now - last_report >= 0.2:
                last_report = now
                self.progress(self._progress())
        self.progress(self._progress())
        outcome = self._outcome
        summary = self.summary
        summary.status = outcome.status
        summary.routed = outcome.routed
        summary.lost_before_routing = outcome.lost
        summary.planned = outcome.planned
        summary.published = outcome.published

    def _progress(self) -> SubmitProgress:
        return SubmitProgress(
            acknowledged=self.summary.acknowledged, total=self.summary.cables, resent=self.summary.resent
        )
