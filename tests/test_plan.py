"""Planning: collectives, XMT, ZEN, dedupe at the highest precedence, unresolved, origin."""

from __future__ import annotations

from router.model import Addressee, Cable, PrecedencePair, Routing, Station
from router.planner import Planner, cable_id_of, effective_precedence, plan
from router.precedence import Precedence
from topology.model import Collective, Member, Post
from topology.topology import Topology

P = Precedence


def _topology() -> Topology:
    posts = [
        Post(ri="RUEHKO", name="AMEMBASSY TOKYO"),
        Post(ri="RUEHC", name="SECSTATE WASHDC"),
        Post(ri="RUEHFK", name="AMCONSUL FUKUOKA"),
        Post(ri="RUEHTRO", name="AMEMBASSY TRIPOLI"),
        Post(ri="RUEHLO", name="AMEMBASSY LONDON"),
        Post(ri="RUEHFR", name="AMEMBASSY PARIS"),
        Post(ri="RUCNDT", name="USMISSION USUN NEW YORK"),
    ]
    collectives = [
        Collective(
            ri="RUEHGG",
            name="UN SECURITY COUNCIL",
            members=(Member(ri="RUEHTRO"), Member(ri="RUEHLO"), Member(ri="RUEHFR"), Member(ri="RUEHKO")),
        ),
        Collective(
            name="ALL EUROPEAN POSTS",
            members=(Member(ri="RUEHLO"), Member(ri="RUEHFR"), Member(ri="RUEHNEST")),
        ),
        Collective(ri="RUEHXX", name="OUTER COLLECTIVE", members=(Member(ri="RUEHGG"), Member(ri="RUEHC"))),
    ]
    return Topology(posts, collectives)


def _cable(
    to: tuple[Addressee, ...] = (),
    info: tuple[Addressee, ...] = (),
    xmt: tuple[Addressee, ...] = (),
    action: Precedence | None = P.IMMEDIATE,
    info_level: Precedence | None = None,
    cable_id: str | None = "08TOKYO1",
) -> Cable:
    return Cable(
        id=cable_id,
        source="tokyo1.txt",
        station=Station(ri="RUEHKO", ssn=1),
        precedence=PrecedencePair(action=action, info=info_level),
        from_="AMEMBASSY TOKYO",
        to=to,
        info=info,
        xmt=xmt,
    )


def _by_post(cable: Cable) -> dict[str, tuple[str, Precedence, bool, tuple[str, ...]]]:
    result = plan(cable, _topology())
    return {d.post: (d.role, d.precedence, d.niact, d.reasons) for d in result.deliveries}


def test_direct_addressees_get_their_role_and_precedence() -> None:
    cable = _cable(
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=P.IMMEDIATE),),
        info=(Addressee(ri="RUEHFK", name="AMCONSUL FUKUOKA", precedence=P.PRIORITY),),
    )
    assert _by_post(cable) == {
        "RUEHC": ("action", P.IMMEDIATE, False, ("TO RUEHC/SECSTATE WASHDC",)),
        "RUEHFK": ("info", P.PRIORITY, False, ("INFO RUEHFK/AMCONSUL FUKUOKA",)),
    }


def test_collective_expands_to_members_without_the_origin() -> None:
    cable = _cable(info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),))
    planned = _by_post(cable)
    assert set(planned) == {"RUEHTRO", "RUEHLO", "RUEHFR"}
    assert planned["RUEHLO"] == (
        "info",
        P.PRIORITY,
        False,
        ("INFO via collective RUEHGG/UN SECURITY COUNCIL",),
    )


def test_plain_language_collective_and_unknown_member_ri() -> None:
    cable = _cable(to=(Addressee(name="ALL EUROPEAN POSTS", precedence=P.ROUTINE),))
    assert set(_by_post(cable)) == {"RUEHLO", "RUEHFR", "RUEHNEST"}


def test_nested_collective_is_expanded() -> None:
    cable = _cable(info=(Addressee(ri="RUEHXX", name="OUTER COLLECTIVE", precedence=P.ROUTINE),))
    assert set(_by_post(cable)) == {"RUEHTRO", "RUEHLO", "RUEHFR", "RUEHC"}


