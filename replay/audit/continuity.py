"""Serial-number continuity: station serials, MCNs and channel serials, and the numbers missing from each.

Every series is reduced to *segments* of numbers that should be consecutive; a segment's missing
numbers are those between its lowest and highest number that never occur. Reordering inside a segment
is not a gap. What starts a new segment (and so is never a gap):

- station serials (FL3): one segment per originating station and year;
- MCNs: one series per originating station and addressee, taken in filing order; a new segment when
  the year changes (yearly reset) or when the number falls by half the range or more (wraparound past
  9999); `0000` is not part of any series;
- channel serials: one segment per circuit (post), from 1 to the highest serial the post received.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from operator import itemgetter

import msgspec

from replay.audit.facts import CableFacts

#: MCNs are four digits: the series wraps from 9999 back to 0001.
MCN_MODULUS = 10_000

#: A fall of at least this much from one MCN to the next is a wraparound, not a reorder.
MCN_WRAP_FALL = MCN_MODULUS // 2

_MCN_RE = re.compile(r"^(\d{1,4})(?:-(\d{1,4}))?$")


class Gap(msgspec.Struct, frozen=True, kw_only=True):
    """The missing numbers of one series (`ranges` inclusive, in order)."""

    series: dict[str, str | int]
    first: int
    last: int
    seen: int
    missing: int
    ranges: list[tuple[int, int]]


def missing_ranges(numbers: Iterable[int]) -> tuple[int, int, int, list[tuple[int, int]]]:
    """For the numbers of one segment: (lowest, highest, distinct count, missing ranges)."""
    ordered = sorted(set(numbers))
    ranges = [(a + 1, b - 1) for a, b in pairwise(ordered) if b > a + 1]
    return ordered[0], ordered[-1], len(ordered), ranges


def _gap(series: dict[str, str | int], numbers: Iterable[int]) -> Gap | None:
    """The gap record of a segment, or None when it has no missing numbers."""
    first, last, seen, ranges = missing_ranges(numbers)
    if not ranges:
        return None
    missing = sum(b - a + 1 for a, b in ranges)
    return Gap(series=series, first=first, last=last, seen=seen, missing=missing, ranges=ranges)


def station_serial(facts: CableFacts) -> int | None:
    """The cable's station serial: the banner MRN when it agrees with FL3 (it is the full number,
    FL3 keeps it modulo 10,000), else the FL3 SSN."""
    if facts.ssn is None:
        return None
    if facts.banner_mrn and facts.banner_mrn.isdigit():
        full = int(facts.banner_mrn)
        if full % MCN_MODULUS == facts.ssn % MCN_MODULUS:
            return full
    return facts.ssn


class StationSerials:
    """Collects station serials per originating station and year, one cable at a time."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, int], list[int]] = {}

    def add(self, facts: CableFacts) -> None:
        """Take one cable's serial, if it has one."""
        serial = station_serial(facts)
        if serial is None or facts.origin is None or facts.year is None:
            return
        key = (facts.origin, facts.year)
        numbers = self.series.get(key)
        if numbers is None:
            self.series[key] = [serial]
        else:
            numbers.append(serial)

    def gaps(self) -> list[Gap]:
        """The series with missing numbers, by station and year."""
        found = []
        for (origin, year), numbers in sorted(self.series.items()):
            gap = _gap({"origin": origin, "year": year}, numbers)
            if gap is not None:
                found.append(gap)
        return found


def ssn_gaps(cables: Iterable[CableFacts]) -> list[Gap]:
    """Station-serial gaps per originating station (FL3 RI) and year: cables absent from the run."""
    serials = StationSerials()
    for facts in cables:
        serials.add(facts)
    return serials.gaps()


def mcn_numbers(mcn: str | None) -> list[int]:
    """The numbers an MCN field stands for: `0042` → [42]; `2276-2279` → [2276 … 2279];
    `9998-0001` wraps → [9998, 9999, 0, 1]; anything else → []."""
    if not mcn:
        return []
    if len(mcn) == 4 and mcn.isdigit():
        return [int(mcn)]
    match = _MCN_RE.match(mcn.strip())
    if match is None:
        return []
    first = int(match.group(1))
    if match.group(2) is None:
        return [first]
    last = int(match.group(2))
    count = (last - first) % MCN_MODULUS + 1
    return [(first + i) % MCN_MODULUS for i in range(count)]


def mcn_segments(entries: Sequence[tuple[int | None, str | None]]) -> list[list[int]]:
    """Split one series, given as (year, MCN field) in filing order, into segments of numbers that
    should be consecutive: `0000` dropped, a new segment at a year change or a wraparound."""
    return number_segments([(year, mcn_numbers(mcn)) for year, mcn in entries])


def number_segments(entries: Iterable[tuple[int | None, list[int]]]) -> list[list[int]]:
    """`mcn_segments` of a series whose MCN fields are already turned into their numbers."""
    years: list[int | None] = []
    numbers: list[int] = []
    for year, found in entries:
        years.extend([year] * len(found))
        numbers.extend(found)
    return _segments(years, numbers)


