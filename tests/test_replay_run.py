"""Whole replays through a real mosquitto started by the test suite (never mocked)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import replay.engine.replayer as replayer_module
from replay.cli import main
from replay.engine.receipt_writer import ReceiptWriter
from replay.engine.replayer import OFFLINE_REASON, Replayer, ReplayOptions, ReplaySummary
from replay.mqtt.broker import BrokerInfo, MosquittoBroker, embedded_broker
from replay.store.queries import QueryError, who_got
from replay.store.store import AuditStore, StoreError
from replay.store.writer import StoreWriter
from router.faults import is_dropped
from tests.cable_texts import INFO, cable_texts, small_topology
from tests.waiting import wait_until, wait_until_async
from topology.files import bundled_example

pytestmark = pytest.mark.broker

PLANNED_POSTS = {"RUEHC", *(ri for ri, _ in INFO)}
START = datetime(2008, 12, 4, 7, 0, tzinfo=UTC).timestamp()


async def _replay(
    broker: BrokerInfo,
    db: Path,
    count: int,
    options: ReplayOptions,
    during: Callable[[Replayer], Awaitable[None]] | None = None,
    link_cps: float = 1_000_000.0,
) -> tuple[ReplaySummary, AuditStore]:
    store = AuditStore(db)
    run = store.start_run("test", "replay", {})
    writer = StoreWriter(store)
    replayer = Replayer(writer, run, broker, options)
    try:
        work = replayer.run(cable_texts(count), lambda cables: small_topology(link_cps))
        if during is None:
            await work
        else:
            await asyncio.gather(work, during(replayer))
    finally:
        writer.close()
    return replayer.summary, store


def _receipts(
    store: AuditStore, summary: ReplaySummary, count: int
) -> dict[tuple[str, str], tuple[str, int]]:
    """(cable, post) -> (received_at, duplicates), one entry per receipt row."""
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for serial in range(100, 100 + count):
        report = who_got(store, summary.run, f"08TOKYO{serial}")
        for entry in report.received:
            assert (report.id, entry.post) not in found
            found[(report.id, entry.post)] = (entry.received_at or "", entry.duplicates)
    return found


@pytest.mark.parametrize("receipt_process", [False, True], ids=["writer-thread", "writer-process"])
async def test_every_planned_delivery_is_received_exactly_once(
    broker_info: BrokerInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receipt_process: bool
) -> None:
    started: list[Path] = []

    class StartedReceiptWriter(ReceiptWriter):
        def __init__(self, path: Path) -> None:
            started.append(path)
            super().__init__(path)

    monkeypatch.setattr(replayer_module, "ReceiptWriter", StartedReceiptWriter)
    monkeypatch.setattr(replayer_module, "RECEIPT_PROCESS_FROM", 1 if receipt_process else 10**9)
    summary, store = await _replay(broker_info, tmp_path / "a.sqlite", 30, ReplayOptions(timeout=10))
    assert len(started) == (1 if receipt_process else 0)
    assert summary.status == "ok"
    assert (summary.cables, summary.posts, summary.planned) == (30, 5, 150)
    assert (summary.published, summary.received, summary.missing, summary.duplicates) == (150, 150, 0, 0)
    receipts = _receipts(store, summary, 30)
    expected = {(f"08TOKYO{serial}", post) for serial in range(100, 130) for post in PLANNED_POSTS}
    assert set(receipts) == expected
    assert all(duplicates == 0 for _, duplicates in receipts.values())


async def test_an_offline_window_delivers_late_through_the_persistent_session(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    window = (START + 3 * 60 - 1, START + 7 * 60 - 1)  # cables filed 07:03 to 07:06 fall inside
    options = ReplayOptions(offline={"RUEHFK": [window]}, timeout=10)
    summary, store = await _replay(broker_info, tmp_path / "b.sqlite", 10, options)
    assert (summary.received, summary.missing, summary.duplicates) == (50, 0, 0)
    receipts = _receipts(store, summary, 10)
    late = {
        cable
        for (cable, post), (at, _) in receipts.items()
        if post == "RUEHFK" and at == "2008-12-04T07:06:59Z"
    }
    assert late == {"08TOKYO103", "08TOKYO104", "08TOKYO105", "08TOKYO106"}
    on_time = receipts[("08TOKYO107", "RUEHFK")][0]
    assert on_time.startswith("2008-12-04T07:07:0")


async def test_a_post_offline_for_good_has_all_its_deliveries_missing(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    options = ReplayOptions(offline={"RUEHNH": None}, timeout=1)
    summary, store = await _replay(broker_info, tmp_path / "c.sqlite", 8, options)
    assert (summary.received, summary.missing) == (32, 8)
    report = who_got(store, summary.run, "08TOKYO104")
    assert [(m.post, m.reason) for m in report.missing] == [("RUEHNH", OFFLINE_REASON)]


def _serials(store: AuditStore, run: str, post: str, count: int) -> list[str]:
    """The cables `post` received, in channel-serial order."""
    got = []
    for serial in range(100, 100 + count):
        report = who_got(store, run, f"08TOKYO{serial}")
        got += [(entry.channel_serial, report.id) for entry in report.received if entry.post == post]
    return [cable for _, cable in sorted(got)]


async def test_circuits_put_precedence_first_unless_fifo(broker_info: BrokerInfo, tmp_path: Path) -> None:
    # 20 characters/s: each cable (~1,750 characters) takes about 90 s, and one is filed every 60 s,
    # so queues form; the cables cycle ROUTINE, PRIORITY, IMMEDIATE, PRIORITY.
    filed = [f"08TOKYO{serial}" for serial in range(100, 108)]
    ranked, store = await _replay(
        broker_info, tmp_path / "p.sqlite", 8, ReplayOptions(timeout=10), link_cps=20
    )
    assert ranked.received == 40
    by_precedence = _serials(store, ranked.run, "RUEHC", 8)
    assert sorted(by_precedence) == filed
    assert by_precedence.index("08TOKYO102") < by_precedence.index("08TOKYO101")  # IMMEDIATE overtook
    fifo, store = await _replay(
        broker_info, tmp_path / "f.sqlite", 8, ReplayOptions(fifo=True, timeout=10), link_cps=20
    )
    assert fifo.received == 40
    assert _serials(store, fifo.run, "RUEHC", 8) == filed


async def test_a_load_factor_compresses_the_filing_times_until_queues_form(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    # 40 characters/s: a cable takes about 45 s. Filed every 60 s nothing waits; at load 4 (every
    # 15 s) a queue forms and the IMMEDIATE cable overtakes the PRIORITY one filed before it.
    filed = [f"08TOKYO{serial}" for serial in range(100, 108)]
    calm, store = await _replay(broker_info, tmp_path / "c.sqlite", 8, ReplayOptions(timeout=10), link_cps=40)
    assert _serials(store, calm.run, "RUEHC", 8) == filed
    busy, store = await _replay(
        broker_info, tmp_path / "b.sqlite", 8, ReplayOptions(load=4, timeout=10), link_cps=40
    )
    assert busy.received == 40
    by_precedence = _serials(store, busy.run, "RUEHC", 8)
    assert by_precedence.index("08TOKYO102") < by_precedence.index("08TOKYO101")
    scheduled = sorted(
        row[0] for row in store.connection.execute("SELECT DISTINCT scheduled_sim FROM receipts")
    )
    assert scheduled == [START + 15 * index for index in range(8)]


async def test_a_broker_killed_mid_run_loses_nothing(mosquitto: MosquittoBroker, tmp_path: Path) -> None:
    async def kill_and_restart(replayer: Replayer) -> None:
        assert await wait_until_async(lambda: replayer.summary.published >= 40)  # a fifth of the way
        mosquitto.stop(kill=True)
        mosquitto.start()

    options = ReplayOptions(speed=60 * 25, timeout=10)  # 40 cables a minute apart: about 1.6 s
    summary, store = await _replay(mosquitto.info, tmp_path / "d.sqlite", 40, options, kill_and_restart)
    assert summary.reconnects == 1
    assert (summary.planned, summary.received, summary.missing) == (200, 200, 0)
    receipts = _receipts(store, summary, 40)
    assert len(receipts) == 200  # one row per delivery ...
    assert sum(duplicates for _, duplicates in receipts.values()) == summary.duplicates  # ... repeats counted


async def test_a_lossy_post_leaves_exactly_its_dropped_deliveries_unreceived(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    options = ReplayOptions(lossy={"RUEHOK": 0.4}, seed=3, timeout=10)
    summary, store = await _replay(broker_info, tmp_path / "e.sqlite", 40, options)
    cables = [f"08TOKYO{serial}" for serial in range(100, 140)]
    dropped = {cable for cable in cables if is_dropped(3, cable, "RUEHOK", 0.4)}
    assert 5 < len(dropped) < 30
    assert (summary.dropped, summary.missing, summary.received) == (
        len(dropped),
        len(dropped),
        200 - len(dropped),
    )
    receipts = _receipts(store, summary, 40)
    unreceived = {(cable, post) for cable in cables for post in PLANNED_POSTS} - set(receipts)
    assert unreceived == {(cable, "RUEHOK") for cable in dropped}


async def test_the_amqtt_fallback_replays_online_traffic(tmp_path: Path) -> None:
    with embedded_broker(prefer="amqtt") as info:
        summary, _ = await _replay(info, tmp_path / "f.sqlite", 6, ReplayOptions(timeout=10))
    assert (summary.planned, summary.received, summary.missing) == (30, 30, 0)


def test_the_seed_cables_reach_exactly_the_planned_posts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "seeds.sqlite")
    assert main(["replay", "--db", db, "--run", "seeds"]) == 0
    summary = capsys.readouterr().out
    assert "08TOKYO3310 received by" in summary
    assert main(["who-got", "08TOKYO3310", "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    members = {member.ri for member in bundled_example().collectives["RUEHGG"].members} - {"RUEHKO"}
    expected = {"RUEHC", "RUEHFK", "RUEHNH", "RUEHOK", "RUEHKSO", "RUEHGV", "RUCNDT"} | members
    assert len(members) >= 10
    assert {entry["post"] for entry in report["received"]} == expected
    assert report["missing"] == []
    assert all(entry["duplicates"] == 0 for entry in report["received"])


def test_the_command_line_replays_through_a_given_broker_with_faults(
    broker_info: BrokerInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(8):
        (corpus / item.source).write_text(item.text)
    db = str(tmp_path / "cli.sqlite")
    argv = [
        "replay", str(corpus), "--db", db, "--run", "faults", "--json",
        "--broker", f"mqtt://{broker_info.host}:{broker_info.port}",
        "--speed", "3600", "--max-gap", "30",
        "--offline", "RUEHFK@2008-12-04T07:02Z-2008-12-04T07:04Z",
        "--offline", "RUEHNH",
        "--lossy", "RUEHOK:1",
    ]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["broker"] == f"mqtt://{broker_info.host}:{broker_info.port}"
    assert (summary["planned"], summary["received"], summary["dropped"]) == (40, 24, 8)
    assert summary["missing"] == 16  # RUEHNH never came online, RUEHOK dropped everything
    with AuditStore(db, create=False) as store:
        late = who_got(store, "faults", "08TOKYO102")
    by_post = {entry.post: entry for entry in late.received}
    # Queued while offline, received as the window closes: not before 07:04, and (paced at 3,600
    # simulated seconds a second) within a minute of simulated time of it, however busy the machine.
    assert "2008-12-04T07:04:00Z" <= by_post["RUEHFK"].received_at < "2008-12-04T07:05:00Z"
    assert main(["replay", str(corpus), "--db", db, "--run", "faults"]) == 2  # the name is taken


def test_bad_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.sqlite")
    assert main(["replay", "--db", db, "--lossy", "RUEHC:2"]) == 2
    assert main(["replay", "--db", db, "--offline", "RUEHC@tomorrow"]) == 2
    assert main(["replay", "--db", db, "--speed", "0"]) == 2
    assert main(["replay", "--db", db, "--load", "-1"]) == 2
    assert main(["replay", "--db", db, "--broker", "http://example.org"]) == 2
    assert "cableroute replay:" in capsys.readouterr().err


def test_ctrl_c_ends_a_run_cleanly_and_keeps_what_was_recorded(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(30):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "stop.sqlite"
    # The run takes Ctrl-C as Python does by default, even when this test was started with SIGINT
    # ignored (as a background job is), which the child would otherwise inherit.
    start = "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    command = [
        sys.executable, "-c", start + "from replay.cli import main; sys.exit(main())",
        "replay", str(corpus), "--db", str(db), "--run", "stopped", "--speed", "60",
        "--broker", f"mqtt://{broker_info.host}:{broker_info.port}",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def first_cable_through() -> bool:
        with contextlib.suppress(StoreError, QueryError), AuditStore(db, create=False) as store:
            return bool(who_got(store, "stopped", "08TOKYO100").received)
        return False

    assert wait_until(first_cable_through, timeout=20)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 130
    assert b"(interrupted)" in out
    with AuditStore(db, create=False) as store:
        assert [run.status for run in store.runs()] == ["interrupted"]
        first, last = who_got(store, "stopped", "08TOKYO100"), who_got(store, "stopped", "08TOKYO129")
    assert len(first.received) == 5  # kept
    assert {entry.reason for entry in last.missing} == {"not received (run interrupted)"}