def test_xmt_exempts_a_member_and_is_recorded() -> None:
    cable = _cable(
        info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),),
        xmt=(Addressee(name="AMEMBASSY TRIPOLI"),),
    )
    result = plan(cable, _topology())
    assert {d.post for d in result.deliveries} == {"RUEHLO", "RUEHFR"}
    assert [(e.post, e.name) for e in result.exempted] == [("RUEHTRO", "AMEMBASSY TRIPOLI")]


def test_xmt_does_not_remove_a_post_named_directly() -> None:
    cable = _cable(
        to=(Addressee(ri="RUEHTRO", name="AMEMBASSY TRIPOLI", precedence=P.IMMEDIATE),),
        info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),),
        xmt=(Addressee(name="AMEMBASSY TRIPOLI"),),
    )
    planned = _by_post(cable)
    assert planned["RUEHTRO"] == ("action", P.IMMEDIATE, False, ("TO RUEHTRO/AMEMBASSY TRIPOLI",))


def test_unresolved_xmt_is_recorded() -> None:
    cable = _cable(
        info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),),
        xmt=(Addressee(name="AMEMBASSY NOWHERE", line=12),),
    )
    result = plan(cable, _topology())
    assert len(result.deliveries) == 3
    assert [(u.name, u.line) for u in result.unresolved] == [("AMEMBASSY NOWHERE", 12)]
    assert result.unresolved[0].reason.startswith("XMT")


def test_zen_addressee_is_other_means_and_not_sent() -> None:
    cable = _cable(
        to=(
            Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=P.IMMEDIATE),
            Addressee(name="AMEMBASSY LONDON", zen=True, precedence=P.IMMEDIATE),
        ),
    )
    result = plan(cable, _topology())
    assert [d.post for d in result.deliveries] == ["RUEHC"]
    assert [(o.name, o.post, o.role) for o in result.other_means] == [
        ("AMEMBASSY LONDON", "RUEHLO", "action")
    ]


def test_zen_wins_over_a_collective_that_also_reaches_the_post() -> None:
    cable = _cable(
        to=(Addressee(name="AMEMBASSY LONDON", zen=True),),
        info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),),
    )
    assert set(_by_post(cable)) == {"RUEHTRO", "RUEHFR"}


def test_unknown_zen_addressee_is_other_means_without_post() -> None:
    cable = _cable(to=(Addressee(name="SOMEWHERE ELSE", zen=True),))
    result = plan(cable, _topology())
    assert result.deliveries == ()
    assert [(o.name, o.post) for o in result.other_means] == [("SOMEWHERE ELSE", None)]
    assert result.unresolved == ()


def test_post_reached_twice_gets_one_copy_at_highest_precedence() -> None:
    cable = _cable(
        to=(Addressee(ri="RUEHLO", name="AMEMBASSY LONDON", precedence=P.PRIORITY),),
        info=(
            Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.IMMEDIATE, niact=True),
            Addressee(ri="RUEHLO", name="AMEMBASSY LONDON", precedence=P.ROUTINE),
        ),
    )
    result = plan(cable, _topology())
    london = [d for d in result.deliveries if d.post == "RUEHLO"]
    assert len(london) == 1
    assert london[0].role == "action"
    assert london[0].precedence is P.IMMEDIATE
    assert london[0].niact is True
    assert london[0].reasons == (
        "TO RUEHLO/AMEMBASSY LONDON",
        "INFO via collective RUEHGG/UN SECURITY COUNCIL",
        "INFO RUEHLO/AMEMBASSY LONDON",
    )


def test_unresolved_addressee_is_recorded_with_role_and_line() -> None:
    cable = _cable(
        to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC", precedence=P.IMMEDIATE),),
        info=(Addressee(ri="RUEHZZZ", name="AMCONSUL ATLANTIS", precedence=P.ROUTINE, line=9),),
    )
    result = plan(cable, _topology())
    assert [d.post for d in result.deliveries] == ["RUEHC"]
    assert [(u.ri, u.name, u.role, u.line) for u in result.unresolved] == [
        ("RUEHZZZ", "AMCONSUL ATLANTIS", "info", 9)
    ]
    assert result.unresolved[0].reason


