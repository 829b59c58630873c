"""Spreading the posts over several `cableroute posts` processes: `--shard I/N`.

Shard I of N (1 <= I <= N) hosts the posts at positions I-1, I-1+N, I-1+2N, ... of the sorted list of
posts in scope (the topology's, or `--only`'s). Every process of a deployment is given the same
topology, so N processes with shards 1/N to N/N host every post exactly once, and their shares differ
by at most one post.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class Shard(msgspec.Struct, frozen=True):
    """Shard `index` (counted from 1) of `count`."""

    index: int
    count: int

    def posts(self, posts: Iterable[str]) -> list[str]:
        """This shard's share of `posts`, sorted."""
        return sorted(set(posts))[self.index - 1 :: self.count]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """`I/N` as a Shard; ValueError with a message fit for the user when it is not 1 <= I <= N."""
    found = _SHARD.fullmatch(text)
    if found is None:
        raise ValueError(f"--shard takes I/N (this process's share I of N, e.g. 2/3), not {text!r}")
    index, count = int(found.group(1)), int(found.group(2))
    if not 1 <= index <= count:
        raise ValueError(f"--shard {text}: I must be between 1 and N")
    return Shard(index, count)
