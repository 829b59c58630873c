"""A compact byte form of what planning needs from a cable, for holding a whole corpus in memory.

A decoded `Cable` carries its header text, diagnostics and body fields; planning needs far less: the
id, origin, FL1 channel, precedence pair, FL2 precedence and relays, size and the TO/INFO/XMT
addressees. `pack` keeps just that as one msgpack array (about 40 bytes per addressee), and `unpack`
rebuilds a `Cable` that plans exactly like the original and from which a topology learns the same
(`router.learn`).
"""

from __future__ import annotations

import msgspec

from router.model import Addressee, Cable, PrecedencePair, Routing, Station, Transmission
from router.precedence import LEVEL_BY_RANK, RANK, Precedence

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


#: Level -> rank, None -> -1 (a plain lookup: `pack` makes two per addressee).
_RANK_OR_MINUS_ONE: dict[Precedence | None, int] = {None: -1}
_RANK_OR_MINUS_ONE.update((level, rank) for level, rank in RANK.items())


#: Rank -> level, -1 -> None (a plain lookup: `unpack` makes a few per addressee).
_LEVEL_OR_NONE: dict[int, Precedence | None] = {-1: None, **LEVEL_BY_RANK}


def _level(rank: int) -> Precedence | None:
    return _LEVEL_OR_NONE[rank]


def _pack_addressees(addressees: tuple[Addressee, ...]) -> list[tuple]:
    rank = _RANK_OR_MINUS_ONE
    return [
        (a.ri, a.name, a.office, rank[a.precedence], rank[a.precedence_stated], a.niact, a.zen, a.line)
        for a in addressees
    ]


def _unpack_addressees(rows: list[list]) -> tuple[Addressee, ...]:
    level_of = _LEVEL_OR_NONE
    return tuple(  # (from a list: a generator costs more per item)
        [
            Addressee(
                ri=ri,
                name=name,
                office=office,
                precedence=level_of[level],
                precedence_stated=level_of[stated],
                niact=niact,
                zen=zen,
                line=line,
            )
            for ri, name, office, level, stated, niact, zen, line in rows
        ]
    )


def pack(cable: Cable) -> bytes:
    """The planning-relevant part of a cable as bytes."""
    routing = cable.routing
    rank = _RANK_OR_MINUS_ONE
    return _encoder.encode(
        (
            cable.id,
            cable.source,
            cable.origin_ri,
            cable.from_,
            rank[cable.precedence.action],
            rank[cable.precedence.info],
            None if routing is None else (rank[routing.precedence], routing.relays),
            None if cable.transmission is None else (cable.transmission.channel, cable.transmission.serial),
            cable.size,
            _pack_addressees(cable.to),
            _pack_addressees(cable.info),
            _pack_addressees(cable.xmt),
        )
    )


def unpack(data: bytes) -> Cable:
    """A cable rebuilt from `pack` output: enough to plan it and to know its size."""
    fields = _decoder.decode(data)
    cable_id, source, origin, from_, action, info, routing, transmission, size, to, info_lines, xmt = fields
    return Cable(
        id=cable_id,
        source=source,
        station=Station(ri=origin) if origin else None,
        from_=from_,
        precedence=PrecedencePair(action=_level(action), info=_level(info)),
        routing=None if routing is None else Routing(precedence=_level(routing[0]), relays=tuple(routing[1])),
        transmission=None if transmission is None else Transmission(*transmission),
        size=size,
        to=_unpack_addressees(to),
        info=_unpack_addressees(info_lines),
        xmt=_unpack_addressees(xmt),
    )
