"""Date-time groups (`DDHHMMZ MON YY`), time-zone letters, and FL3 Julian filing times, as UTC datetimes."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta

MONTHS: dict[str, int] = {
    "JAN": 1,
    "FEB": 2,
    "MAR": 3,
    "APR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AUG": 8,
    "SEP": 9,
    "OCT": 10,
    "NOV": 11,
    "DEC": 12,
}


def _zone_offsets() -> dict[str, int]:
    """Hours east of UTC for each military time-zone letter (J, local time, is not used in DTGs)."""
    offsets = {"Z": 0}
    for hours, letter in enumerate("ABCDEFGHIKLM", start=1):
        offsets[letter] = hours
    for hours, letter in enumerate("NOPQRSTUVWXY", start=1):
        offsets[letter] = -hours
    return offsets


#: Zone letter -> offset from UTC in hours (A = +1 ... M = +12, N = -1 ... Y = -12).
ZONE_OFFSETS: dict[str, int] = _zone_offsets()

#: A date-time group anywhere in a string: day, hour, minute, zone, month, year (2 or 4 digits).
DTG_RE = re.compile(r"(\d\d)(\d\d)(\d\d)\s?([A-IK-Z])\s+([A-Za-z]{3})\s+(\d{4}|\d{2})(?!\d)")


#: How many years past the current one a 2-digit DTG year may still name (clocks and time zones differ).
DTG_YEAR_MARGIN = 1
#: The latest year a 2-digit DTG year names; later 2-digit years are of the 1900s (`66` -> 1966).
LATEST_DTG_YEAR = datetime.now(UTC).year + DTG_YEAR_MARGIN


def dtg_year(year: int, latest: int = LATEST_DTG_YEAR) -> int:
    """A DTG's 2-digit year as a full year: 20xx up to `latest`, else 19xx; 4-digit years pass through.

    A cable is never dated in the future, so a 2-digit year past the current one (and a small margin)
    belongs to the previous century.
    """
    if year >= 100:
        return year
    return 2000 + year if 2000 + year <= latest else 1900 + year


def expand_year(year: int) -> int:
    """A 2-digit year of a declassification date as a full year (70-99 -> 19xx, else 20xx, as such dates
    lie ahead of the cable); 4-digit years pass through."""
    if year >= 100:
        return year
    return 1900 + year if year >= 70 else 2000 + year


def dtg_datetime(day: int, hour: int, minute: int, zone: str, month: str, year: int) -> datetime | None:
    """The UTC moment a DTG's fields name, or None when they are out of range."""
    month_no = MONTHS.get(month.upper())
    offset = ZONE_OFFSETS.get(zone.upper())
    if month_no is None or offset is None or hour > 24 or minute > 59:
        return None
    try:
        # (arguments by position: faster)
        if hour < 24 and not offset:  # the usual UTC DTG: no arithmetic needed
            return datetime(dtg_year(year), month_no, day, hour, minute, 0, 0, UTC)
        local = datetime(dtg_year(year), month_no, day, 0, 0, 0, 0, UTC)
    except ValueError:
        return None
    return local + timedelta(hours=hour - offset, minutes=minute)


def parse_dtg(text: str) -> tuple[datetime | None, re.Match[str] | None]:
    """Find a DTG in `text`: its UTC datetime (None if the fields are invalid) and the regex match."""
    match = DTG_RE.search(text)
    if match is None:
        return None, None
    day, hour, minute, zone, month, year = match.groups()
    moment = dtg_datetime(int(day), int(hour), int(minute), zone, month, int(year))
    return moment, match


def julian_datetime(day_of_year: int, hour: int, minute: int, near: datetime | None) -> datetime | None:
    """An FL3 filing time (`DDDHHMM`, UTC) as a datetime, in the year that puts it closest to `near`.

    `near` is the cable's DTG; the filing day may fall in the year before or after it (a cable dated
    31 December and filed on day 001). Without a DTG there is no year and the result is None.
    """
    if near is None or not 1 <= day_of_year <= 366 or hour > 24 or minute > 59:
        return None
    if hour < 24 and near.tzinfo is UTC and day_of_year == near.toordinal() - _new_year_ordinal(near.year):
        # filed on the DTG's own day (the usual case): that day at hour:minute, what the reckoning
        # below would give (UTC, the closest of the candidates), without its date arithmetic
        return datetime(near.year, near.month, near.day, hour, minute, 0, 0, UTC)  # (positional: faster)
    moment = _day_of_year(near.year, day_of_year, hour, minute)
    if moment is not None and abs(moment - near) <= _HALF_YEAR:
        return moment
    best = moment
    for year in (near.year - 1, near.year + 1):
        candidate = _day_of_year(year, day_of_year, hour, minute)
        if candidate is not None and (best is None or abs(candidate - near) < abs(best - near)):
            best = candidate
    return best


_HALF_YEAR = timedelta(days=183)


def _day_of_year(year: int, day_of_year: int, hour: int, minute: int) -> datetime | None:
    """Day `day_of_year` of `year` at hour:minute UTC (None for day 366 of a common year)."""
    if day_of_year == 366 and not _is_leap(year):
        return None
    return _new_year(year) + timedelta(day_of_year - 1, (hour * 60 + minute) * 60)


@functools.lru_cache(maxsize=256)
def _new_year(year: int) -> datetime:
    """1 January of `year`, 00:00 UTC (kept: a corpus spans a few dozen years)."""
    return datetime(year, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=256)
def _new_year_ordinal(year: int) -> int:
    """The proleptic ordinal of 31 December of the year before `year` (day 1 of `year` is that + 1)."""
    return date(year, 1, 1).toordinal() - 1


def _is_leap(year: int) -> bool:
    """True for a Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
