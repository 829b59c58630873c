"""The decoder takes linear time on any text: crafted lines of 100 KB after every field of the header and
body (long runs of spaces, slashes, digits, tabs, letters) each decode well within a second.

A pattern that backtracks quadratically on such a line needs minutes at this size, so the bound is
generous; each decode is interrupted by a timer (the `re` engine checks for signals) so a failure is
reported at once instead of hanging the suite.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from router.decoder import decode
from tests.decode_samples import BODY, HEADER

#: Characters per crafted run.
SIZE = 100_000

#: Seconds one decode of a crafted text may take.
BOUND_S = 1.0

#: What the long runs are made of.
FILLERS = (" ", "/", "1", "\t", "A", " /", "A ", "1 ", "//A", ". ", "\r")

#: Lines inserted where addressees, format lines or the body's fields may stand.
EXTRA_LINES = (
    "VZCZCXRO1234",
    "OO RUEHC",
    "DE RUEHKO #3310/01 3390734",
    "ZNR UUUUU ZZH",
    "O 040734Z DEC 08 ZDK",
    "FM AMEMBASSY TOKYO",
    "TO RUEHC/SECSTATE WASHDC IMMEDIATE 9199",
    "INFO ZEN/RUEHGG/UN SECURITY COUNCIL NIACT IMMEDIATE 0001-0004",
    "XMT AMCONSUL NAHA",
    "BT",
    "UNCLAS SECTION 01 OF 02 TOKYO 003310",
    "S E C R E T OSLO 000457",
    "TAGS: PREL JA",
    "SUBJECT: A SUBJECT",
    "REF: A. 08 STATE 1",
    "CLASSIFIED BY: AMBASSADOR, REASONS 1.4 (B)",
)

#: Where the extra lines go: after FL1, FL3, FL5 and FM, after the first addressee, in the body.
EXTRA_AT = (1, 3, 5, 6, 7, len(HEADER) + 2, len(HEADER) + 8)


class TooSlow(BaseException):
    """A decode ran past `BOUND_S`."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise TooSlow


def _cuts(line: str) -> list[int]:
    """Every place in `line` after which a run may be inserted: its start, its end and after each space,
    slash, colon and full stop."""
    return sorted({0, len(line)} | {m.end() for m in re.finditer(r"[ /:.]", line)})


def _crafted() -> Iterator[tuple[str, str]]:
    """(what, text): the sample cable with one line cut at every field and a long run inserted there."""
    lines = HEADER + BODY
    for index, line in enumerate(lines):
        for cut in _cuts(line):
            for filler in FILLERS:
                run = filler * (SIZE // len(filler))
                crafted = line[:cut] + run + "X" + line[cut:]
                text = "\n".join([*lines[:index], crafted, *lines[index + 1 :]]) + "\n"
                yield f"line {index} {line[:cut]!r} + {filler!r}", text
    for extra in EXTRA_LINES:
        for cut in _cuts(extra):
            for at in EXTRA_AT:
                for filler in (" ", "/", "1", "\t"):
                    crafted = extra[:cut] + filler * SIZE + "X" + extra[cut:]
                    text = "\n".join([*lines[:at], crafted, *lines[at:]]) + "\n"
                    yield f"at {at} {extra[:cut]!r} + {filler!r}", text


def test_crafted_long_lines_decode_in_linear_time() -> None:
    slow: list[str] = []
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        for what, text in _crafted():
            started = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, BOUND_S)
            try:
                decode(text, "crafted")
            except TooSlow:
                slow.append(f"{what}: over {BOUND_S} s")
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.perf_counter() - started
            if elapsed > BOUND_S:
                slow.append(f"{what}: {elapsed:.2f} s")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not slow, "\n".join(slow[:20])


@pytest.mark.parametrize("filler", [" ", "/", "1"])
def test_addressee_line_with_a_long_run_then_a_letter(filler: str) -> None:
    """The reported case: a TO line, 32,000 spaces and one letter (83 s before the fix)."""
    text = "\n".join([*HEADER[:6], "TO RUEHC/SECSTATE WASHDC" + filler * 32_000 + "X", *BODY]) + "\n"
    previous = signal.signal(signal.SIGALRM, _interrupt)
    signal.setitimer(signal.ITIMER_REAL, BOUND_S)
    try:
        decoded = decode(text)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert decoded.from_ == "AMEMBASSY OSLO"
