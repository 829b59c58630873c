"""Normalising plain-language addresses (PLADs) so that spellings of one address compare equal.

`normalize_plad` returns a comparison key, not a display form. The steps, in order:

1. upper case; office symbols (`//J-3/J-5//`, a trailing `//USDAO`) dropped;
2. punctuation folded: `U.S.` -> `US`, hyphens and stray marks -> spaces, spacing collapsed;
3. Washington spellings (`WASHINGTON DC`, `WASH DC`, `WASHINGTON D C`, ...) -> `WASHDC`,
   `DEPARTMENT OF` -> `DEPT OF`;
4. the office forms: `AMERICAN EMBASSY`, `US EMBASSY`, `EMBASSY`, known typos such as `AMEMBASS` ->
   `AMEMBASSY`; `AMERICAN CONSULATE (GENERAL)`, `CONGEN`, `AMCONSU` -> `AMCONSUL`; `US MISSION`,
   `USMISSIN` -> `USMISSION`;
5. the Department: `SECSTATE WASHDC`, `DEPT OF STATE WASHDC`, `SECSTATE` alone -> `SECSTATE WASHDC`;
6. for embassies, consulates and missions, a trailing two-letter region code (`NY`, `BE`) and a
   trailing `CITY` (`MEXICO CITY` = `MEXICO`) are dropped, and known misspellings of post names
   (`QUINTO`, `CARACS`, old names such as `CALCUTTA`) are replaced.
"""

from __future__ import annotations

import re
from functools import lru_cache

_OFFICE = re.compile(r"//.*$")
_PUNCTUATION = re.compile(r"[^A-Z0-9& ]+")
_SPACES = re.compile(r"\s+")
_WASHINGTON = re.compile(r"\b(?:WASHINGTON|WASHINTON|WASHIGNTON|WASH)\s*D\s*C\b")
_DEPARTMENT = re.compile(r"\bDEPARTMENT OF\b")

#: Words (or phrases) that open a PLAD, and the office form they stand for.
_OFFICE_FORMS: tuple[tuple[str, str], ...] = (
    ("AMERICAN EMBASSY ", "AMEMBASSY "),
    ("US EMBASSY ", "AMEMBASSY "),
    ("USEMBASSY ", "AMEMBASSY "),
    ("EMBASSY ", "AMEMBASSY "),
    ("AMEMB ", "AMEMBASSY "),
    ("AMERICAN CONSULATE GENERAL ", "AMCONSUL "),
    ("AMERICAN CONSULATE ", "AMCONSUL "),
    ("US CONSULATE GENERAL ", "AMCONSUL "),
    ("US CONSULATE ", "AMCONSUL "),
    ("CONSULATE GENERAL ", "AMCONSUL "),
    ("CONSULATE ", "AMCONSUL "),
    ("AMCONGEN ", "AMCONSUL "),
    ("CONGEN ", "AMCONSUL "),
    ("USCONSUL ", "AMCONSUL "),
    ("US MISSION ", "USMISSION "),
    ("USMISSION TO ", "USMISSION "),
)

#: Misspellings of the office word seen in real headers.
_OFFICE_TYPOS: dict[str, str] = {
    "AMEMBASS": "AMEMBASSY",
    "AMEMBASY": "AMEMBASSY",
    "AMEMBSSY": "AMEMBASSY",
    "AMEMBASSSY": "AMEMBASSY",
    "AMEMABSSY": "AMEMBASSY",
    "AMEBASSY": "AMEMBASSY",
    "AMEMBAASY": "AMEMBASSY",
    "AMEMBASYY": "AMEMBASSY",
    "AMEMBSASY": "AMEMBASSY",
    "AMMBASSY": "AMEMBASSY",
    "AMEMBASSYY": "AMEMBASSY",
    "AMCONSU": "AMCONSUL",
    "AMCONSL": "AMCONSUL",
    "AMCONUL": "AMCONSUL",
    "AMCONSULATE": "AMCONSUL",
    "AMCONSULL": "AMCONSUL",
    "AMCOSNUL": "AMCONSUL",
    "AMCOMSUL": "AMCONSUL",
    "USMISSIN": "USMISSION",
    "USMISSON": "USMISSION",
    "USMISION": "USMISSION",
    "USMISSIOM": "USMISSION",
}

