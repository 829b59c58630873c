"""Audit store throughput at simulator scale, and the audit over the result.

Writes N cables (default 250,000) with ten planned deliveries each, the matching transmissions and
receipts, in the batch sizes a simulated run uses; then runs `close_missing` and the full audit.
Prints rows/s per table and the totals. Usage: `python bench/store_speed.py [N] [--profile]`.

`--pass2 CSV TOML [--faults] [--baseline DIR] [--runs N]`: the store writer's pass 2 of a real run
instead. `cableroute simulate` runs once per tree with every request it sends to the writer process kept
(the tree's own msgpack); then, in a fresh process per run, the requests of pass 1 are applied to a new
store and those of pass 2 (delivery and receipt rows, plans, drops, transmissions) timed as the writer
process applies them (the same pragmas, adapters, no cycle collector), this tree and the baseline (a
checkout with its own `.venv`) in turn. Prints the CPU time (user + system, `getrusage`) of each run,
the medians and their ratio. `--apply CAPTURE DB [FIRST LAST]` applies one capture (pass-2 requests
FIRST to LAST only), e.g. under `valgrind --tool=callgrind`, against `--apply CAPTURE DB 0 0`.
`--apply-cables CAPTURE DB [COUNT]` applies the capture's cable-row requests instead (the first COUNT,
all by default; pass 1's part of the writer's work), decoding included, and prints their CPU seconds
(under callgrind against `--apply-cables CAPTURE DB 0`).
"""

from __future__ import annotations

import os
import pickle
import resource
import statistics
import subprocess
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


#: `--faults`: the options of a run with lossy and offline posts and its transmissions stored.
FAULTS = [
    "--lossy",
    "RUEHC:0.2",
    "--offline",
    "RUEHFK",
    "--load",
    "50",
    "--link-rate",
    "30",
    "--transmissions",
]


def _capture(out: str, arguments: list[str]) -> None:
    """Run `cableroute simulate` with `arguments`, keeping each request sent to the store writer process
    and whether pass 1 had ended when it was sent (`(pass, blob)` pairs, pickled to `out`)."""
    from replay.cli import main as cli
    from replay.engine.simulator import Simulation
    from replay.store.process import StoreProcess

    captured: list[tuple[int, bytes]] = []
    phase = [1]
    send, report = StoreProcess._send, Simulation._report_ingest

    def keeping_send(self: StoreProcess, write: object) -> None:
        captured.append((phase[0], self._encoder.encode(write)))
        send(self, write)  # type: ignore[arg-type]

    def marking_report(self: Simulation, *args: object) -> None:
        phase[0] = 2
        report(self, *args)  # type: ignore[arg-type]

    StoreProcess._send, Simulation._report_ingest = keeping_send, marking_report  # type: ignore[method-assign, assignment]
    if cli(["simulate", *arguments]) != 0:
        sys.exit("simulate failed")
    Path(out).write_bytes(pickle.dumps(captured))


def _apply(capture: str, db: str, first: int = 0, last: int | None = None) -> None:
    """Apply a capture to a new store as the writer process does; print pass 2's CPU seconds. Cable
    rows go first (the cable rows gathered at the end of pass 1 are sent with pass 2's first request)."""
    import msgspec

    from replay.store.writes import ProcessWrite, RecordCableRows

    decoder = msgspec.msgpack.Decoder(ProcessWrite)
    setup: list[ProcessWrite] = []
    timed: list[bytes] = []
    for phase, blob in pickle.loads(Path(capture).read_bytes()):
        write = decoder.decode(blob)
        if phase == 1 or isinstance(write, RecordCableRows):
            setup.append(write)
        else:
            timed.append(blob)
    timed = timed[first:last]
    store = _writer_store(db, setup[0].run)
    for write in setup:
        write.apply(store)
    del setup
    started = resource.getrusage(resource.RUSAGE_SELF)
    for blob in timed:
        decoder.decode(blob).apply(store)
    cpu, system = _cpu_since(started)
    store.close()
    print(f"{cpu:.3f} {system:.3f} {len(timed)}")


