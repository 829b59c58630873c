"""Replay throughput: audited deliveries per second through a real mosquitto, against its C clients.

Replays the shared corpus (or `--synthetic N` generated cables) at top speed through a private
mosquitto: every post its own MQTT client, every receipt written to a fresh audit store. The rate is
receipts in the store per second, from the first publish until the last receipt is written. In the
same run, mosquitto's own C clients (`mosquitto_pub --repeat` into `mosquitto_sub`, QoS 1) move the same
number of messages of the same average size through a fresh broker; the ratio of the two is printed,
with the load average before and after (other work on the machine slows the C clients far more than
the replay).

Usage: `python bench/replay_throughput.py [CORPUS_DIR] [--synthetic N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from replay.cli.topology_source import topology_for
from replay.engine.replayer import Replayer, ReplayOptions, ReplaySummary
from replay.inputs.corpus import CableText, ReadError, iter_sources
from replay.mqtt.broker import MosquittoBroker, find_mosquitto
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.model import Cable
from topology.topology import Topology

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "cables"


def corpus_items(
    args: argparse.Namespace,
) -> tuple[list[CableText | ReadError], Callable[[Iterable[Cable]], Topology], str]:
    """The cables to replay, the topology for them, and a label."""
    if args.synthetic:
        from router.synth.corpus import synth_cables
        from router.synth.topology import synthetic_topology

        topology = synthetic_topology(args.seed)
        cables = synth_cables(args.synthetic, seed=args.seed, topology=topology)
        items: list[CableText | ReadError] = [CableText(source=f"{c.id}.txt", text=c.text) for c in cables]
        return items, lambda decoded: topology, f"{args.synthetic:,} synthetic cables"
    path = Path(args.corpus) if args.corpus else CORPUS
    if not path.exists():
        sys.exit(f"no corpus at {path}; pass a directory or --synthetic N")
    return list(iter_sources([str(path)])), lambda decoded: topology_for([], decoded), str(path)


async def replay(items: list[CableText | ReadError], factory: Callable, db: Path) -> ReplaySummary:
    """One top-speed replay through a private mosquitto into the store at `db`."""
    with MosquittoBroker() as broker:
        store = AuditStore(db)
        run = store.start_run("bench", "replay", {})
        writer = StoreWriter(store)
        replayer = Replayer(writer, run, broker.info, ReplayOptions(timeout=120))
        try:
            await replayer.run(items, factory)
        finally:
            writer.close()
            store.close()
        return replayer.summary


def c_clients_rate(messages: int, size: int) -> float:
    """Messages/s that mosquitto_pub (QoS 1, `--repeat`) moves to mosquitto_sub; 0 when they fail."""
    pub, sub = shutil.which("mosquitto_pub"), shutil.which("mosquitto_sub")
    if pub is None or sub is None:
        return 0.0
    with MosquittoBroker() as broker:
        address = ["-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-t", "bench/c"]
        receiver = subprocess.Popen(
            [sub, *address, "-C", str(messages), "-W", "600"], stdout=subprocess.DEVNULL
        )
        time.sleep(0.5)  # let it subscribe
        started = time.perf_counter()
        subprocess.run([pub, *address, "--repeat", str(messages), "-m", "x" * size], check=True)
        if receiver.wait(timeout=900) != 0:
            return 0.0
        elapsed = time.perf_counter() - started
    return messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", help="corpus directory (default: ../shared/corpus/cables)")
    parser.add_argument("--synthetic", type=int, metavar="N", help="replay N generated cables instead")
    parser.add_argument("--seed", type=int, default=1, help="seed for --synthetic (default 1)")
    args = parser.parse_args()
    if find_mosquitto() is None:
        sys.exit("mosquitto is not installed (make mosquitto)")
    items, factory, label = corpus_items(args)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cableroute-bench-") as tmp:
        summary = asyncio.run(replay(items, factory, Path(tmp) / "audit.sqlite"))
    size = summary.published_bytes // max(summary.published, 1)
    rate = summary.deliveries_per_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"replay of {label}: {summary.cables:,} cables, {summary.planned:,} planned deliveries")
    print(f"  to {summary.posts} posts, each its own MQTT client")
    print(
        f"  received {summary.received:,}, missing {summary.missing:,}, duplicates {summary.duplicates:,}; "
        f"average message {size:,} bytes"
    )
    print(f"  {summary.replay_s:.2f} s through the broker: {rate:,.0f} audited deliveries/s (target 5,000)")
    print(f"  whole run {summary.wall_s:.2f} s (reading, decoding, planning included)")
    print(f"  peak RSS {peak_mb:,.0f} MB")
    baseline = c_clients_rate(summary.received, size)
    if baseline:
        print(f"mosquitto_pub -> mosquitto_sub, {summary.received:,} messages of {size:,} bytes:")
        print(f"  {baseline:,.0f} msg/s")
        print(f"ratio replay / C clients: {rate / baseline:.2f}")
    else:
        print("no baseline: mosquitto_pub / mosquitto_sub missing or failed")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
