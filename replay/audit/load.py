"""Reading what the audit needs from the store: aggregates where SQL is cheaper, plain rows otherwise.

Large tables are never held whole: deliveries and receipts are counted in SQL, transmissions are
streamed one circuit at a time, and only findings (missing, unexpected, duplicated) become rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgspec

from replay.audit.distribution import DuplicateRow, MissingRow, OtherMeansRow, UnexpectedRow, UnresolvedRow
from replay.audit.facts import CableFacts
from replay.audit.precedence import TransmissionRow, starts_from_receipts
from replay.store.store import AuditStore, decode_addressees
from router.precedence import LEVEL_BY_RANK, Precedence

#: Reason shown for an unreceived delivery of a run still going on, or one `close_missing` never saw.
PENDING_RUNNING = "not received yet (the run is still going)"
PENDING_FINISHED = "not received"


class RunHeader(msgspec.Struct, kw_only=True):
    """The run being audited."""

    name: str
    mode: str
    status: str
    options: dict[str, Any]


def run_header(store: AuditStore, run: str) -> RunHeader:
    """The run's name, mode, status and options."""
    info = next(r for r in store.runs() if r.name == run)
    return RunHeader(name=info.name, mode=info.mode, status=info.status, options=info.options)


def cable_facts(store: AuditStore, run: str) -> Iterator[CableFacts]:
    """The facts of every recorded cable of the run, in recording order."""
    cursor = store.connection.execute(
        """
        SELECT cable_id, origin_ri, ssn, year, dtg, filed, fl2_precedence, fl5_action, fl5_info,
               fl4_classification, banner_classification, banner_origin, banner_mrn, addressees,
               coalesce(derived, 1)
        FROM cables WHERE run_id = ? AND recorded = 1 ORDER BY id
        """,
        (store.run_id(run),),
    )
    make, addressees = CableFacts._make, decode_addressees
    for row in cursor:
        yield make((*row[:13], addressees(row[13]), bool(row[14])))


def count_cables(store: AuditStore, run: str) -> int:
    """Recorded cables of the run."""
    sql = "SELECT count(*) FROM cables WHERE run_id = ? AND recorded = 1"
    return store.connection.execute(sql, (store.run_id(run),)).fetchone()[0]


def _post_names(store: AuditStore) -> dict[int, str]:
    """Post key → RI."""
    return dict(store.connection.execute("SELECT id, ri FROM posts"))


