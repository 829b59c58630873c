"""Relay recall: how many of the posts an XRO copy shows as relays a plan reaches.

In an `XRO` copy (the archive copies whose FL2 shows the relay branch) every FL2 relay RI is a
station that received the cable. Those the cable names directly are trivially planned; the others
(the *unexplained* relays) can only be reached through a collective, so the share of them that a
plan delivers to measures how complete the topology's collective memberships are. Measured on
cables the topology was not learned from, it is an honest recall figure (`bench/membership_recall.py`).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable

import msgspec

from router.learn import RELAY_CHANNELS
from router.model import Cable
from router.planner import Planner
from topology.model import Post


class RelayRecall(msgspec.Struct, frozen=True):
    """Unexplained relays over a set of cables, how many the plans reach, and the most missed."""

    cables: int
    relays: int
    reached: int
    missed: dict[str, int]

    @property
    def recall(self) -> float:
        """`reached / relays` (1.0 when there is nothing to reach)."""
        return self.reached / self.relays if self.relays else 1.0


def fold_of(cable: Cable, folds: int = 2) -> int:
    """A stable fold number for a cable, from a CRC-32 of its id (same on every machine and run)."""
    key = cable.id or cable.source or ""
    return zlib.crc32(key.encode("utf-8")) % folds


def unexplained_relays(cable: Cable, planner: Planner) -> list[str]:
    """The FL2 relays of an XRO copy that its lines do not name and that did not originate it."""
    if cable.transmission is None or cable.transmission.channel not in RELAY_CHANNELS:
        return []
    if cable.routing is None or not cable.routing.relays:
        return []
    named: set[str] = set()
    for addressee in (*cable.to, *cable.info, *cable.xmt):
        if addressee.ri:
            named.add(addressee.ri)
        found = planner.resolve(addressee)
        if isinstance(found, Post):
            named.add(found.ri)
    origin = cable.origin_ri
    return [r for r in dict.fromkeys(cable.routing.relays) if r not in named and r != origin]


def relay_recall(cables: Iterable[Cable], planner: Planner) -> RelayRecall:
    """How many unexplained relays of the cables the planner's plans deliver to."""
    count = relays = reached = 0
    missed: Counter[str] = Counter()
    for cable in cables:
        targets = unexplained_relays(cable, planner)
        if not targets:
            continue
        count += 1
        planned = {d.post for d in planner.plan(cable).deliveries}
        for relay in targets:
            relays += 1
            if relay in planned:
                reached += 1
            else:
                missed[relay] += 1
    return RelayRecall(cables=count, relays=relays, reached=reached, missed=dict(missed.most_common()))
