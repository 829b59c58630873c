"""The messages on the wire: msgpack via msgspec.

`Transmission` is what the router publishes to a post: the routing facts a receipt needs (run,
cable, post, role, precedence, NIACT, channel serial, simulated and wall-clock times) and the cable
text itself, so message sizes are those of the real traffic. `Submission` is a raw cable sent to the
router service on `cables/in`.
"""

from __future__ import annotations

import msgspec

from router.deliveries import Role, Sent
from router.precedence import Precedence


class WireError(ValueError):
    """A payload that is not a message of the expected kind."""


class Transmission(msgspec.Struct, frozen=True, array_like=True):
    """One transmission to one post. `*_sim` are simulated Unix seconds, `*_wall` wall-clock ones.

    `speed` is simulated seconds per wall second (0 at top speed): a receiver converts its own
    wall-clock delay into simulated time with it.
    """

    run: str
    cable_id: str
    post: str
    role: Role
    precedence: Precedence
    niact: bool
    channel_serial: int
    scheduled_sim: float
    enqueued_sim: float
    transmitted_sim: float
    scheduled_wall: float
    enqueued_wall: float
    transmitted_wall: float
    speed: float
    text: str


class Submission(msgspec.Struct, frozen=True, array_like=True):
    """A cable handed to the router service: the run it belongs to, where it came from, its text."""

    run: str
    source: str
    text: str


_encoder = msgspec.msgpack.Encoder()
_transmission_decoder = msgspec.msgpack.Decoder(Transmission)
_submission_decoder = msgspec.msgpack.Decoder(Submission)


def transmission_for(
    sent: Sent, *, run: str, text: str, scheduled_wall: float, transmitted_wall: float, speed: float
) -> Transmission:
    """The message for a completed transmission (`Sent`) of a cable whose text is `text`."""
    return Transmission(
        run,
        sent.cable_id,
        sent.post,
        sent.role,
        sent.precedence,
        sent.niact,
        sent.channel_serial,
        sent.scheduled_at,
        sent.enqueued_at,
        sent.transmitted_at,
        scheduled_wall,
        scheduled_wall,
        transmitted_wall,
        speed,
        text,
    )


def encode(message: Transmission | Submission) -> bytes:
    """The payload bytes of a message."""
    return _encoder.encode(message)


def decode_transmission(payload: bytes) -> Transmission:
    """A `Transmission` from payload bytes; WireError when they are not one."""
    try:
        return _transmission_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a transmission: {error}") from error


def decode_submission(payload: bytes) -> Submission:
    """A `Submission` from payload bytes; WireError when they are not one."""
    try:
        return _submission_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a cable submission: {error}") from error
