"""`cableroute audit [--run NAME] [--db FILE] [--json] [--html FILE] [--fail-on KINDS]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from replay.audit.cables import ContinuitySection
from replay.audit.circuits import CircuitSection
from replay.audit.html import render_html
from replay.audit.report import CORPUS_KINDS, FINDING_KINDS, AuditReport, build_report, report_to_json
from replay.cli.commands import command_help
from replay.cli.estimate import share_text
from replay.cli.queries import duration
from replay.cli.store_options import add_store_options, fail, names_topology, open_store
from replay.cli.tables import Cell, print_table
from replay.store.store import StoreError
from topology.topology import Topology


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `audit` command."""
    parser = subparsers.add_parser(
        "audit",
        help=command_help("audit"),
        description=(
            "Audit a recorded run: planned against received deliveries, precedence inversions and latency "
            "against the speed-of-service objectives, station-serial / MCN / channel-serial gaps, and header "
            "consistency. Exit status 1 when --fail-on names a kind that was found."
        ),
    )
    add_store_options(parser, topology=True)
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument(
        "--fail-on",
        metavar="KINDS",
        help="comma-separated finding kinds that make the exit status 1, or 'all': "
        + ", ".join(FINDING_KINDS),
    )
    parser.set_defaults(handler=run)


def parse_kinds(text: str | None) -> list[str]:
    """The kinds named by `--fail-on` (`all` for every kind); ValueError for an unknown one."""
    if not text:
        return []
    kinds = [word.strip().lower().replace("-", "_") for word in text.split(",") if word.strip()]
    if "all" in kinds:
        return list(FINDING_KINDS)
    unknown = [kind for kind in kinds if kind not in FINDING_KINDS]
    if unknown:
        raise ValueError(f"unknown finding kind(s) {', '.join(unknown)}; known: {', '.join(FINDING_KINDS)}")
    return kinds


def run(args: argparse.Namespace) -> int:
    """Audit a run; print it; write the HTML page; apply `--fail-on`."""
    try:
        fail_on = parse_kinds(args.fail_on)
    except ValueError as error:
        print(f"cableroute audit: {error}", file=sys.stderr)
        return 2
    topology = None
    if args.topology or args.html is not None:
        try:
            topology = names_topology(args)
        except (OSError, ValueError) as error:
            return fail("audit", f"cannot read the topology: {error}")
    try:
        with open_store(args) as store:
            name = store.resolve_run(args.run)
            report = build_report(store, name, with_timeline=args.html is not None)
            recorded = store.post_names(name)
    except StoreError as error:
        return fail("audit", str(error))
    try:
        topology = names_topology(args, recorded)
    except (OSError, ValueError) as error:
        return fail("audit", f"cannot read the topology: {error}")
    if args.html is not None:
        assert topology is not None
        try:
            args.html.write_text(render_html(report, topology), encoding="utf-8")
        except OSError as error:
            return fail("audit", f"cannot write {args.html}: {error.strerror or error}")
    if args.json:
        sys.stdout.write(report_to_json(report).decode() + "\n")
    else:
        print_report(report, topology)
    triggered = {kind: report.findings[kind] for kind in fail_on if report.findings.get(kind)}
    if triggered:
        listed = ", ".join(f"{kind} {n}" for kind, n in triggered.items())
        print(f"cableroute audit: findings present: {listed}", file=sys.stderr)
        return 1
    return 0


