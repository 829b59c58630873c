"""Fault injection helpers: deterministic drops, time and window parsing, offline receipt times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.faults import (
    drop_draw,
    is_dropped,
    parse_fraction,
    parse_ri,
    parse_span,
    parse_window,
    receipt_time,
)
from router.times import parse_time

T0 = datetime(2008, 12, 4, 7, 0, tzinfo=UTC).timestamp()


def test_drops_are_deterministic_and_depend_on_every_part() -> None:
    assert is_dropped(1, "08TOKYO3310", "RUEHC", 0.5) == is_dropped(1, "08TOKYO3310", "RUEHC", 0.5)
    draws = {
        drop_draw(1, "08TOKYO3310", "RUEHC"),
        drop_draw(2, "08TOKYO3310", "RUEHC"),
        drop_draw(1, "08TOKYO3311", "RUEHC"),
        drop_draw(1, "08TOKYO3310", "RUEHFK"),
    }
    assert len(draws) == 4
    assert all(0.0 <= d < 1.0 for d in draws)


def test_drop_share_follows_the_fraction() -> None:
    dropped = sum(is_dropped(7, f"C{i}", "RUEHC", 0.25) for i in range(20_000))
    assert 0.23 * 20_000 < dropped < 0.27 * 20_000


def test_drop_extremes() -> None:
    assert not any(is_dropped(0, f"C{i}", "RUEHC", 0.0) for i in range(100))
    assert all(is_dropped(0, f"C{i}", "RUEHC", 1.0) for i in range(100))


def test_a_larger_fraction_drops_a_superset() -> None:
    low = {i for i in range(2000) if is_dropped(3, f"C{i}", "RUEHC", 0.1)}
    high = {i for i in range(2000) if is_dropped(3, f"C{i}", "RUEHC", 0.3)}
    assert low < high


def test_parse_time_forms() -> None:
    assert parse_time("2008-12-04T07:00Z") == T0
    assert parse_time("2008-12-04T07:00") == T0
    assert parse_time("2008-12-04T16:00+09:00") == T0
    assert parse_time(str(T0)) == T0
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday")


def test_parse_window_with_iso_hyphens() -> None:
    ri, window = parse_window("ruehko@2008-12-04T07:00Z-2008-12-04T09:00Z")
    assert ri == "RUEHKO"
    assert window == (T0, T0 + 7200)
    assert parse_window("RUEHKO@2008-12-04T07:00Z/2008-12-04T09:00Z")[1] == (T0, T0 + 7200)
    assert parse_span("100-200") == (100.0, 200.0)


def test_parse_window_errors() -> None:
    with pytest.raises(ValueError, match="RI@START-END"):
        parse_window("RUEHKO")
    assert parse_window("RUEHKO", required=False) == ("RUEHKO", None)
    with pytest.raises(ValueError, match="ends before"):
        parse_window("RUEHKO@2008-12-04T09:00Z-2008-12-04T07:00Z")
    with pytest.raises(ValueError, match="not a time window"):
        parse_window("RUEHKO@soon-later")
    with pytest.raises(ValueError, match="routing indicator"):
        parse_window("RUE HKO@100-200")


def test_parse_fraction() -> None:
    assert parse_fraction("RUEHC:0.25") == ("RUEHC", 0.25)
    for bad in ("RUEHC", "RUEHC:x", "RUEHC:1.5", "#:0.1"):
        with pytest.raises(ValueError):
            parse_fraction(bad)


def test_parse_ri_rejects_topic_characters() -> None:
    for bad in ("RUEH+", "RU#", "a/b", "R"):
        with pytest.raises(ValueError):
            parse_ri(bad)


def test_receipt_time() -> None:
    assert receipt_time(50.0, []) == 50.0
    assert receipt_time(50.0, None) is None
    assert receipt_time(50.0, [(40.0, 60.0)]) == 60.0
    assert receipt_time(60.0, [(40.0, 60.0)]) == 60.0
    assert receipt_time(50.0, [(40.0, 60.0), (60.0, 70.0)]) == 70.0
    assert receipt_time(30.0, [(40.0, 60.0)]) == 30.0


def test_parse_time_dates_and_end_of_day() -> None:
    day = datetime(2008, 12, 4, tzinfo=UTC).timestamp()
    assert parse_time("2008-12-04") == day
    assert parse_time("2008-12-04", end_of_day=True) == day + 86_400
    assert parse_time("2008-12-04T07:00Z", end_of_day=True) == T0
    assert parse_time(" 2008-12-04T07:00:00+00:00 ") == T0
