"""Write requests for the audit store, as typed messages: what `StoreWriter.submit` and `StoreProcess` take.

Each request is a frozen msgspec Struct with the arguments of one `AuditStore` write method, and
`apply(store)` makes that call and returns its result, so `StoreWriter.submit(StartRun(...))` is a
`Future[str]` and `submit(CloseMissing(...))` a `Future[int]`. A request of the wrong shape is a type
error, not a misspelt method name found at run time. The requests that go to the writer process
(`ProcessWrite`) are tagged with their class name, so that msgpack decodes each into its own type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import msgspec

from replay.store.receipt import Receipt
from replay.store.rows import RowBatch, WireCableRow
from replay.store.store import AuditStore
from router.circuit import CircuitStats
from router.deliveries import Plan, Sent
from router.model import Cable

T_co = TypeVar("T_co", covariant=True)


class StoreWrite(Protocol[T_co]):
    """A write request: one call of an `AuditStore` method, with what it returns."""

    def apply(self, store: AuditStore) -> T_co:
        """Make the call on `store`."""
        ...


class StartRun(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.start_run`: returns the run's name (`name`, or a dated one when None)."""

    name: str | None
    mode: str
    options: dict[str, Any] = {}

    def apply(self, store: AuditStore) -> str:
        """Start the run."""
        return store.start_run(self.name, self.mode, self.options)


class RecordCables(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_cables`: decoded cables (in this process only; `RecordCableRows` travels)."""

    run: str
    cables: Sequence[Cable]

    def apply(self, store: AuditStore) -> int:
        """Record the cables; how many were added or filled in."""
        return store.record_cables(self.run, self.cables)


class RecordCableRows(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_cable_rows`: cables already turned into rows by `cable_rows`."""

    run: str
    rows: list[WireCableRow]

    def apply(self, store: AuditStore) -> int:
        """Record the rows; how many cables were added or filled in."""
        return store.record_cable_rows(self.run, self.rows)


class RecordPlans(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_plans`: the router's decisions."""

    run: str
    plans: list[Plan]

    def apply(self, store: AuditStore) -> None:
        """Record the plans."""
        store.record_plans(self.run, self.plans)


class RecordPostNames(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_post_names`: (RI, name) of each post as the run's topology gives it."""

    run: str
    names: list[tuple[str, str]]

    def apply(self, store: AuditStore) -> None:
        """Record the names."""
        store.record_post_names(self.run, self.names)


class RecordSent(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_sent`: completed transmissions."""

    run: str
    sent: list[Sent]

    def apply(self, store: AuditStore) -> None:
        """Record the transmissions."""
        store.record_sent(self.run, self.sent)


class RecordReceipts(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_receipts`: receipts of one run."""

    run: str
    receipts: list[Receipt]

    def apply(self, store: AuditStore) -> None:
        """Record the receipts."""
        store.record_receipts(self.run, self.receipts)


class RecordRows(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_rows`: planned deliveries and simulated receipts as coded rows."""

    run: str
    batch: RowBatch

    def apply(self, store: AuditStore) -> None:
        """Record the rows in one transaction."""
        store.record_rows(self.run, self.batch)


class RecordDrops(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_drops`: (cable id, post) pairs a lossy post dropped."""

    run: str
    drops: list[tuple[str, str]]

    def apply(self, store: AuditStore) -> None:
        """Record the drops."""
        store.record_drops(self.run, self.drops)


class RecordRejected(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_rejected`: counts of rejected inbound messages, by kind."""

    run: str
    counts: dict[str, int]

    def apply(self, store: AuditStore) -> None:
        """Add to the counts."""
        store.record_rejected(self.run, self.counts)


class RecordCircuitStats(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_circuit_stats`: each circuit's contention figures at the end of a run."""

    run: str
    stats: list[CircuitStats]

    def apply(self, store: AuditStore) -> None:
        """Record the figures."""
        store.record_circuit_stats(self.run, self.stats)


class RecordSubmitted(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_submitted`: a remote submitter's ledger, (number, cable id, source) per cable."""

    run: str
    ledger: list[tuple[int, str, str]]

    def apply(self, store: AuditStore) -> None:
        """Record the ledger."""
        store.record_submitted(self.run, self.ledger)


class RecordLost(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.record_lost`: (number, why) of each submitted cable that never reached routing."""

    run: str
    lost: list[tuple[int, str]]

    def apply(self, store: AuditStore) -> None:
        """Record why they were lost."""
        store.record_lost(self.run, self.lost)


class CloseMissing(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.close_missing`: returns how many planned deliveries were recorded missing."""

    run: str
    reason: str
    posts: list[str] | None = None

    def apply(self, store: AuditStore) -> int:
        """Record what has no receipt as missing (only deliveries to `posts`, when given)."""
        return store.close_missing(self.run, self.reason, self.posts)


class FinishRun(msgspec.Struct, frozen=True, tag=True):
    """`AuditStore.finish_run`: the run's status and summary."""

    run: str
    status: str
    summary: dict[str, Any] | None = None

    def apply(self, store: AuditStore) -> None:
        """Mark the run finished."""
        store.finish_run(self.run, self.status, self.summary)


#: Every write request `StoreWriter.submit` takes.
WRITES = (
    StartRun,
    RecordCables,
    RecordCableRows,
    RecordPlans,
    RecordPostNames,
    RecordSent,
    RecordReceipts,
    RecordRows,
    RecordDrops,
    RecordRejected,
    RecordCircuitStats,
    RecordSubmitted,
    RecordLost,
    CloseMissing,
    FinishRun,
)

#: The write requests that go to the writer process (encoded as msgpack, decoded by their tag).
ProcessWrite = RecordCableRows | RecordRows | RecordPlans | RecordReceipts | RecordSent | RecordDrops
