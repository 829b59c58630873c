"""The fixed format lines of a telegram header: FL1 to FL6 (FL7-FL9, the addressees, are in `addressees`).

Each `match_*` function recognises its line; each `parse_*` turns a recognised line into part of the
model, appending anything odd to a list of diagnostics.
"""

from __future__ import annotations

import re
from datetime import datetime

from router.dtg import dtg_datetime, julian_datetime
from router.model import Diagnostic, PrecedencePair, Routing, Security, Station, Transmission
from router.precedence import Precedence
from topology.ri import RI_TEXT

#: FL1 anywhere in a line: `VZCZC` + channel + channel serial (text before it is a glued caption).
FL1_RE = re.compile(r"VZCZC([A-Z]{3})(\d{1,5})")
#: FL2: a doubled precedence prosign, then relay routing indicators.
FL2_RE = re.compile(r"(ZZ|OO|PP|RR)(?:\s+(.*))?$")
#: An FL2 continuation line: routing indicators only.
RI_LINE_RE = re.compile(RI_TEXT + r"(?:\s+" + RI_TEXT + r")*\s*$")
#: FL3: `DE` RI `#`SSN[`/`section] `DDDHHMM`.
FL3_RE = re.compile(r"DE\s+(" + RI_TEXT + r")\s*#\s*(\d{1,6})(?:/(\d{1,3}))?(?:\s+(\d{3})(\d\d)(\d\d))?")
#: FL4: security prosign, the repeated classification letter (4-5 letters, release code), the rest.
FL4_RE = re.compile(r"(ZNR|ZNY)\s+([A-Z]{3,6})(.*)$")
#: FL5: action (and info) precedence prosigns, then the DTG (day, hour, minute, zone, month, year).
FL5_RE = re.compile(
    r"([ZOPR])(?:\s+([ZOPR]))?\s+(\d\d)(\d\d)(\d\d)\s?([A-IK-Z])\s+([A-Za-z]{3})\s+(\d{4}|\d{2})(?!\d)"
)
#: Operating signals (`ZZH`, `ZDK`, `ZFF4` ...) in FL4/FL5.
SIGNAL_RE = re.compile(r"Z[A-Z]{2}\d?")
_NOTE_RE = re.compile(r"\(([^)]*)\)?")

#: The repeated FL4 letter -> classification.
CLASSIFICATION_LETTERS: dict[str, str] = {
    "U": "UNCLASSIFIED",
    "E": "UNCLASSIFIED EFTO",
    "C": "CONFIDENTIAL",
    "S": "SECRET",
    "T": "TOP SECRET",
}

#: Prosign letter -> precedence.
PROSIGNS = {letter: Precedence.from_prosign(letter) for letter in "ZOPR"}
#: FL2's doubled prosign -> precedence.
DOUBLED_PROSIGNS = {
    "ZZ": Precedence.FLASH,
    "OO": Precedence.IMMEDIATE,
    "PP": Precedence.PRIORITY,
    "RR": Precedence.ROUTINE,
}

Diagnostics = list[Diagnostic]


def parse_fl1(line: str, number: int, notes: Diagnostics) -> Transmission | None:
    """FL1 (`VZCZCXRO8162`) as channel and channel serial; text glued before it is reported."""
    match = FL1_RE.search(line)
    if match is None:
        return None
    caption = line[: match.start()].strip() if match.start() else ""
    if caption:
        notes.append(
            Diagnostic(number, "caption-glued", "info", f"caption glued before FL1 skipped: {caption[:60]!r}")
        )
    return Transmission(channel=match.group(1), serial=int(match.group(2)))


def parse_fl2(line: str) -> Routing | None:
    """FL2 (`OO RUEHTRO RUEHC`) as routing precedence and relays."""
    precedence = DOUBLED_PROSIGNS.get(line[:2])
    if precedence is None or not (len(line) == 2 or line[2].isspace()):
        return None
    return Routing(precedence=precedence, relays=tuple(line[3:].split()))


def is_fl2_continuation(line: str) -> bool:
    """True for a line holding only routing indicators (FL2 continued)."""
    return line[:1] == "R" and RI_LINE_RE.match(line) is not None


