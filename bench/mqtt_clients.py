"""Benchmark: hundreds of post clients in one process, the project's MQTT client against gmqtt.

The question it answers: would a maintained asyncio MQTT client carry the replay's post side as well
as the project's own 3.1.1 client, on the whole workload of the posts? Each round starts a private
mosquitto (persistence on), and for each client library:

1. connects `--posts` clients in one asyncio process, 32 at a time (persistent sessions, one QoS 1
   subscription each to `posts/<RI>`): the time to connect them all;
2. streams `--messages` messages of `--size` bytes at QoS 1 from a publisher in another process,
   spread over the posts: messages received per second (first publish to last message in) and the
   CPU time the clients' process spent per message (the figure that does not depend on which
   process is the bottleneck);
3. streams as many again and, when half of them are sent, restarts the broker (SIGTERM, which saves
   the sessions, then start on the same port): the clients reconnect with `clean_session=False`
   and resume. Counted: messages lost (never delivered to the application), duplicates delivered to
   the application (the same PUBLISH delivered again by the broker, or a copy the publisher sent
   again because the broker went before acknowledging it), the time from the broker listening again
   to each client being connected (median and slowest) and to the last message of the stream in.

Each library is used as its users would: the own client through `replay.engine.posts.PostGroup`
(reconnect with backoff in `replay.mqtt.subscriber.Subscriber`); gmqtt with its own reconnect
(`reconnect_delay` set to 0.1 s, its default is 6 s) and session handling. gmqtt acknowledges a
message after the handler only when `optimistic_acknowledgement=False` AND the handler is a
coroutine; with a plain function it then never sends a PUBACK (the broker stops at its in-flight
limit and sends everything again after a reconnect). `gmqtt` below is that configuration (the
own client's: handled, then acknowledged); `gmqtt-early` acknowledges on receipt, before the
handler (what gmqtt does by default), shown for comparison only: a message acknowledged and then
not handled is lost for good.

aiomqtt (on paho-mqtt) and amqtt's client, the other maintained asyncio clients that speak 3.1.1,
are measured on connecting and the stream only (`--kinds own,amqtt,aiomqtt`): they are far off there
already.

The clients take turns in every round so that a drift in the machine's speed hits all of them; the
ratios to the own client are taken per round.

Usage: `python bench/mqtt_clients.py [--posts 200,1000] [--messages 80000] [--size 600] [--rounds 3]`
(needs mosquitto and the `bench` extra: `pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import NamedTuple

import structlog

from replay.engine.posts import CONNECT_CONCURRENCY, PostGroup, ensure_open_files
from replay.mqtt.broker import BrokerInfo, MosquittoBroker
from replay.mqtt.client import MqttConnection, MqttError, open_connection
from replay.mqtt.topics import post_client_id, post_topic

#: Every payload starts with (stream, post number, sequence number, attempt): the first nine bytes
#: name the message, the tenth tells the publisher's copies of it apart.
HEADER = struct.Struct("!BIIB")
KINDS = ("own", "gmqtt", "gmqtt-early")
#: Clients measured on connecting and the stream only (`--kinds own,amqtt,aiomqtt`): far off already.
SCREENED = ("amqtt", "aiomqtt")
#: gmqtt's fixed delay between reconnection attempts (the own client's: `replay.mqtt.backoff`).
GMQTT_RECONNECT_DELAY_S = 0.1
STREAM_TIMEOUT_S = 120.0


def ri(number: int) -> str:
    """The routing indicator of post `number`."""
    return f"RB{number:05d}"


class Tally:
    """What reached the application: every message once, and the copies delivered again."""

    def __init__(self, posts: int) -> None:
        self.posts = posts
        self.stream = 0
        self.expected = 0
        self.names: set[bytes] = set()
        self.copies: set[bytes] = set()
        self.redelivered = 0  # the same PUBLISH again (same attempt)
        self.resent = 0  # another copy the publisher sent
        self.done = asyncio.Event()
        self.finished = 0.0

    def begin(self, stream: int, expected: int) -> None:
        """Count stream `stream` from now on."""
        self.stream, self.expected = stream, expected
        self.names.clear()
        self.copies.clear()
        self.redelivered = self.resent = 0
        self.done.clear()

    def __call__(self, payload: bytes) -> None:
        """Take one message delivered to the application."""
        if payload[0] != self.stream:
            return
        copy = payload[:10]
        name = payload[:9]
        if copy in self.copies:
            self.redelivered += 1
            return
        self.copies.add(copy)
        if name in self.names:
            self.resent += 1
            return
        self.names.add(name)
        if len(self.names) == self.expected:
            self.finished = time.perf_counter()
            self.done.set()


def _now_into(times: list[float]) -> None:
    times.append(time.perf_counter())


class Clients(NamedTuple):
    """A library's post clients, connected: when each connected, and how to close them all."""

    connected_at: list[list[float]]  # per post, the time of every successful connection
    close: Callable[[], Awaitable[None]]


