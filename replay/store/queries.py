"""Questions asked of a recorded run: who got a cable, what a post received, which runs exist.

Every function reads an open `AuditStore` and returns msgspec Structs whose JSON form is the
contract of `cableroute who-got` / `received` / `runs`. Latencies are simulated seconds from the
cable's filing time (FL3, else its DTG) to the receipt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from replay.store.rows import ROLES
from replay.store.store import AuditStore, unrecorded_reason
from router.precedence import LEVEL_BY_RANK, Precedence
from topology.errors import CablerouteError


class QueryError(CablerouteError):
    """The question names something the run does not have (a cable, a post)."""


class ReceivedBy(msgspec.Struct, kw_only=True):
    """A post that received the cable (`name`: as recorded with the run, None for runs without names)."""

    post: str
    name: str | None = None
    role: str
    precedence: Precedence
    niact: bool
    channel_serial: int | None
    latency_s: float | None
    received_at: str | None
    duplicates: int = 0
    planned: bool = True
    wall_latency_s: float | None = None


class MissingAt(msgspec.Struct, kw_only=True):
    """A post the cable was planned for that has no receipt (`name` as in `ReceivedBy`)."""

    post: str
    name: str | None = None
    role: str
    precedence: Precedence
    niact: bool
    reason: str


class OtherMeansEntry(msgspec.Struct, kw_only=True):
    """A `ZEN` addressee: delivered by other means, not sent."""

    name: str
    ri: str | None
    role: str
    post: str | None


class UnresolvedEntry(msgspec.Struct, kw_only=True):
    """An addressee the topology could not resolve."""

    name: str
    ri: str | None
    role: str
    line: int | None
    reason: str | None


class ExemptedEntry(msgspec.Struct, kw_only=True):
    """A post taken out of a collective by `XMT`."""

    post: str
    name: str | None


class WhoGot(msgspec.Struct, kw_only=True):
    """The answer of `who-got ID`."""

    id: str
    run: str
    dtg: str | None
    filed: str | None
    precedence: Precedence | None
    origin: str | None
    planned: int
    received: list[ReceivedBy]
    missing: list[MissingAt]
    other_means: list[OtherMeansEntry]
    unresolved: list[UnresolvedEntry]
    exempted: list[ExemptedEntry]


class ReceivedCable(msgspec.Struct, kw_only=True):
    """One line of `received RI` (`post_name`: the post's name as recorded with the run, None for runs
    without names)."""

    id: str
    dtg: str | None
    precedence: Precedence
    role: str
    received_at: str | None
    niact: bool = False
    channel_serial: int | None = None
    latency_s: float | None = None
    duplicates: int = 0
    post: str
    post_name: str | None = None


class RunListing(msgspec.Struct, kw_only=True):
    """One line of `runs`."""

    name: str
    mode: str
    status: str
    started_at: str | None
    finished_at: str | None
    cables: int
    planned: int
    received: int
    missing: int
    options: dict[str, Any] = {}
    summary: dict[str, Any] | None = None


def iso(seconds: float | None) -> str | None:
    """Unix seconds as an ISO 8601 UTC time to the second (`2008-12-04T07:34:00Z`), or None."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _level(rank: int | None) -> Precedence | None:
    """The level of a stored rank."""
    return LEVEL_BY_RANK.get(rank) if rank is not None else None


def _cable_row(store: AuditStore, run_id: int, cable_id: str) -> tuple[Any, ...]:
    """The cables row for an id (exact, then upper-cased); `QueryError` when the run has none."""
    sql = "SELECT id, time, dtg, filed, precedence, origin_ri FROM cables WHERE run_id = ? AND cable_id = ?"
    for candidate in dict.fromkeys((cable_id, cable_id.strip().upper())):
        row = store.connection.execute(sql, (run_id, candidate)).fetchone()
        if row is not None:
            return (candidate, *row)
    raise QueryError(f"no cable {cable_id!r} in run {store_run_name(store, run_id)!r}")


