"""`cableroute runs`, `who-got ID` and `received RI`: questions asked of recorded runs."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import msgspec

from replay.cli.commands import command_help
from replay.cli.store_options import add_store_options, fail, names_topology, open_store
from replay.cli.tables import print_table
from replay.store.queries import (
    QueryError,
    WhoGot,
    list_runs,
    parse_level,
    received_by,
    who_got,
)
from replay.store.store import ABORTED, AuditStore, StoreError, default_db_path
from router.times import parse_time
from topology.topology import Topology

_encoder = msgspec.json.Encoder()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `runs`, `who-got` and `received` commands."""
    runs = subparsers.add_parser(
        "runs",
        help=command_help("runs"),
        description=(
            "List the runs in the audit store, oldest first, with their counts. A run whose process was "
            "killed or crashed is listed as aborted. --delete and --prune remove runs from the store."
        ),
    )
    add_store_options(runs, run=False)
    runs.add_argument("--json", action="store_true", help="one JSON object per run per line")
    removal = runs.add_mutually_exclusive_group()
    removal.add_argument("--delete", metavar="NAME", action="append", help="delete this run (repeatable)")
    removal.add_argument(
        "--prune", action="store_true", help=f"delete every run that {' or '.join(PRUNED)} (see `runs`)"
    )
    runs.set_defaults(handler=run_runs)

    who = subparsers.add_parser(
        "who-got",
        help=command_help("who-got"),
        description=(
            "Show the posts that received a cable in a run (precedence, role, latency from filing), the "
            "posts it was planned for that have no receipt, and addressees that were not sent to (ZEN, "
            "unresolved, exempted)."
        ),
    )
    who.add_argument("cable_id", metavar="ID", help="reference id, e.g. 08TOKYO3310")
    add_store_options(who, topology=True)
    who.add_argument("--json", action="store_true", help="one JSON object")
    who.set_defaults(handler=run_who_got)

    received = subparsers.add_parser(
        "received",
        help=command_help("received"),
        description="List the cables a post received in a run, in order of (simulated) receipt.",
    )
    received.add_argument("ri", metavar="RI", help="the post's routing indicator, e.g. RUEHFK")
    add_store_options(received)
    received.add_argument("--since", metavar="DATE", help="received at or after (YYYY-MM-DD[THH:MM], UTC)")
    received.add_argument("--until", metavar="DATE", help="received before (a bare date includes that day)")
    received.add_argument("--precedence", metavar="LEVEL", help="only FLASH, IMMEDIATE, PRIORITY or ROUTINE")
    received.add_argument("--json", action="store_true", help="one JSON object per cable per line")
    received.set_defaults(handler=run_received)


#: The statuses of the runs `runs --prune` deletes.
PRUNED = (ABORTED, "failed")


def run_runs(args: argparse.Namespace) -> int:
    """List runs, or delete some."""
    if args.delete or args.prune:
        return _delete_runs(args)
    try:
        with open_store(args) as store:
            listings = list_runs(store)
    except StoreError as error:
        return fail("runs", str(error))
    if args.json:
        for listing in listings:
            sys.stdout.write(_encoder.encode(listing).decode() + "\n")
        return 0
    if not listings:
        print("no runs recorded yet")
        return 0
    print_table(
        ("run", "mode", "status", "started (UTC)", "cables", "planned", "received", "missing"),
        [
            (r.name, r.mode, r.status, r.started_at, r.cables, r.planned, r.received, r.missing)
            for r in listings
        ],
    )
    return 0


def _delete_runs(args: argparse.Namespace) -> int:
    """`runs --delete NAME...` or `runs --prune`: delete runs and say which."""
    try:
        with AuditStore(args.db or default_db_path(), create=False) as store:
            status = {run.name: run.status for run in store.runs()}
            if args.prune:
                names = [name for name, state in status.items() if state in PRUNED]
            else:
                names = list(dict.fromkeys(args.delete))
                unknown = [name for name in names if name not in status]
                if unknown:
                    return fail("runs", f"no run named {', '.join(map(repr, unknown))} in {store.path}")
                going = [name for name in names if status[name] == "running"]
                if going:
                    return fail("runs", f"run {', '.join(map(repr, going))} is still running: stop it first")
            for name in names:
                store.delete_run(name)
    except StoreError as error:
        return fail("runs", str(error))
    if not names:
        print(f"nothing to prune: no {' or '.join(PRUNED)} runs")
        return 0
    kinds = Counter(status[name] for name in names)
    what = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"deleted {len(names)} run{'s' if len(names) != 1 else ''} ({what}): {', '.join(names)}")
    return 0


