"""The Topology: resolution order, merging of repeated entries, layering and RI ranges."""

from __future__ import annotations

import msgspec
import pytest

from topology.model import DEFAULT_LINK_CPS, Collective, Member, Post, Unresolved
from topology.topology import Topology, looks_like_ri


class Address(msgspec.Struct, frozen=True):
    """A minimal addressee for `resolve`."""

    ri: str | None
    name: str


TOKYO = Post(ri="RUEHKO", name="AMEMBASSY TOKYO", kind="embassy")
DEPARTMENT = Post(ri="RUEHC", name="SECSTATE WASHDC", aliases=("DEPT OF STATE WASHINGTON DC",))
UNSC = Collective(
    ri="RUEHGG",
    name="UN SECURITY COUNCIL COLLECTIVE",
    aliases=("UN SECURITY COUNCIL",),
    members=(Member(ri="RUEHTRO"),),
)


def test_resolves_by_ri_before_plad() -> None:
    topology = Topology([TOKYO, DEPARTMENT])
    assert topology.resolve(Address("RUEHKO", "SECSTATE WASHDC")) == TOKYO


def test_unknown_ri_falls_back_to_plad() -> None:
    topology = Topology([TOKYO])
    assert topology.resolve(Address("RUEHXX", "EMBASSY TOKYO")) == TOKYO


def test_plad_alone_resolves_through_aliases_and_normalisation() -> None:
    topology = Topology([DEPARTMENT])
    assert topology.resolve(Address(None, "DEPARTMENT OF STATE WASHINGTON D.C.")) == DEPARTMENT
    assert topology.resolve(Address(None, "SECSTATE WASHDC//EAP-J//")) == DEPARTMENT


def test_unresolved_says_why() -> None:
    topology = Topology([TOKYO])
    found = topology.resolve(Address("RUEHXX", "AMEMBASSY NOWHERE"))
    assert isinstance(found, Unresolved)
    assert found.reason == "unknown routing indicator and PLAD"
    plain = topology.resolve(Address(None, "AMEMBASSY NOWHERE"))
    assert isinstance(plain, Unresolved) and plain.reason == "unknown PLAD"


def test_collective_resolves_by_ri_and_by_name() -> None:
    topology = Topology([TOKYO], [UNSC])
    assert topology.resolve(Address("RUEHGG", "")) == UNSC
    assert topology.resolve(Address(None, "UN SECURITY COUNCIL")) == UNSC
    assert topology.collective("RUEHGG") == UNSC
    assert topology.collective("UN SECURITY COUNCIL") == UNSC


def test_repeated_post_is_merged_later_fields_winning() -> None:
    first = Post(ri="RUEHKO", name="AMEMBASSY TOKYO", kind="embassy", link_cps=1200.0)
    second = Post(ri="RUEHKO", name="EMBASSY OF THE US TOKYO", aliases=("US EMB TOKYO",))
    topology = Topology([first, second])
    merged = topology.post("RUEHKO")
    assert merged is not None
    assert merged.name == "EMBASSY OF THE US TOKYO"
    assert merged.kind == "embassy"
    assert merged.link_cps == 1200.0
    assert set(merged.aliases) == {"US EMB TOKYO", "AMEMBASSY TOKYO"}
    assert topology.resolve(Address(None, "AMEMBASSY TOKYO")) == merged


def test_later_claim_of_a_plad_wins_and_leaves_the_earlier_alias_list() -> None:
    gateway = Post(ri="RHEHAAA", name="WHITE HOUSE WASHDC", aliases=("NSC WASHDC",))
    council = Post(ri="RHEHNSC", name="NSC WASHDC")
    topology = Topology([gateway, council])
    found = topology.resolve(Address(None, "NSC WASHINGTON DC"))
    assert isinstance(found, Post) and found.ri == "RHEHNSC"
    white_house = topology.post("RHEHAAA")
    assert white_house is not None and white_house.aliases == ()


def test_layered_other_wins_and_aliases_merge() -> None:
    base = Topology([Post(ri="RUEHKO", name="AMEMBASSY TOKYO", aliases=("EMB TOKYO",), kind="embassy")])
    top = Topology([Post(ri="RUEHKO", name="AMEMBASSY TOKYO JAPAN", aliases=("TOKYO EMBASSY",))])
    layered = base.layered(top)
    post = layered.post("RUEHKO")
    assert post is not None
    assert post.name == "AMEMBASSY TOKYO JAPAN"
    assert post.kind == "embassy"
    assert set(post.aliases) == {"EMB TOKYO", "TOKYO EMBASSY", "AMEMBASSY TOKYO"}
    for spelling in ("EMB TOKYO", "TOKYO EMBASSY", "AMEMBASSY TOKYO", "AMEMBASSY TOKYO JAPAN"):
        assert layered.resolve(Address(None, spelling)) == post


