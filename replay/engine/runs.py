"""What a broker replay and a simulation share: the what-if options and the figures of a run."""

from __future__ import annotations

import msgspec

from topology.topology import Topology

#: A time window (start, end) in Unix seconds.
Window = tuple[float, float]


class RunOptions(msgspec.Struct, kw_only=True):
    """What-if settings common to both engines. Times are Unix seconds.

    `offline[post]` is a list of windows, or None for a post that never comes back. `load` compresses
    the time between cables by that factor around the first cable's time (`router.load`); outage and
    offline windows are on the run's clock.
    """

    fifo: bool = False
    seed: int = 0
    lossy: dict[str, float] = {}
    offline: dict[str, list[Window] | None] = {}
    default_cps: float | None = None
    link_cps: dict[str, float] = {}
    record_sent: bool = False
    load: float = 1.0


class RunSummary(msgspec.Struct, kw_only=True):
    """The figures of a run common to both engines (also stored as the run's summary)."""

    run: str
    cables: int = 0
    read_errors: int = 0
    duplicate_ids: int = 0
    untimed: int = 0
    planned: int = 0
    received: int = 0
    dropped: int = 0
    missing: int = 0
    other_means: int = 0
    unresolved: int = 0
    exempted: int = 0
    interrupted: int = 0
    first_time: float | None = None
    last_time: float | None = None
    wall_s: float = 0.0


def post_names(topology: Topology) -> list[tuple[str, str]]:
    """(RI, name) of every post in the topology a run uses: stored with the run for its reports."""
    return [(ri, post.name) for ri, post in topology.posts.items()]
