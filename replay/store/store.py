"""The audit store: runs, cables, planned deliveries, transmissions and receipts in one SQLite file.

One file holds many runs (its tables: `replay.store.schema`; its rows: `replay.store.rows`). The file
is opened in WAL mode, so readers (`cableroute who-got`, `audit`) see a consistent snapshot while a run
is still writing. Writes go in batches: one transaction per batch, one `executemany` per table (the
deliveries and receipts of `record_rows` many rows to a statement, `replay.store.bulk`).
"""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import platformdirs
import structlog

from replay.store.bulk import BulkInsert, interleave
from replay.store.owner import owner_gone, this_process
from replay.store.receipt import Receipt
from replay.store.rows import ROLE_CODES, CableRow, RowBatch, cable_rows
from replay.store.schema import SCHEMA_VERSION, upgrade_statements
from router.circuit import CircuitStats
from router.deliveries import Plan, Sent
from router.model import Cable
from router.precedence import RANK
from topology.errors import CablerouteError

_log = structlog.get_logger()

#: Marks an SQLite file as a cableroute audit store (`PRAGMA application_id`, "CRAS").
APPLICATION_ID = 0x43524153

#: Unknown cable ids in one write from which the keys of the run's whole `cables` rows are read.
LOOKUP_ALL_FROM = 1_000

#: Why an inbound message (a receipt, a submission) was rejected, by kind, in report order.
REJECTION_KINDS: dict[str, str] = {
    "unauthenticated": "without a valid MAC (forged, or sent without the deployment's key)",
    "malformed": "not a valid message (undecodable, or a field out of bounds)",
    "misrouted": "a transmission for another post than the one whose topic it came on",
    "after_finish": "for a run that had already finished",
    "unrecordable": "refused by the audit store",
}

#: The tables that hold a run's rows (besides `runs`), as `delete_run` empties them.
_RUN_TABLES = (
    "cables", "deliveries", "other_means", "unresolved", "exemptions", "sent", "receipts", "receipt_wall",
    "drops", "missing", "post_names", "circuit_stats", "submitted", "rejected", "rejected_inputs",
)  # fmt: skip

#: The status a `running` run whose owner is gone is read as (and marked with by a writer).
ABORTED = "aborted"

#: Receipts: a repeated one counts as a duplicate of the row already there.
_RECEIPTS = BulkInsert(
    "receipts",
    ("run_id", "cable", "post", "role", "precedence", "niact", "channel_serial",
     "scheduled_sim", "enqueued_sim", "transmitted_sim", "received_sim"),
    "ON CONFLICT (run_id, post, cable) DO UPDATE SET duplicates = duplicates + 1",
)  # fmt: skip

#: Planned deliveries: a repeated one is left out.
_DELIVERIES = BulkInsert(
    "deliveries",
    ("run_id", "cable", "post", "role", "precedence", "niact", "reasons"),
    "ON CONFLICT DO NOTHING",
)

_RECEIPT_WALL_SQL = """
INSERT INTO receipt_wall (run_id, cable, post, scheduled_wall, enqueued_wall, transmitted_wall, received_wall)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING
"""

_CABLE_SQL = """
INSERT INTO cables (id, run_id, cable_id, source, origin_ri, ssn, section, year, dtg, filed, time,
    precedence, fl2_precedence, fl5_action, fl5_info, fl4_classification,
    banner_classification, banner_origin, banner_mrn, banner_section, channel, channel_serial,
    size, errors, addressees, derived)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_FILL_PLACEHOLDER_SQL = """
UPDATE cables SET recorded = 1, source = ?, origin_ri = ?, ssn = ?, section = ?, year = ?, dtg = ?,
    filed = ?, time = ?, precedence = ?, fl2_precedence = ?, fl5_action = ?, fl5_info = ?,
    fl4_classification = ?, banner_classification = ?, banner_origin = ?, banner_mrn = ?,
    banner_section = ?, channel = ?, channel_serial = ?, size = ?, errors = ?, addressees = ?, derived = ?
WHERE id = ?
"""


class _ReasonKeys(dict[str, int]):
    """Delivery reasons text → key in `delivery_reasons`, a key added to the table on first use (look
    keys up inside a write transaction)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        super().__init__()
        self.connection = connection

    def __missing__(self, text: str) -> int:
        execute = self.connection.execute
        execute("INSERT OR IGNORE INTO delivery_reasons (text) VALUES (?)", (text,))
        key: int = execute("SELECT id FROM delivery_reasons WHERE text = ?", (text,)).fetchone()[0]
        self[text] = key
        return key


