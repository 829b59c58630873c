"""Addressee lines (FL7 `TO`, FL8 `INFO`, FL9 `XMT`) and the effective precedence of each addressee.

Line form: `[TO|INFO|XMT] [RI/|ZEN/]PLAD[//OFFICE//] [PRECEDENCE] [MCN|MCN-MCN]`, where PRECEDENCE is
`FLASH`, `NIACT IMMEDIATE`, `IMMEDIATE`, `PRIORITY` or `ROUTINE`.
"""

from __future__ import annotations

import re

from router.model import Addressee
from router.precedence import Precedence
from topology.ri import RI_TEXT

#: The section keywords that open FL7, FL8 and FL9.
SECTION_KEYWORDS: dict[str, str] = {"TO": "to", "INFO": "info", "XMT": "xmt"}

_KEYWORD_STARTS = {"TO": "TO", "IN": "INFO", "XM": "XMT"}
_RI_RE = re.compile(r"(ZEN|" + RI_TEXT + r")\s?/\s?")
#: The common addressee form: [ZEN/][RI/]PLAD [NIACT] [LEVEL] [MCN], single spaces, no office symbol.
_PLAIN_ADDRESSEE_RE = re.compile(
    r"(?:(ZEN)/)?(?:("
    + RI_TEXT
    + r")/)?(\S+(?: \S+)*?)(?: (NIACT) )?(?: ?(IMMEDIATE|PRIORITY|FLASH|ROUTINE))?"
    r"(?: (\d{4}(?:-\d{4})?))? *"
)
_PAGE_DEBRIS_RE = re.compile(r"(?:(TO|INFO|XMT)\s+)?PAGE\s+\d+\s")

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
    word = _KEYWORD_STARTS.get(line[:2])
    if word is None or not line.startswith(word):
        return None, line
    size = len(word)
    if len(line) == size:
        return SECTION_KEYWORDS[word], ""
    if line[size] in " \t" or (line[size] == "/" and word == "XMT"):
        return SECTION_KEYWORDS[word], line[size + 1 :].lstrip()
    return None, line


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
    `default_precedence`). The common form is read with one regular expression; anything else (office
    symbols, typos, odd spacing) by `_parse_words`.
    """
    match = _PLAIN_ADDRESSEE_RE.fullmatch(text)
    if match is None:
        return _parse_words(text, number, default)
    zen, ri, name, niact, word, mcn = match.groups()
    if "//" in name:
        return _parse_words(text, number, default)
    if word is None:
        last = name[name.rfind(" ") + 1 :]
        if len(last) >= 5 and last[0] in "FIPR" and precedence_word(last) is not None:
            return _parse_words(text, number, default)
        stated = None
    else:
        stated = _EXACT_WORDS[word]
        if niact:
            word = f"NIACT {word}"
    addressee = Addressee(
        ri=ri,
        name=name,
        precedence=stated if stated is not None else default,
        precedence_stated=stated,
        precedence_word=word,
        niact=bool(niact),
        mcn=mcn,
        zen=zen is not None,
        line=number,
    )
    return addressee, None


def _parse_words(text: str, number: int, default: Precedence | None) -> tuple[Addressee, str | None]:
    """An addressee read word by word, from both ends: `RI/` or `ZEN/` at the front; MCN, precedence
    word and `NIACT` at the back; an office symbol `//...//` in what is left."""
    words = text.split()
    ri, zen = _take_routing(words)
    mcn = words.pop() if len(words) > 1 and _is_mcn(words[-1]) else None
    stated = precedence_word(words[-1]) if len(words) > 1 else None
    word = None
    niact = False
    if stated is not None:
        word = words.pop()
        if len(words) > 1 and words[-1] == "NIACT":
            words.pop()
            niact = True
            word = f"NIACT {word}"
    name = " ".join(words)
    office = None
    cut = name.find("//")
    if cut >= 0:
        office = name[cut:].strip("/ ") or None
        name = name[:cut].rstrip()
    typo = word if word is not None and stated is not _EXACT_WORDS.get(word.rpartition(" ")[2]) else None
    addressee = Addressee(
        ri=ri,
        name=name,
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


def _take_routing(words: list[str]) -> tuple[str | None, bool]:
    """Remove a leading `RI/` and/or `ZEN/` from the words of an addressee: the RI and the ZEN flag."""
    ri = None
    zen = False
    while words:
        head, slash, tail = words[0].partition("/")
        if not slash:
            break
        if head == "ZEN" and not zen:
            zen = True
        elif ri is None and _is_ri(head):
            ri = head
        else:
            break
        if tail:
            words[0] = tail
        else:
            del words[0]
    return ri, zen


def _is_ri(word: str) -> bool:
    """True for a routing indicator (`RUEHC`, `RHMFISS`): R then 3-7 capital letters or digits."""
    return 4 <= len(word) <= 8 and word[0] == "R" and word.isalnum() and word.isupper()


def _is_mcn(word: str) -> bool:
    """True for an MCN (`9199`) or an MCN range (`2276-2279`)."""
    if len(word) == 4:
        return word.isdigit()
    return len(word) == 9 and word[4] == "-" and word[:4].isdigit() and word[5:].isdigit()


def default_precedence(section: str, action: Precedence | None, info: Precedence | None) -> Precedence | None:
    """The level an addressee without its own word gets (the primer's rule).

    For an INFO addressee, the FL5 info letter when FL5 has two; otherwise the FL5 action level.
    """
    return info if section == "info" and info is not None else action
