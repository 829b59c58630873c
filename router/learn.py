"""Learning a topology from decoded cables: who each routing indicator and PLAD is, and collectives.

What is learned (docs/topology.md, "Learning from the corpus"):

- **Sightings.** Every `RI/PLAD` pair on a TO, INFO or XMT line, and every FL3 `DE` RI with the
  cable's `FM` PLAD, counts once. PLADs are compared after `normalize_plad`.
- **Which RI a PLAD means.** The RI it was seen with most often (ties: the lexically smaller RI).
  Plain-PLAD addressees with no RI resolve through this map.
- **Collectives.** A PLAD is a collective name when `topology.kinds.is_collective_name` says so
  (COLLECTIVE, UN SECURITY COUNCIL, `ALL ... POSTS`, `DIPL POSTS`, `MEMBER STATES`, `DEVELOPMENT
  COMMUNITY`), or when the same PLAD followed by COLLECTIVE is seen too (`ASSOCIATION OF SOUTHEAST
  ASIAN NATIONS` and `... NATIONS COLLECTIVE`). An RI is a collective when most of its sightings carry
  a collective name and it never originated a cable. A collective name seen only without an RI
  becomes a collective known by its PLAD alone.
- **Posts.** Every other RI. Its name is the PLAD it owns with the most sightings (the FM line's
  PLAD first when the RI originated cables); the other PLADs it owns are aliases. An RI that owns no
  PLAD (every PLAD seen with it is seen more often elsewhere) keeps its most frequent PLAD as a name
  but is listed first, so that the owners' later claims win (see `Topology`). Collectives likewise.
- **Members.** From every `XRO` copy (FL1 channel `XRO`: the archive copies whose FL2 shows the
  relay branch): each FL2 relay RI that is a known station (seen on an addressee line or as a `DE` RI
  in the cables learned from, or a post in a `known` topology such as an imported book), is not
  named on the cable's own lines (as an RI, or as a plain PLAD resolving to it), is not the
  originator and is not a collective, must have received the cable through one of the collectives
  the cable names. `router.membership.assign` chooses, per relay, the collectives that explain
  these sightings best; each member keeps its evidence, a confidence and example cable ids. The
  known-station test keeps out archive pseudo-relays such as `RUEHWEB` and service-desk RIs, which
  appear in FL2 but never as addressees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import msgspec

from router.membership import Sighting, Verdict, assign
from router.model import Cable
from topology.kinds import is_collective_name, kind_of
from topology.model import Collective, Member, Post
from topology.plad import normalize_plad
from topology.topology import Topology

#: FL1 channels whose FL2 relays show collective members (see the module docstring).
RELAY_CHANNELS: frozenset[str] = frozenset({"XRO"})


class _Seen(msgspec.Struct):
    """One cable, reduced to what membership inference needs."""

    cable: str
    relays: tuple[str, ...]
    origin: str | None
    addressees: list[tuple[str | None, str]]


class _Evidence:
    """Counts gathered in one pass over the cables. Sightings are first counted as written, and each
    distinct (RI, PLAD) pair is normalised once, by `tally`."""

    def __init__(self) -> None:
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.origin_pairs: Counter[tuple[str, str]] = Counter()
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)
        self.plain: Counter[str] = Counter()
        self.stations: set[str] = set()
        self.cables: list[_Seen] = []
        self._written: Counter[tuple[str | None, str]] = Counter()
        self._written_origins: Counter[tuple[str, str]] = Counter()

    def sighting(self, ri: str | None, name: str, count: int = 1) -> str:
        """Record `count` sightings of one RI/PLAD pair (RI may be None); returns the PLAD's key."""
        key = normalize_plad(name)
        if key:
            self.spellings[key][" ".join(name.split())] += count
            if ri:
                self.pairs[ri, key] += count
            else:
                self.plain[key] += count
        return key

    def add(self, cable: Cable) -> None:
        origin = cable.origin_ri
        if origin:
            self.stations.add(origin)
            if cable.from_:
                self._written_origins[origin, cable.from_] += 1
        named = [(a.ri, a.name) for a in (*cable.to, *cable.info, *cable.xmt) if a.name or a.ri]
        self._written.update(named)
        relays = cable.routing.relays if cable.routing is not None else ()
        if cable.transmission is None or cable.transmission.channel not in RELAY_CHANNELS:
            relays = ()
        if relays:  # only cables with relays show members (`_members`); the rest need not be kept
            cable_id = cable.id or cable.source or "unknown"
            self.cables.append(_Seen(cable=cable_id, relays=relays, origin=origin, addressees=named))

    def tally(self) -> None:
        """Count the sightings gathered as written under their PLAD keys."""
        for (origin, name), count in self._written_origins.items():
            key = self.sighting(origin, name, count)
            if key:
                self.origin_pairs[origin, key] += count
        for (ri, name), count in self._written.items():
            self.sighting(ri, name, count)
        self._written.clear()
        self._written_origins.clear()


