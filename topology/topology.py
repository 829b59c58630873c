"""The immutable topology: which post or collective an address means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from topology.model import (
    DEFAULT_LINK_CPS,
    AddressLike,
    Collective,
    Post,
    Resolution,
    Unresolved,
)
from topology.plad import normalize_plad


class Topology:
    """Posts and collectives, indexed by routing indicator and by normalised PLAD.

    Resolution goes by RI first, then by PLAD. Build a new Topology to change one;
    `layered` puts another on top (the other wins).
    """

    def __init__(
        self,
        posts: Iterable[Post] = (),
        collectives: Iterable[Collective] = (),
        default_link_cps: float = DEFAULT_LINK_CPS,
    ) -> None:
        self.default_link_cps = default_link_cps
        self._posts: dict[str, Post] = {post.ri: post for post in posts}
        self._collectives: dict[str, Collective] = {c.key: c for c in collectives}
        self._by_ri: dict[str, Post | Collective] = dict(self._posts)
        self._by_name: dict[str, Post | Collective] = {}
        for post in self._posts.values():
            self._index_names(post, (post.name, *post.aliases))
        for collective in self._collectives.values():
            if collective.ri:
                self._by_ri[collective.ri] = collective
            self._index_names(collective, (collective.name or "", *collective.aliases))

    def _index_names(self, target: Post | Collective, names: Iterable[str]) -> None:
        for name in names:
            if name:
                self._by_name.setdefault(normalize_plad(name), target)

    @property
    def posts(self) -> Mapping[str, Post]:
        """Every post, by routing indicator."""
        return MappingProxyType(self._posts)

    @property
    def collectives(self) -> Mapping[str, Collective]:
        """Every collective, by RI (or by PLAD when it has no RI)."""
        return MappingProxyType(self._collectives)

    def post(self, ri: str) -> Post | None:
        """The post with this routing indicator, if known."""
        return self._posts.get(ri)

    def link_cps(self, ri: str) -> float:
        """The post's link rate in characters per second (the default when it names none)."""
        post = self._posts.get(ri)
        if post is not None and post.link_cps:
            return post.link_cps
        return self.default_link_cps

    def resolve(self, address: AddressLike) -> Resolution:
        """The post or collective an addressee means: by RI first, then by normalised PLAD."""
        if address.ri:
            found = self._by_ri.get(address.ri)
            if found is not None:
                return found
        found = self._by_name.get(normalize_plad(address.name))
        if found is not None:
            return found
        reason = "unknown routing indicator and PLAD" if address.ri else "unknown PLAD"
        return Unresolved(ri=address.ri, name=address.name, reason=reason)

    def layered(self, other: Topology) -> Topology:
        """This topology with `other` on top: where both name a post or collective, `other` wins."""
        posts = {**self._posts, **other._posts}
        collectives = {**self._collectives, **other._collectives}
        return Topology(posts.values(), collectives.values(), other.default_link_cps)
