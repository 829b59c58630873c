"""Planning: which posts should receive a cable, at what precedence, in what role, and why.

The rules (see docs/routing.md):

- TO addressees are action, INFO addressees info. A collective stands for its members, each of which
  inherits the collective line's role, precedence and NIACT (nested collectives are expanded too).
  A member whose inferred membership is ambiguous is reached too, with a reason that says so.
- `XMT` takes a post out of every collective expansion of the cable; a post named directly on a TO or
  INFO line is still delivered. Each applied exemption is recorded.
- `ZEN` addressees already hold the cable (delivered by other means): they are recorded, never sent.
  ZEN wins: a post named with ZEN gets no transmission even when a collective or another line also
  reaches it.
- A post reached more than once gets one delivery: the highest effective precedence of its routes,
  action if any route is action, NIACT if any route is NIACT, and every reason in order.
- The originating station (FL3, else the post the FM line names) is never a delivery.
- An addressee the topology cannot resolve is recorded as unresolved.
"""

from __future__ import annotations

from collections.abc import Iterator

from router.deliveries import Delivery, Exemption, OtherMeans, Plan, Role, UnresolvedAddressee
from router.model import Addressee, Cable
from router.precedence import RANK, Precedence
from topology.model import Collective, Post, Resolution, Unresolved
from topology.topology import Topology

#: Added to the reason of a delivery through a collective whose membership of the post was inferred
#: and is ambiguous (another collective of the cables explains the same evidence; see docs/topology.md).
AMBIGUOUS_NOTE = "(ambiguous inferred member)"

#: Precedence of a route when neither its line nor the cable says anything.
DEFAULT_PRECEDENCE = Precedence.ROUTINE


# Routes to the same post merge into one Delivery (highest precedence, action over info, NIACT if any,
# every reason once, in order). While a cable is planned each post reached so far holds the Delivery
# of its routes so far; a further route replaces it (most posts are reached by one route, so most
# Deliveries are made once, with no intermediate record).

#: What an addressee line reaches, as `Planner.targets` gives it: the resolution, then (post RI, reason,
#: the reason alone as a tuple) for each post it stands for (None when unresolved), and whether it is a
#: collective (XMT applies). The one-reason tuple is made once per line, so that the many deliveries
#: reached by a single route share it instead of building their own.
_Targets = tuple[Resolution, tuple[tuple[str, str, tuple[str]], ...] | None, bool]


def cable_id_of(cable: Cable) -> str:
    """The id a plan uses for a cable: its reference id, else its source name, else `unknown`."""
    return cable.id or cable.source or "unknown"


def effective_precedence(cable: Cable, addressee: Addressee, role: Role) -> Precedence:
    """The addressee's precedence: its own word; else FL5's info letter for INFO; else FL5; else FL2.

    The decoder normally fills `Addressee.precedence` with this already; the fallback covers
    hand-built or partly decoded cables.
    """
    if addressee.precedence is not None:
        return addressee.precedence
    if addressee.precedence_stated is not None:
        return addressee.precedence_stated
    pair = cable.precedence
    if role == "info" and pair.info is not None:
        return pair.info
    if pair.action is not None:
        return pair.action
    if cable.routing is not None and cable.routing.precedence is not None:
        return cable.routing.precedence
    return DEFAULT_PRECEDENCE


def _label(ri: str | None, name: str) -> str:
    """How an address is written in a reason: `RI/PLAD`, or the PLAD alone."""
    if ri and name:
        return f"{ri}/{name}"
    return ri or name


def origin_post(cable: Cable, topology: Topology) -> str | None:
    """The originating station's RI: FL3, else the post the FM line resolves to."""
    if cable.origin_ri:
        return cable.origin_ri
    if cable.from_:
        found = topology.resolve(Addressee(name=cable.from_))
        if isinstance(found, Post):
            return found.ri
    return None


