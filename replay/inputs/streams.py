"""Chunks worked on by forked processes whose output is streamed to a file in input order, without
passing through this process.

For work whose result is bytes to write out in input order (`decode --json`): the chunks are listed
first, before the workers are forked, so nothing but chunk numbers is sent to a worker. The numbers
wait in a pipe, in order, and each worker takes the next one whenever it is free, so that a worker
slowed down by other work on the machine takes fewer chunks. Each worker writes, per chunk, a short
header (the chunk's number, what it counted and the inputs it could not read, and the output's size)
and then the output to a pipe of its own; the parent reads the headers as they come and moves each
output, in input order, from its pipe to the output file with `os.splice` where both ends allow it
(else through a buffer). A worker that has run ahead waits on its full pipe.

This needs `fork`, which is safe only while the program runs no thread but its main one (`usable`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
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

#: A chunk's number in the pipe the workers take them from (reads of this size from a pipe are whole).
_NUMBER = struct.Struct("!I")

#: How many numbers the pipe of chunk numbers is given at most: what any pipe takes in one write
#: (`PIPE_BUF`), so that they are all written before the workers start. With more chunks, a number
#: stands for a run of consecutive chunks.
_MOST_NUMBERS = select.PIPE_BUF // _NUMBER.size

#: A chunk's header: its number, its count, the inputs it could not read, and the size of its output.
_Header = tuple[int, int, list[ReadError], int]

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
    run = -(-len(chunks) // _MOST_NUMBERS)  # consecutive chunks a number stands for
    numbers, numbers_in = os.pipe()
    try:
        os.write(numbers_in, b"".join(_NUMBER.pack(start) for start in range(0, len(chunks), run)))
    finally:
        os.close(numbers_in)  # (a worker that finds the pipe empty then reads its end)
    pipes: list[int] = []
    children: list[int] = []
    try:
        for _ in range(workers):
            read_end, write_end = os.pipe()
            with contextlib.suppress(OSError):  # a smaller pipe only lets a worker run ahead less
                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            sys.stderr.flush()
            child = os.fork()
            if child == 0:  # the worker: it never returns
                os.close(read_end)
                for other in pipes:
                    os.close(other)
                _serve(chunks, work, numbers, run, write_end)
            os.close(write_end)
            pipes.append(read_end)
            children.append(child)
        os.close(numbers)
        numbers = -1
        _move_in_order(chunks, pipes, output, report)
    finally:
        if numbers >= 0:
            os.close(numbers)
        for pipe in pipes:
            os.close(pipe)  # a worker still writing gets a broken pipe and stops
        failed = False
        for child in children:
            _, status = os.waitpid(child, 0)
            failed = failed or os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise WorkerFailed("a worker process stopped with an error")


def _move_in_order(
    chunks: Sequence[Chunk | ReadError],
    pipes: list[int],
    output: int,
    report: Callable[[int, list[ReadError]], None],
) -> None:
    """Move each chunk's output from the pipe of the worker that took it to `output`, in input order.

    A worker takes chunks in increasing order, so the chunk due next is the next one in one of the
    pipes: the headers are read from the pipes that have one to give until it turns up. A pipe whose
    next chunk is not due yet is left alone (its worker goes on until the pipe is full)."""
    read_header = msgspec.msgpack.Decoder(_Header).decode
    mover = _Mover()
    waiting: dict[int, tuple[int, int, list[ReadError], int]] = {}  # chunk -> pipe, count, errors, size
    poller = select.poll()
    for pipe in pipes:
        poller.register(pipe, select.POLLIN)
    listening = len(pipes)  # the pipes registered: those that may still hold the chunk due
    for index, chunk in enumerate(chunks):
        if isinstance(chunk, ReadError):
            report(0, [chunk])
            continue
        while index not in waiting:
            if not listening:  # (a worker stopped with the chunk due)
                raise WorkerFailed("a worker process stopped before it had written all its chunks")
            for pipe, _ in poller.poll():
                poller.unregister(pipe)  # until its chunk has been moved, or for good at its end
                listening -= 1
                start = os.read(pipe, _HEADER_SIZE.size)
                if not start:  # its worker has finished
                    continue
                if len(start) < _HEADER_SIZE.size:
                    start += _read_exactly(pipe, _HEADER_SIZE.size - len(start))
                (size,) = _HEADER_SIZE.unpack(start)
                number, count, errors, length = read_header(_read_exactly(pipe, size))
                waiting[number] = (pipe, count, errors, length)
        pipe, count, errors, length = waiting.pop(index)
        report(count, errors)
        mover.move(pipe, output, length)
        poller.register(pipe, select.POLLIN)
        listening += 1


#: The errors `splice` gives for an output it cannot write to (the bytes are then copied).
_NO_SPLICE = frozenset({errno.EINVAL, errno.EOPNOTSUPP})


def _serve(chunks: Sequence[Chunk | ReadError], work: Work, numbers: int, run: int, pipe: int) -> None:
    """The worker's part: the chunks whose numbers it takes from `numbers` (each the first of `run`),
    header and output to `pipe`."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # an interrupt is the parent's to report
        while taken := os.read(numbers, _NUMBER.size):
            (first,) = _NUMBER.unpack(taken)
            for index in range(first, min(first + run, len(chunks))):
                chunk = chunks[index]
                if isinstance(chunk, ReadError):
                    continue
                output, count, errors = work(chunk)
                header = msgspec.msgpack.encode((index, count, errors, len(output)))
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
