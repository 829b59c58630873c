"""The audit store's schema: the tables of the current version, and how a file of each older version is
upgraded to it.

One file holds many runs. Cables and posts get integer surrogate keys, and so does each distinct text
of a planned delivery's reasons (`delivery_reasons`, lines joined by newlines). The large tables
(deliveries, missing, drops) are keyed by `(run, cable, post)` without a rowid; receipts by `(run,
post, cable)`, so that per-post questions (`received RI`, channel serials) read one range, and a receipt
repeated by QoS 1 redelivery finds its row and increments `duplicates` instead of adding one.
Precedence is stored as its rank (3 FLASH … 0 ROUTINE), the role of a delivery or receipt as its code
(0 action, 1 info: `replay.store.rows.ROLES`); times are Unix seconds (REAL). What the audit needs from
each cable (origin, serials, times, classifications, precedence pair, addressees with their MCNs) is
kept in the `cables` row; the addressee list is one msgpack blob per cable.

Changing the schema: change `SCHEMA`, bump `SCHEMA_VERSION`, and add to `MIGRATIONS` the statements
that take the previous version to the new one, written out in full. A migration is frozen once it is
released: it never refers to `SCHEMA`, which keeps changing, so a file of any older version upgrades the
same way whatever the current schema. tests/test_store_migrations.py builds a file of every older version
from its own DDL and checks that the upgrade gives the same tables as a new file.
"""

from __future__ import annotations

#: The schema version this code writes; stored in the file as `PRAGMA user_version` (0: no schema yet).
SCHEMA_VERSION = 9

