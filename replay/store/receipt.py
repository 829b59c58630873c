"""A receipt: what a post records when a transmission reaches it."""

from __future__ import annotations

import msgspec

from router.deliveries import Role
from router.precedence import Precedence


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """One received transmission. `*_sim` are simulated seconds (Unix epoch); `*_wall` wall-clock
    seconds (Unix epoch), None in a simulated run."""

    run: str
    cable_id: str
    post: str
    role: Role
    precedence: Precedence
    niact: bool = False
    channel_serial: int
    scheduled_sim: float
    enqueued_sim: float
    transmitted_sim: float
    received_sim: float
    scheduled_wall: float | None = None
    enqueued_wall: float | None = None
    transmitted_wall: float | None = None
    received_wall: float | None = None
