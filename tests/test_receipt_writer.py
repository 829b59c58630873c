"""Receipts and transmissions written from a child process: all recorded, a bad receipt refused
without taking its batch with it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from replay.engine.receipt_writer import ReceiptWriter
from replay.store.store import AuditStore, StoreError
from tests.receipt_samples import sample_receipt
from tests.waiting import wait_until


def test_the_child_records_every_receipt_and_counts_the_one_the_store_refuses(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("r", "replay", {})
    writer = ReceiptWriter(db)
    writer.submit_receipts([sample_receipt(run, n, n + 1) for n in range(50)])
    writer.submit_receipt(sample_receipt(run, 99, 2**64 - 1))  # no SQLite integer holds it
    writer.submit_receipts([sample_receipt(run, n, n + 1) for n in range(50, 100)])
    writer.close()
    assert writer.rejected == 1
    with AuditStore(db, create=False) as store:
        run_id = store.run_id(run)
        count = store.connection.execute("SELECT count(*) FROM receipts WHERE run_id = ?", (run_id,))
        assert count.fetchone()[0] == 100
        assert store.rejected_counts(run)["unrecordable"] == 1


def test_a_receipt_writer_that_was_killed_fails_the_run_with_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("r", "replay", {})
    writer = ReceiptWriter(db)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    batches = iter(range(0, 10**6, 100))

    def submit_a_batch_and_see_it_fail() -> bool:  # the pipe's buffer takes some until the end is closed
        start = next(batches)
        writer.submit_receipts([sample_receipt(run, n, n + 1) for n in range(start, start + 100)])
        return writer.failure is not None

    assert wait_until(submit_a_batch_and_see_it_fail)
    assert writer.failure == "the receipt writer process was killed by signal 9"
    with pytest.raises(StoreError, match=r"killed by signal 9; [\d,]+ receipts handed over after that"):
        writer.check()
    assert writer.lost > 0
    with pytest.raises(StoreError, match="the run is failed"):
        writer.close()
