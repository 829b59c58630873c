"""Chunks worked on by forked processes whose output is streamed to a file in input order, without
passing through this process.

For work whose result is bytes to write out in input order (`decode --json`): the chunks are listed
first and dealt out in turn before the workers are forked (chunk i to worker i mod N), so nothing is
sent to a worker. Each worker writes, per chunk, a short header (what the chunk counted and the inputs
it could not read, and the output's size) and then the output to a pipe of its own; the parent reads
the headers in input order and moves each output from the pipe to the output file with `os.splice`
where both ends allow it (else through a buffer). A worker that has run ahead waits on its full pipe.

This needs `fork`, which is safe only while the program runs no thread but its main one (`usable`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Sequence

import msgspec

from replay.inputs.corpus import ReadError
from replay.inputs.workers import Chunk, WorkerFailed

#: How much a worker's pipe holds (the kernel may grant less): room for a worker to run ahead.
PIPE_BYTES = 1 << 20

_HEADER_SIZE = struct.Struct("!Q")

#: A chunk's header: its count, the inputs it could not read, and the size of its output.
_Header = tuple[int, list[ReadError], int]

#: What the work gives for a chunk: the output, a count to report, and the inputs it could not read.
Work = Callable[[Chunk], tuple[bytes, int, list[ReadError]]]


def usable(workers: int) -> bool:
    """Whether chunks can be streamed from forked workers here: more than one worker, `fork` and
    `os.splice` available, and no thread running but this one."""
    return workers > 1 and hasattr(os, "fork") and hasattr(os, "splice") and threading.active_count() == 1


def stream_in_order(
    chunks: Sequence[Chunk | ReadError],
    work: Work,
    workers: int,
    output: int,
    report: Callable[[int, list[ReadError]], None],
) -> None:
    """Run `work` over `chunks` on `workers` forked processes, write each chunk's output to the file
    descriptor `output` in input order and `report` each chunk's count and read errors as its turn
    comes (a read error among the chunks stands for itself, with a count of 0)."""
    import fcntl  # (here: there is none on every system, and only Linux has `os.splice` anyway)

    workers = max(1, min(workers, len(chunks)))
    pipes: list[int] = []
    children: list[int] = []
    try:
        for worker in range(workers):
            read_end, write_end = os.pipe()
            with contextlib.suppress(OSError):  # a smaller pipe only lets a worker run ahead less
                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            sys.stderr.flush()
            child = os.fork()
            if child == 0:  # the worker: it never returns
                os.close(read_end)
                for other in pipes:
                    os.close(other)
                _serve(chunks, work, worker, workers, write_end)
            os.close(write_end)
            pipes.append(read_end)
            children.append(child)
        mover = _Mover()
        read_header = msgspec.msgpack.Decoder(_Header).decode
        for index, chunk in enumerate(chunks):
            if isinstance(chunk, ReadError):
                report(0, [chunk])
                continue
            pipe = pipes[index % workers]
            (size,) = _HEADER_SIZE.unpack(_read_exactly(pipe, _HEADER_SIZE.size))
            count, errors, length = read_header(_read_exactly(pipe, size))
            report(count, errors)
            mover.move(pipe, output, length)
    finally:
        for pipe in pipes:
            os.close(pipe)  # a worker still writing gets a broken pipe and stops
        failed = False
        for child in children:
            _, status = os.waitpid(child, 0)
            failed = failed or os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise WorkerFailed("a worker process stopped with an error")


#: The errors `splice` gives for an output it cannot write to (the bytes are then copied).
_NO_SPLICE = frozenset({errno.EINVAL, errno.EOPNOTSUPP})


def _serve(chunks: Sequence[Chunk | ReadError], work: Work, worker: int, workers: int, pipe: int) -> None:
    """The worker's part: every `workers`-th chunk from `worker` on, header and output to `pipe`."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt is the parent's to report
        for index in range(worker, len(chunks), workers):
            chunk = chunks[index]
            if isinstance(chunk, ReadError):
                continue
            output, count, errors = work(chunk)
            header = msgspec.msgpack.encode((count, errors, len(output)))
            _write_all(pipe, _HEADER_SIZE.pack(len(header)) + header)
            _write_all(pipe, output)
    except BrokenPipeError:  # the parent stopped reading
        code = 1
    except BaseException:  # reported here; the parent says that a worker failed
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def _write_all(descriptor: int, data: bytes) -> None:
    """Write all of `data`."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read_exactly(descriptor: int, size: int) -> bytes:
    """Exactly `size` bytes; WorkerFailed when the pipe ends before."""
    data = os.read(descriptor, size)
    if len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        part = os.read(descriptor, size - got)
        if not part:
            raise WorkerFailed("a worker process stopped before it had written all its chunks")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class _Mover:
    """Moves bytes from a pipe to the output: inside the kernel (`os.splice`) until the output turns
    out not to take it (a terminal, a file opened to append), then through this process."""

    def __init__(self) -> None:
        self.splice = True

    def move(self, pipe: int, output: int, length: int) -> None:
        """Move `length` bytes from `pipe` to `output`."""
        while length and self.splice:
            try:
                moved = os.splice(pipe, output, length)
            except OSError as error:
                if error.errno not in _NO_SPLICE:
                    raise
                self.splice = False
                break
            if not moved:
                raise WorkerFailed("a worker process stopped before it had written all its chunks")
            length -= moved
        if length:
            _copy(pipe, output, length)


def _copy(pipe: int, output: int, length: int) -> None:
    """Move `length` bytes from `pipe` to `output` through this process."""
    while length:
        data = os.read(pipe, min(length, PIPE_BYTES))
        if not data:
            raise WorkerFailed("a worker process stopped before it had written all its chunks")
        _write_all(output, data)
        length -= len(data)
