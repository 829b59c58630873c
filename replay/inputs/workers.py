"""Work on inputs in worker processes, with the results handed back in input order.

The inputs (`CableText`, `CableFile`, `ReadError`, `CsvSlice` from `replay.inputs.corpus`) are grouped
in chunks: texts and files (the worker reads them) in lists of `CHUNK`, a slice of a CSV file as it is
(the worker parses it), and a read error stands alone in its place. `map_in_order` runs a function
over the chunks on the workers, a few chunks ahead of the reader, and yields the results in input
order however the workers finish.

The workers are forked from a fork server that has imported the decoder (`replay.processes`), so they
start at once and can be started whatever threads the program runs.
"""

from __future__ import annotations

import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, TypeVar

from replay.inputs.corpus import CableFile, CableText, CsvSlice, ReadError, read_cable_file, read_csv_slice
from topology.errors import CablerouteError

if TYPE_CHECKING:  # multiprocessing is imported when workers are first started
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

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
        # (one class at a time, the likeliest first: a test against a union of Struct classes is slow)
        if isinstance(item, CableFile):
            chunk.append(item)
        elif isinstance(item, CableText):
            chunk.append((item.source, item.text))
        else:
            if chunk:
                yield chunk
                chunk = []
            yield item
            continue
        if len(chunk) >= size:
            yield chunk
            chunk = []
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
        if isinstance(item, CableText):
            texts.append((item.source, item.text))
        elif isinstance(item, tuple):
            texts.append(item)
        else:
            errors.append(item)
    return texts, errors


class WorkerFailed(CablerouteError, RuntimeError):
    """A worker process failed on its chunk, or stopped before it had sent all its results."""


class Workers:
    """A pool of `count` worker processes, started when there are two chunks or more to work on (with
    `count <= 1`, or one chunk, the work runs in this process). A context manager: the workers stop
    on exit.

    Chunks are dealt out to the workers in turn, each through a pipe of its own, and each worker sends
    its results back in the order it got the chunks through another: so the results are read in input
    order from one worker after another, with no thread in this process. A worker takes its chunks in
    as they come, on a thread of its own, so that this process never waits to send a chunk (however
    large) to a worker that is itself waiting to send a result nobody reads yet.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._processes: list[BaseProcess] = []
        self._chunks: list[Connection] = []  # to each worker
        self._results: list[Connection] = []  # from each worker

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers."""
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.join()
        for connection in self._chunks + self._results:
            connection.close()
        self._processes, self._chunks, self._results = [], [], []

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
        if not self._processes:
            self._start()
        pending: deque[int | ReadError] = deque()  # the worker of each chunk in flight, in input order
        turn = 0
        finished = False
        try:
            for chunk in chain(first, chunks):
                if isinstance(chunk, ReadError):
                    pending.append(chunk)
                else:
                    self._send(turn, function, chunk)
                    pending.append(turn)
                    turn = (turn + 1) % self.count
                while len(pending) >= 3 * self.count:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
            finished = True
        finally:
            if not finished:  # results left in the pipes: no later call may read them
                self.close()

    def _start(self) -> None:
        """Start the workers, forked from a process that runs no other thread (`replay.processes`)."""
        from replay.processes import process_context

        context = process_context()
        for _ in range(self.count):
            chunks_out, chunks_in = context.Pipe(duplex=False)
            results_out, results_in = context.Pipe(duplex=False)
            process = context.Process(target=_serve, args=(chunks_out, results_in), daemon=True)
            process.start()
            chunks_out.close()
            results_in.close()
            self._processes.append(process)
            self._chunks.append(chunks_in)
            self._results.append(results_out)

    def _send(self, worker: int, function: Callable[[Chunk], Any], chunk: Chunk) -> None:
        """Send a chunk, and the function to run on it, to a worker."""
        try:
            self._chunks[worker].send((function, chunk))
        except OSError:  # (a broken pipe: not to be taken for the standard output's)
            raise WorkerFailed("a worker process stopped before it had taken all its chunks") from None

    def _result(self, item: int | ReadError) -> Any:
        """The next result of worker `item` (a read error stands for itself)."""
        if isinstance(item, ReadError):
            return item
        try:
            done, result = self._results[item].recv()
        except EOFError:
            raise WorkerFailed("a worker process stopped before it had sent all its results") from None
        if not done:
            raise WorkerFailed(f"a worker process failed on its chunk:\n{result}")
        return result


def _serve(chunks: Connection, results: Connection) -> None:
    """A worker: run each function on its chunk as they come, and send back, in turn, (True, result) or
    (False, the traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle
    waiting: SimpleQueue[tuple[Callable[[Chunk], Any], Chunk] | None] = SimpleQueue()
    threading.Thread(target=_take_in, args=(chunks, waiting), daemon=True).start()
    while (task := waiting.get()) is not None:
        function, chunk = task
        try:
            outcome = (True, function(chunk))
        except Exception:
            outcome = (False, traceback.format_exc())
        results.send(outcome)


def _take_in(chunks: Connection, waiting: SimpleQueue[Any]) -> None:
    """Move the chunks sent to a worker into its queue as they come; None when no more will."""
    try:
        while True:
            waiting.put(chunks.recv())
    except (EOFError, OSError):
        waiting.put(None)
