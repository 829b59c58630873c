"""How what the router decided becomes rows of the audit store: cables (with their addressees as one
msgpack blob) as plain tuples, planned deliveries and simulated receipts as tuples of small integer
codes (`RowCoder`) and times.

Rows are built wherever the data is (a cable's row on the worker that decoded it) and handed to
`AuditStore.record_cable_rows` / `record_rows` as they are, so that the bulk of a run crosses between
processes as plain values. Precedence is stored as its rank (3 FLASH … 0 ROUTINE), a role as its code
(`ROLES`), times as Unix seconds, and a flag (NIACT, derived id) as the integer 0 or 1, never a Python
bool: `sqlite3` binds an int directly but looks a bool up in its adapters first, at the cost of an
exception raised and cleared inside the module for every value (a third of an insert's CPU).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any, TypeVar

import msgspec

from router.deliveries import Role
from router.model import Addressee, Cable
from router.order import key_of
from router.precedence import RANK, Precedence
from router.times import seconds

#: The roles of planned deliveries and receipts, by the code the store keeps them as (in the order of
#: their names, so that ordering rows by code orders them by name).
ROLES: tuple[Role, ...] = ("action", "info")

#: A role's code in the store.
ROLE_CODES: dict[str, int] = {role: code for code, role in enumerate(ROLES)}

_RANK_OR_NONE: dict[Precedence | None, int | None] = {None: None}
_RANK_OR_NONE.update((level, rank) for level, rank in RANK.items())

#: A cable in the form of `record_cable_rows`: its id, then its `cables` columns (see `cable_rows`).
CableRow = tuple[Any, ...]

#: A cable row as the store writer process decodes it (`RecordCableRows`): the addressee blob (position
#: 22) as a `bytearray`, which `sqlite3` binds as a BLOB as it is (`bytes` only after a look-up in its
#: adapters: 2.6 k instructions a row).
WireCableRow = tuple[
    Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any,  # cable id, source … fl5_action
    Any, Any, Any, Any, Any, Any, Any, Any, Any, Any,  # fl5_info … errors
    bytearray, Any,  # addressees, derived
]  # fmt: skip

#: A planned delivery in the bulk form of `record_rows`: (cable code, post code, role code, precedence
#: rank, NIACT as 0 or 1, reasons code), the codes given by the batch's `RowCoder`.
DeliveryRow = tuple[int, int, int, int, int, int]

#: A simulated receipt in the bulk form of `record_rows`: (cable code, post code, role code, precedence
#: rank, NIACT as 0 or 1, channel serial, then the scheduled, enqueued, transmitted and received
#: simulated times).
ReceiptRow = tuple[int, int, int, int, int, int, float, float, float, float]

K = TypeVar("K", bound=Hashable)


def _codes() -> defaultdict[Any, int]:
    """Small integer codes, 0, 1, 2 … in order of first use: `codes[key]` gives a new key the next one.
    (A `defaultdict` counting on: looked up at C speed, where a dict subclass with `__missing__` goes
    through a Python-level `__getitem__` slot on every lookup, twice the time.)"""
    return defaultdict(itertools.count().__next__)


def _coded_since(codes: defaultdict[K, int], named: int) -> list[K]:
    """The keys of `codes` coded after the first `named`, in code order (read from the end)."""
    new = list(itertools.islice(reversed(codes), len(codes) - named))
    new.reverse()
    return new


class RowBatch(msgspec.Struct, frozen=True, array_like=True):
    """Delivery and receipt rows for `record_rows`, and the cable ids, post RIs and reasons texts that
    their codes stand for, for the codes first used in this batch: codes count on from the previous
    batch of the same `RowCoder`, which the store keeps per run. `named`: how many cable, post and
    reasons codes the earlier batches named (so that a batch out of order is refused)."""

    named: tuple[int, int, int]
    cables: list[str]
    posts: list[str]
    reasons: list[str]
    deliveries: list[DeliveryRow]
    receipts: list[ReceiptRow]


class RowCoder:
    """Codes for the cables, posts and reasons of one run's delivery and receipt rows, so that a row is
    a handful of small integers: cheap to encode, send and decode, and put into the store with a list
    lookup per key instead of hashing its strings."""

    def __init__(self) -> None:
        self.cables: defaultdict[str, int] = _codes()
        self.posts: defaultdict[str, int] = _codes()
        self.reasons: defaultdict[tuple[str, ...], int] = _codes()
        self._named = (0, 0, 0)  # how many codes of each kind the batches so far named

    def batch(self, deliveries: list[DeliveryRow], receipts: list[ReceiptRow]) -> RowBatch:
        """The rows with what the codes first used since the last batch stand for."""
        named = self._named
        cables = _coded_since(self.cables, named[0])
        posts = _coded_since(self.posts, named[1])
        reasons = _coded_since(self.reasons, named[2])
        self._named = (len(self.cables), len(self.posts), len(self.reasons))
        texts = ["\n".join(lines) for lines in reasons]
        return RowBatch(named, cables, posts, texts, deliveries, receipts)


# One addressee in the `cables.addressees` blob.
AddresseeRow = tuple[str, str | None, str, int | None, int | None, bool, str | None, bool, str | None]
_ADDRESSEE_KIND_TO, _ADDRESSEE_KIND_INFO, _ADDRESSEE_KIND_XMT = "to", "info", "xmt"

_blob_encoder = msgspec.msgpack.Encoder()
_blob_decoder = msgspec.msgpack.Decoder(tuple[AddresseeRow, ...])


def cable_key_of(cable: Cable) -> str:
    """The id deliveries and receipts use for a cable: its derived id, else its source, else `unknown`."""
    return cable.id or cable.source or "unknown"


def encode_addressees(cable: Cable) -> bytes:
    """The cable's TO, INFO and XMT addressees as one msgpack blob (see `decode_addressees`)."""
    rows: list[AddresseeRow] = []
    for kind, group in (
        (_ADDRESSEE_KIND_TO, cable.to),
        (_ADDRESSEE_KIND_INFO, cable.info),
        (_ADDRESSEE_KIND_XMT, cable.xmt),
    ):
        if group:
            rows.extend(_addressee_rows(kind, group))
    return _blob_encoder.encode(rows)


