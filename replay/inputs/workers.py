"""Work on inputs in worker processes, with the results handed back in input order.

The inputs (`CableText`, `CableFile`, `ReadError`, `CsvSlice` from `replay.inputs.corpus`) are grouped
in chunks: texts and files (the worker reads them) in lists of `CHUNK`, a slice of a CSV file as it is
(the worker parses it), and a read error stands alone in its place. `map_in_order` runs a function
over the chunks on the workers, a few chunks ahead of the reader, and yields the results in input
order however the workers finish.

The workers are forked from a fork server that has imported the decoder (`replay.processes`), so they
start at once and a pool can be made whatever threads the program runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING, TypeVar

from replay.inputs.corpus import CableFile, CableText, CsvSlice, ReadError, read_cable_file, read_csv_slice

if TYPE_CHECKING:  # multiprocessing is imported when a pool is first started
    from multiprocessing.pool import AsyncResult, Pool

#: Cables per chunk handed to a worker.
CHUNK = 256

#: What a worker is given: (source, text) pairs and files to read, or a slice of a CSV file.
Chunk = list[tuple[str, str] | CableFile] | CsvSlice

Result = TypeVar("Result")


def chunked(
    items: Iterable[CableText | CableFile | ReadError | CsvSlice], size: int | None = None
) -> Iterator[Chunk | ReadError]:
    """Texts and files grouped in chunks of `size` (default `CHUNK`), CSV slices as they are, read
    errors in their place."""
    size = size or CHUNK
    chunk: list[tuple[str, str] | CableFile] = []
    for item in items:
        if isinstance(item, CableText | CableFile):
            chunk.append((item.source, item.text) if isinstance(item, CableText) else item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
            continue
        if chunk:
            yield chunk
            chunk = []
        yield item
    if chunk:
        yield chunk


def chunk_texts(chunk: Chunk) -> tuple[list[tuple[str, str]], list[ReadError]]:
    """The (source, text) pairs of a chunk, reading its files or parsing it first if it is a CSV
    slice, and the files or rows of the slice that could not be read."""
    items: list[tuple[str, str] | CableText | ReadError]
    if isinstance(chunk, CsvSlice):
        items = list(read_csv_slice(chunk))
    else:
        items = [read_cable_file(item) if isinstance(item, CableFile) else item for item in chunk]
    texts: list[tuple[str, str]] = []
    errors: list[ReadError] = []
    for item in items:
        if isinstance(item, tuple):
            texts.append(item)
        elif isinstance(item, ReadError):
            errors.append(item)
        else:
            texts.append((item.source, item.text))
    return texts, errors


class Workers:
    """A pool of `count` worker processes, started when there are two chunks or more to work on (with
    `count <= 1`, or one chunk, the work runs in this process). A context manager: the workers stop
    on exit.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: Pool | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def map_in_order(
        self, function: Callable[[Chunk], Result], chunks: Iterable[Chunk | ReadError]
    ) -> Iterator[Result | ReadError]:
        """`function(chunk)` for every chunk, in input order, read errors passed through in their
        place; at most `3 * count` chunks in flight."""
        chunks = iter(chunks)
        first = list(islice(chunks, 2))
        if self.count <= 1 or len(first) < 2:  # at most one chunk: not worth starting workers
            for chunk in chain(first, chunks):
                yield chunk if isinstance(chunk, ReadError) else function(chunk)
            return
        if self._pool is None:
            from replay.processes import process_context

            self._pool = process_context().Pool(self.count)
        pool = self._pool
        pending: deque[AsyncResult[Result] | ReadError] = deque()
        for chunk in chain(first, chunks):
            pending.append(chunk if isinstance(chunk, ReadError) else pool.apply_async(function, (chunk,)))
            yield from _ready(pending, keep=3 * self.count - 1)
        yield from _ready(pending, keep=0)


def _ready(pending: deque[AsyncResult[Result] | ReadError], keep: int) -> Iterator[Result | ReadError]:
    """The oldest chunks' results once they are ready, until `keep` are left in flight; an input that
    could not be read stands for itself."""
    while len(pending) > keep:
        item = pending.popleft()
        yield item if isinstance(item, ReadError) else item.get()
