"""Receipts and transmissions written from a child process: all recorded, a bad receipt refused
without taking its batch with it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from replay.engine.receipt_writer import ReceiptWriter
from replay.store.receipt import Receipt
from replay.store.store import AuditStore, StoreError
from router.precedence import Precedence
from tests.waiting import wait_until


def _receipt(run: str, number: int, serial: int) -> Receipt:
    return Receipt(
        run=run,
        cable_id=f"08TOKYO{number}",
        post="RUEHC",
        role="action",
        precedence=Precedence.PRIORITY,
        channel_serial=serial,
        scheduled_sim=1.0,
        enqueued_sim=1.0,
        transmitted_sim=2.0,
        received_sim=3.0,
        received_wall=4.0,
    )


def test_the_child_records_every_receipt_and_counts_the_one_the_store_refuses(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("r", "replay", {})
    writer = ReceiptWriter(db)
    writer.submit_receipts([_receipt(run, n, n + 1) for n in range(50)])
    writer.submit_receipt(_receipt(run, 99, 2**64 - 1))  # no SQLite integer holds it
    writer.submit_receipts([_receipt(run, n, n + 1) for n in range(50, 100)])
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
        writer.submit_receipts([_receipt(run, n, n + 1) for n in range(start, start + 100)])
        return writer.failure is not None

    assert wait_until(submit_a_batch_and_see_it_fail)
    assert writer.failure == "the receipt writer process was killed by signal 9"
    with pytest.raises(StoreError, match=r"killed by signal 9; [\d,]+ receipts handed over after that"):
        writer.check()
    assert writer.lost > 0
    with pytest.raises(StoreError, match="the run is failed"):
        writer.close()
