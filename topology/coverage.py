"""Coverage: how many addressee entries a topology resolves, and which ones it does not."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec

from topology.model import AddressLike, Collective, Unresolved
from topology.topology import Topology


class UnresolvedCount(msgspec.Struct, frozen=True):
    """One unresolved address as written (RI and PLAD) and how many entries carried it."""

    name: str
    ri: str | None
    count: int


class Coverage(msgspec.Struct, frozen=True):
    """The share of addressee entries that resolve to a post or a collective.

    `resolved` counts both; `collectives` is the part of `resolved` that named a collective;
    `ratio` is resolved / addressees (0.0 when there are none); `top_unresolved` lists the most
    frequent unresolved addresses, most frequent first.
    """

    addressees: int
    resolved: int
    collectives: int
    unresolved: int
    ratio: float
    top_unresolved: tuple[UnresolvedCount, ...] = ()


def coverage(addresses: Iterable[AddressLike], topology: Topology, top: int = 20) -> Coverage:
    """Resolve every address against the topology and count the outcome."""
    total = resolved = collectives = 0
    missing: Counter[tuple[str | None, str]] = Counter()
    for address in addresses:
        total += 1
        found = topology.resolve(address)
        if isinstance(found, Unresolved):
            missing[address.ri, address.name] += 1
            continue
        resolved += 1
        if isinstance(found, Collective):
            collectives += 1
    ranked = sorted(missing.items(), key=lambda item: (-item[1], item[0][1], item[0][0] or ""))
    return Coverage(
        addressees=total,
        resolved=resolved,
        collectives=collectives,
        unresolved=total - resolved,
        ratio=resolved / total if total else 0.0,
        top_unresolved=tuple(UnresolvedCount(name=name, ri=ri, count=n) for (ri, name), n in ranked[:top]),
    )
