"""The audit's per-cable sections: serial continuity and header consistency, in one pass over the
cables of a run (so that they need not all be held at once); the run's channel-serial gaps, which come
from its receipts, are added to the continuity section apart (`with_channel_gaps`)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from replay.audit import load
from replay.audit.consistency import CHECKS, Finding
from replay.audit.continuity import ContinuityNumbers, Gap, StationSerials, channel_gaps, total_missing
from replay.audit.facts import CableFacts
from replay.store.store import AuditStore
from router.serials import SerialEstimate, estimate_all


class ContinuitySection(msgspec.Struct, kw_only=True):
    """Missing numbers of each serial kind, and the series they are missing from.

    Station-serial and MCN gaps are the input's: cables the corpus does not hold, the same in every
    run. `traffic` turns the station serials into what each station sent per year (`router.serials`);
    `published` and `estimated` are its totals. Channel-serial gaps are the run's own.
    """

    ssn_gaps: int
    mcn_gaps: int
    channel_gaps: int
    ssn_series: list[Gap]
    mcn_series: list[Gap]
    channel_series: list[Gap]
    traffic: list[SerialEstimate] = []
    published: int = 0
    estimated: int = 0


def cable_sections_of(store: AuditStore, run: str) -> tuple[ContinuitySection, list[Finding], int]:
    """`cable_sections` of a run, reading the store."""
    return cable_sections(load.cable_facts(store, run))


def cable_sections(cables: Iterable[CableFacts]) -> tuple[ContinuitySection, list[Finding], int]:
    """Station-serial and MCN gaps (channel-serial gaps left empty, for `with_channel_gaps`), the header
    inconsistencies, and how many cables there were: one pass over the cables, so that they need not
    all be held at once."""
    serials, numbers = StationSerials(), ContinuityNumbers()
    inconsistencies: list[Finding] = []
    found, add_serial, add_numbers = inconsistencies.append, serials.add, numbers.add
    count = 0
    for facts in cables:
        add_serial(facts)
        add_numbers(facts)
        for check in CHECKS:
            finding = check(facts)
            if finding is not None:
                found(finding)
        count += 1
    ssn, mcn = serials.gaps(), numbers.gaps()
    traffic = estimate_all(serials.series)
    continuity = ContinuitySection(
        ssn_gaps=total_missing(ssn),
        mcn_gaps=total_missing(mcn),
        channel_gaps=0,
        ssn_series=ssn,
        mcn_series=mcn,
        channel_series=[],
        traffic=traffic,
        published=sum(e.observed for e in traffic),
        estimated=sum(e.estimate for e in traffic),
    )
    return continuity, inconsistencies, count


def with_channel_gaps(
    continuity: ContinuitySection, serials_by_post: dict[str, list[int]]
) -> ContinuitySection:
    """The continuity section with the channel-serial gaps of the serials each post received."""
    channel = channel_gaps(serials_by_post)
    return msgspec.structs.replace(continuity, channel_gaps=total_missing(channel), channel_series=channel)
