"""An audit-store writer in its own process, so that SQLite and row building use the second core.

The parent encodes each batch (a write request of `replay.store.writes`: cable, delivery and receipt
rows, plans, drops, transmissions) as msgpack, which msgspec does at C speed, and puts it on a bounded
queue; the child decodes it by its tag into the same request and applies it to its `AuditStore`.
Cables travel as plain tuples (no field names, no Structs to rebuild); deliveries and receipts, the
bulk of a run, as tuples of small integers and floats (`rows.RowBatch`). The queue holds a few batches
at most, so a slow disk slows the run down instead of filling memory. A write error in the child is
raised in the parent by `close()`.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import signal
import sqlite3
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import msgspec

from replay.processes import process_context
from replay.store.owner import HEARTBEAT_S
from replay.store.receipt import Receipt
from replay.store.rows import CableRow, RowBatch
from replay.store.store import AuditStore, StoreError
from replay.store.writes import (
    ProcessWrite,
    RecordCableRows,
    RecordDrops,
    RecordPlans,
    RecordReceipts,
    RecordRows,
    RecordSent,
)
from router.deliveries import Plan, Sent

#: Batches that may wait in the queue before `record_*` blocks.
QUEUE_BATCHES = 6

#: Tells the child to stop (a request is never empty).
_STOP = b""

#: WAL pages (4 KiB) after which the writer checkpoints (SQLite's default is 1,000).
CHECKPOINT_PAGES = 10_000

#: Cable rows gathered in this process before they go to the writer, to be recorded in one
#: transaction: the decoders hand them over a few hundred at a time.
CABLE_ROWS_PER_WRITE = 4_096


def _bind_none_and_bytes_as_they_are() -> None:
    """Have `sqlite3` bind None and bytes through its adapter registry, in this process. It binds an
    int, float or str directly, but adapts any other value: when no adapter is registered for its type
    it looks up the protocol's `__adapt__`, which raises AttributeError and clears it, about a fifth of
    a microsecond for each NULL or BLOB of a row (a cable row has several). A registered adapter is a
    dictionary lookup and a call; these give back the value itself (at C speed), so that what is
    stored is the same."""
    itself: Callable[[None], None] = cast("Callable[[None], None]", {}.get)  # ({}.get(None) is None)
    sqlite3.register_adapter(type(None), itself)
    sqlite3.register_adapter(bytes, bytes)  # (bytes(data) is data)


def _serve(path: str, run: str, jobs: Any, report: Connection) -> None:
    """Child process: write every batch from `jobs` until told to stop, renewing `run`'s heartbeat while
    it waits or works; report `ok` or the error. An interrupt (Ctrl-C reaches every process of the
    command) is the parent's to handle: it stops the writer once what was queued is written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    failure = None
    # The batches are lists and tuples of plain values, which form no reference cycles: without the
    # cycle collector, decoding and row building do not pay for its passes over millions of them.
    gc.disable()
    _bind_none_and_bytes_as_they_are()
    try:
        store = AuditStore(Path(path), create=False)
    except BaseException as error:
        report.send(f"cannot open {path}: {error}")
        return
    # Checkpoint the WAL every 40 MB rather than every 4 MB: fewer copies and syncs of hot pages.
    store.connection.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
    decoder = msgspec.msgpack.Decoder(ProcessWrite)
    last_beat = time.monotonic()
    try:
        while True:
            if time.monotonic() - last_beat >= HEARTBEAT_S:  # the run is still being recorded
                last_beat = time.monotonic()
                with contextlib.suppress(sqlite3.Error, StoreError):
                    store.heartbeat(run)
            try:
                blob = jobs.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                continue
            if blob == _STOP:
                break
            if failure is None:
                try:
                    decoder.decode(blob).apply(store)
                except BaseException:
                    failure = traceback.format_exc(limit=3)
    finally:
        store.close()
        report.send(failure or "ok")


class StoreProcess:
    """Record batches of one run from another process. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, run: str) -> None:
        context = process_context()
        self._jobs = context.Queue(maxsize=QUEUE_BATCHES)
        self._report, child_end = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve, args=(str(path), run, self._jobs, child_end), name="audit-store", daemon=True
        )
        self._process.start()
        child_end.close()
        self.run = run
        self._encoder = msgspec.msgpack.Encoder()
        self._closed = False
        self._cable_rows: list[CableRow] = []  # gathered, not yet queued

    def __enter__(self) -> StoreProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _put(self, write: ProcessWrite) -> None:
        """Queue one request after the cable rows gathered so far, which come first in the store."""
        self._put_cable_rows()
        self._send(write)

    def _put_cable_rows(self) -> None:
        """Queue the cable rows gathered so far, as one request."""
        if self._cable_rows:
            rows, self._cable_rows = self._cable_rows, []
            self._send(RecordCableRows(self.run, rows))

    def _send(self, write: ProcessWrite) -> None:
        """Queue one request, waiting while the queue is full (and failing if the child has died)."""
        job = self._encoder.encode(write)
        while True:
            try:
                self._jobs.put(job, timeout=1.0)
                return
            except queue.Full:
                if not self._process.is_alive():
                    self.close()

    def record_cable_rows(self, rows: list[CableRow]) -> None:
        """Queue cables turned into rows (`rows.cable_rows`) for `AuditStore.record_cable_rows`: they
        are gathered into requests of `CABLE_ROWS_PER_WRITE` rows, and always go before any later
        request."""
        self._cable_rows.extend(rows)
        if len(self._cable_rows) >= CABLE_ROWS_PER_WRITE:
            self._put_cable_rows()

    def record_rows(self, batch: RowBatch) -> None:
        """Queue coded delivery and receipt rows for `AuditStore.record_rows` (one transaction)."""
        if batch.deliveries or batch.receipts:
            self._put(RecordRows(self.run, batch))

    def record_plans(self, plans: list[Plan]) -> None:
        """Queue plans for `AuditStore.record_plans`."""
        if plans:
            self._put(RecordPlans(self.run, plans))

    def record_receipts(self, receipts: list[Receipt]) -> None:
        """Queue receipts for `AuditStore.record_receipts`."""
        if receipts:
            self._put(RecordReceipts(self.run, receipts))

    def record_sent(self, sent: list[Sent]) -> None:
        """Queue transmissions for `AuditStore.record_sent`."""
        if sent:
            self._put(RecordSent(self.run, sent))

    def record_drops(self, drops: list[tuple[str, str]]) -> None:
        """Queue dropped (cable id, post) pairs for `AuditStore.record_drops`."""
        if drops:
            self._put(RecordDrops(self.run, drops))

    def close(self) -> None:
        """Wait until everything queued is written; raise `StoreError` if a write failed."""
        if self._closed:
            return
        self._closed = True
        outcome = "the audit-store process ended unexpectedly"
        if self._process.is_alive():
            self._put_cable_rows()
            self._jobs.put(_STOP)
        if self._report.poll(None):
            with contextlib.suppress(EOFError):
                outcome = self._report.recv()
        self._process.join()
        self._jobs.close()
        if outcome != "ok":
            raise StoreError(f"writing to the audit store failed: {outcome}")