#: Names of the Department of State that all mean `SECSTATE WASHDC` (RUEHC).
_DEPARTMENT_OF_STATE: frozenset[str] = frozenset(
    {
        "SECSTATE",
        "SECSTATE WASH",
        "SECSTATE WASHDC",
        "SECSTATE DC",
        "SECSTAT WASHDC",
        "SECSTATE WASHD",
        "DEPT OF STATE",
        "DEPT OF STATE WASHDC",
        "DEPT STATE WASHDC",
        "STATE DEPT WASHDC",
        "STATE WASHDC",
        "US DEPT OF STATE WASHDC",
    }
)

#: Misspelt or older names of post cities (seen in headers and in routing-indicator books).
_PLACE_TYPOS: dict[str, str] = {
    "QUINTO": "QUITO",
    "CARACS": "CARACAS",
    "PARAMIARBO": "PARAMARIBO",
    "VAOUNDE": "YAOUNDE",
    "VIENTIENE": "VIENTIANE",
    "PRINSTINA": "PRISTINA",
    "PRISHTINA": "PRISTINA",
    "MAZAR E SHAIRF": "MAZAR E SHARIF",
    "KIEV": "KYIV",
    "CALCUTTA": "KOLKATA",
    "BOMBAY": "MUMBAI",
    "MADRAS": "CHENNAI",
    "HAGUE": "THE HAGUE",
}

_POST_OFFICES = ("AMEMBASSY ", "AMCONSUL ", "USMISSION ")

#: Repeated `TO` after a mission's office word.
_LEADING_TO = re.compile(r"(?:TO )+")


def normalize_plad(name: str) -> str:
    """A comparison key for a PLAD: two spellings of one address give the same key.

    See the module docstring for the rules. The key is meant for lookup, not for display.
    """
    return _normalize(name)


@lru_cache(maxsize=65536)
def _normalize(name: str) -> str:
    key = _OFFICE.sub("", name.upper())
    key = _PUNCTUATION.sub(" ", key.replace(".", "").replace("'", ""))
    key = _SPACES.sub(" ", key).strip()
    key = _WASHINGTON.sub("WASHDC", key)
    key = _DEPARTMENT.sub("DEPT OF", key)
    key = _office_form(key)
    if key in _DEPARTMENT_OF_STATE:
        return "SECSTATE WASHDC"
    if key.startswith(_POST_OFFICES):
        key = _post_place(key)
    return key


def _office_form(key: str) -> str:
    """The canonical office word at the start of a PLAD (`EMBASSY X` -> `AMEMBASSY X`)."""
    first, _, rest = key.partition(" ")
    fixed = _OFFICE_TYPOS.get(first)
    if fixed is not None:
        key = f"{fixed} {rest}" if rest else fixed
    for written, canonical in _OFFICE_FORMS:
        if key.startswith(written):
            rest = key[len(written) :]
            leading = _LEADING_TO.match(rest) if canonical == "USMISSION " else None
            if leading:  # "USMISSION TO TO X" is "USMISSION X" too
                rest = rest[leading.end() :]
            return canonical + rest
    return key


def _post_place(key: str) -> str:
    """The place part of an embassy, consulate or mission PLAD, with region codes and typos folded."""
    office, _, place = key.partition(" ")
    words = place.split()
    while len(words) >= 2 and ((len(words[-1]) == 2 and words[-1].isalpha()) or words[-1] == "CITY"):
        words.pop()
    place = " ".join(words)
    place = _PLACE_TYPOS.get(place, place)
    return f"{office} {place}" if place else office
