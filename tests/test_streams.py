"""Chunks worked on by forked processes, their output streamed to a file in input order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from replay.inputs.corpus import ReadError
from replay.inputs.streams import WorkerFailed, stream_in_order, usable
from replay.inputs.workers import Chunk

pytestmark = pytest.mark.skipif(not usable(2), reason="needs fork and os.splice, and no other thread")


def _work(chunk: Chunk) -> tuple[bytes, int, list[ReadError]]:
    """Each (source, text) pair as a line; a text `bad` as a read error."""
    assert isinstance(chunk, list)
    lines, errors = [], []
    for item in chunk:
        assert isinstance(item, tuple)
        if item[1] == "bad":
            errors.append(ReadError(item[0], "bad text"))
        else:
            lines.append(f"{item[0]}:{item[1] * 1000}\n")
    return "".join(lines).encode(), len(lines), errors


def _chunks() -> list[Chunk | ReadError]:
    chunks: list[Chunk | ReadError] = []
    for number in range(40):
        chunks.append(
            [(f"s{number}-{i}", "bad" if (number, i) == (7, 2) else f"{number % 10}") for i in range(30)]
        )
        if number == 20:
            chunks.append(ReadError("unlisted", "cannot list"))
    return chunks


def _expected(chunks: list[Chunk | ReadError]) -> bytes:
    return b"".join(_work(chunk)[0] for chunk in chunks if not isinstance(chunk, ReadError))


@pytest.mark.parametrize("mode", ["wb", "ab"])
def test_output_in_input_order_with_counts_and_errors_in_turn(tmp_path: Path, mode: str) -> None:
    chunks = _chunks()
    reported: list[tuple[int, list[str]]] = []
    target = tmp_path / "out"
    target.write_bytes(b"")
    with target.open(mode) as sink:  # a file opened to append does not take splice: copied instead
        stream_in_order(
            chunks, _work, 3, sink.fileno(), lambda n, e: reported.append((n, [x.source for x in e]))
        )
    assert target.read_bytes() == _expected(chunks)
    assert len(reported) == len(chunks)
    assert reported[7] == (29, ["s7-2"])
    assert reported[21] == (0, ["unlisted"])
    assert sum(count for count, _ in reported) == 40 * 30 - 1


def test_into_a_pipe(tmp_path: Path) -> None:
    chunks = _chunks()
    read_end, write_end = os.pipe()
    reader = os.fork()
    if reader == 0:  # drain the pipe into a file, as a consumer would
        os.close(write_end)
        with (tmp_path / "piped").open("wb") as sink:
            while data := os.read(read_end, 1 << 16):
                sink.write(data)
        os._exit(0)
    os.close(read_end)
    try:
        stream_in_order(chunks, _work, 2, write_end, lambda n, e: None)
    finally:
        os.close(write_end)
        os.waitpid(reader, 0)
    assert (tmp_path / "piped").read_bytes() == _expected(chunks)


def _failing(chunk: Chunk) -> tuple[bytes, int, list[ReadError]]:
    assert isinstance(chunk, list)
    if chunk[0][0] == "s9-0":  # type: ignore[index]
        raise RuntimeError("a bug in the work")
    return _work(chunk)


def test_a_failing_worker_is_an_error_not_a_hang(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with (tmp_path / "out").open("wb") as sink, pytest.raises(WorkerFailed):
        stream_in_order(_chunks(), _failing, 2, sink.fileno(), lambda n, e: None)
    assert "a bug in the work" in capfd.readouterr().err
