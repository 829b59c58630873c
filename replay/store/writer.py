"""The audit store's writer thread: asyncio code queues write requests and receipts without blocking.

The thread owns its own connection, takes whatever has queued up, groups consecutive receipts into one
batch per run, and writes each batch in one transaction. Other writes are typed requests
(`replay.store.writes`), each answered through a `concurrent.futures.Future`.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import structlog

from replay.store.owner import HEARTBEAT_S
from replay.store.receipt import Receipt
from replay.store.store import AuditStore, StoreError
from replay.store.writes import WRITES, FinishRun, StartRun, StoreWrite

_log = structlog.get_logger()

T = TypeVar("T")


class _Request:
    """A write request on the queue, with the future its result goes to."""

    __slots__ = ("future", "write")

    def __init__(self, write: StoreWrite[Any], future: Future[Any]) -> None:
        self.write = write
        self.future = future


class _Flush:
    """Set `done` once everything queued before it is written."""

    __slots__ = ("done",)

    def __init__(self, done: threading.Event) -> None:
        self.done = done


class _Stop:
    """End the thread after writing everything queued before it."""


class _Rejected:
    """One rejected inbound message that names a run."""

    __slots__ = ("kind", "run")

    def __init__(self, run: str, kind: str) -> None:
        self.run = run
        self.kind = kind


#: What the thread takes off its queue.
_Item = Receipt | list[Receipt] | _Request | _Flush | _Stop | _Rejected


class StoreWriter:
    """Writes to an audit store from a background thread that owns its own connection.

    Made for asyncio code: `submit_receipt` and `submit` only put work on a queue and return at
    once. The thread takes whatever has queued up, groups consecutive receipts into one batch per
    run, and writes each batch in one transaction. `submit(request)` takes a write request of
    `replay.store.writes` and returns a `concurrent.futures.Future` with its result (await it with
    `asyncio.wrap_future`). `flush()` blocks until everything
    submitted so far is written (`await writer.aflush()` from a coroutine); `close()` flushes and
    stops the thread. A write that failed is raised again, as `StoreError`, by `flush`/`close`.
    """

    def __init__(self, store: AuditStore | str | Path, *, batch_size: int = 20_000) -> None:
        self.path = store.path if isinstance(store, AuditStore) else Path(store)
        self.batch_size = batch_size
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._errors: list[BaseException] = []
        self._opened = threading.Event()
        self._closed = False
        #: Receipts the store refused (each one logged and, where its run exists, counted there).
        self.rejected = 0
        self._owned: set[str] = set()  # runs started through this writer and not finished
        self._last_beat = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="audit-store-writer", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self._errors:
            self._thread.join()
            raise StoreError(f"cannot open the audit store {self.path}: {self._errors[0]}")

    # -- producer side (any thread, never blocks) --------------------------------------------------

    def submit_receipt(self, receipt: Receipt) -> None:
        """Queue one receipt (recorded under `receipt.run`)."""
        self._queue.put(receipt)

    def submit_receipts(self, receipts: Iterable[Receipt]) -> None:
        """Queue several receipts (as one item: written in the same batch)."""
        self._queue.put(list(receipts))

    def submit_rejected(self, run: str, kind: str) -> None:
        """Queue one rejected inbound message that names `run` (a `REJECTION_KINDS` kind). Those queued
        together are recorded in one write; for a run the store does not have, they are only logged."""
        self._queue.put(_Rejected(run, kind))

    def submit(self, write: StoreWrite[T]) -> Future[T]:
        """Queue a write request, e.g. `submit(RecordPlans(run, plans))`; its result comes in the future."""
        if not isinstance(write, WRITES):
            raise TypeError(f"StoreWriter takes the write requests of replay.store.writes, not {write!r}")
        future: Future[T] = Future()
        self._queue.put(_Request(write, future))
        return future

    def flush(self) -> None:
        """Block until everything submitted so far is written; raise the first write error, if any."""
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put(_Flush(done))
            while not done.wait(0.5):
                if not self._thread.is_alive():
                    break
        self._raise_errors()

    async def aflush(self) -> None:
        """`flush` without blocking the event loop."""
        await asyncio.to_thread(self.flush)

    def close(self) -> None:
        """Write what is queued, stop the thread and close its connection."""
        if not self._closed:
            self._closed = True
            self._queue.put(_Stop())
            self._thread.join()
        self._raise_errors()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _raise_errors(self) -> None:
        """Raise (once) a write error the thread met."""
        if self._errors:
            first, self._errors = self._errors[0], []
            raise StoreError(f"writing to the audit store {self.path} failed: {first}") from first

    # -- writer thread -----------------------------------------------------------------------------

    def _work(self) -> None:
        """The thread: open the store, then write batches until told to stop."""
        try:
            store = AuditStore(self.path)
        except BaseException as error:
            self._errors.append(error)
            self._opened.set()
            return
        self._opened.set()
        try:
            while True:
                self._beat(store)
                if not self._write_batch(store, self._take_batch()):
                    break
        finally:
            store.close()

    def _beat(self, store: AuditStore) -> None:
        """Renew the heartbeat of the runs started through this writer, every `HEARTBEAT_S`."""
        now = time.monotonic()
        if not self._owned or now - self._last_beat < HEARTBEAT_S:
            return
        self._last_beat = now
        for run in list(self._owned):
            try:
                store.heartbeat(run)
            except (sqlite3.Error, StoreError) as error:
                _log.warning("run heartbeat failed", run=run, error=str(error))

    def _take_batch(self) -> list[_Item]:
        """Wait for work (at most `HEARTBEAT_S`), then take everything queued (up to `batch_size`
        items); empty when nothing came."""
        try:
            batch = [self._queue.get(timeout=HEARTBEAT_S)]
        except queue.Empty:
            return []
        get = self._queue.get_nowait
        try:
            while len(batch) < self.batch_size:
                batch.append(get())
        except queue.Empty:
            pass
        return batch

    def _write_batch(self, store: AuditStore, batch: list[_Item]) -> bool:
        """Write a batch in order; False once a stop request has been handled."""
        receipts: list[Receipt] = []
        rejected: dict[str, dict[str, int]] = {}
        keep_going = True
        for item in batch:
            if isinstance(item, Receipt):
                receipts.append(item)
                continue
            if isinstance(item, list):
                receipts.extend(item)
                continue
            if isinstance(item, _Rejected):
                counts = rejected.setdefault(item.run, {})
                counts[item.kind] = counts.get(item.kind, 0) + 1
                continue
            self._write_receipts(store, receipts)
            self._write_rejected(store, rejected)
            receipts, rejected = [], {}
            if isinstance(item, _Request):
                self._apply(store, item.write, item.future)
            elif isinstance(item, _Flush):
                item.done.set()
            else:
                keep_going = False
        self._write_receipts(store, receipts)
        self._write_rejected(store, rejected)
        return keep_going

    def _write_rejected(self, store: AuditStore, rejected: dict[str, dict[str, int]]) -> None:
        """Add counts of rejected messages to their runs; those of unknown runs are only logged."""
        for run, counts in rejected.items():
            if not store.has_run(run):
                _log.warning("rejected messages name no known run", run=run[:80], **counts)
                continue
            try:
                store.record_rejected(run, counts)
            except Exception as error:
                self._errors.append(error)

    def _write_receipts(self, store: AuditStore, receipts: list[Receipt]) -> None:
        """Record queued receipts, one call per run. Receipts of a finished run are rejected; when
        the store refuses a batch, its receipts are recorded one by one, so that one bad receipt is
        rejected (and counted) without taking the others with it."""
        if not receipts:
            return
        by_run: dict[str, list[Receipt]] = {}
        for receipt in receipts:
            by_run.setdefault(receipt.run, []).append(receipt)
        for run, group in by_run.items():
            try:
                if store.run_finished(run):
                    _log.warning("receipts for a finished run rejected", run=run, count=len(group))
                    store.record_rejected(run, {"after_finish": len(group)})
                    continue
                store.record_receipts(run, group)
            except StoreError as error:  # no such run: nothing to record them under
                _log.error("receipts not recorded", run=run, count=len(group), error=str(error))
                self._errors.append(error)
            except Exception:
                self._write_one_by_one(store, run, group)

    def _write_one_by_one(self, store: AuditStore, run: str, receipts: list[Receipt]) -> None:
        """Record each receipt in its own transaction; count those the store refuses."""
        refused = 0
        for receipt in receipts:
            try:
                store.record_receipts(run, [receipt])
            except Exception as error:
                refused += 1
                _log.error(
                    "receipt rejected by the store",
                    run=run,
                    cable=receipt.cable_id[:80],
                    post=receipt.post[:16],
                    error=str(error),
                )
        self.rejected += refused
        if refused:
            try:
                store.record_rejected(run, {"unrecordable": refused})
            except Exception as error:
                self._errors.append(error)

    def _apply(self, store: AuditStore, write: StoreWrite[Any], future: Future[Any]) -> None:
        """Make one write request, passing its result or error to the future."""
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = write.apply(store)
            if isinstance(write, StartRun):  # the writer's process owns the run: keep it alive
                self._owned.add(result)
            elif isinstance(write, FinishRun):
                self._owned.discard(write.run)
            future.set_result(result)
        except Exception as error:
            _log.error("store write failed", request=type(write).__name__, error=str(error))
            self._errors.append(error)
            future.set_exception(error)
