"""Upgrading audit stores written by older versions: each is built here from its own DDL, as that
version wrote it, filled with a run, and opened by the current code.

The upgrade must give exactly the tables, columns, keys and indexes of a new store, keep every row, and
leave a store the current code writes to. A new schema version needs its predecessor's DDL added to
`OLD_SCHEMAS` (the test that checks the list says so).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from replay.audit.report import build_report, report_to_json
from replay.cli import main
from replay.store.queries import who_got
from replay.store.receipt import Receipt
from replay.store.schema import SCHEMA_VERSION
from replay.store.store import AuditStore
from router.precedence import Precedence

#: Version 1, the first release of the store.
SCHEMA_1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running',
    summary TEXT
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    ri TEXT NOT NULL UNIQUE
);
CREATE TABLE cables (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    cable_id TEXT NOT NULL,
    recorded INTEGER NOT NULL DEFAULT 1,
    source TEXT,
    origin_ri TEXT,
    ssn INTEGER,
    section INTEGER,
    year INTEGER,
    dtg REAL,
    filed REAL,
    time REAL,
    precedence INTEGER,
    fl2_precedence INTEGER,
    fl5_action INTEGER,
    fl5_info INTEGER,
    fl4_classification TEXT,
    banner_classification TEXT,
    banner_origin TEXT,
    banner_mrn TEXT,
    banner_section INTEGER,
    channel TEXT,
    channel_serial INTEGER,
    size INTEGER,
    errors INTEGER,
    addressees BLOB
);
CREATE UNIQUE INDEX cables_by_id ON cables(run_id, cable_id);
CREATE TABLE deliveries (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    role TEXT NOT NULL,
    precedence INTEGER NOT NULL,
    niact INTEGER NOT NULL,
    reasons TEXT,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
CREATE TABLE other_means (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    name TEXT NOT NULL,
    ri TEXT,
    role TEXT NOT NULL,
    post TEXT
);
CREATE INDEX other_means_by_cable ON other_means(run_id, cable);
CREATE TABLE unresolved (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    name TEXT NOT NULL,
    ri TEXT,
    role TEXT NOT NULL,
    line INTEGER,
    reason TEXT
);
CREATE INDEX unresolved_by_cable ON unresolved(run_id, cable);
CREATE TABLE exemptions (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post TEXT NOT NULL,
    name TEXT
);
CREATE INDEX exemptions_by_cable ON exemptions(run_id, cable);
CREATE TABLE sent (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    role TEXT NOT NULL,
    precedence INTEGER NOT NULL,
    niact INTEGER NOT NULL,
    channel_serial INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    scheduled_at REAL,
    enqueued_at REAL,
    started_at REAL,
    transmitted_at REAL,
    interruptions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, post, channel_serial, cable)
) WITHOUT ROWID;
CREATE TABLE receipts (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    role TEXT NOT NULL,
    precedence INTEGER NOT NULL,
    niact INTEGER NOT NULL,
    channel_serial INTEGER,
    scheduled_sim REAL,
    enqueued_sim REAL,
    transmitted_sim REAL,
    received_sim REAL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
CREATE TABLE receipt_wall (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    scheduled_wall REAL,
    enqueued_wall REAL,
    transmitted_wall REAL,
    received_wall REAL,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
CREATE TABLE drops (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
CREATE TABLE missing (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
"""

#: Version 2: whether a cable's id was derived (`cables.derived`).
SCHEMA_2 = SCHEMA_1.replace("    addressees BLOB\n", "    addressees BLOB,\n    derived INTEGER\n")
assert SCHEMA_2 != SCHEMA_1

#: Version 3: receipts keyed by post first.
SCHEMA_3 = SCHEMA_2.replace(
    "    duplicates INTEGER NOT NULL DEFAULT 0,\n    PRIMARY KEY (run_id, cable, post)",
    "    duplicates INTEGER NOT NULL DEFAULT 0,\n    PRIMARY KEY (run_id, post, cable)",
)
assert SCHEMA_3 != SCHEMA_2

#: Version 4: counts of rejected inbound messages.
SCHEMA_4 = (
    SCHEMA_3
    + """
CREATE TABLE rejected (
    run_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, kind)
) WITHOUT ROWID;
"""
)

