"""Pass 1 of a simulated run: decode a corpus, record its cables, keep a compact form of each.

The decoding is spread over worker processes: the parent reads the inputs and hands texts out in
chunks, or slices of a CSV file (`replay.inputs.corpus.CsvSlice`) that the worker parses itself; each worker
decodes its chunk and sends back, per cable, its id, replay key, packed form (`router.compact`) and
its row for the audit store (`replay.store.store.cable_rows`), and the rows of a slice it could not read.
The parent takes the chunks in input order: it hands the cable rows to `record` (the store writer),
so that the store keeps cables in input order, the first copy of a repeated id included, however the
workers finish; and it skips a cable whose id it has already seen (the first copy in input order is
the one simulated). With `workers <= 1` the same work runs in the parent process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from replay.inputs.corpus import CableText, CsvSlice, ReadError, read_csv_slice
from replay.store.store import cable_rows
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

#: What comes back for a chunk: the decoded cables, their rows for the store, and the inputs that
#: could not be read.
ChunkResult = tuple[list[Ingested], list[tuple[Any, ...]], list[ReadError]]

#: Where cable rows go, in input order (`StoreProcess.record_cable_rows`).
Recorder = Callable[[Sequence[Sequence[Any]]], object]


def ingest_chunk(chunk: Chunk) -> ChunkResult:
    """Decode a chunk (parsing it first if it is a CSV slice); return what the parent keeps of each
    cable, the cables' store rows, and the rows that could not be read."""
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
    kept = [(cable_id_of(cable), replay_key(cable, 0), pack(cable)) for cable in cables]
    return kept, cable_rows(cables), errors


class Ingest:
    """The decode-and-record pass over a corpus. A context manager: worker processes stop on exit.

    The workers are forked when the object is made, so make it before starting any thread.
    """

    def __init__(self, record: Recorder, workers: int = 2) -> None:
        self.workers = workers
        self.read_errors: list[ReadError] = []
        self.duplicates: list[str] = []
        self._record = record
        self._pool: Pool | None = None
        if workers > 1:
            self._pool = multiprocessing.get_context("fork").Pool(workers)

    def __enter__(self) -> Ingest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

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
            for chunk in self._chunks(items):
                yield ([], [], [chunk]) if isinstance(chunk, ReadError) else ingest_chunk(chunk)
            return
        pending: deque[AsyncResult[ChunkResult] | ReadError] = deque()
        for chunk in self._chunks(items):
            if isinstance(chunk, ReadError):
                pending.append(chunk)
                continue
            pending.append(self._pool.apply_async(ingest_chunk, (chunk,)))
            while len(pending) >= 3 * self.workers:
                yield _outcome(pending.popleft())
        while pending:
            yield _outcome(pending.popleft())

    def run(
        self,
        items: Iterable[CableText | ReadError | CsvSlice],
        keys: list[tuple[int, float, float, int, int]],
    ) -> Iterator[bytes]:
        """Decode every cable and hand its row to `record`; append each kept cable's replay key to
        `keys` and yield its packed form, in input order. Cables whose id was seen before are skipped
        (`duplicates`)."""
        seen: set[str] = set()
        for results, rows, errors in self._results(items):
            self.read_errors.extend(errors)
            if rows:
                self._record(rows)
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
        return [], [], [pending]
    return pending.get()