def parse_fl3(line: str, number: int, dtg: datetime | None, notes: Diagnostics) -> Station | None:
    """FL3 (`DE RUEHKO #3310/01 3390734`) as station RI, serial, section and filing time."""
    match = FL3_RE.match(line)
    if match is None:
        return None
    ri, ssn, section, day, hour, minute = match.groups()
    filed = None
    if day is None:
        notes.append(Diagnostic(number, "fl3-no-time", "warning", "FL3 has no filing time"))
    else:
        filed = julian_datetime(int(day), int(hour), int(minute), dtg)
        if filed is None and dtg is not None:
            notes.append(
                Diagnostic(number, "fl3-bad-time", "warning", f"FL3 filing time {day}{hour}{minute} invalid")
            )
    return Station(ri=ri, ssn=int(ssn), section=int(section) if section else None, filed=filed)


def parse_fl4(line: str, number: int, notes: Diagnostics) -> Security | None:
    """FL4 (`ZNY CCCCC ZZH (CCY ...)`) as prosign, classification, release code, signals and note."""
    match = FL4_RE.match(line)
    if match is None:
        return None
    prosign, letters, rest = match.groups()
    if letters.startswith("ZZ") and len(letters) <= 4:
        rest = letters + rest
        letters = ""
    classification, release = _classification(letters, number, notes)
    note = None
    note_match = _NOTE_RE.search(rest) if "(" in rest else None
    if note_match is not None:
        note = note_match.group(1).strip()
        rest = rest[: note_match.start()] + " " + rest[note_match.end() :]
    signals: list[str] = []
    for token in rest.split():
        if len(token) == 3 and token[0] == "Z":
            signals.append(token)
            continue
        glued = SIGNAL_RE.findall(token)
        if glued and "".join(glued) == token:
            signals.extend(glued)
        else:
            signals.append(token)
    return Security(
        prosign=prosign, classification=classification, release=release, signals=tuple(signals), note=note
    )


def _classification(letters: str, number: int, notes: Diagnostics) -> tuple[str | None, str | None]:
    """The classification a repeated FL4 letter stands for, and a release code (`UUUAA` -> `AA`)."""
    if not letters:
        notes.append(Diagnostic(number, "fl4-no-class", "warning", "FL4 has no classification group"))
        return None, None
    letter = letters[0]
    classification = CLASSIFICATION_LETTERS.get(letter)
    if classification is None:
        notes.append(
            Diagnostic(number, "fl4-bad-class", "warning", f"FL4 classification {letters!r} unknown")
        )
        return None, None
    run = len(letters) - len(letters.lstrip(letter))
    release = letters[run:] or None
    if run + len(release or "") != 5 or (release is not None and run < 3):
        notes.append(Diagnostic(number, "fl4-malformed", "warning", f"FL4 classification group {letters!r}"))
    return classification, release


def match_fl5(line: str) -> re.Match[str] | None:
    """The FL5 match for a line, or None."""
    if line[:1] not in "ZOPR" or line[1:2] != " ":
        return None
    return FL5_RE.match(line)


def parse_fl5(
    match: re.Match[str], number: int, notes: Diagnostics
) -> tuple[PrecedencePair, datetime | None, tuple[str, ...]]:
    """FL5 (`O R 040734Z DEC 08 ZDK`, as matched by `match_fl5`) as precedence pair, DTG and signals."""
    action_letter, info_letter, day, hour, minute, zone, month, year = match.groups()
    action = PROSIGNS[action_letter]
    info = PROSIGNS[info_letter] if info_letter else None
    moment = dtg_datetime(int(day), int(hour), int(minute), zone, month, int(year))
    if moment is None:
        line = match.string
        notes.append(Diagnostic(number, "dtg-invalid", "error", f"FL5 date-time group invalid: {line!r}"))
    rest = match.string[match.end() :]
    signals = tuple(token.strip("/") for token in rest.split() if token.strip("/")) if rest else ()
    return PrecedencePair(action=action, info=info), moment, signals


def parse_fl6(line: str) -> str | None:
    """FL6 (`FM AMEMBASSY TOKYO`) as the originator PLAD."""
    if not line.startswith("FM"):
        return None
    return " ".join(line[2:].split()) or None
