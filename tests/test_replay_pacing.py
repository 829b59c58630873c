"""The replay clock: simulated time to wall-clock deadlines, gap compression, and back."""

from __future__ import annotations

import math

import pytest

from replay.engine.pacing import Pacer


class FakeClock:
    def __init__(self, now: float = 5000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_deadlines_follow_speed_from_the_first_time_noted() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(speed=60.0, clock=clock)
    assert pacer.deadline(1_000_000.0) == 100.0
    clock.now = 250.0  # deadlines are absolute: lateness does not shift them
    assert pacer.deadline(1_000_600.0) == 110.0
    assert pacer.deadline(1_003_600.0) == 160.0
    assert pacer.sim_at(160.0) == 1_003_600.0
    assert pacer.sim_at(105.0) == 1_000_300.0


def test_idle_gaps_longer_than_max_gap_are_shortened() -> None:
    clock = FakeClock(0.0)
    pacer = Pacer(speed=10.0, max_gap=30.0, clock=clock)
    assert pacer.deadline(1000.0) == 0.0
    assert pacer.deadline(1020.0) == 2.0  # 20 s gap: kept
    assert pacer.deadline(5020.0) == 5.0  # 4000 s gap: cut to 30 s
    assert pacer.skipped == 3970.0
    assert pacer.deadline(5040.0) == 7.0
    # back from wall time: inside the shortened gap the clock runs on, then jumps
    assert pacer.sim_at(2.0) == 1020.0
    assert pacer.sim_at(4.0) == 1040.0
    assert pacer.sim_at(5.0) == 5020.0
    assert pacer.sim_at(7.0) == 5040.0


def test_times_noted_out_of_order_do_not_move_the_clock_back() -> None:
    pacer = Pacer(speed=1.0, max_gap=10.0, clock=FakeClock(0.0))
    pacer.note(100.0)
    pacer.note(200.0)
    pacer.note(150.0)
    assert pacer.skipped == 90.0
    assert pacer.deadline(150.0) == 50.0  # before the gap was cut: the uncut mapping
    assert pacer.deadline(200.0) == 10.0


def test_top_speed_makes_everything_due_now() -> None:
    pacer = Pacer(speed=None)
    assert pacer.top_speed
    assert pacer.deadline(1e9) == -math.inf
    assert pacer.now() == math.inf


async def test_waiting_is_skipped_when_due_and_sleeps_otherwise() -> None:
    clock = FakeClock(0.0)
    pacer = Pacer(speed=1000.0, clock=clock)
    pacer.note(0.0)
    await pacer.wait_until(0.0)
    clock.now = 10.0
    await pacer.wait_until(5000.0)  # due at wall 5.0: already late
    real = Pacer(speed=100.0)
    real.note(0.0)
    await real.wait_until(2.0)  # 20 ms
    assert real.now() >= 2.0


@pytest.mark.parametrize(("speed", "gap"), [(0.0, None), (-1.0, None), (1.0, -5.0)])
def test_bad_settings_are_refused(speed: float, gap: float | None) -> None:
    with pytest.raises(ValueError):
        Pacer(speed=speed, max_gap=gap)
