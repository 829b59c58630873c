"""`cableroute serve` (the router service) and `cableroute posts` (the post subscribers).

The same pieces as `cableroute replay`, run apart: `serve` takes the runs `cableroute replay
--remote` sends to `cables/in`, plans and routes them and publishes to the posts; `posts` runs the
post clients, which record receipts. Both write the audit store named by `--db`, so the two must
share it. Both print a line when ready and run until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import UTC, datetime
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
from replay.cli.progress import submit_progress
from replay.cli.run_options import (
    UsageError,
    add_fifo_option,
    add_lossy_options,
    add_run_options,
    parse_lossy,
)
from replay.cli.topology_source import topology_for
from replay.engine.posts import PostClient, PostGroup, ReceiptRecorder
from replay.engine.receipts import ReceiptCollector, ReceiptPublisher, announce_online
from replay.engine.router_service import RouterService, ServiceLimits, print_ready
from replay.engine.shards import parse_shard
from replay.engine.submitter import SubmitError, SubmitOptions, Submitter
from replay.inputs.corpus import iter_sources
from replay.mqtt.broker import BrokerInfo
from replay.mqtt.client import MqttError
from replay.mqtt.topics import CABLES_IN, is_valid_ri
from replay.store.receipt import Receipt
from replay.store.store import AuditStore, StoreError, default_db_path
from replay.store.writer import StoreWriter
from replay.store.writes import RecordDrops
from topology.files import TopologyFileError, load_topology
from topology.topology import Topology

#: Seconds a stopping `posts` process waits for the broker to acknowledge the receipts it published.
RECEIPT_FLUSH_S = 10.0

#: The broker the services use when `--broker` is not given (overridden by $CABLEROUTE_BROKER).
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `serve` and `posts` commands."""
    serve = subparsers.add_parser(
        "serve",
        help=command_help("serve"),
        description=(
            "Subscribe to cables/in (persistent session) and route every run `cableroute replay --remote` "
            "sends there, with the topology the run brings, in the order and at the times a local replay "
            "would; acknowledge each cable to the submitter and publish each completed transmission to "
            "its post. Prints a line on standard error when ready; runs until interrupted. Exit status: "
            "0 ok, 1 when the broker or store failed, 2 on usage errors."
        ),
    )
    _common(serve, topology=False)
    add_fifo_option(serve)
    serve.add_argument(
        "--settle",
        type=float,
        default=5.0,
        metavar="S",
        help="after a run's last cable, wait S seconds for receipts before recording what is missing",
    )
    limits = ServiceLimits()
    serve.add_argument(
        "--run-timeout",
        type=float,
        default=limits.run_timeout,
        metavar="S",
        help="close a run as aborted when its submitter is silent for S seconds "
        f"(default {limits.run_timeout:g})",
    )
    serve.add_argument(
        "--max-message-bytes",
        type=int,
        default=limits.max_message_bytes,
        metavar="N",
        help=f"refuse messages larger than N bytes (default {limits.max_message_bytes})",
    )
    serve.add_argument(
        "--max-pending-bytes",
        type=int,
        default=limits.max_pending_bytes,
        metavar="N",
        help="hold at most N bytes of open runs; beyond, new runs are refused and cables wait "
        f"(default {limits.max_pending_bytes})",
    )
    serve.add_argument(
        "--stop-timeout",
        type=float,
        default=limits.stop_timeout,
        metavar="S",
        help="on Ctrl-C or SIGTERM, stop within S seconds even when the broker is gone "
        f"(default {limits.stop_timeout:g})",
    )
    serve.set_defaults(handler=run_serve)

    posts = subparsers.add_parser(
        "posts",
        help=command_help("posts"),
        description=(
            "Connect one MQTT client per post (client id cableroute-post-<RI>, persistent session, topic "
            "posts/<RI>) and record a receipt for everything that arrives. The posts are those of "
            "--topology (the topology the runs route with; `cableroute topology learn PATH -o FILE` writes "
            "the one a replay of PATH would learn) or of --only. Prints a line on standard error when "
            "ready; runs until interrupted. Exit status: 0 ok, 1 when the broker, store or topology "
            "failed, 2 on usage errors."
        ),
    )
    _common(posts)
    posts.add_argument("--only", metavar="RI,...", help="only these posts")
    posts.add_argument(
        "--shard",
        metavar="I/N",
        help=(
            "host share I of N of the posts (the sorted list's every Nth, from the Ith): N processes with "
            "shards 1/N to N/N and the same topology host every post exactly once"
        ),
    )
    add_lossy_options(posts)
    posts.set_defaults(handler=run_posts)


def _common(parser: argparse.ArgumentParser, *, topology: bool = True) -> None:
    add_broker_options(parser, default=DEFAULT_BROKER, default_text=DEFAULT_BROKER)
    add_key_option(parser)
    if topology:
        add_run_options(parser, run=False, topology_default="none: name it, or the posts with --only")
    else:
        parser.add_argument("--db", type=Path, metavar="FILE", help="audit store (default: user data dir)")


