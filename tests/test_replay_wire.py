"""The transmission payload round-trips and refuses what is not one."""

from __future__ import annotations

import pytest

from replay.mqtt.wire import (
    Submission,
    WireError,
    decode_submission,
    decode_transmission,
    encode,
    transmission_for,
)
from router.deliveries import Sent
from router.precedence import Precedence

TEXT = "VZCZCXRO0001\nOO RUEHTRO\nDE RUEHKO #0001 0010001\n" + "BODY LINE\n" * 300


def _sent() -> Sent:
    return Sent(
        cable_id="08TOKYO1",
        post="RUEHFK",
        role="info",
        precedence=Precedence.PRIORITY,
        niact=False,
        channel_serial=7,
        chars=len(TEXT),
        scheduled_at=1_228_375_000.0,
        enqueued_at=1_228_375_000.0,
        started_at=1_228_375_001.0,
        transmitted_at=1_228_375_010.5,
    )


def test_a_transmission_round_trips_with_its_text() -> None:
    message = transmission_for(
        _sent(), run="r1", text=TEXT, scheduled_wall=100.0, transmitted_wall=101.25, speed=60.0
    )
    payload = encode(message)
    back = decode_transmission(payload)
    assert back == message
    assert back.precedence is Precedence.PRIORITY
    assert back.channel_serial == 7
    assert back.transmitted_sim == 1_228_375_010.5
    assert len(payload) > len(TEXT)


def test_garbage_and_other_message_kinds_are_wire_errors() -> None:
    with pytest.raises(WireError):
        decode_transmission(b"\x00not msgpack")
    with pytest.raises(WireError):
        decode_transmission(encode(Submission("r1", "a.txt", TEXT)))
    with pytest.raises(WireError):
        decode_submission(b"{}")


def test_a_submission_round_trips() -> None:
    submission = Submission("r2", "cables/08TOKYO1.txt", TEXT)
    assert decode_submission(encode(submission)) == submission
