"""Header consistency checks on hand-built cable facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from replay.audit.consistency import (
    KINDS,
    check_cable,
    classification_level,
    consistency_findings,
    count_by_kind,
)
from replay.audit.facts import CableFacts, facts_from_cable
from router.model import Addressee, Banner, Cable, PrecedencePair, Routing, Security, Station
from router.precedence import Precedence

DTG = datetime(2008, 12, 4, 7, 34, tzinfo=UTC).timestamp()
IMMEDIATE, PRIORITY, ROUTINE = 2, 1, 0


def addressee(kind: str, rank: int | None, stated: int | None = None, name: str = "X") -> tuple:
    """An addressee tuple as the audit store keeps it."""
    return (kind, "RUEHC", name, rank, stated, False, None, False, None)


def consistent(**changes: object) -> CableFacts:
    """A consistent cable, with some facts changed."""
    base = CableFacts(
        id="08TOKYO3310",
        origin="RUEHKO",
        ssn=3310,
        year=2008,
        dtg=DTG,
        filed=DTG,
        fl2=IMMEDIATE,
        fl5_action=IMMEDIATE,
        fl4_classification="CONFIDENTIAL",
        banner_classification="CONFIDENTIAL",
        banner_origin="TOKYO",
        banner_mrn="003310",
        addressees=(addressee("to", IMMEDIATE, IMMEDIATE), addressee("info", PRIORITY, PRIORITY)),
    )
    return base._replace(**changes)


def kinds(facts: CableFacts) -> list[str]:
    """The kinds of finding of one cable."""
    return [finding.kind for finding in check_cable(facts)]


def test_a_consistent_cable_has_no_findings() -> None:
    assert kinds(consistent()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"filed": DTG + 30 * 60}, []),  # Washington files up to an hour after the DTG
        ({"filed": DTG + 61 * 60}, ["dtg_vs_filing"]),
        ({"filed": DTG - 59}, []),
        ({"filed": DTG - 5 * 60}, ["dtg_vs_filing"]),
        ({"filed": None}, []),
        ({"fl4_classification": "SECRET"}, ["fl4_vs_banner"]),
        ({"fl4_classification": "UNCLASSIFIED EFTO", "banner_classification": "UNCLASSIFIED"}, []),
        ({"fl4_classification": "UNCLASSIFIED", "banner_classification": "UNCLAS"}, []),
        ({"fl4_classification": None}, []),
        ({"fl2": ROUTINE}, ["fl2_precedence"]),
        ({"fl2": PRIORITY}, []),  # an INFO branch may travel at its own level
        ({"fl2": 3}, ["fl2_precedence"]),
        (
            {
                "fl2": PRIORITY,
                "addressees": (addressee("to", PRIORITY, PRIORITY), addressee("info", PRIORITY)),
            },
            ["fl5_precedence"],
        ),
        ({"addressees": (addressee("to", IMMEDIATE), addressee("info", 3, 3))}, ["fl5_precedence"]),
        ({"addressees": (addressee("to", PRIORITY, PRIORITY),)}, ["fl2_precedence", "fl5_precedence"]),
        ({"addressees": (addressee("to", IMMEDIATE), addressee("info", ROUTINE, ROUTINE))}, []),
        ({"banner_mrn": "003311"}, ["id_vs_mrn"]),
        ({"banner_origin": "PARIS"}, ["id_vs_mrn"]),
        ({"banner_origin": "XXXXXXXXX"}, []),  # redacted: only the serial is compared
        ({"banner_mrn": None}, []),
        ({"id": "tokyo.txt", "derived": False}, ["id_vs_mrn"]),
    ],
)
def test_each_check(changes: dict[str, object], expected: list[str]) -> None:
    assert kinds(consistent(**changes)) == expected


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("UNCLASSIFIED EFTO", "UNCLASSIFIED"),
        ("unclas", "UNCLASSIFIED"),
        ("SECRET//NOFORN", "SECRET"),
        ("TOP SECRET", "TOP SECRET"),
        ("CONFIDENTIAL", "CONFIDENTIAL"),
        ("SENSITIVE", None),
        (None, None),
    ],
)
def test_classification_levels(text: str | None, level: str | None) -> None:
    assert classification_level(text) == level


def test_counts_name_every_kind() -> None:
    findings = consistency_findings(
        [consistent(), consistent(fl2=ROUTINE), consistent(fl2=ROUTINE, filed=0.0)]
    )
    counts = count_by_kind(findings)
    assert list(counts) == list(KINDS)
    assert counts["fl2_precedence"] == 2
    assert counts["dtg_vs_filing"] == 1
    assert sum(counts.values()) == 3


def test_facts_from_a_decoded_cable() -> None:
    filed = datetime(2008, 12, 4, 7, 34, tzinfo=UTC)
    cable = Cable(
        id="08TOKYO3310",
        routing=Routing(precedence=Precedence.IMMEDIATE),
        station=Station(ri="RUEHKO", ssn=3310, filed=filed),
        security=Security(prosign="ZNY", classification="CONFIDENTIAL"),
        precedence=PrecedencePair(action=Precedence.IMMEDIATE),
        dtg=filed,
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=Precedence.IMMEDIATE, mcn="9199"),),
        banner=Banner(classification="CONFIDENTIAL", origin="TOKYO", mrn="003310"),
    )
    facts = facts_from_cable(cable)
    assert facts.time == filed.timestamp()
    assert (facts.origin, facts.ssn, facts.year, facts.fl2, facts.fl5_action) == ("RUEHKO", 3310, 2008, 2, 2)
    assert facts.addressees == (("to", "RUEHC", "SECSTATE WASHDC", 2, None, False, "9199", False, None),)
    assert kinds(facts) == []