def store_run_name(store: AuditStore, run_id: int) -> str:
    """A run's name from its id."""
    row = store.connection.execute("SELECT name FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row[0] if row else str(run_id)


def who_got(store: AuditStore, run: str, cable_id: str) -> WhoGot:
    """Who received a cable in a run, who was planned but has no receipt, and what was not sent."""
    run_id = store.run_id(run)
    found_id, key, time, dtg, filed, rank, origin = _cable_row(store, run_id, cable_id)
    execute = store.connection.execute
    names = store.post_names(run)
    received = [
        ReceivedBy(
            post=post,
            name=names.get(post),
            role=ROLES[role],
            precedence=LEVEL_BY_RANK[precedence],
            niact=bool(niact),
            channel_serial=serial,
            latency_s=_latency(received_sim, time, scheduled_sim),
            received_at=iso(received_sim),
            duplicates=duplicates,
            planned=bool(planned),
            wall_latency_s=(
                received_wall - scheduled_wall
                if received_wall is not None and scheduled_wall is not None
                else None
            ),
        )
        for (
            post,
            role,
            precedence,
            niact,
            serial,
            received_sim,
            scheduled_sim,
            duplicates,
            planned,
            scheduled_wall,
            received_wall,
        ) in execute(
            """
            SELECT p.ri, r.role, r.precedence, r.niact, r.channel_serial, r.received_sim, r.scheduled_sim,
                   r.duplicates, d.cable IS NOT NULL, w.scheduled_wall, w.received_wall
            FROM receipts AS r
            JOIN posts AS p ON p.id = r.post
            LEFT JOIN deliveries AS d ON d.run_id = r.run_id AND d.cable = r.cable AND d.post = r.post
            LEFT JOIN receipt_wall AS w ON w.run_id = r.run_id AND w.cable = r.cable AND w.post = r.post
            WHERE r.run_id = ? AND r.post IN (SELECT id FROM posts) AND r.cable = ?
            ORDER BY r.precedence DESC, r.role, p.ri
            """,
            (run_id, key),
        )
    ]
    pending = unrecorded_reason(store.run_status(run))
    missing = [
        MissingAt(
            post=post,
            name=names.get(post),
            role=ROLES[role],
            precedence=LEVEL_BY_RANK[precedence],
            niact=bool(niact),
            reason=reason or dropped or pending,
        )
        for post, role, precedence, niact, reason, dropped in execute(
            """
            SELECT p.ri, d.role, d.precedence, d.niact, m.reason, x.reason
            FROM deliveries AS d
            JOIN posts AS p ON p.id = d.post
            LEFT JOIN receipts AS r ON r.run_id = d.run_id AND r.cable = d.cable AND r.post = d.post
            LEFT JOIN missing AS m ON m.run_id = d.run_id AND m.cable = d.cable AND m.post = d.post
            LEFT JOIN drops AS x ON x.run_id = d.run_id AND x.cable = d.cable AND x.post = d.post
            WHERE d.run_id = ? AND d.cable = ? AND r.cable IS NULL
            ORDER BY d.precedence DESC, d.role, p.ri
            """,
            (run_id, key),
        )
    ]
    planned_sql = "SELECT count(*) FROM deliveries WHERE run_id = ? AND cable = ?"
    planned = execute(planned_sql, (run_id, key)).fetchone()[0]
    return WhoGot(
        id=found_id,
        run=run,
        dtg=iso(dtg),
        filed=iso(filed),
        precedence=_level(rank),
        origin=origin,
        planned=planned,
        received=received,
        missing=missing,
        other_means=[
            OtherMeansEntry(name=name, ri=ri, role=role, post=post)
            for name, ri, role, post in execute(
                "SELECT name, ri, role, post FROM other_means WHERE run_id = ? AND cable = ? ORDER BY rowid",
                (run_id, key),
            )
        ],
        unresolved=[
            UnresolvedEntry(name=name, ri=ri, role=role, line=line, reason=reason)
            for name, ri, role, line, reason in execute(
                "SELECT name, ri, role, line, reason FROM unresolved WHERE run_id = ? AND cable = ? "
                "ORDER BY rowid",
                (run_id, key),
            )
        ],
        exempted=[
            ExemptedEntry(post=post, name=name)
            for post, name in execute(
                "SELECT post, name FROM exemptions WHERE run_id = ? AND cable = ? ORDER BY rowid",
                (run_id, key),
            )
        ],
    )


def _latency(received: float | None, filed: float | None, scheduled: float | None) -> float | None:
    """Seconds from filing (else from when the cable was scheduled) to receipt."""
    start = filed if filed is not None else scheduled
    if received is None or start is None:
        return None
    return received - start


def received_by(
    store: AuditStore,
    run: str,
    post: str,
    *,
    since: float | None = None,
    until: float | None = None,
    precedence: Precedence | None = None,
) -> list[ReceivedCable]:
    """The cables a post received in a run, in order of receipt; `since`/`until` bound the simulated
    receipt time (`since` inclusive, `until` exclusive). `QueryError` when the run never involved the post."""
    run_id = store.run_id(run)
    ri = post.strip().upper()
    row = store.connection.execute("SELECT id FROM posts WHERE ri = ?", (ri,)).fetchone()
    if row is None or not _post_in_run(store, run_id, row[0]):
        raise QueryError(f"{ri} is not a post of run {run!r} (nothing was planned for it or received by it)")
    sql = [
        "SELECT c.cable_id, c.dtg, c.time, r.precedence, r.role, r.niact, r.channel_serial, r.received_sim,",
        "       r.scheduled_sim, r.duplicates",
        "FROM receipts AS r JOIN cables AS c ON c.id = r.cable",
        "WHERE r.run_id = ? AND r.post = ?",
    ]
    params: list[Any] = [run_id, row[0]]
    if since is not None:
        sql.append("AND r.received_sim >= ?")
        params.append(since)
    if until is not None:
        sql.append("AND r.received_sim < ?")
        params.append(until)
    if precedence is not None:
        sql.append("AND r.precedence = ?")
        params.append(precedence.rank)
    sql.append("ORDER BY r.received_sim, c.cable_id")
    name = store.post_names(run).get(ri)
    return [
        ReceivedCable(
            id=cable_id,
            dtg=iso(dtg),
            precedence=LEVEL_BY_RANK[rank],
            role=ROLES[role],
            received_at=iso(received_sim),
            niact=bool(niact),
            channel_serial=serial,
            latency_s=_latency(received_sim, time, scheduled_sim),
            duplicates=duplicates,
            post=ri,
            post_name=name,
        )
        for cable_id, dtg, time, rank, role, niact, serial, received_sim, scheduled_sim, duplicates in (
            store.connection.execute("\n".join(sql), params)
        )
    ]


def _post_in_run(store: AuditStore, run_id: int, post_key: int) -> bool:
    """True when the run planned a delivery to the post or the post recorded a receipt."""
    execute = store.connection.execute
    for table in ("deliveries", "receipts"):
        found = execute(f"SELECT 1 FROM {table} WHERE run_id = ? AND post = ? LIMIT 1", (run_id, post_key))
        if found.fetchone() is not None:
            return True
    return False


#: Planned deliveries of a run that have a receipt.
_PLANNED_AND_RECEIVED_SQL = """
SELECT count(*) FROM deliveries AS d
JOIN receipts AS r ON r.run_id = d.run_id AND r.post = d.post AND r.cable = d.cable
WHERE d.run_id = ?
"""


def list_runs(store: AuditStore) -> list[RunListing]:
    """Every run with its counts of cables, planned deliveries, those received and those missing, counted
    as the audit counts them (a receipt that came after the run closed counts as received)."""
    listings = []
    execute = store.connection.execute
    for info in store.runs():
        run_id = store.run_id(info.name)
        cables = execute(
            "SELECT count(*) FROM cables WHERE run_id = ? AND recorded = 1", (run_id,)
        ).fetchone()[0]
        planned = execute("SELECT count(*) FROM deliveries WHERE run_id = ?", (run_id,)).fetchone()[0]
        received = execute(_PLANNED_AND_RECEIVED_SQL, (run_id,)).fetchone()[0]
        counts = [cables, planned, received, planned - received]
        listings.append(
            RunListing(
                name=info.name,
                mode=info.mode,
                status=info.status,
                started_at=iso(info.started_at),
                finished_at=iso(info.finished_at),
                cables=counts[0],
                planned=counts[1],
                received=counts[2],
                missing=counts[3],
                options=info.options,
                summary=info.summary,
            )
        )
    return listings


def parse_level(text: str) -> Precedence:
    """A precedence level from its name or prosign letter (`flash`, `O`); ValueError otherwise."""
    word = text.strip().upper()
    if word in Precedence.__members__:
        return Precedence[word]
    level = Precedence.from_prosign(word)
    if level is None:
        raise ValueError(f"unknown precedence {text!r} (FLASH, IMMEDIATE, PRIORITY, ROUTINE or Z/O/P/R)")
    return level
