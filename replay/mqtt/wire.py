"""The messages on the wire: msgpack via msgspec, sealed with an HMAC.

`Transmission` is what the router publishes to a post: the routing facts a receipt needs (run,
cable, post, role, precedence, NIACT, channel serial, simulated and wall-clock times) and the cable
text itself, so message sizes are those of the real traffic.

A remote run (`cableroute replay --remote` to `cableroute serve`) is a numbered sequence of messages
on `cables/in`: `RunStart` (number 0: the run's name, its topology and the submitter's ledger of
cable ids), one `CableSubmission` per cable (1 to N, in replay order, with the time each enters the
network) and `RunEnd` (N + 1). The router answers on the run's own topic (`cables/ack/<session>`)
with `Ack`s naming the numbers it holds, the ones it refused and why, and, for the end, the outcome.
`Submission` is the older form of a submitted cable (run, source, text), kept for the tests of
sealing.

Every field has bounds (`RunName`, `CableId`, `PostRI`, `Serial`, `Seconds`, ...), checked when a
message is decoded, so nothing out of range (a serial of 2**64-1, a NaN time, a post that is not a
routing indicator) gets past the edge into the audit store.

On the wire each message is sealed: `[mac, body]`, where `body` is the message's msgpack and `mac`
the HMAC-SHA256, under the deployment's key, of the message kind and `body`. The body names the run,
the cable and the post, so a sealed message cannot be replayed into another run or to another post,
and a client without the key (one that only reads the broker) cannot make one. `open_transmission`,
`open_submission` and, for any other message kind, `open_message` check the MAC before they decode
anything.

A transmission is sealed as `[mac, head, text]`: `head` is its `TransmissionHead` (every field but
the text, and the text's SHA-256) and `mac` is over the kind and `head` only. A cable goes to many
posts with the same text: the router hashes each text once (`text_digest`) however many posts it
goes to, and the post checks the text it got against the digest the MAC vouches for (`TextCheck`:
a text equal to one it has already checked against the same digest needs no hashing again). A text
altered on the way is refused as unauthenticated, like an altered head.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from functools import lru_cache
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from router.deliveries import Role, Sent
from router.precedence import Precedence
from topology.errors import CablerouteError
from topology.ri import RI_TEXT
from topology.topology import TopologyImage

#: The longest run name, cable id or source name a message may carry.
MAX_NAME = 4096
#: The longest cable text a message may carry (characters).
MAX_TEXT = 16_000_000
#: The size of a MAC (HMAC-SHA256).
MAC_SIZE = hashlib.sha256().digest_size

#: A run name: not empty, bounded.
RunName = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
#: A cable id (reference id or source name): not empty, bounded.
CableId = Annotated[str, Meta(min_length=1, max_length=MAX_NAME)]
#: A source name (may be empty in an end-of-run marker).
SourceName = Annotated[str, Meta(max_length=MAX_NAME)]
#: A post: a routing indicator, the whole string (no trailing newline).
PostRI = Annotated[str, Meta(pattern=f"^{RI_TEXT}\\Z")]
#: A serial number that fits a signed 64-bit SQLite integer.
Serial = Annotated[int, Meta(ge=0, le=2**63 - 1)]
#: A time in Unix seconds, finite, within a few thousand years of 1970.
Seconds = Annotated[float, Meta(ge=-1e11, le=1e11)]
#: Simulated seconds per wall-clock second (0: top speed); finite and not negative.
Speed = Annotated[float, Meta(ge=0.0, le=1e12)]
#: A cable's text.
Text = Annotated[str, Meta(max_length=MAX_TEXT)]


class WireError(CablerouteError, ValueError):
    """A payload that is not a valid message of the expected kind (malformed or out of bounds)."""


class UnauthenticatedError(WireError):
    """A payload without a MAC, or whose MAC is not that of the deployment's key."""


class TransmissionFacts(msgspec.Struct, frozen=True, array_like=True):
    """What a transmission and the receipt for it both carry, first and in this order on the wire:
    which run, cable and post, in what role and precedence, and its simulated times."""

    run: RunName
    cable_id: CableId
    post: PostRI
    role: Role
    precedence: Precedence
    niact: bool
    channel_serial: Serial
    scheduled_sim: Seconds
    enqueued_sim: Seconds
    transmitted_sim: Seconds


