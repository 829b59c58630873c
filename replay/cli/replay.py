"""`cableroute replay [PATH...]`: replay cables through a real MQTT broker and record who got what.

With no PATH, the bundled example cables. With no `--broker`, a private broker is started for the
run (mosquitto when installed, else the in-process amqtt broker) and stopped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

import msgspec

from replay.cli.commands import command_help
from replay.cli.credentials import (
    add_broker_options,
    add_key_option,
    broker_from,
    key_from,
    with_client_passwords,
)
from replay.cli.progress import replay_progress
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
from replay.engine.replayer import Replayer, ReplayOptions, ReplaySummary, options_record
from replay.inputs.corpus import EXAMPLES_DIR, iter_sources
from replay.mqtt.access import ClientAccess
from replay.mqtt.broker import BrokerError, BrokerInfo, check_reachable, private_broker
from replay.mqtt.client import MqttError
from replay.store.heartbeat import keep_alive
from replay.store.queries import who_got
from replay.store.store import AuditStore, StoreError, default_db_path
from replay.store.writer import StoreWriter
from router.model import Cable
from topology.files import TopologyFileError
from topology.topology import Topology

#: The bundled example cables, replayed when no PATH is given.

#: Up to this many cables, the summary lists who received each one.
LIST_RECEIVERS_UP_TO = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `replay` command."""
    parser = subparsers.add_parser(
        "replay",
        help=command_help("replay"),
        description=(
            "Decode, order and plan the cables, then replay them through an MQTT broker: every post is "
            "its own MQTT client with a persistent session; each transmission its circuit completes is "
            "published to it at QoS 1 when its (paced) time comes. Receipts, plans and missing deliveries "
            "go to the audit store. Times accept ISO 8601 (2008-12-04T07:00Z) or Unix seconds. "
            "Exit status: 0 ok, 1 when an input, the topology or the broker failed, 2 on usage errors."
        ),
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="cable file, directory, '-' or .csv (default: the examples)"
    )
    add_run_options(parser, topology_default=LEARNED_TOPOLOGY)
    add_broker_options(parser, default=None, default_text="a private broker started for the run")
    add_key_option(parser)
    add_input_options(parser)
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed",
        type=float,
        metavar="X",
        help="pace the replay: X simulated seconds per wall-clock second (default: no pacing, top speed)",
    )
    pace.add_argument(
        "--top-speed",
        action="store_true",
        help="no pacing, as fast as the broker goes: the default, so only needed to say so explicitly",
    )
    parser.add_argument(
        "--max-gap",
        type=float,
        metavar="S",
        help="shorten idle stretches of simulated time longer than S seconds to S",
    )
    add_offline_option(parser)
    add_lossy_options(parser)
    add_fifo_option(parser)
    add_load_option(parser)
    remote = parser.add_argument_group("remote runs (--remote)")
    remote.add_argument(
        "--remote",
        action="store_true",
        help="send the run to a running `cableroute serve` on --broker, which routes it and records it; "
        "same topology, order and times as a local replay at top speed",
    )
    remote.add_argument(
        "--window",
        type=int,
        default=100,
        metavar="N",
        help="with --remote: at most N cables sent and not yet acknowledged by the router (default 100)",
    )
    remote.add_argument(
        "--resend-after",
        type=float,
        default=5.0,
        metavar="S",
        help="with --remote: send a cable again when the router has not acknowledged it in S s (default 5)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="how long to wait at the end for outstanding receipts; with --remote, how long to wait for "
        "the router to acknowledge anything before giving up (default 30)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    parser.set_defaults(handler=run)


def build_options(args: argparse.Namespace) -> ReplayOptions:
    """The replay options from the command line; raises UsageError with a clear message."""
    if args.speed is not None and not args.speed > 0:
        raise UsageError("--speed must be positive")
    if args.max_gap is not None and args.max_gap < 0:
        raise UsageError("--max-gap must not be negative")
    if args.timeout < 0:
        raise UsageError("--timeout must not be negative")
    return ReplayOptions(
        speed=None if args.top_speed else args.speed,
        max_gap=args.max_gap,
        fifo=args.fifo,
        seed=args.seed,
        timeout=args.timeout,
        lossy=parse_lossy(args.lossy),
        load=parse_load_option(args.load),
        offline=parse_offline(args.offline),
    )


def run(args: argparse.Namespace) -> int:
    """Replay the inputs and print a summary."""
    try:
        options = build_options(args)
        broker = broker_from(args)
        if args.remote and broker is None:
            raise UsageError("--remote needs --broker: the broker `cableroute serve` listens on")
        key = key_from(args, required=args.remote)
    except UsageError as error:
        return _fail(str(error), 2)
    paths = args.paths or [str(EXAMPLES_DIR)]
    if args.remote:
        assert broker is not None
        local_only = [
            name
            for name, given in (
                ("--speed", args.speed is not None),
                ("--max-gap", args.max_gap is not None),
                ("--offline", bool(args.offline)),
                ("--lossy", bool(args.lossy)),
            )
            if given
        ]
        if local_only:
            return _fail(
                f"{', '.join(local_only)} cannot be used with --remote: the router service routes at top "
                "speed, and lossy posts are set on `cableroute posts`",
                2,
            )
        if args.window < 1 or not args.resend_after > 0:
            return _fail("--window must be at least 1 and --resend-after positive", 2)
        from replay.cli.services import submit_remotely
        from replay.engine.submitter import SubmitOptions

        assert key is not None
        submit = SubmitOptions(
            fifo=args.fifo,
            load=options.load,
            window=args.window,
            resend_after=args.resend_after,
            give_up_after=args.timeout,
        )
        return submit_remotely(
            with_client_passwords(broker, key), paths, args.run, args.topology, key, submit, as_json=args.json
        )
    if broker is not None:
        try:
            check_reachable(broker)
        except BrokerError as error:
            return _fail(str(error), 1)
        return _replay(args, paths, options, broker, key)
    try:
        with private_broker() as private:
            if not private.info.keeps_offline_queues and any(w is not None for w in options.offline.values()):
                print(
                    "cableroute replay: warning: mosquitto is not installed, so the run uses the "
                    "in-process amqtt broker, which does not hand over messages queued while a post is "
                    "offline; deliveries inside --offline windows will end up missing. Install mosquitto "
                    "(make system-packages) or pass --broker for a faithful --offline.",
                    file=sys.stderr,
                )
            return _replay(args, paths, options, private.info, key, start_broker=private.start)
    except BrokerError as error:
        return _fail(f"cannot start a private broker: {error}", 1)


def _replay(
    args: argparse.Namespace,
    paths: list[str],
    options: ReplayOptions,
    broker: BrokerInfo,
    key: bytes | None,
    start_broker: Callable[[list[ClientAccess]], object] | None = None,
) -> int:
    db = args.db or default_db_path()
    try:
        store = AuditStore(db)
    except StoreError as error:
        return _fail(str(error), 1)
    except OSError as error:
        return _fail(f"cannot open {db}: {error}", 1)
    with store:
        try:
            name = store.start_run(args.run, "replay", options_record(options, paths, broker))
        except StoreError as error:
            return _fail(str(error), 2)
        writer = StoreWriter(store)
        replayer = Replayer(writer, name, broker, options, key=key, start_broker=start_broker)
        status, code = "ok", 0
        try:
            with keep_alive(store.path, name), replay_progress() as report:
                replayer.progress = report
                asyncio.run(
                    _until_terminated(
                        replayer.run(
                            iter_sources(paths, max_bytes=args.max_cable_size),
                            _topology_factory(args.topology),
                        )
                    )
                )
        except BrokerError as error:
            status, code = "failed", _fail(f"cannot start a private broker: {error}", 1)
        except (OSError, StoreError, TopologyFileError, MqttError) as error:
            status, code = "failed", _fail(str(error), 1)
        except (KeyboardInterrupt, asyncio.CancelledError):
            status, code = "interrupted", 130
        finally:
            writer.close()
        summary = replayer.summary
        summary.status = status if status != "ok" else summary.status
        if summary.published == 0 and (status == "failed" or (summary.read_errors and not summary.cables)):
            store.delete_run(name)  # nothing was sent: no run to become the latest
            _report_read_errors(replayer.read_errors)
            return _fail(f"nothing was sent, so no run was recorded ({_failure_cause(status, summary)})", 1)
        store.record_rejected_inputs(name, [(error.source, error.message) for error in replayer.read_errors])
        store.finish_run(name, summary.status, msgspec.to_builtins(summary))
        if code == 1:
            return code
        _print_summary(store, summary, replayer.cable_ids, as_json=args.json)
    _report_read_errors(replayer.read_errors)
    if code:
        return code
    return 1 if summary.read_errors else 0


def _report_read_errors(errors: Iterable[Any]) -> None:
    """One line on standard error per input that could not be read."""
    for error in errors:
        print(f"cableroute replay: cannot read {error.source}: {error.message}", file=sys.stderr)


def _failure_cause(status: str, summary: ReplaySummary) -> str:
    """Why a replay sent nothing, in a few words."""
    if status == "failed":
        return "the error above"
    return f"{summary.read_errors} unreadable input{'s' if summary.read_errors != 1 else ''}, no cable"


async def _until_terminated(work: Coroutine[Any, Any, Any]) -> Any:
    """Run `work`; SIGTERM cancels it like Ctrl-C does, so the run ends cleanly and is kept."""
    task = asyncio.current_task()
    assert task is not None
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await work


def _topology_factory(paths: list[Path]) -> Callable[[Iterable[Cable]], Topology]:
    def factory(cables: Iterable[Cable]) -> Topology:
        return topology_for(paths, cables)

    return factory


def _print_summary(store: AuditStore, summary: ReplaySummary, cable_ids: list[str], *, as_json: bool) -> None:
    """The summary on standard output: one JSON line, or a few lines and who received each cable."""
    receivers = _receivers(store, summary, cable_ids) if len(cable_ids) <= LIST_RECEIVERS_UP_TO else {}
    if as_json:
        record: dict[str, Any] = msgspec.to_builtins(summary)
        if receivers:
            record["receivers"] = receivers
        sys.stdout.write(msgspec.json.encode(record).decode() + "\n")
        return
    lines = [
        f"run {summary.run} ({summary.status}) through {summary.broker}",
        f"cables: {summary.cables} ({summary.read_errors} unreadable inputs, "
        f"{summary.duplicate_ids} duplicate ids skipped)",
        f"deliveries: {summary.planned} planned to {summary.posts} posts, {summary.received} received, "
        f"{summary.dropped} dropped, {summary.missing} missing ({summary.duplicates} duplicates counted)",
    ]
    if summary.rejected:
        refused = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in summary.rejected.items())
        lines.append(f"rejected messages: {refused} (see cableroute audit)")
    if summary.other_means or summary.unresolved:
        lines.append(
            f"addressees: {summary.other_means} by other means (ZEN), {summary.unresolved} unresolved"
        )
    if summary.replay_s > 0:
        lines.append(
            f"{summary.replay_s:.2f} s through the broker, {summary.deliveries_per_s:,.0f} deliveries/s"
        )
    for cable_id, posts in receivers.items():
        lines.append(f"{cable_id} received by {len(posts)}: {' '.join(posts)}")
    if receivers:
        lines.append(f"details: cableroute who-got {next(iter(receivers))} (add --db FILE if you gave one)")
    print("\n".join(lines))


def _receivers(store: AuditStore, summary: ReplaySummary, cable_ids: list[str]) -> dict[str, list[str]]:
    """Cable id -> posts that received it."""
    return {
        cable_id: [entry.post for entry in who_got(store, summary.run, cable_id).received]
        for cable_id in cable_ids
    }


def _fail(message: str, code: int) -> int:
    print(f"cableroute replay: {message}", file=sys.stderr)
    return code


__all__ = ["build_options", "register", "run"]
