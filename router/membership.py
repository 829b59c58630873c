"""Which collectives a station belongs to, from the XRO copies that show it as an unexplained relay.

In an `XRO` copy every FL2 relay RI is a station of the copy's relay branch, so a post that received
the cable. A relay the cable does not name directly (an *unexplained* relay) must have received it
through one of the collectives the cable names. Each such copy is one **sighting** of the relay with
a set of collectives: at least one of them has the relay as a member.

Membership is decided per relay, by the smallest set of collectives that explains every sighting
(a greedy weighted hitting set, the usual approximation):

1. Pick the collective that explains the most sightings not yet explained (ties: the one seen with
   the relay in more sightings overall, then the smaller key); repeat until every sighting naming a
   collective is explained. A sighting naming one collective forces it; a relay seen with
   {RUEHGG, RUCNFUR, RUCNUNP} once and {RUEHGG, RUEHOO} once belongs to RUEHGG.
2. When several collectives would explain exactly the same remaining sightings, the one that shows
   the relay in a clearly larger share of the copies naming it is taken (at least `LIKELIER` times
   the next one's share: a relay in 1 of the 6 copies naming RUCNSTF but in 28 of the 1,200 naming
   RUEHZL is more likely RUCNSTF's). When no share stands out, the evidence cannot tell them apart:
   all of them are kept and marked **ambiguous** rather than one being guessed.
3. A chosen collective (or ambiguous group) whose every sighting another chosen one also explains is
   dropped again (weakest first), so that no member rests on evidence explained better elsewhere.

Per member: `cables` (sightings that name the collective), `explained` (sightings it alone explains
among the chosen collectives), `origins` (distinct originating stations among those) and
`confidence` = (1 - 2^-explained) / size of its ambiguous group: one cable 0.5, two 0.75, three
0.875; an ambiguous pair at most 0.5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import msgspec

#: Example cable ids kept per verdict.
EXAMPLES = 3

#: How many times larger one collective's share of copies showing the relay must be than the next
#: one's for it to be chosen among collectives that explain the same sightings.
LIKELIER = 2.0


class Sighting(msgspec.Struct, frozen=True):
    """One XRO copy in which a relay RI appears that the cable's own lines do not name."""

    cable: str
    origin: str | None
    collectives: tuple[str, ...]


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """What the sightings of one relay say about one collective named with it."""

    relay: str
    collective: str
    member: bool
    cables: int
    alone: int
    explained: int = 0
    origins: int = 0
    ambiguous_with: tuple[str, ...] = ()
    confidence: float = 0.0
    examples: tuple[str, ...] = ()
    reason: str = ""


def assign(
    relay: str, sightings: Sequence[Sighting], exposure: Mapping[str, int] | None = None
) -> list[Verdict]:
    """A verdict for every collective seen with `relay`, members first (see the module docstring).

    `exposure` counts, per collective, the XRO copies that name it (whether or not they show the
    relay); without it, collectives that explain the same sightings are always ambiguous.
    """
    sets = [frozenset(s.collectives) for s in sightings]
    naming: dict[str, list[int]] = {}
    for i, found in enumerate(sets):
        for collective in found:
            naming.setdefault(collective, []).append(i)
    seen_with = Counter({c: len(found) for c, found in naming.items()})
    alone: Counter[str] = Counter(next(iter(s)) for s in sets if len(s) == 1)
    shares = {c: n / max(exposure.get(c, 0), n) for c, n in seen_with.items()} if exposure else {}
    groups = _prune(_greedy(sets, seen_with, shares), sets)
    chosen = {c: group for group in groups for c in group}
    verdicts: list[Verdict] = []
    for group in groups:
        only = [i for i, s in enumerate(sets) if s & set(group) and not (s - set(group)) & chosen.keys()]
        explained = len(only)
        origins = len({sightings[i].origin for i in only})
        confidence = round((1 - 0.5**explained) / len(group), 3)
        for collective in group:
            twins = tuple(c for c in group if c != collective)
            verdicts.append(
                Verdict(
                    relay=relay,
                    collective=collective,
                    member=True,
                    cables=seen_with[collective],
                    alone=alone[collective],
                    explained=explained,
                    origins=origins,
                    ambiguous_with=twins,
                    confidence=confidence,
                    examples=_examples(sightings, only or naming[collective]),
                    reason=_member_reason(relay, collective, seen_with, alone, explained, twins, exposure),
                )
            )
    for collective in sorted(seen_with.keys() - chosen.keys(), key=lambda c: (-seen_with[c], c)):
        verdicts.append(
            Verdict(
                relay=relay,
                collective=collective,
                member=False,
                cables=seen_with[collective],
                alone=alone[collective],
                examples=_examples(sightings, naming[collective]),
                reason=_other_reason(relay, collective, [sets[i] for i in naming[collective]], chosen),
            )
        )
    return verdicts


