"""Benchmark: a thousand posts, each its own MQTT client in one process, through a private mosquitto.

Three figures, each with a baseline measured in the same run:

- connect time: `--posts` post clients (persistent sessions, QoS 1 subscriptions, 32 connecting at a
  time) against a bare loop that opens as many sockets, writes CONNECT and SUBSCRIBE and reads the
  replies, with the same concurrency and nothing else;
- memory per post client: the growth of this process's resident set while the posts are connected,
  divided by their number, against the resident set of one `mosquitto_sub` process (what one process
  per post would cost);
- deliveries/s: a replay of `--cables` circulars, each to every post (a synthetic wide topology), at
  top speed with every receipt audited, against mosquitto's own C clients (`mosquitto_pub --repeat`
  into `mosquitto_sub`, QoS 1) moving as many messages of the same size.

Usage: `python bench/many_posts.py [--posts 1000] [--cables 20]` (needs mosquitto and its clients).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from replay.engine.posts import CONNECT_CONCURRENCY, PostGroup
from replay.engine.replayer import Replayer, ReplayOptions, ReplaySummary
from replay.inputs.corpus import CableText
from replay.mqtt.broker import BrokerInfo, MosquittoBroker, find_mosquitto
from replay.mqtt.client import connect_packet, subscribe_packet
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.synth.topology import WIDE_COLLECTIVE, wide_topology

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes(pid: int | str = "self") -> int:
    """The resident set of a process (Linux /proc)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def circulars(count: int) -> list[CableText]:
    """`count` circulars from the Department to every post of the wide topology."""
    ri, name = WIDE_COLLECTIVE
    start = datetime(2008, 12, 4, 7, 0, tzinfo=UTC)
    texts = []
    for index in range(count):
        filed = start + timedelta(minutes=index)
        serial = 500 + index
        header = [
            f"RR {ri}",
            f"DE RUEHC #{serial:04d} {filed.timetuple().tm_yday:03d}{filed:%H%M}",
            "ZNR UUUUU ZZH",
            f"R {filed:%d%H%M}Z {filed:%b %y}".upper(),
            "FM SECSTATE WASHDC",
            f"TO {ri}/{name}",
        ]
        body = [f"UNCLAS STATE {serial:06d}", "", "TAGS: AMGT", f"SUBJECT: CIRCULAR {serial}", ""]
        body += [f"{n}. (U) A line of plain text that stands in for the body." for n in range(30)]
        texts.append(CableText(source=f"circular-{serial}.txt", text="\n".join([*header, "", *body]) + "\n"))
    return texts


async def connect_posts(broker: BrokerInfo, ris: list[str]) -> tuple[float, int]:
    """Seconds to connect a post group, and the resident-set growth while it is connected."""
    before = resident_bytes()
    group = PostGroup(ris, broker, lambda post, payload: None, client_prefix="bench")
    started = time.perf_counter()
    await group.start(timeout=120)
    elapsed = time.perf_counter() - started
    grown = resident_bytes() - before
    await group.stop(forget_sessions=True)
    return elapsed, grown


