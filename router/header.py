"""Walking a telegram header line by line, from its first line to its last addressee.

The header is FL1-FL6 in order (any may be missing; blank lines may sit between them), then the
addressee lists. It ends at the last addressee line: a blank line ends it unless the next non-blank line
is clearly another addressee (an `RI/` entry or a `TO`/`INFO`/`XMT` line).

Most headers have a standard layout: `read_standard_header` reads those straight from the text, without
splitting it into lines. Other headers are walked over the lines of the top of the text (`walk_header`).
Either way the addressee lines are read from the text itself, line after line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import msgspec

from router.addressees import (
    SECTION_KEYWORDS,
    is_page_debris,
    looks_like_addressee,
    parse_addressee,
    precedence_word,
    split_keyword,
)
from router.dtg import dtg_datetime, julian_datetime
from router.format_lines import (
    CLASSIFICATION_LETTERS,
    DOUBLED_PROSIGNS,
    PROSIGNS,
    is_fl2_continuation,
    match_fl5,
    parse_fl1,
    parse_fl2,
    parse_fl3,
    parse_fl4,
    parse_fl5,
    parse_fl6,
)
from router.model import Addressee, Diagnostic, PrecedencePair, Routing, Security, Station, Transmission
from router.precedence import Precedence
from topology.ri import RI_TEXT

#: A line that can only be the body's banner (the header has ended without a blank line).
BANNER_START_RE = re.compile(
    r"(?:UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET|LIMITED OFFICIAL|C O N F|S E C R|U N C L|L I M I|T O P)"
)

#: How many blank lines may separate two parts of an addressee list.
MAX_BLANK_RUN = 3

#: The precedence of a header without FL5 (frozen, so one serves every header).
_NO_PRECEDENCE = PrecedencePair()

# Stages of the walk: which format line was seen last.
_START, _FL1, _FL2, _FL3, _FL4, _FL5, _FL6 = range(7)


class HeaderParts(msgspec.Struct):
    """What the walk found; `end` is the index after the last header line (0 when there is no header)
    and `offset` the character offset where that line ends.

    `section` is the addressee list that continuation lines belong to (`to`, `info`, `xmt`).
    """

    transmission: Transmission | None = None
    routing: Routing | None = None
    station: Station | None = None
    security: Security | None = None
    precedence: PrecedencePair = _NO_PRECEDENCE
    dtg: datetime | None = None
    dtg_signals: tuple[str, ...] = ()
    from_: str | None = None
    to: list[Addressee] = msgspec.field(default_factory=list)
    info: list[Addressee] = msgspec.field(default_factory=list)
    xmt: list[Addressee] = msgspec.field(default_factory=list)
    end: int = 0
    offset: int = 0
    section: str | None = None
    notes: list[Diagnostic] = msgspec.field(default_factory=list)


def read_standard_header(text: str) -> HeaderParts | None:
    """The header of a text that opens with FL1-FL6 in the standard layout, read without splitting lines;
    None when the text does not open with the standard layout."""
    parts = HeaderParts()
    offset = _standard_block(text, parts)
    if not offset:
        return None
    _read_addressees(text, offset, text.count("\n", 0, offset), parts)
    return parts


def walk_header(lines: Sequence[str], start: int, text: str) -> HeaderParts:
    """Decode the header that starts at line index `start` of `lines`, the top of `text` split into
    lines: FL1-FL6 line by line, then the addressee lines from the text."""
    parts = HeaderParts()
    stage = _START
    fl3: tuple[str, int] | None = None
    last = start - 1
    index = start
    count = len(lines)
    while index < count and stage < _FL6:
        line = lines[index].strip()
        if not line:
            index += 1
            continue
        number = index + 1
        new_stage = _format_line(line, number, stage, parts)
        if new_stage is None:
            if stage >= _FL5 and BANNER_START_RE.match(line):
                break
            note = f"unexpected header line {line[:60]!r}"
            parts.notes.append(Diagnostic(number, "header-unknown-line", "warning", note))
            if not _has_format_line_ahead(lines, index):
                break
        else:
            if new_stage == _FL3:
                fl3 = (line, number)
            stage = max(stage, new_stage)
        last = index
        index += 1
    if stage >= _FL6:  # the FM line is line `last`, the addressee lines follow it
        _read_addressees(text, sum(map(len, lines[:index])) + index, index, parts)
    else:
        parts.end = last + 1
        parts.offset = sum(map(len, lines[: parts.end])) + last if parts.end else 0
    if fl3 is not None:
        parts.station = parse_fl3(fl3[0], fl3[1], parts.dtg, parts.notes)
    return parts


#: FL1-FL6 in the standard layout: one line each (FL2 may go on over lines of RIs), single spaces (also
#: in the PLAD, as `parse_fl6` would give it), `ZZH` and then only 3-letter operating signals in FL4, a
#: UTC DTG with a 2-digit year and only operating signals after it (blank lines may follow FL2). (The
#: repeats are possessive: what follows each cannot start where giving back part of it would leave off,
#: so backtracking could never find a match, and not keeping its positions saves time.)
_STANDARD_BLOCK_RE = re.compile(
    r"VZCZC([A-Z]{3})(\d{1,5})\n"
    r"(ZZ|OO|PP|RR)((?: " + RI_TEXT + r")*+)\n((?:" + RI_TEXT + r"(?: " + RI_TEXT + r")*+\n)*+)\n*+"
    r"DE (" + RI_TEXT + r") #(\d{1,6})(?:/(\d{1,3}))? (\d{3})(\d\d)(\d\d) ?\n"
    r"(ZN[RY]) (UUUUU|EEEEE|CCCCC|SSSSS|TTTTT) ZZH((?: Z[A-Z]{2})*+) ?\n"
    r"([ZOPR])(?: ([ZOPR]))? (\d\d)(\d\d)(\d\d)Z ([A-Z]{3}) (\d\d)((?: Z[A-Z]{2}\d?)*+) ?\n"
    r"FM (\S++(?: \S++)*+) *+\n"
)


def _standard_block(text: str, parts: HeaderParts) -> int:
    """Read FL1-FL6 at the start of `text` if they have the standard layout: the character offset where
    the line after FL6 starts, or 0."""
    match = _STANDARD_BLOCK_RE.match(text)
    if match is None:
        return 0
    (
        channel, serial, doubled, relays, more_relays, ri, ssn, section, day, hour, minute,
        prosign, letters, fl4_signals, action, info, dtg_day, dtg_hour, dtg_minute, month, year,
        fl5_signals, originator,
    ) = match.groups()  # fmt: skip
    dtg = dtg_datetime(int(dtg_day), int(dtg_hour), int(dtg_minute), "Z", month, int(year))
    if dtg is None:
        return 0
    filed = julian_datetime(int(day), int(hour), int(minute), dtg)
    if filed is None:
        return 0
    parts.transmission = Transmission(channel=channel, serial=int(serial))
    parts.routing = Routing(
        precedence=DOUBLED_PROSIGNS[doubled], relays=tuple(f"{relays} {more_relays}".split())
    )
    parts.station = Station(ri=ri, ssn=int(ssn), section=int(section) if section else None, filed=filed)
    parts.security = Security(
        prosign=prosign,
        classification=CLASSIFICATION_LETTERS[letters[0]],
        signals=("ZZH", *fl4_signals.split()),
    )
    parts.precedence = PrecedencePair(
        action=PROSIGNS[action], info=PROSIGNS[info] if info is not None else None
    )
    parts.dtg = dtg
    parts.dtg_signals = tuple(fl5_signals.split())
    parts.from_ = originator
    return match.end()


def _format_line(line: str, number: int, stage: int, parts: HeaderParts) -> int | None:
    """Decode one of FL1-FL6 into `parts`; the stage it represents, or None when it is none of them."""
    head = line[:1]
    if stage < _FL1 and "VZCZC" in line:
        parts.transmission = parse_fl1(line, number, parts.notes)
        return _FL1
    if stage <= _FL2 and head in "ZOPR" and line[1:2] == head:
        routing = parse_fl2(line)
        if routing is not None:
            if parts.routing is not None:
                routing = Routing(parts.routing.precedence, parts.routing.relays + routing.relays)
            parts.routing = routing
            return _FL2
    if stage == _FL2 and is_fl2_continuation(line):
        assert parts.routing is not None
        parts.routing = Routing(parts.routing.precedence, parts.routing.relays + tuple(line.split()))
        return _FL2
    if head == "D" and line.startswith("DE "):
        return _FL3
    if head == "Z" and line[1:2] == "N":
        security = parse_fl4(line, number, parts.notes)
        if security is not None:
            parts.security = security
            return _FL4
    fl5 = match_fl5(line)
    if fl5 is not None:
        parts.precedence, parts.dtg, parts.dtg_signals = parse_fl5(fl5, number, parts.notes)
        return _FL5
    if head == "F" and line.startswith("FM "):
        parts.from_ = parse_fl6(line)
        return _FL6
    return None


def _has_format_line_ahead(lines: Sequence[str], index: int) -> bool:
    """True when one of the next few lines is a format line (the header goes on past an odd line)."""
    for raw in lines[index + 1 : index + 4]:
        line = raw.strip()
        if line.startswith(("DE ", "ZN", "FM ")) or match_fl5(line) is not None:
            return True
    return False


def _read_addressees(text: str, position: int, index: int, parts: HeaderParts) -> None:
    """Decode the addressee lines from character `position` of `text`, the start of line index `index`
    (the FM line ends just before it), and set where the header ends (`parts.end`, `parts.offset`).

    Lines in the common form are read with one pattern straight from the text; any other line as
    `_addressee_line` reads it. A blank line ends the header unless the next non-blank line (within
    `MAX_BLANK_RUN`) is clearly another addressee line.
    """
    last_index, last_end = index, position - 1
    size = len(text)
    match_line = _TEXT_LINE_RE.match
    while position <= size:
        match = match_line(text, position)
        if match is not None and _common_addressee(match, index + 1, parts):
            end = match.end()
        else:
            end = _line_end(text, position)
            line = text[position:end].strip()
            if not line:
                following = _next_addressee_line(text, end, index)
                if following is None:
                    break
                position, index = following
                continue
            if not _addressee_line(line, index + 1, parts):
                break
        index += 1
        last_index, last_end = index, end
        position = end + 1
    parts.end, parts.offset = last_index, last_end


def _line_end(text: str, position: int) -> int:
    """Where the line that starts at `position` ends (its newline, or the end of the text)."""
    end = text.find("\n", position)
    return end if end >= 0 else len(text)


def _next_addressee_line(text: str, end: int, index: int) -> tuple[int, int] | None:
    """After the blank line with index `index` that ends at `end`: where the next addressee line starts
    and its index, when the first non-blank line of the next `MAX_BLANK_RUN` is clearly one."""
    for offset in range(1, MAX_BLANK_RUN + 1):
        if end >= len(text):  # no further line
            return None
        start = end + 1
        end = _line_end(text, start)
        line = text[start:end].strip()
        if line:  # (both tests need one of these first letters)
            if line[0] in "TIXZRP" and (looks_like_addressee(line) or is_page_debris(line)):
                return start, index + offset
            return None
    return None


def _addressee_line(line: str, number: int, parts: HeaderParts) -> bool:
    """Decode one FL7-FL9 line into `parts`; False when the line is not part of the header."""
    match = _COMMON_LINE_RE.fullmatch(line)
    if match is None or not _common_addressee(match, number, parts):
        return _unusual_addressee_line(line, number, parts)
    return True


def _common_addressee(match: re.Match[str], number: int, parts: HeaderParts) -> bool:
    """Add the addressee of a line in the common form (a `_COMMON_LINE` match) to `parts`; False when the
    line needs the general reading (`_unusual_addressee_line`), which then sees the same `parts`."""
    keyword, zen, ri, name, niact, word, mcn = match.groups()
    section: str | None
    if keyword is not None:
        section = parts.section = SECTION_KEYWORDS[keyword]
    else:
        section = parts.section
        if ri is None and zen is None and (section is None or name[0] in _RISKY_STARTS):
            return False
    if "//" in name or "PAGE" in name:
        return False
    if word is None:
        last = name.rfind(" ") + 1
        if len(name) - last >= 5 and name[last] in "FIPR" and precedence_word(name[last:]) is not None:
            return False
        stated = None
        precedence = parts.precedence
        level = (precedence.info or precedence.action) if section == "info" else precedence.action
    else:
        stated = level = _LEVELS[word]
        if niact:
            word = "NIACT " + word
    addressee = Addressee(
        ri=ri,
        name=name,
        precedence=level,
        precedence_stated=stated,
        precedence_word=word,
        niact=niact is not None,
        mcn=mcn,
        zen=zen is not None,
        line=number,
    )
    if section == "info":
        parts.info.append(addressee)
    elif section == "to":
        parts.to.append(addressee)
    else:
        parts.xmt.append(addressee)
    return True


#: The common addressee line, keyword included: [TO|INFO|XMT] [ZEN/][RI/]PLAD [NIACT] [LEVEL] [MCN]. (The
#: lookahead after each word of the PLAD only saves trying the rest where it cannot start, and the words
#: are possessive since a word cut short could never meet it, as are the blanks after the keyword and
#: in the lookahead, which what follows them cannot start with; `(?:X|)` is `X?`, written so because
#: it runs faster.)
_COMMON_LINE = (
    r"(?:(TO|INFO|XMT)(?: ++|/)|)(?:(ZEN)/|)(?:(" + RI_TEXT + r")/|)(\S++(?: \S++)*?)"
    r"(?= [NIPFR\d \t\r]|[ \t\r]*+(?:\n|\Z))"
    r"(?: (NIACT)|)(?: (IMMEDIATE|PRIORITY|FLASH|ROUTINE)|)(?: (\d{4}(?:-\d{4}|))|) *+"
)
_COMMON_LINE_RE = re.compile(_COMMON_LINE)
#: The same as a whole line of the text, with the spaces, tabs or carriage return `strip` would remove.
_TEXT_LINE_RE = re.compile(r"[ \t]*+" + _COMMON_LINE + r"[ \t\r]*+(?=\n|\Z)")
#: First letters of lines that might be a banner (the header ended without a blank line).
_RISKY_STARTS = frozenset("UCSTLONE")
_LEVELS = {level.value: level for level in Precedence}


def _unusual_addressee_line(line: str, number: int, parts: HeaderParts) -> bool:
    """Any addressee line: section keywords, page-break debris, banner detection, typos, offices."""
    if line[:1] in "TIX":
        keyword, rest = split_keyword(line)
    else:
        keyword, rest = None, line
    if line.find("PAGE", 0, 12) >= 0 and is_page_debris(line):
        if keyword is not None:
            parts.section = keyword
        parts.notes.append(
            Diagnostic(number, "page-debris", "info", f"page-break line skipped: {line[:60]!r}")
        )
        return True
    if keyword is not None:
        parts.section = keyword
    elif "/" not in line and BANNER_START_RE.match(line):
        return False
    elif parts.section is None:
        note = "addressee line before any TO/INFO: taken as TO"
        parts.notes.append(Diagnostic(number, "addressee-no-section", "warning", note))
        parts.section = "to"
    if not rest or rest.isspace():
        return True
    section = parts.section
    action, info = parts.precedence.action, parts.precedence.info
    addressee, typo = parse_addressee(
        rest, number, info if section == "info" and info is not None else action
    )
    if typo is not None:
        note = f"precedence word {typo!r} read as {addressee.precedence_stated}"
        parts.notes.append(Diagnostic(number, "precedence-typo", "info", note))
    if not addressee.name:
        parts.notes.append(
            Diagnostic(number, "addressee-empty", "warning", f"addressee without a name: {line!r}")
        )
    if section == "info":
        parts.info.append(addressee)
    elif section == "to":
        parts.to.append(addressee)
    else:
        parts.xmt.append(addressee)
    return True
