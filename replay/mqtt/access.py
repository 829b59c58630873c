"""Who may do what on the broker: per-client credentials and access rules for mosquitto.

Every client logs in with its client id as user name and a password derived from a secret
(`client_password`): the deployment's key for the services, a secret made for the run for the private
broker of `replay`. The broker is given only PBKDF2-SHA512 hashes of those passwords, in mosquitto's
password-file format (`$7$`, what `mosquitto_passwd` writes), and an ACL that lets each client read
and write only its own topics:

- a post reads only `posts/<its RI>`;
- only the router publishes on post topics, and only it reads `cables/in`;
- only the submitter (`replay --remote`) publishes on `cables/in`;
- posts publish their receipts on `receipts/+`, which only the recorder (in `serve`) reads.

With `use_username_as_clientid`, a client cannot take another's client id (and so its queued
session) without that client's password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence

import msgspec

from replay.mqtt.topics import (
    ALL_ACKS,
    ALL_POSTS,
    ALL_RECEIPTS,
    CABLES_IN,
    RECORDER_CLIENT_ID,
    ROUTER_INBOX_CLIENT_ID,
    ROUTER_OUTBOX_CLIENT_ID,
    SUBMITTER_ACK_CLIENT_ID,
    SUBMITTER_CLIENT_ID,
    post_client_id,
    post_topic,
    run_publisher_id,
)

#: PBKDF2-SHA512 iterations in password files (what mosquitto_passwd uses).
PASSWORD_ITERATIONS = 101
#: Salt bytes in a password-file hash (as mosquitto_passwd).
SALT_BYTES = 12


class ClientAccess(msgspec.Struct, frozen=True):
    """One client: its id (also its user name), the topics it may read and those it may write."""

    client_id: str
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def client_password(secret: bytes, client_id: str) -> str:
    """The broker password of `client_id` under `secret` (64 hex digits)."""
    return hmac.new(secret, b"mqtt-password\x00" + client_id.encode(), hashlib.sha256).hexdigest()


def password_hash(password: str, *, salt: bytes | None = None, iterations: int = PASSWORD_ITERATIONS) -> str:
    """A mosquitto 2 password-file hash: `$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>`."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_file(clients: Iterable[ClientAccess], secret: bytes) -> str:
    """A mosquitto password file: one `user:hash` line per client, its password derived from `secret`."""
    return "".join(
        f"{client.client_id}:{password_hash(client_password(secret, client.client_id))}\n"
        for client in clients
    )


def acl_file(clients: Iterable[ClientAccess]) -> str:
    """A mosquitto ACL file: a `user` block per client with its `topic read` / `topic write` lines."""
    blocks = []
    for client in clients:
        lines = [f"user {client.client_id}"]
        lines += [f"topic read {topic}" for topic in client.read]
        lines += [f"topic write {topic}" for topic in client.write]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def deployment_access(posts: Sequence[str]) -> list[ClientAccess]:
    """The clients of the services (`serve`, `posts`, `replay --remote`) for these posts."""
    return [
        ClientAccess(ROUTER_INBOX_CLIENT_ID, read=(CABLES_IN,)),
        ClientAccess(ROUTER_OUTBOX_CLIENT_ID, write=(ALL_POSTS, ALL_ACKS)),
        ClientAccess(SUBMITTER_CLIENT_ID, write=(CABLES_IN,)),
        ClientAccess(SUBMITTER_ACK_CLIENT_ID, read=(ALL_ACKS,)),
        ClientAccess(RECORDER_CLIENT_ID, read=(ALL_RECEIPTS,)),
        *(
            ClientAccess(post_client_id(ri), read=(post_topic(ri),), write=(ALL_RECEIPTS,))
            for ri in sorted(set(posts))
        ),
    ]


def run_access(client_prefix: str, posts: Sequence[str]) -> list[ClientAccess]:
    """The clients of one `replay` (its publisher and its posts, ids under `client_prefix`)."""
    return [
        ClientAccess(run_publisher_id(client_prefix), write=(ALL_POSTS,)),
        *(
            ClientAccess(post_client_id(ri, client_prefix), read=(post_topic(ri),))
            for ri in sorted(set(posts))
        ),
    ]