class Planner:
    """Plans cables against one topology, remembering how each address resolved.

    A corpus names the same few hundred addresses again and again; a planner resolves each
    (RI, PLAD) pair and expands each collective once. `plan(cable)` gives exactly what the
    function `plan(cable, topology)` gives.
    """

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._resolved: dict[tuple[str | None, str], Resolution] = {}
        self._members: dict[str, tuple[str, ...]] = {}
        self._ambiguous: dict[str, frozenset[str]] = {}
        self._targets: dict[tuple[str | None, str, Role], _Targets] = {}
        self._origins: dict[str, str | None] = {}

    def resolve(self, address: Addressee) -> Resolution:
        """The post, collective or unresolved entry an addressee means (cached)."""
        key = (address.ri, address.name)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self.topology.resolve(address)
        return found

    def members(self, collective: Collective) -> tuple[str, ...]:
        """The post RIs a collective stands for, nested collectives expanded, each RI once (cached)."""
        found = self._members.get(collective.key)
        if found is None:
            found = self._members[collective.key] = tuple(
                dict.fromkeys(self._expand(collective, frozenset()))
            )
        return found

    def ambiguous_members(self, collective: Collective) -> frozenset[str]:
        """The collective's own members whose membership is inferred and ambiguous (cached)."""
        found = self._ambiguous.get(collective.key)
        if found is None:
            found = self._ambiguous[collective.key] = frozenset(
                m.ri for m in collective.members if m.ambiguous_with
            )
        return found

    def _expand(self, collective: Collective, seen: frozenset[str]) -> Iterator[str]:
        key = collective.key
        for member in collective.members:
            found = self.topology.resolve_ri(member.ri)
            if isinstance(found, Collective):
                if found.key not in seen and found.key != key:
                    yield from self._expand(found, seen | {key})
            else:
                yield member.ri

    def _exempted_posts(
        self, cable: Cable, cable_id: str
    ) -> tuple[dict[str, str], list[UnresolvedAddressee]]:
        """Posts named on XMT lines (post RI -> line label), and XMT lines that resolve to nothing."""
        exempt: dict[str, str] = {}
        unresolved: list[UnresolvedAddressee] = []
        for addressee in cable.xmt:
            found = self.resolve(addressee)
            label = _label(addressee.ri, addressee.name)
            if isinstance(found, Post):
                exempt.setdefault(found.ri, label)
            elif isinstance(found, Collective):
                for ri in self.members(found):
                    exempt.setdefault(ri, label)
            else:
                unresolved.append(
                    UnresolvedAddressee(
                        cable_id=cable_id,
                        name=addressee.name,
                        ri=addressee.ri,
                        role="info",
                        line=addressee.line,
                        reason=f"XMT exemption not applied: {found.reason}",
                    )
                )
        return exempt, unresolved

    def targets(self, addressee: Addressee, role: Role) -> _Targets:
        """What an addressee line in `role` reaches (cached by RI, PLAD and role): its resolution, each
        post it stands for with the reason it is reached (None when unresolved), and whether it is a
        collective."""
        key = (addressee.ri, addressee.name, role)
        found_targets = self._targets.get(key)
        if found_targets is not None:
            return found_targets
        found = self.resolve(addressee)
        word = "TO" if role == "action" else "INFO"
        targets: tuple[tuple[str, str, tuple[str]], ...] | None = None
        if isinstance(found, Post):
            reason = f"{word} {_label(addressee.ri, addressee.name)}"
            targets = ((found.ri, reason, (reason,)),)
        elif isinstance(found, Collective):
            reason = f"{word} via collective {_label(found.ri, found.name or addressee.name)}"
            doubtful = f"{reason} {AMBIGUOUS_NOTE}"
            ambiguous = self.ambiguous_members(found)
            targets = tuple(
                (ri, doubtful, (doubtful,)) if ri in ambiguous else (ri, reason, (reason,))
                for ri in self.members(found)
            )
        found_targets = self._targets[key] = (found, targets, isinstance(found, Collective))
        return found_targets

    def origin(self, cable: Cable) -> str | None:
        """`origin_post` of the cable (the FM line's resolution cached)."""
        if cable.origin_ri or not cable.from_:
            return cable.origin_ri or None
        name = cable.from_
        if name not in self._origins:
            self._origins[name] = origin_post(cable, self.topology)
        return self._origins[name]

    def plan(self, cable: Cable) -> Plan:
        """Everything the router decides for one cable: deliveries, ZEN, unresolved and XMT exemptions."""
        cable_id = cable_id_of(cable)
        origin = self.origin(cable)
        exempt, unresolved = self._exempted_posts(cable, cable_id) if cable.xmt else ({}, [])
        routes: dict[str, Delivery] = {}
        other_means: list[OtherMeans] = []
        zen_posts: set[str] = set()
        applied: dict[str, Exemption] = {}
        targets_of, known_targets = self.targets, self._targets
        rank_of = RANK

        groups: tuple[tuple[Role, tuple[Addressee, ...]], ...] = (("action", cable.to), ("info", cable.info))
        for role, group in groups:
            for addressee in group:
                found, targets, collective = known_targets.get(
                    (addressee.ri, addressee.name, role)
                ) or targets_of(addressee, role)
                if addressee.zen:
                    post = found.ri if isinstance(found, Post) else None
                    other_means.append(
                        OtherMeans(
                            cable_id=cable_id,
                            name=addressee.name,
                            ri=addressee.ri,
                            role=role,
                            post=post,
                        )
                    )
                    if targets is not None:
                        zen_posts.update(target[0] for target in targets)
                    continue
                if targets is None:
                    assert isinstance(found, Unresolved)
                    unresolved.append(
                        UnresolvedAddressee(
                            cable_id=cable_id,
                            name=addressee.name,
                            ri=addressee.ri,
                            role=role,
                            line=addressee.line,
                            reason=found.reason,
                        )
                    )
                    continue
                level = addressee.precedence  # (the decoder's effective level, when it gave one)
                if level is None:
                    level = effective_precedence(cable, addressee, role)
                niact = addressee.niact
                check_exempt = collective and exempt
                for ri, why, alone in targets:
                    if check_exempt and ri in exempt:
                        if ri not in applied:
                            applied[ri] = Exemption(cable_id=cable_id, post=ri, name=exempt[ri])
                        continue
                    route = routes.get(ri)
                    if route is None:
                        routes[ri] = Delivery(cable_id, ri, role, level, niact, alone)  # (by position)
                        continue
                    reasons = route.reasons
                    routes[ri] = Delivery(
                        cable_id,
                        ri,
                        "action" if role == "action" else route.role,
                        level if rank_of[level] > rank_of[route.precedence] else route.precedence,
                        route.niact or niact,
                        reasons if why in reasons else (*reasons, why),
                    )

        deliveries = tuple(routes.values())
        if origin in routes or zen_posts:  # (rare)
            deliveries = tuple([d for d in deliveries if d.post != origin and d.post not in zen_posts])
        return Plan(
            cable_id=cable_id,
            deliveries=deliveries,
            other_means=tuple(other_means),
            unresolved=tuple(unresolved),
            exempted=tuple(applied.values()),
        )


def plan(cable: Cable, topology: Topology) -> Plan:
    """Everything the router decides for one cable: deliveries, ZEN, unresolved and XMT exemptions."""
    return Planner(topology).plan(cable)
