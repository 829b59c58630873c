"""Routing indicators: the one pattern the decoder, the topology, fault options and MQTT topics check.

A routing indicator is `R` (the worldwide relay plan) followed by 3 to 7 capital ASCII letters or
digits: `RUEHC`, `RUEHKO`, `RHEHNSC`. Nothing else (lower case, `+`, `#`, `/`, spaces, a trailing
newline) is one, so a valid RI is always safe in an MQTT topic.
"""

from __future__ import annotations

import re

#: The pattern as text, for building larger patterns (header lines, addressee lines).
RI_TEXT = r"R[A-Z0-9]{3,7}"

#: The pattern compiled; check a whole string with `fullmatch` (or `looks_like_ri`), never `match`.
RI_PATTERN = re.compile(RI_TEXT)


def looks_like_ri(text: object) -> bool:
    """True when `text` is a string of the shape of a routing indicator (`R` + 3 to 7 letters or digits)."""
    return isinstance(text, str) and RI_PATTERN.fullmatch(text) is not None
