"""FL1-FL6: every variant the format primer lists, on hand-written lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.decoder import decode
from router.precedence import Precedence
from tests.decode_samples import HEADER, cable, with_line


def codes(text: str) -> set[str]:
    return {d.code for d in decode(text).diagnostics}


def test_default_sample_decodes_cleanly() -> None:
    decoded = decode(cable())
    assert decoded.id == "07OSLO457"
    assert decoded.header_lines == len(HEADER)
    assert not decoded.has_errors
    assert decoded.header == "\n".join(HEADER)
    assert decoded.size == len(cable())


@pytest.mark.parametrize(
    ("line", "channel", "serial"),
    [("VZCZCXRO4471", "XRO", 4471), ("VZCZCXYZ0013", "XYZ", 13), ("VZCZCTVI681", "TVI", 681)],
)
def test_fl1_channel_and_serial(line: str, channel: str, serial: int) -> None:
    transmission = decode(with_line(0, line)).transmission
    assert transmission is not None
    assert (transmission.channel, transmission.serial) == (channel, serial)


def test_fl1_with_caption_glued_before_it() -> None:
    decoded = decode(with_line(0, "S E C R E T STATE 00119085VZCZCXRO4471"))
    assert decoded.transmission is not None and decoded.transmission.serial == 4471
    assert "caption-glued" in {d.code for d in decoded.diagnostics}
    assert decoded.header_lines == len(HEADER)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("ZZ RUEHAB", Precedence.FLASH),
        ("OO RUEHAB", Precedence.IMMEDIATE),
        ("PP RUEHAB", Precedence.PRIORITY),
        ("RR RUEHAB", Precedence.ROUTINE),
    ],
)
def test_fl2_doubled_prosign(line: str, level: Precedence) -> None:
    routing = decode(with_line(1, line)).routing
    assert routing is not None and routing.precedence is level and routing.relays == ("RUEHAB",)


def test_fl2_continues_over_several_lines_and_a_blank_line() -> None:
    header = [HEADER[0], "RR RUEHC RHMFISS RUEAIIA", "RHEFDIA RHMFISS", "", *HEADER[2:]]
    decoded = decode(cable(header))
    assert decoded.routing is not None
    assert decoded.routing.relays == ("RUEHC", "RHMFISS", "RUEAIIA", "RHEFDIA", "RHMFISS")
    assert decoded.header_lines == len(header)
    assert decoded.station is not None and decoded.station.ri == "RUEHOS"


def test_fl3_station_serial_section_and_filing_time() -> None:
    station = decode(cable()).station
    assert station is not None
    assert (station.ri, station.ssn, station.section) == ("RUEHOS", 457, 1)
    assert station.filed == datetime(2007, 6, 14, 13, 20, tzinfo=UTC)


def test_fl3_without_section() -> None:
    station = decode(with_line(2, "DE RUEHOS #0457 1651320")).station
    assert station is not None and station.section is None and station.ssn == 457


def test_fl3_filing_day_across_the_year_end_uses_the_dtg_year() -> None:
    header = list(HEADER)
    header[2] = "DE RUEHOS #0001 0010012"
    header[4] = "P 312350Z DEC 08"
    station = decode(cable(header)).station
    assert station is not None and station.filed == datetime(2009, 1, 1, 0, 12, tzinfo=UTC)


def test_fl3_filing_day_in_the_previous_year() -> None:
    header = list(HEADER)
    header[2] = "DE RUEHOS #0001 3662350"
    header[4] = "P 010005Z JAN 09"
    station = decode(cable(header)).station
    assert station is not None and station.filed == datetime(2008, 12, 31, 23, 50, tzinfo=UTC)


def test_fl3_without_filing_time_is_reported() -> None:
    decoded = decode(with_line(2, "DE RUEHOS #0457"))
    assert decoded.station is not None and decoded.station.filed is None
    assert "fl3-no-time" in {d.code for d in decoded.diagnostics}


@pytest.mark.parametrize(
    ("line", "prosign", "classification", "release"),
    [
        ("ZNR UUUUU ZZH", "ZNR", "UNCLASSIFIED", None),
        ("ZNY EEEEE ZZH", "ZNY", "UNCLASSIFIED EFTO", None),
        ("ZNY CCCCC ZZH", "ZNY", "CONFIDENTIAL", None),
        ("ZNY SSSSS ZZH", "ZNY", "SECRET", None),
        ("ZNY TTTTT ZZH", "ZNY", "TOP SECRET", None),
        ("ZNR UUUAA ZZH", "ZNR", "UNCLASSIFIED", "AA"),
        ("ZNY SSSAA ZZH", "ZNY", "SECRET", "AA"),
    ],
)
def test_fl4_classification_and_release_code(
    line: str, prosign: str, classification: str, release: str | None
) -> None:
    security = decode(with_line(3, line)).security
    assert security is not None
    assert (security.prosign, security.classification, security.release) == (prosign, classification, release)
    assert security.signals == ("ZZH",)


def test_fl4_corrected_copy_note_and_signals() -> None:
    security = decode(with_line(3, "ZNY CCCCC ZZH ZDS (CCY ADX1A2B3 MSI1234-567)")).security
    assert security is not None
    assert security.note == "CCY ADX1A2B3 MSI1234-567"
    assert security.signals == ("ZZH", "ZDS")


def test_fl4_zui_signals_and_glued_signals() -> None:
    security = decode(with_line(3, "ZNY SSSSS ZZH ZUI RUEHSD 1234W")).security
    assert security is not None and security.signals[:2] == ("ZZH", "ZUI")
    glued = decode(with_line(3, "ZNY CCCCC ZZHZDF")).security
    assert glued is not None and glued.signals == ("ZZH", "ZDF")


def test_fl4_malformed_group_is_a_warning() -> None:
    decoded = decode(with_line(3, "ZNY CCCC ZZH"))
    assert decoded.security is not None and decoded.security.classification == "CONFIDENTIAL"
    assert "fl4-malformed" in {d.code for d in decoded.diagnostics}
    assert not decoded.has_errors


@pytest.mark.parametrize(
    ("line", "action", "info"),
    [
        ("Z 131320Z JUN 07", Precedence.FLASH, None),
        ("O 131320Z JUN 07", Precedence.IMMEDIATE, None),
        ("R 131320Z JUN 07", Precedence.ROUTINE, None),
        ("O R 131320Z JUN 07", Precedence.IMMEDIATE, Precedence.ROUTINE),
        ("O P 131320Z JUN 07", Precedence.IMMEDIATE, Precedence.PRIORITY),
        ("P R 131320Z JUN 07", Precedence.PRIORITY, Precedence.ROUTINE),
    ],
)
def test_fl5_action_and_info_precedence(line: str, action: Precedence, info: Precedence | None) -> None:
    decoded = decode(with_line(4, line))
    assert (decoded.precedence.action, decoded.precedence.info) == (action, info)
    assert decoded.dtg == datetime(2007, 6, 13, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "signals"),
    [
        ("P 131320Z JUN 07 ZDK", ("ZDK",)),
        ("P 131320Z JUN 07 ZFF4", ("ZFF4",)),
        ("P 131320Z JUN 07 ZFD ZFR", ("ZFD", "ZFR")),
        ("P 131320Z JUN 07 //ZEL//", ("ZEL",)),
        ("P 131320Z JUN 07", ()),
    ],
)
def test_fl5_trailing_signals(line: str, signals: tuple[str, ...]) -> None:
    assert decode(with_line(4, line)).dtg_signals == signals


def test_fl5_zone_letter_and_four_digit_year() -> None:
    decoded = decode(with_line(4, "P 131320R JUN 2007"))
    assert decoded.dtg == datetime(2007, 6, 13, 18, 20, tzinfo=UTC)
    assert decoded.id == "07OSLO457"


def test_fl5_invalid_date_is_an_error_with_a_reason() -> None:
    decoded = decode(with_line(4, "P 321320Z JUN 07"))
    assert decoded.dtg is None
    errors = [d for d in decoded.diagnostics if d.severity == "error"]
    assert errors and errors[0].code == "dtg-invalid" and errors[0].line == 5


def test_fl6_originator() -> None:
    assert decode(with_line(5, "FM USMISSION USNATO")).from_ == "USMISSION USNATO"


def test_header_starting_at_fl5() -> None:
    header = HEADER[4:]
    decoded = decode(cable(header))
    assert decoded.transmission is None and decoded.station is None
    assert decoded.header_lines == len(header)
    assert decoded.id == "07OSLO457"
    assert "no-fl1" in {d.code for d in decoded.diagnostics}
    assert not decoded.has_errors


def test_unknown_line_inside_the_header_is_reported() -> None:
    header = [*HEADER[:4], "NN RUEHWEB", *HEADER[4:]]
    decoded = decode(cable(header))
    assert decoded.header_lines == len(header)
    assert "header-unknown-line" in {d.code for d in decoded.diagnostics}
