"""Which topology a run uses (`topology_for`), and coverage counting."""

from __future__ import annotations

from pathlib import Path

from replay.cli.topology_source import topology_for
from replay.inputs.corpus import read_cables
from router.model import Addressee
from topology.coverage import Coverage, UnresolvedCount, coverage
from topology.model import Collective, Member, Post
from topology.topology import Topology


def test_with_files_only_the_files_count(tmp_path: Path, examples_dir: Path) -> None:
    cables, _ = read_cables([str(examples_dir)])
    path = tmp_path / "only.toml"
    path.write_text('[[post]]\nri = "RUEHZZ"\nname = "AMEMBASSY SOMEWHERE"\n', encoding="utf-8")
    topology = topology_for([path], cables)
    assert list(topology.posts) == ["RUEHZZ"]
    assert topology.post("RUEHKO") is None


def test_without_files_learned_with_the_example_on_top(examples_dir: Path) -> None:
    cables, _ = read_cables([str(examples_dir)])
    topology = topology_for([], cables)
    unsc = topology.collective("RUEHGG")
    assert unsc is not None
    assert unsc.name == "UN SECURITY COUNCIL COLLECTIVE"
    assert Member(ri="RUEHTRO") in unsc.members
    assert all(m.source == "declared" for m in unsc.members)
    for ri in ("RUEHC", "RUEHFK", "RUEHNH", "RUEHOK", "RUEHKSO", "RUEHGV", "RUCNDT", "RUEHKO"):
        assert topology.post(ri) is not None, ri
    osaka = topology.post("RUEHOK")
    assert osaka is not None and osaka.kind == "consulate"


def test_without_files_or_cables_it_is_the_example(examples_dir: Path) -> None:
    topology = topology_for([], [])
    assert topology.post("RUEHFK") is not None
    assert len(topology.posts) == 21


def test_coverage_counts_posts_collectives_and_unresolved() -> None:
    topology = Topology(
        [Post(ri="RUEHC", name="SECSTATE WASHDC")],
        [Collective(ri="RUEHGG", name="UN SECURITY COUNCIL")],
    )
    addresses = [
        Addressee(ri="RUEHC", name="SECSTATE WASHDC"),
        Addressee(name="DEPT OF STATE WASHINGTON DC"),
        Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL"),
        Addressee(ri="RUEHZZ", name="AMEMBASSY NOWHERE"),
        Addressee(name="AMEMBASSY ELSEWHERE"),
        Addressee(name="AMEMBASSY ELSEWHERE"),
    ]
    assert coverage(addresses, topology, top=1) == Coverage(
        addressees=6,
        resolved=3,
        collectives=1,
        unresolved=3,
        ratio=0.5,
        top_unresolved=(UnresolvedCount(name="AMEMBASSY ELSEWHERE", ri=None, count=2),),
    )


def test_coverage_of_nothing() -> None:
    result = coverage([], Topology())
    assert (result.addressees, result.ratio, result.top_unresolved) == (0, 0.0, ())
