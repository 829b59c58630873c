"""Finding the telegram inside whatever was wrapped around it, and naming what was skipped.

Archived cables often carry text before FL1: State's internal distribution block (`ACTION AF-00`,
`INFO LOG-00 ... /000W`, `-----88EA99 090807Z /38`), e-mail wrappers (`From:`, `Sent:`), database
exports (`Cable Text:`), captions, and old `PAGE 01` print layouts. Some headers start at FL5.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import msgspec

from router.dtg import parse_dtg
from router.format_lines import FL2_RE, FL3_RE, match_fl5

#: How far down the input the start of a telegram is looked for.
MAX_WRAPPER_LINES = 400

_DISTRIBUTION_RE = re.compile(
    r"(?:ACTION|ORIGIN|INFO)\s+[A-Z0-9]+-\d\d|[A-Z0-9]+-\d\d\s|-{8,}|TED\d+$|Distribution:|.*/\d{3}\s?[WR]$|\(?[A-Z]+-\d\d"
)
_EMAIL_RE = re.compile(r"(?:From|Sent|To|Subject|Cc|Date)\s*:|.*\[\d+\]$|.*@")
_EXPORT_RE = re.compile(
    r"Cable\b|Text:|null$|.*DB/Inbox|CX[A-Za-z]+:|(?:ACTION|INFO|DISSEMINATION|CHARGE|APPROVED|DRAFTED|CLEARED):"
)
_PAGE_RE = re.compile(r"PAGE\s+\d+\s")
_CAPTION_RE = re.compile(
    r"Telegram|This record is|[CSU] [A-Z] [A-Z] "
    r"|(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b"
)
_BARE_DTG_RE = re.compile(r"\d{6}\s?[A-IK-Z]\s+[A-Za-z]{3}\s+\d{2,4}\s*$")


class TelegramStart(msgspec.Struct, frozen=True):
    """Where the telegram starts (0-based line index) and what came before it.

    `first` is the kind of line it starts with (`fl1`, `fl2`, `fl3`, `fl5`, `fm`), or None when no
    telegram was found. `wrappers` names the kinds of text skipped; `wrapper_dtg` is a bare DTG found in
    the wrapper (some exports keep the date there when FL5 is missing).
    """

    index: int
    first: str | None
    skipped: int = 0
    wrappers: tuple[str, ...] = ()
    wrapper_dtg: datetime | None = None


def _start_kind(line: str, lines: Sequence[str], index: int) -> str | None:
    """The kind of telegram line `line` is, if a telegram can start there."""
    if "VZCZC" in line:
        return "fl1"
    head = line[:1]
    if head in "ZOPR":
        if match_fl5(line) is not None:
            return "fl5"
        if FL2_RE.match(line) is not None and _next_starts_with(lines, index, "DE "):
            return "fl2"
    if head == "D" and FL3_RE.match(line) is not None:
        return "fl3"
    if head == "F" and line.startswith("FM ") and _next_is_addressee(lines, index):
        return "fm"
    return None


def _next_starts_with(lines: Sequence[str], index: int, prefix: str) -> bool:
    """True when the next non-blank line after `index` starts with `prefix`."""
    for line in lines[index + 1 : index + 4]:
        stripped = line.strip()
        if stripped:
            return stripped.startswith(prefix)
    return False


def _next_is_addressee(lines: Sequence[str], index: int) -> bool:
    """True when the line after an `FM` line opens an addressee list."""
    return _next_starts_with(lines, index, "TO ") or _next_starts_with(lines, index, "TO/")


def locate_telegram(lines: Sequence[str]) -> TelegramStart:
    """Find the first telegram line (FL1, else FL2/FL3/FL5, else FM) near the top of the input."""
    for index, raw in enumerate(lines[:MAX_WRAPPER_LINES]):
        line = raw.strip()
        if not line:
            continue
        kind = _start_kind(line, lines, index)
        if kind is not None:
            return _described(lines, index, kind)
    return TelegramStart(index=0, first=None)


def _described(lines: Sequence[str], index: int, kind: str) -> TelegramStart:
    """A TelegramStart at `index`, naming the wrapper kinds of the non-blank lines above it."""
    kinds: list[str] = []
    skipped = 0
    wrapper_dtg = None
    for raw in lines[:index]:
        line = raw.strip()
        if not line:
            continue
        skipped += 1
        kind_name = wrapper_kind(line)
        if kind_name == "date" and wrapper_dtg is None:
            wrapper_dtg, _ = parse_dtg(line)
        if kind_name not in kinds:
            kinds.append(kind_name)
    return TelegramStart(
        index=index, first=kind, skipped=skipped, wrappers=tuple(kinds), wrapper_dtg=wrapper_dtg
    )


def wrapper_kind(line: str) -> str:
    """What a non-blank line before the telegram is: distribution block, e-mail, export, page, caption..."""
    if _PAGE_RE.match(line):
        return "page layout"
    if _BARE_DTG_RE.match(line):
        return "date"
    if _EMAIL_RE.match(line):
        return "e-mail wrapper"
    if _EXPORT_RE.match(line):
        return "database export"
    if _DISTRIBUTION_RE.match(line):
        return "distribution block"
    if _CAPTION_RE.match(line):
        return "caption"
    return "other text"
