"""FL7-FL9 addressee lines: RI/PLAD, ZEN, office symbols, precedence words and typos, NIACT, MCNs."""

from __future__ import annotations

import pytest

from router.addressees import precedence_word
from router.decoder import decode
from router.precedence import Precedence
from tests.decode_samples import HEADER, cable, with_addressees


def test_ri_plad_precedence_and_mcn() -> None:
    decoded = decode(cable())
    action = decoded.to[0]
    assert (action.ri, action.name, action.mcn) == ("RUEHC", "SECSTATE WASHDC", "4711")
    assert action.precedence is Precedence.PRIORITY and action.precedence_stated is Precedence.PRIORITY
    collective = decoded.info[0]
    assert (collective.ri, collective.name, collective.mcn) == (
        "RUEHZL",
        "EUROPEAN POLITICAL COLLECTIVE",
        None,
    )
    assert collective.precedence_stated is None and collective.precedence is Precedence.PRIORITY
    assert decoded.info[1].line == 9


def test_plain_plad_without_ri() -> None:
    decoded = decode(with_addressees("TO SECSTATE WASHDC PRIORITY 0179", "INFO AMEMBASSY PORT AU PRINCE"))
    assert decoded.to[0].ri is None and decoded.to[0].name == "SECSTATE WASHDC"
    info = decoded.info[0]
    assert info.name == "AMEMBASSY PORT AU PRINCE" and info.precedence_stated is None


def test_zen_addressee_with_niact_and_mcn_range() -> None:
    decoded = decode(with_addressees("TO ZEN/AMEMBASSY BELMOPAN NIACT IMMEDIATE 2276-2279"))
    entry = decoded.to[0]
    assert entry.zen and entry.ri is None and entry.name == "AMEMBASSY BELMOPAN"
    assert entry.niact and entry.precedence is Precedence.IMMEDIATE
    assert entry.precedence_word == "NIACT IMMEDIATE"
    assert entry.mcn == "2276-2279"


def test_zen_with_routing_indicator() -> None:
    entry = decode(with_addressees("TO ZEN/RUEHMO/AMEMBASSY MOSCOW IMMEDIATE 4778")).to[0]
    assert entry.zen and entry.ri == "RUEHMO" and entry.name == "AMEMBASSY MOSCOW"


@pytest.mark.parametrize(
    ("line", "name", "office", "level", "mcn"),
    [
        ("INFO RUEKJCS/JOINT STAFF WASHDC//J-3/J-5//", "JOINT STAFF WASHDC", "J-3/J-5", None, None),
        (
            "INFO RUMIAAA/CDR USSOUTHCOM MIAMI FL//CINC/POLAD// PRIORITY",
            "CDR USSOUTHCOM MIAMI FL",
            "CINC/POLAD",
            Precedence.PRIORITY,
            None,
        ),
        ("INFO RUEHRC/USDA FAS WASHDC//USD 1440", "USDA FAS WASHDC", "USD", None, "1440"),
    ],
)
def test_office_symbols(line: str, name: str, office: str, level: Precedence | None, mcn: str | None) -> None:
    entry = decode(with_addressees("TO RUEHC/SECSTATE WASHDC 0001", line)).info[0]
    assert (entry.name, entry.office, entry.precedence_stated, entry.mcn) == (name, office, level, mcn)


@pytest.mark.parametrize("word", ["PRIOITY", "PIORITY", "PRORITY", "PRIORTY"])
def test_precedence_typos_are_read_and_reported(word: str) -> None:
    decoded = decode(with_addressees(f"TO RUEHC/SECSTATE WASHDC {word} 4711"))
    entry = decoded.to[0]
    assert entry.precedence_stated is Precedence.PRIORITY and entry.precedence_word == word
    assert entry.name == "SECSTATE WASHDC" and entry.mcn == "4711"
    assert "precedence-typo" in {d.code for d in decoded.diagnostics}


@pytest.mark.parametrize("word", ["PRINCE", "PRETORIA", "PRISTINA", "PRAIA", "RIYADH", "PARIS", "FREETOWN"])
def test_place_names_are_not_precedence_words(word: str) -> None:
    assert precedence_word(word) is None


def test_typo_of_immediate() -> None:
    assert precedence_word("IMMEDAITE") is Precedence.IMMEDIATE
    assert precedence_word("FLASH") is Precedence.FLASH
    assert precedence_word("ROUTINE") is Precedence.ROUTINE


