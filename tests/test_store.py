"""The audit store: real SQLite files, runs, batches, duplicates, missing deliveries, the writer thread."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from replay.store.audit_reads import cable_fact_rows
from replay.store.receipt import Receipt
from replay.store.rows import RowBatch, RowCoder, cable_rows, decode_addressees, row_replay_key
from replay.store.schema import SCHEMA_VERSION
from replay.store.store import APPLICATION_ID, AuditStore, StoreError, default_db_path
from replay.store.writer import StoreWriter
from replay.store.writes import (
    FinishRun,
    ProcessWrite,
    RecordCableRows,
    RecordCables,
    RecordDrops,
    RecordReceipts,
    RecordRows,
    RecordSent,
    StartRun,
)
from router.circuit import CircuitStats
from router.decoder import decode
from router.deliveries import Delivery, Exemption, OtherMeans, Plan, Sent, UnresolvedAddressee
from router.model import Addressee, Banner, Cable, PrecedencePair, Routing, Security, Station, Transmission
from router.order import replay_key
from router.planner import cable_id_of
from router.precedence import Precedence
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology

ROUTINE, PRIORITY, IMMEDIATE = Precedence.ROUTINE, Precedence.PRIORITY, Precedence.IMMEDIATE


def make_cable(cable_id: str, ssn: int = 1, origin: str = "RUEHKO") -> Cable:
    """A small decoded cable with an action and an info addressee."""
    filed = datetime(2008, 12, 4, 7, 34, tzinfo=UTC)
    return Cable(
        id=cable_id,
        source=f"{cable_id}.txt",
        transmission=Transmission(channel="XRO", serial=8162),
        routing=Routing(precedence=IMMEDIATE, relays=("RUEHTRO",)),
        station=Station(ri=origin, ssn=ssn, filed=filed),
        security=Security(prosign="ZNY", classification="CONFIDENTIAL"),
        precedence=PrecedencePair(action=IMMEDIATE, info=PRIORITY),
        dtg=filed,
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=IMMEDIATE, mcn="9199"),),
        info=(Addressee(ri="RUEHFK", name="AMCONSUL FUKUOKA", precedence=PRIORITY, mcn="1253"),),
        banner=Banner(classification="CONFIDENTIAL", origin="TOKYO", mrn="003310"),
        size=1200,
    )


def make_plan(cable_id: str, posts: tuple[str, ...] = ("RUEHC", "RUEHFK")) -> Plan:
    """Deliveries to `posts`, the first as action addressee."""
    deliveries = tuple(
        Delivery(
            cable_id=cable_id,
            post=post,
            role="action" if i == 0 else "info",
            precedence=IMMEDIATE if i == 0 else PRIORITY,
            reasons=(f"TO {post}",),
        )
        for i, post in enumerate(posts)
    )
    return Plan(cable_id=cable_id, deliveries=deliveries)


def make_receipt(run: str, cable_id: str, post: str, serial: int = 1, at: float = 100.0) -> Receipt:
    """A receipt at simulated time `at`."""
    return Receipt(
        run=run,
        cable_id=cable_id,
        post=post,
        role="info",
        precedence=PRIORITY,
        channel_serial=serial,
        scheduled_sim=at - 30,
        enqueued_sim=at - 20,
        transmitted_sim=at - 1,
        received_sim=at,
    )


def count(store: AuditStore, sql: str, *params: object) -> int:
    """The single integer a query returns."""
    return store.connection.execute(sql, params).fetchone()[0]


@pytest.fixture
def store(tmp_path: Path) -> AuditStore:
    """A fresh store file."""
    opened = AuditStore(tmp_path / "audit.sqlite")
    yield opened
    opened.close()


def test_new_store_is_wal_and_versioned(store: AuditStore) -> None:
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert count(store, "PRAGMA user_version") == SCHEMA_VERSION


def test_default_run_names_are_dated_and_unique(store: AuditStore) -> None:
    first = store.start_run(None, "replay", {"speed": 10})
    second = store.start_run(None, "simulate", {})
    assert re.fullmatch(r"run-\d{8}-\d{6}(-\d+)?", first)
    assert first != second
    runs = store.runs()
    assert [r.name for r in runs] == [first, second]
    assert runs[0].options == {"speed": 10}
    assert runs[0].status == "running"
    assert store.latest_run() == second


def test_named_run_must_be_new_and_mode_known(store: AuditStore) -> None:
    assert store.start_run("night", "replay", {}) == "night"
    with pytest.raises(StoreError, match="already exists"):
        store.start_run("night", "replay", {})
    with pytest.raises(StoreError, match="mode"):
        store.start_run("other", "teleport", {})


def test_unknown_run_is_a_clear_error(store: AuditStore) -> None:
    with pytest.raises(StoreError, match="no runs"):
        store.latest_run()
    with pytest.raises(StoreError, match="no run named 'ghost'"):
        store.record_cables("ghost", [make_cable("08TOKYO1")])


def test_finish_run_keeps_status_and_summary(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    store.finish_run(run, "ok", {"cables": 2})
    info = store.runs()[0]
    assert (info.status, info.summary) == ("ok", {"cables": 2})
    assert info.finished_at is not None and info.finished_at >= info.started_at


def test_cable_row_keeps_what_the_audit_needs(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    assert store.record_cables(run, [make_cable("08TOKYO3310", ssn=3310)]) == 1
    row = store.connection.execute(
        "SELECT origin_ri, ssn, year, dtg, filed, time, fl2_precedence, fl5_action, fl5_info, "
        "fl4_classification, banner_classification, banner_mrn, channel, channel_serial, addressees "
        "FROM cables WHERE cable_id = '08TOKYO3310'"
    ).fetchone()
    filed = datetime(2008, 12, 4, 7, 34, tzinfo=UTC).timestamp()
    expected = ("RUEHKO", 3310, 2008, filed, filed, filed, 2, 2, 1, "CONFIDENTIAL", "CONFIDENTIAL", "003310")
    assert row[:12] == expected
    assert row[12:14] == ("XRO", 8162)
    addressees = decode_addressees(row[14])
    assert [(a[0], a[1], a[3], a[6]) for a in addressees] == [
        ("to", "RUEHC", 2, "9199"),
        ("info", "RUEHFK", 1, "1253"),
    ]


def test_a_cable_row_gives_the_cable_id_and_replay_key_pass_one_keeps() -> None:
    filed, dtg = datetime(2008, 12, 4, 7, 34, tzinfo=UTC), datetime(2008, 12, 4, 7, 30, tzinfo=UTC)
    synthetic = synth_cables(200, seed=3, topology=synthetic_topology(0))
    cables = [decode(cable.text, cable.id) for cable in synthetic] + [
        make_cable("08TOKYO1"),
        Cable(source="a.txt", station=Station(ri="RUEHKO", filed=filed), dtg=dtg),
        Cable(id="08TOKYO2", dtg=dtg, routing=Routing(precedence=Precedence.FLASH)),
        Cable(id="08TOKYO3", precedence=PrecedencePair(action=Precedence.ROUTINE)),
        Cable(),
    ]
    rows = cable_rows(cables)
    assert [(row[0], row_replay_key(row)) for row in rows] == [
        (cable_id_of(cable), replay_key(cable, 0)) for cable in cables
    ]


def test_same_cable_twice_is_kept_once(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    assert store.record_cables(run, [make_cable("08TOKYO1"), make_cable("08TOKYO1", ssn=9)]) == 1
    assert store.record_cables(run, [make_cable("08TOKYO1")]) == 0
    assert count(store, "SELECT count(*) FROM cables") == 1


def test_plans_record_every_kind_of_decision(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    store.record_cables(run, [make_cable("08TOKYO1")])
    plan = Plan(
        cable_id="08TOKYO1",
        deliveries=make_plan("08TOKYO1").deliveries,
        other_means=(OtherMeans(cable_id="08TOKYO1", name="AMEMBASSY SEOUL", ri="RUEHUL"),),
        unresolved=(UnresolvedAddressee(cable_id="08TOKYO1", name="NOWHERE", reason="unknown PLAD"),),
        exempted=(Exemption(cable_id="08TOKYO1", post="RUEHLO", name="AMEMBASSY LONDON"),),
    )
    store.record_plans(run, [plan])
    for table, expected in (("deliveries", 2), ("other_means", 1), ("unresolved", 1), ("exemptions", 1)):
        assert count(store, f"SELECT count(*) FROM {table}") == expected, table


def test_repeated_receipt_counts_a_duplicate_not_a_row(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    store.record_cables(run, [make_cable("08TOKYO1")])
    store.record_plans(run, [make_plan("08TOKYO1")])
    receipt = make_receipt(run, "08TOKYO1", "RUEHFK")
    store.record_receipts(run, [receipt, receipt])
    store.record_receipts(run, [receipt])
    assert count(store, "SELECT count(*) FROM receipts") == 1
    assert count(store, "SELECT duplicates FROM receipts") == 2


def test_wall_times_are_kept_for_broker_receipts(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    receipt = Receipt(**{**_fields(make_receipt(run, "08TOKYO1", "RUEHC")), "received_wall": 1_700_000_000.5})
    store.record_receipts(run, [receipt, make_receipt(run, "08TOKYO1", "RUEHFK")])
    assert count(store, "SELECT count(*) FROM receipt_wall") == 1


def _fields(receipt: Receipt) -> dict[str, object]:
    """A receipt's fields as a dict."""
    return {name: getattr(receipt, name) for name in receipt.__struct_fields__}


