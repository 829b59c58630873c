"""DTGs, zone letters, Julian filing days, and the derived reference id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from router.decoder import decode
from router.dtg import ZONE_OFFSETS, dtg_datetime, dtg_year, julian_datetime, parse_dtg
from router.model import Banner, Station
from router.reference_id import derive_reference_id, station_from_plad
from tests.decode_samples import HEADER, cable

DTG = datetime(2008, 12, 4, 7, 34, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("040734Z DEC 08", datetime(2008, 12, 4, 7, 34, tzinfo=UTC)),
        ("040734Z DEC 2008", datetime(2008, 12, 4, 7, 34, tzinfo=UTC)),
        ("040734A DEC 08", datetime(2008, 12, 4, 6, 34, tzinfo=UTC)),
        ("040734M DEC 08", datetime(2008, 12, 3, 19, 34, tzinfo=UTC)),
        ("040734N DEC 08", datetime(2008, 12, 4, 8, 34, tzinfo=UTC)),
        ("312330Y DEC 08", datetime(2009, 1, 1, 11, 30, tzinfo=UTC)),
        ("171512Z JAN 90", datetime(1990, 1, 17, 15, 12, tzinfo=UTC)),
        ("291359Z Nov 00", datetime(2000, 11, 29, 13, 59, tzinfo=UTC)),
        ("281848Z DEC 66", datetime(1966, 12, 28, 18, 48, tzinfo=UTC)),
    ],
)
def test_dtg(text: str, expected: datetime) -> None:
    moment, match = parse_dtg(text)
    assert match is not None and moment == expected


@pytest.mark.parametrize(
    ("year", "latest", "expected"),
    [
        (8, 2026, 2008),
        (26, 2026, 2026),
        (27, 2026, 1927),
        (66, 2026, 1966),
        (99, 2026, 1999),
        (27, 2027, 2027),
        (2066, 2026, 2066),
    ],
)
def test_two_digit_dtg_years_after_the_latest_are_of_the_1900s(year: int, latest: int, expected: int) -> None:
    assert dtg_year(year, latest) == expected


def test_cable_dated_in_the_1960s() -> None:
    header = ["P R 281848Z DEC 66", "FM AMEMBASSY BUENOS AIRES", "TO SECSTATE WASHDC PRIORITY"]
    decoded = decode(cable(header, ["", "UNCLASSIFIED BUENOS AIRES 2481", "", "TAGS: EFIS PBTS AR"]))
    assert decoded.dtg == datetime(1966, 12, 28, 18, 48, tzinfo=UTC)
    assert decoded.id == "66BUENOSAIRES2481"


def test_zone_letters_skip_j() -> None:
    assert "J" not in ZONE_OFFSETS
    assert ZONE_OFFSETS["I"] == 9 and ZONE_OFFSETS["K"] == 10 and ZONE_OFFSETS["Y"] == -12


def test_invalid_dtg_fields() -> None:
    assert dtg_datetime(30, 10, 0, "Z", "FEB", 8) is None
    assert dtg_datetime(1, 10, 61, "Z", "JAN", 8) is None
    assert dtg_datetime(1, 10, 0, "Z", "XYZ", 8) is None


def test_julian_day_same_year_and_across_year_ends() -> None:
    assert julian_datetime(339, 7, 34, DTG) == DTG
    assert julian_datetime(1, 0, 5, datetime(2008, 12, 31, 23, 58, tzinfo=UTC)) == datetime(
        2009, 1, 1, 0, 5, tzinfo=UTC
    )
    assert julian_datetime(365, 23, 59, datetime(2010, 1, 1, 0, 1, tzinfo=UTC)) == datetime(
        2009, 12, 31, 23, 59, tzinfo=UTC
    )


def test_julian_day_on_the_dtg_day_is_that_day() -> None:
    """Filed on the DTG's own day (the shortcut): the same day at the filing time, in leap and common
    years, on the first and last days of a year, and at hour 24 (the next day's start)."""
    for near in (DTG, datetime(2008, 1, 1, 0, 0, tzinfo=UTC), datetime(2008, 12, 31, 23, 59, tzinfo=UTC)):
        day = near.timetuple().tm_yday
        assert julian_datetime(day, 5, 7, near) == near.replace(hour=5, minute=7)
        assert julian_datetime(day, 24, 0, near) == near.replace(hour=0, minute=0) + timedelta(days=1)
    assert julian_datetime(365, 12, 0, datetime(2009, 12, 31, tzinfo=UTC)) == datetime(
        2009, 12, 31, 12, 0, tzinfo=UTC
    )


def test_julian_day_366_only_in_leap_years() -> None:
    assert julian_datetime(366, 12, 0, datetime(2008, 12, 31, tzinfo=UTC)) == datetime(
        2008, 12, 31, 12, 0, tzinfo=UTC
    )
    assert julian_datetime(366, 12, 0, datetime(2009, 6, 1, tzinfo=UTC)) == datetime(
        2008, 12, 31, 12, 0, tzinfo=UTC
    )
    assert julian_datetime(367, 0, 0, DTG) is None
    assert julian_datetime(100, 0, 0, None) is None


@pytest.mark.parametrize(
    ("plad", "station"),
    [
        ("AMEMBASSY ABU DHABI", "ABUDHABI"),
        ("AMCONSUL CAPE TOWN", "CAPETOWN"),
        ("SECSTATE WASHDC", "STATE"),
        ("USMISSION USUN NEW YORK", "USUNNEWYORK"),
        ("USMISSION USNATO", "USNATO"),
        ("AMEMBASSY PORT OF SPAIN", "PORTOFSPAIN"),
        (None, None),
    ],
)
def test_station_from_plad(plad: str | None, station: str | None) -> None:
    assert station_from_plad(plad) == station


def banner(origin: str, mrn: str) -> Banner:
    return Banner(classification="CONFIDENTIAL", origin=origin, mrn=mrn)


def test_id_from_the_banner_as_published() -> None:
    assert (
        derive_reference_id(DTG, banner("TEL AVIV", "004032"), None, "AMEMBASSY TEL AVIV") == "08TELAVIV4032"
    )
    assert derive_reference_id(DTG, banner("STATE", "117889"), None, "SECSTATE WASHDC") == "08STATE117889"
    assert derive_reference_id(DTG, banner("E F T O LONDON", "002883"), None, None) == "08EFTOLONDON2883"


@pytest.mark.parametrize(
    ("banner_line", "expected"),
    [
        ("UNCLAS E F T O LONDON 002883", "08EFTOLONDON2883"),
        ("UNCLAS E F T O SECTION 01 OF 08 LONDON 002883", "08LONDON2883"),
    ],
)
def test_efto_banner_ids_as_published(banner_line: str, expected: str) -> None:
    header = [*HEADER[:2], "DE RUEHLO #2883/01 1651320", "ZNY EEEEE ZZH", "P 131320Z JUN 08"]
    header += ["FM AMEMBASSY LONDON", "TO RUEHC/SECSTATE WASHDC PRIORITY 4711"]
    decoded = decode(cable(header, ["", banner_line, "", "TAGS: PREL UK", "SUBJECT: TALKS"]))
    assert decoded.id == expected
    assert decoded.banner is not None and decoded.banner.classification == "UNCLASSIFIED"
    assert decoded.security is not None and decoded.security.classification == "UNCLASSIFIED EFTO"


def test_id_falls_back_to_fm_and_fl3() -> None:
    station = Station(ri="RUEHTV", ssn=4032)
    assert derive_reference_id(DTG, None, station, "AMEMBASSY TEL AVIV") == "08TELAVIV4032"


def test_id_when_the_body_belongs_to_another_cable() -> None:
    station = Station(ri="RUEHLP", ssn=751)
    assert derive_reference_id(DTG, banner("BOGOTA", "004036"), station, "AMEMBASSY LA PAZ") == "08LAPAZ751"


def test_delegation_keeps_its_own_serial_series() -> None:
    station = Station(ri="RUCNAI", ssn=3)
    assert derive_reference_id(DTG, banner("PARTO", "040301"), station, "USDEL SECRETARY") == "08PARTO40301"


def test_redacted_banner_origin() -> None:
    station = Station(ri="RUEHSH", ssn=4)
    assert (
        derive_reference_id(DTG, banner("XXXXXXXXXXXX", "000004"), station, "AMCONSUL SHENYANG")
        == "08SHENYANG4"
    )


def test_no_id_without_year_or_serial() -> None:
    assert derive_reference_id(None, banner("OSLO", "000457"), None, None) is None
    assert derive_reference_id(DTG, None, None, "AMEMBASSY OSLO") is None


def test_serial_mismatch_is_a_warning() -> None:
    header = list(HEADER)
    header[2] = "DE RUEHOS #0458/01 1651320"
    decoded = decode(cable(header))
    assert decoded.id == "07OSLO458"
    mismatch = [d for d in decoded.diagnostics if d.code == "serial-mismatch"]
    assert mismatch and mismatch[0].severity == "warning"
