"""Learning a topology from hand-built cables: pairs, PLAD ownership, collectives and members."""

from __future__ import annotations

from router.learn import learn_topology
from router.model import Addressee, Cable, Routing, Station, Transmission
from topology.model import Collective, Member, Post, Unresolved


def cable(
    origin: str | None,
    from_: str | None,
    to: list[tuple[str | None, str]],
    info: list[tuple[str | None, str]] = (),  # type: ignore[assignment]
    relays: tuple[str, ...] = (),
    channel: str = "XRO",
) -> Cable:
    """A decoded cable with just the header parts learning looks at."""
    return Cable(
        transmission=Transmission(channel=channel, serial=1),
        station=Station(ri=origin) if origin else None,
        routing=Routing(precedence=None, relays=relays) if relays else None,
        from_=from_,
        to=tuple(Addressee(ri=ri, name=name) for ri, name in to),
        info=tuple(Addressee(ri=ri, name=name) for ri, name in info),
    )


class Plain:
    """An addressee with a PLAD and no RI."""

    def __init__(self, name: str) -> None:
        self.ri: str | None = None
        self.name = name


def test_pairs_from_addressee_lines_and_de_fm_become_posts() -> None:
    topology = learn_topology(
        [
            cable(
                "RUEHKO", "AMEMBASSY TOKYO", [("RUEHC", "SECSTATE WASHDC")], [("RUEHFK", "AMCONSUL FUKUOKA")]
            ),
            cable("RUEHFK", "AMCONSUL FUKUOKA", [("RUEHKO", "AMEMBASSY TOKYO")]),
        ]
    )
    assert set(topology.posts) == {"RUEHKO", "RUEHC", "RUEHFK"}
    department = topology.post("RUEHC")
    assert department is not None and department.name == "SECSTATE WASHDC"
    assert department.kind == "department"
    fukuoka = topology.post("RUEHFK")
    assert fukuoka is not None and fukuoka.kind == "consulate"


def test_plain_plad_resolves_through_a_pair_seen_elsewhere() -> None:
    topology = learn_topology(
        [
            cable("RUEHKO", "AMEMBASSY TOKYO", [("RUEHC", "SECSTATE WASHDC")]),
            cable(
                "RUEHBJ",
                "AMEMBASSY BEIJING",
                [(None, "AMEMBASSY TOKYO"), (None, "DEPT OF STATE WASHINGTON DC")],
            ),
        ]
    )
    assert topology.resolve(Plain("AMEMBASSY TOKYO")) == topology.post("RUEHKO")
    assert topology.resolve(Plain("DEPT OF STATE WASHINGTON DC")) == topology.post("RUEHC")
    assert isinstance(topology.resolve(Plain("AMEMBASSY NOWHERE")), Unresolved)


def test_a_plad_belongs_to_the_ri_it_is_seen_with_most() -> None:
    lines = [("RHEHAAA", "NSC WASHINGTON DC")] * 3 + [("RHEHNSC", "NSC WASHINGTON DC")]
    lines += [("RHEHNSC", "NATIONAL SECURITY COUNCIL WASHDC")]
    topology = learn_topology([cable("RUEHKO", "AMEMBASSY TOKYO", lines)])
    found = topology.resolve(Plain("NSC WASHDC"))
    assert isinstance(found, Post) and found.ri == "RHEHAAA"
    council = topology.post("RHEHNSC")
    assert council is not None and council.name == "NATIONAL SECURITY COUNCIL WASHDC"
    assert council.aliases == ()


def test_an_ri_owning_no_plad_keeps_its_name_without_taking_it() -> None:
    lines = [("RHEFDIA", "DIA WASHINGTON DC")] * 3 + [("RUEKDIA", "DIA WASHDC")]
    topology = learn_topology([cable("RUEHKO", "AMEMBASSY TOKYO", lines)])
    lesser = topology.post("RUEKDIA")
    assert lesser is not None and lesser.name == "DIA WASHINGTON DC"
    found = topology.resolve(Plain("DIA WASHDC"))
    assert isinstance(found, Post) and found.ri == "RHEFDIA"


