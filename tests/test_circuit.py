"""One post's circuit: priority queue, FIFO within a level, preemption, fifo mode, outages, serials."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.circuit import EXTRA_LONG_CHARS, Circuit, merge_windows, preempts
from router.deliveries import Delivery, Sent
from router.precedence import Precedence

P = Precedence
CPS = 10.0  # 10 characters per second: 100 characters take 10 s


def _delivery(cable_id: str, level: Precedence = P.ROUTINE) -> Delivery:
    return Delivery(cable_id=cable_id, post="RUEHXY", role="info", precedence=level)


def _run(circuit: Circuit, arrivals: list[tuple[float, str, Precedence, int]]) -> list[Sent]:
    """Drive the circuit the way the network does: events in time order, circuit events first."""
    pending = sorted(arrivals, key=lambda a: a[0])
    sent: list[Sent] = []
    while pending or circuit.due is not None:
        due = circuit.due
        if due is not None and (not pending or due <= pending[0][0]):
            done = circuit.step(due)
            if done is not None:
                sent.append(done)
            continue
        at, cable_id, level, chars = pending.pop(0)
        circuit.offer(_delivery(cable_id, level), chars, at, at)
    return sent


def test_single_message_takes_chars_over_cps() -> None:
    circuit = Circuit("RUEHXY", CPS)
    circuit.offer(_delivery("A"), 100, 5.0, 5.0)
    assert circuit.busy
    assert circuit.due == pytest.approx(15.0)
    sent = circuit.step(15.0)
    assert sent is not None
    assert (sent.cable_id, sent.started_at, sent.transmitted_at, sent.channel_serial) == ("A", 5.0, 15.0, 1)
    assert circuit.due is None
    assert not circuit.busy


def test_priority_queue_order_and_fifo_within_level() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [
            (0.0, "busy", P.ROUTINE, 100),
            (1.0, "r1", P.ROUTINE, 10),
            (2.0, "p1", P.PRIORITY, 10),
            (3.0, "r2", P.ROUTINE, 10),
            (4.0, "p2", P.PRIORITY, 10),
        ],
    )
    assert [s.cable_id for s in sent] == ["busy", "p1", "p2", "r1", "r2"]
    assert [s.channel_serial for s in sent] == [1, 2, 3, 4, 5]


def test_flash_interrupts_lower_traffic_which_is_resent_in_full() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "long", P.IMMEDIATE, 100), (9.0, "flash", P.FLASH, 10)],
    )
    assert [s.cable_id for s in sent] == ["flash", "long"]
    flash, long = sent
    assert (flash.started_at, flash.transmitted_at) == (9.0, 10.0)
    assert (long.started_at, long.transmitted_at, long.interruptions) == (10.0, 20.0, 1)


def test_flash_does_not_interrupt_flash() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "first", P.FLASH, 100), (1.0, "second", P.FLASH, 10)],
    )
    assert [(s.cable_id, s.interruptions) for s in sent] == [("first", 0), ("second", 0)]


def test_immediate_interrupts_when_less_than_half_sent() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "routine", P.ROUTINE, 100), (4.0, "imm", P.IMMEDIATE, 10)],
    )
    assert [(s.cable_id, s.interruptions) for s in sent] == [("imm", 0), ("routine", 1)]


def test_immediate_lets_a_half_sent_message_finish() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "routine", P.PRIORITY, 100), (5.0, "imm", P.IMMEDIATE, 10)],
    )
    assert [(s.cable_id, s.interruptions) for s in sent] == [("routine", 0), ("imm", 0)]
    assert sent[1].started_at == 10.0


def test_priority_interrupts_only_extra_long_routine() -> None:
    long_chars = EXTRA_LONG_CHARS + 1
    interrupted = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "long", P.ROUTINE, long_chars), (100.0, "prio", P.PRIORITY, 10)],
    )
    assert [s.cable_id for s in interrupted] == ["prio", "long"]
    kept = _run(
        Circuit("RUEHXY", CPS),
        [(0.0, "normal", P.ROUTINE, EXTRA_LONG_CHARS), (1.0, "prio", P.PRIORITY, 10)],
    )
    assert [s.cable_id for s in kept] == ["normal", "prio"]


def test_priority_never_interrupts_immediate() -> None:
    assert not preempts(P.PRIORITY.rank, P.IMMEDIATE.rank, 10 * EXTRA_LONG_CHARS, 0.0, 1e6)
    assert not preempts(P.ROUTINE.rank, P.ROUTINE.rank, 10 * EXTRA_LONG_CHARS, 0.0, 1e6)
    assert preempts(P.FLASH.rank, P.IMMEDIATE.rank, 1, 1e6, 0.001)


def test_interrupted_message_goes_to_head_of_its_level() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS),
        [
            (0.0, "r-first", P.ROUTINE, 100),
            (1.0, "r-second", P.ROUTINE, 10),
            (2.0, "flash", P.FLASH, 10),
        ],
    )
    assert [s.cable_id for s in sent] == ["flash", "r-first", "r-second"]


def test_waiting_immediate_keeps_fifo_when_a_later_one_preempts() -> None:
    # i1 arrives when the routine message is past half way (waits); f arrives and preempts;
    # after the flash, i1 is still ahead of the routine message.
    sent = _run(
        Circuit("RUEHXY", CPS),
        [
            (0.0, "routine", P.ROUTINE, 100),
            (6.0, "i1", P.IMMEDIATE, 10),
            (7.0, "flash", P.FLASH, 10),
        ],
    )
    assert [s.cable_id for s in sent] == ["flash", "i1", "routine"]


def test_fifo_mode_ignores_precedence() -> None:
    sent = _run(
        Circuit("RUEHXY", CPS, fifo=True),
        [
            (0.0, "routine", P.ROUTINE, 100),
            (1.0, "prio", P.PRIORITY, 10),
            (2.0, "flash", P.FLASH, 10),
            (3.0, "imm", P.IMMEDIATE, 10),
        ],
    )
    assert [(s.cable_id, s.interruptions) for s in sent] == [
        ("routine", 0),
        ("prio", 0),
        ("flash", 0),
        ("imm", 0),
    ]
    assert sent[0].precedence is P.ROUTINE


def test_outage_queues_traffic_until_the_link_is_back() -> None:
    circuit = Circuit("RUEHXY", CPS, outages=[(10.0, 50.0)])
    sent = _run(circuit, [(20.0, "a", P.ROUTINE, 10), (30.0, "b", P.FLASH, 10)])
    assert [(s.cable_id, s.started_at, s.transmitted_at) for s in sent] == [
        ("b", 50.0, 51.0),
        ("a", 51.0, 52.0),
    ]


def test_transmission_cut_by_outage_restarts_in_full() -> None:
    circuit = Circuit("RUEHXY", CPS, outages=[(5.0, 20.0)])
    sent = _run(circuit, [(0.0, "a", P.ROUTINE, 100)])
    assert [(s.started_at, s.transmitted_at, s.interruptions) for s in sent] == [(20.0, 30.0, 1)]


def test_transmission_ending_as_outage_starts_completes() -> None:
    circuit = Circuit("RUEHXY", CPS, outages=[(10.0, 20.0)])
    sent = _run(circuit, [(0.0, "a", P.ROUTINE, 100), (1.0, "b", P.ROUTINE, 10)])
    assert [(s.cable_id, s.transmitted_at) for s in sent] == [("a", 10.0), ("b", 21.0)]


def test_back_to_back_outages() -> None:
    circuit = Circuit("RUEHXY", CPS, outages=[(0.0, 10.0), (10.0, 15.0), (18.0, 30.0)])
    sent = _run(circuit, [(1.0, "a", P.ROUTINE, 20), (2.0, "b", P.ROUTINE, 20)])
    assert [(s.cable_id, s.started_at, s.transmitted_at, s.interruptions) for s in sent] == [
        ("a", 15.0, 17.0, 0),
        ("b", 30.0, 32.0, 1),
    ]


def test_merge_windows() -> None:
    assert merge_windows([(5, 6), (1, 3), (2, 4), (6, 7), (9, 9)]) == [(1.0, 4.0), (5.0, 7.0)]


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Circuit("RUEHXY", 0)


_arrival = st.tuples(
    st.integers(min_value=0, max_value=500),
    st.sampled_from(list(Precedence)),
    st.integers(min_value=1, max_value=2 * EXTRA_LONG_CHARS // 100),
)


@settings(max_examples=150, deadline=None)
@given(
    arrivals=st.lists(_arrival, max_size=40),
    fifo=st.booleans(),
    outages=st.lists(st.tuples(st.integers(0, 600), st.integers(1, 100)), max_size=3),
)
def test_invariants(
    arrivals: list[tuple[int, Precedence, int]], fifo: bool, outages: list[tuple[int, int]]
) -> None:
    windows = [(float(start), float(start + length)) for start, length in outages]
    circuit = Circuit("RUEHXY", 1.0, fifo=fifo, outages=windows)
    timed = [(float(at), f"c{i}", level, chars * 100) for i, (at, level, chars) in enumerate(arrivals)]
    sent = _run(circuit, timed)
    # every message comes out exactly once
    assert sorted(s.cable_id for s in sent) == sorted(a[1] for a in timed)
    # serials contiguous from 1, in completion order
    assert [s.channel_serial for s in sent] == list(range(1, len(sent) + 1))
    # completion times never go back; each transmission takes chars / cps and avoids outages
    for before, after in itertools.pairwise(sent):
        assert before.transmitted_at <= after.started_at
    for s in sent:
        assert s.transmitted_at - s.started_at == pytest.approx(s.chars / 1.0)
        assert all(s.transmitted_at <= a or s.started_at >= b for a, b in merge_windows(windows))
    # FIFO within a level (whole queue in fifo mode), by arrival order
    arrival_index = {a[1]: i for i, a in enumerate(sorted(timed, key=lambda a: a[0]))}
    for level in Precedence:
        same = [s for s in sent if fifo or s.precedence is level]
        order = [arrival_index[s.cable_id] for s in same]
        assert order == sorted(order)
    if fifo and not windows:
        assert all(s.interruptions == 0 for s in sent)


def test_contention_figures_of_a_preempted_circuit() -> None:
    # ROUTINE starts at 0 (100 chars: 10 s); PRIORITY waits from 1; FLASH at 2 interrupts the
    # ROUTINE (2 s sent for nothing) and runs to 7; PRIORITY runs 7-17; the ROUTINE again 17-27.
    circuit = Circuit("RUEHXY", CPS, depth_from=0.0, depth_every=5.0)
    sent = _run(
        circuit,
        [(0.0, "r", P.ROUTINE, 100), (1.0, "p", P.PRIORITY, 100), (2.0, "f", P.FLASH, 50)],
    )
    assert [s.cable_id for s in sent] == ["f", "p", "r"]
    stats = circuit.stats()
    assert (stats.transmitted, stats.offered, stats.peak_queue) == (3, 3, 2)
    assert (stats.preemptions, stats.interrupted) == (1, 1)
    assert stats.busy_s == pytest.approx(27.0)  # 25 s of completed sends and 2 s cut off
    assert (stats.first_at, stats.last_at) == (0.0, 27.0)
    assert stats.longest_wait == {"FLASH": 0.0, "PRIORITY": 6.0, "ROUTINE": 17.0}
    assert stats.depth_every == 5.0
    assert stats.depth == [(0.0, 2), (5.0, 1)]  # the ROUTINE alone waits once the FLASH is done


def test_an_uncontended_circuit_never_queues() -> None:
    circuit = Circuit("RUEHXY", CPS, depth_from=0.0, depth_every=5.0)
    _run(circuit, [(0.0, "a", P.ROUTINE, 10), (5.0, "b", P.IMMEDIATE, 10), (10.0, "c", P.ROUTINE, 10)])
    stats = circuit.stats()
    assert (stats.peak_queue, stats.preemptions, stats.interrupted, stats.depth) == (0, 0, 0, [])
    assert stats.busy_s == pytest.approx(3.0)
    assert stats.longest_wait == {"IMMEDIATE": 0.0, "ROUTINE": 0.0}


def test_queue_depth_is_kept_per_slice_of_time() -> None:
    circuit = Circuit("RUEHXY", CPS, depth_from=100.0, depth_every=10.0)
    # One long send from 100 to 200; three arrive in the first slice, one more in the sixth; the queue
    # drains from 200.
    arrivals = [(100.0, "long", P.ROUTINE, 1000)]
    arrivals += [(101.0 + i, f"q{i}", P.ROUTINE, 10) for i in range(3)]
    arrivals += [(155.0, "late", P.ROUTINE, 10)]
    _run(circuit, arrivals)
    assert circuit.stats().depth == [(100.0, 3), (150.0, 4), (200.0, 3)]


def test_a_long_drain_is_shown_in_wider_slices() -> None:
    circuit = Circuit("RUEHXY", CPS, depth_from=0.0, depth_every=1.0)
    _run(circuit, [(0.0, f"m{i}", P.ROUTINE, 100) for i in range(100)])  # 1,000 s of queue
    stats = circuit.stats()
    assert stats.depth_every == 5.0
    assert len(stats.depth) <= 240
    assert stats.depth[0] == (0.0, 99)
    assert [n for _, n in stats.depth] == sorted((n for _, n in stats.depth), reverse=True)
