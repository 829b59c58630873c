"""The broker replay and the simulator agree on the same corpus and topology.

Both runs are read back from their audit stores. With links so fast that no queue forms, both
deliver exactly the planned (cable, post) pairs. With slow links, queues form and precedence
reorders traffic; every post then receives the same cables in the same order in both runs, at the
same simulated transmission times, and in the replay the post really took them off the broker in
that order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from replay.engine.replayer import Replayer, ReplayOptions, ReplaySummary
from replay.engine.simulator import Simulation, SimulationOptions, SimulationSummary
from replay.inputs.corpus import CableText, iter_sources
from replay.mqtt.broker import BrokerInfo
from replay.store.store import AuditStore
from replay.store.writer import StoreWriter
from router.synth.corpus import synth_cables
from tests.cable_texts import cable_texts
from topology.files import bundled_example
from topology.topology import Topology

pytestmark = pytest.mark.broker

#: A cable with neither a filing time nor a DTG: it enters the network after the last timed one.
UNTIMED = "FM AMEMBASSY TOKYO\nTO SECSTATE WASHDC\n\nUNCLAS TOKYO 000077\n\nSUBJECT: NO DATE\n"
#: Links fast enough that a transmission takes microseconds: no queue forms.
FAST = 1e9
#: Slow links for two posts (characters per second; a test cable has about 1,750 characters).
SLOW = {"RUEHC": 20.0, "RUEHFK": 25.0}
#: Paced replay: an hour of simulated time per wall-clock second, idle stretches cut to a minute.
#: The corpus spans a few simulated hours (about a second), and the posts keep up with it.
SPEED, MAX_GAP = 3600.0, 60.0

Order = dict[str, list[str]]
Times = dict[tuple[str, str], tuple[int, float, float]]


@pytest.fixture(scope="module")
def topology() -> Topology:
    return bundled_example()


@pytest.fixture(scope="module")
def corpus(examples_dir: Path, topology: Topology) -> list[CableText]:
    """The two bundled examples, 16 hand-built Tokyo cables a minute apart (the four precedences in
    turn), 24 synthetic cables drawn from the same topology in the same hour, and an untimed one."""
    start = datetime(2008, 12, 4, 7, 0, tzinfo=UTC)
    synthetic = synth_cables(
        24, seed=6, topology=topology, start=start, end=datetime(2008, 12, 4, 8, 0, tzinfo=UTC)
    )
    items = [item for item in iter_sources([str(examples_dir)]) if isinstance(item, CableText)]
    items += cable_texts(16, start=start)
    items += [CableText(f"{cable.id}.txt", cable.text) for cable in synthetic]
    items.append(CableText("untimed.txt", UNTIMED))
    return items


async def _replay(
    broker: BrokerInfo, db: Path, items: list[CableText], topology: Topology, options: ReplayOptions
) -> ReplaySummary:
    store = AuditStore(db)
    run = store.start_run("replay", "replay", {})
    writer = StoreWriter(store)
    replayer = Replayer(writer, run, broker, options)
    try:
        summary = await replayer.run(items, lambda cables: topology)
    finally:
        writer.close()
        store.close()
    return summary


def _simulate(
    db: Path, items: list[CableText], topology: Topology, options: SimulationOptions
) -> SimulationSummary:
    with AuditStore(db) as store:
        run = store.start_run("simulate", "simulate", {})
        summary = Simulation(store, run, options, workers=1).run(items, lambda cables: topology)
        store.finish_run(run, "ok", {})
    return summary


def _rows(db: Path, sql: str) -> list[tuple]:
    with AuditStore(db, create=False) as store:
        return store.connection.execute(sql).fetchall()


def _planned(db: Path) -> set[tuple[str, str]]:
    sql = (
        "SELECT c.cable_id, p.ri FROM deliveries AS d JOIN cables AS c ON c.id = d.cable "
        "JOIN posts AS p ON p.id = d.post"
    )
    return set(_rows(db, sql))


def _received(db: Path) -> Times:
    """(cable, post) -> (channel serial, enqueued, transmitted) in simulated seconds, per receipt."""
    sql = (
        "SELECT c.cable_id, p.ri, r.channel_serial, r.enqueued_sim, r.transmitted_sim FROM receipts AS r "
        "JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post"
    )
    return {(cable, post): (serial, enqueued, sent) for cable, post, serial, enqueued, sent in _rows(db, sql)}


def _by_serial(received: Times) -> Order:
    """Each post's cables in channel-serial order."""
    order: dict[str, list[tuple[int, str]]] = {}
    for (cable, post), (serial, _, _) in received.items():
        order.setdefault(post, []).append((serial, cable))
    return {post: [cable for _, cable in sorted(pairs)] for post, pairs in order.items()}


