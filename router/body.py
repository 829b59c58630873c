"""The top of a cable's body: banner, SIPDIS, E.O. declassification date, TAGS, SUBJECT and REF.

Only the top of the body is read (up to the first numbered paragraph, at most `MAX_BODY_CHARS`), with
a few regular-expression searches over that piece of text, so that a huge body costs no more than a
small one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from router.dtg import expand_year
from router.model import Banner, Diagnostic

#: How many characters of the body are read at most.
MAX_BODY_CHARS = 6_000

_SPACED = {  # classification names: letters possibly spaced out, the first one sometimes lost
    "TOP SECRET": r"T ?O ?P +S ?E ?C ?R ?E ?T",
    "UNCLASSIFIED": r"(?:U ?)?N ?C ?L ?A ?S(?: ?S ?I ?F ?I ?E ?D)?",
    "CONFIDENTIAL": r"(?:C ?)?O ?N ?F ?I ?D ?E ?N ?T ?I ?A ?L",
    "SECRET": r"(?:S ?)?E ?C ?R ?E ?T",
    "LIMITED OFFICIAL USE": r"L ?I ?M ?I ?T ?E ?D +O ?F ?F ?I ?C ?I ?A ?L +U ?S ?E",
}
_CLASS_PATTERN = (
    "(?<![A-Z])(?:"
    + "|".join(f"(?P<c{index}>{pattern})" for index, pattern in enumerate(_SPACED.values()))
    + ")(?![A-Z])"
)
_CLASS_NAMES = tuple(_SPACED)

#: The banner: classification, optional (caveat and) SECTION n OF m, origin, serial (MRN). Matched on the
#: upper-cased line; words are separated by spaces only (a tab means a database export's column break).
BANNER_RE = re.compile(
    rf"{_CLASS_PATTERN} *(?:(?:E ?F ?T ?O +)?SECTION *(?P<section>\d+) *OF *(?P<sections>\d+) +)?"
    r"(?:\d\d +)?(?P<origin>(?!SECTION)(?:E F T O +)?[A-Z][A-Z.'\-]+(?: {1,8}[A-Z][A-Z.'\-]*)*?)"
    r" +(?P<mrn>\d{2,8})(?!\d|Z\b)"
)
#: A banner whose origin and serial went on to the next line (`C O N F I D E N T I A L SECTION 01 OF 02`).
CUT_BANNER_RE = re.compile(rf"{_CLASS_PATTERN} *(?:SECTION *\d+ *OF *\d+)? *$", re.MULTILINE)
_ORIGIN_SERIAL_RE = re.compile(r"[A-Z][A-Z.'\- ]* \d{2,8}")
_DECL_RE = re.compile(r"DECL(?:ASSIFY)?\s*:?\s*(?:ON\s+)?(\d{1,2})/(\d{1,2})/(\d{2,4})")
_TAGS_RE = re.compile(r"(?:^[ \t]*|(?<=[^A-Z\n]))TAGS?(?:[ \t]*:[ \t]*|[ \t]+)([^\n]*)", re.MULTILINE)
_TAG_TOKEN_RE = re.compile(r"[A-Z][A-Z0-9_]+")
_SUBJECT_RE = re.compile(r"^[ \t]*SUBJ(?:ECT)?[ \t]*:[ \t]*", re.MULTILINE)
_REF_RE = re.compile(
    r"(?:^[ \t]*REF(?:S|TEL|TELS)?\b[ \t]*:?|(?<=\s)REF(?:S|TEL|TELS)?[ \t]*:)[ \t]*", re.MULTILINE
)
_PARAGRAPH_LINE_RE = re.compile(r"^[ \t]*(?:-[ \t]*)?(?:¶[ \t]*)?1{1,2}[ \t]?\.[ \t]", re.MULTILINE)
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]]*)\]\(#\)")
_MARKDOWN_PARA_RE = re.compile(r"\$\\P(\d*)\$")
_COMPACT_REF_RE = re.compile(r"\b(\d{2})([A-Z]{3,})(\d{1,6})\b")
#: One reference in a REF text: after a delimiter or a label (`A.`, `B)`), an optional year, 1-3 origin
#: words and a serial (`A. 08 BRASILIA 001652`, `STATE 117889`, `09 SAN SALVADOR 1101`).
_REF_PART_RE = re.compile(
    r"(?:^|[,;:(]|\b[A-Z][.)]|\bAND\b)\s*(?:\b(\d{4}|\d{2})\s+)?\b([A-Z]{2,}(?:\s[A-Z]{2,}){0,2})\s+(\d{1,6})\b"
)
#: Where a field glued to the subject begins (exports that lost their line breaks).
_GLUED_FIELD_RE = re.compile(
    r"\s(?:REF(?:S|TEL|TELS)?\s*:|REF\s+[A-Z][.)]|CLASSIFIED BY\b|E\.O\.\s*1\d{4}\s*:)"
)
_NOT_ORIGINS = frozenset(
    {
        "PARA",
        "PARAS",
        "PARAGRAPH",
        "SECTION",
        "OF",
        "AND",
        "NO",
        "NOTAL",
        "REF",
        "REFTEL",
        "REFTELS",
        "SEPTEL",
        "ON",
        "DATED",
        "IN",
        "FOR",
        "TO",
        "ETC",
        "AT",
        "UN",
        "USC",
        "EO",
        "CFR",
        "MSG",
        "DTG",
        "STATE'S",
    }
)
_STATION_ALIASES = {"SECSTATE": "STATE", "DEPT": "STATE"}
_MONTHS = frozenset({"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"})


@dataclass
class BodyParts:
    """What the top of the body holds."""

    banner: Banner | None = None
    sipdis: bool = False
    declassify: date | None = None
    tags: tuple[str, ...] = ()
    subject: str | None = None
    references: list[str] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)


def clean_markdown(line: str) -> str:
    """Read through markdown residue: `[PHUM](#)` -> `PHUM`, `[¶1.](#)` -> `¶1.`, `$\\P2$` -> `¶2`."""
    if "](#)" in line:
        line = _MARKDOWN_LINK_RE.sub(r"\1", line)
    if "$\\P" in line:
        line = _MARKDOWN_PARA_RE.sub(r"¶\1", line)
    return line


def parse_banner(line: str, number: int) -> Banner | None:
    """The banner in a line (`C O N F I D E N T I A L SECTION 01 OF 02 TOKYO 003310`), if there is one."""
    match = BANNER_RE.search(line)
    return _banner_from_match(match, number) if match is not None else None


def _banner_from_match(match: re.Match[str], number: int) -> Banner | None:
    """A Banner from a BANNER_RE match on line `number`."""
    groups = match.groupdict()
    classification = next(name for index, name in enumerate(_CLASS_NAMES) if groups[f"c{index}"])
    origin = " ".join(groups["origin"].split()).strip(" .-")
    if not origin:
        return None
    section = groups["section"]
    sections = groups["sections"]
    return Banner(
        classification=classification,
        origin=origin,
        mrn=groups["mrn"],
        section=int(section) if section else None,
        sections=int(sections) if sections else None,
        line=number,
    )


def parse_declassify(text: str) -> date | None:
    """The E.O. declassification date in `DECL: mm/dd/yyyy` (2-digit years allowed), if valid."""
    match = _DECL_RE.search(text)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(expand_year(year), month, day)
    except ValueError:
        return None


def parse_tags(text: str) -> tuple[str, ...]:
    """TAGS tokens (`PHUM, PREL` or `PHUM PREL`), markdown already removed; stops at a glued SUBJECT."""
    cut = text.find("SUBJ")
    if cut >= 0:
        text = text[:cut]
    return tuple(_TAG_TOKEN_RE.findall(text))


def parse_references(text: str, year: int | None) -> list[str]:
    """Reference ids in a REF text: `STATE 117889` -> `08STATE117889` (cable year when none is given)."""
    found: list[str] = []
    for match in _COMPACT_REF_RE.finditer(text):
        found.append(f"{match.group(1)}{match.group(2)}{int(match.group(3))}")
    for match in _REF_PART_RE.finditer(text):
        ref_year, origin, serial = match.groups()
        words = origin.split()
        while words and (words[0] in _NOT_ORIGINS or words[0] in _MONTHS):
            words.pop(0)
        if not words or any(word in _NOT_ORIGINS or word in _MONTHS for word in words):
            continue
        if ref_year is not None:
            yy = int(ref_year) % 100
        elif year is not None:
            yy = year % 100
        else:
            continue
        station = "".join(words)
        reference = f"{yy:02d}{_STATION_ALIASES.get(station, station)}{int(serial)}"
        if reference not in found:
            found.append(reference)
    return found


def scan_body(text: str, offset: int, first_line: int, year: int | None) -> BodyParts:
    """Read the top of the body, which starts at character `offset` of `text` on 1-based line `first_line`.

    `year` is the cable's (for references written without one). Fields are recognised case-insensitively
    (some exports are in lower case); the subject keeps its case.
    """
    parts = BodyParts()
    chunk = clean_markdown(text[offset : offset + MAX_BODY_CHARS])
    upper = chunk.upper()
    if len(upper) != len(chunk):  # a few characters grow when upper-cased; keep offsets aligned
        chunk = upper
    subject = _SUBJECT_RE.search(upper)
    paragraph = _PARAGRAPH_LINE_RE.search(upper, subject.end() if subject else 0)
    end = paragraph.start() if paragraph else len(upper)
    if subject is not None and subject.start() > end:
        subject = None
    top = upper[:end]
    parts.banner = _find_banner(top, first_line)
    parts.sipdis = "SIPDIS" in top
    if "DECL" in top:
        parts.declassify = parse_declassify(top)
    tags = _TAGS_RE.search(top)
    if tags is not None:
        parts.tags = parse_tags(tags.group(1))
    if subject is not None:
        text = _continued(chunk, subject.end(), end)
        glued = _GLUED_FIELD_RE.search(text.upper())
        parts.subject = text[: glued.start()].rstrip() if glued else text
    reference = _REF_RE.search(top)
    if reference is not None:
        text = _continued(upper, reference.end(), end)
        glued = _GLUED_FIELD_RE.search(text)
        parts.references = parse_references(text[: glued.start()] if glued else text, year)
    return parts


def _find_banner(top: str, first_line: int) -> Banner | None:
    """The first banner in the top of the body, also when it was cut after its classification."""
    full = BANNER_RE.search(top)
    cut = CUT_BANNER_RE.search(top, 0, full.start() if full else len(top))
    while cut is not None:
        after = top.find("\n", cut.end())
        following = top[after + 1 :].lstrip().split("\n", 1)[0].strip() if after >= 0 else ""
        if _ORIGIN_SERIAL_RE.fullmatch(following):
            line = first_line + top.count("\n", 0, cut.start())
            return parse_banner(f"{top[cut.start() : cut.end()].strip()} {following}", line)
        cut = CUT_BANNER_RE.search(top, cut.end(), full.start() if full else len(top))
    if full is None:
        return None
    return _banner_from_match(full, first_line + top.count("\n", 0, full.start()))


def _continued(text: str, start: int, end: int) -> str:
    """A field's text from `start`, continued over following lines until a blank line or the next field."""
    pieces: list[str] = []
    for number, line in enumerate(text[start:end].split("\n")):
        line = line.strip()
        if number and (not line or _starts_field(line)):
            break
        if line:
            pieces.append(line)
    return " ".join(pieces)


def _starts_field(line: str) -> bool:
    """True for a line that opens another body field or a paragraph."""
    line = line.upper()
    return (
        line.startswith(("REF", "SUBJ", "TAGS", "CLASSIFIED", "E.O.", "EO ", "(U)", "(C)", "(S)"))
        or _PARAGRAPH_LINE_RE.match(line) is not None
    )