def _broker_and_key(args: argparse.Namespace) -> tuple[BrokerInfo, bytes]:
    """The broker and the deployment's key from the command line and environment; UsageError."""
    broker = broker_from(args)
    if broker is None:
        raise UsageError("no broker: pass --broker URL or set $CABLEROUTE_BROKER")
    key = key_from(args, required=True)
    assert key is not None
    return with_client_passwords(broker, key), key


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"cableroute {command}: {message}", file=sys.stderr)
    return code


async def _until_signalled(work: asyncio.Future[object], stop: asyncio.Event) -> None:
    """Set `stop` on SIGINT or SIGTERM, then wait for `work` to finish."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    await work


def run_serve(args: argparse.Namespace) -> int:
    """Run the router service until interrupted."""
    try:
        broker, key = _broker_and_key(args)
        limits = ServiceLimits(
            max_message_bytes=_positive(args.max_message_bytes, "--max-message-bytes"),
            max_pending_bytes=_positive(args.max_pending_bytes, "--max-pending-bytes"),
            run_timeout=_positive(args.run_timeout, "--run-timeout"),
            stop_timeout=_positive(args.stop_timeout, "--stop-timeout"),
        )
    except ValueError as error:
        return _fail("serve", str(error), 2)
    try:
        store = AuditStore(args.db or default_db_path())
    except (OSError, StoreError) as error:
        return _fail("serve", str(error))

    async def main() -> None:
        stop = asyncio.Event()
        ready = asyncio.Event()
        collector = ReceiptCollector(broker, store, writer, key)
        service = RouterService(
            broker,
            store,
            writer,
            key,
            fifo=args.fifo,
            settle=args.settle,
            limits=limits,
            connected=collector.connected,
        )
        await collector.start()
        work: asyncio.Future[object] = asyncio.ensure_future(service.run(stop, ready))
        announce = asyncio.ensure_future(ready.wait())
        announce.add_done_callback(
            lambda _: print_ready("serve", broker, f"taking runs on {CABLES_IN}, audit store {store.path}")
        )
        try:
            await _until_signalled(work, stop)
        finally:
            announce.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(collector.stop(), limits.stop_timeout)
        counts = service.counts
        rejected = ", ".join(f"{count} {kind}" for kind, count in sorted(service.rejected.items()))
        print(
            f"cableroute serve: {counts.runs} runs, {counts.cables} cables routed, {counts.published} "
            f"transmissions published; refused {counts.refused} ({counts.oversize} too large), "
            f"{counts.deferred} deferred, {counts.expired} runs expired; rejected: {rejected or 'none'}",
            file=sys.stderr,
        )

    with store:
        writer = StoreWriter(store)
        try:
            asyncio.run(main())
        except MqttError as error:
            return _fail("serve", str(error))
        finally:
            writer.close()
    return 0


def _positive(value: float, option: str) -> Any:
    if not value > 0:
        raise UsageError(f"{option} must be positive, not {value}")
    return value


class _KnownRuns:
    """Passes on receipts of runs the store knows; counts and drops the others. Rejected messages
    are recorded with the run they name when the store knows it (else only logged and counted)."""

    def __init__(self, writer: StoreWriter, store: AuditStore) -> None:
        self.writer = writer
        self.store = store
        self.known: set[str] = set()
        self.unknown = 0

    def _known(self, run: str) -> bool:
        if run not in self.known:
            try:
                self.store.run_id(run)
            except StoreError:
                self.unknown += 1
                return False
            self.known.add(run)
        return True

    def submit_receipt(self, receipt: Receipt) -> None:
        """Record a receipt of a known run."""
        if self._known(receipt.run):
            self.writer.submit_receipt(receipt)

    def submit_rejected(self, run: str | None, kind: str, post: str) -> None:
        """Record one rejected message with the run it names (when the store knows that run)."""
        if run is not None:
            self.writer.submit_rejected(run, kind)

    def submit_drop(self, run: str, cable_id: str, post: str) -> None:
        """Record at once that a lossy post dropped a delivery of a known run."""
        if self._known(run):
            self.writer.submit(RecordDrops(run, [(cable_id, post)]))


def _posts_of(args: argparse.Namespace, topology: Topology | None) -> list[str]:
    """The posts this process hosts: `--only`'s or the topology's, and of those `--shard`'s share."""
    if args.only:
        posts = [ri.strip().upper() for ri in args.only.split(",") if ri.strip()]
    else:
        posts = sorted(topology.posts) if topology is not None else []
    return parse_shard(args.shard).posts(posts) if args.shard else posts