class TransmissionHeader(TransmissionFacts, frozen=True, array_like=True):
    """A transmission to one post but its text: everything a post records. `*_sim` are simulated
    Unix seconds, `*_wall` wall-clock ones.

    `speed` is simulated seconds per wall second (0 at top speed): a receiver converts its own
    wall-clock delay into simulated time with it.
    """

    scheduled_wall: Seconds
    enqueued_wall: Seconds
    transmitted_wall: Seconds
    speed: Speed


class Transmission(TransmissionHeader, frozen=True, array_like=True):
    """One transmission to one post, with the cable's text."""

    text: Text


#: A SHA-256 digest.
Digest = Annotated[bytes, Meta(min_length=32, max_length=32)]


class TransmissionHead(TransmissionHeader, frozen=True, array_like=True):
    """What the MAC of a sealed transmission covers: its header and the SHA-256 of its text (UTF-8)."""

    text_sha256: Digest


class Submission(msgspec.Struct, frozen=True, array_like=True):
    """A cable handed to the router service: the run it belongs to, where it came from, its text."""

    run: RunName
    source: SourceName
    text: Text


#: A run's session: 32 lower-case hex digits chosen by the submitter, also naming its ack topic.
Session = Annotated[str, Meta(pattern="^[0-9a-f]{32}$")]
#: A message's number within its remote run.
Seq = Annotated[int, Meta(ge=0, le=2**31)]
#: Why the router refused a message, or a run's status.
Reason = Annotated[str, Meta(max_length=MAX_NAME)]
#: A count of cables or deliveries.
Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]


class LedgerEntry(msgspec.Struct, frozen=True, array_like=True):
    """One cable the submitter is going to send: its number in the run, id and source."""

    seq: Seq
    cable_id: CableId
    source: SourceName


class RunStart(msgspec.Struct, frozen=True, array_like=True, tag="start"):
    """The start of a remote run: its name, how to route it, and the ledger of what will be sent."""

    session: Session
    run: RunName
    topology: TopologyImage
    fifo: bool
    ledger: list[LedgerEntry]


class CableSubmission(msgspec.Struct, frozen=True, array_like=True, tag="cable"):
    """Cable number `seq` of a run: where it came from, its text, and when it enters the network
    (Unix seconds, as the local replay would inject it)."""

    session: Session
    seq: Seq
    at: Seconds
    source: SourceName
    text: Text


class RunEnd(msgspec.Struct, frozen=True, array_like=True, tag="end"):
    """The end of a remote run: nothing follows message number `seq`."""

    session: Session
    seq: Seq


#: What a remote submitter sends on `cables/in`.
Inbound = RunStart | CableSubmission | RunEnd


class Refusal(msgspec.Struct, frozen=True, array_like=True):
    """A message the router will not take, and why (it is not sent again)."""

    seq: Seq
    reason: Reason


class RunOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What the router made of a finished run."""

    status: Reason
    routed: Count
    lost: Count
    planned: Count
    published: Count


class Ack(msgspec.Struct, frozen=True, kw_only=True):
    """The router's answer on a run's ack topic: messages it holds, ones it refused, and (once the
    end is handled) the outcome."""

    session: Session
    seqs: list[Seq] = []
    refused: list[Refusal] = []
    outcome: RunOutcome | None = None


class Sealed(msgspec.Struct, frozen=True, array_like=True):
    """A message on the wire: its MAC and its encoded body."""

    mac: Annotated[bytes, Meta(min_length=MAC_SIZE, max_length=MAC_SIZE)]
    body: bytes


class _SealedOther(Sealed, frozen=True, array_like=True, forbid_unknown_fields=True):
    """A sealed message with no text beside its body: of another kind than a transmission."""


class SealedTransmission(msgspec.Struct, frozen=True, array_like=True):
    """A transmission on the wire: the MAC of its head, its encoded head, and its text."""

    mac: Annotated[bytes, Meta(min_length=MAC_SIZE, max_length=MAC_SIZE)]
    head: bytes
    text: Text


class _RunOnly(msgspec.Struct, frozen=True, array_like=True):
    """The first field of every message: the run it claims to belong to."""

    run: str


class _Envelope(msgspec.Struct, frozen=True, array_like=True):
    """The first fields of a remote run's message: its kind, session and (cable, end) number."""

    kind: str
    session: str
    third: int | str = 0


Message = TypeVar("Message", bound=msgspec.Struct)

