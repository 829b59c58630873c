"""The replay's clock: when, in wall-clock time, something that happens at a simulated time is due.

A cable or transmission at simulated time `time` is due at `t0 + (time - time0) / speed` (absolute
deadlines, so lateness never accumulates). With `max_gap`, an idle stretch of simulated time longer
than `max_gap` seconds is shortened to `max_gap`. At top speed everything is due at once.

Waits shorter than `TOLERANCE_S` are not slept (the event loop cannot sleep that precisely anyway):
something may be handled up to that much early, so that dense traffic is handled in batches.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_right
from collections.abc import Callable

#: How early (wall-clock seconds) something may be handled rather than slept for.
TOLERANCE_S = 0.002


class Pacer:
    """Maps simulated seconds to wall-clock deadlines and back.

    `speed` is simulated seconds per wall second; None means top speed. Times must be noted in
    non-decreasing order (`note` / `deadline`): a time earlier than one already noted is treated as
    that one. The first time noted is `time0`, paired with the wall clock at that moment (`t0`).
    """

    def __init__(
        self,
        speed: float | None = None,
        max_gap: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        if max_gap is not None and max_gap < 0:
            raise ValueError(f"max gap must not be negative, not {max_gap}")
        self.speed = speed
        self.max_gap = max_gap
        self.clock = clock
        self.time0: float | None = None
        self.t0: float | None = None
        self._last = -math.inf
        self._skipped = 0.0
        # Where the skipped total changed: simulated times (ascending) and the total from there on.
        self._gap_sims: list[float] = []
        self._gap_totals: list[float] = []

    @property
    def top_speed(self) -> bool:
        """Whether everything is due at once."""
        return self.speed is None

    @property
    def skipped(self) -> float:
        """Simulated seconds of idle time cut out by `max_gap` so far."""
        return self._skipped

    def note(self, sim: float) -> None:
        """Tell the clock that something happens at `sim`; starts the clock on the first call."""
        if self.time0 is None:
            self.time0 = sim
            self.t0 = self.clock()
            self._last = sim
            return
        if sim <= self._last:
            return
        gap = sim - self._last
        if self.max_gap is not None and gap > self.max_gap:
            self._skipped += gap - self.max_gap
            self._gap_sims.append(sim)
            self._gap_totals.append(self._skipped)
        self._last = sim

    def deadline(self, sim: float) -> float:
        """The wall-clock time (Unix seconds) at which `sim` is due; notes `sim` first."""
        self.note(sim)
        if self.speed is None:
            return -math.inf
        assert self.time0 is not None and self.t0 is not None
        sim = max(sim, self.time0)
        return self.t0 + (sim - self.time0 - self._skipped_before(sim)) / self.speed

    def _skipped_before(self, sim: float) -> float:
        index = bisect_right(self._gap_sims, sim)
        return self._gap_totals[index - 1] if index else 0.0

    def sim_at(self, wall: float) -> float:
        """The simulated time that is due at `wall` (the inverse of `deadline` over the gaps noted so
        far); +inf at top speed, `time0` before the clock started."""
        if self.speed is None:
            return math.inf
        if self.time0 is None or self.t0 is None:
            return -math.inf
        elapsed = (wall - self.t0) * self.speed
        skipped = 0.0
        for sim, total in zip(self._gap_sims, self._gap_totals, strict=True):
            if self.time0 + elapsed + total < sim:
                break
            skipped = total
        return self.time0 + elapsed + skipped

    def now(self) -> float:
        """The simulated time due right now."""
        return self.sim_at(self.clock())

    def horizon(self) -> float:
        """The simulated time due within `TOLERANCE_S` from now: what may be handled now."""
        return self.sim_at(self.clock() + TOLERANCE_S)

    async def wait_until(self, sim: float) -> None:
        """Sleep until `sim` is due (at once at top speed, when already late, or when it is due
        within `TOLERANCE_S`)."""
        delay = self.deadline(sim) - self.clock()
        if delay > TOLERANCE_S:
            await asyncio.sleep(delay)
