"""What the audit reads from a recorded run: every query of `replay.audit`, answered with plain rows.

Large tables are never held whole: deliveries and receipts are counted or filtered in SQL,
transmissions are read one circuit at a time, and only findings (missing, unexpected, duplicated)
come back as rows. Posts come back as their RIs and cables as their ids, except where a row says it
carries a cable key (the integer the store numbers cables by; `cable_ids` names them). Precedence is
its rank (3 FLASH … 0 ROUTINE), times Unix seconds. `replay.audit.load` turns the rows into the
audit's own types.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Literal, NamedTuple

from replay.store.rows import ROLES, decode_addressees
from replay.store.store import AuditStore
from router.precedence import RANK, SPEED_OF_SERVICE_S

#: The columns of a row of `cable_fact_rows`, in order.
CABLE_FACT_COLUMNS = (
    "cable_id", "origin_ri", "ssn", "year", "dtg", "filed", "fl2_precedence", "fl5_action", "fl5_info",
    "fl4_classification", "banner_classification", "banner_origin", "banner_mrn", "addressees", "derived",
)  # fmt: skip


def cable_fact_rows(store: AuditStore, run: str) -> Iterator[tuple[Any, ...]]:
    """Every recorded cable of the run, in recording order, as `CABLE_FACT_COLUMNS`: the addressees
    decoded (see `decode_addressees`), `derived` a bool (true for cables recorded before it was kept)."""
    # Read along the table, between the run's lowest and highest key, so that the rows come in key
    # order as stored: by the (run, cable id) index they would all be sorted in memory first.
    cursor = store.connection.execute(
        """
        SELECT cable_id, origin_ri, ssn, year, dtg, filed, fl2_precedence, fl5_action, fl5_info,
               fl4_classification, banner_classification, banner_origin, banner_mrn, addressees,
               coalesce(derived, 1)
        FROM cables
        WHERE id BETWEEN (SELECT min(id) FROM cables WHERE run_id = ?1)
                     AND (SELECT max(id) FROM cables WHERE run_id = ?1)
          AND +run_id = ?1 AND recorded = 1
        ORDER BY id
        """,
        (store.run_id(run),),
    )
    addressees = decode_addressees
    for row in cursor:
        yield (*row[:13], addressees(row[13]), bool(row[14]))


def cable_rows(store: AuditStore, run: str) -> int:
    """Cable rows of the run, recorded or placeholders (for a cable only a receipt or plan named):
    counted in the index alone, where counting the recorded ones reads every row."""
    sql = "SELECT count(*) FROM cables WHERE run_id = ?"
    return store.connection.execute(sql, (store.run_id(run),)).fetchone()[0]


def post_names(store: AuditStore) -> dict[int, str]:
    """Post key → RI."""
    return dict(store.connection.execute("SELECT id, ri FROM posts"))


class PlannedCounts(NamedTuple):
    """Planned deliveries per (post, planned rank), and how many of them are NIACT."""

    planned: dict[tuple[str, int], int]
    niact: int


def planned_counts(store: AuditStore, run: str) -> PlannedCounts:
    """Planned deliveries per (post, planned rank), and the planned NIACT deliveries: one pass over the
    deliveries alone (which of them have a receipt: `missing_rows`).

    Each delivery comes back as one integer, `(rank * 2 + NIACT) * posts + post` (`posts` above every
    post key), so that 2.4 million of them are counted without a tuple each."""
    names = post_names(store)
    posts = max(names, default=0) + 1
    outcomes = Counter(
        store.connection.execute(
            "SELECT (precedence * 2 + (niact != 0)) * ?1 + post FROM deliveries WHERE run_id = ?2",
            (posts, store.run_id(run)),
        )
    )
    planned: dict[tuple[str, int], int] = {}
    niact = 0
    for (code,), n in outcomes.items():
        flags, post = divmod(code, posts)
        key = (names[post], flags >> 1)
        planned[key] = planned.get(key, 0) + n
        if flags & 1:
            niact += n
    return PlannedCounts(planned, niact)


#: A receipt's speed-of-service objective in seconds, as SQL over its `precedence` (NULL for no level).
_OBJECTIVE_BY_RANK = (
    "CASE precedence "
    + " ".join(f"WHEN {RANK[level]} THEN {s}" for level, s in SPEED_OF_SERVICE_S.items())
    + " END"
)


class ReceiptCounts(NamedTuple):
    """Receipt rows of a run, their extra copies (duplicates) together, per post the receipts later
    than their level's speed-of-service objective (posts with none left out), and the post keys
    whose channel serials do not run 1…n unbroken (see `channel_serials`)."""

    rows: int
    duplicates: int
    late_by_post: dict[str, int]
    serial_breaks: list[int]


def receipt_counts(store: AuditStore, run: str) -> ReceiptCounts:
    """`receipt_totals`, the late receipts per post and the posts with broken channel serials together,
    in one pass over the run's receipts (in the table's own order, post by post, so nothing is sorted)."""
    names = post_names(store)
    rows = duplicates = 0
    late: dict[str, int] = {}
    breaks: list[int] = []
    for post, n, copies, over, highest, serials in store.connection.execute(
        f"""
        SELECT post, count(*), coalesce(sum(duplicates), 0),
               coalesce(sum(received_sim - scheduled_sim > {_OBJECTIVE_BY_RANK}), 0),
               max(CASE WHEN channel_serial > 0 THEN channel_serial END), sum(channel_serial > 0)
        FROM receipts WHERE run_id = ? GROUP BY post
        """,
        (store.run_id(run),),
    ):
        rows += n
        duplicates += copies
        if over:
            late[names[post]] = over
        if serials and highest != serials:
            breaks.append(post)
    return ReceiptCounts(rows, duplicates, late, breaks)


def receipt_totals(store: AuditStore, run: str) -> tuple[int, int]:
    """Receipt rows of the run, and their extra copies (duplicates) together."""
    sql = "SELECT count(*), coalesce(sum(duplicates), 0) FROM receipts WHERE run_id = ?"
    rows, duplicates = store.connection.execute(sql, (store.run_id(run),)).fetchone()
    return rows, duplicates


def missing_rows(store: AuditStore, run: str, pending: str) -> list[tuple[str, str, int, str, int, str]]:
    """Planned deliveries without a receipt: (cable id, post, rank, role, NIACT, reason), the reason
    recorded by `close_missing`, else the drop's, else `pending`; by cable, then post.

    The receipt is looked for first (`NOT EXISTS`, one search of the receipts per delivery), so that the
    cable, post and reason are looked up for the missing deliveries only, not for all 2.4 million."""
    rows = store.connection.execute(
        """
        SELECT c.cable_id, p.ri, d.precedence, d.role, d.niact, coalesce(m.reason, x.reason, ?)
        FROM deliveries AS d
        JOIN cables AS c ON c.id = d.cable
        JOIN posts AS p ON p.id = d.post
        LEFT JOIN missing AS m ON m.run_id = d.run_id AND m.cable = d.cable AND m.post = d.post
        LEFT JOIN drops AS x ON x.run_id = d.run_id AND x.cable = d.cable AND x.post = d.post
        WHERE d.run_id = ? AND NOT EXISTS (
            SELECT 1 FROM receipts AS r WHERE r.run_id = d.run_id AND r.post = d.post AND r.cable = d.cable
        )
        ORDER BY d.cable, p.ri
        """,
        (pending, store.run_id(run)),
    )
    roles = ROLES
    return [(cable, post, rank, roles[role], niact, why) for cable, post, rank, role, niact, why in rows]


def submitted_count(store: AuditStore, run: str) -> int:
    """How many cables a remote submitter's ledger lists for the run (0 for other runs)."""
    sql = "SELECT count(*) FROM submitted WHERE run_id = ?"
    return store.connection.execute(sql, (store.run_id(run),)).fetchone()[0]


