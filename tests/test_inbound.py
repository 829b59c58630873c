"""Inbound messages from the broker: bad, forged and late ones are rejected and counted, and never take
genuine ones with them.

The posts service and the router service run against a private mosquitto; another client on the same
broker publishes genuine messages (sealed with the deployment's key) among malformed, unsealed and
forged ones, as anyone on the broker could.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from replay.engine.router_service import RouterService
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.publisher import Publisher
from replay.mqtt.topics import CABLES_IN, post_topic
from replay.mqtt.wire import CableSubmission, LedgerEntry, RunEnd, RunStart, Transmission, encode, seal
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.precedence import Precedence
from tests.cable_texts import cable_texts, small_topology
from tests.receipt_samples import sample_receipt
from tests.waiting import StderrLines, wait_until, wait_until_async

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]
KEY = b"inbound-test-key-0123456789abcdef"
GENUINE = 120


def _transmission(run: str, number: int, post: str = "RUEHC", serial: int | None = None) -> Transmission:
    now = time.time()
    return Transmission(
        run,
        f"08TOKYO{number}",
        post,
        "action",
        Precedence.PRIORITY,
        False,
        number + 1 if serial is None else serial,
        1000.0 + number,
        1000.0 + number,
        1001.0 + number,
        now,
        now,
        now,
        0.0,
        "TEXT",
    )


async def _publish(broker: BrokerInfo, messages: list[tuple[str, bytes]]) -> None:
    publisher = Publisher(broker, "test-other-client")
    await publisher.start()
    try:
        for topic, payload in messages:
            publisher.publish(topic, payload)
        assert await publisher.flush(10)
    finally:
        await publisher.close()


def _receipts(db: Path, run: str) -> int:
    with AuditStore(db, create=False) as store:
        run_id = store.run_id(run)
        return store.connection.execute(
            "SELECT count(*) FROM receipts WHERE run_id = ?", (run_id,)
        ).fetchone()[0]


def _audit(db: Path, run: str) -> dict:
    result = subprocess.run(
        [*CABLEROUTE, "audit", "--db", str(db), "--run", run, "--json", "--fail-on", "unauthenticated"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(result.stdout)
    report["exit"] = result.returncode
    return report


def test_posts_record_every_genuine_receipt_and_count_the_bad_forged_and_late_ones(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("target", "replay", {})
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    env = {**os.environ, "CABLEROUTE_KEY": KEY.decode()}
    posts = subprocess.Popen(
        [*CABLEROUTE, "posts", "--broker", url, "--db", str(db), "--only", "RUEHC,RUEHFK"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert posts.stderr is not None
        assert b"posts connected" in posts.stderr.readline()  # printed once they are subscribed
        genuine = [(post_topic("RUEHC"), seal(_transmission(run, n), KEY)) for n in range(GENUINE)]
        bad = [
            # sealed with the key but out of bounds: SQLite cannot hold it
            (post_topic("RUEHC"), seal(_transmission(run, 900, serial=2**64 - 1), KEY)),
            # no MAC at all, and a MAC under another key: forgeries turning a missing delivery into a receipt
            (post_topic("RUEHFK"), encode(_transmission(run, 901, post="RUEHFK"))),
            (
                post_topic("RUEHFK"),
                seal(_transmission(run, 902, post="RUEHFK"), b"guessed-key-0123456789abcd"),
            ),
            # a genuine message for RUEHC replayed onto RUEHFK's topic
            (post_topic("RUEHFK"), genuine[0][1]),
            (post_topic("RUEHC"), b"\x93garbage"),
        ]
        messages = genuine[:60] + bad + genuine[60:]
        asyncio.run(_publish(broker_info, messages))
        assert wait_until(lambda: _receipts(db, run) == GENUINE), _receipts(db, run)
        with AuditStore(db, create=False) as store:  # RUEHFK's three refusals arrive on their own connection
            refused = {"unauthenticated": 2, "misrouted": 1}
            assert wait_until(lambda: {kind: store.rejected_counts(run)[kind] for kind in refused} == refused)
        with AuditStore(db) as store:
            store.finish_run(run, "ok", {})
        asyncio.run(_publish(broker_info, [(post_topic("RUEHC"), seal(_transmission(run, 500), KEY))]))
        with AuditStore(db, create=False) as store:
            assert wait_until(lambda: store.rejected_counts(run)["after_finish"] == 1)
    finally:
        posts.send_signal(signal.SIGTERM)
        _, err = posts.communicate(timeout=15)
    assert posts.returncode == 0, err.decode()
    assert "rejected: 2 unauthenticated, 2 malformed, 1 misrouted" in err.decode()  # garbage names no run
    assert _receipts(db, run) == GENUINE  # every genuine one, nothing forged, nothing after the finish
    report = _audit(db, run)
    assert report["rejected"] == {
        "unauthenticated": 2,
        "malformed": 1,
        "misrouted": 1,
        "after_finish": 1,
        "unrecordable": 0,
    }
    assert report["findings"]["unauthenticated"] == 2
    assert report["exit"] == 1  # --fail-on unauthenticated


def test_the_store_writer_keeps_a_batch_whose_one_receipt_cannot_be_stored(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("r", "replay", {})

    writer = StoreWriter(db)
    writer.submit_receipts([sample_receipt(run, n, n + 1) for n in range(50)])
    writer.submit_receipt(sample_receipt(run, 99, 2**64 - 1))
    writer.submit_receipts([sample_receipt(run, n, n + 1) for n in range(50, 100)])
    writer.close()  # no error: the bad receipt is rejected, not the batch
    assert writer.rejected == 1
    assert _receipts(db, run) == 100
    with AuditStore(db, create=False) as store:
        assert store.rejected_counts(run)["unrecordable"] == 1


async def test_the_router_service_rejects_unsealed_submissions_and_those_for_finished_runs(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    db = tmp_path / "audit.sqlite"
    store = AuditStore(db)
    store.start_run("done", "replay", {})
    store.finish_run("done", "ok", {"cables": 2})
    writer = StoreWriter(store)
    service = RouterService(broker_info, store, writer, KEY, settle=0.1)
    stop = asyncio.Event()
    serving = asyncio.create_task(service.run(stop))
    session, late = "a" * 32, "b" * 32
    items = cable_texts(2)
    topology = small_topology().image()
    ledger = [LedgerEntry(1, "08TOKYO100", items[0].source)]
    try:
        await asyncio.wait_for(service.listening.wait(), 10)
        await _publish(
            broker_info,
            [
                (CABLES_IN, seal(RunStart(late, "done", topology, False, []), KEY)),  # a finished run again
                (CABLES_IN, seal(RunStart(session, "new", topology, False, ledger), KEY)),  # genuine
                (CABLES_IN, encode(CableSubmission(session, 1, 1e9, "forged.txt", items[1].text))),  # no MAC
                (CABLES_IN, seal(CableSubmission(session, 1, 1e9, items[0].source, items[0].text), KEY)),
                (CABLES_IN, seal(RunEnd(session, 2), KEY)),
            ],
        )
        await wait_until_async(lambda: service.counts.cables == 1 and sum(service.rejected.values()) == 2)
        await _publish(  # a cable for the run it just finished
            broker_info, [(CABLES_IN, seal(CableSubmission(session, 2, 1e9, "late.txt", items[1].text), KEY))]
        )
        await wait_until_async(lambda: sum(service.rejected.values()) == 3)
    finally:
        stop.set()
        await serving
        await writer.aflush()
        writer.close()
    assert service.counts.cables == 1
    assert dict(service.rejected) == {
        ("done", "after_finish"): 1,
        ("new", "unauthenticated"): 1,
        ("new", "after_finish"): 1,
    }
    assert store.rejected_counts("done")["after_finish"] == 1
    counts = store.rejected_counts("new")
    assert (counts["unauthenticated"], counts["after_finish"]) == (1, 1)
    done = store.run_id("done")
    assert (
        store.connection.execute("SELECT count(*) FROM cables WHERE run_id = ?", (done,)).fetchone()[0] == 0
    )
    assert msgspec.json.decode(
        store.connection.execute("SELECT summary FROM runs WHERE id = ?", (done,)).fetchone()[0]
    ) == {"cables": 2}
    new = store.run_id("new")
    assert store.connection.execute(
        "SELECT cable_id FROM cables WHERE run_id = ? AND recorded = 1", (new,)
    ).fetchall() == [("08TOKYO100",)]
    store.close()


def test_rejections_are_added_up_in_one_write_and_those_of_unknown_runs_only_logged(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("r", "replay", {})
    writer = StoreWriter(db)
    for _ in range(1000):
        writer.submit_rejected(run, "unauthenticated")
    writer.submit_rejected("no-such-run", "unauthenticated")
    writer.submit_rejected(run, "malformed")
    writer.flush()  # everything submitted so far is written, rejections included
    with AuditStore(db, create=False) as store:
        counts = store.rejected_counts(run)
        assert (counts["unauthenticated"], counts["malformed"]) == (1000, 1)
        assert not store.has_run("no-such-run")
    writer.close()  # no error for the unknown run


def test_posts_without_a_store_report_what_they_refuse_to_the_recorder(
    broker_info: BrokerInfo, tmp_path: Path
) -> None:
    db = tmp_path / "audit.sqlite"
    with AuditStore(db) as store:
        run = store.start_run("target", "replay", {})
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    env = {**os.environ, "CABLEROUTE_KEY": KEY.decode()}
    serve = subprocess.Popen([*CABLEROUTE, "-v", "serve", "--broker", url, "--db", str(db)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # fmt: skip
    posts = subprocess.Popen([*CABLEROUTE, "posts", "--broker", url, "--only", "RUEHC,RUEHFK"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # fmt: skip
    said = {process: StderrLines(process) for process in (serve, posts)}
    try:
        assert said[posts].wait_for("posts connected"), said[posts].text()
        assert said[serve].wait_for("router service listening"), said[serve].text()  # recorder first
        genuine = seal(_transmission(run, 1, post="RUEHFK"), KEY)
        asyncio.run(
            _publish(
                broker_info,
                [
                    (post_topic("RUEHFK"), encode(_transmission(run, 2, post="RUEHFK"))),  # no MAC
                    (post_topic("RUEHC"), genuine),  # Fukuoka's, replayed to Washington
                    (post_topic("RUEHFK"), genuine),
                ],
            )
        )
        with AuditStore(db, create=False) as store:

            def reported() -> bool:
                counts = store.rejected_counts(run)
                return (counts["unauthenticated"], counts["misrouted"]) == (1, 1)

            assert wait_until(reported, timeout=20)
            assert wait_until(lambda: _receipts(db, run) == 1, timeout=20)
    finally:
        for process in (posts, serve):
            process.send_signal(signal.SIGTERM)
        for process in (posts, serve):
            process.wait(timeout=15)


def test_the_recorder_counts_a_posts_report_and_refuses_a_forged_one(tmp_path: Path) -> None:
    from replay.engine.receipts import PostRejection, ReceiptCollector

    store = AuditStore(tmp_path / "audit.sqlite")
    run = store.start_run("night", "replay", {})
    writer = StoreWriter(store)
    collector = ReceiptCollector(BrokerInfo(host="127.0.0.1", port=1), store, writer, KEY)
    collector._take(seal(PostRejection(run, "RUEHFK", "misrouted"), KEY))
    collector._take(encode(PostRejection(run, "RUEHFK", "misrouted")))  # a report without a MAC
    collector._take(seal(PostRejection(run, "RUEHFK", "misrouted"), b"guessed-key-0123456789abcd"))
    writer.close()
    counts = store.rejected_counts(run)
    assert (counts["misrouted"], counts["unauthenticated"]) == (1, 2)
    assert collector.posts_rejected == 1
    store.close()