async def _own_clients(broker: BrokerInfo, posts: int, tally: Tally) -> Clients:
    group = PostGroup(
        [ri(number) for number in range(posts)],
        broker,
        lambda _ri, payload: tally(payload),
        client_prefix="bench",
    )
    connected_at: list[list[float]] = [[] for _ in range(posts)]
    for number, times in enumerate(connected_at):
        group[ri(number)].on_online.append(partial(_now_into, times))
    await group.start(timeout=60.0)
    return Clients(connected_at, group.stop)


async def _gmqtt_clients(broker: BrokerInfo, posts: int, tally: Tally, *, early: bool) -> Clients:
    from gmqtt import Client
    from gmqtt.mqtt.constants import MQTTv311

    async def handled_then_acknowledged(_client, _topic, payload, _qos, _properties) -> int:
        tally(payload)
        return 0

    def acknowledged_then_handled(_client, _topic, payload, _qos, _properties) -> int:
        tally(payload)
        return 0

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connected_at: list[list[float]] = [[] for _ in range(posts)]
    clients = []

    async def start_one(number: int) -> None:
        client = Client(
            post_client_id(ri(number), "bench"), clean_session=False, optimistic_acknowledgement=early
        )
        client.set_config({"reconnect_delay": GMQTT_RECONNECT_DELAY_S})
        client.on_message = acknowledged_then_handled if early else handled_then_acknowledged
        client.on_connect = lambda *_: connected_at[number].append(time.perf_counter())
        subscribed = asyncio.get_running_loop().create_future()

        def on_subscribe(*_: object) -> None:
            if not subscribed.done():
                subscribed.set_result(None)

        client.on_subscribe = on_subscribe
        clients.append(client)
        async with gate:
            await client.connect(broker.host, broker.port, version=MQTTv311, keepalive=30)
            client.subscribe(post_topic(ri(number)), qos=1)
            await asyncio.wait_for(subscribed, 60.0)

    async def close() -> None:
        await asyncio.gather(*(client.disconnect() for client in clients))

    await asyncio.gather(*(start_one(number) for number in range(posts)))
    return Clients(connected_at, close)


async def _amqtt_clients(broker: BrokerInfo, posts: int, tally: Tally) -> Clients:
    """amqtt's client, as its documentation shows: a task per client taking `deliver_message()`."""
    from amqtt.client import MQTTClient
    from amqtt.mqtt.constants import QOS_1

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[MQTTClient] = []
    readers: list[asyncio.Task[None]] = []

    async def read(client: MQTTClient) -> None:
        while True:
            message = await client.deliver_message()
            if message is not None:
                tally(bytes(message.data))

    async def start_one(number: int) -> None:
        client = MQTTClient(
            client_id=post_client_id(ri(number), "bench"),
            config={"auto_reconnect": True, "cleansession": False},
        )
        clients.append(client)
        async with gate:
            await client.connect(f"mqtt://{broker.host}:{broker.port}/", cleansession=False)
            await client.subscribe([(post_topic(ri(number)), QOS_1)])
        readers.append(asyncio.create_task(read(client)))

    async def close() -> None:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)

    await asyncio.gather(*(start_one(number) for number in range(posts)))
    return Clients([[] for _ in range(posts)], close)