def run_who_got(args: argparse.Namespace) -> int:
    """Show who got a cable."""
    try:
        with open_store(args) as store:
            run = store.resolve_run(args.run)
            answer = who_got(store, run, args.cable_id)
            recorded = store.post_names(run)
    except (StoreError, QueryError) as error:
        return fail("who-got", str(error))
    if args.json:
        sys.stdout.write(_encoder.encode(answer).decode() + "\n")
        return 0
    try:
        topology = names_topology(args, recorded)
    except (OSError, ValueError) as error:
        return fail("who-got", f"cannot read the topology: {error}")
    print_who_got(answer, topology)
    return 0


def print_who_got(answer: WhoGot, topology: Topology) -> None:
    """The human form of `who-got`."""

    def name(ri: str | None) -> str:
        post = topology.post(ri) if ri else None
        return post.name if post is not None else ""

    level = answer.precedence.value if answer.precedence else "no precedence"
    print(
        f"{answer.id} in run {answer.run}: {level} from {answer.origin or '?'}, DTG {answer.dtg or '?'}; "
        f"{answer.planned} planned, {len(answer.received)} received, {len(answer.missing)} missing"
    )
    if answer.received:
        print()
        print_table(
            ("post", "name", "role", "precedence", "NIACT", "ch. serial", "latency", "received (UTC)", "dup"),
            [
                (
                    r.post,
                    name(r.post),
                    r.role if r.planned else f"{r.role} (unplanned)",
                    r.precedence.value,
                    "yes" if r.niact else "",
                    r.channel_serial,
                    duration(r.latency_s),
                    r.received_at,
                    r.duplicates or None,
                )
                for r in answer.received
            ],
            title="Received",
        )
    if answer.missing:
        print()
        print_table(
            ("post", "name", "role", "precedence", "reason"),
            [(m.post, name(m.post), m.role, m.precedence.value, m.reason) for m in answer.missing],
            title="Planned, not received",
        )
    if answer.other_means:
        print()
        print_table(
            ("addressee", "RI", "role", "post"),
            [(o.name, o.ri, o.role, o.post) for o in answer.other_means],
            title="Delivered by other means (ZEN), not sent",
        )
    if answer.unresolved:
        print()
        print_table(
            ("addressee", "RI", "role", "reason"),
            [(u.name, u.ri, u.role, u.reason) for u in answer.unresolved],
            title="Unresolved addressees",
        )
    if answer.exempted:
        print()
        print_table(("post", "name"), [(e.post, e.name) for e in answer.exempted], title="Exempted (XMT)")


def run_received(args: argparse.Namespace) -> int:
    """List what a post received."""
    try:
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until, end_of_day=True) if args.until else None
        level = parse_level(args.precedence) if args.precedence else None
    except ValueError as error:
        print(f"cableroute received: {error}", file=sys.stderr)
        return 2
    try:
        with open_store(args) as store:
            run = store.resolve_run(args.run)
            cables = received_by(store, run, args.ri, since=since, until=until, precedence=level)
            recorded = store.post_names(run)
    except (StoreError, QueryError) as error:
        return fail("received", str(error))
    if args.json:
        write = sys.stdout.write
        for cable in cables:
            write(_encoder.encode(cable).decode() + "\n")
        return 0
    noun = "cable" if len(cables) == 1 else "cables"
    ri = args.ri.strip().upper()
    post = names_topology(args, recorded).post(ri)
    label = f"{ri} {post.name}" if post is not None else ri
    print(f"{label} in run {run}: {len(cables)} {noun} received")
    if cables:
        print_table(
            ("id", "DTG (UTC)", "precedence", "role", "NIACT", "received (UTC)", "latency", "dup"),
            [
                (
                    c.id,
                    c.dtg,
                    c.precedence.value,
                    c.role,
                    "yes" if c.niact else "",
                    c.received_at,
                    duration(c.latency_s),
                    c.duplicates or None,
                )
                for c in cables
            ],
        )
    return 0


def duration(seconds: float | None) -> str:
    """A short human duration: `0.4s`, `12m 05s`, `3h 02m`, `2d 04h`."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    value = abs(seconds)
    if value < 60:
        return f"{sign}{value:.1f}s"
    whole = int(value)
    if whole < 3600:
        return f"{sign}{whole // 60}m {whole % 60:02d}s"
    if whole < 86_400:
        return f"{sign}{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{sign}{whole // 86_400}d {whole % 86_400 // 3600:02d}h"
