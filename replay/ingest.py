"""Pass 1 of a simulated run: decode a corpus, record its cables, keep a compact form of each.

The work is spread over worker processes: the parent reads the inputs and hands texts out in
chunks; each worker decodes its chunk, records the cables in the audit store (its own connection;
SQLite serialises the writers) and sends back, per cable, its id, replay key and packed form
(`router.compact`). The parent keeps those in input order and skips a cable whose id it has already
seen (the first copy in input order is the one simulated). With `workers <= 1` the same work runs in
the parent process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

from replay.corpus import CableText, ReadError
from replay.store import AuditStore
from router.compact import pack
from router.decode import decode
from router.order import replay_key
from router.plan import cable_id_of

#: Cables per chunk handed to a worker.
CHUNK = 256

#: One decoded cable as pass 1 keeps it: id, replay key (position 0, set by the parent), packed form.
Ingested = tuple[str, tuple[int, float, float, int, int], bytes]

_worker_store: tuple[AuditStore, str] | None = None


def _open_store(path: str, run: str) -> None:
    """Worker start-up: open the audit store this worker records cables in."""
    global _worker_store
    _worker_store = (AuditStore(Path(path), create=False), run)


def _ingest_chunk(texts: list[tuple[str, str]]) -> list[Ingested]:
    """Decode a chunk, record its cables, and return what the parent keeps of each."""
    assert _worker_store is not None
    store, run = _worker_store
    cables = [decode(text, source) for source, text in texts]
    store.record_cables(run, cables)
    return [(cable_id_of(cable), replay_key(cable, 0), pack(cable)) for cable in cables]


class Ingest:
    """The decode-and-record pass over a corpus. A context manager: worker processes stop on exit.

    The workers are forked when the object is made, so make it before starting any thread.
    """

    def __init__(self, store_path: Path, run: str, workers: int = 2) -> None:
        self.workers = workers
        self.read_errors: list[ReadError] = []
        self.duplicates: list[str] = []
        self._local: AuditStore | None = None
        self._pool: Pool | None = None
        if workers > 1:
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(workers, initializer=_open_store, initargs=(str(store_path), run))
        else:
            self._local = AuditStore(store_path, create=False)
            self._run = run

    def __enter__(self) -> Ingest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (or close the local store connection)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def _chunks(self, items: Iterable[CableText | ReadError]) -> Iterator[list[tuple[str, str]]]:
        """Texts grouped in chunks; read errors are kept aside."""
        chunk: list[tuple[str, str]] = []
        for item in items:
            if isinstance(item, ReadError):
                self.read_errors.append(item)
                continue
            chunk.append((item.source, item.text))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _results(self, items: Iterable[CableText | ReadError]) -> Iterator[list[Ingested]]:
        """Each chunk's results, in input order; at most `3 * workers` chunks in flight."""
        if self._pool is None:
            assert self._local is not None
            store, run = self._local, self._run
            for chunk in self._chunks(items):
                cables = [decode(text, source) for source, text in chunk]
                store.record_cables(run, cables)
                yield [(cable_id_of(c), replay_key(c, 0), pack(c)) for c in cables]
            return
        pending: deque[AsyncResult[list[Ingested]]] = deque()
        for chunk in self._chunks(items):
            pending.append(self._pool.apply_async(_ingest_chunk, (chunk,)))
            if len(pending) >= 3 * self.workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def run(
        self, items: Iterable[CableText | ReadError], keys: list[tuple[int, float, float, int, int]]
    ) -> Iterator[bytes]:
        """Decode and record every cable; append each kept cable's replay key to `keys` and yield its
        packed form, in input order. Cables whose id was seen before are skipped (`duplicates`)."""
        seen: set[str] = set()
        for results in self._results(items):
            for cable_id, key, packed in results:
                if cable_id in seen:
                    self.duplicates.append(cable_id)
                    continue
                seen.add(cable_id)
                keys.append((*key[:4], len(keys)))
                yield packed
