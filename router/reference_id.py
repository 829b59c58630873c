"""The reference id a cable was published under: 2-digit year + origin station + serial (`08TOKYO3310`).

The station is written as the banner names it, spaces removed (`TEL AVIV` -> `TELAVIV`, `USUN NEW YORK`
-> `USUNNEWYORK`); the serial is the banner's MRN without leading zeros. Without a banner, the station
comes from the FM line (`AMEMBASSY TOKYO` -> `TOKYO`, `SECSTATE WASHDC` -> `STATE`) and the serial from
FL3 (the station serial number, which is the serial modulo 10,000). The same fallback is used when the
banner's origin is redacted or its serial contradicts FL3.
"""

from __future__ import annotations

import re
from datetime import datetime

from router.model import Banner, Station

_PLAD_PREFIX_RE = re.compile(r"^(?:AMEMBASSY|AMEMB|AMCONSUL|AMCONGEN|USMISSION|USDEL|AMERICAN EMBASSY)\s+")
_NON_LETTERS_RE = re.compile(r"[^A-Z]")

#: FM PLADs whose station name is not the last part of the address.
_PLAD_STATIONS: dict[str, str] = {
    "SECSTATE WASHDC": "STATE",
    "SECSTATE WASHINGTON DC": "STATE",
    "DEPT OF STATE WASHDC": "STATE",
    "USMISSION USUN NEW YORK": "USUNNEWYORK",
    "USMISSION USNATO": "USNATO",
    "USMISSION UNVIE VIENNA": "UNVIEVIENNA",
    "USEU BRUSSELS": "USEUBRUSSELS",
}


def station_from_plad(plad: str | None) -> str | None:
    """The station part of a reference id for an originator PLAD (`AMEMBASSY ABU DHABI` -> `ABUDHABI`)."""
    if not plad:
        return None
    plad = " ".join(plad.split("//")[0].split())
    known = _PLAD_STATIONS.get(plad)
    if known is not None:
        return known
    station = _NON_LETTERS_RE.sub("", _PLAD_PREFIX_RE.sub("", plad))
    return station or None


def is_post_plad(plad: str | None) -> bool:
    """True for an originator that is a post or the Department (its station name is its reference id's)."""
    if not plad:
        return False
    plad = " ".join(plad.split("//")[0].split())
    return plad in _PLAD_STATIONS or (
        _PLAD_PREFIX_RE.match(plad) is not None and not plad.startswith("USDEL")
    )


def station_from_banner(banner: Banner | None) -> str | None:
    """The station part of a reference id as the banner writes the origin, spaces removed."""
    if banner is None or not banner.origin:
        return None
    origin = banner.origin
    if origin.isascii() and origin.isalpha() and origin.isupper():  # only A-Z: nothing to remove
        return origin
    station = _NON_LETTERS_RE.sub("", origin)
    return station or None


def _banner_fits(origin: str, mrn: str, station: Station | None, from_: str | None) -> bool:
    """False when the banner cannot be this cable's: a redacted origin, or a serial FL3 contradicts.

    (Archived copies sometimes carry another cable's body; FL3 and the FM post then name the cable. An
    originator that is not a post, such as a travelling delegation, numbers its cables in its own series.)
    """
    if origin.strip("X") == "":
        return False
    if station is None or station.ssn is None or int(mrn) % 10_000 == station.ssn % 10_000:
        return True
    return not is_post_plad(from_)


def derive_reference_id(
    moment: datetime | None, banner: Banner | None, station: Station | None, from_: str | None
) -> str | None:
    """The derived reference id, or None when the year, the station or the serial is unknown."""
    if moment is None:
        return None
    origin = station_from_banner(banner)
    serial: int | None = None
    mrn = banner.mrn if banner is not None else None
    if origin is not None and mrn and _banner_fits(origin, mrn, station, from_):
        serial = int(mrn)
    else:
        origin = station_from_plad(from_)
        if station is not None and station.ssn is not None:
            serial = station.ssn
    if origin is None or serial is None:
        return None
    return f"{moment.year % 100:02d}{origin}{serial}"
