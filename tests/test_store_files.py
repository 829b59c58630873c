"""`--db` on files that are not audit stores: one-line errors, and the file is left as it was.

Read-only commands (runs, who-got, received, audit) never create or change a store; a write command
(replay, simulate) creates a new store only where there is nothing, an empty file or an empty SQLite
database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from replay.cli import main
from replay.store.store import APPLICATION_ID, AuditStore, StoreError

READ_COMMANDS = (["runs"], ["who-got", "08TOKYO3310"], ["received", "RUEHC"], ["audit"])


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's bytes (hashed) and what lies beside it, to show nothing was changed or added."""
    data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return data, sorted(os.listdir(path.parent))


def not_stores(tmp_path: Path) -> dict[str, Path]:
    """A text file, a directory, an empty file and a foreign SQLite database."""
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    directory = tmp_path / "folder"
    directory.mkdir()
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    return {"text": text, "directory": directory, "empty": empty, "foreign": foreign}


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda argv: argv[0])
def test_read_commands_give_one_line_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    for kind, path in [*not_stores(tmp_path).items(), ("devnull", Path("/dev/null"))]:
        before = fingerprint(path) if kind != "devnull" else None
        code = main([*command, "--db", str(path)])
        err = capsys.readouterr().err
        assert code == 1, kind
        assert err.count("\n") == 1 and "Traceback" not in err, (kind, err)
        assert "not an audit store" in err or "not a cableroute audit store" in err, (kind, err)
        if before is not None:
            assert fingerprint(path) == before, kind
    missing = tmp_path / "missing.sqlite"
    assert main([*command, "--db", str(missing)]) == 1
    assert "no audit store" in capsys.readouterr().err
    assert not missing.exists()


def test_foreign_sqlite_keeps_its_journal_mode_when_a_replay_refuses_it(tmp_path: Path) -> None:
    foreign = not_stores(tmp_path)["foreign"]
    before = fingerprint(foreign)
    with pytest.raises(StoreError, match="not a cableroute audit store"):
        AuditStore(foreign)
    assert fingerprint(foreign) == before
    with sqlite3.connect(foreign) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


@pytest.mark.parametrize("kind", ["text", "directory"])
def test_write_commands_refuse_what_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = not_stores(tmp_path)[kind]
    before = fingerprint(path)
    code = main(["simulate", "--db", str(path), str(tmp_path / "nothing.txt")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "not an audit store" in err, err
    assert fingerprint(path) == before


def test_an_empty_file_becomes_a_store_only_when_written(tmp_path: Path) -> None:
    empty = not_stores(tmp_path)["empty"]
    with pytest.raises(StoreError, match="empty file"):
        AuditStore(empty, create=False, read_only=True)
    assert empty.stat().st_size == 0
    with AuditStore(empty) as store:
        store.start_run("first", "replay")
    with AuditStore(empty, read_only=True) as reader:
        assert [run.name for run in reader.runs()] == ["first"]
        assert reader.connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_a_read_only_store_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        store.start_run("first", "replay")
    reader = AuditStore(path, read_only=True)
    with reader, pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.connection.execute("DELETE FROM runs")
    with AuditStore(path, read_only=True) as reader:
        assert [run.name for run in reader.runs()] == ["first"]


def test_a_store_from_before_the_marker_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        store.start_run("old", "replay")
        store.connection.execute("PRAGMA application_id=0")
    with AuditStore(path, read_only=True) as reader:
        assert [run.name for run in reader.runs()] == ["old"]
    with AuditStore(path) as writer:
        assert writer.connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