def test_close_missing_records_unreceived_deliveries_with_reasons(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    cables = [make_cable(f"08TOKYO{i}", ssn=i) for i in range(1, 4)]
    store.record_cables(run, cables)
    store.record_plans(run, [make_plan(c.id or "") for c in cables])
    store.record_receipts(
        run, [make_receipt(run, "08TOKYO1", "RUEHC"), make_receipt(run, "08TOKYO1", "RUEHFK")]
    )
    store.record_receipts(run, [make_receipt(run, "08TOKYO2", "RUEHC")])
    store.record_drops(run, [("08TOKYO3", "RUEHFK")])
    assert store.close_missing(run, "not received by the end of the run") == 3
    assert store.close_missing(run, "again") == 0
    reasons = dict(
        store.connection.execute(
            "SELECT c.cable_id || ' ' || p.ri, m.reason FROM missing m "
            "JOIN cables c ON c.id = m.cable JOIN posts p ON p.id = m.post"
        ).fetchall()
    )
    assert reasons == {
        "08TOKYO2 RUEHFK": "not received by the end of the run",
        "08TOKYO3 RUEHC": "not received by the end of the run",
        "08TOKYO3 RUEHFK": "dropped (lossy post)",
    }


def test_receipt_before_its_cable_makes_a_placeholder_that_is_filled_later(store: AuditStore) -> None:
    run = store.start_run(None, "replay", {})
    store.record_receipts(run, [make_receipt(run, "08TOKYO7", "RUEHC")])
    assert count(store, "SELECT recorded FROM cables WHERE cable_id = '08TOKYO7'") == 0
    assert store.record_cables(run, [make_cable("08TOKYO7", ssn=7)]) == 1
    assert count(store, "SELECT count(*) FROM cables") == 1
    assert count(store, "SELECT ssn FROM cables WHERE cable_id = '08TOKYO7' AND recorded = 1") == 7


def test_a_second_connection_sees_and_extends_the_same_run(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as writer_a, AuditStore(path) as writer_b:
        run = writer_a.start_run(None, "replay", {})
        writer_a.record_cables(run, [make_cable("08TOKYO1")])
        writer_b.record_receipts(run, [make_receipt(run, "08TOKYO1", "RUEHC")])
        writer_b.record_cables(run, [make_cable("08TOKYO1"), make_cable("08TOKYO2", ssn=2)])
        assert count(writer_a, "SELECT count(*) FROM cables") == 2
        assert count(writer_a, "SELECT count(DISTINCT cable) FROM receipts") == 1


def test_cables_fill_placeholders_another_connection_made_before_or_between_them(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as recorder, AuditStore(path) as other:
        run = recorder.start_run(None, "simulate", {})
        other.record_receipts(run, [make_receipt(run, "08TOKYO1", "RUEHC")])  # before any cable
        assert recorder.record_cables(run, [make_cable("08TOKYO1"), make_cable("08TOKYO2", ssn=2)]) == 2
        assert recorder.record_cables(run, [make_cable("08TOKYO3", ssn=3)]) == 1  # (no one else wrote)
        other.record_receipts(run, [make_receipt(run, "08TOKYO4", "RUEHC")])  # between two batches
        later = [make_cable("08TOKYO4", ssn=4), make_cable("08TOKYO5", ssn=5)]
        assert recorder.record_cables(run, later) == 2
        assert count(recorder, "SELECT count(*) FROM cables WHERE recorded = 1") == 5
        assert count(recorder, "SELECT count(DISTINCT cable) FROM receipts") == 2
        joined = "SELECT c.ssn FROM receipts AS r JOIN cables AS c ON c.id = r.cable WHERE c.cable_id = '{}'"
        assert [count(recorder, joined.format(cable_id)) for cable_id in ("08TOKYO1", "08TOKYO4")] == [1, 4]


def test_rows_name_cables_another_connection_recorded(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    ids = [f"08TOKYO{n}" for n in range(1, 1_501)]
    with AuditStore(path) as recorder, AuditStore(path) as writer:
        run = recorder.start_run(None, "simulate", {})
        recorder.record_cables(run, [make_cable(cable_id, ssn=n) for n, cable_id in enumerate(ids, 1)])
        coder = RowCoder()
        cables, posts, reasons = coder.cables, coder.posts, coder.reasons
        deliveries = [(cables[cable_id], posts["RUEHC"], 0, 2, 0, reasons[("TO RUEHC",)]) for cable_id in ids]
        deliveries.append((cables["08TOKYO9999"], posts["RUEHFK"], 1, 1, 1, reasons[()]))
        receipt = (cables[ids[0]], posts["RUEHC"], 0, 2, 0, 1, 70.0, 80.0, 99.0, 100.0)
        writer.record_rows(run, coder.batch(deliveries, [receipt]))
        joined = "SELECT count(*) FROM deliveries AS d JOIN cables AS c ON c.id = d.cable WHERE c.ssn = {}"
        assert [count(recorder, joined.format(n)) for n in (1, 750, 1_500)] == [1, 1, 1]
        assert count(recorder, "SELECT count(*) FROM cables") == 1_501
        assert count(recorder, "SELECT recorded FROM cables WHERE cable_id = '08TOKYO9999'") == 0
        assert count(recorder, "SELECT c.ssn FROM receipts AS r JOIN cables AS c ON c.id = r.cable") == 1


def test_coded_rows_name_each_key_once_and_a_batch_out_of_order_is_refused(store: AuditStore) -> None:
    run = store.start_run(None, "simulate", {})
    store.record_cables(run, [make_cable("08TOKYO1"), make_cable("08TOKYO2", ssn=2)])
    coder = RowCoder()
    cables, posts, reasons = coder.cables, coder.posts, coder.reasons
    first = coder.batch([(cables["08TOKYO1"], posts["RUEHC"], 0, 2, 1, reasons[("TO RUEHC",)])], [])
    receipt = (cables["08TOKYO1"], posts["RUEHC"], 0, 2, 1, 1, 70.0, 80.0, 99.0, 100.0)
    delivery = (cables["08TOKYO2"], posts["RUEHC"], 1, 0, 0, reasons[("TO RUEHC",)])
    second = coder.batch([delivery], [receipt, receipt])
    assert (second.named, second.cables, second.posts, second.reasons) == ((1, 1, 1), ["08TOKYO2"], [], [])
    with pytest.raises(StoreError, match="out of order"):
        store.record_rows(run, second)
    store.record_rows(run, first)
    store.record_rows(run, second)
    rows = store.connection.execute(
        "SELECT c.cable_id, p.ri, d.role, d.precedence, d.niact, x.text FROM deliveries AS d "
        "JOIN cables AS c ON c.id = d.cable JOIN posts AS p ON p.id = d.post "
        "JOIN delivery_reasons AS x ON x.id = d.reasons ORDER BY 1"
    ).fetchall()
    assert rows == [("08TOKYO1", "RUEHC", 0, 2, 1, "TO RUEHC"), ("08TOKYO2", "RUEHC", 1, 0, 0, "TO RUEHC")]
    assert count(store, "SELECT duplicates FROM receipts") == 1  # the receipt repeated


def test_coded_rows_many_to_a_statement_keep_repeated_keys_as_one_row_statements_do(
    store: AuditStore,
) -> None:
    run = store.start_run(None, "simulate", {})
    coder = RowCoder()
    cables, posts, reasons = coder.cables, coder.posts, coder.reasons
    pairs = [(f"08TOKYO{n}", ri) for n in range(100) for ri in ("RUEHC", "RUEHFK")]  # 200 keys
    # Repeats within a statement's 64 rows, across statements, in the last statement and in a later batch.
    order = [*range(0, 10), 3, *range(10, 70), 65, 0, *range(70, 150), 149]
    deliveries = [
        (cables[c], posts[p], 0, n % 4, n % 2, reasons[(f"TO {p}",)]) for n, (c, p) in enumerate(pairs)
    ]
    receipts = [
        (cables[c], posts[p], 1, 2, 0, n, 10.0 * n, 10.0 * n + 1, 10.0 * n + 2, 10.0 * n + 3)
        for n, (c, p) in enumerate(pairs)
    ]
    store.record_rows(run, coder.batch([deliveries[i] for i in order], [receipts[i] for i in order]))
    later = [*range(140, 200), 0, 141]
    store.record_rows(run, coder.batch([deliveries[i] for i in later], [receipts[i] for i in later]))
    got = store.connection.execute(
        "SELECT c.cable_id, p.ri, r.channel_serial, r.received_sim, r.duplicates FROM receipts AS r "
        "JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post ORDER BY r.channel_serial"
    ).fetchall()
    repeats = {i: (order + later).count(i) - 1 for i in range(len(pairs))}
    assert got == [(*pairs[i], i, 10.0 * i + 3, repeats[i]) for i in range(len(pairs))]
    planned = "SELECT count(*), sum(d.precedence), sum(d.niact) FROM deliveries AS d"
    assert store.connection.execute(planned).fetchone() == (200, sum(n % 4 for n in range(200)), 100)


def test_a_coded_row_the_table_refuses_fails_its_whole_batch(store: AuditStore) -> None:
    run = store.start_run(None, "simulate", {})
    coder = RowCoder()
    cables, posts, reasons = coder.cables, coder.posts, coder.reasons
    deliveries = [(cables[f"08TOKYO{n}"], posts["RUEHC"], 0, 2, 0, reasons[()]) for n in range(100)]
    refused = (cables["08TOKYO100"], posts["RUEHC"], None, 2, 0, reasons[()])  # no role: NOT NULL
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        store.record_rows(run, coder.batch([*deliveries, refused], []))  # type: ignore[list-item]
    assert count(store, "SELECT count(*) FROM deliveries") == 0


def test_sent_transmissions_are_recorded_per_circuit(store: AuditStore) -> None:
    run = store.start_run(None, "simulate", {})
    sent = [
        Sent(
            cable_id=f"08TOKYO{i}",
            post="RUEHC",
            role="action",
            precedence=ROUTINE,
            niact=False,
            channel_serial=i,
            chars=100,
            scheduled_at=0.0,
            enqueued_at=0.0,
            started_at=float(i),
            transmitted_at=i + 0.5,
        )
        for i in range(1, 4)
    ]
    store.record_sent(run, sent)
    assert [r[0] for r in store.connection.execute("SELECT channel_serial FROM sent ORDER BY 1")] == [1, 2, 3]


def test_opening_needs_a_store_file_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no audit store"):
        AuditStore(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_refuses_foreign_and_newer_files(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a cableroute audit store"):
        AuditStore(foreign)
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as connection:
        connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="schema"):
        AuditStore(newer)


def test_default_db_path_is_under_the_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_db_path()
    assert path == tmp_path / "data" / "cableroute" / "audit.sqlite"
    with AuditStore(path):
        assert path.parent.is_dir()


def test_reader_queries_while_the_writer_thread_writes(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    writer = StoreWriter(path)
    run = writer.submit(StartRun(None, "simulate", {})).result(timeout=10)
    cables = [make_cable(f"08TOKYO{i}", ssn=i) for i in range(1, 2001)]
    writer.submit(RecordCables(run, cables))
    writer.flush()
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        with AuditStore(path, create=False) as reader:
            while not stop.is_set():
                try:
                    seen.append(count(reader, "SELECT count(*) FROM receipts"))
                except BaseException as error:
                    errors.append(error)
                    return

    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    deadline = time.monotonic() + 30
    while not seen and not errors and time.monotonic() < deadline:  # the reader is open and reading
        time.sleep(0.01)
    for start in range(0, 2000, 100):
        for cable in cables[start : start + 100]:
            writer.submit_receipt(make_receipt(run, cable.id or "", "RUEHC"))
        writer.flush()
    read_before = len(seen)
    while len(seen) == read_before and not errors and time.monotonic() < deadline:  # and reads again
        time.sleep(0.01)
    stop.set()
    reader_thread.join()
    writer.close()
    assert errors == []
    assert len(seen) > 1
    assert seen == sorted(seen)
    with AuditStore(path, create=False) as check:
        assert count(check, "SELECT count(*) FROM receipts") == 2000


async def test_writer_takes_receipts_from_asyncio_without_blocking(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "audit.sqlite")
    run = await asyncio.wrap_future(writer.submit(StartRun("async", "replay", {})))
    writer.submit(RecordCables(run, [make_cable("08TOKYO1")]))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    for serial in range(1, 501):
        writer.submit_receipt(make_receipt(run, "08TOKYO1", "RUEHC", serial=serial))
    await writer.aflush()
    task.cancel()
    writer.close()
    assert ticks > 0
    with AuditStore(tmp_path / "audit.sqlite", create=False) as check:
        assert count(check, "SELECT duplicates FROM receipts") == 499


def test_writer_reports_failed_writes(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "audit.sqlite")
    writer.submit_receipt(make_receipt("no-such-run", "08TOKYO1", "RUEHC"))
    with pytest.raises(StoreError, match="no run named"):
        writer.flush()
    future = writer.submit(FinishRun("no-such-run", "ok", {}))
    with pytest.raises(StoreError):
        writer.close()
    assert isinstance(future.exception(timeout=1), StoreError)


def test_writer_refuses_what_is_not_a_write_request(tmp_path: Path) -> None:
    with StoreWriter(tmp_path / "audit.sqlite") as writer, pytest.raises(TypeError, match="write requests"):
        writer.submit("record_plans")  # type: ignore[arg-type]


def test_requests_for_the_writer_process_travel_as_themselves() -> None:
    sent = Sent(
        cable_id="08TOKYO1", post="RUEHC", role="action", precedence=PRIORITY, niact=False,
        channel_serial=1, chars=100, scheduled_at=1.0, enqueued_at=1.0, started_at=2.0, transmitted_at=3.0,
    )  # fmt: skip
    requests: list[ProcessWrite] = [
        RecordCableRows("r", [("08TOKYO1", "a.txt", None, 1.5, *[None] * 18, bytearray(b"\x90"), 1)]),
        RecordRows("r", RowBatch((0, 0, 0), ["08TOKYO1"], ["RUEHC"], ["TO"], [(0, 0, 0, 1, 0, 0)], [])),
        RecordSent("r", [sent]),
        RecordReceipts("r", [make_receipt("r", "08TOKYO1", "RUEHC")]),
        RecordDrops("r", [("08TOKYO1", "RUEHC")]),
    ]
    decoder = msgspec.msgpack.Decoder(ProcessWrite)
    for request in requests:
        assert decoder.decode(msgspec.msgpack.encode(request)) == request
    with pytest.raises(msgspec.ValidationError):
        decoder.decode(msgspec.msgpack.encode(FinishRun("r", "ok")))  # not for the process


def test_a_version_5_store_gains_the_circuit_figures(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    with AuditStore(path) as store:
        run = store.start_run("old", "simulate", {})
        store.connection.execute("DROP TABLE circuit_stats")
        store.connection.execute("DROP TABLE rejected_inputs")  # and what version 7 added
        store.connection.execute("DROP TABLE delivery_reasons")  # and what version 9 added
        for column in ("owner_host", "owner_pid", "owner_start", "heartbeat_at"):
            store.connection.execute(f"ALTER TABLE runs DROP COLUMN {column}")
        store.connection.execute("PRAGMA user_version=5")
    with AuditStore(path) as store:
        assert count(store, "PRAGMA user_version") == SCHEMA_VERSION
        assert store.circuit_stats(run) == []
        stats = CircuitStats(
            post="RUEHC",
            cps=10.0,
            transmitted=3,
            offered=3,
            peak_queue=2,
            preemptions=1,
            interrupted=1,
            busy_s=90.5,
            first_at=100.0,
            last_at=200.0,
            longest_wait={"ROUTINE": 50.0},
            depth_every=60.0,
            depth=[(60.0, 2)],
        )
        store.record_circuit_stats(run, [stats])
        assert store.circuit_stats(run) == [stats]


def test_cable_facts_of_interleaved_runs_come_in_recording_order(store: AuditStore) -> None:
    first = store.start_run("first", "simulate")
    second = store.start_run("second", "simulate")
    empty = store.start_run("empty", "simulate")
    store.record_cables(first, [make_cable("08TOKYO3", 3), make_cable("08TOKYO1", 1)])
    store.record_cables(second, [make_cable("08TOKYO9", 9)])
    store.record_cables(first, [make_cable("08TOKYO2", 2)])
    store.record_cables(second, [make_cable("08TOKYO8", 8)])
    assert [row[0] for row in cable_fact_rows(store, first)] == ["08TOKYO3", "08TOKYO1", "08TOKYO2"]
    assert [row[0] for row in cable_fact_rows(store, second)] == ["08TOKYO9", "08TOKYO8"]
    assert list(cable_fact_rows(store, empty)) == []
