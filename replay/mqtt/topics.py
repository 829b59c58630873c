"""MQTT topic names, built only from validated routing indicators.

A routing indicator is `R` and 3 to 7 capital ASCII letters or digits (`topology.ri`), so nothing from
input text can put `+`, `#`, `/`, spaces or control characters into a topic.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from topology.errors import CablerouteError
from topology.ri import looks_like_ri

#: Where the router service takes cables from (`cableroute serve`).
CABLES_IN = "cables/in"

#: The prefix of the topics the router service acknowledges a remote run's messages on:
#: `cables/ack/<session>`.
ACK_PREFIX = "cables/ack"

#: A remote run's session id: 32 lower-case hex digits.
SESSION_PATTERN = re.compile(r"[0-9a-f]{32}", re.ASCII)

#: The prefix of every post's topic: `posts/<RI>`.
POSTS_PREFIX = "posts"

#: The prefix of the client ids of the services (`serve`, `posts`, `replay --remote`): one deployment.
SERVICE_CLIENT_PREFIX = "cableroute"

#: The prefix of every post's MQTT client id of the services: `cableroute-post-<RI>`.
POST_CLIENT_PREFIX = f"{SERVICE_CLIENT_PREFIX}-post-"

#: Client ids of the router service's two connections (`serve`) and of the submitter (`replay --remote`).
ROUTER_INBOX_CLIENT_ID = f"{SERVICE_CLIENT_PREFIX}-router"
ROUTER_OUTBOX_CLIENT_ID = f"{SERVICE_CLIENT_PREFIX}-router-out"
SUBMITTER_CLIENT_ID = f"{SERVICE_CLIENT_PREFIX}-submit"
#: Client id of the submitter's connection that reads the router's acknowledgements.
SUBMITTER_ACK_CLIENT_ID = f"{SERVICE_CLIENT_PREFIX}-submit-ack"

#: Every ack topic, as a pattern for access rules.
ALL_ACKS = f"{ACK_PREFIX}/+"

#: Every post topic, as a pattern for access rules.
ALL_POSTS = f"{POSTS_PREFIX}/+"


class TopicError(CablerouteError, ValueError):
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


def ack_topic(session: str) -> str:
    """The topic the router acknowledges a remote run's messages on: `cables/ack/<session>`."""
    if SESSION_PATTERN.fullmatch(session) is None:
        raise TopicError(f"not a session id (32 lower-case hex digits): {session!r}")
    return f"{ACK_PREFIX}/{session}"


def post_client_id(ri: str, prefix: str = SERVICE_CLIENT_PREFIX) -> str:
    """The MQTT client id of a post: `<prefix>-post-<RI>` (`cableroute-post-<RI>` for the services)."""
    return f"{prefix}-post-{validated_ri(ri)}"


def run_publisher_id(prefix: str) -> str:
    """The client id of a run's publisher (the router inside `replay`): `<prefix>-router`."""
    return f"{prefix}-router"


def run_client_prefix() -> str:
    """A client-id prefix of its own for one run, `cableroute-<8 hex digits>`, so that runs sharing a
    broker never take over each other's connections."""
    return f"{SERVICE_CLIENT_PREFIX}-{secrets.token_hex(4)}"


def ri_of_topic(topic: str) -> str | None:
    """The routing indicator of a post topic, or None when `topic` is not one."""
    prefix, _, ri = topic.partition("/")
    return ri if prefix == POSTS_PREFIX and is_valid_ri(ri) else None


#: The prefix of the run-scoped topics on which posts publish their receipts: `receipts/<run tag>`.
RECEIPTS_PREFIX = "receipts"

#: Every receipts topic, as a subscription filter and a pattern for access rules.
ALL_RECEIPTS = f"{RECEIPTS_PREFIX}/+"

#: Client id of the recorder that writes the posts' receipts to the audit store (in `serve`).
RECORDER_CLIENT_ID = f"{SERVICE_CLIENT_PREFIX}-recorder"


def presence_topic(ri: str) -> str:
    """Where a post of `cableroute posts` says it is connected (retained): `receipts/online-<RI>`, on
    the recorder's subscription beside the run tags (16 hex digits, never `online-...`)."""
    return f"{RECEIPTS_PREFIX}/online-{validated_ri(ri)}"


def receipts_topic(run: str) -> str:
    """The topic the receipts of `run` go to: `receipts/<16 hex digits of the run name's SHA-256>`
    (run names may hold any character; a topic level must not hold `/`, `+` or `#`)."""
    return f"{RECEIPTS_PREFIX}/{hashlib.sha256(run.encode()).hexdigest()[:16]}"
