"""Runs that never end: a replay killed with SIGKILL is read as aborted (and marked so by the next writer),
its private broker dies with it, a command that sends nothing records no run, and `runs --delete` /
`runs --prune` remove runs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replay.cli import main
from replay.mqtt.broker import BrokerInfo, find_mosquitto
from replay.store.heartbeat import keep_alive
from replay.store.owner import STALE_AFTER_S
from replay.store.queries import QueryError, who_got
from replay.store.store import ABORTED, AuditStore, StoreError
from replay.store.writer import StoreWriter
from replay.store.writes import FinishRun, StartRun
from tests.cable_texts import cable_texts

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]


def a_dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def statuses(db: Path) -> dict[str, str]:
    with AuditStore(db, create=False, read_only=True) as store:
        return {run.name: run.status for run in store.runs()}


def stored_status(db: Path, run: str) -> str:
    """The status as written in the file (not as read)."""
    with AuditStore(db, create=False, read_only=True) as store:
        return store.connection.execute("SELECT status FROM runs WHERE name = ?", (run,)).fetchone()[0]


def test_a_run_whose_process_is_gone_reads_as_aborted_and_a_writer_marks_it(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        store.start_run("killed", "replay")
        store.start_run("alive", "replay")
        store.connection.execute("UPDATE runs SET owner_pid = ? WHERE name = 'killed'", (a_dead_pid(),))
    assert statuses(db) == {"killed": ABORTED, "alive": "running"}
    assert stored_status(db, "killed") == "running"  # readers change nothing
    with AuditStore(db) as store:
        assert store.run_status("killed") == ABORTED
    assert stored_status(db, "killed") == ABORTED
    assert stored_status(db, "alive") == "running"


def test_a_run_owned_elsewhere_is_aborted_when_its_heartbeat_stops(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        store.start_run("quiet", "replay")
        store.start_run("beating", "replay")
        store.connection.execute("UPDATE runs SET owner_host = 'another-host'")
        store.connection.execute(
            "UPDATE runs SET heartbeat_at = ? WHERE name = 'quiet'", (time.time() - STALE_AFTER_S - 5,)
        )
    assert statuses(db) == {"quiet": ABORTED, "beating": "running"}
    with AuditStore(db) as store:
        store.heartbeat("beating")
        assert store.run_status("beating") == "running"


def _process_state(pid: int) -> str | None:
    """The state letter of a process (Z for a zombie), None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2]