_encoder = msgspec.msgpack.Encoder()
_sealed_decoder = msgspec.msgpack.Decoder(Sealed)
_sealed_transmission_decoder = msgspec.msgpack.Decoder(SealedTransmission)
_head_decoder = msgspec.msgpack.Decoder(TransmissionHead)
_sealed_other_decoder = msgspec.msgpack.Decoder(_SealedOther)
_run_decoder = msgspec.msgpack.Decoder(_RunOnly)
_envelope_decoder = msgspec.msgpack.Decoder(_Envelope)
#: The message kinds of a remote run by the tag their body starts with.
_INBOUND_KINDS: dict[str, type[RunStart | CableSubmission | RunEnd]] = {
    "start": RunStart,
    "cable": CableSubmission,
    "end": RunEnd,
}
_DECODERS: dict[type, msgspec.msgpack.Decoder] = {}


def _decoder(kind: type) -> msgspec.msgpack.Decoder:
    """The (cached) decoder of a message kind, checking every bound of its fields."""
    found = _DECODERS.get(kind)
    if found is None:
        found = _DECODERS[kind] = msgspec.msgpack.Decoder(kind)
    return found


@lru_cache(maxsize=64)
def _kind_tag(kind: type) -> bytes:
    """What is MACed before the body: the message kind's name, so one kind cannot pass for another."""
    return kind.__name__.lower().encode() + b"\x00"


def _kind_name(kind: type) -> str:
    return "cable submission" if kind is Submission else kind.__name__.lower()


def transmission_for(
    sent: Sent, *, run: str, text: str, scheduled_wall: float, transmitted_wall: float, speed: float
) -> Transmission:
    """The message for a completed transmission (`Sent`) of a cable whose text is `text`."""
    head = transmission_head_for(
        sent,
        run=run,
        digest=text_digest(text),
        scheduled_wall=scheduled_wall,
        transmitted_wall=transmitted_wall,
        speed=speed,
    )
    return _with_text(head, text)


def transmission_head_for(
    sent: Sent, *, run: str, digest: bytes, scheduled_wall: float, transmitted_wall: float, speed: float
) -> TransmissionHead:
    """The head of the message for a completed transmission (`Sent`) of a cable whose text has the
    SHA-256 `digest` (`text_digest`), for `seal_transmission`."""
    return TransmissionHead(
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
        digest,
    )


@lru_cache(maxsize=16)
def _hmac_states(key: bytes) -> tuple[Any, Any]:
    """The SHA-256 states after the inner and outer padded key of HMAC (RFC 2104), to be copied for
    each message: much cheaper than setting up an HMAC per message."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
    return inner, outer


def mac_of(kind: type, body: bytes, key: bytes) -> bytes:
    """The HMAC-SHA256 of a message kind and its encoded body under `key` (the same bytes as
    `hmac.digest(key, tag + body, "sha256")`)."""
    inner_start, outer_start = _hmac_states(key)
    inner = inner_start.copy()
    inner.update(_kind_tag(kind))
    inner.update(body)
    outer = outer_start.copy()
    outer.update(inner.digest())
    return outer.digest()


def seal(message: msgspec.Struct, key: bytes) -> bytes:
    """The payload bytes of a message (any message Struct, sealed under its kind): its body and the
    body's MAC under `key`; a `Transmission` as `seal_transmission` seals it."""
    if isinstance(message, Transmission):
        return seal_transmission(head_of(message, text_digest(message.text)), message.text, key)
    body = _encoder.encode(message)
    return _encoder.encode(Sealed(mac_of(type(message), body, key), body))


def text_digest(text: str) -> bytes:
    """The SHA-256 of a cable text (its UTF-8 bytes), as a `TransmissionHead` carries it."""
    return hashlib.sha256(text.encode()).digest()


def head_of(message: TransmissionHeader, digest: bytes) -> TransmissionHead:
    """The head of a transmission whose text has the SHA-256 `digest`."""
    return TransmissionHead(*_header_values(message), digest)


#: The values of a `TransmissionHeader`'s fields, in order.
_HeaderValues = tuple[
    str, str, str, Role, Precedence, bool, int, float, float, float, float, float, float, float
]


def _header_values(h: TransmissionHeader) -> _HeaderValues:
    return (
        h.run, h.cable_id, h.post, h.role, h.precedence, h.niact, h.channel_serial, h.scheduled_sim,
        h.enqueued_sim, h.transmitted_sim, h.scheduled_wall, h.enqueued_wall, h.transmitted_wall, h.speed,
    )  # fmt: skip


def seal_transmission(head: TransmissionHead, text: str, key: bytes) -> bytes:
    """The payload bytes of a transmission: its head's MAC under `key`, its head and its text.
    `head.text_sha256` must be `text_digest(text)` (the post refuses the message otherwise); a
    router computes it once per cable, whatever the number of posts the cable goes to."""
    body = _encoder.encode(head)
    return _encoder.encode(SealedTransmission(mac_of(TransmissionHead, body, key), body, text))


