"""Serial continuity on hand-built sequences: gaps, reorders, year resets, wraparound past 9999, `0000`."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay.audit.continuity import (
    channel_gaps,
    mcn_gaps,
    mcn_numbers,
    mcn_segments,
    ssn_gaps,
    station_serial,
    total_missing,
)
from replay.audit.facts import CableFacts


def seconds(year: int, month: int, day: int, hour: int = 12) -> float:
    """Unix seconds of a UTC moment."""
    return datetime(year, month, day, hour, tzinfo=UTC).timestamp()


def station_cable(origin: str, year: int, ssn: int, mrn: str | None = None) -> CableFacts:
    """A cable with only station facts."""
    return CableFacts(id=f"{year % 100:02d}{origin}{ssn}", origin=origin, ssn=ssn, year=year, banner_mrn=mrn)


def mcn_cable(
    n: int, when: float, year: int, mcn: str, addressee: str = "RUEHC", origin: str = "RUEHKO"
) -> CableFacts:
    """A cable from `origin` carrying one MCN for `addressee`."""
    return CableFacts(
        id=f"C{n}",
        origin=origin,
        year=year,
        filed=when,
        addressees=(("to", addressee, "SECSTATE WASHDC", 0, None, False, mcn, False, None),),
    )


def test_station_serial_gaps_per_origin_and_year() -> None:
    cables = [
        station_cable("RUEHKO", 2008, 1),
        station_cable("RUEHKO", 2008, 2),
        station_cable("RUEHKO", 2008, 5),  # 3, 4 missing
        station_cable("RUEHKO", 2008, 4),  # arrives out of order: only 3 missing
        station_cable("RUEHKO", 2009, 1),  # a new year starts again
        station_cable("RUEHKO", 2009, 3),  # 2 missing
        station_cable("RUEHFK", 2008, 10),
        station_cable("RUEHFK", 2008, 11),
    ]
    gaps = ssn_gaps(cables)
    assert [(g.series, g.ranges, g.missing) for g in gaps] == [
        ({"origin": "RUEHKO", "year": 2008}, [(3, 3)], 1),
        ({"origin": "RUEHKO", "year": 2009}, [(2, 2)], 1),
    ]
    assert total_missing(gaps) == 2


def test_station_serial_uses_the_full_banner_number_when_it_agrees_with_fl3() -> None:
    assert station_serial(station_cable("RUEHC", 2008, 3673, "083673")) == 83673
    assert station_serial(station_cable("RUEHC", 2008, 3673, "004247")) == 3673
    assert station_serial(station_cable("RUEHC", 2008, 3673, None)) == 3673
    cables = [
        station_cable("RUEHC", 2008, 9999, "019999"),
        station_cable("RUEHC", 2008, 2, "020002"),  # FL3 wrapped; the banner keeps counting
    ]
    assert [(g.first, g.last, g.ranges) for g in ssn_gaps(cables)] == [(19999, 20002, [(20000, 20001)])]


def test_cables_without_serial_origin_or_year_are_not_counted() -> None:
    cables = [
        CableFacts(id="a", origin="RUEHKO", ssn=None, year=2008),
        CableFacts(id="b", origin=None, ssn=5, year=2008),
        CableFacts(id="c", origin="RUEHKO", ssn=9, year=None),
        station_cable("RUEHKO", 2008, 1),
    ]
    assert ssn_gaps(cables) == []


@pytest.mark.parametrize(
    ("field", "numbers"),
    [
        ("0042", [42]),
        ("2276-2279", [2276, 2277, 2278, 2279]),
        ("9998-0001", [9998, 9999, 0, 1]),
        ("0000", [0]),
        (" 12 ", [12]),
        ("12A4", []),
        ("", []),
        (None, []),
    ],
)
def test_mcn_fields(field: str | None, numbers: list[int]) -> None:
    assert mcn_numbers(field) == numbers


def test_mcn_segments_apply_the_non_gap_rules() -> None:
    entries = [
        (2008, "9996"),
        (2008, "9997-9998"),
        (2008, "0000"),  # not part of the series
        (2008, "0002"),  # wraparound: 9999 and 0001 are not gaps
        (2008, "0004"),  # 0003 missing
        (2008, "0003"),  # ... until it arrives late (a reorder)
        (2008, "0006"),  # 0005 missing
        (2009, "0001"),  # the yearly reset
        (2009, "0003"),  # 0002 missing
    ]
    assert mcn_segments(entries) == [[9996, 9997, 9998], [2, 4, 3, 6], [1, 3]]


def test_mcn_gaps_per_origin_and_addressee_in_filing_order() -> None:
    base = seconds(2008, 12, 1)
    cables = [
        mcn_cable(1, base + 0, 2008, "9998"),
        mcn_cable(2, base + 10, 2008, "9999"),
        mcn_cable(3, base + 20, 2008, "0001"),
        mcn_cable(4, base + 30, 2008, "0000"),
        mcn_cable(5, base + 40, 2008, "0003"),  # 0002 missing
        mcn_cable(6, seconds(2009, 1, 2), 2009, "0001"),
        mcn_cable(7, seconds(2009, 1, 3), 2009, "0002-0003"),
        mcn_cable(8, seconds(2009, 1, 4), 2009, "0005"),  # 0004 missing
        # Another addressee of the same origin: its own series, no gaps.
        mcn_cable(9, base + 5, 2008, "0100", addressee="RUEHFK"),
        mcn_cable(10, base + 15, 2008, "0101", addressee="RUEHFK"),
        # Recorded out of filing order: sorted before counting, so no gap.
        mcn_cable(12, base + 25, 2008, "0501", origin="RUEHFK"),
        mcn_cable(11, base + 15, 2008, "0500", origin="RUEHFK"),
    ]
    gaps = mcn_gaps(cables)
    assert [(g.series, g.ranges) for g in gaps] == [
        ({"origin": "RUEHKO", "addressee": "RUEHC"}, [(2, 2)]),
        ({"origin": "RUEHKO", "addressee": "RUEHC"}, [(4, 4)]),
    ]
    assert total_missing(gaps) == 2


def test_mcn_series_key_on_the_plad_when_there_is_no_ri() -> None:
    cables = [
        CableFacts(
            id=f"C{n}",
            origin="RUEHKO",
            year=2008,
            filed=float(n),
            addressees=(("info", None, "AMCONSUL NAHA", 1, 1, False, mcn, False, None),),
        )
        for n, mcn in enumerate(("0010", "0012"))
    ]
    assert [g.series for g in mcn_gaps(cables)] == [{"origin": "RUEHKO", "addressee": "AMCONSUL NAHA"}]


def test_channel_gaps_count_from_one_to_the_highest_serial_seen() -> None:
    gaps = channel_gaps({"RUEHC": [1, 2, 3], "RUEHFK": [2, 3, 6, 4], "RUEHNH": [], "RUEHOK": [5]})
    assert [(g.series["post"], g.ranges, g.missing, g.seen) for g in gaps] == [
        ("RUEHFK", [(1, 1), (5, 5)], 2, 4),
        ("RUEHOK", [(1, 4)], 4, 1),
    ]


def _mcn_gaps_plainly(cables: list[CableFacts]) -> list[tuple[dict[str, str | int], list[tuple[int, int]]]]:
    """MCN gaps the plain way (every entry kept as it came, sorted by filing time): the reference the
    compact series of `mcn_gaps` must agree with."""
    series: dict[tuple[str, str], list[tuple[float, int | None, str]]] = {}
    for facts in cables:
        if facts.origin is None:
            continue
        moment = facts.time if facts.time is not None else float("inf")
        for kind, ri, name, _, _, _, mcn, _, _ in facts.addressees:
            if mcn and kind != "xmt":
                series.setdefault((facts.origin, ri or name), []).append((moment, facts.year, mcn))
    found = []
    for (origin, addressee), entries in sorted(series.items(), key=lambda item: item[0]):
        entries.sort(key=lambda entry: entry[0])
        for segment in mcn_segments([(year, mcn) for _, year, mcn in entries]):
            ordered = sorted(set(segment))
            ranges = [(a + 1, b - 1) for a, b in pairwise(ordered) if b > a + 1]
            if ranges:
                found.append(({"origin": origin, "addressee": addressee}, ranges))
    return found


_MCN_FIELDS = st.one_of(
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
    st.tuples(st.integers(0, 9999), st.integers(0, 9999)).map(lambda pair: f"{pair[0]:04d}-{pair[1]:04d}"),
    st.sampled_from(["", "12", " 0042", "x1", "0001-0003", "9998-0001"]),
)


@settings(deadline=None)  # a wrapping MCN range stands for thousands of numbers; the machine may be busy
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["RUEHKO", "RUEHFK", None]),
            st.one_of(st.none(), st.integers(2006, 2009)),
            st.one_of(st.none(), st.integers(0, 5).map(float)),
            st.lists(
                st.tuples(
                    st.sampled_from(["to", "info", "xmt"]), st.sampled_from(["RUEHC", ""]), _MCN_FIELDS
                ),
                max_size=3,
            ),
        ),
        max_size=40,
    )
)
def test_mcn_gaps_agree_with_the_plain_way(drawn: list[tuple[Any, ...]]) -> None:
    cables = [
        CableFacts(
            id=f"C{n}",
            origin=origin,
            year=year,
            filed=filed,
            addressees=tuple(
                (kind, ri, "SECSTATE WASHDC", 0, None, False, mcn, False, None)
                for kind, ri, mcn in addressees
            ),
        )
        for n, (origin, year, filed, addressees) in enumerate(drawn)
    ]
    assert [(g.series, g.ranges) for g in mcn_gaps(cables)] == _mcn_gaps_plainly(cables)