def test_the_fm_plad_names_the_originating_station() -> None:
    topology = learn_topology(
        [
            cable("RUEHC", "SECSTATE WASHDC", [("RUEHKO", "AMEMBASSY TOKYO")]),
            cable("RUEHKO", "AMEMBASSY TOKYO", [("RUEHC", "DEPT OF LABOR WASHDC")] * 3),
        ]
    )
    department = topology.post("RUEHC")
    assert department is not None
    assert department.name == "SECSTATE WASHDC"
    assert department.aliases == ("DEPT OF LABOR WASHDC",)


def test_collectives_by_name_and_by_majority_of_sightings() -> None:
    topology = learn_topology(
        [
            cable(
                "RUEHKO",
                "AMEMBASSY TOKYO",
                [("RUEHC", "SECSTATE WASHDC")],
                [
                    ("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE"),
                    ("RUEHZS", "ASSOCIATION OF SOUTHEAST ASIAN NATIONS"),
                    (None, "ASSOCIATION OF SOUTHEAST ASIAN NATIONS COLLECTIVE"),
                    (None, "ALL DIPLOMATIC AND CONSULAR POSTS"),
                    ("RUEHBUL", "AFGHANISTAN COLLECTIVE"),
                    ("RUEHBUL", "AMEMBASSY KABUL"),
                    ("RUEHBUL", "AMEMBASSY KABUL"),
                ],
            )
        ]
    )
    assert isinstance(topology.resolve(Plain("UN SECURITY COUNCIL COLLECTIVE")), Collective)
    assert topology.collective("RUEHZS") is not None
    plain = topology.collective("ALL DIPLOMATIC AND CONSULAR POSTS")
    assert plain is not None and plain.ri is None
    assert topology.post("RUEHBUL") is not None
    assert "RUEHBUL" not in topology.collectives


def test_a_station_that_originated_a_cable_is_never_a_collective() -> None:
    topology = learn_topology(
        [
            cable("RUEHXK", "ARAB ISRAELI COLLECTIVE", [("RUEHC", "SECSTATE WASHDC")]),
            cable("RUEHC", "SECSTATE WASHDC", [("RUEHXK", "ARAB ISRAELI COLLECTIVE")]),
        ]
    )
    assert topology.post("RUEHXK") is not None


def test_members_come_from_relays_of_cables_naming_exactly_one_collective() -> None:
    known = cable(
        "RUEHBJ",
        "AMEMBASSY BEIJING",
        [("RUEHTRO", "AMEMBASSY TRIPOLI"), ("RUEHMO", "AMEMBASSY MOSCOW"), ("RUEHSJ", "AMEMBASSY SAN JOSE")],
    )
    one = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [("RUEHC", "SECSTATE WASHDC")],
        [("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE"), ("RUEHFK", "AMCONSUL FUKUOKA")],
        relays=("RUEHTRO", "RUEHFK", "RUEHWEB", "RUEHKO"),
    )
    archive = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [("RUEHC", "SECSTATE WASHDC")],
        [("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE")],
        relays=("RUEHWEB",),
        channel="XYZ",
    )
    again = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [(None, "SECSTATE WASHDC")],
        [(None, "UN SECURITY COUNCIL COLLECTIVE")],
        relays=("RUEHTRO", "RUEHMO"),
    )
    two = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [("RUEHC", "SECSTATE WASHDC")],
        [("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE"), ("RUEHZL", "EUROPEAN POLITICAL COLLECTIVE")],
        relays=("RUEHSJ",),
    )
    topology = learn_topology([known, one, archive, again, two])
    unsc = topology.collective("RUEHGG")
    assert unsc is not None
    assert unsc.members == (
        Member(ri="RUEHTRO", source="inferred", evidence=2),
        Member(ri="RUEHMO", source="inferred", evidence=1),
    )
    european = topology.collective("RUEHZL")
    assert european is not None and european.members == ()


def test_learning_nothing_gives_an_empty_topology() -> None:
    topology = learn_topology([])
    assert len(topology.posts) == 0 and len(topology.collectives) == 0
    assert topology.declared_link_cps is None
