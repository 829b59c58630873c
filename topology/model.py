"""Posts, collectives and the result of resolving an address."""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

PostKind = Literal["embassy", "consulate", "mission", "department", "military", "other"]
MemberSource = Literal["declared", "inferred"]

#: Every kind a post can have, in the order documentation lists them.
POST_KINDS: tuple[PostKind, ...] = ("embassy", "consulate", "mission", "department", "military", "other")

#: Link rate used when neither the post nor the topology names one (characters per second).
DEFAULT_LINK_CPS = 300.0


class AddressLike(Protocol):
    """What `Topology.resolve` needs of an addressee: an optional RI and a plain-language address."""

    @property
    def ri(self) -> str | None: ...

    @property
    def name(self) -> str: ...


class Post(msgspec.Struct, frozen=True, kw_only=True):
    """A station that receives traffic: one routing indicator, one canonical PLAD and its aliases.

    `kind` "other" also means "not known"; `link_cps` None means "the topology's default". When
    `ri_range_end` is set the post stands for every RI from `ri` to it (same length; books write
    `RUCOBRA THRU RUCOBRZ`).
    """

    ri: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: PostKind = "other"
    link_cps: float | None = None
    ri_range_end: str | None = None

    @property
    def relay(self) -> str:
        """The relay that serves the post: the RI's first four letters."""
        return self.ri[:4]

    def covers(self, ri: str) -> bool:
        """True when `ri` is this post's RI or falls inside its RI range."""
        if ri == self.ri:
            return True
        end = self.ri_range_end
        return end is not None and len(ri) == len(self.ri) and self.ri <= ri <= end


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A member of a collective and the evidence for it.

    `source` is "declared" (written in a topology file) or "inferred" (seen in the corpus);
    `evidence` counts the cables that showed the membership (0 for a bare declaration). For an
    inferred member, `confidence` (0-1) says how firmly the evidence points to this collective
    rather than another, `ambiguous_with` names the collectives that explain the same cables just
    as well, and `examples` holds a few cable ids (see `router.membership`).
    """

    ri: str
    source: MemberSource = "declared"
    evidence: int = 0
    confidence: float | None = None
    ambiguous_with: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


class Collective(msgspec.Struct, frozen=True, kw_only=True):
    """An RI and/or PLAD that stands for several posts (members are named by RI)."""

    ri: str | None = None
    name: str | None = None
    aliases: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()

    @property
    def key(self) -> str:
        """The RI when there is one, else the PLAD."""
        return self.ri or self.name or ""


class Unresolved(msgspec.Struct, frozen=True, kw_only=True):
    """An address the topology does not know, and why."""

    ri: str | None
    name: str
    reason: str


Resolution = Post | Collective | Unresolved
