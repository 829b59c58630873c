"""When a cable enters the network, and the order in which a corpus is replayed."""

from __future__ import annotations

from collections.abc import Iterable

from router.model import Cable
from router.times import seconds


def filing_time(cable: Cable) -> float | None:
    """The FL3 filing time as Unix seconds, if the header has one."""
    return seconds(cable.station.filed) if cable.station is not None else None


def dtg_time(cable: Cable) -> float | None:
    """The FL5 date-time group as Unix seconds, if the header has one."""
    return seconds(cable.dtg)


def cable_time(cable: Cable) -> float | None:
    """When the cable enters the network: its FL3 filing time, else its DTG (Unix seconds), else None."""
    filed = filing_time(cable)
    return filed if filed is not None else dtg_time(cable)


def replay_key(cable: Cable, position: int) -> tuple[int, float, float, int, int]:
    """The sort key of `replay_order` for a cable at `position` in the input.

    Timed cables first, by filing time (else DTG), then DTG, then precedence (FLASH first), then
    position; cables with no time at all come last, in input order.
    """
    level = cable.top_precedence
    return key_of(cable_time(cable), dtg_time(cable), level.rank if level is not None else None, position)


def key_of(
    time: float | None, dtg: float | None, rank: int | None, position: int
) -> tuple[int, float, float, int, int]:
    """`replay_key` of a cable from its `cable_time`, its `dtg_time` and the rank of its top
    precedence (None without one)."""
    if time is None:
        return (1, 0.0, 0.0, 0, position)
    return (0, time, dtg if dtg is not None else time, -rank if rank is not None else 1, position)


def replay_order(cables: Iterable[Cable]) -> list[Cable]:
    """The cables in replay order: filing time, then DTG, precedence high first, then input position.

    Cables with neither a filing time nor a DTG go last, in input order.
    """
    keyed = [(replay_key(cable, position), cable) for position, cable in enumerate(cables)]
    keyed.sort(key=lambda pair: pair[0])
    return [cable for _, cable in keyed]


def entry_times(times: Iterable[float | None]) -> list[float]:
    """When each cable of a corpus in replay order enters the network, given each one's `cable_time`.

    A cable with a time enters then; one without (they come last in replay order) enters when the last
    timed one did, or at 0.0 when no cable has a time.
    """
    entered: list[float] = []
    at = 0.0
    for time in times:
        if time is not None:
            at = time
        entered.append(at)
    return entered
