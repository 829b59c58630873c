"""The decoder never raises: arbitrary text, huge text, truncated headers, odd characters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.decoder import decode
from router.model import Cable, cable_to_json
from tests.decode_samples import HEADER, cable

HEADER_WORDS = [
    "VZCZCXRO1234",
    "OO RUEHC",
    "DE RUEHKO #3310/01 3390734",
    "ZNY CCCCC ZZH",
    "O R 040734Z DEC 08 ZDK",
    "FM AMEMBASSY TOKYO",
    "TO RUEHC/SECSTATE WASHDC IMMEDIATE 9199",
    "INFO ZEN/RUEHGG/UN SECURITY COUNCIL NIACT IMMEDIATE 0001-0004",
    "XMT/AMCONSUL NAHA",
    "TO PAGE 02 STATE 015113 182333Z",
    "C O N F I D E N T I A L SECTION 01 OF 02 TOKYO 003310",
    "TAGS: [PHUM](#)",
    "SUBJECT:",
    "REF: A. 08 STATE 1",
    "RUEHFK/AMCONSUL FUKUOKA//J-3// PRIOITY 1253",
    "",
    "\t",
    "\r",
]


def assert_sane(decoded: Cable, text: str) -> None:
    assert decoded.size == len(text)
    assert decoded.header_lines >= 0
    assert all(d.line >= 0 and d.severity in ("info", "warning", "error") for d in decoded.diagnostics)
    assert not any(d.code == "internal-error" for d in decoded.diagnostics), decoded.diagnostics
    cable_to_json(decoded)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    assert_sane(decode(text, "x"), text)


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(HEADER_WORDS), st.text(max_size=30)), max_size=40))
def test_header_like_line_soup_never_raises(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert_sane(decode(text), text)


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=len(cable())))
def test_truncated_cable_never_raises(cut: int) -> None:
    text = cable()[:cut]
    assert_sane(decode(text), text)


def test_truncated_header_still_gives_what_it_can() -> None:
    text = "\n".join(HEADER[:6])
    decoded = decode(text)
    assert decoded.from_ == "AMEMBASSY OSLO"
    assert decoded.header_lines == 6
    assert {d.code for d in decoded.diagnostics} >= {"no-addressees", "no-banner"}


def test_empty_and_blank_inputs() -> None:
    for text in ("", "\n\n  \n"):
        decoded = decode(text)
        assert [d.code for d in decoded.diagnostics] == ["empty"]
        assert decoded.has_errors and decoded.size == len(text)


def test_fifty_megabytes_of_text() -> None:
    """Only the top of the body is read, so this is as quick as a short cable (see bench/decode_speed.py)."""
    body = "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 1234.\n" * (50_000_000 // 50)
    text = cable() + body
    decoded = decode(text)
    assert decoded.id == "07OSLO457" and decoded.size == len(text)
    assert decoded.subject == "NORWAY WEIGHS A NEW PIPELINE"


def test_fifty_megabytes_of_one_line_without_a_header() -> None:
    text = "X" * 50_000_000
    decoded = decode(text)
    assert [d.code for d in decoded.diagnostics if d.severity == "error"] == ["no-header"]


@pytest.mark.slow
def test_a_header_that_never_ends() -> None:
    text = "\n".join(HEADER) + "\n" + "RUEHAB/AMEMBASSY SOMEWHERE PRIORITY 0001\n" * 200_000
    decoded = decode(text)
    assert len(decoded.info) == 200_002
    assert decoded.header_lines == len(HEADER) + 200_000


def test_carriage_returns_and_control_characters() -> None:
    text = cable().replace("\n", "\r\n")
    decoded = decode(text)
    assert decoded.id == "07OSLO457" and decoded.to[0].name == "SECSTATE WASHDC"
    noisy = decode("\x00\x01\x02" + cable())
    assert noisy.size == len(cable()) + 3
