"""The network in virtual time: circuits per post, link rates, outages, time order, invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.deliveries import Delivery, Plan, Sent
from router.network import Network
from router.precedence import Precedence
from topology.model import Post
from topology.topology import Topology

P = Precedence
POSTS = ("RUEHAA", "RUEHBB", "RUEHCC")


def _topology() -> Topology:
    posts = [Post(ri="RUEHAA", name="AMEMBASSY A", link_cps=100.0)]
    posts += [Post(ri=ri, name=f"AMEMBASSY {ri[-2:]}") for ri in POSTS[1:]]
    return Topology(posts, default_link_cps=10.0)


def _plan(cable_id: str, level: Precedence, *posts: str) -> Plan:
    deliveries = tuple(Delivery(cable_id=cable_id, post=p, role="info", precedence=level) for p in posts)
    return Plan(cable_id=cable_id, deliveries=deliveries)


def test_each_post_has_its_own_circuit_and_rate() -> None:
    network = Network(_topology())
    network.inject(_plan("c1", P.ROUTINE, "RUEHAA", "RUEHBB"), 100, 0.0)
    sent = network.drain()
    assert [(s.post, s.transmitted_at, s.channel_serial) for s in sent] == [
        ("RUEHAA", 1.0, 1),
        ("RUEHBB", 10.0, 1),
    ]
    assert set(network.circuits) == {"RUEHAA", "RUEHBB"}


def test_link_rate_precedence_of_options() -> None:
    topology = _topology()
    assert Network(topology).link_rate("RUEHAA") == 100.0
    assert Network(topology).link_rate("RUEHBB") == 10.0
    assert Network(topology, default_cps=50.0).link_rate("RUEHAA") == 50.0
    overridden = Network(topology, default_cps=50.0, link_cps={"RUEHBB": 5.0})
    assert overridden.link_rate("RUEHBB") == 5.0
    assert overridden.link_rate("RUEHZZ") == 50.0


def test_advance_returns_only_what_completed_by_then() -> None:
    network = Network(_topology())
    network.inject(_plan("c1", P.ROUTINE, "RUEHBB"), 100, 0.0)
    network.inject(_plan("c2", P.ROUTINE, "RUEHBB"), 100, 0.0)
    assert network.next_event() == 0.0
    assert network.advance(9.9) == []
    assert network.next_event() == pytest.approx(10.0)
    assert [s.cable_id for s in network.advance(10.0)] == ["c1"]
    assert [s.cable_id for s in network.advance(30.0)] == ["c2"]
    assert network.next_event() is None
    assert network.now == 30.0


def test_sent_is_in_global_time_order_across_posts() -> None:
    network = Network(_topology())
    network.inject(_plan("slow", P.ROUTINE, "RUEHBB"), 100, 0.0)
    network.inject(_plan("fast", P.ROUTINE, "RUEHAA"), 100, 5.0)
    sent = network.drain()
    assert [(s.cable_id, s.transmitted_at) for s in sent] == [("fast", 6.0), ("slow", 10.0)]


def test_precedence_preemption_through_the_network() -> None:
    network = Network(_topology())
    network.inject(_plan("routine", P.ROUTINE, "RUEHBB"), 100, 0.0)
    network.inject(_plan("flash", P.FLASH, "RUEHBB"), 10, 2.0)
    sent = network.drain()
    assert [(s.cable_id, s.channel_serial, s.interruptions) for s in sent] == [
        ("flash", 1, 0),
        ("routine", 2, 1),
    ]


def test_fifo_network_never_preempts() -> None:
    network = Network(_topology(), fifo=True)
    network.inject(_plan("routine", P.ROUTINE, "RUEHBB"), 100, 0.0)
    network.inject(_plan("flash", P.FLASH, "RUEHBB"), 10, 2.0)
    assert [s.cable_id for s in network.drain()] == ["routine", "flash"]


def test_outage_per_post() -> None:
    network = Network(_topology(), outages={"RUEHBB": [(0.0, 100.0)]})
    network.inject(_plan("c1", P.FLASH, "RUEHAA", "RUEHBB"), 100, 10.0)
    sent = network.drain()
    assert [(s.post, s.started_at, s.transmitted_at) for s in sent] == [
        ("RUEHAA", 10.0, 11.0),
        ("RUEHBB", 100.0, 110.0),
    ]


def test_completion_at_arrival_instant_is_not_interrupted() -> None:
    network = Network(_topology())
    network.inject(_plan("routine", P.ROUTINE, "RUEHBB"), 100, 0.0)
    network.inject(_plan("flash", P.FLASH, "RUEHBB"), 10, 10.0)
    sent = network.drain()
    assert [(s.cable_id, s.interruptions, s.transmitted_at) for s in sent] == [
        ("routine", 0, 10.0),
        ("flash", 0, 11.0),
    ]


def test_injection_in_the_past_is_taken_as_now() -> None:
    network = Network(_topology())
    network.advance(50.0)
    network.inject(_plan("late", P.ROUTINE, "RUEHAA"), 100, 20.0)
    (sent,) = network.drain()
    assert (sent.scheduled_at, sent.enqueued_at, sent.transmitted_at) == (20.0, 50.0, 51.0)


def test_empty_plan_injects_nothing() -> None:
    network = Network(_topology())
    network.inject(Plan(cable_id="none"), 100, 0.0)
    assert network.next_event() is None
    assert network.drain() == []
    assert network.now == -math.inf


def test_same_inputs_same_result() -> None:
    def run() -> list[Sent]:
        network = Network(_topology())
        for i in range(20):
            network.inject(_plan(f"c{i}", list(P)[i % 4], *POSTS), 50 + i, float(i // 3))
        return network.drain()

    assert run() == run()


_cable = st.tuples(
    st.integers(min_value=0, max_value=200),
    st.sampled_from(list(Precedence)),
    st.integers(min_value=1, max_value=400),
    st.sets(st.sampled_from(POSTS), min_size=1),
)


@settings(max_examples=100, deadline=None)
@given(
    cables=st.lists(_cable, max_size=30),
    fifo=st.booleans(),
    steps=st.lists(st.integers(min_value=0, max_value=300), max_size=5),
)
def test_invariants(
    cables: list[tuple[int, Precedence, int, set[str]]], fifo: bool, steps: list[int]
) -> None:
    network = Network(_topology(), fifo=fifo, outages={"RUEHCC": [(50.0, 120.0)]})
    ordered = sorted(enumerate(cables), key=lambda item: item[1][0])
    sent: list[Sent] = []
    for index, (at, level, chars, posts) in ordered:
        sent += network.advance(float(at))
        network.inject(_plan(f"c{index}", level, *sorted(posts)), chars, float(at))
    for until in sorted(steps):
        sent += network.advance(float(until))
    sent += network.drain()
    # every injected delivery comes out exactly once
    expected = sorted((f"c{i}", p) for i, (_, _, _, posts) in enumerate(cables) for p in posts)
    assert sorted((s.cable_id, s.post) for s in sent) == expected
    assert network.injected == network.completed == len(expected)
    # global time order
    times = [s.transmitted_at for s in sent]
    assert times == sorted(times)
    arrival = {f"c{index}": rank for rank, (index, _) in enumerate(ordered)}
    for post in POSTS:
        mine = [s for s in sent if s.post == post]
        # serials contiguous per circuit
        assert [s.channel_serial for s in mine] == list(range(1, len(mine) + 1))
        # FIFO per level (per circuit in fifo mode)
        for level in Precedence:
            order = [arrival[s.cable_id] for s in mine if fifo or s.precedence is level]
            assert order == sorted(order)
