"""The top of a cable's body: banner, SIPDIS, E.O. declassification date, TAGS, SUBJECT and REF.

Only the top of the body is read (up to the first numbered paragraph, at most `MAX_BODY_CHARS`), with
a few regular-expression searches over that piece of text, so that a huge body costs no more than a
small one.
"""

from __future__ import annotations

import html
import re
from datetime import date

import msgspec

from router.dtg import expand_year
from router.model import Banner, Diagnostic

#: How many characters of the body are read at most.
MAX_BODY_CHARS = 4_000

_SPACED = {  # classification names: letters possibly spaced out, the first one sometimes lost
    "TOP SECRET": r"T ?O ?P +S ?E ?C ?R ?E ?T",
    "UNCLASSIFIED": r"(?:U ?)?N ?C ?L ?A ?S(?: ?S ?I ?F ?I ?E ?D)?",
    "CONFIDENTIAL": r"(?:C ?)?O ?N ?F ?I ?D ?E ?N ?T ?I ?A ?L",
    "SECRET": r"(?:S ?)?E ?C ?R ?E ?T",
    "LIMITED OFFICIAL USE": r"L ?I ?M ?I ?T ?E ?D +O ?F ?F ?I ?C ?I ?A ?L +U ?S ?E",
}
_CLASS_WORDS = "(?P<cls>" + "|".join(_SPACED.values()) + ")(?![A-Z])"
_CLASS_PATTERN = "(?<![A-Z])" + _CLASS_WORDS
#: The classification a banner match names, by its first letter (which may be the second of the word).
_CLASS_BY_LETTER = {
    "T": "TOP SECRET",
    "U": "UNCLASSIFIED",
    "N": "UNCLASSIFIED",
    "C": "CONFIDENTIAL",
    "O": "CONFIDENTIAL",
    "S": "SECRET",
    "E": "SECRET",
    "L": "LIMITED OFFICIAL USE",
}

