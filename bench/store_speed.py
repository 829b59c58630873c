"""Audit store throughput at simulator scale, and the audit over the result.

Writes N cables (default 250,000) with ten planned deliveries each, the matching transmissions and
receipts, in the batch sizes a simulated run uses; then runs `close_missing` and the full audit.
Prints rows/s per table and the totals. Usage: `python bench/store_speed.py [N] [--profile]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from replay.audit.report import build_report
from replay.store.receipt import Receipt
from replay.store.store import AuditStore
from router.deliveries import Delivery, Plan, Sent
from router.model import Addressee, Banner, Cable, PrecedencePair, Routing, Security, Station
from router.precedence import Precedence

ROOT = Path(__file__).resolve().parents[1]

POSTS = [f"RUEH{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(300)]
LEVELS = (Precedence.ROUTINE, Precedence.ROUTINE, Precedence.PRIORITY, Precedence.IMMEDIATE)
START = datetime(2008, 1, 1, tzinfo=UTC).timestamp()
PER_CABLE = 10
BATCH = 5_000


def make_cable(i: int) -> Cable:
    """Cable i: from post i mod 300, filed a minute after cable i - 1."""
    origin = POSTS[i % len(POSTS)]
    level = LEVELS[i % len(LEVELS)]
    filed = datetime.fromtimestamp(START + 60 * i, UTC)
    serial = i // len(POSTS) + 1
    return Cable(
        id=f"08{origin}{serial}",
        routing=Routing(precedence=level),
        station=Station(ri=origin, ssn=serial % 10_000, filed=filed),
        security=Security(prosign="ZNY", classification="CONFIDENTIAL"),
        precedence=PrecedencePair(action=level),
        dtg=filed,
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=level, mcn=f"{serial % 10_000:04d}"),),
        banner=Banner(classification="CONFIDENTIAL", origin=origin, mrn=f"{serial:06d}"),
        size=2_000,
    )


def traffic(i: int, cable: Cable, serials: dict[str, int]) -> tuple[Plan, list[Sent], list[Receipt]]:
    """The plan, transmissions and receipts of cable i."""
    level = cable.precedence.action or Precedence.ROUTINE
    at = START + 60 * i
    cable_id = cable.id or ""
    posts = [POSTS[(i + 7 * j) % len(POSTS)] for j in range(PER_CABLE)]
    deliveries = tuple(
        Delivery(cable_id=cable_id, post=post, role="info", precedence=level, reasons=("INFO",))
        for post in posts
    )
    sent, receipts = [], []
    for post in posts:
        serials[post] = serial = serials.get(post, 0) + 1
        sent.append(
            Sent(
                cable_id=cable_id,
                post=post,
                role="info",
                precedence=level,
                niact=False,
                channel_serial=serial,
                chars=2_000,
                scheduled_at=at,
                enqueued_at=at,
                started_at=at,
                transmitted_at=at + 20,
            )
        )
        receipts.append(
            Receipt(
                run="",
                cable_id=cable_id,
                post=post,
                role="info",
                precedence=level,
                channel_serial=serial,
                scheduled_sim=at,
                enqueued_sim=at,
                transmitted_sim=at + 20,
                received_sim=at + 20,
            )
        )
    return Plan(cable_id=cable_id, deliveries=deliveries), sent, receipts


def main() -> int:
    """Write, close, audit; print the figures."""
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    count = int(numbers[0]) if numbers else 250_000
    timings = {"cables": 0.0, "plans": 0.0, "sent": 0.0, "receipts": 0.0}
    serials: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "audit.sqlite") as store:
        run = store.start_run("bench-store", "simulate", {})
        total_started = time.perf_counter()
        for first in range(0, count, BATCH):
            cables = [make_cable(i) for i in range(first, min(count, first + BATCH))]
            made = [traffic(first + k, cable, serials) for k, cable in enumerate(cables)]
            for table, write, rows in (
                ("cables", store.record_cables, cables),
                ("plans", store.record_plans, [p for p, _, _ in made]),
                ("sent", store.record_sent, [s for _, sent, _ in made for s in sent]),
                ("receipts", store.record_receipts, [r for _, _, receipts in made for r in receipts]),
            ):
                started = time.perf_counter()
                write(run, rows)
                timings[table] += time.perf_counter() - started
        started = time.perf_counter()
        missing = store.close_missing(run, "not received")
        closing = time.perf_counter() - started
        store.finish_run(run, "ok", {})
        written = time.perf_counter() - total_started
        started = time.perf_counter()
        if "--profile" in sys.argv:
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                report = build_report(store, run)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        else:
            report = build_report(store, run)
        auditing = time.perf_counter() - started
        size = (Path(tmp) / "audit.sqlite").stat().st_size
    deliveries = count * PER_CABLE
    print(f"{count} cables, {deliveries} deliveries, {deliveries} transmissions, {deliveries} receipts")
    for table, seconds in timings.items():
        rows = count if table in ("cables", "plans") else deliveries
        unit = "cables" if table in ("cables", "plans") else "rows"
        print(f"  {table:9s} {seconds:6.2f} s  {rows / seconds:12,.0f} {unit}/s")
    print(f"  close_missing {closing:.2f} s ({missing} missing)")
    store_time = sum(timings.values()) + closing
    print(f"writing (store time only) {store_time:.2f} s; with building the rows {written:.2f} s")
    print(
        f"audit {auditing:.2f} s; store file {size / 1e6:.0f} MB; findings: {sum(report.findings.values())}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
