"""Distribution: planned against received, per cable and per post.

A *missing* delivery was planned and has no receipt; an *unexpected* receipt has no planned delivery;
*duplicates* are extra copies of a receipt (QoS 1 redelivery), counted on the one receipt row.
Addressees delivered by other means (`ZEN`) and unresolved addressees are listed apart: they are
decisions of the plan, not failures of delivery. In a remote run the submitter's ledger is recorded
too: a cable it sent that the router never routed is *lost before routing* (it has no plan, so no
missing deliveries show it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import msgspec

from router.precedence import LEVEL_BY_RANK, LEVELS_HIGH_FIRST


class MissingRow(NamedTuple):
    """A planned delivery without a receipt, and why."""

    cable_id: str
    post: str
    rank: int
    role: str
    niact: bool
    reason: str


class UnexpectedRow(NamedTuple):
    """A receipt no delivery was planned for."""

    cable_id: str
    post: str
    rank: int
    duplicates: int


class DuplicateRow(NamedTuple):
    """A receipt that arrived more than once (`duplicates` extra copies)."""

    cable_id: str
    post: str
    duplicates: int


class OtherMeansRow(NamedTuple):
    """A `ZEN` addressee of a cable."""

    cable_id: str
    name: str
    ri: str | None
    role: str
    post: str | None


class UnresolvedRow(NamedTuple):
    """An addressee the topology could not resolve."""

    cable_id: str
    name: str
    ri: str | None
    role: str
    reason: str | None


class LostRow(NamedTuple):
    """A cable a remote submitter sent that was never routed, and why."""

    seq: int
    cable_id: str
    source: str | None
    reason: str


class PostTotals(msgspec.Struct, kw_only=True):
    """One post's deliveries by precedence level."""

    planned: dict[str, int]
    received: dict[str, int]
    missing: int = 0
    duplicates: int = 0
    unexpected: int = 0


class CableFindings(msgspec.Struct, kw_only=True):
    """The posts a cable is missing at, arrived unexpectedly at, or arrived twice at."""

    id: str
    missing: list[str] = []
    unexpected: list[str] = []
    duplicated: list[str] = []


class Distribution(msgspec.Struct, kw_only=True):
    """The distribution section of the audit report."""

    cables: int
    planned: int
    received: int
    missing: int
    duplicates: int
    unexpected: int
    other_means: int
    unresolved: int
    missing_by_post: dict[str, int]
    missing_by_reason: dict[str, int]
    by_post: dict[str, PostTotals]
    cables_with_findings: list[CableFindings]
    missing_list: list[dict[str, object]]
    other_means_list: list[dict[str, object]]
    unresolved_list: list[dict[str, object]]
    submitted: int | None = None
    lost_before_routing: int = 0
    lost_list: list[dict[str, object]] = []


def _by_level(counts: Mapping[int, int]) -> dict[str, int]:
    """Counts keyed by rank as counts keyed by level name, FLASH first, every level present."""
    return {level.value: counts.get(level.rank, 0) for level in LEVELS_HIGH_FIRST}


def _increment(counts: dict[str, int], key: str, by: int = 1) -> None:
    """counts[key] += by."""
    counts[key] = counts.get(key, 0) + by


def distribution(
    cables: int,
    planned: Mapping[tuple[str, int], int],
    received: Mapping[tuple[str, int], int],
    missing: Sequence[MissingRow],
    unexpected: Sequence[UnexpectedRow],
    duplicated: Sequence[DuplicateRow],
    other_means: Sequence[OtherMeansRow] = (),
    unresolved: Sequence[UnresolvedRow] = (),
    submitted: int | None = None,
    lost: Sequence[LostRow] = (),
) -> Distribution:
    """Assemble the distribution section from per-(post, rank) counts of planned and of planned-and-
    received deliveries, and the rows of each finding; `submitted` is the length of a remote
    submitter's ledger (None for other runs) and `lost` the cables of it never routed."""
    planned_by_post: dict[str, dict[int, int]] = {}
    received_by_post: dict[str, dict[int, int]] = {}
    for (post, rank), n in planned.items():
        planned_by_post.setdefault(post, {})[rank] = n
    for (post, rank), n in received.items():
        received_by_post.setdefault(post, {})[rank] = n
    posts = sorted(set(planned_by_post) | set(received_by_post) | {row.post for row in unexpected})
    by_post = {
        post: PostTotals(
            planned=_by_level(planned_by_post.get(post, {})),
            received=_by_level(received_by_post.get(post, {})),
        )
        for post in posts
    }
    missing_by_post: dict[str, int] = {}
    missing_by_reason: dict[str, int] = {}
    for row in missing:
        by_post[row.post].missing += 1
        _increment(missing_by_post, row.post)
        _increment(missing_by_reason, row.reason)
    for unexpected_row in unexpected:
        by_post[unexpected_row.post].unexpected += 1
    for duplicate_row in duplicated:
        if duplicate_row.post in by_post:
            by_post[duplicate_row.post].duplicates += duplicate_row.duplicates
    return Distribution(
        cables=cables,
        planned=sum(planned.values()),
        received=sum(received.values()),
        missing=len(missing),
        duplicates=sum(row.duplicates for row in duplicated),
        unexpected=len(unexpected),
        other_means=len(other_means),
        unresolved=len(unresolved),
        missing_by_post=dict(sorted(missing_by_post.items())),
        missing_by_reason=dict(sorted(missing_by_reason.items())),
        by_post=by_post,
        cables_with_findings=cable_findings(missing, unexpected, duplicated),
        missing_list=[
            {
                "id": row.cable_id,
                "post": row.post,
                "precedence": LEVEL_BY_RANK[row.rank].value,
                "role": row.role,
                "niact": bool(row.niact),
                "reason": row.reason,
            }
            for row in missing
        ],
        other_means_list=[row._asdict() for row in other_means],
        unresolved_list=[row._asdict() for row in unresolved],
        submitted=submitted,
        lost_before_routing=len(lost),
        lost_list=[row._asdict() for row in lost],
    )


def cable_findings(
    missing: Iterable[MissingRow], unexpected: Iterable[UnexpectedRow], duplicated: Iterable[DuplicateRow]
) -> list[CableFindings]:
    """Per cable with any finding: the posts it is missing at, unexpected at and duplicated at."""
    found: dict[str, CableFindings] = {}

    def entry(cable_id: str) -> CableFindings:
        record = found.get(cable_id)
        if record is None:
            record = found[cable_id] = CableFindings(id=cable_id, missing=[], unexpected=[], duplicated=[])
        return record

    for row in missing:
        entry(row.cable_id).missing.append(row.post)
    for unexpected_row in unexpected:
        entry(unexpected_row.cable_id).unexpected.append(unexpected_row.post)
    for duplicate_row in duplicated:
        entry(duplicate_row.cable_id).duplicated.append(duplicate_row.post)
    for record in found.values():
        record.missing.sort()
        record.unexpected.sort()
        record.duplicated.sort()
    return [found[key] for key in sorted(found)]
