"""The decoded cable: frozen msgspec Structs whose JSON form is a public contract.

The Structs hold only strings, numbers, dates and other such Structs, so they cannot form reference
cycles: they are left out of the garbage collector's tracking (`gc=False`), which keeps a corpus of
decoded cables cheap to hold.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from router.precedence import Precedence

Severity = Literal["info", "warning", "error"]


class Diagnostic(msgspec.Struct, frozen=True, gc=False):
    """Something the decoder noticed: `line` is 1-based from the top of the input (0: no line)."""

    line: int
    code: str
    severity: Severity
    message: str


class Transmission(msgspec.Struct, frozen=True, gc=False):
    """FL1: `VZCZC` + channel + channel serial."""

    channel: str
    serial: int


class Routing(msgspec.Struct, frozen=True, gc=False):
    """FL2: the routing precedence and the relay routing indicators."""

    precedence: Precedence | None
    relays: tuple[str, ...] = ()


class Station(msgspec.Struct, frozen=True, gc=False):
    """FL3: originating station RI, station serial number, section and filing time (UTC)."""

    ri: str
    ssn: int | None = None
    section: int | None = None
    filed: datetime | None = None


class Security(msgspec.Struct, frozen=True, gc=False):
    """FL4: security prosign (`ZNR`/`ZNY`), classification, further signals and any `(CCY ...)` note."""

    prosign: str | None
    classification: str | None
    release: str | None = None
    signals: tuple[str, ...] = ()
    note: str | None = None


class PrecedencePair(msgspec.Struct, frozen=True, gc=False):
    """FL5 precedence: the action level and, when FL5 has two letters, the info level."""

    action: Precedence | None = None
    info: Precedence | None = None


class Addressee(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One TO / INFO / XMT entry.

    `precedence` is the effective level (the primer's rule); `precedence_stated` the word on the
    line, normalised (typos included), or None when the line has no word; `precedence_word` the
    word as written.
    """

    ri: str | None = None
    name: str
    office: str | None = None
    precedence: Precedence | None = None
    precedence_stated: Precedence | None = None
    precedence_word: str | None = None
    niact: bool = False
    mcn: str | None = None
    zen: bool = False
    line: int = 0


class Banner(msgspec.Struct, frozen=True, gc=False):
    """The body's banner line, e.g. `C O N F I D E N T I A L SECTION 01 OF 02 TOKYO 003310`."""

    classification: str | None = None
    origin: str | None = None
    mrn: str | None = None
    section: int | None = None
    sections: int | None = None
    line: int = 0


class Cable(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A decoded cable: every header line, the body's banner and metadata, and diagnostics."""

    id: str | None = None
    source: str | None = None
    header_lines: int = 0
    transmission: Transmission | None = None
    routing: Routing | None = None
    station: Station | None = None
    security: Security | None = None
    precedence: PrecedencePair = PrecedencePair()
    dtg: datetime | None = None
    dtg_signals: tuple[str, ...] = ()
    from_: str | None = msgspec.field(default=None, name="from")
    to: tuple[Addressee, ...] = ()
    info: tuple[Addressee, ...] = ()
    xmt: tuple[Addressee, ...] = ()
    banner: Banner | None = None
    sipdis: bool = False
    declassify: date | None = None
    tags: tuple[str, ...] = ()
    subject: str | None = None
    references: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    header: str = ""
    size: int = 0

    @property
    def addressees(self) -> tuple[Addressee, ...]:
        """TO then INFO addressees (not XMT)."""
        return self.to + self.info

    @property
    def origin_ri(self) -> str | None:
        """The originating station's routing indicator (FL3), if known."""
        return self.station.ri if self.station else None

    @property
    def top_precedence(self) -> Precedence | None:
        """The highest precedence the cable carries (FL5 action level, else FL2)."""
        if self.precedence.action is not None:
            return self.precedence.action
        return self.routing.precedence if self.routing else None

    @property
    def has_errors(self) -> bool:
        """True when any diagnostic has error severity."""
        return any(d.severity == "error" for d in self.diagnostics)


_encoder = msgspec.json.Encoder()


def cable_to_json(cable: Cable) -> bytes:
    """The cable's JSON contract, as one line of bytes (no trailing newline)."""
    return _encoder.encode(cable)


def cables_to_json_lines(cables: list[Cable]) -> bytes:
    """The cables' JSON contracts, one line each (each `cable_to_json` and a newline), as bytes."""
    return _encoder.encode_lines(cables)
