"""Times: the one parser for times given on the command line, and datetimes as Unix seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")
_DAY = 86_400


def seconds(moment: datetime | None) -> float | None:
    """Unix seconds for a datetime (a naive datetime is UTC), or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_time(text: str, *, end_of_day: bool = False) -> float:
    """Unix seconds from ISO 8601 (`2008-12-04T07:00Z`, offsets allowed, no zone = UTC) or a number.

    A bare date (`2008-12-04`) means its start, or with `end_of_day` the start of the next day.
    """
    value = text.strip()
    if _NUMBER.fullmatch(value):
        return float(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use ISO 8601 such as 2008-12-04 or 2008-12-04T07:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    result = moment.timestamp()
    if end_of_day and len(value) == 10:
        result += _DAY
    return result
