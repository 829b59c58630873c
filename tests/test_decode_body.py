"""The top of the body: banner, SIPDIS, E.O. date, TAGS, SUBJECT, REF, and markdown residue."""

from __future__ import annotations

from datetime import date

import pytest

from router.body import clean_markdown, parse_banner, parse_references
from router.decoder import decode
from router.model import Cable
from tests.decode_samples import HEADER, cable


def body_of(*lines: str) -> Cable:
    """The default header with these body lines."""
    return decode(cable(body=["", *lines]))


def test_default_body_fields() -> None:
    decoded = decode(cable())
    banner = decoded.banner
    assert banner is not None
    assert (banner.classification, banner.origin, banner.mrn) == ("CONFIDENTIAL", "OSLO", "000457")
    assert (banner.section, banner.sections, banner.line) == (1, 2, len(HEADER) + 2)
    assert decoded.sipdis
    assert decoded.declassify == date(2017, 6, 12)
    assert decoded.tags == ("PREL", "ENRG", "NO")
    assert decoded.subject == "NORWAY WEIGHS A NEW PIPELINE"
    assert decoded.references == ("07STATE81234", "06OSLO1200")


@pytest.mark.parametrize(
    ("line", "classification", "origin", "mrn", "section"),
    [
        ("C O N F I D E N T I A L TOKYO 003100", "CONFIDENTIAL", "TOKYO", "003100", None),
        ("S E C R E T SECTION 01 OF 02 STATE 083673", "SECRET", "STATE", "083673", 1),
        ("UNCLAS SECTION 02 OF 03 SAO PAULO 000335", "UNCLASSIFIED", "SAO PAULO", "000335", 2),
        ("UNCLAS E F T O LONDON 002883", "UNCLASSIFIED", "E F T O LONDON", "002883", None),
        ("UNCLAS E F T O SECTION 01 OF 08 LONDON 002622", "UNCLASSIFIED", "LONDON", "002622", 1),
        ("CONFIDENTIAL SECTION 01 of 03 KUWAIT 000128", "CONFIDENTIAL", "KUWAIT", "000128", 1),
        ("LIMITED OFFICIAL USE ROME 001234", "LIMITED OFFICIAL USE", "ROME", "001234", None),
        ("TOP SECRET STATE 000042", "TOP SECRET", "STATE", "000042", None),
        ("O N F I D E N T I A L SECTION 01 OF 04 LAGOS 000014", "CONFIDENTIAL", "LAGOS", "000014", 1),
        ("E C R E T SANAA 000473", "SECRET", "SANAA", "000473", None),
        ("C O N F I D E N T I A L 75 LIBREVILLE 1895", "CONFIDENTIAL", "LIBREVILLE", "1895", None),
    ],
)
def test_banner_forms(line: str, classification: str, origin: str, mrn: str, section: int | None) -> None:
    banner = parse_banner(line, 7)
    assert banner is not None
    assert (banner.classification, banner.origin, banner.mrn, banner.section) == (
        classification,
        origin,
        mrn,
        section,
    )


def test_banner_ignores_dtg_and_words_that_only_start_like_a_classification() -> None:
    assert parse_banner("SECRETARY RICE 2009", 1) is None
    assert parse_banner("CONFIDENTIAL", 1) is None
    assert parse_banner("SECRET R 041338Z AUG 06", 1) is None


def test_lower_case_body() -> None:
    decoded = body_of(
        "S e c r e t state 135366",
        "",
        "E.o. 12958: decl: 09/25/2017",
        "Tags: parm, mtcre, prel",
        "",
        "Subject: (s) following up on a shipment",
        "",
        "Ref: a. State 131559",
    )
    assert decoded.banner is not None and decoded.banner.origin == "STATE"
    assert decoded.declassify == date(2017, 9, 25)
    assert decoded.tags == ("PARM", "MTCRE", "PREL")
    assert decoded.subject == "(s) following up on a shipment"
    assert decoded.references == ("07STATE131559",)