#: Characters of text a `TextCheck` remembers by default (the oldest are forgotten first).
TEXT_CHECK_CHARS = 8_000_000


class TextCheck:
    """Checks the texts of sealed transmissions against the SHA-256 their (MAC-checked) heads give.

    The texts that passed are remembered by digest, up to `max_chars` characters in all: a copy of
    one of them (the same cable to another post) passes by being equal to it, without hashing it
    again. A text that is not the one its digest was made from never passes.
    """

    def __init__(self, max_chars: int = TEXT_CHECK_CHARS) -> None:
        self.max_chars = max_chars
        self._known: dict[bytes, str] = {}
        self._chars = 0
        #: Texts hashed, and texts that passed by comparison with a remembered one.
        self.hashed = 0
        self.remembered = 0

    def matches(self, text: str, digest: bytes) -> bool:
        """Whether `text` is the text whose SHA-256 is `digest`."""
        known = self._known.get(digest)
        if known is not None:
            self.remembered += 1
            return known == text
        self.hashed += 1
        if not hmac.compare_digest(text_digest(text), digest):
            return False
        size = len(text)
        if size <= self.max_chars:
            known_texts = self._known
            while known_texts and self._chars + size > self.max_chars:
                self._chars -= len(known_texts.pop(next(iter(known_texts))))
            known_texts[digest] = text
            self._chars += size
        return True


def encode(message: msgspec.Struct) -> bytes:
    """The bare msgpack of a message, without a MAC (what an unauthenticated sender would publish)."""
    return _encoder.encode(message)


