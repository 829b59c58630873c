"""Precedence inversions, latency against the objectives, NIACT, and the distribution counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replay.audit.distribution import DuplicateRow, MissingRow, OtherMeansRow, UnexpectedRow, distribution
from replay.audit.precedence import (
    Transmission,
    circuit_inversions,
    inversions,
    latency_figures,
    latency_stats,
    nearest_rank,
    receipt_inversions,
    starts_from_receipts,
)
from router.precedence import SPEED_OF_SERVICE_S, Precedence

FLASH, IMMEDIATE, PRIORITY, ROUTINE = 3, 2, 1, 0


def brute_force_inverted(transmissions: list[Transmission]) -> set[str | int]:
    """The definition, pair by pair: started while a higher message enqueued earlier started later."""
    return {
        m.cable
        for m in transmissions
        if any(h.rank > m.rank and h.enqueued < m.started < h.started for h in transmissions)
    }


def test_priority_order_has_no_inversions() -> None:
    # r1 is sending when p1 arrives; it finishes, then p1 goes before the older r2. r2 starts at 20,
    # FLASH z1 preempts it at 21, and r2 is sent again in full from 22: its start is the last one.
    circuit = [
        Transmission(ROUTINE, 0.0, 0.0, "r1"),
        Transmission(PRIORITY, 5.0, 10.0, "p1"),
        Transmission(FLASH, 21.0, 21.0, "z1"),
        Transmission(ROUTINE, 1.0, 22.0, "r2"),
    ]
    assert circuit_inversions("RUEHC", circuit) == []


def test_fifo_order_inverts_each_message_that_overtook_waiting_traffic() -> None:
    circuit = [
        Transmission(ROUTINE, 0.0, 0.0, "r1"),
        Transmission(ROUTINE, 1.0, 10.0, "r2"),  # p1 was waiting since 5
        Transmission(PRIORITY, 5.0, 20.0, "p1"),
        Transmission(ROUTINE, 6.0, 30.0, "r3"),  # nothing higher waiting any more
        Transmission(ROUTINE, 7.0, 40.0, "r4"),  # i1 waiting since 35
        Transmission(PRIORITY, 38.0, 50.0, "p2"),  # i1 still waiting
        Transmission(IMMEDIATE, 35.0, 60.0, "i1"),
    ]
    found = circuit_inversions("RUEHC", circuit)
    assert [(i.id, i.precedence, i.waiting_id, i.waiting_precedence) for i in found] == [
        ("r2", Precedence.ROUTINE, "p1", Precedence.PRIORITY),
        ("r4", Precedence.ROUTINE, "i1", Precedence.IMMEDIATE),
        ("p2", Precedence.PRIORITY, "i1", Precedence.IMMEDIATE),
    ]


def test_arriving_at_the_very_moment_a_transmission_starts_is_not_waiting() -> None:
    circuit = [Transmission(ROUTINE, 0.0, 10.0, "r1"), Transmission(FLASH, 10.0, 20.0, "z1")]
    assert circuit_inversions("RUEHC", circuit) == []


_transmission = st.builds(
    Transmission,
    st.integers(0, 3),
    st.integers(0, 50).map(float),
    st.integers(0, 50).map(float),
    st.uuids().map(str),
)


@given(st.lists(_transmission, max_size=25))
def test_the_sweep_agrees_with_the_definition(transmissions: list[Transmission]) -> None:
    found = circuit_inversions("RUEHC", transmissions)
    assert {i.id for i in found} == brute_force_inverted(transmissions)
    assert len(found) == len(brute_force_inverted(transmissions))


def test_inversions_over_several_circuits() -> None:
    fifo = [Transmission(ROUTINE, 0.0, 1.0, "a"), Transmission(FLASH, 0.5, 2.0, "b")]
    ordered = [Transmission(FLASH, 0.5, 1.0, "b"), Transmission(ROUTINE, 0.0, 2.0, "a")]
    found = inversions({"RUEHFK": fifo, "RUEHC": ordered})
    assert [(i.post, i.id) for i in found] == [("RUEHFK", "a")]


def test_starts_rebuilt_from_receipts() -> None:
    # (rank, enqueued, transmitted, cable): r1 sends 0-10; p1 waits from 2, starts at 10 when r1 ends.
    rebuilt = starts_from_receipts(
        [(PRIORITY, 2.0, 15.0, "p1"), (ROUTINE, 0.0, 10.0, "r1"), (ROUTINE, 30.0, 35.0, "r2")]
    )
    assert rebuilt == [
        Transmission(ROUTINE, 0.0, 0.0, "r1"),
        Transmission(PRIORITY, 2.0, 10.0, "p1"),
        Transmission(ROUTINE, 30.0, 30.0, "r2"),
    ]
    fifo = starts_from_receipts(
        [(ROUTINE, 0.0, 10.0, "r1"), (ROUTINE, 1.0, 20.0, "r2"), (PRIORITY, 2.0, 30.0, "p1")]
    )
    assert [i.id for i in circuit_inversions("RUEHC", fifo)] == ["r2"]


_receipt = st.tuples(
    st.integers(0, 3),
    st.integers(0, 12).map(float),
    st.integers(0, 12).map(float),
    st.integers(0, 10_000),
)


@given(st.lists(_receipt, max_size=30))
def test_receipt_inversions_are_those_of_the_rebuilt_transmissions(
    receipts: list[tuple[int, float, float, int]],
) -> None:
    # Few distinct times, so that starts and completions often tie, and some receipts say they were
    # transmitted before they were enqueued (the rebuilt starts then fall, and are sorted apart).
    assert receipt_inversions("RUEHC", receipts) == circuit_inversions(
        "RUEHC", starts_from_receipts(receipts)
    )


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 50, None),
        ([5.0], 95, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([float(i) for i in range(1, 101)], 95, 95.0),
    ],
)
def test_nearest_rank(values: list[float], percent: float, expected: float | None) -> None:
    assert nearest_rank(values, percent) == expected


def test_latency_against_the_objectives() -> None:
    flash = SPEED_OF_SERVICE_S[Precedence.FLASH]
    stats = latency_stats({Precedence.FLASH: [30.0, flash + 1.0, 60.0, flash], Precedence.ROUTINE: [100.0]})
    assert list(stats) == ["FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"]
    assert (stats["FLASH"].n, stats["FLASH"].p50_s, stats["FLASH"].max_s) == (4, 60.0, flash + 1.0)
    assert stats["FLASH"].objective_s == 600
    assert stats["FLASH"].met_ratio == 0.75
    assert stats["FLASH"].late == 1
    assert (stats["IMMEDIATE"].n, stats["IMMEDIATE"].p95_s, stats["IMMEDIATE"].met_ratio) == (0, None, None)
    assert stats["ROUTINE"].met_ratio == 1.0


def test_niact_counts_late_against_the_immediate_objective() -> None:
    immediate = SPEED_OF_SERVICE_S[Precedence.IMMEDIATE]
    result = latency_figures({}, [10.0, immediate + 1.0, immediate])
    assert (result.niact_received, result.niact_late) == (3, 1)


def test_distribution_counts_and_lists() -> None:
    planned = {("RUEHC", IMMEDIATE): 2, ("RUEHFK", PRIORITY): 3}
    received = {("RUEHC", IMMEDIATE): 2, ("RUEHFK", PRIORITY): 1}
    missing = [
        MissingRow("08A1", "RUEHFK", PRIORITY, "info", False, "dropped (lossy post)"),
        MissingRow("08A2", "RUEHFK", PRIORITY, "info", True, "not received"),
    ]
    unexpected = [UnexpectedRow("08A1", "RUEHXX", ROUTINE, 0)]
    duplicated = [DuplicateRow("08A2", "RUEHC", 2)]
    other = [OtherMeansRow("08A1", "AMEMBASSY SEOUL", "RUEHUL", "info", None)]
    result = distribution(3, planned, received, missing, unexpected, duplicated, other, [])
    assert (result.cables, result.planned, result.received, result.missing) == (3, 5, 3, 2)
    assert (result.duplicates, result.unexpected, result.other_means, result.unresolved) == (2, 1, 1, 0)
    assert result.missing_by_post == {"RUEHFK": 2}
    assert result.missing_by_reason == {"dropped (lossy post)": 1, "not received": 1}
    assert result.by_post["RUEHFK"].planned == {"FLASH": 0, "IMMEDIATE": 0, "PRIORITY": 3, "ROUTINE": 0}
    assert result.by_post["RUEHFK"].received["PRIORITY"] == 1
    assert result.by_post["RUEHC"].duplicates == 2
    assert result.by_post["RUEHXX"].unexpected == 1
    assert [(c.id, c.missing, c.unexpected, c.duplicated) for c in result.cables_with_findings] == [
        ("08A1", ["RUEHFK"], ["RUEHXX"], []),
        ("08A2", ["RUEHFK"], [], ["RUEHC"]),
    ]
    assert result.missing_list[1] == {
        "id": "08A2",
        "post": "RUEHFK",
        "precedence": "PRIORITY",
        "role": "info",
        "niact": True,
        "reason": "not received",
    }