#: The banner: classification, optional (caveat and) SECTION n OF m, origin, serial (MRN). Matched on the
#: upper-cased line; words are separated by spaces only (a tab means a database export's column break).
_BANNER_REST = (  # `(?:X|)` is `X?`, written so because it runs faster; origin words are possessive
    r" *(?:(?:E ?F ?T ?O +|)SECTION *(?P<section>\d+) *OF *(?P<sections>\d+) +|)"
    r"(?:\d\d +|)(?P<origin>(?!SECTION)(?:E F T O +|)[A-Z][A-Z.'\-]++(?: {1,8}[A-Z][A-Z.'\-]*+)*?)"
    r" +(?P<mrn>\d{2,8})(?!\d|Z\b)"
)
BANNER_RE = re.compile(_CLASS_PATTERN + _BANNER_REST)
#: The same at the start of a line (the text searched starts with a newline): a much faster search.
_LINE_BANNER_RE = re.compile(r"\n[ \t]*" + _CLASS_WORDS + _BANNER_REST)
#: A banner whose origin and serial went on to the next line (`C O N F I D E N T I A L SECTION 01 OF 02`).
CUT_BANNER_RE = re.compile(r"\n[ \t]*" + _CLASS_WORDS + r" *(?:SECTION *\d+ *OF *\d+)? *$", re.MULTILINE)
#: How far into the body a banner cut over two lines is looked for.
_CUT_BANNER_REACH = 1_500
#: The blank characters before the body's first line (as `_find_banner` strips them).
_BLANKS_RE = re.compile(r"[ \t\r\n]*+")
_ORIGIN_SERIAL_RE = re.compile(r"[A-Z][A-Z.'\- ]* \d{2,8}")
_DECL_RE = re.compile(r"DECL(?:ASSIFY)?\s*:?\s*(?:ON\s+)?(\d{1,2})/(\d{1,2})/(\d{2,4})")
_TAGS_RE = re.compile(r"TAGS?(?:[ \t]*:[ \t]*|[ \t]+)([^\n]*)")
_TAG_TOKEN_RE = re.compile(r"[A-Z][A-Z0-9_]+")
# Line-start patterns begin with a newline (the scanned text starts with one): much faster than `^`. (A
# possessive repeat, `*+`, is one that nothing after it could take back from: it only saves time.)
_SUBJECT_RE = re.compile(r"\n[ \t]*+(?:S?UBJ(?:ECT)?[ \t]*:|SUBJECT[ \t]+(?=\S))[ \t]*+", re.IGNORECASE)
#: A subject glued after other fields on one line (`... TAGS: PREL TU SUBJECT: ...`), upper case. (The
#: blank before it is looked for after the word, so that the search can look for the word itself.)
_GLUED_SUBJECT_RE = re.compile(r"SUBJECT(?<=\sSUBJECT)[ \t]*:[ \t]*")
#: A classification marking opening the subject (`(C)`, `(S/NF)`, `(SBU)`).
_SUBJECT_MARKING_RE = re.compile(r"\((?:U|C|S|TS|SBU|LOU|FOUO|NF)(?:/+[A-Z]{1,6})*\)\s*")
#: Lines that end a field: page headers of printed copies, rules, handling notes.
_FIELD_END = r"-{4,}|PAGE \d|[A-Z][A-Z ]* \d{8} +\d{3}|SENSITIVE BUT UNCLASSIFIED|SENSITIVE$"
#: A label opening a reference line (`B.`, `¶B.`, `C)`, `(D)`).
_LABEL_RE = re.compile(r"(?:¶\s*)?\(?[A-Z][.)]\s")
#: A line of TAGS continued on the next (`NATO, UK, CN`).
_TAG_LIST_LINE_RE = re.compile(r"[A-Z]{2,6}(?: *, *[A-Z]{2,6})+ *,?")
_REF_RE = re.compile(r"REF(?:S|TEL|TELS)?\b[ \t]*(:?)[ \t]*")
_PARAGRAPH_LINE_RE = re.compile(r"\n[ \t\-\[]*+(?:(?:¶|\$\\P)[ \t]*+)?1{1,2}+[ \t]?\.[\] \t(]")
#: A line (upper-cased) that opens another field, a paragraph, or is one of the lines that end a field.
_FIELD_START_RE = re.compile(
    r"REF|SUBJ|TAGS|CLASSIFIED|E\.O\.|EO |\([UCS]\)"
    r"|[ \t\-\[]*(?:¶[ \t]*)?1{1,2}[ \t]?\.[\] \t(]|" + _FIELD_END
)
_MARKDOWN_LINK_RE = re.compile(r"\[([^\]]*)\]\(#\)")
_MARKDOWN_PARA_RE = re.compile(r"\$\\P(\d*)\$")
#: One reference in a REF text: a compact id (`08STATE117889`), or an optional year, 1-3 origin words
#: and a serial (`08 BRASILIA 001652`, `STATE 117889`, `09 SAN SALVADOR 1101`). (The lookahead and the
#: possessive words only spare the search positions and backtracking that cannot match.)
_REFERENCE_RE = re.compile(
    r"(?<![A-Z0-9])(?=[A-Z0-9])(?:(\d\d)([A-Z]{3,}+)(\d{1,6})"
    r"|(?:(\d{4}|\d{2}) +)?(?!AND )([A-Z]{2,}+(?: [A-Z]{2,}+){0,2}) +(\d{1,6}))(?!\d)"
)
#: Where a field glued to the subject begins (exports that lost their line breaks).
_GLUED_FIELD_RE = re.compile(
    r"REF(?:S|TEL|TELS|\(S\))?\s*:|\sREF\s+[A-Z][.)]|CLASSIFIED BY\b|\sE\.O\.\s*1\d{4}\s*:"
    r"|\sSENSITIVE BUT UNCLASSIFIED"
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
#: How much text a SUBJECT or REF field may span.
MAX_FIELD_CHARS = 1_500
#: How much of a REF field is read for references.
MAX_REFERENCE_CHARS = 600
_STATION_ALIASES = {"SECSTATE": "STATE", "DEPT": "STATE"}
_MONTHS = frozenset(
    {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
    | {"JANUARY", "FEBRUARY", "MARCH", "APRIL", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "SEPT"}
    | {"OCTOBER", "NOVEMBER", "DECEMBER"}
)
_NOT_ORIGINS = _NOT_ORIGINS | _MONTHS


class BodyParts(msgspec.Struct):
    """What the top of the body holds."""

    banner: Banner | None = None
    sipdis: bool = False
    declassify: date | None = None
    tags: tuple[str, ...] = ()
    subject: str | None = None
    references: list[str] = msgspec.field(default_factory=list)
    notes: list[Diagnostic] = msgspec.field(default_factory=list)


def clean_markdown(line: str) -> str:
    """Read through markdown residue: `[PHUM](#)` -> `PHUM`, `[¶1.](#)` -> `¶1.`, `$\\P2$` -> `¶2`."""
    if "](#)" in line:
        line = _MARKDOWN_LINK_RE.sub(r"\1", line)
    if "$\\P" in line:
        line = _MARKDOWN_PARA_RE.sub(r"¶\1", line)
    return line


def parse_banner(line: str, number: int) -> Banner | None:
    """The banner in a line (`C O N F I D E N T I A L SECTION 01 OF 02 TOKYO 003310`), if there is one."""
    match = BANNER_RE.search(line.upper())
    return _banner_from_match(match, number) if match is not None else None


def _banner_from_match(match: re.Match[str], number: int) -> Banner | None:
    """A Banner from a BANNER_RE match on line `number`."""
    classification, section, sections, origin, mrn = match.groups()
    if "  " in origin:
        origin = " ".join(origin.split())
    origin = origin.strip(" .-")
    if not origin:
        return None
    return Banner(
        classification=_CLASS_BY_LETTER[classification[0]],
        origin=origin,
        mrn=mrn,
        section=int(section) if section else None,
        sections=int(sections) if sections else None,
        line=number,
    )


def parse_declassify(text: str) -> date | None:
    """The E.O. declassification date in `DECL: mm/dd/yyyy` (2-digit years allowed), if valid."""
    match = _DECL_RE.search(text)
    if match is None:
        return None
    month, day, year = map(int, match.groups())
    try:
        return date(expand_year(year), month, day)
    except ValueError:
        return None


def parse_tags(text: str) -> tuple[str, ...]:
    """TAGS tokens (`PHUM, PREL` or `PHUM PREL`), markdown already removed; stops at a glued SUBJECT."""
    cut = text.find("SUBJ")
    if cut >= 0:
        text = text[:cut]
    tokens = _TAG_TOKEN_RE.findall(text)
    if "SIPDIS" in tokens:
        return tuple(token for token in tokens if token != "SIPDIS")
    return tuple(tokens)


def parse_references(text: str, year: int | None) -> list[str]:
    """Reference ids in a REF text: `STATE 117889` -> `08STATE117889` (cable year when none is given)."""
    found: list[str] = []
    cable_yy = f"{year % 100:02d}" if year is not None else None
    for match in _REFERENCE_RE.finditer(text, 0, MAX_REFERENCE_CHARS):
        compact_year, compact_origin, compact_serial, ref_year, origin, serial = match.groups()
        if compact_year is not None:
            reference = f"{compact_year}{compact_origin}{int(compact_serial)}"
        else:
            start = match.start()
            if start and not _follows_delimiter(text, start):
                continue
            if " " in origin:
                if not _NOT_ORIGINS.isdisjoint(origin.split(" ")):
                    continue
                station = origin.replace(" ", "")
            elif origin in _NOT_ORIGINS:
                continue
            else:
                station = origin
            if ref_year is not None:  # two or four digits: the last two are the year's
                yy = ref_year[-2:] if ref_year.isascii() else f"{int(ref_year) % 100:02d}"
            elif cable_yy is not None:
                yy = cable_yy
            else:
                continue
            reference = f"{yy}{_STATION_ALIASES.get(station, station)}{int(serial)}"
        if reference not in found:
            found.append(reference)
    return found


def _follows_delimiter(text: str, start: int) -> bool:
    """True when a reference starts the text or follows punctuation, a label (`A.`, `(B)`) or `AND`."""
    before = text[max(0, start - 8) : start].rstrip()
    if not before or before[-1] in ",;:(":
        return True
    if before[-1] in ".)" and len(before) >= 2 and before[-2].isalpha():
        return len(before) == 2 or not before[-3].isalpha()
    return before.endswith(" AND") or before == "AND"


def scan_body(text: str, offset: int, first_line: int, year: int | None) -> BodyParts:
    """Read the top of the body, which starts at character `offset` of `text` on 1-based line `first_line`.

    The text scanned starts with the newline before the body (or an added one), so that line-start
    patterns can begin with a newline.

    `year` is the cable's (for references written without one). Fields are recognised case-insensitively
    (some exports are in lower case); the subject keeps its case.
    """
    top, original, subject_start = _body_top(text, offset)
    tags = _tags_match(top) if "TAG" in top else None
    if subject_start is None:
        glued = _GLUED_SUBJECT_RE.search(top)
        subject_start = glued.end() if glued is not None else None
    return BodyParts(
        banner=_find_banner(top, first_line - 1),
        sipdis="SIPDIS" in top,
        declassify=parse_declassify(top) if "DECL" in top else None,
        tags=parse_tags(_tags_text(top, tags)) if tags is not None else (),
        subject=_clean_subject(_continued(original, subject_start)) if subject_start is not None else None,
        references=_references(top, year),
    )


def read_banner(text: str, offset: int, first_line: int) -> Banner | None:
    """The body's banner alone: what `scan_body(text, offset, first_line, ...)` gives as `banner`.

    The usual banner is the body's first non-blank line: that line alone is upper-cased and matched.
    Only when it is not a banner, or might hold markdown residue, is the whole top of the body read as
    `scan_body` reads it (the banner may then be cut over two lines, or stand further down).
    """
    start = offset - 1 if offset else 0
    stop = offset + MAX_BODY_CHARS if offset else MAX_BODY_CHARS
    first = _BLANKS_RE.match(text, start, stop).end()  # type: ignore[union-attr]  # (always matches)
    line_end = text.find("\n", first, stop)
    line = text[first : line_end if line_end >= 0 else stop]
    if "[" not in line and "$" not in line:  # (markdown residue is removed before the banner is read)
        match = BANNER_RE.match(line.upper())
        if match is not None:
            # (as in `_find_banner`: `scan_body` reads from the newline before the body, or an added one)
            newlines_before = text.count("\n", start, first) + (0 if offset else 1)
            return _banner_from_match(match, first_line - 1 + newlines_before)
    return _find_banner(_body_top(text, offset)[0], first_line - 1)


def _body_top(text: str, offset: int) -> tuple[str, str, int | None]:
    """The top of the body that starts at character `offset`, upper-cased and as written (markdown
    removed), and where the text of its SUBJECT line starts in it (None without one).

    It runs from the newline before the body to the first numbered paragraph after the SUBJECT line, and
    at most `MAX_BODY_CHARS`; the searches run over `text` itself, which is not copied.
    """
    if offset:
        start, stop = offset - 1, offset + MAX_BODY_CHARS
    else:
        text = "\n" + text[:MAX_BODY_CHARS]
        start, stop = 0, len(text)
    subject = _SUBJECT_RE.search(text, start, stop)
    paragraph = _PARAGRAPH_LINE_RE.search(text, subject.end() if subject else start, stop)
    original = text[start : paragraph.start() if paragraph else stop]
    subject_start = subject.end() - start if subject else None
    if ("#" in original and "](#)" in original) or ("$" in original and "$\\P" in original):
        original = clean_markdown(original)
        subject = _SUBJECT_RE.search(original)
        subject_start = subject.end() if subject else None
    top = original.upper()
    if len(top) != len(original):  # a few characters grow when upper-cased; keep offsets aligned
        original = top
        subject = _SUBJECT_RE.search(top)
        subject_start = subject.end() if subject else None
    return top, original, subject_start


def _references(top: str, year: int | None) -> list[str]:
    """The reference ids of the REF field in the (upper-cased) top of the body, if it has one."""
    reference = _reference_match(top) if "REF" in top else None
    if reference is None:
        return []
    field = _continued(top, reference.end(), labelled=True, upper=True)
    while field.startswith("REF"):  # `REF: REF: A) ...`
        repeated = _REF_RE.match(field)
        if repeated is None or not repeated.end():
            break
        field = field[repeated.end() :]
    glued = _glued_field(field)
    return parse_references(field[: glued.start()] if glued else field, year)


def _tags_text(top: str, match: re.Match[str]) -> str:
    """The TAGS text, continued on following lines when it ends with a comma or they are tag lists."""
    text = match.group(1)
    position = match.end()
    while position < len(top):
        following_end = top.find("\n", position + 1)
        following = top[position + 1 : following_end if following_end >= 0 else len(top)].strip()
        if not following or following.startswith("SUBJ") or _FIELD_START_RE.match(following):
            break
        if not (text.rstrip().endswith(",") or _TAG_LIST_LINE_RE.fullmatch(following)):
            break
        text = f"{text} {following}"
        if following_end < 0:
            break
        position = following_end
    return text


def _clean_subject(field: str) -> str | None:
    """The subject without glued fields, an opening classification marking, or HTML entities."""
    glued = _glued_field(field.upper())
    if glued is not None:
        field = field[: glued.start()].rstrip()
    marking = _SUBJECT_MARKING_RE.match(field)
    if marking is not None:
        field = field[marking.end() :]
    if "&" in field:
        field = html.unescape(field)
    return field or None


def _glued_field(text: str) -> re.Match[str] | None:
    """Where a field glued onto another one begins in (upper-cased) `text`, if anywhere."""
    if "REF" in text or "CLASSIFIED" in text or "E.O." in text or "SENSITIVE" in text:
        return _GLUED_FIELD_RE.search(text)
    return None


def _tags_match(top: str) -> re.Match[str] | None:
    """The first TAGS field that starts a word (at a line start, or glued after other fields in a
    flattened export)."""
    for match in _TAGS_RE.finditer(top):
        start = match.start()
        if start == 0 or not top[start - 1].isalpha():
            return match
    return None


def _reference_match(top: str) -> re.Match[str] | None:
    """The first REF field that opens a line, or follows a space with a colon (`... SUBJECT TEXT REF:
    STATE 1234`)."""
    for match in _REF_RE.finditer(top):
        start = match.start()
        line_start = top.rfind("\n", 0, start) + 1
        if not top[line_start:start].strip() or (match.group(1) and top[start - 1].isspace()):
            return match
    return None


def _find_banner(top: str, first_line: int) -> Banner | None:
    """The first banner in the top of the body, also when it was cut after its classification."""
    start = len(top) - len(top.lstrip(" \t\r\n"))
    line_end = top.find("\n", start)
    match = BANNER_RE.match(top, start, line_end if line_end >= 0 else len(top))
    if match is not None:  # the usual case: the banner is the body's first line
        return _banner_from_match(match, first_line + top.count("\n", 0, start))
    full = _LINE_BANNER_RE.search(top) or BANNER_RE.search(top)
    limit = full.start() if full else min(len(top), _CUT_BANNER_REACH)
    cut = CUT_BANNER_RE.search(top, 0, limit)
    while cut is not None:
        after = top.find("\n", cut.end())
        following = top[after + 1 :].lstrip().split("\n", 1)[0].strip() if after >= 0 else ""
        if _ORIGIN_SERIAL_RE.fullmatch(following):
            line = first_line + top.count("\n", 0, cut.start() + 1)
            return parse_banner(f"{top[cut.start() : cut.end()].strip()} {following}", line)
        cut = CUT_BANNER_RE.search(top, cut.end(), limit)
    if full is None:
        return None
    return _banner_from_match(full, first_line + top.count("\n", 0, full.start("cls")))


def _continued(text: str, start: int, labelled: bool = False, upper: bool = False) -> str:
    """A field's text from `start`, continued over following lines until a blank line or the next field.

    Blank lines right after an empty field line are skipped, and with `labelled` also blank lines before
    a line opening with a label (`B.`, `¶B.`, `C)`); a line ending with a hyphen is joined to the next
    without a space; export line-continuation backslashes are dropped. `upper`: the text is upper-cased.
    """
    field_start = _FIELD_START_RE.match if upper else _starts_field
    if not labelled:
        single = _single_line_field(text, start)
        if single is not None:
            return single
    joined = ""
    blank = False
    for number, line in enumerate(text[start : start + MAX_FIELD_CHARS].split("\n")):
        line = line.strip()
        if line.endswith("\\"):
            line = line.rstrip("\\").rstrip()
        if not line:
            blank = bool(joined)
            continue
        if number and ((blank and not (labelled and _LABEL_RE.match(line))) or field_start(line)):
            break
        blank = False
        joined = f"{joined}{line}" if joined.endswith("-") or not joined else f"{joined} {line}"
    return joined


def _single_line_field(text: str, start: int) -> str | None:
    """The usual field of one line, followed by a blank line: its text (what `_continued` would give
    without `labelled`), else None."""
    end = text.find("\n", start, start + MAX_FIELD_CHARS)
    after = text.find("\n", end + 1, start + MAX_FIELD_CHARS) if end >= 0 else -1
    if after < 0 or text[end + 1 : after].strip():
        return None
    line = text[start:end].strip()
    return line if line and not line.endswith("\\") else None


def _starts_field(line: str) -> bool:
    """True for a line that opens another body field or a paragraph."""
    return _FIELD_START_RE.match(line.upper()) is not None
