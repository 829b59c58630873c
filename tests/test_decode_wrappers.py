"""Finding the telegram inside wrappers, and reporting what was skipped."""

from __future__ import annotations

from router.decoder import decode
from router.model import Cable
from router.wrappers import wrapper_kind
from tests.decode_samples import HEADER, cable

DISTRIBUTION = [
    "ACTION EUR-00   ",
    "",
    "INFO  LOG-00   EEB-00   AF-00    AID-00   CIAE-00  INL-00   DODE-00  ",
    "      DS-00    EAP-00   SAS-00   FA-00      /001W",
    "                  ------------------88EA99  090807Z /38    ",
]
EMAIL = [
    "From: Operations Desk",
    "Sent: Monday, June 11, 2007 4:33 PM",
    "To: Readers",
    "Subject: OSLO 00000457 P CO 13-JUN-07 A PIPELINE [7039621]",
    "",
    "CONFIDENTIAL",
    "",
]


def wrapped(prefix: list[str], header: list[str] | None = None) -> tuple[str, list[str]]:
    lines = [*prefix, *(HEADER if header is None else header)]
    return cable(lines), lines


def skipped_note(decoded: Cable) -> str:
    notes = [d for d in decoded.diagnostics if d.code == "wrapper-skipped"]
    assert len(notes) == 1 and notes[0].severity == "info" and notes[0].line == 1
    return notes[0].message


def test_distribution_block_before_fl5() -> None:
    text, lines = wrapped(DISTRIBUTION, HEADER[4:])
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert decoded.id == "07OSLO457"
    assert "distribution block" in skipped_note(decoded)
    assert not decoded.has_errors


def test_email_wrapper_before_fl1() -> None:
    text, lines = wrapped(EMAIL)
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert decoded.transmission is not None and decoded.transmission.serial == 4471
    note = skipped_note(decoded)
    assert "e-mail wrapper" in note and "5 lines" in note


def test_database_export_cable_text() -> None:
    text, lines = wrapped(["Cable Text:                                        "])
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert "database export" in skipped_note(decoded)


def test_old_page_layout_without_fl5_takes_the_date_from_the_wrapper() -> None:
    prefix = [
        "291359Z Jun 07",
        "",
        "                           CONFIDENTIAL     PTQ1859",
        "PAGE 01        OSLO  00457  01 OF 02  291400Z ",
        *DISTRIBUTION,
    ]
    text, lines = wrapped(prefix, HEADER[5:])
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert decoded.dtg is not None and decoded.dtg.year == 2007
    assert decoded.id == "07OSLO457"
    assert "dtg-from-wrapper" in {d.code for d in decoded.diagnostics}
    assert "page layout" in skipped_note(decoded)


def test_caption_glued_to_the_first_line() -> None:
    header = ["TelegramC O N F I D E N T I A L   OSLO   00000457 VZCZCXRO4471", *HEADER[1:]]
    decoded = decode(cable(header))
    assert decoded.transmission is not None and decoded.transmission.channel == "XRO"
    assert decoded.header_lines == len(HEADER)


def test_caption_line_before_fl5() -> None:
    text, lines = wrapped(["TelegramRestricted by caption. UNCLASSIFIED   OSLO   00000457 "], HEADER[4:])
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert "caption" in skipped_note(decoded)


def test_leading_blank_lines_are_not_a_wrapper() -> None:
    text, lines = wrapped(["", ""])
    decoded = decode(text)
    assert decoded.header_lines == len(lines)
    assert "wrapper-skipped" not in {d.code for d in decoded.diagnostics}


def test_text_without_any_header() -> None:
    decoded = decode("Just a note.\n\nC O N F I D E N T I A L OSLO 000457\n\nSUBJECT: NOTHING\n")
    assert decoded.header_lines == 0 and decoded.id is None
    assert decoded.banner is not None and decoded.subject == "NOTHING"
    assert [d.code for d in decoded.diagnostics if d.severity == "error"] == ["no-header"]


def test_wrapper_kinds() -> None:
    assert wrapper_kind("ACTION AF-00") == "distribution block"
    assert wrapper_kind("INFO  LOG-00   NP-00") == "distribution block"
    assert wrapper_kind("From: someone") == "e-mail wrapper"
    assert wrapper_kind("Cable Text:") == "database export"
    assert wrapper_kind("PAGE 01        HARARE  06677  01 OF 03  291400Z") == "page layout"
    assert wrapper_kind("This record is a partial extract of the original cable.") == "caption"
    assert wrapper_kind("291359Z Nov 00") == "date"
    assert wrapper_kind("AMEMBASSY TRIPOLI") == "other text"
