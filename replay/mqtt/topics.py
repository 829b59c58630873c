"""MQTT topic names, built only from validated routing indicators.

A routing indicator is `R` and 3 to 7 capital ASCII letters or digits (`topology.ri`), so nothing from
input text can put `+`, `#`, `/`, spaces or control characters into a topic.
"""

from __future__ import annotations

from topology.ri import looks_like_ri

#: Where the router service takes cables from (`cableroute serve`).
CABLES_IN = "cables/in"

#: The prefix of every post's topic: `posts/<RI>`.
POSTS_PREFIX = "posts"

#: The prefix of every post's MQTT client id: `cableroute-post-<RI>`.
POST_CLIENT_PREFIX = "cableroute-post-"


class TopicError(ValueError):
    """A value that cannot be used in a topic name."""


def is_valid_ri(ri: object) -> bool:
    """Whether `ri` is a routing indicator safe to use in a topic or client id."""
    return looks_like_ri(ri)


def validated_ri(ri: object) -> str:
    """`ri` itself when it is a valid routing indicator; TopicError otherwise."""
    if not is_valid_ri(ri):
        raise TopicError(f"not a routing indicator (R and 3 to 7 capital letters or digits): {ri!r}")
    return ri  # type: ignore[return-value]


def post_topic(ri: str) -> str:
    """The topic a post subscribes to: `posts/<RI>`."""
    return f"{POSTS_PREFIX}/{validated_ri(ri)}"


def post_client_id(ri: str) -> str:
    """The fixed MQTT client id of a post, the same in every run: `cableroute-post-<RI>`."""
    return f"{POST_CLIENT_PREFIX}{validated_ri(ri)}"


def ri_of_topic(topic: str) -> str | None:
    """The routing indicator of a post topic, or None when `topic` is not one."""
    prefix, _, ri = topic.partition("/")
    return ri if prefix == POSTS_PREFIX and is_valid_ri(ri) else None
