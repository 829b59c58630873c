"""Pass 1 of a simulated run: decode a corpus, record its cables, keep a compact form of each.

The work is spread over worker processes: the parent reads the inputs and hands texts out in
chunks, or slices of a CSV file (`replay.corpus.CsvSlice`) that the worker parses itself; each worker
decodes its chunk, records the cables in the audit store (its own connection; SQLite serialises the
writers) and sends back, per cable, its id, replay key and packed form (`router.compact`), and the
rows of a slice it could not read. The parent keeps those in input order and skips a cable whose id
it has already seen (the first copy in input order is the one simulated). With `workers <= 1` the
same work runs in the parent process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

from replay.corpus import CableText, CsvSlice, ReadError, read_csv_slice
from replay.store import AuditStore
from router.compact import pack
from router.decode import decode
from router.order import replay_key
from router.plan import cable_id_of

#: Cables per chunk handed to a worker.
CHUNK = 256

#: One decoded cable as pass 1 keeps it: id, replay key (position 0, set by the parent), packed form.
Ingested = tuple[str, tuple[int, float, float, int, int], bytes]

#: What a worker is given: (source, text) pairs, or a slice of a CSV file.
Chunk = list[tuple[str, str]] | CsvSlice

#: What comes back for a chunk: the decoded cables, and the inputs that could not be read.
ChunkResult = tuple[list[Ingested], list[ReadError]]

_worker_store: tuple[AuditStore, str] | None = None


def _open_store(path: str, run: str) -> None:
    """Worker start-up: open the audit store this worker records cables in."""
    global _worker_store
    _worker_store = (AuditStore(Path(path), create=False), run)


def _ingest_chunk(chunk: Chunk) -> ChunkResult:
    """Worker: `ingest_chunk` with this worker's store."""
    assert _worker_store is not None
    return ingest_chunk(*_worker_store, chunk)


def ingest_chunk(store: AuditStore, run: str, chunk: Chunk) -> ChunkResult:
    """Decode a chunk (parsing it first if it is a CSV slice), record its cables, and return what the
    parent keeps of each, with the rows that could not be read."""
    errors: list[ReadError] = []
    if isinstance(chunk, CsvSlice):
        texts = []
        for item in read_csv_slice(chunk):
            if isinstance(item, ReadError):
                errors.append(item)
            else:
                texts.append((item.source, item.text))
    else:
        texts = chunk
    cables = [decode(text, source) for source, text in texts]
    store.record_cables(run, cables)
    return [(cable_id_of(cable), replay_key(cable, 0), pack(cable)) for cable in cables], errors


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

    def _chunks(self, items: Iterable[CableText | ReadError | CsvSlice]) -> Iterator[Chunk | ReadError]:
        """Texts grouped in chunks, CSV slices as they are, read errors in their place."""
        chunk: list[tuple[str, str]] = []
        for item in items:
            if isinstance(item, CableText):
                chunk.append((item.source, item.text))
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
                continue
            if chunk:
                yield chunk
                chunk = []
            yield item
        if chunk:
            yield chunk

    def _results(self, items: Iterable[CableText | ReadError | CsvSlice]) -> Iterator[ChunkResult]:
        """Each chunk's results, in input order; at most `3 * workers` chunks in flight."""
        if self._pool is None:
            assert self._local is not None
            for chunk in self._chunks(items):
                if isinstance(chunk, ReadError):
                    yield [], [chunk]
                else:
                    yield ingest_chunk(self._local, self._run, chunk)
            return
        pending: deque[AsyncResult[ChunkResult] | ReadError] = deque()
        for chunk in self._chunks(items):
            if isinstance(chunk, ReadError):
                pending.append(chunk)
                continue
            pending.append(self._pool.apply_async(_ingest_chunk, (chunk,)))
            while len(pending) >= 3 * self.workers:
                yield _outcome(pending.popleft())
        while pending:
            yield _outcome(pending.popleft())

    def run(
        self,
        items: Iterable[CableText | ReadError | CsvSlice],
        keys: list[tuple[int, float, float, int, int]],
    ) -> Iterator[bytes]:
        """Decode and record every cable; append each kept cable's replay key to `keys` and yield its
        packed form, in input order. Cables whose id was seen before are skipped (`duplicates`)."""
        seen: set[str] = set()
        for results, errors in self._results(items):
            self.read_errors.extend(errors)
            for cable_id, key, packed in results:
                if cable_id in seen:
                    self.duplicates.append(cable_id)
                    continue
                seen.add(cable_id)
                keys.append((*key[:4], len(keys)))
                yield packed


def _outcome(pending: AsyncResult[ChunkResult] | ReadError) -> ChunkResult:
    """A chunk's result once it is ready; an input that could not be read stands for itself."""
    if isinstance(pending, ReadError):
        return [], [pending]
    return pending.get()