class Memberships(msgspec.Struct, frozen=True):
    """The evidence behind inferred members: for every relay station, its sightings and verdicts.

    `unknown_relays` counts the FL2 relays no layer knows as a station (never inferred members).
    """

    sightings: dict[str, list[Sighting]]
    verdicts: dict[str, list[Verdict]]
    unknown_relays: dict[str, int]


class Learned(msgspec.Struct, frozen=True):
    """A learned topology and the membership evidence it rests on."""

    topology: Topology
    memberships: Memberships


def learn_topology(cables: Iterable[Cable], known: Topology | None = None) -> Topology:
    """A topology from what the cables' headers show: posts, PLAD aliases, collectives and members.

    `known` (an imported book, say) only widens what counts as a known station and a collective
    name; none of its entries is copied into the result.
    """
    return learn_with_evidence(cables, known).topology


def learn_with_evidence(cables: Iterable[Cable], known: Topology | None = None) -> Learned:
    """`learn_topology`, with the sightings and verdicts behind every inferred member."""
    evidence = _Evidence()
    for cable in cables:
        evidence.add(cable)
    evidence.tally()
    skeleton = _skeleton(evidence)
    memberships, extra = _memberships(evidence, skeleton, known or Topology())
    members = _members(memberships)
    collectives = [
        Collective(ri=c.ri, name=c.name, aliases=c.aliases, members=members.get(c.key, ()))
        for c in (*skeleton.collectives.values(), *extra)
    ]
    return Learned(topology=Topology(skeleton.posts.values(), collectives), memberships=memberships)


def _display(evidence: _Evidence, key: str) -> str:
    """The most common spelling of a PLAD key (ties: the alphabetically first)."""
    spellings = evidence.spellings[key]
    return min(spellings, key=lambda s: (-spellings[s], s))


def _skeleton(evidence: _Evidence) -> Topology:
    """Posts and collectives without members."""
    per_ri: dict[str, Counter[str]] = defaultdict(Counter)
    for (ri, key), count in evidence.pairs.items():
        per_ri[ri][key] += count
    collective_keys = _collective_keys(evidence)
    collective_ris = {
        ri for ri, keys in per_ri.items() if _is_collective_ri(ri, keys, collective_keys, evidence)
    }
    owner = _owners(evidence)
    owned: dict[str, list[str]] = defaultdict(list)
    for key, ri in owner.items():
        owned[ri].append(key)

    def names_of(ri: str) -> tuple[list[str], bool]:
        """The RI's PLADs (best first) and whether it owns them; else its most frequent PLAD."""
        keys = sorted(owned.get(ri, ()), key=lambda k: (-evidence.origin_pairs[ri, k], -per_ri[ri][k], k))
        if keys:
            return [_display(evidence, k) for k in keys], True
        top = min(per_ri[ri], key=lambda k: (-per_ri[ri][k], k))
        return [_display(evidence, top)], False

    posts: dict[bool, list[Post]] = {False: [], True: []}
    collectives: dict[bool, list[Collective]] = {False: [], True: []}
    for ri in sorted(per_ri):
        names, owns = names_of(ri)
        if ri in collective_ris:
            collectives[owns].append(Collective(ri=ri, name=names[0], aliases=tuple(names[1:])))
        else:
            posts[owns].append(Post(ri=ri, name=names[0], aliases=tuple(names[1:]), kind=kind_of(names[0])))
    for key in sorted(evidence.plain):
        if key not in owner and key in collective_keys:
            collectives[True].append(Collective(name=_display(evidence, key)))
    return Topology([*posts[False], *posts[True]], [*collectives[False], *collectives[True]])


