"""Header consistency: places where a cable's header lines, or header and banner, disagree.

Each check looks at one cable and yields at most one finding of its kind:

- `dtg_vs_filing`: the FL3 filing time is more than `EARLY_FILING_S` before the FL5 DTG, or more
  than `LATE_FILING_S` after it (posts file at the DTG minute; Washington 1–60 minutes later).
- `fl4_vs_banner`: the FL4 security line and the body's banner name different classifications
  (EFTO counts as unclassified).
- `fl2_precedence`: the FL2 precedence is not the effective precedence of any addressee (FL2 carries
  the highest level of its branch, so it must be some addressee's level).
- `fl5_precedence`: a TO addressee states a precedence other than FL5's action level, or an INFO
  addressee states one above it.
- `id_vs_mrn`: the derived reference id's serial or station differs from the banner's MRN or origin
  (a redacted origin is not compared), or no id could be derived although the banner has an MRN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import msgspec

from replay.audit.facts import CableFacts
from router.precedence import LEVEL_BY_RANK

#: Filing more than this many seconds before the DTG is an outlier.
EARLY_FILING_S = 60.0

#: Filing more than this many seconds after the DTG is an outlier.
LATE_FILING_S = 3600.0

#: The consistency finding kinds, in report order.
KINDS: tuple[str, ...] = ("dtg_vs_filing", "fl4_vs_banner", "fl2_precedence", "fl5_precedence", "id_vs_mrn")

_LEVELS = ("TOP SECRET", "SECRET", "CONFIDENTIAL")
_TRAILING_SERIAL_RE = re.compile(r"(\d+)$")
_NOT_LETTERS_RE = re.compile(r"[^A-Z]")


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One inconsistency in one cable."""

    kind: str
    id: str
    detail: str


@lru_cache(maxsize=4096)
def classification_level(text: str | None) -> str | None:
    """`TOP SECRET`, `SECRET`, `CONFIDENTIAL` or `UNCLASSIFIED` for a FL4 or banner classification
    (`UNCLASSIFIED EFTO`, `UNCLAS`, `SECRET//NOFORN` …), or None when it names none of them."""
    if not text:
        return None
    words = " ".join(text.upper().replace("/", " ").split())
    for level in _LEVELS:
        if words.startswith(level):
            return level
    if words.startswith("UNCLAS"):
        return "UNCLASSIFIED"
    return None


def _level_name(rank: int | None) -> str:
    """A rank's level name."""
    level = LEVEL_BY_RANK.get(rank) if rank is not None else None
    return level.value if level is not None else "none"


def _minutes(seconds: float) -> str:
    """Seconds as a signed number of minutes, for messages."""
    return f"{seconds / 60:+.0f} min"


def check_dtg_vs_filing(facts: CableFacts) -> Finding | None:
    """Filing time far from the DTG."""
    if facts.dtg is None or facts.filed is None:
        return None
    offset = facts.filed - facts.dtg
    if -EARLY_FILING_S <= offset <= LATE_FILING_S:
        return None
    return Finding(kind="dtg_vs_filing", id=facts.id, detail=f"filed {_minutes(offset)} from the DTG")


def check_fl4_vs_banner(facts: CableFacts) -> Finding | None:
    """FL4 classification differs from the banner's."""
    fl4 = classification_level(facts.fl4_classification)
    banner = classification_level(facts.banner_classification)
    if fl4 is None or banner is None or fl4 == banner:
        return None
    return Finding(kind="fl4_vs_banner", id=facts.id, detail=f"FL4 {fl4}, banner {banner}")


def _effective_ranks(facts: CableFacts) -> set[int]:
    """The effective precedence ranks of the TO and INFO addressees."""
    return {a[3] for a in facts.addressees if a[0] != "xmt" and a[3] is not None}


def check_fl2_precedence(facts: CableFacts) -> Finding | None:
    """FL2 precedence that no addressee has."""
    if facts.fl2 is None:
        return None
    ranks = _effective_ranks(facts)
    if not ranks or facts.fl2 in ranks:
        return None
    levels = ", ".join(_level_name(r) for r in sorted(ranks, reverse=True))
    return Finding(
        kind="fl2_precedence",
        id=facts.id,
        detail=f"FL2 {_level_name(facts.fl2)}, addressees {levels}",
    )


def check_fl5_precedence(facts: CableFacts) -> Finding | None:
    """An addressee's stated precedence that FL5 contradicts."""
    action = facts.fl5_action
    if action is None:
        return None
    for addressee in facts.addressees:
        stated = addressee[4]
        if stated is None:
            continue
        kind = addressee[0]
        if (kind == "to" and stated != action) or (kind == "info" and stated > action):
            return Finding(
                kind="fl5_precedence",
                id=facts.id,
                detail=f"FL5 {_level_name(action)}, {kind.upper()} {addressee[2]} {_level_name(stated)}",
            )
    return None


def check_id_vs_mrn(facts: CableFacts) -> Finding | None:
    """Derived id that does not carry the banner's serial or origin."""
    mrn, origin = facts.banner_mrn, facts.banner_origin
    if not mrn or not mrn.isdigit():
        return None
    if not facts.derived:
        return Finding(
            kind="id_vs_mrn", id=facts.id, detail=f"no reference id derived; banner {origin or '?'} {mrn}"
        )
    match = _TRAILING_SERIAL_RE.search(facts.id)
    serial = int(match.group(1)) if match else None
    station = _banner_station(origin)
    if serial == int(mrn) and (station is None or station in facts.id):
        return None
    return Finding(kind="id_vs_mrn", id=facts.id, detail=f"banner {origin or '?'} {mrn}")


@lru_cache(maxsize=4096)
def _banner_station(origin: str | None) -> str | None:
    """The letters of a banner origin, upper case, as a derived id carries them; None when it is
    redacted (nothing but X)."""
    station = _NOT_LETTERS_RE.sub("", (origin or "").upper())
    return station if station.strip("X") else None


#: Every check, in report order.
CHECKS = (
    check_dtg_vs_filing,
    check_fl4_vs_banner,
    check_fl2_precedence,
    check_fl5_precedence,
    check_id_vs_mrn,
)


def check_cable(facts: CableFacts) -> Iterator[Finding]:
    """Every inconsistency of one cable."""
    for check in CHECKS:
        finding = check(facts)
        if finding is not None:
            yield finding


def consistency_findings(cables: Iterable[CableFacts]) -> list[Finding]:
    """Every inconsistency of every cable, in cable order."""
    return [finding for facts in cables for finding in check_cable(facts)]


def count_by_kind(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per kind, every kind present (zero when none)."""
    counts = dict.fromkeys(KINDS, 0)
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    return counts