def _addressee_rows(kind: str, group: tuple[Addressee, ...]) -> list[AddresseeRow]:
    """Addressees as plain tuples (kind, ri, name, rank, stated rank, niact, mcn, zen, office)."""
    rank = _RANK_OR_NONE
    return [
        (kind, a.ri, a.name, rank[a.precedence], rank[a.precedence_stated], a.niact, a.mcn, a.zen, a.office)
        for a in group
    ]


def decode_addressees(blob: bytes | None) -> tuple[AddresseeRow, ...]:
    """The addressee tuples of a cable row: (kind, ri, name, rank, stated rank, niact, mcn, zen, office)."""
    return _blob_decoder.decode(blob) if blob else ()


def _cable_columns(cable: Cable) -> tuple[Any, ...]:
    """Everything but the key, run and cable id of a `cables` row (in `_FILL_PLACEHOLDER_SQL` order)."""
    station = cable.station
    filed = seconds(station.filed) if station is not None else None
    dtg = seconds(cable.dtg)
    moment = cable.dtg or (station.filed if station is not None else None)
    banner = cable.banner
    security = cable.security
    transmission = cable.transmission
    routing = cable.routing
    rank = _RANK_OR_NONE
    return (
        cable.source,
        station.ri if station is not None else None,
        station.ssn if station is not None else None,
        station.section if station is not None else None,
        moment.year if moment is not None else None,
        dtg,
        filed,
        filed if filed is not None else dtg,
        rank[cable.top_precedence],
        rank[routing.precedence] if routing is not None else None,
        rank[cable.precedence.action],
        rank[cable.precedence.info],
        security.classification if security is not None else None,
        banner.classification if banner is not None else None,
        banner.origin if banner is not None else None,
        banner.mrn if banner is not None else None,
        banner.section if banner is not None else None,
        transmission.channel if transmission is not None else None,
        transmission.serial if transmission is not None else None,
        cable.size,
        len([d for d in cable.diagnostics if d.severity == "error"]),
        encode_addressees(cable),
        int(cable.id is not None),
    )


def cable_rows(cables: Iterable[Cable]) -> list[CableRow]:
    """Cables as `AuditStore.record_cable_rows` takes them: each its id, then its `cables` columns."""
    return [(cable_key_of(cable), *_cable_columns(cable)) for cable in cables]


# Where a cable row (`cable_rows`) has the DTG, the entry time and the top precedence's rank.
_DTG, _TIME, _PRECEDENCE = 6, 8, 9


def row_replay_key(row: CableRow) -> tuple[int, float, float, int, int]:
    """`router.order.replay_key(cable, 0)` of the cable a row was made from, taken from the times and
    precedence the row has already worked out."""
    return key_of(row[_TIME], row[_DTG], row[_PRECEDENCE], 0)
