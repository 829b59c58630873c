"""The audit report of one run: the JSON contract of `cableroute audit --json`, and its finding counts.

Contract (more fields are added, none renamed):
`{run, load, distribution: {cables, planned, received, missing, duplicates, unexpected, other_means,
unresolved, missing_by_post: {RI: n}, submitted, lost_before_routing, lost_list}, precedence:
{inversions, inversions_by_post: {RI: n}, latency: {LEVEL: {n, p50_s, p95_s, max_s, objective_s,
met_ratio}}, niact}, continuity: {ssn_gaps, mcn_gaps, channel_gaps, traffic: [{station, year,
observed, max_serial, estimate, low, high, share, outliers}], published, estimated}, consistency:
{KIND: n}, rejected: {KIND: n}}`. `rejected` counts the inbound messages (receipts, submissions)
refused for the run: unauthenticated, malformed, misrouted, after the run finished, or refused by the
store (`replay.store.store.REJECTION_KINDS`). `circuits`: `{recorded, span_s, depth_slice_s,
contended, circuits: [{post, cps, transmitted, peak_queue, preemptions, interrupted, busy_s,
utilisation, longest_wait: {LEVEL: s}, depth: [[t, n]]}]}`, worst first (`replay.audit.circuits`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog

from replay.audit import load, worker
from replay.audit.cables import ContinuitySection, with_channel_gaps
from replay.audit.circuits import CircuitSection, circuit_section
from replay.audit.consistency import KINDS as CONSISTENCY_KINDS
from replay.audit.consistency import Finding, count_by_kind
from replay.audit.distribution import Distribution, MissingRow, distribution
from replay.audit.precedence import (
    Inversion,
    LatencyFigures,
    LatencyStats,
    NiactStats,
)
from replay.gcpause import cycle_collection_paused
from replay.store.store import REJECTION_KINDS, AuditStore

_log = structlog.get_logger()

#: Runs with at least this many cables are audited on two processes.
PARALLEL_FROM_CABLES = 50_000

#: At most this many inversions are listed one by one (all are counted).
INVERSIONS_LISTED = 1000

#: Finding kinds that describe the input rather than the run: cables absent from the corpus.
CORPUS_KINDS: tuple[str, ...] = ("ssn_gaps", "mcn_gaps")

#: Every finding kind `--fail-on` accepts, in report order.
FINDING_KINDS: tuple[str, ...] = (
    "rejected_inputs",
    "missing",
    "unexpected",
    "duplicates",
    "unresolved",
    "inversions",
    "sos",
    "niact",
    "ssn_gaps",
    "mcn_gaps",
    "channel_gaps",
    *CONSISTENCY_KINDS,
    *REJECTION_KINDS,
)


class PrecedenceSection(msgspec.Struct, kw_only=True):
    """Inversions, latency per level, speed-of-service misses and NIACT deliveries."""

    inversions: int
    inversions_by_post: dict[str, int]
    latency: dict[str, LatencyStats]
    niact: NiactStats
    sos: int
    inversions_from: str
    inversion_list: list[Inversion]
    late_by_post: dict[str, int] = {}


class RejectedInput(msgspec.Struct, kw_only=True):
    """An input of the run that was not read as a cable, and why."""

    source: str
    reason: str


class AuditReport(msgspec.Struct, kw_only=True):
    """Everything `cableroute audit` found about one run."""

    run: str
    mode: str
    status: str
    rejected_inputs: list[RejectedInput]
    distribution: Distribution
    precedence: PrecedenceSection
    continuity: ContinuitySection
    consistency: dict[str, int]
    consistency_findings: list[Finding]
    findings: dict[str, int]
    rejected: dict[str, int] = {}
    circuits: CircuitSection = msgspec.field(default_factory=CircuitSection)
    timeline: dict[str, Any] | None = None
    load: float = 1.0


def build_report(
    store: AuditStore, run: str, *, with_timeline: bool = False, parallel: bool | None = None
) -> AuditReport:
    """Audit one run of the store.

    With `parallel` (by default: for runs of `PARALLEL_FROM_CABLES` cables or more) the per-cable
    sections (continuity, consistency) and the latencies are computed by `replay.audit.worker` in a
    second process, with its own connection, while this one audits the deliveries, the circuits and
    the channel serials, and computes the timeline. The cycle collector is paused meanwhile (see
    `replay.gcpause`).
    """
    with cycle_collection_paused():
        return _build_report(store, run, with_timeline=with_timeline, parallel=parallel)


def _build_report(store: AuditStore, run: str, *, with_timeline: bool, parallel: bool | None) -> AuditReport:
    """`build_report`'s work."""
    header = load.run_header(store, run)
    if parallel is None:
        parallel = load.cable_rows(store, run) >= PARALLEL_FROM_CABLES
    helper = worker.start(str(store.path), run) if parallel else None
    missing = load.missing_rows(store, run, header.status)
    deliveries, receipts = load.delivery_counts(store, run, missing), load.receipt_counts(store, run)
    dist = distribution_section(store, run, header.status, deliveries, missing, receipts)
    inversions = inversion_figures(store, run)
    serials = load.channel_serials(store, run, receipts.serial_breaks)
    timeline = load.timeline(store, run) if with_timeline else None
    sections = worker.result(helper) if helper is not None else None
    if sections is None:
        if helper is not None:
            _log.warning("audit helper process failed; computing its part here", run=run)
        sections = worker.sections_of(store, run)
    continuity, inconsistencies, latencies, cables = sections
    continuity = with_channel_gaps(continuity, serials)
    dist.cables = cables  # counted as `worker.sections_of` read them
    precedence = precedence_section(
        store, run, dist, deliveries.niact, receipts.late_by_post, inversions, latencies
    )
    report = AuditReport(
        run=header.name,
        mode=header.mode,
        status=header.status,
        rejected_inputs=[RejectedInput(source=s, reason=r) for s, r in store.rejected_inputs(run)],
        distribution=dist,
        precedence=precedence,
        continuity=continuity,
        consistency=count_by_kind(inconsistencies),
        consistency_findings=inconsistencies,
        findings={},
        rejected=store.rejected_counts(run),
        circuits=circuit_section(store.circuit_stats(run)),
        timeline=timeline,
        load=float(header.options.get("load", 1.0)),
    )
    report.findings = finding_counts(report)
    return report


