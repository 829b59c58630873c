"""What the audit needs from the store, in the audit's own types (the queries: `replay.store.audit_reads`).

Large tables are never held whole: deliveries and receipts are counted in SQL, transmissions are
read one circuit at a time, and only findings (missing, unexpected, duplicated) become rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import msgspec

from replay.audit import precedence
from replay.audit.distribution import (
    DuplicateRow,
    LostRow,
    MissingRow,
    OtherMeansRow,
    UnexpectedRow,
    UnresolvedRow,
)
from replay.audit.facts import CableFacts
from replay.audit.precedence import Inversion
from replay.store import audit_reads as reads
from replay.store.audit_reads import (
    ReceiptCounts,
    cable_ids,
    cable_rows,
    channel_serials,
    has_transmissions,
    receipt_counts,
    receipt_totals,
)
from replay.store.store import AuditStore, unrecorded_reason
from router.precedence import LEVEL_BY_RANK, Precedence

__all__ = [
    "DeliveryCounts",
    "ReceiptCounts",
    "RunHeader",
    "cable_facts",
    "cable_ids",
    "cable_rows",
    "channel_serials",
    "circuit_inversions",
    "delivery_counts",
    "duplicate_rows",
    "has_transmissions",
    "latencies",
    "missing_rows",
    "other_means_rows",
    "receipt_counts",
    "receipt_totals",
    "run_header",
    "timeline",
    "unexpected_rows",
    "unresolved_rows",
]

#: Reason shown for a submitted cable not routed (yet) when the router recorded none.
UNROUTED_RUNNING = "not routed yet (the run is still going)"
UNROUTED_FINISHED = "never routed"


class RunHeader(msgspec.Struct, kw_only=True):
    """The run being audited."""

    name: str
    mode: str
    status: str
    options: dict[str, Any]


def run_header(store: AuditStore, run: str) -> RunHeader:
    """The run's name, mode, status and options."""
    info = next(r for r in store.runs() if r.name == run)
    return RunHeader(name=info.name, mode=info.mode, status=info.status, options=info.options)


def cable_facts(store: AuditStore, run: str) -> Iterator[CableFacts]:
    """The facts of every recorded cable of the run, in recording order."""
    return map(CableFacts._make, reads.cable_fact_rows(store, run))


def missing_rows(store: AuditStore, run: str, status: str) -> list[MissingRow]:
    """Planned deliveries without a receipt, with the recorded reason (or the drop's, or a pending note)."""
    pending = unrecorded_reason(status)
    return [MissingRow._make(row) for row in reads.missing_rows(store, run, pending)]


class DeliveryCounts(NamedTuple):
    """Planned deliveries and those of them that have a receipt, per (post, planned rank); and how
    many of the planned ones are NIACT."""

    planned: dict[tuple[str, int], int]
    received: dict[tuple[str, int], int]
    niact: int


def delivery_counts(store: AuditStore, run: str, missing: Sequence[MissingRow]) -> DeliveryCounts:
    """The run's planned deliveries counted (`planned_counts`), and the received ones among them: the
    planned less the `missing` ones (`missing_rows` of the run), per (post, planned rank). The
    deliveries are looked up in the receipts once, for the missing rows, not a second time to count."""
    planned, niact = reads.planned_counts(store, run)
    received = dict(planned)
    for row in missing:
        received[row.post, row.rank] -= 1
    return DeliveryCounts(planned, {key: n for key, n in received.items() if n}, niact)


def submitted_count(store: AuditStore, run: str) -> int | None:
    """How many cables a remote submitter's ledger lists for the run; None when it has no ledger."""
    return reads.submitted_count(store, run) or None


def lost_rows(store: AuditStore, run: str, status: str) -> list[LostRow]:
    """Cables of the submitter's ledger that were never routed: marked lost by the router, or with no
    recorded cable of that id in the run."""
    pending = UNROUTED_RUNNING if status == "running" else UNROUTED_FINISHED
    return [LostRow._make(row) for row in reads.lost_rows(store, run, pending)]


def unexpected_rows(store: AuditStore, run: str) -> list[UnexpectedRow]:
    """Receipts without a planned delivery."""
    return [UnexpectedRow._make(row) for row in reads.unexpected_rows(store, run)]


def duplicate_rows(store: AuditStore, run: str) -> list[DuplicateRow]:
    """Receipts that arrived more than once."""
    return [DuplicateRow._make(row) for row in reads.duplicate_rows(store, run)]


def other_means_rows(store: AuditStore, run: str) -> list[OtherMeansRow]:
    """`ZEN` addressees of the run's cables."""
    return [OtherMeansRow._make(row) for row in reads.other_means_rows(store, run)]


def unresolved_rows(store: AuditStore, run: str) -> list[UnresolvedRow]:
    """Unresolved addressees of the run's cables."""
    return [UnresolvedRow._make(row) for row in reads.unresolved_rows(store, run)]


def latencies(store: AuditStore, run: str) -> tuple[dict[Precedence, list[float]], list[float]]:
    """Receipt latencies per level, in one pass over the receipts; and the NIACT ones among them.

    A receipt's latency is its received time minus its scheduled time: the simulated moment its cable
    entered the network, which replay and simulate set to the filing time (FL3, else the DTG).
    """
    by_slot: list[list[float]] = [[] for _ in range(8)]
    add = [values.append for values in by_slot]
    for slot, latency in reads.latency_rows(store, run):
        add[slot](latency)
    found = {level: by_slot[level.rank] + by_slot[level.rank + 4] for level in Precedence}
    niact = [value for values in by_slot[4:] for value in values]
    return {level: values for level, values in found.items() if values}, niact


def circuit_inversions(store: AuditStore, run: str) -> Iterator[tuple[str, list[Inversion]]]:
    """Each circuit's inverted transmissions, one post at a time: from `sent` when recorded, else from
    the transmissions rebuilt from the receipts."""
    if has_transmissions(store, run):
        for post, sent in reads.sent_by_circuit(store, run):
            yield post, precedence.circuit_inversions(post, sent)
        return
    for post, receipts in reads.receipts_by_circuit(store, run):
        yield post, precedence.receipt_inversions(post, receipts)


def timeline(store: AuditStore, run: str, buckets: int = 60, trim: float = 0.005) -> dict[str, Any]:
    """Receipts over simulated time, for the HTML chart: `buckets` equal slices with counts per level.

    The range runs from the `trim` to the `1 - trim` quantile of receipt times, so that a few cables
    with absurd dates do not squash the rest; receipts outside it are counted in `outside`.
    """
    total = reads.received_count(store, run)
    if not total:
        return {"start": None, "width_s": None, "counts": {}, "outside": 0}
    first = reads.received_time_at(store, run, int(total * trim), total)
    last = reads.received_time_at(store, run, min(total - 1, int(total * (1 - trim))), total)
    width = max((last - first) / buckets, 1e-9)
    counts = {level.value: [0] * buckets for level in Precedence}
    for bucket, rank, n in reads.received_histogram(store, run, first, last, width):
        counts[LEVEL_BY_RANK[rank].value][min(bucket, buckets - 1)] += n
    shown = sum(sum(series) for series in counts.values())
    return {"start": first, "width_s": width, "counts": counts, "outside": total - shown}