def _mosquitto_children(pid: int) -> list[int]:
    """Mosquitto processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rfind(")")]
            parent = int(stat[stat.rfind(")") + 2 :].split()[1])
            if parent == pid and name == "mosquitto":
                found.append(int(entry.name))
    return found


@pytest.mark.broker
@pytest.mark.skipif(find_mosquitto() is None, reason="needs mosquitto")
def test_a_replay_killed_with_sigkill_is_aborted_and_its_private_broker_dies(tmp_path: Path) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(30, step_s=600):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "audit.sqlite"
    command = [*CABLEROUTE, "replay", str(corpus), "--db", str(db), "--run", "killed", "--speed", "60"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        brokers: list[int] = []
        received = False
        while time.monotonic() < deadline and not (brokers and received):
            time.sleep(0.2)
            brokers = brokers or _mosquitto_children(process.pid)
            with contextlib.suppress(StoreError, QueryError), AuditStore(db, read_only=True) as store:
                received = bool(who_got(store, "killed", "08TOKYO100").received)
        assert brokers and received, "the replay did not get going"
        assert statuses(db) == {"killed": "running"}
    finally:
        process.kill()
        process.wait()
    assert statuses(db) == {"killed": ABORTED}
    with AuditStore(db, read_only=True) as store:
        last = who_got(store, "killed", "08TOKYO129")
    assert last.missing and {entry.reason for entry in last.missing} == {
        "not received (run aborted: its process ended without closing it)"
    }
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_process_state(pid) not in (None, "Z") for pid in brokers):
        time.sleep(0.1)
    assert all(_process_state(pid) in (None, "Z") for pid in brokers), "the private broker outlived its run"


@pytest.mark.broker
def test_commands_that_send_nothing_record_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "audit.sqlite"
    assert main(["replay", "--db", str(db), "--run", "kept"]) == 0
    capsys.readouterr()
    assert main(["replay", str(tmp_path / "nonexistent"), "--db", str(db)]) == 1
    assert main(["simulate", str(tmp_path / "nonexistent"), "--db", str(db)]) == 1
    bad_topology = tmp_path / "bad.toml"
    bad_topology.write_text("x = \n")
    assert main(["replay", "--db", str(db), "--topology", str(bad_topology)]) == 1
    err = capsys.readouterr().err
    assert err.count("no run was recorded") == 3, err
    assert list(statuses(db)) == ["kept"]
    with AuditStore(db, read_only=True) as store:
        assert store.latest_run() == "kept"


@pytest.mark.broker
def test_a_closed_broker_port_records_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broker_info: BrokerInfo
) -> None:
    db = tmp_path / "audit.sqlite"
    assert main(["replay", "--db", str(db), "--broker", f"mqtt://{broker_info.host}:{broker_info.port}"]) == 0
    closed = _closed_port()
    assert main(["replay", "--db", str(db), "--broker", f"mqtt://127.0.0.1:{closed}"]) == 1
    assert "refused the connection" in capsys.readouterr().err
    assert len(statuses(db)) == 1


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runs_delete_and_prune(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        for name in ("good", "broken", "killed", "stopped", "going"):
            store.start_run(name, "simulate")
            store.record_cables(name, [])
        store.finish_run("good", "ok")
        store.finish_run("broken", "failed")
        store.finish_run("stopped", "interrupted")
        store.connection.execute("UPDATE runs SET owner_pid = ? WHERE name = 'killed'", (a_dead_pid(),))
    assert main(["runs", "--db", str(db), "--delete", "going"]) == 1
    assert "still running" in capsys.readouterr().err
    assert main(["runs", "--db", str(db), "--delete", "nope"]) == 1
    assert "no run named 'nope'" in capsys.readouterr().err
    assert main(["runs", "--db", str(db), "--prune"]) == 0
    assert capsys.readouterr().out == "deleted 2 runs (1 aborted, 1 failed): broken, killed\n"
    assert list(statuses(db)) == ["good", "stopped", "going"]
    assert main(["runs", "--db", str(db), "--prune"]) == 0
    assert "nothing to prune" in capsys.readouterr().out
    assert main(["runs", "--db", str(db), "--delete", "good"]) == 0
    assert capsys.readouterr().out == "deleted 1 run (1 ok): good\n"
    assert list(statuses(db)) == ["stopped", "going"]


def test_deleting_a_run_removes_all_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    assert main(["simulate", str(Path(__file__).parents[1] / "replay" / "examples"), "--db", str(db)]) == 0
    assert main(["simulate", str(Path(__file__).parents[1] / "replay" / "examples"), "--db", str(db)]) == 0
    with AuditStore(db) as store:
        first, second = (run.name for run in store.runs())
        counts = {t: _rows(store, t) for t in ("cables", "deliveries", "receipts")}
        store.delete_run(first)
        assert [run.name for run in store.runs()] == [second]
        assert {t: _rows(store, t) * 2 for t in counts} == counts


def _rows(store: AuditStore, table: str) -> int:
    return store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _heartbeat_at(db: Path, run: str) -> float:
    with AuditStore(db, read_only=True) as store:
        sql = "SELECT heartbeat_at FROM runs WHERE name = ?"
        return store.connection.execute(sql, (run,)).fetchone()[0]


def test_a_run_started_through_the_writer_keeps_its_heartbeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router service starts runs through its store writer: the writer renews their heartbeat."""
    monkeypatch.setattr("replay.store.writer.HEARTBEAT_S", 0.05)
    db = tmp_path / "audit.sqlite"
    writer = StoreWriter(db)
    try:
        run = writer.submit(StartRun(name="served", mode="replay")).result(timeout=10)
        first = _heartbeat_at(db, run)
        deadline = time.monotonic() + 10
        while _heartbeat_at(db, run) == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _heartbeat_at(db, run) > first
        writer.submit(FinishRun(run=run, status="ok")).result(timeout=10)
    finally:
        writer.close()


def test_the_heartbeat_thread_renews_a_run(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        store.start_run("long", "simulate")
    first = _heartbeat_at(db, "long")
    with keep_alive(db, "long", every_s=0.05):
        deadline = time.monotonic() + 10
        while _heartbeat_at(db, "long") == first and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _heartbeat_at(db, "long") > first