def _greedy(
    sets: list[frozenset[str]], seen_with: Counter[str], shares: Mapping[str, float]
) -> list[tuple[str, ...]]:
    """Groups of collectives chosen in turn until every non-empty sighting is explained."""
    remaining = [s for s in sets if s]
    groups: list[tuple[str, ...]] = []
    while remaining:
        score = Counter(c for s in remaining for c in s)
        best = min(score, key=lambda c: (-score[c], -seen_with[c], c))
        covered = frozenset(i for i, s in enumerate(remaining) if best in s)
        twins = sorted(
            c
            for c in score
            if score[c] == score[best] and frozenset(i for i, s in enumerate(remaining) if c in s) == covered
        )
        groups.append(_likeliest(twins, shares))
        remaining = [s for i, s in enumerate(remaining) if i not in covered]
    return groups


def _likeliest(twins: list[str], shares: Mapping[str, float]) -> tuple[str, ...]:
    """The one twin whose share of copies showing the relay stands out, else all of them."""
    if len(twins) < 2 or not shares:
        return tuple(twins)
    ranked = sorted(twins, key=lambda c: (-shares[c], c))
    return (ranked[0],) if shares[ranked[0]] >= LIKELIER * shares[ranked[1]] else tuple(twins)


def _prune(groups: list[tuple[str, ...]], sets: list[frozenset[str]]) -> list[tuple[str, ...]]:
    """Drop groups whose every sighting another kept group also explains (fewest sightings first)."""
    kept = list(groups)

    def support(group: tuple[str, ...]) -> int:
        return sum(1 for s in sets if s & set(group))

    for group in sorted(groups, key=lambda g: (support(g), g)):
        others = {c for g in kept if g != group for c in g}
        if all(s & others for s in sets if s & set(group)):
            kept.remove(group)
    return kept


def _examples(sightings: Sequence[Sighting], indexes: list[int]) -> tuple[str, ...]:
    """A few cable ids, in sorted order (stable whatever order the cables came in)."""
    return tuple(sorted({sightings[i].cable for i in indexes})[:EXAMPLES])


def _cables(count: int) -> str:
    return f"{count} cable{'s' if count != 1 else ''}"


def _member_reason(
    relay: str,
    collective: str,
    seen_with: Counter[str],
    alone: Counter[str],
    explained: int,
    twins: tuple[str, ...],
    exposure: Mapping[str, int] | None,
) -> str:
    copies = exposure.get(collective, 0) if exposure else 0
    seen = seen_with[collective]
    where = f"{seen} of the {copies} XRO copies" if copies >= seen else _cables(seen)
    text = f"{relay} is an unexplained relay in {where} naming {collective}"
    if alone[collective]:
        text += f", {alone[collective]} of them naming no other collective"
    text += f"; {collective} alone explains {_cables(explained)}"
    if twins:
        text += f"; ambiguous: {', '.join(twins)} explain{'s' if len(twins) == 1 else ''} the same cables"
    return text


def _other_reason(
    relay: str, collective: str, naming: list[frozenset[str]], chosen: dict[str, tuple[str, ...]]
) -> str:
    explainers: Counter[str] = Counter(c for s in naming for c in s if c in chosen)
    listed = ", ".join(f"{c} ({n})" for c, n in sorted(explainers.items(), key=lambda i: (-i[1], i[0])))
    return (
        f"not a member: each of the {_cables(len(naming))} naming {collective} with {relay} also names "
        f"a collective {relay} is a member of: {listed}"
    )
