"""The wire: messages round-trip sealed, and what is unsealed, forged, replayed elsewhere or out of
bounds is refused with the right error."""

from __future__ import annotations

import msgspec
import pytest

from replay.mqtt.wire import (
    Ack,
    CableSubmission,
    LedgerEntry,
    Refusal,
    RunEnd,
    RunStart,
    Sealed,
    SealedTransmission,
    Submission,
    TextCheck,
    Transmission,
    TransmissionHead,
    UnauthenticatedError,
    WireError,
    claimed_run,
    claimed_session,
    decode_submission,
    decode_transmission,
    encode,
    mac_of,
    open_ack,
    open_inbound,
    open_submission,
    open_transmission,
    open_transmission_head,
    seal,
    text_digest,
    transmission_for,
)
from router.deliveries import Sent
from router.precedence import Precedence
from topology.files import bundled_example
from topology.topology import Topology

KEY = b"wire-test-key-0123456789abcdef"
SESSION = "0123456789abcdef0123456789abcdef"
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


def _transmission(**changes: object) -> object:
    message = transmission_for(
        _sent(), run="r1", text=TEXT, scheduled_wall=100.0, transmitted_wall=101.25, speed=60.0
    )
    return msgspec.structs.replace(message, **changes)


def test_a_sealed_transmission_and_submission_open_with_the_key() -> None:
    message = _transmission()
    assert open_transmission(seal(message, KEY), KEY) == message
    submission = Submission("r2", "a.txt", TEXT)
    assert open_submission(seal(submission, KEY), KEY) == submission


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda: encode(_transmission()), id="no MAC"),
        pytest.param(lambda: seal(_transmission(), b"another-key-0123456789abcdef"), id="another key"),
        pytest.param(lambda: seal(Submission("r1", "a.txt", TEXT), KEY), id="a submission"),
        pytest.param(lambda: _altered(head={"post": "RUEHC"}), id="head changed to another post"),
        pytest.param(lambda: _altered(head={"run": "r9"}), id="head changed to another run"),
        pytest.param(lambda: _altered(text=TEXT.replace("BODY", "BODe", 1)), id="text changed"),
        pytest.param(lambda: _altered(text=TEXT + "\n"), id="text lengthened"),
        pytest.param(
            lambda: _altered(head={"text_sha256": text_digest("another text")}, text="another text"),
            id="text and its digest changed",
        ),
        pytest.param(
            lambda: encode(Sealed(*msgspec.msgpack.decode(seal(_transmission(), KEY))[:2])),
            id="text left out",
        ),
        pytest.param(
            lambda: encode(Sealed(_mac_of_body(), encode(_transmission()))),
            id="the whole message sealed as one body",
        ),
    ],
)
def test_unsealed_forged_or_altered_messages_are_unauthenticated(payload) -> None:
    with pytest.raises(UnauthenticatedError):
        open_transmission(payload(), KEY)
    with pytest.raises(UnauthenticatedError):
        open_transmission_head(payload(), KEY, TextCheck())


def _altered(*, head: dict[str, object] | None = None, text: str | None = None) -> bytes:
    """A genuine sealed transmission with its head's fields changed and / or its text replaced, its
    MAC kept."""
    mac, body, genuine_text = msgspec.msgpack.decode(seal(_transmission(), KEY))
    decoded = msgspec.msgpack.decode(body, type=TransmissionHead)
    new_head = msgspec.structs.replace(decoded, **(head or {}))
    return encode(SealedTransmission(mac, encode(new_head), genuine_text if text is None else text))


def _mac_of_body() -> bytes:
    return mac_of(Transmission, encode(_transmission()), KEY)


def test_a_text_is_hashed_once_and_copies_of_it_are_checked_by_comparison() -> None:
    texts = TextCheck()
    for post in ("RUEHFK", "RUEHC", "RUEHKO"):
        assert open_transmission_head(seal(_transmission(post=post), KEY), KEY, texts).post == post
    assert (texts.hashed, texts.remembered) == (1, 2)
    with pytest.raises(UnauthenticatedError):  # a remembered digest does not let another text pass
        open_transmission_head(_altered(text=TEXT.replace("BODY", "BODe", 1)), KEY, texts)
    assert open_transmission(seal(_transmission(post="RUEHKO"), KEY), KEY).text == TEXT


def test_a_text_check_forgets_the_oldest_texts_beyond_its_budget() -> None:
    texts = TextCheck(max_chars=25)
    for number in range(5):
        text = f"text number {number}"  # 13 characters: one remembered at a time
        assert texts.matches(text, text_digest(text))
    assert texts.matches("text number 4", text_digest("text number 4"))
    assert texts.matches("text number 0", text_digest("text number 0"))
    assert (texts.hashed, texts.remembered) == (6, 1)
    assert not texts.matches("text number 0", text_digest("text number 1"))
    assert texts.matches("X" * 100, text_digest("X" * 100))  # over the budget: checked, not remembered
    assert texts.matches("X" * 100, text_digest("X" * 100))
    assert texts.hashed == 9


