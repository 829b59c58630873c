"""What the audit needs to know about one cable, as a plain record (from a decoded `Cable` or a store row)."""

from __future__ import annotations

from typing import NamedTuple

from replay.store.rows import AddresseeRow, decode_addressees, encode_addressees
from router.model import Cable
from router.order import dtg_time, filing_time


class CableFacts(NamedTuple):
    """One cable's serials, times, classifications and precedence as the audit reads them.

    Precedences are ranks (3 FLASH … 0 ROUTINE) or None; times are Unix seconds. `addressees` are
    tuples `(kind, ri, name, rank, stated rank, niact, mcn, zen, office)` with kind `to`/`info`/`xmt`.
    `derived` is False when the decoder could not derive a reference id (`id` is then the source).
    """

    id: str
    origin: str | None = None
    ssn: int | None = None
    year: int | None = None
    dtg: float | None = None
    filed: float | None = None
    fl2: int | None = None
    fl5_action: int | None = None
    fl5_info: int | None = None
    fl4_classification: str | None = None
    banner_classification: str | None = None
    banner_origin: str | None = None
    banner_mrn: str | None = None
    addressees: tuple[AddresseeRow, ...] = ()
    derived: bool = True

    @property
    def time(self) -> float | None:
        """When the cable entered the network: filing time, else DTG."""
        return self.filed if self.filed is not None else self.dtg


def _rank(level: object) -> int | None:
    """The rank of a precedence, or None."""
    rank = getattr(level, "rank", None)
    return rank if isinstance(rank, int) else None


def facts_from_cable(cable: Cable) -> CableFacts:
    """The facts of a decoded cable (the same values the audit store keeps)."""
    station = cable.station
    moment = cable.dtg or (station.filed if station is not None else None)
    banner = cable.banner
    return CableFacts(
        id=cable.id or cable.source or "unknown",
        origin=station.ri if station is not None else None,
        ssn=station.ssn if station is not None else None,
        year=moment.year if moment is not None else None,
        dtg=dtg_time(cable),
        filed=filing_time(cable),
        fl2=_rank(cable.routing.precedence) if cable.routing is not None else None,
        fl5_action=_rank(cable.precedence.action),
        fl5_info=_rank(cable.precedence.info),
        fl4_classification=cable.security.classification if cable.security is not None else None,
        banner_classification=banner.classification if banner is not None else None,
        banner_origin=banner.origin if banner is not None else None,
        banner_mrn=banner.mrn if banner is not None else None,
        addressees=decode_addressees(encode_addressees(cable)),
        derived=cable.id is not None,
    )