def _store_rows(
    run_id: int, rows: Sequence[tuple[int | float, ...]], keys: dict[int, list[int]]
) -> list[Any]:
    """Coded rows (`RowBatch`) as the flat values of their store rows (`bulk.interleave`): the run id, then
    the row's values, with the codes of the columns that `keys` names (by their index in the row) turned
    into store keys, a column at a time. An IndexError for a code that `keys` does not have."""
    if not rows:
        return []
    columns: list[Sequence[Any]] = [[run_id] * len(rows), *zip(*rows, strict=True)]
    for index, key_of_code in keys.items():
        columns[index + 1] = [key_of_code[code] for code in columns[index + 1]]
    return interleave(columns)


class _RowKeys:
    """The store keys of one run's row codes (`RowCoder`): code i of each kind is the key at index i."""

    def __init__(self) -> None:
        self.cables: list[int] = []
        self.posts: list[int] = []
        self.reasons: list[int] = []


class StoreError(CablerouteError):
    """The store cannot be used as asked: missing file, unknown run, newer schema."""


class RunInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One run as listed by `cableroute runs`."""

    name: str
    mode: str
    status: str
    started_at: float
    finished_at: float | None = None
    options: dict[str, Any] = {}
    summary: dict[str, Any] | None = None


def default_db_path() -> Path:
    """`user_data_dir("cableroute")/audit.sqlite` (its directory is made with the store)."""
    return Path(platformdirs.user_data_dir("cableroute")) / "audit.sqlite"


def unrecorded_reason(status: str) -> str:
    """What to say of an unreceived delivery that `close_missing` has not recorded, by run status."""
    if status == "running":
        return "not received yet (the run is still going)"
    if status == ABORTED:
        return "not received (run aborted: its process ended without closing it)"
    return "not received"


def inspect_store_file(path: Path, *, may_create: bool) -> str:
    """What is at `path`, found without writing anything: `store` (an audit store), `new` (nothing yet)
    or `empty` (an empty file or an empty SQLite database). `StoreError` with a one-line reason when it
    is something else, or when it is not a store and `may_create` is false."""
    try:
        status = path.stat()
    except FileNotFoundError:
        if may_create:
            return "new"
        hint = "run a replay or simulation first, or pass --db"
        raise StoreError(f"no audit store at {path} ({hint})") from None
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror}") from None
    if stat.S_ISDIR(status.st_mode):
        raise StoreError(f"{path} is a directory, not an audit store")
    if not stat.S_ISREG(status.st_mode):
        raise StoreError(f"{path} is not a regular file, so not an audit store")
    if status.st_size == 0:
        if may_create:
            return "empty"
        raise StoreError(f"{path} is an empty file, not an audit store")
    # Read through SQLite only: opening and closing the file any other way would drop the POSIX locks
    # this process's SQLite connections hold on it (a WAL store must never lose them).
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise StoreError(f"{path} is not an audit store (not an SQLite database)") from None
        raise StoreError(f"{path} is not a usable audit store ({error})") from None
    except sqlite3.Error as error:
        raise StoreError(f"cannot read {path}: {error}") from None
    if application_id == APPLICATION_ID or (application_id == 0 and version > 0 and "runs" in tables):
        return "store"
    if application_id == 0 and version == 0 and not tables:
        if may_create:
            return "empty"
        raise StoreError(f"{path} is an empty SQLite database, not an audit store")
    raise StoreError(f"{path} is an SQLite file but not a cableroute audit store")


def _run_name_now() -> str:
    """A default run name from the local time, e.g. `run-20261123-091500`."""
    return "run-" + datetime.now().strftime("%Y%m%d-%H%M%S")


class AuditStore:
    """One SQLite audit store. Not shared between threads: each thread opens its own.

    `create=False` opens an existing store only and raises `StoreError` when it is absent.
    `read_only=True` (the commands that read runs) opens it read-only, changing nothing in the file.
    A file that is not already an audit store is refused before anything is written to it; only a
    missing file, an empty one or an empty SQLite database becomes a new store (when `create`).
    """

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        state = inspect_store_file(self.path, may_create=create and not read_only)
        if state == "new":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if read_only:
                self.connection = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30.0
                )
            else:
                self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the audit store {self.path}: {error}") from error
        self._run_ids: dict[str, int] = {}
        self._post_keys: dict[str, int] = {}
        self._reason_keys = _ReasonKeys(self.connection)
        self._cable_keys: dict[int, dict[str, int]] = {}
        #: Runs whose cable map above names every cable row of the run, by the `PRAGMA data_version`
        #: under which it did (see `_knows_every_cable`).
        self._whole_cable_maps: dict[int, int] = {}
        self._placeholders: set[int] = set()
        self._row_keys: dict[int, _RowKeys] = {}
        try:
            self._configure()
            if read_only:
                self._check_schema_readable()
            else:
                self._ensure_schema()
                self.mark_abandoned_runs()
        except sqlite3.Error as error:
            self.connection.close()
            raise StoreError(f"cannot use the audit store {self.path}: {error}") from error
        except BaseException:
            self.connection.close()
            raise

    # -- connection and schema -------------------------------------------------------------------

    def _configure(self) -> None:
        """WAL journal, NORMAL sync (durable at checkpoints, safe against corruption), bigger cache."""
        execute = self.connection.execute
        if not self.read_only:
            execute("PRAGMA journal_mode=WAL")
            execute("PRAGMA synchronous=NORMAL")
        execute("PRAGMA foreign_keys=OFF")
        execute("PRAGMA cache_size=-65536")
        execute("PRAGMA temp_store=MEMORY")

    def _check_schema_readable(self) -> None:
        """For a read-only store: its schema must be this version (an older one is upgraded by the next
        command that writes to it)."""
        version = self._user_version()
        if version != SCHEMA_VERSION:
            newer = version > SCHEMA_VERSION
            raise StoreError(
                f"{self.path} has store schema {version}; this cableroute reads {SCHEMA_VERSION}"
                + ("" if newer else " (a replay or simulation into it upgrades it)")
            )

    def _ensure_schema(self) -> None:
        """Create the schema in an empty file, upgrade an older one, refuse one from a newer version."""
        version = self._user_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema {version}; this cableroute reads up to {SCHEMA_VERSION}"
            )
        if version == SCHEMA_VERSION:
            if self._application_id() != APPLICATION_ID:  # a store from before the marker
                with self._transaction():
                    self.connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
            return
        with self._transaction():
            version = self._user_version()  # another connection may have created it meanwhile
            tables = self.connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if version == 0 and tables:
                raise StoreError(f"{self.path} is an SQLite file but not a cableroute audit store")
            for statement in upgrade_statements(version):
                self.connection.execute(statement)
            self.connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.connection.execute(f"PRAGMA application_id={APPLICATION_ID}")

    def _application_id(self) -> int:
        """The application id stored in the file (`APPLICATION_ID` for an audit store)."""
        return self.connection.execute("PRAGMA application_id").fetchone()[0]

    def _user_version(self) -> int:
        """The schema version stored in the file (0: none)."""
        return self.connection.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: `BEGIN IMMEDIATE` … `COMMIT`. On an error it is rolled back and the
        key caches are dropped (they may name rows that no longer exist)."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            self._forget_keys()
            raise
        self.connection.execute("COMMIT")

    def _forget_keys(self) -> None:
        """Drop every cached key; they are looked up again on next use."""
        self._post_keys.clear()
        self._reason_keys.clear()
        self._cable_keys.clear()
        self._whole_cable_maps.clear()
        self._placeholders.clear()
        self._row_keys.clear()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- runs ------------------------------------------------------------------------------------

    def start_run(self, name: str | None, mode: str, options: dict[str, Any] | None = None) -> str:
        """Start a run and return its name: `name`, or `run-YYYYMMDD-HHMMSS` (suffixed to be unique)."""
        if mode not in ("replay", "simulate"):
            raise StoreError(f"unknown run mode {mode!r} (replay or simulate)")
        options_json = json.dumps(options or {}, sort_keys=True, default=str)
        with self._transaction():
            if name is not None:
                if self._find_run_id(name) is not None:
                    raise StoreError(f"a run named {name!r} already exists in {self.path}")
                chosen = name
            else:
                chosen = self._unique_name(_run_name_now())
            now = time.time()
            cursor = self.connection.execute(
                "INSERT INTO runs (name, mode, options, started_at, owner_host, owner_pid, owner_start, "
                "heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chosen, mode, options_json, now, *this_process(), now),
            )
        run_id = cursor.lastrowid
        assert run_id is not None
        self._run_ids[chosen] = run_id
        return chosen

    def _unique_name(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`, … whichever is free."""
        candidate, n = base, 1
        while self._find_run_id(candidate) is not None:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _find_run_id(self, name: str) -> int | None:
        """The id of a run, or None."""
        row = self.connection.execute("SELECT id FROM runs WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def run_id(self, run: str) -> int:
        """The integer id of a run; `StoreError` when there is no such run."""
        cached = self._run_ids.get(run)
        if cached is not None:
            return cached
        found = self._find_run_id(run)
        if found is None:
            raise StoreError(f"no run named {run!r} in {self.path}")
        self._run_ids[run] = found
        return found

    def finish_run(self, run: str, status: str, summary: dict[str, Any] | None = None) -> None:
        """Mark a run finished with a status (`ok`, `interrupted`, `failed`, …) and a summary."""
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.execute(
                "UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?",
                (status, time.time(), json.dumps(summary or {}, sort_keys=True, default=str), run_id),
            )
        self.connection.execute("PRAGMA optimize")

    def has_run(self, run: str) -> bool:
        """Whether the store has a run of that name."""
        return run in self._run_ids or self._find_run_id(run) is not None

    def run_finished(self, run: str) -> bool:
        """Whether a run is marked finished (it accepts nothing new); `StoreError` when there is none."""
        run_id = self.run_id(run)
        row = self.connection.execute("SELECT finished_at FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row is not None and row[0] is not None

    def record_rejected(self, run: str, counts: dict[str, int]) -> None:
        """Add to the run's counts of rejected inbound messages, by kind (`REJECTION_KINDS`)."""
        unknown = set(counts) - set(REJECTION_KINDS)
        if unknown:
            raise StoreError(f"unknown rejection kind(s): {', '.join(sorted(unknown))}")
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.executemany(
                "INSERT INTO rejected (run_id, kind, count) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, kind) DO UPDATE SET count = count + excluded.count",
                [(run_id, kind, count) for kind, count in counts.items() if count > 0],
            )

    def rejected_counts(self, run: str) -> dict[str, int]:
        """The run's rejected inbound messages by kind (every kind, zero when none)."""
        run_id = self.run_id(run)
        rows = self.connection.execute("SELECT kind, count FROM rejected WHERE run_id = ?", (run_id,))
        found = dict(rows.fetchall())
        return {kind: int(found.get(kind, 0)) for kind in REJECTION_KINDS}

    def heartbeat(self, run: str) -> None:
        """Say that the owner of a running run is still at work."""
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'", (time.time(), run_id)
            )

    def _abandoned_run_ids(self) -> list[int]:
        """The runs still marked `running` whose owner is gone."""
        rows = self.connection.execute(
            "SELECT id, owner_host, owner_pid, owner_start, coalesce(heartbeat_at, started_at) "
            "FROM runs WHERE status = 'running'"
        ).fetchall()
        now = time.time()
        return [run_id for run_id, host, pid, start, beat in rows if owner_gone(host, pid, start, beat, now)]

    def _status(self, run_id: int, status: str, abandoned: Iterable[int]) -> str:
        return ABORTED if status == "running" and run_id in abandoned else status

    def mark_abandoned_runs(self) -> list[str]:
        """Mark every `running` run whose owner is gone as `aborted`; their names."""
        abandoned = self._abandoned_run_ids()
        if not abandoned:
            return []
        with self._transaction():
            names = []
            for run_id in abandoned:
                row = self.connection.execute(
                    "UPDATE runs SET status = ?, finished_at = coalesce(heartbeat_at, started_at) "
                    "WHERE id = ? AND status = 'running' RETURNING name",
                    (ABORTED, run_id),
                ).fetchone()
                if row is not None:
                    names.append(row[0])
        if names:
            _log.warning("runs whose process is gone marked aborted", runs=names)
        return names

    def run_status(self, run: str) -> str:
        """A run's status; `aborted` for a run still marked `running` whose owner is gone."""
        run_id = self.run_id(run)
        status = self.connection.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        if status != "running":
            return status
        return self._status(run_id, status, self._abandoned_run_ids())

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first (a run whose owner is gone has the status `aborted`)."""
        rows = self.connection.execute(
            "SELECT id, name, mode, status, started_at, finished_at, options, summary FROM runs ORDER BY id"
        ).fetchall()
        abandoned = set(self._abandoned_run_ids()) if any(row[3] == "running" for row in rows) else set()
        return [
            RunInfo(
                name=name,
                mode=mode,
                status=self._status(run_id, status, abandoned),
                started_at=started,
                finished_at=finished,
                options=json.loads(options or "{}"),
                summary=json.loads(summary) if summary else None,
            )
            for run_id, name, mode, status, started, finished, options, summary in rows
        ]

    def record_rejected_inputs(self, run: str, inputs: Iterable[tuple[str, str]]) -> None:
        """Record the inputs of a run that were not read as cables: (source, reason) pairs."""
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.executemany(
                "INSERT INTO rejected_inputs (run_id, source, reason) VALUES (?, ?, ?)",
                [(run_id, source, reason) for source, reason in inputs],
            )

    def rejected_inputs(self, run: str) -> list[tuple[str, str]]:
        """The inputs of a run that were not read as cables: (source, reason), in input order."""
        sql = "SELECT source, reason FROM rejected_inputs WHERE run_id = ? ORDER BY rowid"
        return self.connection.execute(sql, (self.run_id(run),)).fetchall()

    def cable_count(self, run: str) -> int:
        """How many cables a run has recorded."""
        sql = "SELECT count(*) FROM cables WHERE run_id = ? AND recorded = 1"
        return self.connection.execute(sql, (self.run_id(run),)).fetchone()[0]

    def delete_run(self, run: str) -> None:
        """Delete a run and everything recorded for it."""
        run_id = self.run_id(run)
        with self._transaction():
            for table in _RUN_TABLES:
                self.connection.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            self.connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self._run_ids.pop(run, None)
        self._cable_keys.pop(run_id, None)
        self._whole_cable_maps.pop(run_id, None)
        self._row_keys.pop(run_id, None)

    def latest_run(self) -> str:
        """The name of the most recently started run; `StoreError` when the store has none."""
        row = self.connection.execute("SELECT name FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise StoreError(f"no runs in {self.path} yet")
        return row[0]

    def resolve_run(self, run: str | None) -> str:
        """`run` if it exists, or the latest run when `run` is None."""
        if run is None:
            return self.latest_run()
        self.run_id(run)
        return run

    # -- keys ------------------------------------------------------------------------------------

    def _post_key(self, ri: str) -> int:
        """The surrogate key of a post, created on first use (call inside a transaction)."""
        key = self._post_keys.get(ri)
        if key is None:
            self.connection.execute("INSERT OR IGNORE INTO posts (ri) VALUES (?)", (ri,))
            key = self.connection.execute("SELECT id FROM posts WHERE ri = ?", (ri,)).fetchone()[0]
            self._post_keys[ri] = key
        return key

    def _post_keys_for(self, ris: Iterable[str]) -> dict[str, int]:
        """Keys for every post named (call inside a transaction)."""
        keys = self._post_keys
        for ri in dict.fromkeys(ris):  # in order of first mention, so that keys do not depend on hashing
            if ri not in keys:
                self._post_key(ri)
        return keys

    def _cable_map(self, run_id: int) -> dict[str, int]:
        """The cached cable id → key map of a run."""
        cables = self._cable_keys.get(run_id)
        if cables is None:
            cables = self._cable_keys[run_id] = {}
        return cables

    def _knows_every_cable(self, run_id: int) -> bool:
        """Whether the cached cable map of a run names every cable row the run has (call inside a write
        transaction). It does from when it was empty and the run had no cable rows, for as long as no
        other connection has changed the store since (`PRAGMA data_version` is the same): then a
        cable id not in the map has no row, and need not be looked up."""
        version = self.connection.execute("PRAGMA data_version").fetchone()[0]
        whole_at = self._whole_cable_maps.get(run_id)
        if whole_at is None and not self._cable_map(run_id):
            has_rows = self.connection.execute(
                "SELECT 1 FROM cables WHERE run_id = ? LIMIT 1", (run_id,)
            ).fetchone()
            if has_rows is None:
                whole_at = self._whole_cable_maps[run_id] = version
        if whole_at == version:
            return True
        self._whole_cable_maps.pop(run_id, None)  # (for good: the map is no longer known to be whole)
        return False

    def _cable_keys_for(self, run_id: int, cable_ids: Iterable[str]) -> dict[str, int]:
        """Keys for every cable id named, looking up ones another connection recorded and adding
        placeholder rows for cables never recorded (call inside a transaction)."""
        cables = self._cable_map(run_id)
        unknown = [cable_id for cable_id in set(cable_ids) if cable_id not in cables]
        if not unknown:
            return cables
        # Many unknown ids (a writer that did not record the cables itself): read the whole run's
        # keys at once, which is cheaper than looking them up in small groups.
        found = (
            self._run_cables(run_id)
            if len(unknown) > LOOKUP_ALL_FROM
            else self._lookup_cables(run_id, unknown)
        )
        for cable_id, (key, recorded) in found.items():
            cables[cable_id] = key
            if not recorded:
                self._placeholders.add(key)
        absent = [cable_id for cable_id in unknown if cable_id not in cables]
        if absent:
            next_key = self._next_cable_key()
            rows = [(next_key + i, run_id, cable_id) for i, cable_id in enumerate(absent)]
            self.connection.executemany(
                "INSERT INTO cables (id, run_id, cable_id, recorded) VALUES (?, ?, ?, 0)", rows
            )
            cables.update((cable_id, key) for key, _, cable_id in rows)
            self._placeholders.update(key for key, _, _ in rows)
        return cables

    def _next_cable_key(self) -> int:
        """The next free cable key (call inside a write transaction, which keeps it free)."""
        return self.connection.execute("SELECT coalesce(max(id), 0) + 1 FROM cables").fetchone()[0]

    # -- writes ----------------------------------------------------------------------------------

    def record_cables(self, run: str, cables: Sequence[Cable]) -> int:
        """Record decoded cables; returns how many were added or filled in. A cable id already
        recorded in the run is kept once (the first); a placeholder row made by an earlier receipt
        or plan for a cable not yet recorded is filled in."""
        return self.record_cable_rows(run, cable_rows(cables))

    def record_cable_rows(self, run: str, rows: Sequence[CableRow]) -> int:
        """`record_cables` for cables already turned into rows by `cable_rows` (wherever they were
        decoded)."""
        run_id = self.run_id(run)
        known = self._cable_map(run_id)
        with self._transaction():
            found = {}
            if not self._knows_every_cable(run_id):
                found = self._lookup_cables(run_id, [row[0] for row in rows if row[0] not in known])
            next_key = self._next_cable_key()
            new_rows: list[tuple[Any, ...]] = []
            fills: list[tuple[Any, ...]] = []
            for row in rows:
                cable_id = row[0]
                key = known.get(cable_id)
                if key is None and cable_id in found:
                    key, recorded = found[cable_id]
                    known[cable_id] = key
                    if not recorded:
                        self._placeholders.add(key)
                if key is None:
                    new_rows.append((next_key, run_id, *row))  # (the row: cable id, then its columns)
                    known[cable_id] = next_key
                    next_key += 1
                elif key in self._placeholders:
                    fills.append((*row[1:], key))
                    self._placeholders.discard(key)
            self.connection.executemany(_CABLE_SQL, new_rows)
            self.connection.executemany(_FILL_PLACEHOLDER_SQL, fills)
        return len(new_rows) + len(fills)

    def _run_cables(self, run_id: int) -> dict[str, tuple[int, int]]:
        """cable id → (key, recorded) for every cable row of the run."""
        rows = self.connection.execute(
            "SELECT cable_id, id, recorded FROM cables WHERE run_id = ?", (run_id,)
        )
        return {cable_id: (key, recorded) for cable_id, key, recorded in rows}

    def _lookup_cables(self, run_id: int, cable_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """cable id → (key, recorded) for those of `cable_ids` already in the run's rows."""
        unique = list(dict.fromkeys(cable_ids))
        found: dict[str, tuple[int, int]] = {}
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for cable_id, key, recorded in self.connection.execute(
                f"SELECT cable_id, id, recorded FROM cables WHERE run_id = ? AND cable_id IN ({marks})",
                (run_id, *chunk),
            ):
                found[cable_id] = (key, recorded)
        return found

    def record_plans(self, run: str, plans: Sequence[Plan]) -> None:
        """Record what the router decided: planned deliveries, other-means (`ZEN`) addressees,
        unresolved addressees and `XMT` exemptions."""
        run_id = self.run_id(run)
        with self._transaction():
            cables = self._cable_keys_for(run_id, (plan.cable_id for plan in plans))
            posts = self._post_keys_for(d.post for plan in plans for d in plan.deliveries)
            rank = RANK
            roles = ROLE_CODES
            reasons = self._reason_keys
            self.connection.executemany(
                _DELIVERIES.one_row_sql,
                [
                    (
                        run_id,
                        cables[d.cable_id],
                        posts[d.post],
                        roles[d.role],
                        rank[d.precedence],
                        int(d.niact),
                        reasons["\n".join(d.reasons)],
                    )
                    for plan in plans
                    for d in plan.deliveries
                ],
            )
            self.connection.executemany(
                "INSERT INTO other_means (run_id, cable, name, ri, role, post) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run_id, cables[o.cable_id], o.name, o.ri, o.role, o.post)
                    for plan in plans
                    for o in plan.other_means
                ],
            )
            self.connection.executemany(
                "INSERT INTO unresolved (run_id, cable, name, ri, role, line, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, cables[u.cable_id], u.name, u.ri, u.role, u.line, u.reason)
                    for plan in plans
                    for u in plan.unresolved
                ],
            )
            self.connection.executemany(
                "INSERT INTO exemptions (run_id, cable, post, name) VALUES (?, ?, ?, ?)",
                [(run_id, cables[e.cable_id], e.post, e.name) for plan in plans for e in plan.exempted],
            )

    def record_circuit_stats(self, run: str, stats: Sequence[CircuitStats]) -> None:
        """Record each circuit's contention figures at the end of a run (a circuit recorded again
        replaces its row)."""
        run_id = self.run_id(run)
        encode = msgspec.json.encode
        with self._transaction():
            self.connection.executemany(
                "INSERT OR REPLACE INTO circuit_stats (run_id, post, cps, transmitted, offered, peak_queue, "
                "preemptions, interrupted, busy_s, first_at, last_at, longest_wait, depth_every, depth) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        c.post,
                        c.cps,
                        c.transmitted,
                        c.offered,
                        c.peak_queue,
                        c.preemptions,
                        c.interrupted,
                        c.busy_s,
                        c.first_at,
                        c.last_at,
                        encode(c.longest_wait).decode(),
                        c.depth_every,
                        encode(c.depth).decode(),
                    )
                    for c in stats
                ],
            )

    def circuit_stats(self, run: str) -> list[CircuitStats]:
        """The contention figures the run recorded for its circuits (none for runs made before they
        were recorded)."""
        rows = self.connection.execute(
            "SELECT post, cps, transmitted, offered, peak_queue, preemptions, interrupted, busy_s, first_at, "
            "last_at, longest_wait, depth_every, depth FROM circuit_stats WHERE run_id = ? ORDER BY post",
            (self.run_id(run),),
        )
        waits = msgspec.json.Decoder(dict[str, float]).decode
        depth = msgspec.json.Decoder(list[tuple[float, int]]).decode
        found = []
        for (
            post,
            cps,
            transmitted,
            offered,
            peak,
            preemptions,
            interrupted,
            busy,
            first,
            last,
            wait,
            every,
            slices,
        ) in rows:
            found.append(
                CircuitStats(
                    post=post,
                    cps=cps,
                    transmitted=transmitted,
                    offered=offered,
                    peak_queue=peak,
                    preemptions=preemptions,
                    interrupted=interrupted,
                    busy_s=busy,
                    first_at=first,
                    last_at=last,
                    longest_wait=waits(wait),
                    depth_every=every,
                    depth=depth(slices),
                )
            )
        return found

    def record_sent(self, run: str, sent: Sequence[Sent]) -> None:
        """Record completed transmissions (enqueued, started and transmitted times per circuit)."""
        run_id = self.run_id(run)
        with self._transaction():
            cables = self._cable_keys_for(run_id, (s.cable_id for s in sent))
            posts = self._post_keys_for(s.post for s in sent)
            rank = RANK
            self.connection.executemany(
                "INSERT OR IGNORE INTO sent (run_id, cable, post, role, precedence, niact, channel_serial, "
                "chars, scheduled_at, enqueued_at, started_at, transmitted_at, interruptions) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        cables[s.cable_id],
                        posts[s.post],
                        s.role,
                        rank[s.precedence],
                        int(s.niact),
                        s.channel_serial,
                        s.chars,
                        s.scheduled_at,
                        s.enqueued_at,
                        s.started_at,
                        s.transmitted_at,
                        s.interruptions,
                    )
                    for s in sent
                ],
            )

    def record_receipts(self, run: str, receipts: Sequence[Receipt]) -> None:
        """Record receipts. A second receipt of the same (run, cable, post) increments that row's
        `duplicates` instead of adding a row. Wall-clock times (broker replays) go to `receipt_wall`."""
        run_id = self.run_id(run)
        with self._transaction():
            cables = self._cable_keys_for(run_id, (r.cable_id for r in receipts))
            posts = self._post_keys_for(r.post for r in receipts)
            rank = RANK
            roles = ROLE_CODES
            self.connection.executemany(
                _RECEIPTS.one_row_sql,
                [
                    (
                        run_id,
                        cables[r.cable_id],
                        posts[r.post],
                        roles[r.role],
                        rank[r.precedence],
                        int(r.niact),
                        r.channel_serial,
                        r.scheduled_sim,
                        r.enqueued_sim,
                        r.transmitted_sim,
                        r.received_sim,
                    )
                    for r in receipts
                ],
            )
            self.connection.executemany(
                _RECEIPT_WALL_SQL,
                [
                    (
                        run_id,
                        cables[r.cable_id],
                        posts[r.post],
                        r.scheduled_wall,
                        r.enqueued_wall,
                        r.transmitted_wall,
                        r.received_wall,
                    )
                    for r in receipts
                    if r.received_wall is not None
                ],
            )

    def record_rows(self, run: str, batch: RowBatch) -> None:
        """Record planned deliveries and simulated receipts given as coded rows, in one transaction: the
        bulk form of `record_plans` (deliveries only) and `record_receipts` (no wall-clock times). The
        batches of a run come from one `RowCoder`, in order (`StoreError` otherwise, and for the rest of
        the run after a failed write: the codes' keys are forgotten with the other cached keys)."""
        run_id = self.run_id(run)
        with self._transaction():
            keys = self._row_keys.setdefault(run_id, _RowKeys())
            if batch.named != (len(keys.cables), len(keys.posts), len(keys.reasons)):
                raise StoreError(
                    f"rows of run {run!r} out of order: codes named before this batch are unknown"
                )
            if batch.cables:
                cable_keys = self._cable_keys_for(run_id, batch.cables)
                keys.cables.extend([cable_keys[cable_id] for cable_id in batch.cables])
            if batch.posts:
                post_keys = self._post_keys_for(batch.posts)
                keys.posts.extend([post_keys[ri] for ri in batch.posts])
            reason_keys = self._reason_keys
            keys.reasons.extend([reason_keys[text] for text in batch.reasons])
            cables, posts, reasons = keys.cables, keys.posts, keys.reasons
            try:
                deliveries = _store_rows(run_id, batch.deliveries, {0: cables, 1: posts, 5: reasons})
                receipts = _store_rows(run_id, batch.receipts, {0: cables, 1: posts})
            except IndexError:
                raise StoreError(f"rows of run {run!r} use a code that no batch named") from None
            _DELIVERIES.insert(self.connection, deliveries)
            _RECEIPTS.insert(self.connection, receipts)

    def record_drops(self, run: str, drops: Iterable[Any], reason: str = "dropped (lossy post)") -> None:
        """Record deliveries a post dropped on purpose. Each drop is anything with `cable_id` and
        `post` attributes (a `Delivery`, `Sent` or `Receipt`) or a `(cable_id, post)` pair."""
        pairs = [(d.cable_id, d.post) if hasattr(d, "cable_id") else (d[0], d[1]) for d in drops]
        run_id = self.run_id(run)
        with self._transaction():
            cables = self._cable_keys_for(run_id, (cable_id for cable_id, _ in pairs))
            posts = self._post_keys_for(post for _, post in pairs)
            self.connection.executemany(
                "INSERT INTO drops (run_id, cable, post, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(run_id, cables[cable_id], posts[post], reason) for cable_id, post in pairs],
            )

    def record_post_names(self, run: str, names: Iterable[tuple[str, str]]) -> None:
        """Record the name of each post (RI, name) as the run's topology gives it; a later call wins."""
        pairs = dict(names)
        if not pairs:
            return
        run_id = self.run_id(run)
        with self._transaction():
            posts = self._post_keys_for(pairs)
            self.connection.executemany(
                "INSERT INTO post_names (run_id, post, name) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, post) DO UPDATE SET name = excluded.name",
                [(run_id, posts[ri], name) for ri, name in pairs.items()],
            )

    def post_names(self, run: str) -> dict[str, str]:
        """The post names recorded with the run (RI -> name); empty for runs recorded without them."""
        rows = self.connection.execute(
            "SELECT p.ri, n.name FROM post_names n JOIN posts p ON p.id = n.post WHERE n.run_id = ?",
            (self.run_id(run),),
        )
        return dict(rows.fetchall())

    def record_submitted(self, run: str, ledger: Sequence[tuple[int, str, str]]) -> None:
        """Record a remote submitter's ledger: (number in the run, cable id, source) per cable it sends."""
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.executemany(
                "INSERT INTO submitted (run_id, seq, cable_id, source) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(run_id, seq, cable_id, source) for seq, cable_id, source in ledger],
            )

    def record_lost(self, run: str, lost: Sequence[tuple[int, str]]) -> None:
        """Record submitted cables that never reached routing: (number in the run, why) each."""
        run_id = self.run_id(run)
        with self._transaction():
            self.connection.executemany(
                "UPDATE submitted SET lost = ? WHERE run_id = ? AND seq = ?",
                [(reason, run_id, seq) for seq, reason in lost],
            )

    def close_missing(self, run: str, reason: str, posts: Sequence[str] | None = None) -> int:
        """Record every planned delivery of the run that has no receipt as missing, with `reason`
        (or the drop's reason when the post dropped it on purpose); with `posts`, only deliveries to
        those posts. Deliveries already recorded missing keep their reason. Returns how many were
        added."""
        run_id = self.run_id(run)
        only = ""
        if posts is not None:
            only = "AND d.post IN (SELECT id FROM posts WHERE ri IN (SELECT value FROM json_each(?)))"
        with self._transaction():
            cursor = self.connection.execute(
                f"""
                INSERT INTO missing (run_id, cable, post, reason)
                SELECT d.run_id, d.cable, d.post, coalesce(x.reason, ?)
                FROM deliveries AS d
                LEFT JOIN receipts AS r ON r.run_id = d.run_id AND r.cable = d.cable AND r.post = d.post
                LEFT JOIN drops AS x ON x.run_id = d.run_id AND x.cable = d.cable AND x.post = d.post
                WHERE d.run_id = ? AND r.cable IS NULL {only}
                ON CONFLICT DO NOTHING
                """,
                (reason, run_id) if posts is None else (reason, run_id, json.dumps(list(posts))),
            )
        return cursor.rowcount
