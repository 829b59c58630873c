"""Posts, collectives and the result of resolving an address."""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

PostKind = Literal["embassy", "consulate", "mission", "department", "military", "other"]
MemberSource = Literal["declared", "inferred"]

#: Link rate used when neither the post nor the topology names one (characters per second).
DEFAULT_LINK_CPS = 300.0


class AddressLike(Protocol):
    """What `Topology.resolve` needs of an addressee: an optional RI and a plain-language address."""

    @property
    def ri(self) -> str | None: ...

    @property
    def name(self) -> str: ...


class Post(msgspec.Struct, frozen=True, kw_only=True):
    """A station that receives traffic: one routing indicator, one canonical PLAD and its aliases."""

    ri: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: PostKind = "other"
    link_cps: float | None = None

    @property
    def relay(self) -> str:
        """The relay that serves the post: the RI's first four letters."""
        return self.ri[:4]


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A member of a collective and the evidence for it."""

    ri: str
    source: MemberSource = "declared"
    evidence: int = 0


class Collective(msgspec.Struct, frozen=True, kw_only=True):
    """An RI and/or PLAD that stands for several posts."""

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