def test_zero_mcn_is_kept_as_written() -> None:
    entry = decode(with_addressees("TO RUEHC/SECSTATE WASHDC PRIORITY 0000")).to[0]
    assert entry.mcn == "0000"


def test_effective_precedence_uses_the_info_letter_for_info_addressees() -> None:
    decoded = decode(
        with_addressees(
            "TO RUEHC/SECSTATE WASHDC 4711",
            "INFO RUEHLO/AMEMBASSY LONDON 0815",
            "RUEHFR/AMEMBASSY PARIS IMMEDIATE 0816",
            fl5="O R 131320Z JUN 07",
        )
    )
    assert decoded.to[0].precedence is Precedence.IMMEDIATE
    assert decoded.info[0].precedence is Precedence.ROUTINE
    assert decoded.info[1].precedence is Precedence.IMMEDIATE


def test_without_info_letter_everyone_gets_the_action_level() -> None:
    decoded = decode(
        with_addressees("TO RUEHC/SECSTATE WASHDC", "INFO RUEHLO/AMEMBASSY LONDON", fl5="R 131320Z JUN 07")
    )
    assert decoded.to[0].precedence is Precedence.ROUTINE and decoded.info[0].precedence is Precedence.ROUTINE


def test_several_to_lines_and_continuation() -> None:
    decoded = decode(
        with_addressees(
            "TO NSC WASHDC IMMEDIATE", "SECSTATE WASHDC IMMEDIATE 2881", "INFO SECDEF WASHINGTON DC"
        )
    )
    assert [a.name for a in decoded.to] == ["NSC WASHDC", "SECSTATE WASHDC"]
    assert [a.name for a in decoded.info] == ["SECDEF WASHINGTON DC"]


def test_xmt_exemptions_both_forms() -> None:
    decoded = decode(
        with_addressees(
            "TO SECURITY OFFICER COLLECTIVE PRIORITY",
            "XMT AMCONSUL JOHANNESBURG",
            "XMT/AMCONSUL STRASBOURG",
        )
    )
    assert [a.name for a in decoded.xmt] == ["AMCONSUL JOHANNESBURG", "AMCONSUL STRASBOURG"]
    assert [a.name for a in decoded.to] == ["SECURITY OFFICER COLLECTIVE"]


def test_page_break_debris_inside_the_addressee_list() -> None:
    text = with_addressees(
        "TO PAGE 02        STATE   023763  071504Z",
        "AMEMBASSY NEW DELHI PRIORITY",
        "INFO PAGE 02        STATE   023763  071504Z",
        "MISSILE TECHNOLOGY CONTROL REGIME COLLECTIVE",
    )
    decoded = decode(text)
    assert [a.name for a in decoded.to] == ["AMEMBASSY NEW DELHI"]
    assert [a.name for a in decoded.info] == ["MISSILE TECHNOLOGY CONTROL REGIME COLLECTIVE"]
    assert sum(d.code == "page-debris" for d in decoded.diagnostics) == 2


def test_blank_line_inside_the_addressee_list() -> None:
    header = [*HEADER, "", "RUEHUB/USINT HAVANA PRIORITY 0060"]
    decoded = decode(cable(header))
    assert decoded.header_lines == len(header)
    assert decoded.info[-1].name == "USINT HAVANA"


def test_blank_line_before_info() -> None:
    header = [*HEADER[:7], "", "INFO RUCNDT/USMISSION USUN NEW YORK PRIORITY 0841"]
    decoded = decode(cable(header))
    assert decoded.header_lines == len(header)
    assert decoded.info[0].ri == "RUCNDT"


def test_header_ending_without_a_blank_line() -> None:
    text = "\n".join([*HEADER, "C O N F I D E N T I A L OSLO 000457", "", "TAGS: PREL"])
    decoded = decode(text)
    assert decoded.header_lines == len(HEADER)
    assert decoded.id == "07OSLO457"


def test_addressee_line_before_any_section_keyword() -> None:
    decoded = decode(with_addressees("SECSTATE WASHDC PRIORITY 0001"))
    assert decoded.to[0].name == "SECSTATE WASHDC"
    assert "addressee-no-section" in {d.code for d in decoded.diagnostics}