def test_banner_cut_over_two_lines() -> None:
    decoded = body_of("C O N F I D E N T I A L SECTION 01 OF 02", "", "OSLO 000457", "", "SIPDIS")
    banner = decoded.banner
    assert banner is not None and (banner.origin, banner.mrn, banner.section) == ("OSLO", "000457", 1)


def test_subject_over_several_lines_stops_at_ref() -> None:
    decoded = body_of(
        "CONFIDENTIAL OSLO 000457",
        "SUBJECT: FOLLOWING-UP WITH INDIA ON THE GRAPHITE",
        "CASE (S)",
        "REF: A. 07 STATE 141892  B. 07 NEW DELHI 5058",
        "Classified By: someone for reasons 1.4 (b)",
    )
    assert decoded.subject == "FOLLOWING-UP WITH INDIA ON THE GRAPHITE CASE (S)"
    assert decoded.references == ("07STATE141892", "07NEWDELHI5058")


def test_tags_without_colon_and_with_commas() -> None:
    assert body_of("CONFIDENTIAL OSLO 000457", "TAGS PGOV, PREL, ECON, ZI").tags == (
        "PGOV",
        "PREL",
        "ECON",
        "ZI",
    )
    assert body_of("CONFIDENTIAL OSLO 000457", "TAG PTER, PGOV").tags == ("PTER", "PGOV")


def test_fields_glued_on_one_line() -> None:
    decoded = body_of(
        "Cable dated:2002-11-15T12:40:00S E C R E T SECTION 01 OF 05 ANKARA 008305S/CT FOR REAPE.O. 12958: "
        "DECL: 11/14/2012 TAGS: PTER TU"
    )
    assert decoded.banner is not None and (decoded.banner.origin, decoded.banner.mrn) == ("ANKARA", "008305")
    assert decoded.declassify == date(2012, 11, 14)
    assert decoded.tags == ("PTER", "TU")


def test_declassify_with_two_digit_year_and_not_applicable() -> None:
    assert body_of("CONFIDENTIAL OSLO 000457", "EO 12958 DECL: 11/29/10").declassify == date(2010, 11, 29)
    assert body_of("UNCLAS OSLO 000457", "E.O. 12958: N/A").declassify is None


def test_no_sipdis() -> None:
    assert not body_of("UNCLAS OSLO 000457", "E.O. 12958: N/A", "SUBJECT: X").sipdis


def test_markdown_residue() -> None:
    assert clean_markdown("TAGS: [PHUM](#) [PREL](#)") == "TAGS: PHUM PREL"
    assert clean_markdown("[¶1.](#) (C) Text") == "¶1. (C) Text"
    assert clean_markdown("- $\\P2$ . (C) Text") == "- ¶2 . (C) Text"
    decoded = body_of(
        "C O N F I D E N T I A L OSLO 000457", "TAGS: [PHUM](#) [JA](#)", "SUBJECT: X", "[¶1.](#) (C) Y"
    )
    assert decoded.tags == ("PHUM", "JA")


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("STATE 117889", 2008, ["08STATE117889"]),
        (
            "A. 08 BRASILIA 001652 ¶B. 05 STATE 141756 (AND PREVIOUS)",
            2009,
            ["08BRASILIA1652", "05STATE141756"],
        ),
        ("09 SAN SALVADOR 1101; 09 SAN SALVADOR 789", 2010, ["09SANSALVADOR1101", "09SANSALVADOR789"]),
        ("A) TRIPOLI 442, B) TRIPOLI 453", 2008, ["08TRIPOLI442", "08TRIPOLI453"]),
        (
            "A. ALGIERS 111  B. ALGIERS 110 AND ALGIERS 140",
            2008,
            ["08ALGIERS111", "08ALGIERS110", "08ALGIERS140"],
        ),
        ("SECSTATE 11880", 2009, ["09STATE11880"]),
        ("08TOKYO3310", 2009, ["08TOKYO3310"]),
        ("THE HAGUE 1768", 2006, ["06THEHAGUE1768"]),
        ("PARA 3 OF SEPTEMBER 24", 2009, []),
        ("STATE 1234", None, []),
    ],
)
def test_references(text: str, year: int | None, expected: list[str]) -> None:
    assert parse_references(text, year) == expected