def open_message(kind: type[Message], payload: bytes, key: bytes) -> Message:
    """The message of `kind` sealed in `payload`, every bound checked; UnauthenticatedError when its
    MAC is missing or wrong, WireError when it is not a valid message of that kind. New message kinds
    (Structs whose fields use the bounded types above) need nothing else to be sealed and opened."""
    name = _kind_name(kind)
    try:
        sealed = _sealed_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        try:
            _decoder(kind).decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise WireError(f"not a sealed {name}: {error}") from error
        raise UnauthenticatedError(f"a {name} without a MAC") from None
    if not hmac.compare_digest(sealed.mac, mac_of(kind, sealed.body, key)):
        raise UnauthenticatedError(f"a {name} whose MAC does not match the key")
    try:
        return _decoder(kind).decode(sealed.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a valid {name}: {error}") from error


def open_one_of(kinds: tuple[type[msgspec.Struct], ...], payload: bytes, key: bytes) -> msgspec.Struct:
    """The message sealed in `payload`, of whichever of `kinds` its MAC is for, every bound checked.
    UnauthenticatedError when it is one of them without a MAC, or its MAC is for none of them under
    `key`; WireError when it is no message at all, or out of bounds."""
    try:
        sealed = _sealed_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        for kind in kinds:
            try:
                _decoder(kind).decode(payload)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
            raise UnauthenticatedError(f"a {_kind_name(kind)} without a MAC") from None
        raise WireError(f"not a sealed message: {error}") from error
    for kind in kinds:
        if hmac.compare_digest(sealed.mac, mac_of(kind, sealed.body, key)):
            try:
                return _decoder(kind).decode(sealed.body)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                raise WireError(f"not a valid {_kind_name(kind)}: {error}") from error
    raise UnauthenticatedError("a message whose MAC does not match the key")


def open_transmission(payload: bytes, key: bytes) -> Transmission:
    """The `Transmission` sealed in `payload`; UnauthenticatedError when its MAC is missing or wrong
    or its text is not the one the MAC vouches for, WireError when it is not a valid transmission."""
    return _with_text(*_open_transmission(payload, key, None))


def _with_text(h: TransmissionHeader, text: str) -> Transmission:
    """The whole transmission of a header and its text."""
    return Transmission(*_header_values(h), text)


def open_transmission_head(payload: bytes, key: bytes, texts: TextCheck) -> TransmissionHead:
    """The head of the transmission sealed in `payload`, after the same checks as
    `open_transmission` (its text checked with `texts`), without making the whole message."""
    return _open_transmission(payload, key, texts)[0]


def _open_transmission(payload: bytes, key: bytes, texts: TextCheck | None) -> tuple[TransmissionHead, str]:
    try:
        sealed = _sealed_transmission_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            _sealed_other_decoder.decode(payload)
            raise UnauthenticatedError("a sealed message whose MAC is not for a transmission") from None
        try:
            _decoder(Transmission).decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise WireError(f"not a sealed transmission: {error}") from error
        raise UnauthenticatedError("a transmission without a MAC") from None
    if not hmac.compare_digest(sealed.mac, mac_of(TransmissionHead, sealed.head, key)):
        raise UnauthenticatedError("a transmission whose MAC does not match the key")
    try:
        head = _head_decoder.decode(sealed.head)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a valid transmission: {error}") from error
    text = sealed.text
    if texts is not None:
        matches = texts.matches(text, head.text_sha256)
    else:
        matches = hmac.compare_digest(text_digest(text), head.text_sha256)
    if not matches:
        raise UnauthenticatedError("a transmission whose text is not the one its MAC vouches for")
    return head, text


def open_submission(payload: bytes, key: bytes) -> Submission:
    """The `Submission` sealed in `payload`; UnauthenticatedError when its MAC is missing or wrong,
    WireError when it is not a valid submission."""
    return open_message(Submission, payload, key)


def open_inbound(payload: bytes, key: bytes) -> RunStart | CableSubmission | RunEnd:
    """The message of a remote run sealed in `payload`; UnauthenticatedError when its MAC is missing or
    wrong, WireError when it is not a valid one."""
    claimed = _claimed_kind(payload)
    if claimed is None:
        raise WireError("not a message of a remote run")
    return open_message(_INBOUND_KINDS[claimed], payload, key)


def open_ack(payload: bytes, key: bytes) -> Ack:
    """The `Ack` sealed in `payload`; UnauthenticatedError or WireError as `open_inbound`."""
    return open_message(Ack, payload, key)


def _claimed_kind(payload: bytes) -> str | None:
    """Which message of a remote run a payload (sealed or bare) says it is, by the tag its body
    starts with; None when it is none of them."""
    envelope = _envelope_of(payload)
    return envelope.kind if envelope is not None else None


def _envelope_of(payload: bytes) -> _Envelope | None:
    try:
        body = _sealed_decoder.decode(payload).body
    except (msgspec.DecodeError, msgspec.ValidationError):
        body = payload
    try:
        envelope = _envelope_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return envelope if envelope.kind in _INBOUND_KINDS else None


def claimed_session(payload: bytes) -> tuple[str, int] | None:
    """The session and message number a remote run's message (sealed or bare) says it has, without
    checking anything else (for answering or counting one that is refused); None when it names none."""
    envelope = _envelope_of(payload)
    if envelope is None:
        return None
    seq = envelope.third if envelope.kind != "start" and isinstance(envelope.third, int) else 0
    return envelope.session, seq


def claimed_run(payload: bytes) -> str | None:
    """The run a payload says it belongs to, sealed or bare, without checking anything else (for
    telling other runs' traffic from forgeries, and for counting rejections); None when it names none."""
    try:
        body = _sealed_decoder.decode(payload).body
    except (msgspec.DecodeError, msgspec.ValidationError):
        body = payload
    try:
        run = _run_decoder.decode(body).run
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return run if 0 < len(run) <= MAX_NAME else None


def decode_transmission(payload: bytes) -> Transmission:
    """A bare (unsealed) `Transmission` from payload bytes, with every bound checked; WireError when
    they are not one."""
    try:
        return _decoder(Transmission).decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a transmission: {error}") from error


def decode_submission(payload: bytes) -> Submission:
    """A bare (unsealed) `Submission` from payload bytes, with every bound checked; WireError when
    they are not one."""
    try:
        return _decoder(Submission).decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise WireError(f"not a cable submission: {error}") from error


class PostReceipt(TransmissionFacts, frozen=True, array_like=True):
    """What a post publishes for each transmission it took (`cableroute posts`): the transmission's
    facts and the post's own receive time, wall-clock and simulated; `dropped` when a lossy post
    dropped it on purpose (no receipt then, a drop). One recorder writes them to the audit store."""

    received_sim: Seconds
    scheduled_wall: Seconds
    enqueued_wall: Seconds
    transmitted_wall: Seconds
    received_wall: Seconds
    dropped: bool = False


def open_post_receipt(payload: bytes, key: bytes) -> PostReceipt:
    """The `PostReceipt` sealed in `payload`; UnauthenticatedError when its MAC is missing or wrong,
    WireError when it is not a valid receipt."""
    return open_message(PostReceipt, payload, key)
