"""The topology learned from the shared corpus, layered over the shared routing tables.

Done means for the topology: at least 98% of the corpus's addressee entries resolve, and known
pairs come out right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replay.inputs.corpus import read_cables
from router.learn import learn_topology
from router.model import Cable
from topology.books import read_books
from topology.coverage import coverage
from topology.files import dump_topology, parse_topology
from topology.model import Collective, Post
from topology.topology import Topology

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture(scope="module")
def cables(corpus_dir: Path) -> list[Cable]:
    decoded, errors = read_cables([str(corpus_dir)])
    assert errors == []
    return decoded


@pytest.fixture(scope="module")
def learned(cables: list[Cable]) -> Topology:
    return learn_topology(cables)


@pytest.fixture(scope="module")
def topology(shared_dir: Path, learned: Topology) -> Topology:
    """The shared tables at the bottom, what the corpus shows on top."""
    books = read_books(sorted((shared_dir / "data" / "routing").glob("*.json")))
    return books.topology.layered(learned)


def test_at_least_98_percent_of_addressee_entries_resolve(cables: list[Cable], topology: Topology) -> None:
    result = coverage((a for cable in cables for a in cable.addressees), topology)
    assert result.addressees > 30_000
    assert result.ratio >= 0.98, result.top_unresolved
    assert result.collectives > 1_000


def test_plain_plad_entries_resolve_through_other_cables_and_tables(
    cables: list[Cable], topology: Topology
) -> None:
    plain = [a for cable in cables for a in cable.addressees if not a.ri]
    assert len(plain) > 1_000
    assert coverage(plain, topology).ratio >= 0.95


def test_known_posts(topology: Topology) -> None:
    expectations = {
        "RUEHKO": ("AMEMBASSY TOKYO", "embassy"),
        "RUEHC": ("SECSTATE WASHDC", "department"),
        "RUEHFK": ("AMCONSUL FUKUOKA", "consulate"),
        "RUCNDT": ("USMISSION USUN NEW YORK", "mission"),
    }
    for ri, (name, kind) in expectations.items():
        post = topology.post(ri)
        assert post is not None, ri
        assert (post.name, post.kind) == (name, kind)
    assert topology.lookup("DEPT OF STATE WASHINGTON DC") == topology.post("RUEHC")
    assert topology.lookup("USMISSION USUN NEW YORK NY") == topology.post("RUCNDT")
    assert topology.lookup("AMEMBASSY TRIPOLI") == topology.post("RUEHTRO")


def test_unsc_is_a_collective_with_inferred_members(topology: Topology) -> None:
    unsc = topology.lookup("RUEHGG")
    assert isinstance(unsc, Collective)
    assert topology.lookup("UN SECURITY COUNCIL COLLECTIVE") == unsc
    assert unsc.members, "no member inferred from the corpus"
    for member in unsc.members:
        assert member.source == "inferred" and member.evidence >= 1
        assert isinstance(topology.resolve_ri(member.ri), Post)


def test_tripoli_is_a_unsc_member_from_the_corpus_alone(learned: Topology) -> None:
    """Every corpus cable showing RUEHTRO as an unexplained relay with RUEHGG also names another
    collective; the memberships that explain all of Tripoli's sightings best still include RUEHGG."""
    unsc = learned.collective("RUEHGG")
    assert unsc is not None
    members = {m.ri: m for m in unsc.members}
    assert "RUEHTRO" in members
    tripoli = members["RUEHTRO"]
    assert tripoli.source == "inferred" and tripoli.evidence >= 6
    assert tripoli.confidence is not None and tripoli.confidence >= 0.9
    assert tripoli.examples and all(e[:2] in {"08", "09", "10"} for e in tripoli.examples)


def test_learned_topology_survives_toml(cables: list[Cable], learned: Topology) -> None:
    again = parse_topology(dump_topology(learned))
    assert dict(again.posts) == dict(learned.posts)
    assert dict(again.collectives) == dict(learned.collectives)
    entries = [a for cable in cables for a in cable.addressees]
    assert coverage(entries, again) == coverage(entries, learned)
    for address in entries[:5000]:
        assert again.resolve(address) == learned.resolve(address)
