"""The immutable topology: which post or collective an address means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

import msgspec

from topology.merge import merge_collectives, merge_posts
from topology.model import (
    DEFAULT_LINK_CPS,
    AddressLike,
    Collective,
    Post,
    Resolution,
    Unresolved,
)
from topology.plad import normalize_plad
from topology.ri import looks_like_ri

Entry = Post | Collective
_E = TypeVar("_E", Post, Collective)


class _Builder:
    """Mutable state while a topology is assembled: entries, and which entry each PLAD names."""

    def __init__(self) -> None:
        self.posts: dict[str, Post] = {}
        self.collectives: dict[str, Collective] = {}
        self.names: dict[str, str] = {}

    @classmethod
    def copy_of(cls, topology: Topology) -> _Builder:
        builder = cls()
        builder.posts = dict(topology._posts)
        builder.collectives = dict(topology._collectives)
        builder.names = dict(topology._names)
        return builder

    def claim(self, key: str, names: Iterable[str | None]) -> None:
        """Point these PLADs at the entry `key` (a later claim takes a PLAD from an earlier one)."""
        for name in names:
            if name:
                self.names[normalize_plad(name)] = key

    def add_post(self, post: Post) -> None:
        """Add a post, refining a known post with the same RI; it replaces a collective with that RI."""
        self._drop_collective(post.ri)
        known = self.posts.get(post.ri)
        merged = merge_posts(known, post) if known is not None else post
        self.posts[post.ri] = merged
        self.claim(post.ri, (*post.aliases, post.name))

    def add_collective(self, collective: Collective) -> str:
        """Add a collective, refining a known one with the same RI or PLAD; returns its key."""
        known_key = self._known_collective(collective)
        if known_key is not None:
            merged = merge_collectives(self.collectives.pop(known_key), collective)
        else:
            merged = collective
        key = merged.key
        if known_key is not None and known_key != key:
            self._rekey(known_key, key)
        if merged.ri:
            self.posts.pop(merged.ri, None)
        self.collectives[key] = merged
        self.claim(key, (*collective.aliases, collective.name))
        return key

    def _known_collective(self, collective: Collective) -> str | None:
        """The key of the collective this one describes again: same RI, else same PLAD."""
        if collective.ri and collective.ri in self.collectives:
            return collective.ri
        for name in (collective.name, *collective.aliases):
            if not name:
                continue
            key = self.names.get(normalize_plad(name))
            known = self.collectives.get(key) if key is not None else None
            if known is not None and (known.ri is None or collective.ri is None or known.ri == collective.ri):
                return key
        return None

    def _drop_collective(self, ri: str) -> None:
        self.collectives.pop(ri, None)

    def _rekey(self, old: str, new: str) -> None:
        for name, key in self.names.items():
            if key == old:
                self.names[name] = new

    def build(self, declared_cps: float | None) -> Topology:
        """The finished topology; aliases that another entry has taken are dropped from their owner."""
        posts = {ri: self._own_aliases(ri, post) for ri, post in self.posts.items()}
        collectives = {key: self._own_aliases(key, c) for key, c in self.collectives.items()}
        return Topology._assemble(posts, collectives, self.names, declared_cps)

    def _own_aliases(self, key: str, entry: _E) -> _E:
        kept = tuple(alias for alias in entry.aliases if self.names.get(normalize_plad(alias)) == key)
        if len(kept) == len(entry.aliases):
            return entry
        return msgspec.structs.replace(entry, aliases=kept)


class TopologyImage(msgspec.Struct, frozen=True, kw_only=True):
    """A topology as plain data, exactly as built (which entry each PLAD names included), for sending
    it to another process: `Topology.image()` makes one, `Topology.from_image` rebuilds the topology."""

    posts: tuple[Post, ...] = ()
    collectives: tuple[Collective, ...] = ()
    names: dict[str, str] = {}
    declared_link_cps: float | None = None


class Topology:
    """Posts and collectives, indexed by routing indicator and by normalised PLAD.

    Resolution goes by RI first (exact, then RI ranges), then by normalised PLAD. An entry named
    twice is merged (see `topology.merge`); when two entries claim one PLAD the later claim wins,
    and collectives are added after posts. Build a new Topology to change one; `layered` puts
    another on top (the other wins). `default_link_cps` None means "not set here": the effective
    default is then `DEFAULT_LINK_CPS`, and a topology layered on top keeps the one below.
    """

    def __init__(
        self,
        posts: Iterable[Post] = (),
        collectives: Iterable[Collective] = (),
        default_link_cps: float | None = None,
    ) -> None:
        builder = _Builder()
        for post in posts:
            builder.add_post(post)
        for collective in collectives:
            builder.add_collective(collective)
        built = builder.build(default_link_cps)
        self._adopt(built)

    @classmethod
    def _assemble(
        cls,
        posts: dict[str, Post],
        collectives: dict[str, Collective],
        names: dict[str, str],
        declared_cps: float | None,
    ) -> Topology:
        topology = cls.__new__(cls)
        topology._posts = posts
        topology._collectives = collectives
        topology._declared_cps = declared_cps
        topology._by_key = {**posts, **collectives}
        topology._names = {name: key for name, key in names.items() if key in topology._by_key}
        topology._ranges = _range_index(posts.values())
        return topology

    def _adopt(self, other: Topology) -> None:
        self._posts: dict[str, Post] = other._posts
        self._collectives: dict[str, Collective] = other._collectives
        self._declared_cps: float | None = other._declared_cps
        self._by_key: dict[str, Entry] = other._by_key
        self._names: dict[str, str] = other._names
        self._ranges: dict[str, list[tuple[str, str]]] = other._ranges

    def image(self) -> TopologyImage:
        """This topology as plain data (see `TopologyImage`)."""
        return TopologyImage(
            posts=tuple(self._posts.values()),
            collectives=tuple(self._collectives.values()),
            names=dict(self._names),
            declared_link_cps=self._declared_cps,
        )

    @classmethod
    def from_image(cls, image: TopologyImage) -> Topology:
        """The topology an image was made of: the same entries, PLADs and default link rate."""
        posts = {post.ri: post for post in image.posts}
        collectives = {collective.key: collective for collective in image.collectives}
        return cls._assemble(posts, collectives, dict(image.names), image.declared_link_cps)

    def __repr__(self) -> str:
        return f"Topology({len(self._posts)} posts, {len(self._collectives)} collectives)"

    @property
    def posts(self) -> Mapping[str, Post]:
        """Every post, by routing indicator."""
        return MappingProxyType(self._posts)

    @property
    def collectives(self) -> Mapping[str, Collective]:
        """Every collective, by RI (or by PLAD when it has no RI)."""
        return MappingProxyType(self._collectives)

    @property
    def default_link_cps(self) -> float:
        """The link rate of posts that name none (characters per second)."""
        return self._declared_cps if self._declared_cps is not None else DEFAULT_LINK_CPS

    @property
    def declared_link_cps(self) -> float | None:
        """The default link rate this topology sets itself, or None when it leaves it open."""
        return self._declared_cps

    def post(self, ri: str) -> Post | None:
        """The post with this routing indicator (or whose RI range holds it), if known."""
        post = self._posts.get(ri)
        return post if post is not None else self._post_in_range(ri)

    def collective(self, key: str) -> Collective | None:
        """The collective with this RI, or this PLAD, if known."""
        found: Entry | None = self._collectives.get(key)
        if found is None:
            found = self.resolve_name(key) if not looks_like_ri(key) else None
        return found if isinstance(found, Collective) else None

    def link_cps(self, ri: str) -> float:
        """The post's link rate in characters per second (the default when it names none)."""
        post = self.post(ri)
        if post is not None and post.link_cps:
            return post.link_cps
        return self.default_link_cps

    def resolve_ri(self, ri: str) -> Post | Collective | None:
        """The post or collective with this routing indicator: exact first, then RI ranges."""
        found = self._by_key.get(ri)
        return found if found is not None else self._post_in_range(ri)

    def resolve_name(self, name: str) -> Post | Collective | None:
        """The post or collective a PLAD names, compared after `normalize_plad`."""
        key = self._names.get(normalize_plad(name))
        return self._by_key.get(key) if key is not None else None

    def lookup(self, text: str) -> Post | Collective | None:
        """What a user's query means: an RI when it looks like one (falling back to PLAD), else a PLAD."""
        text = text.strip()
        if looks_like_ri(text.upper()):
            found = self.resolve_ri(text.upper())
            if found is not None:
                return found
        return self.resolve_name(text)

    def resolve(self, address: AddressLike) -> Resolution:
        """The post or collective an addressee means: by RI first, then by normalised PLAD."""
        if address.ri:
            found = self.resolve_ri(address.ri)
            if found is not None:
                return found
        if address.name:
            found = self.resolve_name(address.name)
            if found is not None:
                return found
        if address.ri:
            reason = "unknown routing indicator and PLAD" if address.name else "unknown routing indicator"
        else:
            reason = "unknown PLAD"
        return Unresolved(ri=address.ri, name=address.name, reason=reason)

    def layered(self, other: Topology) -> Topology:
        """This topology with `other` on top: where both describe an entry or claim a PLAD, `other` wins.

        Entries are merged (`topology.merge`), so a later file can add aliases or members without
        repeating the rest; a default link rate carries through unless `other` sets its own.
        """
        builder = _Builder.copy_of(self)
        for post in other._posts.values():
            builder.add_post(post)
        moved = {key: builder.add_collective(c) for key, c in other._collectives.items()}
        for name, key in other._names.items():
            builder.names[name] = moved.get(key, key)
        declared = other._declared_cps
        return builder.build(declared if declared is not None else self._declared_cps)

    def _post_in_range(self, ri: str) -> Post | None:
        """The post whose RI range holds `ri` (the innermost when ranges nest)."""
        if not self._ranges:
            return None
        innermost = ""
        for bucket in (self._ranges.get(ri[:_RANGE_PREFIX], ()), self._ranges.get("", ())):
            for start, end in bucket:
                if start > ri:
                    break
                if len(ri) == len(start) and ri <= end and start > innermost:
                    innermost = start
        return self._posts[innermost] if innermost else None


#: RI ranges are indexed by their first letters (start and end share them in every real book).
_RANGE_PREFIX = 4


def _range_index(posts: Iterable[Post]) -> dict[str, list[tuple[str, str]]]:
    """RI ranges by common prefix (the "" bucket holds ranges whose ends differ there), sorted by start."""
    index: dict[str, list[tuple[str, str]]] = {}
    for post in posts:
        end = post.ri_range_end
        if end:
            prefix = post.ri[:_RANGE_PREFIX]
            bucket = prefix if end[:_RANGE_PREFIX] == prefix else ""
            index.setdefault(bucket, []).append((post.ri, end))
    for ranges in index.values():
        ranges.sort()
    return index
