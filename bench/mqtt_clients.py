"""Benchmark: hundreds of post clients in one process, the project's MQTT client against gmqtt.

The question it answers: would a maintained asyncio MQTT client carry the replay's post side as fast
as the project's own 3.1.1 client? Each round starts a private mosquitto, connects `--posts` clients
in one asyncio process (persistent sessions, QoS 1 subscriptions to `posts/<n>`), and a publisher in
another process sends `--per-post` messages of `--size` bytes to every post at QoS 1. The figure is
messages received per second from the first publish to the last message in, and the CPU time the
clients' process spent per message (the figure that does not depend on which process is the
bottleneck). The two clients take
turns (A B A B ...) so that a drift in the machine's speed hits both; the ratio is taken per pair.

Usage: `python bench/mqtt_clients.py [--posts 200] [--per-post 100] [--size 600] [--rounds 3]`
(needs mosquitto and `pip install gmqtt`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from typing import NamedTuple

from replay.mqtt.broker import BrokerInfo, MosquittoBroker
from replay.mqtt.client import open_connection


async def _own_clients(broker: BrokerInfo, posts: int, on_message) -> list:
    """`posts` clients of the project's own connection class, each subscribed to its topic."""
    clients = []
    for number in range(posts):
        connection = await open_connection(
            broker, f"bench-post-{number}", clean_session=False, on_message=on_message
        )
        await connection.subscribe(f"posts/{number}", 1)
        clients.append(connection)
    return clients


async def _close_own(clients: list) -> None:
    await asyncio.gather(*(client.disconnect() for client in clients))


async def _gmqtt_clients(broker: BrokerInfo, posts: int, on_message) -> list:
    """`posts` gmqtt clients, each subscribed to its topic (acknowledging after the handler ran)."""
    from gmqtt import Client
    from gmqtt.mqtt.constants import MQTTv311

    def handler(_client, topic, payload, _qos, _properties) -> int:
        on_message(topic, payload)
        return 0

    clients = []
    for number in range(posts):
        client = Client(f"bench-post-{number}", clean_session=False, optimistic_acknowledgement=False)
        client.on_message = handler
        await client.connect(broker.host, broker.port, version=MQTTv311, keepalive=60)
        client.subscribe(f"posts/{number}", qos=1)
        clients.append(client)
    await asyncio.sleep(0.5)  # gmqtt's subscribe does not wait for the SUBACK
    return clients


async def _close_gmqtt(clients: list) -> None:
    await asyncio.gather(*(client.disconnect() for client in clients))


class Round(NamedTuple):
    """What one round measured."""

    connect_s: float  # to connect and subscribe every client
    rate: float  # messages received per second
    cpu_us: float  # CPU time of the clients' process per message received, in microseconds


async def _round(kind: str, broker: BrokerInfo, posts: int, per_post: int, size: int) -> Round:
    """One round of `kind` clients."""
    expected = posts * per_post
    received = 0
    done = asyncio.Event()

    def on_message(_topic: str, _payload: bytes) -> None:
        nonlocal received
        received += 1
        if received == expected:
            done.set()

    started = time.perf_counter()
    if kind == "own":
        clients = await _own_clients(broker, posts, on_message)
    else:
        clients = await _gmqtt_clients(broker, posts, on_message)
    connected = time.perf_counter() - started
    publisher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-P",
        __file__,
        "--publish",
        broker.host,
        str(broker.port),
        str(posts),
        str(per_post),
        str(size),
        stdout=subprocess.PIPE,
    )
    first_publish = float((await publisher.stdout.readline()).decode())  # type: ignore[union-attr]
    cpu_started = time.process_time()
    await asyncio.wait_for(done.wait(), 600)
    rate = expected / (time.time() - first_publish)
    cpu_us = (time.process_time() - cpu_started) / expected * 1e6
    await publisher.wait()
    await (_close_own(clients) if kind == "own" else _close_gmqtt(clients))
    return Round(connected, rate, cpu_us)


async def _publish(host: str, port: int, posts: int, per_post: int, size: int) -> None:
    """The publisher process: every message at QoS 1, at most 1,000 unacknowledged."""
    broker = BrokerInfo(host=host, port=port, kind="mosquitto", keeps_offline_queues=True)
    window = asyncio.Semaphore(1000)
    acked = 0
    all_acked = asyncio.Event()
    total = posts * per_post

    def on_ack(_mid: int) -> None:
        nonlocal acked
        acked += 1
        window.release()
        if acked == total:
            all_acked.set()

    connection = await open_connection(
        broker, f"bench-publisher-{os.getpid()}", clean_session=True, on_ack=on_ack
    )
    payload = b"x" * size
    print(time.time(), flush=True)
    for round_ in range(per_post):
        for number in range(posts):
            await window.acquire()
            connection.publish(f"posts/{number}", payload, 1)
        del round_
    await all_acked.wait()
    await connection.disconnect()


def main() -> int:
    """Run the rounds and print each client's figures and the ratio."""
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        host, port, posts, per_post, size = sys.argv[2], *map(int, sys.argv[3:7])
        asyncio.run(_publish(host, port, posts, per_post, size))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="post clients in the process")
    parser.add_argument("--per-post", type=int, default=100, help="messages to each post")
    parser.add_argument("--size", type=int, default=600, help="payload bytes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each client")
    args = parser.parse_args()
    try:
        import gmqtt
    except ImportError:
        print("gmqtt is not installed: pip install gmqtt", file=sys.stderr)
        return 1
    figures: dict[str, list[Round]] = {"own": [], "gmqtt": []}
    for _ in range(args.rounds):
        for kind in ("own", "gmqtt"):
            with MosquittoBroker() as broker:
                figures[kind].append(
                    asyncio.run(_round(kind, broker.info, args.posts, args.per_post, args.size))
                )
    total = args.posts * args.per_post
    print(
        f"{args.posts} post clients, {total:,} messages of {args.size} bytes at QoS 1, {args.rounds} rounds"
    )
    for kind, label in (("own", "own client"), ("gmqtt", f"gmqtt {gmqtt.__version__}")):
        rates = [round_.rate for round_ in figures[kind]]
        connects = [round_.connect_s for round_ in figures[kind]]
        cpu = [round_.cpu_us for round_ in figures[kind]]
        print(
            f"  {label:<14} {statistics.median(rates):>9,.0f} msg/s"
            f" (min {min(rates):,.0f}, max {max(rates):,.0f})"
            f"  {statistics.median(cpu):.1f} µs CPU per message"
            f"  connect all: {statistics.median(connects):.2f} s"
        )
    pairs = list(zip(figures["own"], figures["gmqtt"], strict=True))
    for label, ratios in (
        ("messages/s", [gmqtt_.rate / own.rate for own, gmqtt_ in pairs]),
        ("CPU per message", [gmqtt_.cpu_us / own.cpu_us for own, gmqtt_ in pairs]),
    ):
        print(
            f"  gmqtt / own client, {label}, per pair: median {statistics.median(ratios):.2f}"
            f" (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
