"""How two descriptions of one post or collective combine: the later one refines the earlier one.

Used both when a file names an entry twice and when topologies are layered (`Topology.layered`).

- Post: the later name, kind (unless "other", which means unknown), link rate (unless None) and
  RI range (unless None) win; aliases are the union, and the earlier name becomes an alias when the
  later one differs.
- Collective: the later RI and name win where set; aliases are the union; members are the union,
  a member is "declared" when either side declares it and keeps the evidence (count, confidence,
  ambiguity, examples) of the side with the higher count.
"""

from __future__ import annotations

from collections.abc import Iterable

from topology.model import Collective, Member, Post
from topology.plad import normalize_plad


def merge_aliases(name: str | None, *alias_groups: Iterable[str]) -> tuple[str, ...]:
    """Every alias in order, once per normalised spelling, leaving out spellings of `name`."""
    seen = {normalize_plad(name)} if name else set()
    merged: list[str] = []
    for group in alias_groups:
        for alias in group:
            key = normalize_plad(alias)
            if alias and key not in seen:
                seen.add(key)
                merged.append(alias)
    return tuple(merged)


def merge_posts(earlier: Post, later: Post) -> Post:
    """One post from two descriptions of it, the later winning where it says something."""
    return Post(
        ri=later.ri,
        name=later.name or earlier.name,
        aliases=merge_aliases(later.name, earlier.aliases, (earlier.name,), later.aliases),
        kind=later.kind if later.kind != "other" else earlier.kind,
        link_cps=later.link_cps if later.link_cps is not None else earlier.link_cps,
        ri_range_end=later.ri_range_end if later.ri_range_end is not None else earlier.ri_range_end,
    )


def merge_members(earlier: Iterable[Member], later: Iterable[Member]) -> tuple[Member, ...]:
    """The union of two member lists: declared beats inferred, the higher evidence count is kept."""
    merged: dict[str, Member] = {}
    for member in (*earlier, *later):
        known = merged.get(member.ri)
        if known is None:
            merged[member.ri] = member
            continue
        declared = "declared" in (known.source, member.source)
        stronger = member if member.evidence >= known.evidence else known
        merged[member.ri] = Member(
            ri=member.ri,
            source="declared" if declared else "inferred",
            evidence=stronger.evidence,
            confidence=stronger.confidence,
            ambiguous_with=stronger.ambiguous_with,
            examples=stronger.examples,
        )
    return tuple(merged.values())


def merge_collectives(earlier: Collective, later: Collective) -> Collective:
    """One collective from two descriptions of it, the later winning where it says something."""
    name = later.name or earlier.name
    return Collective(
        ri=later.ri or earlier.ri,
        name=name,
        aliases=merge_aliases(name, earlier.aliases, (earlier.name or "",), later.aliases),
        members=merge_members(earlier.members, later.members),
    )