async def _aiomqtt_clients(broker: BrokerInfo, posts: int, tally: Tally) -> Clients:
    """aiomqtt (on paho-mqtt), as its documentation shows: a task per client iterating `messages`."""
    import aiomqtt

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    clients: list[aiomqtt.Client] = []
    readers: list[asyncio.Task[None]] = []

    async def read(client: aiomqtt.Client) -> None:
        async for message in client.messages:
            tally(bytes(message.payload))

    async def start_one(number: int) -> None:
        client = aiomqtt.Client(
            broker.host,
            broker.port,
            identifier=post_client_id(ri(number), "bench"),
            clean_session=False,
            protocol=aiomqtt.ProtocolVersion.V311,
        )
        async with gate:
            await client.__aenter__()
            await client.subscribe(post_topic(ri(number)), qos=1)
        clients.append(client)
        readers.append(asyncio.create_task(read(client)))

    async def close() -> None:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(
            *(client.__aexit__(None, None, None) for client in clients), return_exceptions=True
        )

    await asyncio.gather(*(start_one(number) for number in range(posts)))
    return Clients([[] for _ in range(posts)], close)


class Stream(NamedTuple):
    """What one stream measured."""

    rate: float  # messages received per second
    cpu_us: float  # CPU time of the clients' process per message, microseconds
    lost: int
    redelivered: int
    resent: int
    reconnect_median_s: float  # broker listening again -> a client connected (median over clients)
    reconnect_max_s: float
    rest_s: float  # broker listening again -> the last message of the stream in
    outage_s: float  # broker stopped -> listening again


class Round(NamedTuple):
    """What one round measured for one library."""

    connect_s: float
    stream: Stream
    restart: Stream | None  # None for the clients in SCREENED