def delivery_counts(
    store: AuditStore, run: str
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    """Planned deliveries, and those of them that have a receipt, per (post, planned rank): one pass
    over the deliveries, each looked up in the receipts."""
    names = _post_names(store)
    outcomes = Counter(
        store.connection.execute(
            """
            SELECT d.post, d.precedence, r.post IS NOT NULL
            FROM deliveries AS d
            LEFT JOIN receipts AS r ON r.run_id = d.run_id AND r.post = d.post AND r.cable = d.cable
            WHERE d.run_id = ?
            """,
            (store.run_id(run),),
        )
    )
    planned: dict[tuple[str, int], int] = {}
    received: dict[tuple[str, int], int] = {}
    for (post, rank, got), n in outcomes.items():
        key = (names[post], rank)
        planned[key] = planned.get(key, 0) + n
        if got:
            received[key] = received.get(key, 0) + n
    return planned, received


def receipt_totals(store: AuditStore, run: str) -> tuple[int, int]:
    """Receipt rows of the run, and their extra copies (duplicates) together."""
    sql = "SELECT count(*), coalesce(sum(duplicates), 0) FROM receipts WHERE run_id = ?"
    rows, duplicates = store.connection.execute(sql, (store.run_id(run),)).fetchone()
    return rows, duplicates


def missing_rows(store: AuditStore, run: str, status: str) -> list[MissingRow]:
    """Planned deliveries without a receipt, with the recorded reason (or the drop's, or a pending note)."""
    pending = PENDING_RUNNING if status == "running" else PENDING_FINISHED
    rows = store.connection.execute(
        """
        SELECT c.cable_id, p.ri, d.precedence, d.role, d.niact, coalesce(m.reason, x.reason, ?)
        FROM deliveries AS d
        JOIN cables AS c ON c.id = d.cable
        JOIN posts AS p ON p.id = d.post
        LEFT JOIN receipts AS r ON r.run_id = d.run_id AND r.cable = d.cable AND r.post = d.post
        LEFT JOIN missing AS m ON m.run_id = d.run_id AND m.cable = d.cable AND m.post = d.post
        LEFT JOIN drops AS x ON x.run_id = d.run_id AND x.cable = d.cable AND x.post = d.post
        WHERE d.run_id = ? AND r.cable IS NULL
        ORDER BY d.cable, p.ri
        """,
        (pending, store.run_id(run)),
    )
    return [MissingRow(*row) for row in rows]


def unexpected_rows(store: AuditStore, run: str) -> list[UnexpectedRow]:
    """Receipts without a planned delivery."""
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
    return [UnexpectedRow(*row) for row in rows]


def duplicate_rows(store: AuditStore, run: str) -> list[DuplicateRow]:
    """Receipts that arrived more than once."""
    rows = store.connection.execute(
        """
        SELECT c.cable_id, p.ri, r.duplicates
        FROM receipts AS r JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post
        WHERE r.run_id = ? AND r.duplicates > 0
        ORDER BY r.cable, p.ri
        """,
        (store.run_id(run),),
    )
    return [DuplicateRow(*row) for row in rows]


def other_means_rows(store: AuditStore, run: str) -> list[OtherMeansRow]:
    """`ZEN` addressees of the run's cables."""
    rows = store.connection.execute(
        "SELECT c.cable_id, o.name, o.ri, o.role, o.post "
        "FROM other_means AS o JOIN cables AS c ON c.id = o.cable WHERE o.run_id = ? ORDER BY o.rowid",
        (store.run_id(run),),
    )
    return [OtherMeansRow(*row) for row in rows]


def unresolved_rows(store: AuditStore, run: str) -> list[UnresolvedRow]:
    """Unresolved addressees of the run's cables."""
    rows = store.connection.execute(
        "SELECT c.cable_id, u.name, u.ri, u.role, u.reason "
        "FROM unresolved AS u JOIN cables AS c ON c.id = u.cable WHERE u.run_id = ? ORDER BY u.rowid",
        (store.run_id(run),),
    )
    return [UnresolvedRow(*row) for row in rows]


def latencies(store: AuditStore, run: str) -> tuple[dict[Precedence, list[float]], list[float]]:
    """Receipt latencies per level, in one pass over the receipts; and the NIACT ones among them.

    A receipt's latency is its received time minus its scheduled time: the simulated moment its cable
    entered the network, which replay and simulate set to the filing time (FL3, else the DTG).
    """
    by_slot: list[list[float]] = [[] for _ in range(8)]
    add = [values.append for values in by_slot]
    for slot, latency in store.connection.execute(
        """
        SELECT precedence + 4 * (niact != 0), received_sim - scheduled_sim
        FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL AND scheduled_sim IS NOT NULL
        """,
        (store.run_id(run),),
    ):
        add[slot](latency)
    found = {level: by_slot[level.rank] + by_slot[level.rank + 4] for level in Precedence}
    niact = [value for values in by_slot[4:] for value in values]
    return {level: values for level, values in found.items() if values}, niact


def niact_planned(store: AuditStore, run: str) -> int:
    """Planned NIACT deliveries."""
    sql = "SELECT count(*) FROM deliveries WHERE run_id = ? AND niact"
    return store.connection.execute(sql, (store.run_id(run),)).fetchone()[0]


def has_transmissions(store: AuditStore, run: str) -> bool:
    """True when the run recorded its transmissions (`sent`)."""
    row = store.connection.execute("SELECT 1 FROM sent WHERE run_id = ? LIMIT 1", (store.run_id(run),))
    return row.fetchone() is not None


def circuits(store: AuditStore, run: str) -> Iterator[tuple[str, list[TransmissionRow]]]:
    """Each circuit's transmissions `(rank, enqueued, started, cable key)`, one post at a time: from
    `sent` when recorded, else rebuilt from the receipts."""
    run_id = store.run_id(run)
    names = _post_names(store)
    execute = store.connection.execute
    if has_transmissions(store, run):
        posts = [row[0] for row in execute("SELECT DISTINCT post FROM sent WHERE run_id = ?", (run_id,))]
        sql = "SELECT precedence, enqueued_at, started_at, cable FROM sent WHERE run_id = ? AND post = ?"
        for post in posts:
            yield names[post], execute(sql, (run_id, post)).fetchall()
        return
    posts = [row[0] for row in execute("SELECT DISTINCT post FROM receipts WHERE run_id = ?", (run_id,))]
    sql = (
        "SELECT precedence, enqueued_sim, transmitted_sim, cable FROM receipts WHERE run_id = ? AND post = ? "
        "AND enqueued_sim IS NOT NULL AND transmitted_sim IS NOT NULL"
    )
    for post in posts:
        yield names[post], starts_from_receipts(execute(sql, (run_id, post)))


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


def channel_serials(store: AuditStore, run: str) -> dict[str, list[int]]:
    """The channel serials each post received, for the posts whose serials do not run 1…n unbroken."""
    run_id = store.run_id(run)
    names = _post_names(store)
    suspects = [
        post
        for post, highest, count in store.connection.execute(
            "SELECT post, max(channel_serial), count(*) FROM receipts "
            "WHERE run_id = ? AND channel_serial > 0 GROUP BY post",
            (run_id,),
        )
        if highest != count
    ]
    found: dict[str, list[int]] = {}
    for post in suspects:
        rows = store.connection.execute(
            "SELECT channel_serial FROM receipts WHERE run_id = ? AND post = ? AND channel_serial > 0",
            (run_id, post),
        )
        found[names[post]] = [row[0] for row in rows]
    return found


def timeline(store: AuditStore, run: str, buckets: int = 60, trim: float = 0.005) -> dict[str, Any]:
    """Receipts over simulated time, for the HTML chart: `buckets` equal slices with counts per level.

    The range runs from the `trim` to the `1 - trim` quantile of receipt times, so that a few cables
    with absurd dates do not squash the rest; receipts outside it are counted in `outside`.
    """
    run_id = store.run_id(run)
    execute = store.connection.execute
    total = execute(
        "SELECT count(*) FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL", (run_id,)
    ).fetchone()[0]
    if not total:
        return {"start": None, "width_s": None, "counts": {}, "outside": 0}
    quantile_sql = (
        "SELECT received_sim FROM receipts WHERE run_id = ? AND received_sim IS NOT NULL "
        "ORDER BY received_sim LIMIT 1 OFFSET ?"
    )
    first = execute(quantile_sql, (run_id, int(total * trim))).fetchone()[0]
    last = execute(quantile_sql, (run_id, min(total - 1, int(total * (1 - trim))))).fetchone()[0]
    width = max((last - first) / buckets, 1e-9)
    counts = {level.value: [0] * buckets for level in Precedence}
    for bucket, rank, n in execute(
        "SELECT CAST((received_sim - ?) / ? AS INTEGER), precedence, count(*) FROM receipts "
        "WHERE run_id = ? AND received_sim >= ? AND received_sim <= ? GROUP BY 1, 2",
        (first, width, run_id, first, last),
    ):
        counts[LEVEL_BY_RANK[rank].value][min(bucket, buckets - 1)] += n
    shown = sum(sum(series) for series in counts.values())
    return {"start": first, "width_s": width, "counts": counts, "outside": total - shown}
