"""What the router decides for a cable: deliveries per post, and what was transmitted when.

Like the decoded cable (`router.model`), these Structs hold only strings, numbers and other such
Structs, so they cannot form reference cycles: they are left out of the garbage collector's tracking
(`gc=False`). A simulation makes millions of them; tracked, they would trigger collections that scan
them again and again.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from router.precedence import Precedence

Role = Literal["action", "info"]


class Delivery(msgspec.Struct, frozen=True, gc=False):
    """One post that should receive a cable: one copy, at the highest precedence it is owed. (Fields
    may be given by position, in order: the planner makes one per delivery.)

    `reasons` says why the post is on the list, e.g. `TO RUEHC/SECSTATE WASHDC` or
    `INFO via collective RUEHGG/UN SECURITY COUNCIL`.
    """

    cable_id: str
    post: str
    role: Role
    precedence: Precedence
    niact: bool = False
    reasons: tuple[str, ...] = ()


class OtherMeans(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A `ZEN` addressee: already delivered by other means, so not sent."""

    cable_id: str
    name: str
    ri: str | None = None
    role: Role = "action"
    post: str | None = None


class UnresolvedAddressee(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An addressee the topology could not resolve: recorded, never silently dropped."""

    cable_id: str
    name: str
    ri: str | None = None
    role: Role = "action"
    line: int = 0
    reason: str = ""


class Exemption(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A post taken out of a collective by an `XMT` line."""

    cable_id: str
    post: str
    name: str


class Plan(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Everything the router decided for one cable."""

    cable_id: str
    deliveries: tuple[Delivery, ...] = ()
    other_means: tuple[OtherMeans, ...] = ()
    unresolved: tuple[UnresolvedAddressee, ...] = ()
    exempted: tuple[Exemption, ...] = ()


class Sent(msgspec.Struct, frozen=True, gc=False):
    """A transmission that completed on a post's circuit. Times are simulated seconds (Unix epoch).
    (Fields may be given by position, in order: the network makes one per delivery.)

    `channel_serial` numbers completed transmissions per circuit, from 1, so a receiver can
    find gaps. `interruptions` counts how often it was preempted and restarted.
    """

    cable_id: str
    post: str
    role: Role
    precedence: Precedence
    niact: bool
    channel_serial: int
    chars: int
    scheduled_at: float
    enqueued_at: float
    started_at: float
    transmitted_at: float
    interruptions: int = 0