async def _stream(
    broker: MosquittoBroker,
    tally: Tally,
    clients: Clients,
    stream: int,
    posts: int,
    messages: int,
    size: int,
    *,
    restart: threading.Event | None = None,
) -> Stream:
    """Send `messages` from a publisher process; with `restart`, restart the broker when the
    publisher has sent half of them.

    The restart runs in a thread of its own, timed there: the clients' event loop may be busy with a
    backlog. mosquitto started from a thread gets SIGTERM when that thread ends (see
    `replay.mqtt.broker._dies_with`), so the thread waits for `restart` to be set before it ends.
    """
    info = broker.info
    tally.begin(stream, messages)
    publisher = subprocess.Popen(
        [
            sys.executable,
            "-P",
            __file__,
            "--publish",
            info.host,
            str(info.port),
            str(posts),
            str(messages),
            str(size),
            str(stream),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert publisher.stdout is not None
    lines = publisher.stdout
    first_publish = float(await asyncio.to_thread(lines.readline))
    cpu_started = time.process_time()
    restarted: list[float] = []  # broker stopping, broker listening again

    def restart_halfway(keep: threading.Event) -> None:
        lines.readline()
        restarted.append(time.perf_counter())
        broker.stop()
        broker.start()
        restarted.append(time.perf_counter())
        keep.wait()

    if restart is not None:
        threading.Thread(target=restart_halfway, args=(restart,), daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(tally.done.wait(), STREAM_TIMEOUT_S)
    finished = time.time()
    cpu_us = (time.process_time() - cpu_started) / max(len(tally.names), 1) * 1e6
    rate = len(tally.names) / (finished - first_publish)
    await asyncio.to_thread(publisher.wait, STREAM_TIMEOUT_S)
    await asyncio.sleep(1.0)  # copies delivered again arrive after the last new message
    reconnect_median = reconnect_max = rest = outage = 0.0
    if restart is not None:
        down, up = restarted
        outage = up - down
        # The first connection after the broker went down; one made before the thread saw the broker
        # listening (the clients can be quicker than its poll) counts as 0.
        after = [
            max(0.0, min((t for t in times if t > down), default=float("inf")) - up)
            for times in clients.connected_at
        ]
        reconnect_median, reconnect_max = statistics.median(after), max(after)
        rest = (tally.finished if tally.done.is_set() else float("inf")) - up
    return Stream(
        rate,
        cpu_us,
        messages - len(tally.names),
        tally.redelivered,
        tally.resent,
        reconnect_median,
        reconnect_max,
        rest,
        outage,
    )


async def _round(kind: str, posts: int, messages: int, size: int) -> Round:
    """One round of `kind` clients on a broker of their own."""
    tally = Tally(posts)
    keep = threading.Event()
    try:
        with MosquittoBroker() as broker:
            started = time.perf_counter()
            if kind == "own":
                clients = await _own_clients(broker.info, posts, tally)
            elif kind == "amqtt":
                clients = await _amqtt_clients(broker.info, posts, tally)
            elif kind == "aiomqtt":
                clients = await _aiomqtt_clients(broker.info, posts, tally)
            else:
                clients = await _gmqtt_clients(broker.info, posts, tally, early=kind == "gmqtt-early")
            connect_s = time.perf_counter() - started
            stream = await _stream(broker, tally, clients, 1, posts, messages, size)
            restart = None
            if kind not in SCREENED:
                restart = await _stream(broker, tally, clients, 2, posts, messages, size, restart=keep)
            await clients.close()
    finally:
        keep.set()
    return Round(connect_s, stream, restart)


async def _publish(host: str, port: int, posts: int, messages: int, size: int, stream: int) -> None:
    """The publisher process: every message at QoS 1, at most 1,000 unacknowledged; after a lost
    connection it reconnects and sends every unacknowledged message again (attempt + 1)."""
    broker = BrokerInfo(host=host, port=port, kind="mosquitto", keeps_offline_queues=True)
    window = asyncio.Semaphore(1000)
    unacked: dict[int, tuple[int, int, int]] = {}  # mid -> (post, seq, attempt)
    waiting: list[tuple[int, int, int]] = []  # not sent: the connection was gone
    acked = 0
    all_acked = asyncio.Event()
    padding = b"x" * (size - HEADER.size)
    topics = [post_topic(ri(number)) for number in range(posts)]

    def on_ack(mid: int) -> None:
        nonlocal acked
        if unacked.pop(mid, None) is None:
            return
        acked += 1
        window.release()
        if acked == messages:
            all_acked.set()

    async def connect() -> MqttConnection:
        while True:
            try:
                return await open_connection(
                    broker,
                    f"bench-publisher-{os.getpid()}",
                    clean_session=True,
                    on_ack=on_ack,
                    in_use=unacked.__contains__,
                )
            except MqttError:
                await asyncio.sleep(0.05)

    connection = await connect()

    def send(post: int, seq: int, attempt: int) -> None:
        try:
            mid = connection.publish(
                topics[post], HEADER.pack(stream, post, seq, attempt) + padding, 1, dup=attempt > 0
            )
        except MqttError:
            waiting.append((post, seq, attempt))
            return
        unacked[mid] = (post, seq, attempt)

    async def keep_connected() -> None:
        nonlocal connection
        while not all_acked.is_set():
            await connection.lost
            if all_acked.is_set():
                return
            connection = await connect()
            again = sorted(unacked.values()) + waiting
            unacked.clear()
            waiting.clear()
            for post, seq, attempt in again:
                send(post, seq, attempt + 1)

    keeper = asyncio.create_task(keep_connected())
    print(time.time(), flush=True)
    for seq in range(messages):
        await window.acquire()
        send(seq % posts, seq, 0)
        if seq == messages // 2:
            print("halfway", flush=True)
    await all_acked.wait()
    keeper.cancel()
    await connection.disconnect()


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):,.2f} ({min(values):,.2f}-{max(values):,.2f})"


def _print_figures(kinds: list[str], figures: dict[str, list[Round]]) -> None:
    """Each client's medians, then its ratios to the own client, round by round."""
    for kind in kinds:
        rounds = figures[kind]
        restarts = [r.restart for r in rounds if r.restart is not None]
        rows = [
            ("connect all, s", [r.connect_s for r in rounds]),
            ("messages/s", [r.stream.rate for r in rounds]),
            ("CPU per message, µs", [r.stream.cpu_us for r in rounds]),
        ]
        if restarts:
            rows += [
                ("restart: broker down, s", [r.outage_s for r in restarts]),
                ("restart: reconnect, median client, s", [r.reconnect_median_s for r in restarts]),
                ("restart: reconnect, slowest client, s", [r.reconnect_max_s for r in restarts]),
                ("restart: broker up -> last message, s", [r.rest_s for r in restarts]),
                ("restart: messages/s", [r.rate for r in restarts]),
            ]
        print(f"  {kind}")
        for label, values in rows:
            print(f"    {label:<38} {_median(values)}")
        if restarts:
            print(
                "    restart: lost / delivered again / publisher's copies, per round: "
                + ", ".join(f"{r.lost}/{r.redelivered}/{r.resent}" for r in restarts)
            )
    for kind in kinds:
        if kind == "own":
            continue
        pairs = list(zip(figures["own"], figures[kind], strict=True))
        print(f"  {kind} / own, per round: median (min-max)")
        ratios = [
            ("connect all", [other.connect_s / own.connect_s for own, other in pairs]),
            ("messages/s", [other.stream.rate / own.stream.rate for own, other in pairs]),
            ("CPU per message", [other.stream.cpu_us / own.stream.cpu_us for own, other in pairs]),
        ]
        both = [(own.restart, other.restart) for own, other in pairs if own.restart and other.restart]
        ratios += [
            ("slowest reconnect", [b.reconnect_max_s / a.reconnect_max_s for a, b in both if a and b]),
            ("up -> last in", [b.rest_s / a.rest_s for a, b in both if a and b]),
        ]
        for label, values in ratios:
            if values:
                print(f"    {label:<18} {_median(values)}")


def main() -> int:
    """Run the rounds and print each client's figures and the ratios to the own client."""
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        host, (port, posts, messages, size, stream) = sys.argv[2], map(int, sys.argv[3:8])
        asyncio.run(_publish(host, port, posts, messages, size, stream))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", default="200,1000", help="post clients in the process (comma list)")
    parser.add_argument("--messages", type=int, default=80_000, help="messages in each stream")
    parser.add_argument("--size", type=int, default=600, help="payload bytes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each client")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help=f"clients to measure, own first, of {KINDS + SCREENED}"
    )
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if kinds[0] != "own" or not set(kinds) <= set(KINDS + SCREENED):
        parser.error(f"--kinds: own first, then any of {KINDS[1:] + SCREENED}")
    try:
        import gmqtt
    except ImportError:
        print("gmqtt is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    logging.getLogger("gmqtt").setLevel(logging.CRITICAL)
    logging.getLogger("amqtt").setLevel(logging.CRITICAL)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    sizes = [int(value) for value in args.posts.split(",")]
    ensure_open_files(max(sizes) * 2 + 256)  # the clients, and mosquitto inherits the limit
    print(
        f"gmqtt {gmqtt.__version__}; {args.messages:,} messages of {args.size} bytes at QoS 1 per stream;"
        f" {args.rounds} rounds; load average at start {os.getloadavg()[0]:.1f}"
    )
    for posts in sizes:
        figures: dict[str, list[Round]] = {kind: [] for kind in kinds}
        for number in range(args.rounds):
            order = kinds[number % len(kinds) :] + kinds[: number % len(kinds)]
            for kind in order:
                figures[kind].append(asyncio.run(_round(kind, posts, args.messages, args.size)))
        print(f"\n{posts} post clients, load average now {os.getloadavg()[0]:.1f}; median (min-max)")
        _print_figures(kinds, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
