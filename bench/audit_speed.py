"""How long `cableroute audit` takes over a run of the whole shared corpus (target: under 3 s).

The run is built here, without a broker: the corpus is decoded, planned against the default topology
(the bundled example layered with what the corpus teaches), sent through the virtual-time network,
and every transmission is recorded as sent and received. Then the audit is timed, with and without
the HTML page. Usage: `python bench/audit_speed.py [CORPUS_DIR]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from replay.audit.html import render_html
from replay.audit.report import build_report, report_to_json
from replay.cli.topology_source import topology_for
from replay.inputs.corpus import CableText, iter_sources
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from router.decoder import decode
from router.deliveries import Sent
from router.network import Network
from router.order import cable_time, replay_order
from router.planner import plan

ROOT = Path(__file__).resolve().parents[1]

CORPUS = ROOT.parent / "shared" / "corpus" / "cables"


def receipts_for(run: str, sent: list[Sent]) -> list[Receipt]:
    """Each transmission received the moment it completes."""
    return [
        Receipt(
            run=run,
            cable_id=s.cable_id,
            post=s.post,
            role=s.role,
            precedence=s.precedence,
            niact=s.niact,
            channel_serial=s.channel_serial,
            scheduled_sim=s.scheduled_at,
            enqueued_sim=s.enqueued_at,
            transmitted_sim=s.transmitted_at,
            received_sim=s.transmitted_at,
        )
        for s in sent
    ]


def record_corpus_run(store: AuditStore, corpus: Path) -> tuple[str, int, int]:
    """A complete run of the corpus; returns the run name, cables and planned deliveries."""
    cables = [
        decode(item.text, item.source) for item in iter_sources([str(corpus)]) if isinstance(item, CableText)
    ]
    topology = topology_for([], cables)
    run = store.start_run("bench-corpus", "simulate", {"inputs": [str(corpus)]})
    store.record_cables(run, cables)
    network = Network(topology)
    plans, sent = [], []
    clock = None
    seen: set[str] = set()
    for cable in replay_order(cables):
        result = plan(cable, topology)
        if result.cable_id in seen:
            continue
        seen.add(result.cable_id)
        at = cable_time(cable)
        clock = at if at is not None else clock if clock is not None else 0.0
        sent.extend(network.advance(clock))
        network.inject(result, cable.size, clock)
        plans.append(result)
    sent.extend(network.drain())
    store.record_plans(run, plans)
    store.record_sent(run, sent)
    store.record_receipts(run, receipts_for(run, sent))
    store.close_missing(run, "not received")
    store.finish_run(run, "ok", {})
    return run, len(cables), sum(len(p.deliveries) for p in plans)


def main() -> int:
    """Build the run, then time the audit."""
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    if not corpus.is_dir():
        print(f"bench/audit_speed.py: no corpus at {corpus}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "audit.sqlite") as store:
        started = time.perf_counter()
        run, cables, planned = record_corpus_run(store, corpus)
        elapsed = time.perf_counter() - started
        print(f"run recorded: {cables} cables, {planned} planned deliveries in {elapsed:.2f} s")
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            report = build_report(store, run)
            report_to_json(report)
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        html = render_html(build_report(store, run, with_timeline=True))
        with_html = time.perf_counter() - started
    best = min(timings)
    print(
        f"audit --json over the whole corpus: {best:.2f} s (best of 3; target < 3 s, "
        f"{'met' if best < 3 else 'MISSED'}); with --html: {with_html:.2f} s ({len(html) // 1024} KiB page)"
    )
    print(f"findings: {', '.join(f'{k} {v}' for k, v in report.findings.items() if v)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
