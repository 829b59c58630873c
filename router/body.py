"""The top of a cable's body: banner, SIPDIS, E.O. declassification date, TAGS, SUBJECT and REF.

Only the first lines of the body are read (up to the first numbered paragraph, at most
`MAX_BODY_LINES`), so that a huge body costs no more than a small one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from router.dtg import expand_year
from router.model import Banner, Diagnostic

#: How many body lines are read at most.
MAX_BODY_LINES = 60

_SPACED = {
    "UNCLASSIFIED": r"U\s?N\s?C\s?L\s?A\s?S(?:\s?S\s?I\s?F\s?I\s?E\s?D)?",
    "CONFIDENTIAL": r"C\s?O\s?N\s?F\s?I\s?D\s?E\s?N\s?T\s?I\s?A\s?L",
    "SECRET": r"S\s?E\s?C\s?R\s?E\s?T",
    "TOP SECRET": r"T\s?O\s?P\s+S\s?E\s?C\s?R\s?E\s?T",
    "LIMITED OFFICIAL USE": r"L\s?I\s?M\s?I\s?T\s?E\s?D\s+O\s?F\s?F\s?I\s?C\s?I\s?A\s?L\s+U\s?S\s?E",
}
_CLASS_PATTERN = "|".join(f"(?P<c{index}>{pattern})" for index, pattern in enumerate(_SPACED.values()))
_CLASS_NAMES = tuple(_SPACED)

#: The banner: classification, optional SECTION n OF m, origin, serial (MRN).
BANNER_RE = re.compile(
    rf"(?:{_CLASS_PATTERN})\s*(?:SECTION\s*(?P<section>\d+)\s*OF\s*(?P<sections>\d+)\s+)?"
    r"(?P<origin>[A-Z][A-Z.'\- ]*?)\s*(?P<mrn>\d{2,8})(?!\d)"
)
_EO_RE = re.compile(
    r"E\.?\s?O\.?\s*1\d{4}\s*:?\s*(?:DECL(?:ASSIFY)?\s*:?\s*(?:ON\s+)?(\d{1,2})/(\d{1,2})/(\d{2,4}))?"
)
_DECL_RE = re.compile(r"DECL(?:ASSIFY)?\s*:?\s*(?:ON\s+)?(\d{1,2})/(\d{1,2})/(\d{2,4})")
_TAGS_RE = re.compile(r"TAGS?\s*:?\s+")
_TAG_TOKEN_RE = re.compile(r"[A-Z][A-Z0-9_]+")
_SUBJECT_RE = re.compile(r"SUBJ(?:ECT)?\s*:\s*")
_REF_RE = re.compile(r"REF(?:S|TEL|TELS)?\s*:?\s+")
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]]*)\]\(#\)")
_MARKDOWN_PARA_RE = re.compile(r"\$\\P(\d*)\$")
_PARAGRAPH_RE = re.compile(r"(?:-\s*)?(?:¶\s*)?1{1,2}\s?\.\s")
_COMPACT_REF_RE = re.compile(r"\b(\d{2})([A-Z]{3,})(\d{1,6})\b")
_REF_PART_RE = re.compile(r"(?:\b(\d{4}|\d{2})\s+)?\b([A-Z]{2,}(?:\s[A-Z]{2,}){0,3})\s+(\d{1,6})\b")
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
        "THE",
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
    if match is None:
        return None
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
        reference = f"{yy:02d}{''.join(words)}{int(serial)}"
        if reference not in found:
            found.append(reference)
    return found


def scan_body(lines: Sequence[str], start: int, year: int | None) -> BodyParts:
    """Read the top of the body from line index `start`; `year` is the cable's (for bare references)."""
    parts = BodyParts()
    end = min(len(lines), start + MAX_BODY_LINES)
    index = start
    while index < end:
        line = clean_markdown(lines[index].strip())
        index += 1
        if not line:
            continue
        number = index
        if parts.banner is None:
            parts.banner = parse_banner(line, number)
        if "SIPDIS" in line:
            parts.sipdis = True
        if parts.declassify is None and "DECL" in line:
            parts.declassify = parse_declassify(line)
        if not parts.tags and "TAG" in line:
            tags = _TAGS_RE.search(line)
            if tags is not None and (tags.start() == 0 or parts.banner is not None):
                parts.tags = parse_tags(line[tags.end() :])
        head = line[:1]
        if parts.subject is None and head == "S":
            match = _SUBJECT_RE.match(line)
            if match is not None:
                text, index = _continued(lines, index, line[match.end() :], end)
                parts.subject = text
                continue
        if head == "R" and not parts.references:
            match = _REF_RE.match(line)
            if match is not None:
                text, index = _continued(lines, index, line[match.end() :], end)
                parts.references = parse_references(text, year)
                continue
        if parts.subject is not None and _PARAGRAPH_RE.match(line):
            break
    return parts


def _continued(lines: Sequence[str], index: int, first: str, end: int) -> tuple[str, int]:
    """A field's text continued over following lines until a blank line or the next field."""
    pieces = [first.strip()]
    while index < end:
        line = clean_markdown(lines[index].strip())
        if not line or _starts_field(line):
            break
        pieces.append(line)
        index += 1
    return " ".join(piece for piece in pieces if piece), index


def _starts_field(line: str) -> bool:
    """True for a line that opens another body field or a paragraph."""
    return (
        line.startswith(
            ("REF", "SUBJ", "TAGS", "Classified", "CLASSIFIED", "E.O.", "EO ", "(U)", "(C)", "(S)")
        )
        or _PARAGRAPH_RE.match(line) is not None
    )