def distribution_section(
    store: AuditStore,
    run: str,
    status: str,
    deliveries: load.DeliveryCounts,
    missing: list[MissingRow],
    receipts: load.ReceiptCounts,
) -> Distribution:
    """Planned against received, from the counts of the run's deliveries and receipts and its missing
    deliveries (its `cables` left at 0, for the caller to fill in: `worker.sections_of` counts them as
    it reads them). The other finding rows are read only when the counts show there are some."""
    planned, received = deliveries.planned, deliveries.received
    matched = sum(received.values())
    submitted = load.submitted_count(store, run)
    return distribution(
        0,
        planned,
        received,
        missing,
        load.unexpected_rows(store, run) if receipts.rows > matched else [],
        load.duplicate_rows(store, run) if receipts.duplicates else [],
        load.other_means_rows(store, run),
        load.unresolved_rows(store, run),
        submitted=submitted,
        lost=load.lost_rows(store, run, status) if submitted else [],
    )


def inversion_figures(store: AuditStore, run: str) -> tuple[dict[str, int], list[Inversion]]:
    """Inversions per circuit (posts with none left out), and the first `INVERSIONS_LISTED` of them."""
    by_post: dict[str, int] = {}
    listed: list[Inversion] = []
    for post, found in load.circuit_inversions(store, run):
        if found:
            by_post[post] = len(found)
            listed.extend(found[: max(0, INVERSIONS_LISTED - len(listed))])
    return by_post, _with_cable_ids(store, listed)


def precedence_section(
    store: AuditStore,
    run: str,
    dist: Distribution,
    niact_planned: int,
    late_by_post: dict[str, int],
    inversions: tuple[dict[str, int], list[Inversion]],
    latencies: LatencyFigures,
) -> PrecedenceSection:
    """Inversions per circuit (`inversions`, from `inversion_figures`), latency per level (`latencies`,
    from `latency_figures`), NIACT (`niact_planned`: the planned NIACT deliveries; `late_by_post`: the
    receipts later than their objective, per post)."""
    by_post, listed = inversions
    latency = latencies.latency
    niact_missing = sum(1 for row in dist.missing_list if row["niact"])
    return PrecedenceSection(
        inversions=sum(by_post.values()),
        inversions_by_post=dict(sorted(by_post.items())),
        latency=latency,
        niact=NiactStats(
            planned=niact_planned,
            received=latencies.niact_received,
            missing=niact_missing,
            late=latencies.niact_late,
        ),
        sos=sum(stats.late for stats in latency.values()),
        inversions_from="sent" if load.has_transmissions(store, run) else "receipts",
        inversion_list=listed,
        late_by_post=late_by_post,
    )


def _with_cable_ids(store: AuditStore, inversions: list[Inversion]) -> list[Inversion]:
    """Inversions whose cables are named by store keys, named by cable ids instead."""
    keys = {key for i in inversions for key in (i.id, i.waiting_id) if isinstance(key, int)}
    names = load.cable_ids(store, keys)

    def named(key: str | int) -> str | int:
        return names.get(key, key) if isinstance(key, int) else key

    return [msgspec.structs.replace(i, id=named(i.id), waiting_id=named(i.waiting_id)) for i in inversions]


def finding_counts(report: AuditReport) -> dict[str, int]:
    """How many findings of each kind the report holds (zero for none), for `--fail-on`. `missing`
    counts missing deliveries and cables lost before routing (whose deliveries were never planned)."""
    dist, precedence, continuity = report.distribution, report.precedence, report.continuity
    counts = {
        "rejected_inputs": len(report.rejected_inputs),
        "missing": dist.missing + dist.lost_before_routing,
        "unexpected": dist.unexpected,
        "duplicates": dist.duplicates,
        "unresolved": dist.unresolved,
        "inversions": precedence.inversions,
        "sos": precedence.sos,
        "niact": precedence.niact.missing + precedence.niact.late,
        "ssn_gaps": continuity.ssn_gaps,
        "mcn_gaps": continuity.mcn_gaps,
        "channel_gaps": continuity.channel_gaps,
    }
    counts.update(report.consistency)
    counts.update(report.rejected)
    return counts


def report_to_json(report: AuditReport) -> bytes:
    """The report as one line of JSON."""
    return msgspec.json.encode(report)
