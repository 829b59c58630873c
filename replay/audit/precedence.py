"""Whether precedence held: inversions on each circuit, latency per level against the speed-of-service
objectives, and NIACT deliveries.

**Inversion.** On one post's circuit, a transmission *m* is inverted when, at the moment *m* started
(its last, successful start), some message *h* of higher precedence was already waiting for that
circuit: *h* was enqueued strictly before *m* started and started strictly after. Each inverted
transmission counts once, however many messages it overtook. A circuit that follows the rules never
inverts: preemption and "let it finish" decisions happen after *m* started, and during an outage
nothing starts. Transmissions are the recorded `sent` rows; a run without them is audited from its
receipts, taking each start to be the later of the message's enqueue time and the completion of the
transmission before it on the same circuit.

**Latency** is simulated seconds from filing (FL3, else the DTG) to receipt. Percentiles are
nearest-rank; `met_ratio` is the share of received deliveries within the objective, and the ones over
it are the `sos` findings.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, islice
from operator import itemgetter, le
from typing import NamedTuple

import msgspec

from router.precedence import LEVEL_BY_RANK, LEVELS_HIGH_FIRST, SPEED_OF_SERVICE_S, Precedence


class Transmission(NamedTuple):
    """One message on a circuit: its rank, when it was enqueued and when it (last) started."""

    rank: int
    enqueued: float
    started: float
    cable: str | int


#: A transmission as a plain tuple `(rank, enqueued, started, cable)`; `Transmission` is one too.
TransmissionRow = tuple[int, float, float, str | int]


class Inversion(msgspec.Struct, frozen=True, kw_only=True):
    """A transmission that started while higher-precedence traffic was waiting on its circuit."""

    post: str
    id: str | int
    precedence: Precedence
    started: float
    waiting_id: str | int
    waiting_precedence: Precedence
    waiting_since: float


class LatencyStats(msgspec.Struct, kw_only=True):
    """Latency of one precedence level (seconds); None where there were no receipts."""

    n: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    objective_s: int
    met_ratio: float | None
    late: int


class NiactStats(msgspec.Struct, kw_only=True):
    """NIACT IMMEDIATE deliveries: planned, received, missing, and received later than the IMMEDIATE
    objective."""

    planned: int
    received: int
    missing: int
    late: int


def circuit_inversions(post: str, transmissions: Iterable[TransmissionRow]) -> list[Inversion]:
    """The inverted transmissions of one circuit, in order of their start.

    One pass from the last start backwards, keeping for each rank the earliest enqueue time among
    the transmissions that start later: `m` is inverted when a higher rank's earliest enqueue time is
    before `m`'s start. Transmissions starting at the same instant are judged together, before any
    of them counts as "starting later". Plain `(rank, enqueued, started, cable)` tuples are accepted.
    """
    ordered = sorted(transmissions, key=_started)
    return _sweep(post, ordered, [m[2] for m in ordered])


def receipt_inversions(post: str, receipts: Iterable[tuple[int, float, float, str | int]]) -> list[Inversion]:
    """`circuit_inversions` of the transmissions `starts_from_receipts` rebuilds from one circuit's
    receipts `(rank, enqueued, transmitted, cable)`, without building them: in order of completion
    the rebuilt starts never fall (each is at least the completion before it, which is at least that
    one's start) as long as no receipt says it was transmitted before it was enqueued, so the
    receipts in that order are the transmissions in order of their start."""
    ordered = sorted(receipts, key=_transmitted)
    # Each start: its enqueue time if later than the previous completion, else that completion.
    ends = chain((-math.inf,), map(_transmitted, ordered))
    starts = [
        enqueued if enqueued > end else end for end, (_, enqueued, _, _) in zip(ends, ordered, strict=False)
    ]
    if not all(map(le, starts, islice(starts, 1, None))):  # a receipt transmitted before it was enqueued
        return circuit_inversions(post, starts_from_receipts(ordered))
    return _sweep(post, ordered, starts)


def _sweep(
    post: str, ordered: Sequence[tuple[int, float, float, str | int]], starts: Sequence[float]
) -> list[Inversion]:
    """`circuit_inversions` of transmissions in order of their start: the rows' rank, enqueue time and
    cable, their starts apart (a row's own third field is not read)."""
    # The earliest enqueue time per rank among the transmissions that start later, and its cable;
    # `lowest` is the earliest of ranks 1-3 together: nothing starting before it can be inverted.
    earliest: list[float] = [math.inf] * 4
    cables: list[str | int | None] = [None] * 4
    lowest = math.inf
    found: list[Inversion] = []
    i = len(ordered)
    while i > 0:
        i -= 1
        start = starts[i]
        if i and starts[i - 1] == start:
            # Several start at this instant: judge them all, then count them all as starting later.
            j = i - 1
            while j and starts[j - 1] == start:
                j -= 1
            together = [(rank, enqueued, start, cable) for rank, enqueued, _, cable in ordered[j : i + 1]]
            if lowest < start:
                found.extend(_inverted(post, together, earliest, cables))
            for rank, enqueued, _, cable in together:
                if enqueued < earliest[rank]:
                    earliest[rank] = enqueued
                    cables[rank] = cable
                    if rank and enqueued < lowest:
                        lowest = enqueued
            i = j
            continue
        # The usual case, a start of its own (inline: this runs once per transmission of the run).
        rank, enqueued, _, cable = ordered[i]
        if lowest < start:
            found.extend(_inverted(post, ((rank, enqueued, start, cable),), earliest, cables))
        if enqueued < earliest[rank]:
            earliest[rank] = enqueued
            cables[rank] = cable
            if rank and enqueued < lowest:
                lowest = enqueued
    found.reverse()
    return found


def _inverted(
    post: str, together: Sequence[TransmissionRow], earliest: list[float], cables: list[str | int | None]
) -> list[Inversion]:
    """Which of the transmissions starting at one instant are inverted, given the earliest enqueue
    time per rank among those starting later, in their order."""
    start = together[0][2]
    e1, e2, e3 = earliest[1], earliest[2], earliest[3]
    return [
        _inversion(post, m, earliest, cables)
        for m in together
        if m[0] < 3 and (e3 < start or (m[0] < 2 and (e2 < start or (m[0] < 1 and e1 < start))))
    ]


#: Sort key: the start time.
_started = itemgetter(2)


def _inversion(
    post: str, m: TransmissionRow, earliest: list[float], cables: list[str | int | None]
) -> Inversion:
    """The inversion of `m` against the highest level that was waiting when it started."""
    rank, _, started, cable = m
    waiting_rank = next(r for r in (3, 2, 1) if r > rank and earliest[r] < started)
    waiting_cable = cables[waiting_rank]
    return Inversion(
        post=post,
        id=cable,
        precedence=LEVEL_BY_RANK[rank],
        started=started,
        waiting_id=waiting_cable if waiting_cable is not None else "",
        waiting_precedence=LEVEL_BY_RANK[waiting_rank],
        waiting_since=earliest[waiting_rank],
    )


def inversions(transmissions_by_post: Mapping[str, Iterable[TransmissionRow]]) -> list[Inversion]:
    """Inversions on every circuit, by post then start."""
    found: list[Inversion] = []
    for post in sorted(transmissions_by_post):
        found.extend(circuit_inversions(post, transmissions_by_post[post]))
    return found


def starts_from_receipts(
    receipts: Iterable[tuple[int, float, float, str | int]],
) -> list[TransmissionRow]:
    """Transmissions of one circuit rebuilt from its receipts `(rank, enqueued, transmitted, cable)`:
    each start is the later of its enqueue time and the previous completion on the circuit. (Plain
    tuples, in order of start.)"""
    rebuilt: list[TransmissionRow] = []
    append = rebuilt.append
    previous_end = -math.inf
    for rank, enqueued, transmitted, cable in sorted(receipts, key=_transmitted):
        append((rank, enqueued, enqueued if enqueued > previous_end else previous_end, cable))
        previous_end = transmitted
    return rebuilt


#: Sort key: the completion time.
_transmitted = itemgetter(2)


def nearest_rank(ordered: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile of sorted values, or None for no values."""
    if not ordered:
        return None
    index = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return ordered[index]


def latency_stats(latencies: Mapping[Precedence, Sequence[float]]) -> dict[str, LatencyStats]:
    """p50, p95, max and the share within the objective, for each of the four levels (FLASH first)."""
    stats: dict[str, LatencyStats] = {}
    for level in LEVELS_HIGH_FIRST:
        values = sorted(latencies.get(level, ()))
        objective = SPEED_OF_SERVICE_S[level]
        late = len(values) - _count_at_most(values, objective)
        stats[level.value] = LatencyStats(
            n=len(values),
            p50_s=nearest_rank(values, 50),
            p95_s=nearest_rank(values, 95),
            max_s=values[-1] if values else None,
            objective_s=objective,
            met_ratio=(len(values) - late) / len(values) if values else None,
            late=late,
        )
    return stats


def _count_at_most(ordered: Sequence[float], limit: float) -> int:
    """How many sorted values are ≤ limit."""
    return bisect_right(ordered, limit)


class LatencyFigures(msgspec.Struct, frozen=True, kw_only=True):
    """What the precedence section takes from the receipts' latencies: the statistics per level, and
    how many NIACT deliveries were received and how many of them late (later than the IMMEDIATE
    objective)."""

    latency: dict[str, LatencyStats]
    niact_received: int
    niact_late: int


def latency_figures(
    latencies: Mapping[Precedence, Sequence[float]], niact_latencies: Sequence[float]
) -> LatencyFigures:
    """`latency_stats` of the latencies per level, and the NIACT counts of the NIACT latencies: late
    means later than the IMMEDIATE objective."""
    objective = SPEED_OF_SERVICE_S[Precedence.IMMEDIATE]
    return LatencyFigures(
        latency=latency_stats(latencies),
        niact_received=len(niact_latencies),
        niact_late=sum(1 for value in niact_latencies if value > objective),
    )