#: The tables and indexes of a new store at `SCHEMA_VERSION`.
SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL DEFAULT 'running',
    summary TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_start TEXT,
    heartbeat_at REAL
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
    addressees BLOB,
    derived INTEGER
);
CREATE UNIQUE INDEX cables_by_id ON cables(run_id, cable_id);
CREATE TABLE deliveries (
    run_id INTEGER NOT NULL,
    cable INTEGER NOT NULL,
    post INTEGER NOT NULL,
    role INTEGER NOT NULL,
    precedence INTEGER NOT NULL,
    niact INTEGER NOT NULL,
    reasons INTEGER,
    PRIMARY KEY (run_id, cable, post)
) WITHOUT ROWID;
CREATE TABLE delivery_reasons (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
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
    role INTEGER NOT NULL,
    precedence INTEGER NOT NULL,
    niact INTEGER NOT NULL,
    channel_serial INTEGER,
    scheduled_sim REAL,
    enqueued_sim REAL,
    transmitted_sim REAL,
    received_sim REAL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, post, cable)
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
CREATE TABLE post_names (
    run_id INTEGER NOT NULL,
    post INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (run_id, post)
) WITHOUT ROWID;
CREATE TABLE rejected (
    run_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, kind)
) WITHOUT ROWID;
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
CREATE TABLE submitted (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    cable_id TEXT NOT NULL,
    source TEXT,
    lost TEXT,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE rejected_inputs (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX rejected_inputs_by_run ON rejected_inputs(run_id);
"""

#: Statements that take a store from schema version N (the key) to N + 1, as literal SQL.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: whether a cable's id was derived from its header (NULL for cables recorded before).
    1: ("ALTER TABLE cables ADD COLUMN derived INTEGER",),
    # 3: receipts keyed by (run, post, cable) instead of (run, cable, post).
    2: (
        """
        CREATE TABLE receipts_by_post (
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
            PRIMARY KEY (run_id, post, cable)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO receipts_by_post (run_id, cable, post, role, precedence, niact, channel_serial,
            scheduled_sim, enqueued_sim, transmitted_sim, received_sim, duplicates)
        SELECT run_id, cable, post, role, precedence, niact, channel_serial,
            scheduled_sim, enqueued_sim, transmitted_sim, received_sim, duplicates
        FROM receipts
        """,
        "DROP TABLE receipts",
        "ALTER TABLE receipts_by_post RENAME TO receipts",
    ),
    # 4: counts of rejected inbound messages per run and kind.
    3: (
        """
        CREATE TABLE IF NOT EXISTS rejected (
            run_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (run_id, kind)
        ) WITHOUT ROWID
        """,
    ),
    # 5: the name of each post in the topology a run used, for the reports.
    4: (
        """
        CREATE TABLE post_names (
            run_id INTEGER NOT NULL,
            post INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (run_id, post)
        ) WITHOUT ROWID
        """,
    ),
    # 6: each circuit's contention figures per run.
    5: (
        """
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
        ) WITHOUT ROWID
        """,
    ),
    # 7: a remote submitter's ledger: every cable it sent, and why one never reached routing.
    6: (
        """
        CREATE TABLE IF NOT EXISTS submitted (
            run_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            cable_id TEXT NOT NULL,
            source TEXT,
            lost TEXT,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID
        """,
    ),
    # 8: the process that records a run and its heartbeat; inputs of a run not read as cables.
    7: (
        "ALTER TABLE runs ADD COLUMN owner_host TEXT",
        "ALTER TABLE runs ADD COLUMN owner_pid INTEGER",
        "ALTER TABLE runs ADD COLUMN owner_start TEXT",
        "ALTER TABLE runs ADD COLUMN heartbeat_at REAL",
        """
        CREATE TABLE rejected_inputs (
            run_id INTEGER NOT NULL,
            source TEXT NOT NULL,
            reason TEXT NOT NULL
        )
        """,
        "CREATE INDEX rejected_inputs_by_run ON rejected_inputs(run_id)",
    ),
    # 9: a planned delivery's reasons kept once in `delivery_reasons`, the row holding its key (a few
    # thousand distinct texts were 42 of the 69 bytes of each of millions of rows); the role of a
    # delivery and of a receipt as its code (0 action, 1 info) instead of its name.
    8: (
        """
        CREATE TABLE delivery_reasons (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL UNIQUE
        )
        """,
        """
        INSERT INTO delivery_reasons (text)
        SELECT DISTINCT reasons FROM deliveries WHERE reasons IS NOT NULL ORDER BY reasons
        """,
        """
        CREATE TABLE deliveries_interned (
            run_id INTEGER NOT NULL,
            cable INTEGER NOT NULL,
            post INTEGER NOT NULL,
            role INTEGER NOT NULL,
            precedence INTEGER NOT NULL,
            niact INTEGER NOT NULL,
            reasons INTEGER,
            PRIMARY KEY (run_id, cable, post)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO deliveries_interned (run_id, cable, post, role, precedence, niact, reasons)
        SELECT d.run_id, d.cable, d.post, CASE d.role WHEN 'action' THEN 0 WHEN 'info' THEN 1 END,
            d.precedence, d.niact, r.id
        FROM deliveries AS d LEFT JOIN delivery_reasons AS r ON r.text = d.reasons
        """,
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_interned RENAME TO deliveries",
        """
        CREATE TABLE receipts_coded (
            run_id INTEGER NOT NULL,
            cable INTEGER NOT NULL,
            post INTEGER NOT NULL,
            role INTEGER NOT NULL,
            precedence INTEGER NOT NULL,
            niact INTEGER NOT NULL,
            channel_serial INTEGER,
            scheduled_sim REAL,
            enqueued_sim REAL,
            transmitted_sim REAL,
            received_sim REAL,
            duplicates INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, post, cable)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO receipts_coded (run_id, cable, post, role, precedence, niact, channel_serial,
            scheduled_sim, enqueued_sim, transmitted_sim, received_sim, duplicates)
        SELECT run_id, cable, post, CASE role WHEN 'action' THEN 0 WHEN 'info' THEN 1 END, precedence,
            niact, channel_serial, scheduled_sim, enqueued_sim, transmitted_sim, received_sim, duplicates
        FROM receipts
        """,
        "DROP TABLE receipts",
        "ALTER TABLE receipts_coded RENAME TO receipts",
    ),
}


def upgrade_statements(version: int) -> list[str]:
    """The statements that bring a file at schema `version` to `SCHEMA_VERSION`: the whole schema for
    an empty file (version 0), else the migrations from `version` on, in order."""
    if version == 0:
        return [statement for statement in SCHEMA.split(";") if statement.strip()]
    return [statement for step in range(version, SCHEMA_VERSION) for statement in MIGRATIONS[step]]
