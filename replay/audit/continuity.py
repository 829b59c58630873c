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
    first, last, seen = ordered[0], ordered[-1], len(ordered)
    if last - first + 1 == seen:  # unbroken (most segments): no need to look for the ranges
        return first, last, seen, []
    return first, last, seen, [(a + 1, b - 1) for a, b in pairwise(ordered) if b > a + 1]


def _gap(series: dict[str, str | int], numbers: Iterable[int]) -> Gap | None:
    """The gap record of a segment, or None when it has no missing numbers."""
    first, last, seen, ranges = missing_ranges(numbers)
    if not ranges:
        return None
    missing = last - first + 1 - seen
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
    # Each number packed with its own place in `years` (see `_NUMBER_BITS`), `0000` dropped.
    return _packed_segments([n << _NUMBER_BITS | number for n, number in enumerate(numbers) if number], years)


#: An MCN series entry is one integer: the position of its cable among the cables that gave MCNs,
#: shifted left by `_NUMBER_BITS`, with one of the numbers its MCN field stands for (below
#: `MCN_MODULUS`) in the low bits. The year and filing moment are kept once per cable.
_NUMBER_BITS = 14
_NUMBER_MASK = (1 << _NUMBER_BITS) - 1


class ContinuityNumbers:
    """Collects MCN series per originating station and addressee, one cable at a time.

    An audit of millions of deliveries holds millions of entries, so a series is one array of packed
    integers (see `_NUMBER_BITS`): an MCN range is turned into its numbers as it is added and `0000`
    dropped there (it is part of no series), and the filing moment and year of each cable that gave
    MCNs are kept once, in `moments` and `years`, at its position. Cables mostly come in filing
    order: only the series that a cable filed before an earlier one was added to (`unordered`) are
    sorted by filing moment at the end."""

    def __init__(self) -> None:
        self.series: dict[str, dict[str, array[int]]] = {}  # origin → addressee → packed entries
        self.moments = array("d")
        self.years: list[int | None] = []
        self.unordered: set[tuple[str, str]] = set()  # (origin, addressee)
        self._latest = -math.inf

    def add(self, facts: CableFacts) -> None:
        """Take the MCNs of one cable's TO and INFO addressees."""
        origin = facts.origin
        if origin is None:
            return
        by_addressee = self.series.get(origin)
        position = -1
        early = False
        for kind, ri, name, _, _, _, mcn, _, _ in facts.addressees:
            if not mcn or kind == "xmt":
                continue
            if position < 0:
                position = len(self.years)
                moment = facts.time if facts.time is not None else math.inf
                self.years.append(facts.year)
                self.moments.append(moment)
                if moment < self._latest:
                    early = True
                else:
                    self._latest = moment
            if by_addressee is None:
                by_addressee = self.series[origin] = {}
            addressee = ri or name
            entries = by_addressee.get(addressee)
            if entries is None:
                entries = by_addressee[addressee] = array("q")
            if early:
                self.unordered.add((origin, addressee))
            if len(mcn) == 4 and mcn.isdigit():
                number = int(mcn)
                if number:
                    entries.append(position << _NUMBER_BITS | number)
            else:
                packed = position << _NUMBER_BITS
                entries.extend([packed | number for number in mcn_numbers(mcn) if number])

    def gaps(self) -> list[Gap]:
        """Every segment with missing numbers, by station and addressee, in filing order (cables filed
        at the same moment keep the order they were recorded in)."""
        moments, years, unordered = self.moments, self.years, self.unordered

        def filing_moment(entry: int) -> float:
            return moments[entry >> _NUMBER_BITS]

        found: list[Gap] = []
        for origin, by_addressee in sorted(self.series.items(), key=_series_key):
            for addressee, entries in sorted(by_addressee.items(), key=_series_key):
                if (origin, addressee) in unordered:
                    entries = array("q", sorted(entries, key=filing_moment))
                for segment in _packed_segments(entries, years):
                    gap = _gap({"origin": origin, "addressee": addressee}, segment)
                    if gap is not None:
                        found.append(gap)
        return found


def _packed_segments(entries: Iterable[int], years: Sequence[int | None]) -> list[list[int]]:
    """`number_segments` of a series of packed entries (see `_NUMBER_BITS`) in filing order."""
    segments: list[list[int]] = []
    current: list[int] = []
    year_of_current: int | None = None
    mask, shift, fall = _NUMBER_MASK, _NUMBER_BITS, MCN_WRAP_FALL
    for entry in entries:
        number = entry & mask
        year = years[entry >> shift]
        if current and (year != year_of_current or current[-1] - number >= fall):
            segments.append(current)
            current = []
        if not current:
            year_of_current = year
        current.append(number)
    if current:
        segments.append(current)
    return segments


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
