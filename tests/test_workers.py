"""Worker processes that hand results back in input order (`replay.inputs.workers.Workers`)."""

from __future__ import annotations

import threading

import pytest

from replay.inputs.corpus import ReadError
from replay.inputs.workers import Chunk, WorkerFailed, Workers


def _echo(chunk: Chunk) -> list[str]:
    """The sources of a chunk of (source, text) pairs, with each text's length."""
    assert isinstance(chunk, list)
    return [f"{item[0]}:{len(item[1])}" for item in chunk if isinstance(item, tuple)]


def _large(chunk: Chunk) -> str:
    """A result as large as the chunk: both over what a pipe holds."""
    assert isinstance(chunk, list) and isinstance(chunk[0], tuple)
    return chunk[0][1].upper()


def _failing(chunk: Chunk) -> list[str]:
    assert isinstance(chunk, list) and isinstance(chunk[0], tuple)
    if chunk[0][0] == "s9":
        raise RuntimeError("a bug in the work")
    return _echo(chunk)


def _chunks(count: int, size: int = 10) -> list[Chunk | ReadError]:
    chunks: list[Chunk | ReadError] = [[(f"s{n}", "x" * (size + n))] for n in range(count)]
    chunks.insert(5, ReadError("unlisted", "cannot list"))
    return chunks


def test_results_come_in_input_order_with_read_errors_in_place() -> None:
    chunks = _chunks(40)
    with Workers(3) as workers:
        results = list(workers.map_in_order(_echo, chunks))
        again = list(workers.map_in_order(_echo, chunks))  # the same workers, a second time
    expected = [chunk if isinstance(chunk, ReadError) else _echo(chunk) for chunk in chunks]
    assert results == expected
    assert again == expected


def test_chunks_and_results_larger_than_a_pipe_do_not_block() -> None:
    chunks = _chunks(12, size=3 << 20)
    with Workers(2) as workers:
        results = list(workers.map_in_order(_large, chunks))
    assert [len(result) for result in results if isinstance(result, str)] == [
        (3 << 20) + n for n in range(12)
    ]


def test_runs_in_this_process_with_one_worker_or_one_chunk() -> None:
    with Workers(1) as workers:
        assert list(workers.map_in_order(_echo, _chunks(2)))[:2] == [["s0:10"], ["s1:11"]]
    with Workers(2) as workers:
        assert list(workers.map_in_order(_echo, [[("one", "text")]])) == [["one:4"]]
        assert not workers._processes


def test_a_failing_chunk_is_an_error_with_its_traceback() -> None:
    with Workers(2) as workers, pytest.raises(WorkerFailed, match="a bug in the work"):
        list(workers.map_in_order(_failing, _chunks(20)))


def test_workers_start_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        with Workers(2) as workers:
            assert list(workers.map_in_order(_echo, _chunks(8)))[6] == ["s5:15"]
    finally:
        stop.set()
        other.join()


def test_results_left_unread_stop_the_workers() -> None:
    with Workers(2) as workers:
        results = workers.map_in_order(_echo, _chunks(30))
        assert next(results) == ["s0:10"]
        results.close()
        assert not workers._processes
        assert len(list(workers.map_in_order(_echo, _chunks(4)))) == 5  # started afresh
