"""Inputs that are not cables: each is reported on its own with a one-line reason, counted in the run's
summary and its audit, and the rest of the run goes on. Only regular files are read, and no cable may
be larger than the limit."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from replay.cli import main
from replay.inputs.corpus import CableText, ReadError, iter_source_slices, iter_sources
from replay.store.store import AuditStore
from tests.decode_samples import cable

EXAMPLES = Path(__file__).resolve().parents[1] / "replay" / "examples"


def reasons(items: list[CableText | ReadError]) -> dict[str, str]:
    """Source name (relative) → reason, for the inputs that were refused."""
    return {Path(item.source).name: item.message for item in items if isinstance(item, ReadError)}


def test_a_looping_link_fifo_device_and_unlistable_subdirectory_are_each_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text(cable())
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    (tmp_path / "broken.txt").symlink_to("nowhere.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text(cable())
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # as root, a mode-000 directory is still listed: refuse it here
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    done: list[list[CableText | ReadError]] = []
    reader = threading.Thread(target=lambda: done.append(list(iter_sources([str(tmp_path)]))), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert done, "reading the directory hung (the FIFO was waited on)"
    items = done[0]
    assert [Path(item.source).name for item in items if isinstance(item, CableText)] == ["a.txt"]
    assert reasons(items) == {
        "broken.txt": "broken symbolic link",
        "fifo.txt": "not a regular file (a FIFO): only files are read",
        "locked": "cannot list directory: Permission denied",
        "loop.txt": "symbolic link loop",
        "zero.txt": "not a regular file (a device): only files are read",
    }


def test_named_fifo_and_device_are_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    done: list[list[CableText | ReadError]] = []
    paths = [str(fifo), "/dev/zero", "/dev/null"]
    reader = threading.Thread(target=lambda: done.append(list(iter_sources(paths))), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert done, "reading hung"
    assert [item.message for item in done[0] if isinstance(item, ReadError)] == [
        "not a regular file (a FIFO): only files are read",
        "not a regular file (a device): only files are read",
        "not a regular file (a device): only files are read",
    ]


def test_size_limit_for_files_stdin_and_csv_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text(cable() + "X" * 5_000)
    small = tmp_path / "small.txt"
    small.write_text(cable())
    items = list(iter_sources([str(big), str(small)], max_bytes=4_000))
    assert reasons(items) == {
        "big.txt": "larger than 4,000 bytes, the limit for one cable (--max-cable-size)"
    }
    assert isinstance(items[1], CableText)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((cable() + "X" * 5_000).encode())))
    [piped] = list(iter_sources(["-"], max_bytes=4_000))
    assert isinstance(piped, ReadError) and piped.message.startswith("larger than 4,000 bytes")
    export = tmp_path / "export.csv"
    row = '1,d,r,o,c,refs,"{}","{}"\n'
    export.write_text(row.format("VZCZC", "BODY") + row.format("VZCZC", "B" * 5_000))
    for listing in (list(iter_sources([str(export)], max_bytes=4_000)), _sliced(export, 4_000)):
        assert [type(item) for item in listing] == [CableText, ReadError], listing


def _sliced(path: Path, max_bytes: int) -> list[CableText | ReadError]:
    from replay.inputs.corpus import CsvSlice, read_csv_slice

    items: list[CableText | ReadError] = []
    for item in iter_source_slices([str(path)], max_bytes=max_bytes):
        items.extend(read_csv_slice(item) if isinstance(item, CsvSlice) else [item])
    return items


@pytest.mark.parametrize("command", [pytest.param("replay", marks=pytest.mark.broker), "simulate"])
def test_empty_and_headerless_inputs_are_reported_counted_and_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for example in EXAMPLES.glob("*.txt"):
        (corpus / example.name).write_text(example.read_text())
    (corpus / "empty.txt").write_text("")
    (corpus / "letter.txt").write_text("Dear colleague,\n\nthis is not a cable.\n")
    db = tmp_path / "audit.sqlite"
    assert main([command, str(corpus), "--db", str(db), "--json"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out.splitlines()[-1])
    assert summary["cables"] == 2 and summary["read_errors"] == 2
    assert f"cableroute {command}: cannot read {corpus / 'empty.txt'}: empty file" in captured.err
    assert "letter.txt: not a cable: no telegram header" in captured.err
    assert main(["audit", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [Path(item["source"]).name for item in report["rejected_inputs"]] == ["empty.txt", "letter.txt"]
    assert report["findings"]["rejected_inputs"] == 2
    assert main(["audit", "--db", str(db), "--fail-on", "rejected_inputs"]) == 1
    with AuditStore(db, read_only=True) as store:
        assert len(store.rejected_inputs(store.latest_run())) == 2


def test_only_inputs_that_are_not_cables_record_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.txt").write_text("")
    db = tmp_path / "audit.sqlite"
    assert main(["simulate", str(tmp_path / "empty.txt"), "--db", str(db)]) == 1
    assert "empty file" in capsys.readouterr().err
    assert main(["runs", "--db", str(db)]) == 0
    assert "no runs recorded yet" in capsys.readouterr().out
