"""A broker replay's receipts and transmissions, written to the audit store from another process.

In a replay the event loop (router, publisher and every post) runs on one thread; a store writer
thread beside it holds the GIL while it builds and binds rows, and the event loop waits meanwhile.
`ReceiptWriter` takes the two writes that grow with the traffic, receipts (a list per turn of the
event loop) and completed transmissions, to a child process that runs its own `StoreWriter` on the
same audit store: the same batching, the same checks (a finished run takes nothing, a receipt the
store refuses is counted as `unrecordable` and the rest of its batch kept). They go through a pipe
as msgpack.

The run's own writer keeps every other write. Its cables and plans must be written before the first
receipt (`Replayer` flushes it before it publishes anything), and `close()`, which returns once
everything sent is written, comes before the run's missing deliveries are closed.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterable
from multiprocessing.connection import Connection
from pathlib import Path

import msgspec

from replay.processes import process_context
from replay.store.receipt import Receipt
from replay.store.store import StoreError
from replay.store.writer import StoreWriter
from replay.store.writes import RecordSent
from router.deliveries import Sent

#: Bytes the pipe to the child holds before a write waits (Linux's default is 64 KiB).
PIPE_BYTES = 1 << 20


class _Receipts(msgspec.Struct, frozen=True, array_like=True, tag="r"):
    receipts: list[Receipt]


class _Sent(msgspec.Struct, frozen=True, array_like=True, tag="s"):
    run: str
    sent: list[Sent]


_encoder = msgspec.msgpack.Encoder()

#: Tells the child to write what it has and stop (a batch is never empty).
_STOP = b""


def _serve(path: str, jobs: Connection, report: Connection) -> None:
    """Child process: hand every batch from `jobs` to a `StoreWriter`; report the outcome and the
    receipts the store refused."""
    decoder = msgspec.msgpack.Decoder(_Receipts | _Sent)
    try:
        writer = StoreWriter(path)
    except StoreError as error:
        report.send((str(error), 0))
        return
    failure = None
    try:
        while True:
            blob = jobs.recv_bytes()
            if blob == _STOP:
                break
            batch = decoder.decode(blob)
            if isinstance(batch, _Receipts):
                writer.submit_receipts(batch.receipts)
            else:
                writer.submit(RecordSent(batch.run, batch.sent))
    except EOFError:
        failure = "the replay went away before the end"
    finally:
        try:
            writer.close()
        except StoreError as error:
            failure = failure or str(error)
        report.send((failure or "ok", writer.rejected))


class ReceiptWriter:
    """Receipts and transmissions of a replay, written by a child process into the store at `path`.

    `submit_receipts` and `submit_sent` queue a batch (waiting only while the pipe is full);
    `close()` waits until everything is written and raises `StoreError` if a write failed.
    `rejected` then holds the receipts the store refused (each counted with the run).
    """

    def __init__(self, path: Path) -> None:
        context = process_context()
        child_jobs, self._jobs = context.Pipe(duplex=False)
        self._report, child_report = context.Pipe(duplex=False)
        with contextlib.suppress(OSError):  # a bigger pipe: the event loop seldom waits on the child
            fcntl.fcntl(self._jobs.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._process = context.Process(
            target=_serve, args=(str(path), child_jobs, child_report), name="receipt-writer", daemon=True
        )
        self._process.start()
        child_jobs.close()
        child_report.close()
        self._closed = False
        self.rejected = 0
        #: Why the child can take nothing more (it stopped), or None while it runs.
        self.failure: str | None = None
        #: Receipts that could not be handed to the child once it had stopped.
        self.lost = 0

    @property
    def pid(self) -> int | None:
        """The child process's id."""
        return self._process.pid

    def submit_receipt(self, receipt: Receipt) -> None:
        """Queue one receipt."""
        self.submit_receipts([receipt])

    def submit_receipts(self, receipts: Iterable[Receipt]) -> None:
        """Queue receipts (written in one batch). Never raises: once the child has stopped, the
        receipts are counted in `lost` and `close()` reports them."""
        batch = list(receipts)
        self._send(_encoder.encode(_Receipts(batch)), len(batch))

    def submit_sent(self, run: str, sent: list[Sent]) -> None:
        """Queue completed transmissions of `run` (never raises, as `submit_receipts`)."""
        if sent:
            self._send(_encoder.encode(_Sent(run, sent)), 0)

    def check(self) -> None:
        """`StoreError` once the child has stopped: what is handed over from then on is lost."""
        if self.failure is not None:
            raise StoreError(self._failed())

    def _send(self, blob: bytes, receipts: int) -> None:
        """Hand one batch to the child, or count its receipts as lost when the child has stopped."""
        if self.failure is None:
            try:
                self._jobs.send_bytes(blob)
                return
            except OSError:
                self._process.join(timeout=1.0)
                code = self._process.exitcode
                how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
                self.failure = f"the receipt writer process {how}"
        self.lost += receipts

    def _failed(self) -> str:
        """The error message once the child has stopped."""
        return (
            f"writing receipts to the audit store failed: {self.failure}; "
            f"{self.lost:,} receipts handed over after that were not recorded (the run is failed)"
        )

    def close(self) -> None:
        """Wait until everything queued is written and the child has stopped; raise `StoreError`
        if a write failed."""
        if self._closed:
            return
        self._closed = True
        if self.failure is not None:
            self._jobs.close()
            self._report.close()
            self._process.join()
            self.check()
        outcome = "the receipt writer ended unexpectedly"
        with contextlib.suppress(OSError):
            self._jobs.send_bytes(_STOP)
        self._jobs.close()
        with contextlib.suppress(EOFError, OSError):
            outcome, self.rejected = self._report.recv()
        self._process.join()
        self._report.close()
        if outcome != "ok":
            raise StoreError(f"writing receipts to the audit store failed: {outcome}")
