"""An audit-store writer in its own process, so that SQLite and row building use the second core.

The parent encodes each batch (cable, delivery and receipt rows, plans, drops, transmissions) as
msgpack, which msgspec does at C speed, and puts it on a bounded queue; the child decodes it and calls
the matching `AuditStore.record_*` method. Cables, deliveries and receipts travel as plain tuples (no
field names, no Structs to rebuild), the bulk of a run. The queue holds a few batches at most, so a slow
disk slows the run down instead of filling memory. A write error in the child is raised in the parent
by `close()`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec

from replay.store.receipt import Receipt
from replay.store.store import AuditStore, DeliveryRow, ReceiptRow, StoreError
from router.deliveries import Plan, Sent

#: Batches that may wait in the queue before `record_*` blocks.
QUEUE_BATCHES = 6

#: The decoder of each method's arguments (after the run name).
_DECODERS: dict[str, msgspec.msgpack.Decoder[Any]] = {
    "record_cable_rows": msgspec.msgpack.Decoder(),  # plain rows, decoded as lists
    "record_rows": msgspec.msgpack.Decoder(),  # two lists of plain rows, decoded as lists
    "record_plans": msgspec.msgpack.Decoder(tuple[list[Plan]]),
    "record_receipts": msgspec.msgpack.Decoder(tuple[list[Receipt]]),
    "record_sent": msgspec.msgpack.Decoder(tuple[list[Sent]]),
    "record_drops": msgspec.msgpack.Decoder(tuple[list[tuple[str, str]]]),
}
_STOP = "stop"

#: WAL pages (4 KiB) after which the writer checkpoints (SQLite's default is 1,000).
CHECKPOINT_PAGES = 10_000


def _serve(path: str, run: str, jobs: Any, report: Connection) -> None:
    """Child process: write every batch from `jobs` until told to stop; report `ok` or the error."""
    failure = None
    # The batches are lists and tuples of plain values, which form no reference cycles: without the
    # cycle collector, decoding and row building do not pay for its passes over millions of them.
    gc.disable()
    try:
        store = AuditStore(Path(path), create=False)
    except BaseException as error:
        report.send(f"cannot open {path}: {error}")
        return
    # Checkpoint the WAL every 40 MB rather than every 4 MB: fewer copies and syncs of hot pages.
    store.connection.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
    try:
        while True:
            method, blob = jobs.get()
            if method == _STOP:
                break
            if failure is None:
                try:
                    getattr(store, method)(run, *_DECODERS[method].decode(blob))
                except BaseException:
                    failure = traceback.format_exc(limit=3)
    finally:
        store.close()
        report.send(failure or "ok")


class StoreProcess:
    """Record batches of one run from another process. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, run: str) -> None:
        context = multiprocessing.get_context("fork")
        self._jobs = context.Queue(maxsize=QUEUE_BATCHES)
        self._report, child_end = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve, args=(str(path), run, self._jobs, child_end), name="audit-store", daemon=True
        )
        self._process.start()
        child_end.close()
        self._encoder = msgspec.msgpack.Encoder()
        self._closed = False

    def __enter__(self) -> StoreProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, method: str, *args: Sequence[Any]) -> None:
        """Queue one batch, waiting while the queue is full (and failing if the child has died)."""
        if not any(args):
            return
        job = (method, self._encoder.encode(args))
        while True:
            try:
                self._jobs.put(job, timeout=1.0)
                return
            except queue.Full:
                if not self._process.is_alive():
                    self.close()

    def record_cable_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Queue cables turned into rows (`store.cable_rows`) for `AuditStore.record_cable_rows`."""
        self._put("record_cable_rows", rows)

    def record_rows(self, deliveries: Sequence[DeliveryRow], receipts: Sequence[ReceiptRow]) -> None:
        """Queue plain delivery and receipt rows for `AuditStore.record_rows` (one transaction)."""
        self._put("record_rows", deliveries, receipts)

    def record_plans(self, plans: Sequence[Plan]) -> None:
        """Queue plans for `AuditStore.record_plans`."""
        self._put("record_plans", plans)

    def record_receipts(self, receipts: Sequence[Receipt]) -> None:
        """Queue receipts for `AuditStore.record_receipts`."""
        self._put("record_receipts", receipts)

    def record_sent(self, sent: Sequence[Sent]) -> None:
        """Queue transmissions for `AuditStore.record_sent`."""
        self._put("record_sent", sent)

    def record_drops(self, drops: Sequence[tuple[str, str]]) -> None:
        """Queue dropped (cable id, post) pairs for `AuditStore.record_drops`."""
        self._put("record_drops", drops)

    def close(self) -> None:
        """Wait until everything queued is written; raise `StoreError` if a write failed."""
        if self._closed:
            return
        self._closed = True
        outcome = "the audit-store process ended unexpectedly"
        if self._process.is_alive():
            self._jobs.put((_STOP, b""))
        if self._report.poll(None):
            with contextlib.suppress(EOFError):
                outcome = self._report.recv()
        self._process.join()
        self._jobs.close()
        if outcome != "ok":
            raise StoreError(f"writing to the audit store failed: {outcome}")