def lost_rows(store: AuditStore, run: str, pending: str) -> list[tuple[int, str, str | None, str]]:
    """Cables of the submitter's ledger never routed: (number, cable id, source, reason), the reason
    the router recorded, else `pending` for one with no recorded cable of its id; by number."""
    rows = store.connection.execute(
        """
        SELECT s.seq, s.cable_id, s.source, coalesce(s.lost, ?)
        FROM submitted AS s
        WHERE s.run_id = ? AND (s.lost IS NOT NULL OR NOT EXISTS (
            SELECT 1 FROM cables AS c WHERE c.run_id = s.run_id AND c.cable_id = s.cable_id AND c.recorded = 1
        ))
        ORDER BY s.seq
        """,
        (pending, store.run_id(run)),
    )
    return rows.fetchall()


def unexpected_rows(store: AuditStore, run: str) -> list[tuple[str, str, int, int]]:
    """Receipts without a planned delivery: (cable id, post, rank, duplicates)."""
    rows = store.connection.execute(
        """
        SELECT c.cable_id, p.ri, r.precedence, r.duplicates
        FROM receipts AS r
        JOIN cables AS c ON c.id = r.cable
        JOIN posts AS p ON p.id = r.post
        WHERE r.run_id = ? AND NOT EXISTS (
            SELECT 1 FROM deliveries AS d WHERE d.run_id = r.run_id AND d.cable = r.cable AND d.post = r.post
        )
        ORDER BY r.cable, p.ri
        """,
        (store.run_id(run),),
    )
    return rows.fetchall()