def _apply_cables(capture: str, db: str, count: int | None = None) -> None:
    """Apply the cable-row requests of a capture to a new store as the writer process does, the first
    `count` of them; print their CPU seconds, the requests and the rows."""
    import msgspec

    from replay.store.writes import ProcessWrite, RecordCableRows

    decoder = msgspec.msgpack.Decoder(ProcessWrite)
    requests = [blob for _, blob in pickle.loads(Path(capture).read_bytes())]
    timed = [blob for blob in requests if isinstance(decoder.decode(blob), RecordCableRows)][:count]
    store = _writer_store(db, decoder.decode(requests[0]).run)
    rows = 0
    started = resource.getrusage(resource.RUSAGE_SELF)
    for blob in timed:
        rows += decoder.decode(blob).apply(store)
    cpu, system = _cpu_since(started)
    store.close()
    print(f"{cpu:.3f} {system:.3f} {len(timed)} {rows}")


def _writer_store(db: str, run: str) -> AuditStore:
    """A new store at `db` with `run` started, opened as the writer process opens it: its adapters and
    checkpoint interval, no cycle collector."""
    import gc

    from replay.store import process

    with AuditStore(Path(db)) as store:
        store.start_run(run, "simulate", {})
    gc.disable()
    getattr(process, "_bind_none_and_bytes_as_they_are", lambda: None)()  # (not in older trees)
    store = AuditStore(Path(db), create=False)
    store.connection.execute(f"PRAGMA wal_autocheckpoint={process.CHECKPOINT_PAGES}")
    return store


def _cpu_since(started: resource.struct_rusage) -> tuple[float, float]:
    """CPU seconds of this process since `started` (user and system, then system alone)."""
    ended = resource.getrusage(resource.RUSAGE_SELF)
    user, system = ended.ru_utime - started.ru_utime, ended.ru_stime - started.ru_stime
    return user + system, system


def _in_tree(tree: Path, *args: str) -> str:
    """This script's `args` run with the tree's own Python, from the tree (so that it imports the tree)."""
    python = tree / ".venv" / "bin" / "python"
    command = [str(python), str(Path(__file__).resolve()), *args]
    done = subprocess.run(command, cwd=tree, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def pass2(arguments: list[str]) -> int:
    """`--pass2 CSV TOML [--faults] [--baseline DIR] [--runs N]`: see the module's docstring."""
    csv, toml = arguments[0], arguments[1]
    baseline = Path(arguments[arguments.index("--baseline") + 1]) if "--baseline" in arguments else None
    runs = int(arguments[arguments.index("--runs") + 1]) if "--runs" in arguments else 3
    options = ["--topology", toml, "--run", "bench", "--workers", "2"] + (FAULTS * ("--faults" in arguments))
    trees = {"this": ROOT} | ({"baseline": baseline.resolve()} if baseline else {})
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as scratch:
        captures = {name: str(Path(scratch) / f"{name}.pickle") for name in trees}
        for name, tree in trees.items():
            kept = str(Path(scratch) / f"capture-{name}.sqlite")
            _in_tree(tree, "--capture", captures[name], csv, *options, "--db", kept)
        for run in range(1, runs + 1):
            for name, tree in reversed(trees.items()):
                db = Path(scratch) / f"{name}-{run}.sqlite"
                seconds, system, requests = _in_tree(tree, "--apply", captures[name], str(db)).split()
                for path in Path(scratch).glob(f"{name}-{run}.sqlite*"):
                    os.unlink(path)
                cpu[name].append(float(seconds))
                print(
                    f"run {run} {name:8}: {float(seconds):6.3f} s CPU ({system} s system), {requests} writes"
                )
    medians = {name: statistics.median(times) for name, times in cpu.items()}
    ratio = f", this / baseline {medians['this'] / medians['baseline']:.3f}" if baseline else ""
    print("medians: " + ", ".join(f"{name} {median:.3f} s CPU" for name, median in medians.items()) + ratio)
    return 0


def main() -> int:
    """Write, close, audit; print the figures."""
    if sys.argv[1:2] == ["--capture"]:
        _capture(sys.argv[2], sys.argv[3:])
        return 0
    if sys.argv[1:2] == ["--apply"]:
        bounds = [int(arg) for arg in sys.argv[4:6]]
        _apply(sys.argv[2], sys.argv[3], *bounds)
        return 0
    if sys.argv[1:2] == ["--apply-cables"]:
        _apply_cables(sys.argv[2], sys.argv[3], *[int(arg) for arg in sys.argv[4:5]])
        return 0
    if sys.argv[1:2] == ["--pass2"]:
        return pass2(sys.argv[2:])
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
