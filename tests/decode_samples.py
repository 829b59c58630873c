"""Small hand-written cable texts for the decoder tests (invented, in the form of real headers)."""

from __future__ import annotations

HEADER = [
    "VZCZCXRO4471",
    "PP RUEHAB RUEHCD",
    "DE RUEHOS #0457/01 1651320",
    "ZNY CCCCC ZZH",
    "P 131320Z JUN 07",
    "FM AMEMBASSY OSLO",
    "TO RUEHC/SECSTATE WASHDC PRIORITY 4711",
    "INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE",
    "RUEHSM/AMEMBASSY STOCKHOLM PRIORITY 0815",
]

BODY = [
    "",
    "C O N F I D E N T I A L SECTION 01 OF 02 OSLO 000457",
    "",
    "SIPDIS",
    "",
    "E.O. 12958: DECL: 06/12/2017",
    "TAGS: PREL ENRG NO",
    "SUBJECT: NORWAY WEIGHS A NEW PIPELINE",
    "",
    "REF: A. STATE 81234 B. 06 OSLO 1200",
    "",
    "Classified By: Ambassador for reasons 1.4 (b) and (d)",
    "",
    "1. (C) Officials said the decision would come in the autumn.",
    "2. (C) Nothing else happened.",
]


def cable(header: list[str] | None = None, body: list[str] | None = None) -> str:
    """A cable text: header lines, then body lines (the default body when None)."""
    return "\n".join((HEADER if header is None else header) + (BODY if body is None else body)) + "\n"


def with_line(index: int, line: str, header: list[str] | None = None) -> str:
    """The default cable with header line `index` replaced."""
    lines = list(HEADER if header is None else header)
    lines[index] = line
    return cable(lines)


def with_addressees(*lines: str, fl5: str = "P 131320Z JUN 07") -> str:
    """The default header with other FL5 and addressee lines."""
    return cable([*HEADER[:4], fl5, HEADER[5], *lines])