def run_posts(args: argparse.Namespace) -> int:
    """Run the post subscribers until interrupted: receipts go over the broker to the recorder in
    `serve`, or, with `--db`, straight into that audit store."""
    try:
        broker, key = _broker_and_key(args)
        lossy = parse_lossy(args.lossy)
        if args.shard:
            parse_shard(args.shard)
        if not args.topology and not args.only:
            raise UsageError(
                "name the posts to run: --topology FILE (the topology the runs route with; "
                "`cableroute topology learn PATH -o FILE` writes one from a corpus) or --only RI,..."
            )
        topology = load_topology(args.topology) if args.topology else None
        posts = _posts_of(args, topology)
    except ValueError as error:
        return _fail("posts", str(error), 2)
    except (OSError, TopologyFileError) as error:
        return _fail("posts", str(error))
    bad = [ri for ri in posts if not is_valid_ri(ri)]
    if bad or not posts:
        return _fail("posts", f"not routing indicators: {', '.join(bad)}" if bad else "no posts to run", 2)
    if args.db is None:
        return _run_posts(args, broker, key, posts, lossy, None)
    try:
        store = AuditStore(args.db)
    except (OSError, StoreError) as error:
        return _fail("posts", str(error))
    with store:
        return _run_posts(args, broker, key, posts, lossy, store)


def _run_posts(
    args: argparse.Namespace,
    broker: BrokerInfo,
    key: bytes,
    posts: list[str],
    lossy: dict[str, float],
    store: AuditStore | None,
) -> int:
    """The posts, recording into `store`, or publishing their receipts when it is None."""
    clients: dict[str, PostClient] = {}
    writer = StoreWriter(store) if store is not None else None
    sink: _KnownRuns | ReceiptPublisher
    sink = (
        _KnownRuns(writer, store)
        if writer is not None and store is not None
        else ReceiptPublisher(clients, key)
    )

    async def main() -> None:
        stop = asyncio.Event()
        recorder = ReceiptRecorder(
            None,
            sink,
            key,
            lossy=lossy,
            seed=args.seed,
            on_drop=sink.submit_drop,
            on_reject=sink.submit_rejected,
        )
        group = PostGroup(posts, broker, recorder)
        clients.update(group.posts)
        for client in group.posts.values():
            announce_online(client, key)
        await group.start()
        share = f" (shard {args.shard})" if args.shard else ""
        where = f"audit store {store.path}" if store is not None else "receipts over the broker"
        print_ready("posts", broker, f"{len(group)} posts{share} connected, {where}")
        try:
            await _until_signalled(asyncio.ensure_future(stop.wait()), stop)
        finally:
            await asyncio.gather(*(post.flush(RECEIPT_FLUSH_S) for post in group.posts.values()))
            await group.stop()
        rejected = ", ".join(f"{count} {kind}" for kind, count in recorder.rejected_by_kind().items())
        print(
            f"cableroute posts: {recorder.received} received, {recorder.duplicates} duplicates, "
            f"{len(recorder.drops)} dropped, rejected: {rejected or 'none'}",
            file=sys.stderr,
        )

    try:
        asyncio.run(main())
    except MqttError as error:
        return _fail("posts", str(error))
    finally:
        if writer is not None:
            writer.close()
    return 0


def submit_remotely(
    broker: BrokerInfo,
    paths: list[str],
    run: str | None,
    topology_paths: list[Path],
    key: bytes,
    options: SubmitOptions,
    *,
    as_json: bool = False,
) -> int:
    """`cableroute replay --remote`: send the inputs as one run, sealed with the deployment's `key`, to
    the router service on the broker and print the router's outcome. Exit status 0 when every cable
    was routed, else 1."""
    name = run or datetime.now(UTC).strftime("remote-%Y%m%d-%H%M%S")
    submitter = Submitter(broker, name, key, options)
    try:
        submitter.prepare(iter_sources(paths), lambda cables: topology_for(topology_paths, cables))
    except (OSError, TopologyFileError) as error:
        return _fail("replay", str(error))
    try:
        with submit_progress() as report:
            submitter.progress = report
            summary = asyncio.run(submitter.run())
    except (MqttError, SubmitError) as error:
        return _fail("replay", str(error))
    for unreadable in submitter.read_errors:
        print(f"cableroute replay: cannot read {unreadable.source}: {unreadable.message}", file=sys.stderr)
    for source, reason in summary.refused.items():
        print(f"cableroute replay: the router refused {source}: {reason}", file=sys.stderr)
    if as_json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    else:
        print(
            f"run {summary.run} ({summary.status}) through the router on {summary.broker}\n"
            f"cables: {summary.cables} sent ({summary.read_errors} unreadable inputs, "
            f"{summary.duplicate_ids} duplicate ids skipped, {summary.resent} sent again), "
            f"{summary.routed} routed, {summary.lost_before_routing} lost before routing\n"
            f"deliveries: {summary.planned} planned, {summary.published} published to the posts "
            f"(receipts: cableroute audit --run {summary.run})"
        )
    ok = summary.status == "ok" and not summary.read_errors
    return 0 if ok else 1