def print_report(report: AuditReport, names: Topology | None = None) -> None:
    """The human form of the report (post names from `names` when given)."""

    def name(ri: str) -> str:
        post = names.post(ri) if names is not None else None
        return post.name if post is not None else ""

    dist, prec, cont = report.distribution, report.precedence, report.continuity
    load = f", load factor {report.load:g}" if report.load != 1.0 else ""
    print(f"Audit of run {report.run} ({report.mode}, {report.status}{load})")
    print()
    if report.rejected_inputs:
        print(f"Inputs: {len(report.rejected_inputs)} not read as cables")
        for rejected in report.rejected_inputs[:20]:
            print(f"  {rejected.source}: {rejected.reason}")
        if len(report.rejected_inputs) > 20:
            print(f"  … {len(report.rejected_inputs) - 20} more (see --json)")
        print()
    print(
        f"Distribution: {dist.cables} cables, {dist.planned} planned deliveries, {dist.received} received, "
        f"{dist.missing} missing, {dist.duplicates} duplicates, {dist.unexpected} unexpected; "
        f"{dist.other_means} delivered by other means (ZEN), {dist.unresolved} unresolved addressees"
    )
    if dist.missing_by_post:
        worst = sorted(dist.missing_by_post.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        print_table(("post", "name", "missing"), [(ri, name(ri), n) for ri, n in worst])
    for reason, n in dist.missing_by_reason.items():
        print(f"  {n} missing: {reason}")
    if dist.submitted is not None:
        print(
            f"Submitted: {dist.submitted} cables in the submitter's ledger, "
            f"{dist.lost_before_routing} lost before routing"
        )
        for row in dist.lost_list[:20]:
            print(f"  lost  {row['cable_id']}  {row['source']}  {row['reason']}")
        if len(dist.lost_list) > 20:
            print(f"  … {len(dist.lost_list) - 20} more (see --json)")
    print()
    print(
        f"Precedence: {prec.inversions} inversions (from {prec.inversions_from}), {prec.sos} deliveries over "
        f"the speed-of-service objective; NIACT {prec.niact.planned} planned, "
        f"{prec.niact.received} received, "
        f"{prec.niact.missing} missing, {prec.niact.late} late"
    )
    print_table(
        ("precedence", "received", "p50", "p95", "max", "objective", "met"),
        [
            (
                level,
                stats.n,
                duration(stats.p50_s),
                duration(stats.p95_s),
                duration(stats.max_s),
                duration(float(stats.objective_s)),
                f"{stats.met_ratio:.1%}" if stats.met_ratio is not None else "",
            )
            for level, stats in prec.latency.items()
        ],
    )
    if prec.inversions_by_post:
        worst = sorted(prec.inversions_by_post.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        print_table(("post", "name", "inversions"), [(ri, name(ri), n) for ri, n in worst])
    print()
    print_circuits(report.circuits)
    print(
        f"Continuity of the run: {cont.channel_gaps} channel serials missing on "
        f"{len(cont.channel_series)} circuits"
    )
    print_corpus_traffic(cont)
    print()
    print("Consistency: " + ", ".join(f"{kind} {n}" for kind, n in report.consistency.items()))
    for finding in report.consistency_findings[:20]:
        print(f"  {finding.kind}  {finding.id}  {finding.detail}")
    if len(report.consistency_findings) > 20:
        print(f"  … {len(report.consistency_findings) - 20} more (see --json or --html)")
    print()
    print(
        f"Rejected messages: {sum(report.rejected.values())}"
        + "".join(f", {n} {kind.replace('_', ' ')}" for kind, n in report.rejected.items() if n)
    )
    print()
    present = [f"{kind} {n}" for kind, n in report.findings.items() if n and kind not in CORPUS_KINDS]
    print("Findings: " + (", ".join(present) if present else "none"))
    corpus = [f"{kind} {report.findings[kind]}" for kind in CORPUS_KINDS if report.findings.get(kind)]
    if corpus:
        print("Corpus gaps (cables absent from the input, the same in every run): " + ", ".join(corpus))


#: Circuits listed by the text report (the worst); `--json` and `--html` have all.
CIRCUITS_LISTED = 10


def print_circuits(section: CircuitSection) -> None:
    """Contention per circuit, worst first."""
    if not section.recorded:
        print("Circuits: no contention figures recorded for this run")
        print()
        return
    print(
        f"Circuits: {len(section.circuits)}, {section.contended} of them with a queue at some time"
        + (f" (run span {duration(section.span_s)})" if section.span_s else "")
    )
    levels = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")
    rows: list[list[Cell]] = [
        [
            row.post,
            row.transmitted,
            row.peak_queue,
            row.preemptions,
            row.interrupted,
            f"{row.utilisation:.1%}",
            *(duration(row.longest_wait.get(level)) for level in levels),
        ]
        for row in section.circuits[:CIRCUITS_LISTED]
        if row.peak_queue or row.preemptions
    ]
    if rows:
        headers = ("post", "sent", "peak queue", "preempted", "interrupted", "busy")
        print_table((*headers, *(f"wait {level}" for level in levels)), rows)
    print()


#: Station-years listed by the text report (the largest estimates); `--json` and `--html` have all.
TRAFFIC_LISTED = 10


def print_corpus_traffic(cont: ContinuitySection) -> None:
    """The input's serial gaps as what the stations really sent, apart from the run's findings."""
    if not cont.traffic:
        return
    share = cont.published / cont.estimated if cont.estimated else 0.0
    print(
        f"Corpus: {cont.published:,} cables with station serials, of about {cont.estimated:,} the stations "
        f"sent ({share_text(share)}) in {len(cont.traffic)} station-years; the rest are absent from the "
        f"input, not lost by the run ({cont.ssn_gaps:,} station serials and {cont.mcn_gaps:,} MCNs missing)"
    )
    for e in sorted(cont.traffic, key=lambda e: (-e.estimate, e.station, e.year))[:TRAFFIC_LISTED]:
        interval = f"{e.low:,}-{e.high:,}"
        print(f"  {e.station} {e.year}: {e.observed:,} published of about {e.estimate:,} (95%: {interval})")
