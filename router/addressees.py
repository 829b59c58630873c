"""Addressee lines (FL7 `TO`, FL8 `INFO`, FL9 `XMT`) and the effective precedence of each addressee.

Line form: `[TO|INFO|XMT] [RI/|ZEN/]PLAD[//OFFICE//] [PRECEDENCE] [MCN|MCN-MCN]`, where PRECEDENCE is
`FLASH`, `NIACT IMMEDIATE`, `IMMEDIATE`, `PRIORITY` or `ROUTINE`.
"""

from __future__ import annotations

import re

from router.model import Addressee
from router.precedence import Precedence

#: The section keywords that open FL7, FL8 and FL9.
SECTION_KEYWORDS: dict[str, str] = {"TO": "to", "INFO": "info", "XMT": "xmt"}

_KEYWORD_RE = re.compile(r"(TO|INFO|XMT)(?:\s+|/|$)")
_RI_RE = re.compile(r"(ZEN|R[A-Z0-9]{3,7})\s?/\s?")
_MCN_RE = re.compile(r"\s(\d{4}(?:\s?-\s?\d{4})?)\s*$")
_PAGE_DEBRIS_RE = re.compile(r"(?:(TO|INFO|XMT)\s+)?PAGE\s+\d+\s")
_OFFICE_RE = re.compile(r"//+(.*?)(?://+|$)")

_EXACT_WORDS: dict[str, Precedence] = {
    "FLASH": Precedence.FLASH,
    "IMMEDIATE": Precedence.IMMEDIATE,
    "PRIORITY": Precedence.PRIORITY,
    "ROUTINE": Precedence.ROUTINE,
}
_FUZZY_CACHE: dict[str, Precedence | None] = {}


def precedence_word(word: str) -> Precedence | None:
    """The level a precedence word stands for, tolerating typos (`PRIOITY`, `PIORITY`, `IMMEDAITE`).

    A word counts as a typo of a level's name when it starts with the same letter and is at most two
    edits away from it; PLAD words such as `PRINCE` or `PRETORIA` are further than that.
    """
    level = _EXACT_WORDS.get(word)
    if level is not None or len(word) < 5 or word[0] not in "FIPR":
        return level
    if word in _FUZZY_CACHE:
        return _FUZZY_CACHE[word]
    found = None
    for name, candidate in _EXACT_WORDS.items():
        if name[0] == word[0] and abs(len(name) - len(word)) <= 2 and _edit_distance(word, name) <= 2:
            found = candidate
            break
    if len(_FUZZY_CACHE) < 10_000:
        _FUZZY_CACHE[word] = found
    return found


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, with adjacent transpositions counting as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def split_keyword(line: str) -> tuple[str | None, str]:
    """The section keyword opening a line (`to`, `info`, `xmt`) and the rest of the line."""
    if line[:1] not in "TIX":
        return None, line
    match = _KEYWORD_RE.match(line)
    if match is None:
        return None, line
    return SECTION_KEYWORDS[match.group(1)], line[match.end() :]


def is_page_debris(line: str) -> bool:
    """True for a page-break line left inside an addressee list (`TO PAGE 02 STATE 015113 182333Z`)."""
    return "PAGE" in line[:12] and _PAGE_DEBRIS_RE.match(line) is not None


def looks_like_addressee(line: str) -> bool:
    """True when a line is clearly an addressee line (section keyword or an `RI/` prefix)."""
    keyword, rest = split_keyword(line)
    return keyword is not None or _RI_RE.match(rest) is not None


def parse_addressee(text: str, number: int, default: Precedence | None) -> tuple[Addressee, str | None]:
    """One addressee (without its section keyword) and, when its precedence word was a typo, that word.

    The effective precedence is the stated word when there is one, else `default` (see
    `default_precedence`).
    """
    text = text.strip()
    ri = None
    zen = False
    match = _RI_RE.match(text)
    while match is not None:
        if match.group(1) == "ZEN":
            zen = True
        else:
            ri = match.group(1)
        text = text[match.end() :]
        match = _RI_RE.match(text) if ri is None else None
    mcn = None
    mcn_match = _MCN_RE.search(text)
    if mcn_match is not None:
        mcn = mcn_match.group(1).replace(" ", "")
        text = text[: mcn_match.start()]
    stated, word, niact, text = _take_precedence(text)
    office = None
    office_match = _OFFICE_RE.search(text)
    if office_match is not None:
        office = office_match.group(1).strip() or None
        text = text[: office_match.start()]
    typo = word if word is not None and word.split()[-1] not in _EXACT_WORDS else None
    addressee = Addressee(
        ri=ri,
        name=" ".join(text.split()),
        office=office,
        precedence=stated if stated is not None else default,
        precedence_stated=stated,
        precedence_word=word,
        niact=niact,
        mcn=mcn,
        zen=zen,
        line=number,
    )
    return addressee, typo


def _take_precedence(text: str) -> tuple[Precedence | None, str | None, bool, str]:
    """Split a trailing precedence word (and NIACT) off an addressee: level, word, niact, the rest."""
    head, _, last = text.rstrip().rpartition(" ")
    if not head:
        return None, None, False, text
    level = precedence_word(last)
    if level is None:
        return None, None, False, text
    before, _, previous = head.rstrip().rpartition(" ")
    if previous == "NIACT":
        return level, f"NIACT {last}", True, before
    return level, last, False, head


def default_precedence(section: str, action: Precedence | None, info: Precedence | None) -> Precedence | None:
    """The level an addressee without its own word gets (the primer's rule).

    For an INFO addressee, the FL5 info letter when FL5 has two; otherwise the FL5 action level.
    """
    return info if section == "info" and info is not None else action
