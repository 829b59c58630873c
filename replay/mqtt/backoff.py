"""How long an MQTT client waits before trying to connect again.

A broker restart takes a fraction of a second, so the first retry after a lost connection comes
quickly; every failed attempt doubles the wait, up to a ceiling, so that a broker that stays down is
not hammered. Each wait is drawn at random between half its bound and the bound: a thousand posts
that lost the same broker at the same instant do not come back in one burst (which overflows the
broker's accept queue, and a dropped TCP SYN is retried only after a second).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import msgspec


class Backoff(msgspec.Struct, frozen=True):
    """Waits before retry 0 (the first after a loss), 1, 2, ...: bounded by `first_s` doubled at each
    retry, at most `ceiling_s`; each drawn at random in [bound / 2, bound]."""

    first_s: float = 0.05
    ceiling_s: float = 2.0

    def bound(self, retry: int) -> float:
        """The longest wait before retry number `retry`."""
        return min(self.ceiling_s, self.first_s * 2.0 ** min(retry, 64))

    def delay(self, retry: int, draw: Callable[[], float] = random.random) -> float:
        """The wait before retry number `retry`, at random in [bound / 2, bound]."""
        bound = self.bound(retry)
        return bound / 2 + draw() * bound / 2


#: The clients' backoff: retry 0 after 25-50 ms; 1,000 clients retrying at the ceiling make some 670
#: attempts a second, spread out (a fixed 1 s ceiling made 1,000 at once every second).
RECONNECT_BACKOFF = Backoff()
