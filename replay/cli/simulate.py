"""`cableroute simulate PATH...`: plan and run a corpus through the network in virtual time.

Writes the same audit store as `cableroute replay`, so `audit`, `who-got` and `received` work on
simulated runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from replay.cli.commands import command_help
from replay.cli.run_options import (
    LEARNED_TOPOLOGY,
    UsageError,
    add_fifo_option,
    add_input_options,
    add_load_option,
    add_lossy_options,
    add_offline_option,
    add_run_options,
    parse_load_option,
    parse_lossy,
    parse_offline,
)
from replay.cli.topology_source import topology_for
from replay.engine.simulator import Progress, Simulation, SimulationOptions, SimulationSummary, options_record
from replay.inputs.corpus import iter_source_slices
from replay.store.store import AuditStore, StoreError, default_db_path
from router.faults import parse_ri, parse_window
from router.model import Cable
from topology.files import TopologyFileError
from topology.topology import Topology


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `simulate` command."""
    parser = subparsers.add_parser(
        "simulate",
        help=command_help("simulate"),
        description=(
            "Decode, order, plan and transmit every cable on a discrete-event clock, and record the run "
            "in the audit store. Times accept ISO 8601 (2008-12-04T07:00Z) or Unix seconds; a window "
            "is START-END. Exit status: 0 ok, 1 when an input or the topology could not be read, "
            "2 on usage errors."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    add_run_options(parser, topology_default=LEARNED_TOPOLOGY)
    add_input_options(parser)
    parser.add_argument(
        "--link-rate",
        action="append",
        default=[],
        metavar="[RI:]CPS",
        help="link rate in characters/s for one post, or without RI for every post (repeatable)",
    )
    parser.add_argument(
        "--outage",
        action="append",
        default=[],
        metavar="RI@START-END",
        help="the post's circuit is down in this window; traffic queues (repeatable)",
    )
    add_fifo_option(parser)
    add_load_option(parser)
    add_lossy_options(parser)
    add_offline_option(parser)
    parser.add_argument(
        "--transmissions",
        action="store_true",
        help="also store every transmission (start time, interruptions); slower on large corpora",
    )
    parser.add_argument(
        "--workers", type=int, default=2, metavar="N", help="decoding processes (default 2; 1: none)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    parser.set_defaults(handler=run)


def parse_link_rate(text: str) -> tuple[str | None, float]:
    """`CPS` or `RI:CPS` as (RI or None, characters per second > 0)."""
    ri, colon, value = text.rpartition(":")
    try:
        rate = float(value)
    except ValueError:
        raise UsageError(f"--link-rate {text!r}: not a number of characters per second") from None
    if not rate > 0:
        raise UsageError(f"--link-rate {text!r}: the rate must be positive")
    return (parse_ri(ri) if colon else None), rate


def build_options(args: argparse.Namespace) -> SimulationOptions:
    """The simulation options from the command line; raises UsageError with a clear message."""
    options = SimulationOptions(
        fifo=args.fifo,
        seed=args.seed,
        record_sent=args.transmissions,
        lossy=parse_lossy(args.lossy),
        load=parse_load_option(args.load),
        offline=parse_offline(args.offline),
    )
    try:
        for text in args.link_rate:
            ri, rate = parse_link_rate(text)
            if ri is None:
                options.default_cps = rate
            else:
                options.link_cps[ri] = rate
        for text in args.outage:
            ri, window = parse_window(text)
            assert window is not None
            options.outages.setdefault(ri, []).append(window)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return options


def run(args: argparse.Namespace) -> int:
    """Simulate the corpus and print a summary."""
    try:
        options = build_options(args)
    except UsageError as error:
        print(f"cableroute simulate: {error}", file=sys.stderr)
        return 2
    db = args.db or default_db_path()
    try:
        store = AuditStore(db)
    except StoreError as error:
        print(f"cableroute simulate: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cableroute simulate: cannot open {db}: {error}", file=sys.stderr)
        return 1
    with store:
        name = store.start_run(args.run, "simulate", options_record(options, args.paths))
        simulation = None
        try:
            with _progress() as report:  # (no heartbeat thread: the simulation forks; its writer beats)
                simulation = Simulation(store, name, options, progress=report, workers=args.workers)
                summary = simulation.run(
                    iter_source_slices(args.paths, max_bytes=args.max_cable_size),
                    _topology_factory(args.topology),
                )
        except (OSError, TopologyFileError) as error:
            print(f"cableroute simulate: {error}", file=sys.stderr)
            if not store.cable_count(name):
                store.delete_run(name)
                print("cableroute simulate: nothing was simulated, so no run was recorded", file=sys.stderr)
            else:
                store.finish_run(name, "failed", {"error": str(error)})
            return 1
        except KeyboardInterrupt:
            store.finish_run(name, "interrupted", {})
            raise
        if summary.read_errors and not summary.cables:
            store.delete_run(name)
            _report_read_errors(simulation.read_errors)
            print("cableroute simulate: no cable could be read, so no run was recorded", file=sys.stderr)
            return 1
        store.record_rejected_inputs(
            name, [(error.source, error.message) for error in simulation.read_errors]
        )
        store.finish_run(name, "ok", msgspec.to_builtins(summary))
    _print_summary(summary, as_json=args.json)
    _report_read_errors(simulation.read_errors)
    return 1 if summary.read_errors else 0


def _report_read_errors(errors: Iterable[Any]) -> None:
    """One line on standard error per input that could not be read."""
    for error in errors:
        print(f"cableroute simulate: cannot read {error.source}: {error.message}", file=sys.stderr)


def _topology_factory(paths: list[Path]) -> Callable[[Iterable[Cable]], Topology]:
    """The topology for a run: the files, or the bundled example with what the corpus shows."""

    def factory(cables: Iterable[Cable]) -> Topology:
        return topology_for(paths, cables)

    return factory


def _print_summary(summary: SimulationSummary, *, as_json: bool) -> None:
    """The summary on standard output: one JSON line, or a few readable lines."""
    if as_json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
        return
    rate = summary.cables / summary.wall_s if summary.wall_s else 0.0
    lines = [
        f"run {summary.run}: {summary.cables} cables ({summary.read_errors} unreadable inputs, "
        f"{summary.duplicate_ids} duplicate ids skipped, {summary.untimed} without a time)",
        f"deliveries: {summary.planned} planned, {summary.received} received, {summary.dropped} dropped, "
        f"{summary.missing} missing ({summary.interrupted} transmissions were interrupted)",
        f"addressees: {summary.other_means} by other means (ZEN), {summary.unresolved} unresolved, "
        f"{summary.exempted} exempted (XMT)",
        f"{summary.wall_s:.1f} s wall clock, {rate:,.0f} cables/s",
    ]
    print("\n".join(lines))


@contextmanager
def _progress() -> Iterator[Callable[[Progress], None]]:
    """A live line on standard error when it is a terminal; a no-op otherwise."""
    if not sys.stderr.isatty():
        yield lambda report: None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), TimeElapsedColumn())
    with Bar(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("simulate", total=None)

        def report(progress: Progress) -> None:
            text = f"{progress.stage}: {progress.cables:,} cables, {progress.deliveries:,} deliveries"
            bar.update(task, description=text)

        yield report
