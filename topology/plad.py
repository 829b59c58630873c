"""Normalising plain-language addresses (PLADs) so that spellings of one address compare equal."""

from __future__ import annotations

import re

_OFFICE = re.compile(r"//.*$")
_SPACES = re.compile(r"\s+")


def normalize_plad(name: str) -> str:
    """A comparison key for a PLAD: upper case, office symbols dropped, spacing folded."""
    key = _OFFICE.sub("", name.upper())
    return _SPACES.sub(" ", key).strip()
