"""One post's outgoing circuit: what is transmitted next, and when each transmission completes.

A circuit is a plain, deterministic object driven entirely by the times it is given. It holds a
priority queue (FLASH > IMMEDIATE > PRIORITY > ROUTINE, first in first out within a level), sends one
message at a time at `cps` characters per second, and applies the preemption rules of the primer:

- FLASH interrupts any lower traffic in transmission.
- IMMEDIATE interrupts PRIORITY or ROUTINE traffic in transmission unless finishing is quicker than
  restarting: it does not interrupt when the time still needed (remaining) is at most the time already
  spent on the message (elapsed), i.e. once a message is half sent it is allowed to finish.
- PRIORITY interrupts ROUTINE traffic only when that ROUTINE message is extra long: more than
  `EXTRA_LONG_CHARS` characters.
- Nothing interrupts traffic of its own level or higher.

An interrupted message goes back to the head of its level and is later sent again in full. With
`fifo=True` precedence is ignored: pure arrival order, never an interruption.

Outage windows `[start, end)`: while the circuit is down nothing is transmitted and traffic queues; a
transmission in progress when the link goes down is put back at the head of its level and restarted in
full when it comes back up. A transmission that completes exactly when an outage starts completes.

Completed transmissions are numbered with a channel serial per circuit, from 1, in completion order.

Contention figures are kept as the circuit runs (`stats()`): the deepest queue, how often a
transmission was interrupted by higher traffic (preemptions), how many completed transmissions had
been interrupted at least once, the time spent transmitting (including the partial sends that were
cut off), the longest wait per level (from reaching the circuit to the start of the transmission that
completed), and, when `depth_every` is set, the deepest queue in each slice of that many seconds from
`depth_from`.

Use: `offer(...)` when a message reaches the circuit, and `step(now)` when `now == due` (the time of
the circuit's next event). Both return nothing but update `due`; `step` returns the `Sent` that
completed, if any.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import msgspec

from router.deliveries import Delivery, Sent
from router.precedence import RANK, Precedence

#: A ROUTINE message longer than this (characters) counts as extra long: PRIORITY traffic may interrupt it.
EXTRA_LONG_CHARS = 20_000

_FLASH = Precedence.FLASH.rank
_IMMEDIATE = Precedence.IMMEDIATE.rank
_PRIORITY = Precedence.PRIORITY.rank
_ROUTINE = Precedence.ROUTINE.rank


# A queued message: (delivery, chars, scheduled_at, enqueued_at, interruptions).
Job = tuple[Delivery, int, float, float, int]


class CircuitStats(msgspec.Struct, frozen=True, kw_only=True):
    """A circuit's contention figures (see the module's notes). Times are seconds; `longest_wait` has
    the levels the circuit sent anything of; `depth` holds `(slice start, deepest queue in the slice)`
    for the slices (of `depth_every` seconds) in which traffic queued."""

    post: str
    cps: float
    transmitted: int
    offered: int
    peak_queue: int
    preemptions: int
    interrupted: int
    busy_s: float
    first_at: float | None
    last_at: float | None
    longest_wait: dict[str, float]
    depth_every: float | None = None
    depth: list[tuple[float, int]] = []


#: At most this many slices of queue depth are reported: a queue that drains long after the last cable
#: arrived gets wider slices.
MAX_DEPTH_SLICES = 240


def _coarser(every: float | None, depth: dict[int, int]) -> tuple[float | None, dict[int, int]]:
    """Depth slices merged (deepest of each group) until they span at most `MAX_DEPTH_SLICES`."""
    if every is None or not depth:
        return every, depth
    factor = (max(depth) - min(depth)) // MAX_DEPTH_SLICES + 1
    if factor == 1:
        return every, depth
    merged: dict[int, int] = {}
    for index, n in depth.items():
        key = index // factor
        if n > merged.get(key, 0):
            merged[key] = n
    return every * factor, merged


def merge_windows(windows: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Outage windows sorted, with empty ones dropped and overlapping or touching ones merged."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in windows if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def preempts(new_rank: int, current_rank: int, current_chars: int, elapsed: float, remaining: float) -> bool:
    """Whether a message of level `new_rank` arriving now interrupts the transmission in progress."""
    if new_rank <= current_rank:
        return False
    if new_rank == _FLASH:
        return True
    if new_rank == _IMMEDIATE:
        return remaining > elapsed
    return current_rank == _ROUTINE and current_chars > EXTRA_LONG_CHARS


class Circuit:
    """One post's outgoing link: priority queue, preemption, link rate, outages and channel serial."""

    __slots__ = (
        "_busy",
        "_depth",
        "_depth_every",
        "_depth_from",
        "_finish",
        "_first",
        "_interrupted",
        "_job",
        "_last",
        "_levels",
        "_offered",
        "_peak",
        "_preemptions",
        "_queued",
        "_started",
        "_waits",
        "_window",
        "_windows",
        "cps",
        "due",
        "event",
        "fifo",
        "post",
        "serial",
    )

    def __init__(
        self,
        post: str,
        cps: float,
        *,
        fifo: bool = False,
        outages: Iterable[tuple[float, float]] = (),
        depth_from: float = 0.0,
        depth_every: float | None = None,
    ) -> None:
        if cps <= 0:
            raise ValueError(f"link rate for {post} must be positive, not {cps}")
        self.post = post
        self.cps = float(cps)
        self.fifo = fifo
        self.serial = 0
        #: When the circuit next needs `step`: a completion, an outage start mid-transmission, or the
        #: end of an outage with traffic waiting. None when idle.
        self.due: float | None = None
        #: The network's number of the latest event it scheduled for the circuit at `due` (its other
        #: entries for the circuit are stale).
        self.event = 0
        self._levels: list[deque[Job]] = [deque(), deque(), deque(), deque()]
        self._queued = 0
        self._job: Job | None = None
        self._started = 0.0
        self._finish = 0.0
        self._windows = merge_windows(outages)
        self._window = 0
        self._offered = 0
        self._peak = 0
        self._preemptions = 0
        self._interrupted = 0
        self._busy = 0.0
        self._first: float | None = None
        self._last: float | None = None
        self._waits = [-1.0, -1.0, -1.0, -1.0]  # -1: nothing of the level sent yet
        self._depth_from = depth_from
        self._depth_every = depth_every
        self._depth: dict[int, int] = {}

    @property
    def busy(self) -> bool:
        """True while a message is being transmitted."""
        return self._job is not None

    @property
    def queued(self) -> int:
        """Messages waiting (not counting the one in transmission)."""
        return self._queued

    def _down_until(self, now: float) -> float | None:
        """The end of the outage covering `now`, or None when the link is up."""
        windows = self._windows
        index = self._window
        while index < len(windows) and windows[index][1] <= now:
            index += 1
        self._window = index
        if index < len(windows) and windows[index][0] <= now:
            return windows[index][1]
        return None

    def offer(self, delivery: Delivery, chars: int, scheduled_at: float, now: float) -> None:
        """A message for this post reaches the circuit at `now`: queue it, start it or let it preempt."""
        self._offered += 1
        if self._first is None:
            self._first = now
        job = self._job
        if job is None and not self._queued and not self._windows:
            # An idle link that is always up, nothing waiting: the message starts at once (what
            # queueing it and `_start_next` would do, without the queue).
            self._job = (delivery, chars, scheduled_at, now, 0)
            self._started = now
            self._finish = self.due = now + chars / self.cps
            return
        rank = 0 if self.fifo else RANK[delivery.precedence]
        self._levels[rank].append((delivery, chars, scheduled_at, now, 0))
        self._queued += 1
        if job is None:
            down_until = self._down_until(now) if self._windows else None
            if down_until is not None:
                self.due = down_until
                self._note_depth(now)
                return
            self._start_next(now)
        elif not self.fifo and preempts(
            rank, RANK[job[0].precedence], job[1], now - self._started, self._finish - now
        ):
            self._preemptions += 1
            self._interrupt(now)
            self._start_next(now)
        if self._queued:
            self._note_depth(now)

    def _note_depth(self, now: float) -> None:
        """Keep the deepest queue so far, overall and in the current slice of time."""
        queued = self._queued
        if queued > self._peak:
            self._peak = queued
        every = self._depth_every
        if every is not None:
            index = int((now - self._depth_from) // every)
            if queued > self._depth.get(index, 0):
                self._depth[index] = queued

    def _interrupt(self, now: float) -> None:
        """Put the message in transmission back at the head of its level, to be sent again in full."""
        job = self._job
        assert job is not None
        self._busy += now - self._started
        rank = 0 if self.fifo else RANK[job[0].precedence]
        self._levels[rank].appendleft((job[0], job[1], job[2], job[3], job[4] + 1))
        self._queued += 1
        self._job = None

    def _start_next(self, now: float) -> None:
        """Start the next message if the link is up and anything waits; set `due`."""
        if not self._queued:
            self.due = None
            return
        next_start = None
        if self._windows:
            down_until = self._down_until(now)
            if down_until is not None:
                self.due = down_until
                return
            if self._window < len(self._windows):
                next_start = self._windows[self._window][0]
        levels = self._levels
        queue = levels[3] or levels[2] or levels[1] or levels[0]
        job = queue.popleft()
        self._queued -= 1
        self._job = job
        self._started = now
        finish = now + job[1] / self.cps
        self._finish = finish
        self.due = finish if next_start is None or finish <= next_start else next_start

    def step(self, now: float) -> Sent | None:
        """Handle the circuit's event at `now` (== `due`): a completion, an outage start or an outage end."""
        job = self._job
        sent = None
        if job is not None:
            finish = self._finish
            if now >= finish:
                serial = self.serial = self.serial + 1
                started = self._started
                delivery, chars, scheduled_at, enqueued_at, interruptions = job
                precedence = delivery.precedence
                sent = Sent(  # (by position: cheaper than by keyword, once per delivery)
                    delivery.cable_id,
                    delivery.post,
                    delivery.role,
                    precedence,
                    delivery.niact,
                    serial,  # channel serial
                    chars,
                    scheduled_at,
                    enqueued_at,
                    started,
                    finish,  # transmitted at
                    interruptions,
                )
                self._job = None
                self._busy += finish - started
                self._last = finish
                if interruptions:
                    self._interrupted += 1
                waits = self._waits
                level = RANK[precedence]
                wait = started - enqueued_at
                if wait > waits[level]:
                    waits[level] = wait
                if not self._queued:  # nothing waits: idle (what `_start_next` would find)
                    self.due = None
                    return sent
            else:
                self._interrupt(now)
                self._note_depth(now)
        self._start_next(now)
        if self._queued and self._depth_every is not None:
            self._note_depth(now)  # the queue as it drains
        return sent

    def stats(self) -> CircuitStats:
        """The circuit's contention figures so far."""
        every, depth = _coarser(self._depth_every, self._depth)
        waits = self._waits
        return CircuitStats(
            post=self.post,
            cps=self.cps,
            transmitted=self.serial,
            offered=self._offered,
            peak_queue=self._peak,
            preemptions=self._preemptions,
            interrupted=self._interrupted,
            busy_s=self._busy,
            first_at=self._first,
            last_at=self._last,
            longest_wait={level.value: waits[rank] for level, rank in RANK.items() if waits[rank] >= 0},
            depth_every=every,
            depth=[(self._depth_from + index * (every or 0.0), n) for index, n in sorted(depth.items())],
        )