#: Version 5: the name of each post in a run's topology.
SCHEMA_5 = (
    SCHEMA_4
    + """
CREATE TABLE post_names (
    run_id INTEGER NOT NULL,
    post INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (run_id, post)
) WITHOUT ROWID;
"""
)

#: Version 6: each circuit's contention figures per run.
SCHEMA_6 = (
    SCHEMA_5
    + """
CREATE TABLE circuit_stats (
    run_id INTEGER NOT NULL,
    post TEXT NOT NULL,
    cps REAL NOT NULL,
    transmitted INTEGER NOT NULL,
    offered INTEGER NOT NULL,
    peak_queue INTEGER NOT NULL,
    preemptions INTEGER NOT NULL,
    interrupted INTEGER NOT NULL,
    busy_s REAL NOT NULL,
    first_at REAL,
    last_at REAL,
    longest_wait TEXT NOT NULL,
    depth_every REAL,
    depth TEXT NOT NULL,
    PRIMARY KEY (run_id, post)
) WITHOUT ROWID;
"""
)

#: Version 7: a remote submitter's ledger.
SCHEMA_7 = (
    SCHEMA_6
    + """
CREATE TABLE submitted (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    cable_id TEXT NOT NULL,
    source TEXT,
    lost TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""
)

#: Version 8: the process that records a run, and the inputs of a run not read as cables.
SCHEMA_8 = (
    SCHEMA_7.replace(
        "    summary TEXT\n);",
        "    summary TEXT,\n    owner_host TEXT,\n    owner_pid INTEGER,\n    owner_start TEXT,\n"
        "    heartbeat_at REAL\n);",
        1,
    )
    + """
CREATE TABLE rejected_inputs (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX rejected_inputs_by_run ON rejected_inputs(run_id);
"""
)
assert "heartbeat_at REAL" in SCHEMA_8

#: The DDL of every older schema version.
OLD_SCHEMAS = {
    1: SCHEMA_1, 2: SCHEMA_2, 3: SCHEMA_3, 4: SCHEMA_4, 5: SCHEMA_5, 6: SCHEMA_6, 7: SCHEMA_7, 8: SCHEMA_8,
}  # fmt: skip

#: One run as an older version recorded it: a cable, two planned deliveries, one received (once
#: repeated), the other missing, and a row in every other table. Valid SQL for every version above.
OLD_RUN = [
    "INSERT INTO runs (id, name, mode, options, started_at, finished_at, status, summary) "
    "VALUES (1, 'old', 'replay', '{\"speed\": 60}', 1000.0, 1060.0, 'ok', '{\"cables\": 1}')",
    "INSERT INTO posts (id, ri) VALUES (1, 'RUEHC'), (2, 'RUEHFK')",
    "INSERT INTO cables (id, run_id, cable_id, source, origin_ri, ssn, year, dtg, filed, time, precedence, "
    "size, errors) VALUES (1, 1, '08TOKYO1', 'a.txt', 'RUEHKO', 1, 2008, 1228374000.0, 1228374060.0, "
    "1228374060.0, 1, 1500, 0)",
    "INSERT INTO deliveries (run_id, cable, post, role, precedence, niact, reasons) "
    "VALUES (1, 1, 1, 'action', 1, 0, 'TO RUEHC'), (1, 1, 2, 'info', 1, 0, 'INFO RUEHFK')",
    "INSERT INTO other_means (run_id, cable, name, ri, role, post) "
    "VALUES (1, 1, 'AMCONSUL X', NULL, 'info', NULL)",
    "INSERT INTO unresolved (run_id, cable, name, ri, role, line, reason) "
    "VALUES (1, 1, 'NOWHERE', NULL, 'info', 7, 'unknown')",
    "INSERT INTO exemptions (run_id, cable, post, name) VALUES (1, 1, 'RUEHNH', 'AMCONSUL NAHA')",
    "INSERT INTO sent (run_id, cable, post, role, precedence, niact, channel_serial, chars, scheduled_at, "
    "enqueued_at, started_at, transmitted_at) VALUES (1, 1, 1, 'action', 1, 0, 1, 1500, 1228374060.0, "
    "1228374060.0, 1228374061.0, 1228374090.0)",
    "INSERT INTO receipts (run_id, cable, post, role, precedence, niact, channel_serial, scheduled_sim, "
    "enqueued_sim, transmitted_sim, received_sim, duplicates) VALUES (1, 1, 1, 'action', 1, 0, 1, "
    "1228374060.0, 1228374060.0, 1228374090.0, 1228374090.0, 1)",
    "INSERT INTO receipt_wall (run_id, cable, post, scheduled_wall, enqueued_wall, transmitted_wall, "
    "received_wall) VALUES (1, 1, 1, 1000.0, 1000.0, 1001.0, 1001.5)",
    "INSERT INTO drops (run_id, cable, post, reason) VALUES (1, 1, 2, 'dropped (lossy post)')",
    "INSERT INTO missing (run_id, cable, post, reason) VALUES (1, 1, 2, 'dropped (lossy post)')",
]


def _old_store(path: Path, version: int) -> None:
    """A store file as `version` wrote it, holding `OLD_RUN`."""
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMAS[version])
        for statement in OLD_RUN:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version={version}")
    connection.close()


def _structure(connection: sqlite3.Connection) -> dict[str, object]:
    """Every table's columns (name, type, not null, default, key position), whether it has a rowid, and
    its indexes with their columns: what an upgrade must reproduce."""
    tables = [
        (name, sql)
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    structure: dict[str, object] = {}
    for name, sql in tables:
        columns = [row[1:6] for row in connection.execute(f"PRAGMA table_xinfo({name})")]
        indexes = {
            index: (unique, origin, [row[2] for row in connection.execute(f"PRAGMA index_info({index})")])
            for _, index, unique, origin, _ in connection.execute(f"PRAGMA index_list({name})")
            if origin != "pk"  # a rowid table's key index; its columns are in `columns` already
        }
        structure[name] = (columns, "WITHOUT ROWID" in sql.upper(), indexes)
    return structure


#: Every table's rows as compared before and after an upgrade (the columns every version has).
TABLE_ROWS = {
    "cables": "SELECT id, run_id, cable_id, recorded, source, origin_ri, ssn, year, time, size FROM cables",
    "runs": "SELECT id, name, mode, options, started_at, finished_at, status, summary FROM runs",
    **{
        table: f"SELECT * FROM {table}"
        for table in (
            "posts", "other_means", "unresolved", "exemptions", "sent",
            "receipt_wall", "drops", "missing",
        )
    },
}  # fmt: skip


#: A role code (version 9 on) as its name.
ROLE_NAME = "CASE {} WHEN 0 THEN 'action' WHEN 1 THEN 'info' END"

#: The planned deliveries and the receipts with their roles and reasons as text, from version 9 on
#: (roles kept as codes, reasons once in `delivery_reasons`), and before it.
ROWS_FROM_9 = {
    "deliveries": f"SELECT d.run_id, d.cable, d.post, {ROLE_NAME.format('d.role')}, d.precedence, d.niact, "
    "r.text FROM deliveries AS d LEFT JOIN delivery_reasons AS r ON r.id = d.reasons",
    "receipts": f"SELECT run_id, cable, post, {ROLE_NAME.format('role')}, precedence, niact, channel_serial, "
    "scheduled_sim, enqueued_sim, transmitted_sim, received_sim, duplicates FROM receipts",
}
ROWS_BEFORE_9 = {"deliveries": "SELECT * FROM deliveries", "receipts": "SELECT * FROM receipts"}


def _contents(connection: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """The rows of every table, in a fixed order (roles and a planned delivery's reasons as text)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    queries = {**TABLE_ROWS, **(ROWS_FROM_9 if version >= 9 else ROWS_BEFORE_9)}
    return {table: sorted(connection.execute(sql), key=repr) for table, sql in queries.items()}


def test_every_older_version_has_its_schema_here() -> None:
    assert set(OLD_SCHEMAS) == set(range(1, SCHEMA_VERSION)), (
        f"add the DDL of schema version {SCHEMA_VERSION - 1} to OLD_SCHEMAS"
    )


@pytest.mark.parametrize("version", sorted(OLD_SCHEMAS))
def test_an_older_store_upgrades_to_the_tables_of_a_new_one(tmp_path: Path, version: int) -> None:
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    _old_store(old, version)
    AuditStore(new).close()
    with AuditStore(old) as upgraded, AuditStore(new) as fresh:
        assert upgraded.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert _structure(upgraded.connection) == _structure(fresh.connection)


@pytest.mark.parametrize("version", sorted(OLD_SCHEMAS))
def test_an_upgraded_store_keeps_its_runs_and_takes_new_ones(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.sqlite"
    _old_store(path, version)
    with sqlite3.connect(path) as connection:
        before = _contents(connection)
    connection.close()
    assert all(before.values())  # a row in every table
    with AuditStore(path) as store:
        assert _contents(store.connection) == before
        report = who_got(store, "old", "08TOKYO1")
        assert [(entry.post, entry.duplicates, entry.received_at) for entry in report.received] == [
            ("RUEHC", 1, "2008-12-04T07:01:30Z")
        ]
        assert [(entry.post, entry.reason) for entry in report.missing] == [
            ("RUEHFK", "dropped (lossy post)")
        ]
        assert [run.summary for run in store.runs()] == [{"cables": 1}]
        receipt = Receipt(
            run="old",
            cable_id="08TOKYO1",
            post="RUEHC",
            role="action",
            precedence=Precedence.PRIORITY,
            channel_serial=1,
            scheduled_sim=1228374060.0,
            enqueued_sim=1228374060.0,
            transmitted_sim=1228374090.0,
            received_sim=1228374095.0,
        )
        store.record_receipts("old", [receipt])  # the same receipt again: one more duplicate
        assert who_got(store, "old", "08TOKYO1").received[0].duplicates == 2
        new_run = store.start_run("new", "simulate", {})
        store.record_receipts(new_run, [msgspec.structs.replace(receipt, run=new_run)])
        assert [entry.post for entry in who_got(store, "new", "08TOKYO1").received] == ["RUEHC"]


#: Version 9 back to version 8: roles and each planned delivery's reasons as text in the rows again.
TO_VERSION_8 = (
    "ALTER TABLE deliveries RENAME TO deliveries_9",
    "ALTER TABLE receipts RENAME TO receipts_9",
    *[part for part in SCHEMA_8.split(";") if "TABLE deliveries " in part or "TABLE receipts " in part],
    "INSERT INTO deliveries " + ROWS_FROM_9["deliveries"].replace("FROM deliveries", "FROM deliveries_9"),
    "INSERT INTO receipts " + ROWS_FROM_9["receipts"].replace("FROM receipts", "FROM receipts_9"),
    "DROP TABLE deliveries_9",
    "DROP TABLE receipts_9",
    "DROP TABLE delivery_reasons",
    "PRAGMA user_version=8",
)


def test_a_run_recorded_before_coded_roles_and_reasons_audits_the_same(
    tmp_path: Path, examples_dir: Path
) -> None:
    path = tmp_path / "audit.sqlite"
    faults = ["--lossy", "RUEHC:0.5", "--offline", "RUEHFK", "--seed", "3", "--workers", "1"]
    assert main(["simulate", str(examples_dir), "--db", str(path), "--run", "r", *faults]) == 0

    with sqlite3.connect(path) as connection:
        before = _contents(connection)
    connection.close()
    with AuditStore(path, read_only=True) as store:
        report = report_to_json(build_report(store, "r"))
        got = msgspec.json.encode(who_got(store, "r", "08TOKYO3100"))
    with sqlite3.connect(path) as connection:
        for statement in TO_VERSION_8:
            connection.execute(statement)
        assert connection.execute("SELECT DISTINCT typeof(role) FROM receipts").fetchall() == [("text",)]
    connection.close()
    AuditStore(path).close()  # upgrades it
    with AuditStore(path, read_only=True) as store:
        assert _contents(store.connection) == before
        assert before["deliveries"]
        assert report_to_json(build_report(store, "r")) == report
        assert msgspec.json.encode(who_got(store, "r", "08TOKYO3100")) == got
