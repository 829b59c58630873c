"""Load what-ifs: the same corpus with the time between its cables compressed by a factor.

At load factor K a cable filed `d` seconds after the first cable of the run enters the network `d / K`
seconds after it: K = 2 is twice the traffic rate, K = 0.5 half of it. The first cable keeps its own
time, so the run still starts on the corpus's calendar.
"""

from __future__ import annotations

import math


def parse_load(text: str) -> float:
    """A load factor from the command line: a positive, finite number (`2`, `0.5`, `30`)."""
    try:
        factor = float(text)
    except ValueError:
        raise ValueError(f"--load {text!r}: not a number (2 means twice the traffic rate)") from None
    if not (factor > 0 and math.isfinite(factor)):
        raise ValueError(f"--load {text!r}: the factor must be a positive number")
    return factor


class LoadClock:
    """Maps a cable's own time to its time in a run at `factor` times the traffic rate.

    The first time it is given is the fixed point (the run's first cable, when the cables come in
    replay order); every other time is moved towards it by the factor.
    """

    __slots__ = ("factor", "origin")

    def __init__(self, factor: float = 1.0) -> None:
        if not factor > 0:
            raise ValueError(f"load factor must be positive, not {factor}")
        self.factor = factor
        self.origin: float | None = None

    def __call__(self, at: float) -> float:
        """The run time of a cable whose own time is `at`."""
        if self.origin is None:
            self.origin = at
        if self.factor == 1.0:
            return at
        return self.origin + (at - self.origin) / self.factor