def test_body_reading_stops_at_the_first_paragraph() -> None:
    decoded = body_of("CONFIDENTIAL OSLO 000457", "SUBJECT: X", "", "1. (C) TAGS: NOT THESE", "REF: STATE 1")
    assert decoded.tags == () and decoded.references == ()


def test_subject_forms() -> None:
    without_colon = body_of("CONFIDENTIAL OSLO 000457", "SUBJECT NORWAY AGREES TO STEPS", "REF A. OSLO 1579")
    assert without_colon.subject == "NORWAY AGREES TO STEPS"
    glued = body_of("CONFIDENTIAL OSLO 000457", "E.O. 12958: N/A Tags: prel, no Subject: a pipeline for oslo")
    assert glued.subject == "a pipeline for oslo"
    marked = body_of("CONFIDENTIAL OSLO 000457", "SUBJECT: (C/NF) WHO WOULD REPLACE HIMREF: A. LONDON 1939")
    assert marked.subject == "WHO WOULD REPLACE HIM"
    entities = body_of("UNCLAS OSLO 000457", "SUBJECT: Bla &#8217; bla")
    assert entities.subject == "Bla \u2019 bla"
    next_line = body_of("UNCLAS OSLO 000457", "SUBJECT:", "", "Cooperation Busts a Ring", "", "1. (U) Text")
    assert next_line.subject == "Cooperation Busts a Ring"


def test_subject_stops_at_page_headers_rules_and_handling_notes() -> None:
    paged = body_of(
        "UNCLAS OSLO 000457", "SUBJECT: THE LIFE AND TIMES OF A", "PRESIDENT", "OSLO 00000457 001.2 OF 004"
    )
    assert paged.subject == "THE LIFE AND TIMES OF A PRESIDENT"
    ruled = body_of("UNCLAS OSLO 000457", "SUBJECT: NOTES 11-09-2009", "-----------", "SUMMARY")
    assert ruled.subject == "NOTES 11-09-2009"
    noted = body_of("UNCLAS OSLO 000457", "SUBJECT: BIRD FLU VICTIM Sensitive but unclassified. Handle so.")
    assert noted.subject == "BIRD FLU VICTIM"


def test_tags_continued_on_the_next_line() -> None:
    comma = body_of("CONFIDENTIAL OSLO 000457", "TAGS: PREL, PGOV, ECON,", "ETRA, MNUC", "SUBJECT: X")
    assert comma.tags == ("PREL", "PGOV", "ECON", "ETRA", "MNUC")
    listed = body_of("CONFIDENTIAL OSLO 000457", "TAGS: OVIP PREL KPAL FR", "NATO, UK, CN", "SUBJECT: X")
    assert listed.tags == ("OVIP", "PREL", "KPAL", "FR", "NATO", "UK", "CN")
    assert body_of("UNCLAS OSLO 000457", "TAGS: ECON MX SIPDIS", "SUBJECT: X").tags == ("ECON", "MX")


def test_labelled_references_across_blank_lines_and_repeated_ref() -> None:
    labelled = body_of(
        "CONFIDENTIAL OSLO 000457", "SUBJECT: X", "REF: A. A) BERN 1253", "", "  ¶B. B) GENEVA 1633", ""
    )
    assert labelled.references == ("07BERN1253", "07GENEVA1633")
    repeated = body_of("CONFIDENTIAL OSLO 000457", "SUBJECT: X", "REF: REF: A) 2005 ACCRA 2517 B) ACCRA 1437")
    assert repeated.references == ("05ACCRA2517", "07ACCRA1437")