@pytest.mark.parametrize(
    "change",
    [
        {"channel_serial": 2**64 - 1},
        {"channel_serial": -1},
        {"post": "RUEHC\n"},
        {"post": "posts/#"},
        {"run": ""},
        {"cable_id": "X" * 5000},
        {"transmitted_sim": float("nan")},
        {"transmitted_wall": float("inf")},
        {"speed": -1.0},
    ],
    ids=str,
)
def test_a_sealed_message_out_of_bounds_is_malformed_not_recorded(change: dict[str, object]) -> None:
    payload = seal(_transmission(**change), KEY)  # even with the key: bounds are checked after the MAC
    with pytest.raises(WireError) as caught:
        open_transmission(payload, KEY)
    assert not isinstance(caught.value, UnauthenticatedError)


def test_the_claimed_run_is_read_from_sealed_and_bare_payloads() -> None:
    assert claimed_run(seal(_transmission(), KEY)) == "r1"
    assert claimed_run(encode(_transmission(run="r7"))) == "r7"
    assert claimed_run(b"\x93garbage") is None


@pytest.mark.parametrize("key", [b"k" * 16, KEY, b"long" * 40], ids=["16 bytes", "30 bytes", "160 bytes"])
def test_the_mac_is_standard_hmac_sha256_of_the_kind_and_body(key: bytes) -> None:
    import hashlib
    import hmac

    body = encode(_transmission())
    assert mac_of(Transmission, body, key) == hmac.digest(key, b"transmission\x00" + body, "sha256")
    mac, head, text = msgspec.msgpack.decode(seal(_transmission(), key))
    assert mac == hmac.digest(key, b"transmissionhead\x00" + head, "sha256")
    assert text == TEXT
    assert msgspec.msgpack.decode(head)[-1] == hashlib.sha256(TEXT.encode()).digest()
    submission = Submission("r1", "a.txt", TEXT)
    mac, body = msgspec.msgpack.decode(seal(submission, key))
    assert mac == hmac.digest(key, b"submission\x00" + body, "sha256")


class Acknowledgement(msgspec.Struct, frozen=True, array_like=True):
    """A message kind the wire module does not know: sealing needs nothing but the Struct."""

    run: str
    cable_id: str
    post: str


def test_any_message_kind_is_sealed_under_its_own_name() -> None:
    from replay.mqtt.wire import open_message

    ack = Acknowledgement("r1", "08TOKYO1", "RUEHFK")
    assert open_message(Acknowledgement, seal(ack, KEY), KEY) == ack
    same_fields = Submission("r1", "08TOKYO1", "RUEHFK")
    with pytest.raises(UnauthenticatedError):  # the kind is part of what is MACed
        open_message(Acknowledgement, seal(same_fields, KEY), KEY)


def test_the_messages_of_a_remote_run_round_trip_sealed() -> None:
    topology = bundled_example()
    start = RunStart(SESSION, "r2", topology.image(), False, [LedgerEntry(1, "08TOKYO1", "a.txt")])
    back = open_inbound(seal(start, KEY), KEY)
    assert back == start
    assert isinstance(back, RunStart)
    rebuilt = Topology.from_image(back.topology)
    assert sorted(rebuilt.posts) == sorted(topology.posts)
    assert rebuilt.resolve_name("AMCONSUL FUKUOKA") == topology.resolve_name("AMCONSUL FUKUOKA")
    cable = CableSubmission(SESSION, 1, 1_228_375_000.0, "cables/08TOKYO1.txt", TEXT)
    assert open_inbound(seal(cable, KEY), KEY) == cable
    assert open_inbound(seal(RunEnd(SESSION, 2), KEY), KEY) == RunEnd(SESSION, 2)
    assert claimed_session(seal(cable, KEY)) == (SESSION, 1)
    assert claimed_session(encode(start)) == (SESSION, 0)
    ack = Ack(session=SESSION, seqs=[0, 1], refused=[Refusal(2, "too large")])
    assert open_ack(seal(ack, KEY), KEY) == ack


def test_a_remote_run_message_unsealed_or_out_of_bounds_is_refused() -> None:
    with pytest.raises(UnauthenticatedError):
        open_inbound(encode(RunEnd(SESSION, 3)), KEY)
    with pytest.raises(UnauthenticatedError):
        open_ack(seal(Ack(session=SESSION, seqs=[1]), b"another-key-0123456789abcdef"), KEY)
    with pytest.raises(WireError, match="matching regex"):
        open_inbound(seal(RunEnd("not-a-session", 3), KEY), KEY)
    with pytest.raises(WireError):
        open_inbound(seal(CableSubmission(SESSION, 1, float("nan"), "a.txt", TEXT), KEY), KEY)