def test_layered_plad_moves_to_the_later_owner() -> None:
    base = Topology([Post(ri="RUEKDIA", name="DIA WASHDC")])
    top = Topology([Post(ri="RHEFDIA", name="DIA WASHINGTON DC")])
    layered = base.layered(top)
    found = layered.resolve(Address(None, "DIA WASHDC"))
    assert isinstance(found, Post) and found.ri == "RHEFDIA"
    assert layered.resolve(Address("RUEKDIA", "DIA WASHDC")) == layered.post("RUEKDIA")


def test_default_link_rate_survives_a_layer_that_does_not_set_it() -> None:
    base = Topology([TOKYO], default_link_cps=75.0)
    top = Topology([DEPARTMENT])
    assert top.default_link_cps == DEFAULT_LINK_CPS
    assert top.declared_link_cps is None
    assert base.layered(top).default_link_cps == 75.0
    assert top.layered(base).default_link_cps == 75.0
    assert base.layered(Topology(default_link_cps=50.0)).default_link_cps == 50.0


def test_link_rate_of_a_post_beats_the_default() -> None:
    fast = Post(ri="RUEHFK", name="AMCONSUL FUKUOKA", link_cps=2400.0)
    topology = Topology([fast, TOKYO], default_link_cps=100.0)
    assert topology.link_cps("RUEHFK") == 2400.0
    assert topology.link_cps("RUEHKO") == 100.0
    assert topology.link_cps("RUEHZZ") == 100.0


def test_collective_members_merge_declared_beats_inferred() -> None:
    declared = Collective(ri="RUEHGG", name="UN SECURITY COUNCIL", members=(Member(ri="RUEHTRO"),))
    inferred = Collective(
        ri="RUEHGG",
        members=(
            Member(ri="RUEHTRO", source="inferred", evidence=4),
            Member(ri="RUEHBJ", source="inferred", evidence=2),
        ),
    )
    layered = Topology(collectives=[declared]).layered(Topology(collectives=[inferred]))
    collective = layered.collective("RUEHGG")
    assert collective is not None
    assert collective.name == "UN SECURITY COUNCIL"
    members = {m.ri: m for m in collective.members}
    assert members["RUEHTRO"] == Member(ri="RUEHTRO", source="declared", evidence=4)
    assert members["RUEHBJ"] == Member(ri="RUEHBJ", source="inferred", evidence=2)


def test_collective_known_by_name_gains_its_ri_from_a_later_layer() -> None:
    by_name = Collective(name="ALL DIPLOMATIC AND CONSULAR POSTS", members=(Member(ri="RUEHKO"),))
    by_ri = Collective(ri="RUEHXX", name="ALL DIPLOMATIC AND CONSULAR POSTS COLLECTIVE")
    base = Topology(collectives=[by_name])
    top = Topology(
        collectives=[Collective(ri="RUEHXX", name="ALL DIPLOMATIC AND CONSULAR POSTS", aliases=(by_ri.name,))]
    )
    layered = base.layered(top)
    assert list(layered.collectives) == ["RUEHXX"]
    merged = layered.collectives["RUEHXX"]
    assert [m.ri for m in merged.members] == ["RUEHKO"]
    assert layered.resolve(Address(None, "ALL DIPLOMATIC AND CONSULAR POSTS")) == merged


def test_later_post_replaces_a_collective_with_the_same_ri() -> None:
    layered = Topology(collectives=[UNSC]).layered(Topology([Post(ri="RUEHGG", name="SOMETHING ELSE")]))
    assert isinstance(layered.resolve(Address("RUEHGG", "")), Post)
    assert "RUEHGG" not in layered.collectives


def test_ri_ranges_resolve_to_the_innermost_range() -> None:
    outer = Post(ri="RUYNAAA", ri_range_end="RUYNAZZ", name="NAVCOMTELSTA FAR EAST YOKOSUKA JA")
    inner = Post(ri="RUYNABA", ri_range_end="RUYNABZ", name="NAVCOMTELSTA YOKOSUKA INNER")
    topology = Topology([outer, inner])
    assert topology.post("RUYNABC") == inner
    assert topology.post("RUYNAQQ") == outer
    assert topology.post("RUYNBAA") is None
    assert topology.post("RUYNAB") is None
    assert topology.resolve(Address("RUYNAXY", "")) == outer


def test_posts_mapping_is_read_only() -> None:
    topology = Topology([TOKYO])
    with pytest.raises(TypeError):
        topology.posts["RUEHC"] = DEPARTMENT  # type: ignore[index]
    assert "RUEHC" not in topology.posts


def test_lookup_takes_an_ri_or_a_plad() -> None:
    topology = Topology([TOKYO, DEPARTMENT])
    assert topology.lookup("ruehko") == TOKYO
    assert topology.lookup("DEPT OF STATE WASHINGTON DC") == DEPARTMENT
    assert topology.lookup("RUEHZZ") is None
    assert looks_like_ri("RUCNDT") and not looks_like_ri("SECSTATE WASHDC")