def _segments(years: Sequence[int | None], numbers: Sequence[int]) -> list[list[int]]:
    """`number_segments` of a series given as each number with its year, in filing order."""
    segments: list[list[int]] = []
    current: list[int] = []
    year_of_current: int | None = None
    for year, number in zip(years, numbers, strict=True):
        if number == 0:
            continue
        if current and (year != year_of_current or current[-1] - number >= MCN_WRAP_FALL):
            segments.append(current)
            current = []
        if not current:
            year_of_current = year
        current.append(number)
    if current:
        segments.append(current)
    return segments


class _McnSeries:
    """One MCN series as the cables gave it, compactly (an audit of millions of deliveries holds
    millions of entries): the filing moment, year and MCN of each entry in parallel arrays (filled by
    `ContinuityNumbers.add`). A plain four-digit MCN is kept as its number, any other as a negative
    index into `others` (see `other`)."""

    __slots__ = ("mcns", "moments", "others", "years")

    def __init__(self) -> None:
        self.moments = array("d")
        self.years = array("q")
        self.mcns = array("q")
        self.others: list[str] = []

    def other(self, mcn: str) -> int:
        """Keep an MCN field that is not four digits; what `mcns` holds for it."""
        self.others.append(mcn)
        return -len(self.others)

    def segments(self) -> list[list[int]]:
        """`number_segments` of the series in filing order (entries filed at the same moment keep the
        order they were added in)."""
        moments, years, mcns, others = self.moments, self.years, self.mcns, self.others
        order = sorted(range(len(moments)), key=moments.__getitem__)
        if not others:
            return _segments([years[i] for i in order], [mcns[i] for i in order])
        return number_segments(
            (years[i], [mcns[i]] if mcns[i] >= 0 else mcn_numbers(others[-mcns[i] - 1])) for i in order
        )


#: How an unknown year is kept in `_McnSeries.years`.
_NO_YEAR = -(2**62)


class ContinuityNumbers:
    """Collects MCN series per originating station and addressee, one cable at a time."""

    def __init__(self) -> None:
        self.series: dict[str, dict[str, _McnSeries]] = {}  # origin → addressee → series

    def add(self, facts: CableFacts) -> None:
        """Take the MCNs of one cable's TO and INFO addressees."""
        origin = facts.origin
        if origin is None:
            return
        moment = facts.time if facts.time is not None else math.inf
        year = _NO_YEAR if facts.year is None else facts.year
        by_addressee = self.series.get(origin)
        for kind, ri, name, _, _, _, mcn, _, _ in facts.addressees:
            if not mcn or kind == "xmt":
                continue
            if by_addressee is None:
                by_addressee = self.series[origin] = {}
            addressee = ri or name
            entries = by_addressee.get(addressee)
            if entries is None:
                entries = by_addressee[addressee] = _McnSeries()
            entries.moments.append(moment)
            entries.years.append(year)
            entries.mcns.append(int(mcn) if len(mcn) == 4 and mcn.isdigit() else entries.other(mcn))

    def gaps(self) -> list[Gap]:
        """Every segment with missing numbers, by station and addressee, in filing order (cables filed
        at the same moment keep the order they were recorded in)."""
        found: list[Gap] = []
        for origin, by_addressee in sorted(self.series.items(), key=_series_key):
            for addressee, entries in sorted(by_addressee.items(), key=_series_key):
                for segment in entries.segments():
                    gap = _gap({"origin": origin, "addressee": addressee}, segment)
                    if gap is not None:
                        found.append(gap)
        return found


#: Sort key of a series by origin, or of an origin's series by addressee.
_series_key = itemgetter(0)


def mcn_gaps(cables: Iterable[CableFacts]) -> list[Gap]:
    """MCN gaps per originating station and addressee, with the primer's non-gap rules."""
    numbers = ContinuityNumbers()
    for facts in cables:
        numbers.add(facts)
    return numbers.gaps()


def channel_gaps(serials_by_post: Mapping[str, Iterable[int]]) -> list[Gap]:
    """Channel-serial gaps per circuit as its post saw them: the numbers from 1 up to the highest
    serial received that never arrived."""
    gaps = []
    for post, serials in sorted(serials_by_post.items()):
        ordered = sorted({n for n in serials if n is not None and n > 0})
        if not ordered:
            continue
        ranges: list[tuple[int, int]] = []
        previous = 0
        for number in ordered:
            if number > previous + 1:
                ranges.append((previous + 1, number - 1))
            previous = number
        if ranges:
            missing = sum(b - a + 1 for a, b in ranges)
            gaps.append(
                Gap(
                    series={"post": post},
                    first=1,
                    last=ordered[-1],
                    seen=len(ordered),
                    missing=missing,
                    ranges=ranges,
                )
            )
    return gaps


def total_missing(gaps: Iterable[Gap]) -> int:
    """The missing numbers of several series together."""
    return sum(gap.missing for gap in gaps)