def test_origin_addressed_directly_is_not_a_delivery() -> None:
    cable = _cable(to=(Addressee(ri="RUEHKO", name="AMEMBASSY TOKYO", precedence=P.ROUTINE),))
    assert plan(cable, _topology()).deliveries == ()


def test_origin_from_fm_line_when_no_fl3() -> None:
    cable = Cable(
        id="08TOKYO2",
        from_="AMEMBASSY TOKYO",
        to=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.ROUTINE),),
    )
    assert {d.post for d in plan(cable, _topology()).deliveries} == {"RUEHTRO", "RUEHLO", "RUEHFR"}


def test_effective_precedence_fallbacks() -> None:
    bare = Addressee(name="X")
    dual = _cable(action=P.IMMEDIATE, info_level=P.ROUTINE)
    assert effective_precedence(dual, bare, "info") is P.ROUTINE
    assert effective_precedence(dual, bare, "action") is P.IMMEDIATE
    stated = Addressee(name="X", precedence_stated=P.FLASH)
    assert effective_precedence(dual, stated, "info") is P.FLASH
    fl2_only = Cable(routing=Routing(precedence=P.PRIORITY))
    assert effective_precedence(fl2_only, bare, "action") is P.PRIORITY
    assert effective_precedence(Cable(), bare, "action") is P.ROUTINE


def test_cable_id_falls_back_to_source() -> None:
    assert cable_id_of(_cable(cable_id=None)) == "tokyo1.txt"
    cable = _cable(cable_id=None, to=(Addressee(ri="RUEHC", name="SECSTATE WASHDC"),))
    result = plan(cable, _topology())
    assert result.cable_id == "tokyo1.txt"
    assert result.deliveries[0].cable_id == "tokyo1.txt"


def test_deliveries_keep_first_appearance_order() -> None:
    cable = _cable(
        to=(Addressee(ri="RUCNDT", name="USMISSION USUN NEW YORK"),),
        info=(
            Addressee(ri="RUEHFK", name="AMCONSUL FUKUOKA"),
            Addressee(ri="RUEHC", name="SECSTATE WASHDC"),
        ),
    )
    assert [d.post for d in plan(cable, _topology()).deliveries] == ["RUCNDT", "RUEHFK", "RUEHC"]


def test_a_planner_reused_over_cables_plans_like_the_function() -> None:
    topology = _topology()
    planner = Planner(topology)
    cables = [
        _cable(info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.PRIORITY),)),
        _cable(
            to=(Addressee(name="AMEMBASSY LONDON", zen=True),),
            info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL", precedence=P.ROUTINE),),
            xmt=(Addressee(name="AMEMBASSY TRIPOLI"),),
        ),
        _cable(to=(Addressee(ri="RUEHZZZ", name="AMCONSUL ATLANTIS"),), cable_id="08TOKYO9"),
        _cable(info=(Addressee(ri="RUEHXX", name="OUTER COLLECTIVE", precedence=P.FLASH),)),
    ]
    for cable in cables * 2:
        assert planner.plan(cable) == plan(cable, topology)


def test_an_ambiguous_inferred_member_is_reached_with_a_reason_that_says_so() -> None:
    doubtful = Member(ri="RUEHFR", source="inferred", evidence=1, confidence=0.25, ambiguous_with=("RUEHZL",))
    unsc = Collective(ri="RUEHGG", name="UN SECURITY COUNCIL", members=(Member(ri="RUEHLO"), doubtful))
    topology = Topology(
        [Post(ri="RUEHLO", name="AMEMBASSY LONDON"), Post(ri="RUEHFR", name="AMEMBASSY PARIS")], [unsc]
    )
    result = plan(_cable(info=(Addressee(ri="RUEHGG", name="UN SECURITY COUNCIL"),)), topology)
    reasons = {d.post: d.reasons for d in result.deliveries}
    assert reasons == {
        "RUEHLO": ("INFO via collective RUEHGG/UN SECURITY COUNCIL",),
        "RUEHFR": ("INFO via collective RUEHGG/UN SECURITY COUNCIL (ambiguous inferred member)",),
    }
