"""Contention per circuit: how deep each post's queue got, how often traffic was preempted, how long
each level waited, and how busy the link was, worst circuits first.

The figures are kept by the circuits themselves (`router.circuit.CircuitStats`) and recorded with the
run; utilisation is the time a circuit spent transmitting (partial sends cut off by preemption
included) over the run's span, from the first message offered to any circuit to the last completed.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from router.circuit import CircuitStats

#: Circuits whose queue depth over time the report carries (the worst ones).
DEPTH_SHOWN = 5


class CircuitRow(msgspec.Struct, kw_only=True):
    """One circuit's contention figures as the audit reports them."""

    post: str
    cps: float
    transmitted: int
    peak_queue: int
    preemptions: int
    interrupted: int
    busy_s: float
    utilisation: float
    longest_wait: dict[str, float]
    depth_every: float | None = None
    depth: list[tuple[float, int]] = []


class CircuitSection(msgspec.Struct, kw_only=True):
    """Every circuit of the run, worst first; `recorded` is False for runs made before circuits
    kept their figures. `depth_slice_s` is the width of the slices queue depth is kept in (a circuit
    whose queue drained long after the last cable has wider ones, its `depth_every`)."""

    recorded: bool = False
    span_s: float | None = None
    depth_slice_s: float | None = None
    contended: int = 0
    circuits: list[CircuitRow] = []


def worst_first(row: CircuitRow) -> tuple[float, ...]:
    """Sort key: deepest queue, then longest wait at any level, then utilisation, all descending."""
    return (-row.peak_queue, -max(row.longest_wait.values(), default=0.0), -row.utilisation)


def circuit_section(stats: Sequence[CircuitStats]) -> CircuitSection:
    """The circuits' figures with utilisation, worst first; queue depth over time kept for the
    `DEPTH_SHOWN` worst."""
    if not stats:
        return CircuitSection()
    starts = [s.first_at for s in stats if s.first_at is not None]
    ends = [s.last_at for s in stats if s.last_at is not None]
    span = max(ends) - min(starts) if starts and ends else None
    rows = [
        CircuitRow(
            post=s.post,
            cps=s.cps,
            transmitted=s.transmitted,
            peak_queue=s.peak_queue,
            preemptions=s.preemptions,
            interrupted=s.interrupted,
            busy_s=s.busy_s,
            utilisation=s.busy_s / span if span else 0.0,
            longest_wait=s.longest_wait,
            depth_every=s.depth_every,
            depth=s.depth,
        )
        for s in stats
    ]
    rows.sort(key=lambda row: (*worst_first(row), row.post))
    for row in rows[DEPTH_SHOWN:]:
        row.depth = []
    return CircuitSection(
        recorded=True,
        span_s=span,
        depth_slice_s=next((s.depth_every for s in stats if s.depth_every), None),
        contended=sum(1 for row in rows if row.peak_queue > 0),
        circuits=rows,
    )
