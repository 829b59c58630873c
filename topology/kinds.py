"""What a name says about an address: the kind of post, and whether it stands for a collective.

Both are read from the normalised PLAD (see `topology.plad`), so spelling variants agree.
"""

from __future__ import annotations

import re

from topology.model import PostKind
from topology.plad import normalize_plad

#: A PLAD stands for a collective when it matches this (see docs/topology.md, "Collectives"):
#: the word COLLECTIVE, the UN Security Council, `ALL ... POST(S)`, `... DIPL(OMATIC) POSTS`,
#: `... MEMBER STATES`, or a regional `... DEVELOPMENT COMMUNITY`.
_COLLECTIVE = re.compile(
    r"\bCOLLECTIVE\b"
    r"|\bUN SECURITY COUNCIL\b"
    r"|^ALL\b.*\bPOSTS?\b"
    r"|\bDIPL(?:OMATIC)? POSTS\b"
    r"|\bMEMBER ?STATES\b"
    r"|\bDEVELOPMENT COMMUNITY\b"
)

_MISSION = re.compile(r"^(?:USMISSION|USEU|USUN|USNATO|USOSCE|USDEL\w*|USINT|USLO|AIT)\b")
_DEPARTMENT = re.compile(r"^(?:SECSTATE|DEPT OF|DEPT\b)")
_MILITARY = re.compile(
    r"\b(?:CDR\w*|HQ|USCINC\w*|CINC\w*|COMUS\w*|COM[A-Z]*FOR\w*|COMNAV\w*|US[A-Z]*COM|SECDEF|SECNAV|"
    r"SECARMY|OSD|CJCS|JOINT STAFF|USDAO|USMILGP|ODC|DIA|DIRNSA|AFB|AB|NAV[A-Z]+|NCTAMS|SACCS|"
    r"CJTF\w*|USAREUR|USAFE|JICCENT|JIOC|PACOM)\b"
)


def is_collective_name(name: str) -> bool:
    """True when a PLAD names a group of posts (`UN SECURITY COUNCIL COLLECTIVE`, `ALL NATO POSTS`)."""
    return _COLLECTIVE.search(normalize_plad(name)) is not None


def kind_of(name: str) -> PostKind:
    """The kind of post a PLAD names: embassy, consulate, mission, department, military or other."""
    key = normalize_plad(name)
    if key.startswith("AMEMBASSY"):
        return "embassy"
    if key.startswith("AMCONSUL"):
        return "consulate"
    if _MISSION.search(key):
        return "mission"
    if _DEPARTMENT.search(key):
        return "department"
    if _MILITARY.search(key):
        return "military"
    return "other"
