"""What a real corpus looks like, for synthetic traffic at its real volume (`synth --like`).

A `CorpusProfile` holds how many cables each station is to send (the serial-number estimate of
`router.serials`, not the published sample) and, from the published cables, the mix the synthetic
ones follow: precedence levels, addressee counts, the share addressed to a collective, and sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import msgspec

from router.model import Cable
from router.precedence import Precedence
from router.serials import SerialEstimate
from topology.topology import Topology


class CorpusProfile(msgspec.Struct, kw_only=True):
    """Per-station volumes and the mix of a corpus. `addressees` and `sizes` are samples drawn from
    as they are (each value as likely as its share of the corpus)."""

    volumes: dict[str, int]
    levels: dict[Precedence, int]
    addressees: list[int]
    collective_share: float
    sizes: list[int]

    @property
    def total(self) -> int:
        """Cables the profile asks for."""
        return sum(self.volumes.values())


def station_volumes(estimates: Iterable[SerialEstimate], year: int | None = None) -> dict[str, int]:
    """Cables per station: the estimates of `year`, or of every year added up."""
    volumes: Counter[str] = Counter()
    for estimate in estimates:
        if year is None or estimate.year == year:
            volumes[estimate.station] += estimate.estimate
    return dict(sorted(volumes.items()))


def corpus_profile(cables: Iterable[Cable], volumes: Mapping[str, int], topology: Topology) -> CorpusProfile:
    """The mix of `cables` (precedence, addressee counts, collectives, sizes) with the given volumes."""
    levels: Counter[Precedence] = Counter()
    addressees: list[int] = []
    sizes: list[int] = []
    with_collective = 0
    for cable in cables:
        level = cable.top_precedence
        if level is not None:
            levels[level] += 1
        lines = cable.addressees
        addressees.append(len(lines))
        sizes.append(cable.size)
        if any(topology.collective(a.ri or a.name) is not None for a in lines):
            with_collective += 1
    return CorpusProfile(
        volumes=dict(volumes),
        levels=dict(levels) or {Precedence.ROUTINE: 1},
        addressees=addressees or [1],
        collective_share=with_collective / len(sizes) if sizes else 0.0,
        sizes=[size for size in sizes if size > 0] or [2000],
    )
