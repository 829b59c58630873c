"""PLAD normalisation: spellings of one address compare equal, different addresses do not."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from topology.kinds import is_collective_name, kind_of
from topology.plad import normalize_plad


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("SECSTATE WASHDC", "DEPT OF STATE WASHINGTON DC"),
        ("SECSTATE WASHDC", "DEPARTMENT OF STATE WASHINGTON D.C."),
        ("SECSTATE WASHDC", "SECSTATE"),
        ("AMEMBASSY TOKYO", "EMBASSY TOKYO"),
        ("AMEMBASSY TOKYO", "AMERICAN EMBASSY TOKYO"),
        ("AMEMBASSY TOKYO", "amembassy   tokyo"),
        ("AMEMBASSY CARACAS", "AMEMBASS CARACAS"),
        ("AMEMBASSY CARACAS", "AMEMBASSY CARACS"),
        ("AMEMBASSY QUITO", "AMEMBASSY QUINTO"),
        ("AMEMBASSY KYIV", "AMEMBASSY KIEV"),
        ("AMEMBASSY MEXICO", "AMEMBASSY MEXICO CITY"),
        ("AMCONSUL FUKUOKA", "AMCONSU FUKUOKA"),
        ("AMCONSUL DHAHRAN", "AMCOMSUL DHAHRAN"),
        ("AMEMBASSY NEW DELHI", "AMMBASSY NEW DELHI"),
        ("AMCONSUL FUKUOKA", "AMERICAN CONSULATE GENERAL FUKUOKA"),
        ("AMCONSUL OSAKA KOBE", "AMCONSUL OSAKA-KOBE"),
        ("AMCONSUL KOLKATA", "AMCONSUL CALCUTTA"),
        ("USMISSION USUN NEW YORK", "USMISSION USUN NEW YORK NY"),
        ("USMISSION USUN NEW YORK", "US MISSION USUN NEW YORK"),
        ("USMISSION UNVIE VIENNA", "USMISSIN UNVIE VIENNA"),
        ("JOINT STAFF WASHDC", "JOINT STAFF WASHINGTON DC//J-3/J-5//"),
        ("DEPT OF TREASURY WASHDC", "DEPARTMENT OF TREASURY WASH DC"),
        ("AMEMBASSY SANTO DOMINGO", "AMEMBASSY SANTO DOMINGO//USDAO"),
    ],
)
def test_spellings_of_one_address_share_a_key(one: str, other: str) -> None:
    assert normalize_plad(one) == normalize_plad(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("AMEMBASSY TOKYO", "AMCONSUL TOKYO"),
        ("SECSTATE WASHDC", "SECDEF WASHDC"),
        ("USMISSION GENEVA", "AMEMBASSY GENEVA"),
        ("AMEMBASSY PORT AU PRINCE", "AMEMBASSY PORT PRINCE"),
        ("AMCONSUL NAHA", "AMCONSUL NAGOYA"),
        ("HQ USCENTCOM MACDILL AFB FL", "HQ USCENTCOM MACDILL AFB"),
    ],
)
def test_different_addresses_keep_different_keys(one: str, other: str) -> None:
    assert normalize_plad(one) != normalize_plad(other)


def test_key_is_upper_case_single_spaced() -> None:
    assert normalize_plad("  amconsul   sapporo ") == "AMCONSUL SAPPORO"


@pytest.mark.parametrize(
    "name",
    [
        "UN SECURITY COUNCIL COLLECTIVE",
        "UN SECURITY COUNCIL",
        "EUROPEAN POLITICAL COLLECTIVE",
        "ALL DIPLOMATIC AND CONSULAR POSTS",
        "ALL NATO POST COLLECTIVE",
        "WESTERN HEMISPHERIC AFFAIRS DIPL POSTS",
        "EU MEMBER STATES",
        "SOUTHERN AFRICAN DEVELOPMENT COMMUNITY",
    ],
)
def test_collective_names(name: str) -> None:
    assert is_collective_name(name)


@pytest.mark.parametrize(
    "name",
    ["AMEMBASSY TOKYO", "SECSTATE WASHDC", "USMISSION USUN NEW YORK", "NSC WASHDC", "ALLIED POSTMASTER"],
)
def test_post_names_are_not_collectives(name: str) -> None:
    assert not is_collective_name(name)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("AMEMBASSY TOKYO", "embassy"),
        ("AMCONSUL FUKUOKA", "consulate"),
        ("USMISSION GENEVA", "mission"),
        ("USEU BRUSSELS", "mission"),
        ("DEPT OF STATE WASHINGTON DC", "department"),
        ("HQ USCENTCOM MACDILL AFB FL", "military"),
        ("JOINT STAFF WASHINGTON DC", "military"),
        ("NSC WASHDC", "other"),
        ("CIA WASHDC", "other"),
    ],
)
def test_kind_of(name: str, kind: str) -> None:
    assert kind_of(name) == kind


_WORDS = st.sampled_from(
    [
        "AMEMBASSY",
        "EMBASSY",
        "AMCONSU",
        "US",
        "MISSION",
        "USMISSION",
        "TO",
        "SECSTATE",
        "DEPT",
        "OF",
        "STATE",
        "WASHINGTON",
        "DC",
        "WASH",
        "CITY",
        "NY",
        "BE",
        "QUINTO",
        "HAGUE",
        "THE",
        "KIEV",
        "TOKYO",
        "A",
        "//J-3//",
        "U.S.",
        "OSAKA-KOBE",
        "DEPARTMENT",
        "COLLECTIVE",
        "ALL",
        "POSTS",
    ]
)


@example("USMISSION TO TO AMEMBASSY")
@given(st.lists(_WORDS, min_size=1, max_size=7).map(" ".join))
def test_normalisation_is_idempotent(name: str) -> None:
    key = normalize_plad(name)
    assert normalize_plad(key) == key
    assert key == key.upper().strip() and "  " not in key
