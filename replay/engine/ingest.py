"""Pass 1 of a run, simulated or replayed: decode a corpus, record its cables, keep a compact form of each.

The decoding is spread over worker processes (`replay.inputs.workers`): the parent reads the inputs
and hands texts out in chunks, or slices of a CSV file that the worker parses itself; each worker
decodes its chunk and sends back, per cable, its id, replay key, packed form (`router.compact`) and
its row for the audit store (`replay.store.rows.cable_rows`), and the rows of a slice it could not read.
The parent takes the chunks in input order: it hands the cable rows to `record` (the store writer),
so that the store keeps cables in input order, the first copy of a repeated id included, however the
workers finish; and it skips a cable whose id it has already seen (the first copy in input order is
the one run). With `workers <= 1` the same work runs in the parent process. A broker replay also keeps
the text of each cable it will publish (`keep_texts`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import structlog

from replay.engine.runs import RunSummary
from replay.gcpause import cycle_collection_paused
from replay.inputs.corpus import CableText, CsvSlice, ReadError
from replay.inputs.workers import Chunk, Workers, chunk_texts, chunked
from replay.store.rows import CableRow, cable_rows, row_replay_key
from router.compact import pack, unpack
from router.decoder import decode, not_a_cable
from router.model import Cable

#: One decoded cable as pass 1 keeps it: id, replay key (position 0, set by the parent), packed form,
#: and its text when asked for.
Ingested = tuple[str, tuple[int, float, float, int, int], bytes, str | None]

#: What comes back for a chunk: the decoded cables, their rows for the store, and the inputs that
#: could not be read.
ChunkResult = tuple[list[Ingested], list[tuple[Any, ...]], list[ReadError]]

log = structlog.get_logger()

#: Where cable rows go, in input order (`StoreProcess.record_cable_rows`, `AuditStore.record_cable_rows`).
Recorder = Callable[[list[CableRow]], object]


def ingest_chunk(chunk: Chunk, keep_texts: bool = False) -> ChunkResult:
    """Decode a chunk (parsing it first if it is a CSV slice); return what the parent keeps of each
    cable (with its text if `keep_texts`), the cables' store rows, and the rows that could not be read."""
    texts, errors = chunk_texts(chunk)
    cables: list[Cable] = []
    kept_texts: list[str] = []
    for source, text in texts:
        cable = decode(text, source, routing_only=True)  # (pack and cable_rows use no other body field)
        reason = not_a_cable(cable)
        if reason is None:
            cables.append(cable)
            kept_texts.append(text)
        else:
            errors.append(ReadError(source, reason))
    rows = cable_rows(cables)  # (each row starts with the cable's `cable_id_of`)
    kept = [
        (row[0], row_replay_key(row), pack(cable), text if keep_texts else None)
        for cable, row, text in zip(cables, rows, kept_texts, strict=True)
    ]
    return kept, rows, errors


class Ingest:
    """The decode-and-record pass over a corpus. A context manager: worker processes stop on exit."""

    def __init__(self, record: Recorder, workers: int = 2, *, keep_texts: bool = False) -> None:
        self.read_errors: list[ReadError] = []
        #: Later copies of a cable id, skipped: (id, source).
        self.duplicates: list[tuple[str, str | None]] = []
        #: The text of each kept cable, by id (with `keep_texts`).
        self.texts: dict[str, str] = {}
        self._record = record
        self._keep_texts = keep_texts
        self._workers = Workers(workers)

    def __enter__(self) -> Ingest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        self._workers.close()

    def run(
        self,
        items: Iterable[CableText | ReadError | CsvSlice],
        keys: list[tuple[int, float, float, int, int]],
    ) -> Iterator[bytes]:
        """Decode every cable and hand its row to `record`; append each kept cable's replay key to
        `keys` and yield its packed form, in input order. Cables whose id was seen before are skipped
        (`duplicates`)."""
        seen: set[str] = set()
        work = partial(ingest_chunk, keep_texts=self._keep_texts)
        # The chunks' results are tuples and lists of plain values, in no reference cycle: the cycle
        # collector would only look through them again and again (5 % of this process's pass 1).
        with cycle_collection_paused():
            for outcome in self._workers.map_in_order(work, chunked(items)):
                results, rows, errors = ([], [], [outcome]) if isinstance(outcome, ReadError) else outcome
                self.read_errors.extend(errors)
                if rows:
                    self._record(rows)
                for cable_id, key, packed, text in results:
                    if cable_id in seen:
                        self.duplicates.append((cable_id, unpack(packed).source))
                        continue
                    seen.add(cable_id)
                    keys.append((*key[:4], len(keys)))
                    if text is not None:
                        self.texts[cable_id] = text
                    yield packed

    def report(self, summary: RunSummary) -> None:
        """Log what pass 1 could not use, and count it in the run's summary."""
        for error in self.read_errors:
            log.warning("cannot read input", source=error.source, reason=error.message)
        for cable_id, source in self.duplicates:
            log.warning("cable id seen before; later copy skipped", id=cable_id, source=source)
        summary.read_errors = len(self.read_errors)
        summary.duplicate_ids = len(self.duplicates)


def entry_time(key: tuple[int, float, float, int, int]) -> float | None:
    """When a cable enters the network, from its replay key (None for a cable without a time)."""
    return None if key[0] else key[1]