def duplicate_rows(store: AuditStore, run: str) -> list[tuple[str, str, int]]:
    """Receipts that arrived more than once: (cable id, post, duplicates)."""
    rows = store.connection.execute(
        """
        SELECT c.cable_id, p.ri, r.duplicates
        FROM receipts AS r JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post
        WHERE r.run_id = ? AND r.duplicates > 0
        ORDER BY r.cable, p.ri
        """,
        (store.run_id(run),),
    )
    return rows.fetchall()


def other_means_rows(store: AuditStore, run: str) -> list[tuple[str, str, str | None, str, str | None]]:
    """`ZEN` addressees of the run's cables: (cable id, name, RI, role, post), as recorded."""
    rows = store.connection.execute(
        "SELECT c.cable_id, o.name, o.ri, o.role, o.post "
        "FROM other_means AS o JOIN cables AS c ON c.id = o.cable WHERE o.run_id = ? ORDER BY o.rowid",
        (store.run_id(run),),
    )
    return rows.fetchall()


def unresolved_rows(store: AuditStore, run: str) -> list[tuple[str, str, str | None, str, str | None]]:
    """Unresolved addressees of the run's cables: (cable id, name, RI, role, reason), as recorded."""
    rows = store.connection.execute(
        "SELECT c.cable_id, u.name, u.ri, u.role, u.reason "
        "FROM unresolved AS u JOIN cables AS c ON c.id = u.cable WHERE u.run_id = ? ORDER BY u.rowid",
        (store.run_id(run),),
    )
    return rows.fetchall()


def latency_rows(store: AuditStore, run: str) -> Iterable[tuple[int, float]]:
    """(slot, latency) of every receipt with both times: the slot is its rank, plus 4 when NIACT; the
    latency its received minus its scheduled simulated time."""
    return store.connection.execute(
        """
        SELECT precedence + 4 * (niact != 0), received_sim - scheduled_sim
        FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL AND scheduled_sim IS NOT NULL
        """,
        (store.run_id(run),),
    )


def has_transmissions(store: AuditStore, run: str) -> bool:
    """True when the run recorded its transmissions (`sent`)."""
    row = store.connection.execute("SELECT 1 FROM sent WHERE run_id = ? LIMIT 1", (store.run_id(run),))
    return row.fetchone() is not None


def sent_by_circuit(store: AuditStore, run: str) -> Iterator[tuple[str, list[tuple[int, float, float, int]]]]:
    """Each post's recorded transmissions, one post at a time: (rank, enqueued, started, cable key)."""
    run_id = store.run_id(run)
    names = post_names(store)
    execute = store.connection.execute
    sql = "SELECT precedence, enqueued_at, started_at, cable FROM sent WHERE run_id = ? AND post = ?"
    for post in _posts_of(store, "sent", run_id):
        yield names[post], execute(sql, (run_id, post)).fetchall()