async def bare_connects(broker: BrokerInfo, count: int) -> float:
    """Seconds for a bare loop to open `count` connections, CONNECT and SUBSCRIBE on each."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    writers: list[asyncio.StreamWriter] = []

    async def one(number: int) -> None:
        async with gate:
            reader, writer = await asyncio.open_connection(broker.host, broker.port)
            writer.write(
                connect_packet(
                    f"bare-{number}", clean_session=True, keepalive=60, username=None, password=None
                )
            )
            await reader.readexactly(4)  # CONNACK
            writer.write(subscribe_packet(f"bare/{number}", 1, 1))
            await reader.readexactly(5)  # SUBACK
            writers.append(writer)

    started = time.perf_counter()
    await asyncio.gather(*(one(number) for number in range(count)))
    elapsed = time.perf_counter() - started
    for writer in writers:
        writer.close()
    return elapsed


def mosquitto_sub_resident(broker: BrokerInfo, processes: int = 10) -> int:
    """The mean resident set of a subscribed `mosquitto_sub` (0 when it is missing)."""
    sub = shutil.which("mosquitto_sub")
    if sub is None:
        return 0
    running = [
        subprocess.Popen(
            [sub, "-h", broker.host, "-p", str(broker.port), "-q", "1", "-t", f"rss/{number}"],
            stdout=subprocess.DEVNULL,
        )
        for number in range(processes)
    ]
    time.sleep(1.0)
    try:
        return sum(resident_bytes(process.pid) for process in running) // processes
    finally:
        for process in running:
            process.terminate()
            process.wait()


def c_clients_rate(broker: BrokerInfo, messages: int, size: int) -> float:
    """Messages/s that mosquitto_pub (QoS 1, `--repeat`) moves to mosquitto_sub; 0 when they fail."""
    pub, sub = shutil.which("mosquitto_pub"), shutil.which("mosquitto_sub")
    if pub is None or sub is None:
        return 0.0
    address = ["-h", broker.host, "-p", str(broker.port), "-q", "1", "-t", "bench/c"]
    receiver = subprocess.Popen([sub, *address, "-C", str(messages), "-W", "600"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)  # let it subscribe
    started = time.perf_counter()
    subprocess.run([pub, *address, "--repeat", str(messages), "-m", "x" * size], check=True)
    if receiver.wait(timeout=900) != 0:
        return 0.0
    return messages / (time.perf_counter() - started)


async def replay(broker: BrokerInfo, posts: int, cables: int, db: Path) -> ReplaySummary:
    """A top-speed replay of `cables` circulars to `posts` posts, every receipt audited."""
    topology = wide_topology(posts)
    store = AuditStore(db)
    run = store.start_run("many-posts", "replay", {})
    writer = StoreWriter(store)
    replayer = Replayer(writer, run, broker, ReplayOptions(timeout=120))
    try:
        await replayer.run(circulars(cables), lambda found: topology)
    finally:
        writer.close()
        store.close()
    return replayer.summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="post clients (default 1000)")
    parser.add_argument("--cables", type=int, default=20, help="circulars to every post (default 20)")
    args = parser.parse_args()
    if find_mosquitto() is None:
        sys.exit("mosquitto is not installed (make system-packages)")
    ris = sorted(ri for ri in wide_topology(args.posts).posts if ri.startswith("RZ"))
    with tempfile.TemporaryDirectory(prefix="cableroute-bench-") as tmp, MosquittoBroker() as mosquitto:
        broker = mosquitto.info
        bare_s = asyncio.run(bare_connects(broker, args.posts))
        connect_s, grown = asyncio.run(connect_posts(broker, ris))
        sub_rss = mosquitto_sub_resident(broker)
        summary = asyncio.run(replay(broker, args.posts, args.cables, Path(tmp) / "audit.sqlite"))
        size = summary.published_bytes // max(summary.published, 1)
        baseline = c_clients_rate(broker, summary.received, size)
    per_client = grown / args.posts
    print(f"{args.posts:,} post clients in one process, private mosquitto")
    print(f"connect: {connect_s:.2f} s ({args.posts / connect_s:,.0f} posts/s); bare CONNECT+SUBSCRIBE loop")
    print(f"  {bare_s:.2f} s; ratio posts / bare {connect_s / bare_s:.2f}")
    if sub_rss:
        print(
            f"memory: {per_client / 1024:,.1f} kB per post client; one mosquitto_sub process "
            f"{sub_rss / 1024:,.0f} kB; ratio {per_client / sub_rss:.3f}"
        )
    else:
        print(f"memory: {per_client / 1024:,.1f} kB per post client (no mosquitto_sub for a baseline)")
    print(
        f"replay: {summary.cables} circulars to every post, {summary.planned:,} planned, "
        f"{summary.received:,} received, {summary.missing} missing, {summary.duplicates} duplicates; "
        f"{size:,}-byte messages"
    )
    print(
        f"  {summary.replay_s:.2f} s through the broker: {summary.deliveries_per_s:,.0f} audited deliveries/s"
    )
    if baseline:
        print(
            f"  mosquitto_pub -> mosquitto_sub, same messages: {baseline:,.0f} msg/s; "
            f"ratio {summary.deliveries_per_s / baseline:.2f}"
        )
    else:
        print("  no baseline: mosquitto_pub / mosquitto_sub missing or failed")


if __name__ == "__main__":
    main()
