"""Cable times and replay order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from router.model import Cable, PrecedencePair, Routing, Station
from router.order import cable_time, replay_order
from router.precedence import Precedence

P = Precedence
T0 = datetime(2008, 12, 4, 7, 34, tzinfo=UTC)


def _cable(
    name: str,
    filed: datetime | None = None,
    dtg: datetime | None = None,
    level: Precedence | None = P.ROUTINE,
) -> Cable:
    station = Station(ri="RUEHKO", filed=filed) if filed else None
    return Cable(id=name, station=station, dtg=dtg, precedence=PrecedencePair(action=level))


def test_cable_time_prefers_filing_time() -> None:
    cable = _cable("a", filed=T0 + timedelta(minutes=5), dtg=T0)
    assert cable_time(cable) == T0.timestamp() + 300


def test_cable_time_falls_back_to_dtg_and_none() -> None:
    assert cable_time(_cable("a", dtg=T0)) == T0.timestamp()
    assert cable_time(_cable("a")) is None


def test_naive_datetimes_are_utc_and_zones_are_honoured() -> None:
    assert cable_time(_cable("a", dtg=T0.replace(tzinfo=None))) == T0.timestamp()
    tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    assert cable_time(_cable("a", dtg=tokyo)) == T0.timestamp()


def test_replay_order() -> None:
    cables = [
        _cable("no-time-1"),
        _cable("late", dtg=T0 + timedelta(hours=1)),
        _cable("routine", dtg=T0),
        _cable("flash", dtg=T0, level=P.FLASH),
        _cable("filed-early-dtg-later", filed=T0, dtg=T0 + timedelta(minutes=1)),
        _cable("no-time-2"),
        _cable("routine-2", dtg=T0),
        _cable("fl2-only", dtg=T0, level=None),
    ]
    order = [c.id for c in replay_order(cables)]
    assert order == [
        "flash",
        "routine",
        "routine-2",
        "fl2-only",
        "filed-early-dtg-later",
        "late",
        "no-time-1",
        "no-time-2",
    ]


def test_fl2_precedence_counts_when_fl5_has_none() -> None:
    flash_fl2 = Cable(id="fl2", dtg=T0, routing=Routing(precedence=P.FLASH))
    routine = _cable("routine", dtg=T0)
    assert [c.id for c in replay_order([routine, flash_fl2])] == ["fl2", "routine"]