def _collective_keys(evidence: _Evidence) -> set[str]:
    """Every PLAD key seen that names a collective, by its own words or by a `... COLLECTIVE` twin."""
    seen = set(evidence.spellings)
    named = {key for key in seen if is_collective_name(key)}
    return named | {key for key in seen if f"{key} COLLECTIVE" in named}


def _is_collective_ri(ri: str, keys: Counter[str], collective_keys: set[str], evidence: _Evidence) -> bool:
    """True when most sightings of an RI carry a collective name and it never originated a cable."""
    if ri in evidence.stations:
        return False
    collective = sum(count for key, count in keys.items() if key in collective_keys)
    return collective * 2 > sum(keys.values())


def _owners(evidence: _Evidence) -> dict[str, str]:
    """For every PLAD key seen with an RI, the RI it was seen with most often."""
    best: dict[str, tuple[int, str]] = {}
    for (ri, key), count in evidence.pairs.items():
        known = best.get(key)
        if known is None or count > known[0] or (count == known[0] and ri < known[1]):
            best[key] = (count, ri)
    return {key: ri for key, (_, ri) in best.items()}


def _memberships(
    evidence: _Evidence, skeleton: Topology, known: Topology
) -> tuple[Memberships, list[Collective]]:
    """Every relay's sightings and verdicts; and the collectives named only through `known`."""
    resolved: dict[tuple[str | None, str], Post | Collective | None] = {}

    def resolve(ri: str | None, name: str) -> Post | Collective | None:
        key = (ri, name)
        if key not in resolved:
            found = None
            for layer in (skeleton, known):
                found = layer.resolve_ri(ri) if ri else None
                if found is None and name:
                    found = layer.resolve_name(name)
                if found is not None:
                    break
            resolved[key] = found
        return resolved[key]

    def is_station(ri: str) -> bool:
        found = skeleton.resolve_ri(ri)
        return isinstance(found if found is not None else known.resolve_ri(ri), Post)

    sightings: dict[str, list[Sighting]] = defaultdict(list)
    exposure: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    extra: dict[str, Collective] = {}
    stations: dict[str, bool] = {}
    for seen in evidence.cables:
        named_ris: set[str] = set()
        named_collectives: set[str] = set()
        for ri, name in seen.addressees:
            if ri:
                named_ris.add(ri)
            found = resolve(ri, name)
            if isinstance(found, Collective):
                named_collectives.add(found.key)
                if found.key not in skeleton.collectives:
                    extra.setdefault(found.key, Collective(ri=found.ri, name=found.name))
            elif isinstance(found, Post):
                named_ris.add(found.ri)
        collectives = tuple(sorted(named_collectives))
        exposure.update(collectives)
        for relay in dict.fromkeys(seen.relays):
            if relay in named_ris or relay == seen.origin:
                continue
            station = stations.get(relay)
            if station is None:
                station = stations[relay] = is_station(relay)
            if station:
                sightings[relay].append(
                    Sighting(cable=seen.cable, origin=seen.origin, collectives=collectives)
                )
            elif skeleton.resolve_ri(relay) is None and known.resolve_ri(relay) is None:
                unknown[relay] += 1
    verdicts = {relay: assign(relay, found, exposure) for relay, found in sorted(sightings.items())}
    memberships = Memberships(sightings=dict(sightings), verdicts=verdicts, unknown_relays=dict(unknown))
    return memberships, list(extra.values())


def _members(memberships: Memberships) -> dict[str, tuple[Member, ...]]:
    """Inferred members per collective key, from the verdicts that say "member"."""
    found: dict[str, list[Member]] = defaultdict(list)
    for verdicts in memberships.verdicts.values():
        for verdict in verdicts:
            if verdict.member:
                found[verdict.collective].append(
                    Member(
                        ri=verdict.relay,
                        source="inferred",
                        evidence=verdict.cables,
                        confidence=verdict.confidence,
                        ambiguous_with=verdict.ambiguous_with,
                        examples=verdict.examples,
                    )
                )
    return {key: tuple(sorted(members, key=lambda m: (-m.evidence, m.ri))) for key, members in found.items()}