def receipts_by_circuit(
    store: AuditStore, run: str
) -> Iterator[tuple[str, Iterable[tuple[int, float, float, int]]]]:
    """Each post's receipts with both circuit times, one post at a time: (rank, enqueued, transmitted,
    cable key), simulated seconds."""
    run_id = store.run_id(run)
    names = post_names(store)
    execute = store.connection.execute
    sql = (
        "SELECT precedence, enqueued_sim, transmitted_sim, cable FROM receipts WHERE run_id = ? AND post = ? "
        "AND enqueued_sim IS NOT NULL AND transmitted_sim IS NOT NULL"
    )
    for post in _posts_of(store, "receipts", run_id):
        yield names[post], execute(sql, (run_id, post))


def _posts_of(store: AuditStore, table: Literal["receipts", "sent"], run_id: int) -> list[int]:
    """The post keys that have rows of a run in `receipts` or `sent` (both keyed by run, then post), in
    order: each found by one search of the key for the next post above the last, instead of
    `SELECT DISTINCT post`, which reads every row of the run (0.28 s for 2.4 million receipts)."""
    sql = f"""
        WITH RECURSIVE found(post) AS (
            SELECT (SELECT min(post) FROM {table} WHERE run_id = ?1)
            UNION ALL
            SELECT (SELECT min(post) FROM {table} WHERE run_id = ?1 AND post > found.post)
            FROM found WHERE found.post IS NOT NULL
        )
        SELECT post FROM found WHERE post IS NOT NULL
        """
    return [row[0] for row in store.connection.execute(sql, (run_id,))]


def cable_ids(store: AuditStore, keys: set[int]) -> dict[int, str]:
    """Cable key → cable id for some keys."""
    found: dict[int, str] = {}
    listed = sorted(keys)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            store.connection.execute(f"SELECT id, cable_id FROM cables WHERE id IN ({marks})", chunk)
        )
    return found


def channel_serials(store: AuditStore, run: str, posts: Iterable[int]) -> dict[str, list[int]]:
    """The channel serials each of some posts (keys; `ReceiptCounts.serial_breaks`) received."""
    run_id = store.run_id(run)
    names = post_names(store)
    sql = "SELECT channel_serial FROM receipts WHERE run_id = ? AND post = ? AND channel_serial > 0"
    return {names[post]: [row[0] for row in store.connection.execute(sql, (run_id, post))] for post in posts}


def received_count(store: AuditStore, run: str) -> int:
    """Receipts of the run with a received time."""
    sql = "SELECT count(*) FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL"
    return store.connection.execute(sql, (store.run_id(run),)).fetchone()[0]


def received_time_at(store: AuditStore, run: str, position: int, count: int) -> float:
    """The received time at `position` (from 0) of the run's `count` receipts with one (`received_count`)
    ordered by received time. Read from the nearer end, so that SQLite keeps only the rows up to it
    instead of sorting them all (0.8 against 4.8 s for the 99.5th percentile of 2.4 million)."""
    order, offset = ("ASC", position) if position < count // 2 else ("DESC", count - 1 - position)
    sql = (
        "SELECT received_sim FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL "
        f"ORDER BY received_sim {order} LIMIT 1 OFFSET ?"
    )
    return store.connection.execute(sql, (store.run_id(run), offset)).fetchone()[0]


def received_histogram(
    store: AuditStore, run: str, first: float, last: float, width: float
) -> list[tuple[int, int, int]]:
    """Receipts received from `first` to `last` in slices of `width` seconds: (slice from 0, rank,
    receipts) for every slice and rank that has any.

    Each receipt comes back as one integer, `slice * 4 + rank`, counted in Python: a `GROUP BY` would
    sort the 2.4 million rows of a large run first (1.5 against 1.1 s)."""
    counted = Counter(
        store.connection.execute(
            "SELECT CAST((received_sim - ?) / ? AS INTEGER) * 4 + precedence FROM receipts "
            "WHERE run_id = ? AND received_sim >= ? AND received_sim <= ?",
            (first, width, store.run_id(run), first, last),
        )
    )
    return [(*divmod(code, 4), n) for (code,), n in counted.items()]