def _by_arrival(db: Path) -> Order:
    """Each post's cables in the order its MQTT client handed them over (replay runs only)."""
    sql = (
        "SELECT p.ri, c.cable_id FROM receipt_wall AS w JOIN cables AS c ON c.id = w.cable "
        "JOIN posts AS p ON p.id = w.post JOIN receipts AS r "
        "ON (r.run_id, r.cable, r.post) = (w.run_id, w.cable, w.post) "
        "ORDER BY w.received_wall, r.channel_serial"  # the serial only breaks exact ties of the clock
    )
    order: dict[str, list[str]] = {}
    for post, cable in _rows(db, sql):
        order.setdefault(post, []).append(cable)
    return order


def _overtaken(order: Order, received: Times) -> list[tuple[str, str, str]]:
    """(post, earlier, later): a cable sent before one that reached the circuit earlier."""
    found = []
    for post, cables in order.items():
        for before, after in pairwise(cables):
            if received[(before, post)][1] > received[(after, post)][1]:
                found.append((post, before, after))
    return found


async def test_without_queues_both_deliver_exactly_the_planned_set(
    broker_info: BrokerInfo, tmp_path: Path, corpus: list[CableText], topology: Topology
) -> None:
    replayed = await _replay(
        broker_info, tmp_path / "r.sqlite", corpus, topology, ReplayOptions(default_cps=FAST, timeout=10)
    )
    simulated = _simulate(tmp_path / "s.sqlite", corpus, topology, SimulationOptions(default_cps=FAST))
    assert (replayed.cables, replayed.duplicate_ids, replayed.untimed) == (43, 0, 1)
    assert (simulated.cables, simulated.duplicate_ids, simulated.untimed) == (43, 0, 1)
    planned = _planned(tmp_path / "r.sqlite")
    assert len(planned) > 200
    assert _planned(tmp_path / "s.sqlite") == planned
    replay_received = _received(tmp_path / "r.sqlite")
    simulate_received = _received(tmp_path / "s.sqlite")
    assert set(replay_received) == set(simulate_received) == planned
    assert replayed.missing == simulated.missing == replayed.duplicates == 0
    waits = [sent - enqueued for _, enqueued, sent in simulate_received.values()]
    assert max(waits) < 1e-3  # nothing waited behind anything else


def _waited(received: Times, post: str) -> bool:
    """Whether some cable waited more than a minute on the post's circuit."""
    return any(sent - enqueued > 60 for (_, p), (_, enqueued, sent) in received.items() if p == post)


@pytest.mark.parametrize(
    ("fifo", "speed"),
    [(False, SPEED), (False, None), (True, SPEED)],
    ids=["precedence-paced", "precedence-top-speed", "fifo-paced"],
)
async def test_with_queues_every_post_receives_in_the_same_order(
    broker_info: BrokerInfo,
    tmp_path: Path,
    corpus: list[CableText],
    topology: Topology,
    fifo: bool,
    speed: float | None,
) -> None:
    options = ReplayOptions(link_cps=SLOW, fifo=fifo, speed=speed, max_gap=MAX_GAP, timeout=10)
    replayed = await _replay(broker_info, tmp_path / "r.sqlite", corpus, topology, options)
    simulated = _simulate(
        tmp_path / "s.sqlite", corpus, topology, SimulationOptions(link_cps=SLOW, fifo=fifo)
    )
    assert replayed.missing == simulated.missing == replayed.duplicates == 0
    replay_received = _received(tmp_path / "r.sqlite")
    simulate_received = _received(tmp_path / "s.sqlite")
    assert set(replay_received) == set(simulate_received) == _planned(tmp_path / "s.sqlite")
    order = _by_serial(simulate_received)
    assert _by_serial(replay_received) == order
    assert replay_received == simulate_received  # same serials, same simulated times
    assert _by_arrival(tmp_path / "r.sqlite") == order  # what the broker handed over, as sent
    assert all(_waited(simulate_received, post) for post in SLOW)  # queues formed
    overtaken = {post for post, _, _ in _overtaken(order, simulate_received)}
    assert overtaken == (set() if fifo else set(SLOW))  # precedence reordered both slow circuits
