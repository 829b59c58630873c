"""Learning a topology from hand-built cables: pairs, PLAD ownership, collectives and members."""

from __future__ import annotations

from router.learn import learn_topology, learn_with_evidence
from router.model import Addressee, Cable, Routing, Station, Transmission
from topology.model import Collective, Member, Post, Unresolved
from topology.topology import Topology


def cable(
    origin: str | None,
    from_: str | None,
    to: list[tuple[str | None, str]],
    info: list[tuple[str | None, str]] = (),  # type: ignore[assignment]
    relays: tuple[str, ...] = (),
    channel: str = "XRO",
    cable_id: str | None = None,
) -> Cable:
    """A decoded cable with just the header parts learning looks at."""
    return Cable(
        id=cable_id,
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


def _unsc_cables() -> list[Cable]:
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
        cable_id="08TOKYO1",
    )
    archive = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [("RUEHC", "SECSTATE WASHDC")],
        [("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE")],
        relays=("RUEHWEB",),
        channel="XYZ",
        cable_id="08TOKYO2",
    )
    again = cable(
        "RUEHKO",
        "AMEMBASSY TOKYO",
        [(None, "SECSTATE WASHDC")],
        [(None, "UN SECURITY COUNCIL COLLECTIVE")],
        relays=("RUEHTRO", "RUEHMO"),
        cable_id="08TOKYO3",
    )
    two = cable(
        "RUEHLO",
        "AMEMBASSY LONDON",
        [("RUEHC", "SECSTATE WASHDC")],
        [("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE"), ("RUEHZL", "EUROPEAN POLITICAL COLLECTIVE")],
        relays=("RUEHSJ", "RUEHTRO"),
        cable_id="08LONDON4",
    )
    return [known, one, archive, again, two]


def test_members_come_from_every_xro_copy_naming_a_collective() -> None:
    topology = learn_topology(_unsc_cables())
    unsc = topology.collective("RUEHGG")
    assert unsc is not None
    assert unsc.members == (
        Member(
            ri="RUEHTRO",
            source="inferred",
            evidence=3,
            confidence=0.875,
            examples=("08LONDON4", "08TOKYO1", "08TOKYO3"),
        ),
        Member(ri="RUEHMO", source="inferred", evidence=1, confidence=0.5, examples=("08TOKYO3",)),
    )
    # RUEHSJ shows in the one copy naming RUEHZL, but in one of the three naming RUEHGG.
    european = topology.collective("RUEHZL")
    assert european is not None
    assert european.members == (
        Member(ri="RUEHSJ", source="inferred", evidence=1, confidence=0.5, examples=("08LONDON4",)),
    )


def test_the_evidence_behind_each_verdict_is_kept() -> None:
    learned = learn_with_evidence(_unsc_cables())
    assert set(learned.memberships.verdicts) == {"RUEHTRO", "RUEHMO", "RUEHSJ"}
    assert [s.cable for s in learned.memberships.sightings["RUEHTRO"]] == [
        "08TOKYO1",
        "08TOKYO3",
        "08LONDON4",
    ]
    (tripoli,) = [v for v in learned.memberships.verdicts["RUEHTRO"] if v.collective == "RUEHZL"]
    assert not tripoli.member and "RUEHGG (1)" in tripoli.reason
    assert learned.memberships.unknown_relays == {"RUEHWEB": 1}


def test_stations_of_a_known_topology_can_be_members() -> None:
    cables = [
        cable(
            "RUEHKO",
            "AMEMBASSY TOKYO",
            [("RUEHC", "SECSTATE WASHDC")],
            [("RUEHZL", "EUROPEAN POLITICAL COLLECTIVE")],
            relays=("RUEHKW",),
            cable_id="08TOKYO5",
        )
    ]
    assert learn_topology(cables).collective("RUEHZL").members == ()  # type: ignore[union-attr]
    book = Topology([Post(ri="RUEHKW", name="AMCONSUL KRAKOW")])
    learned = learn_topology(cables, book)
    european = learned.collective("RUEHZL")
    assert european is not None and [m.ri for m in european.members] == ["RUEHKW"]
    assert learned.post("RUEHKW") is None  # the book's entries are not copied


def test_learning_is_deterministic_whatever_the_input_order() -> None:
    cables = _unsc_cables()
    forward = learn_topology(cables)
    backward = learn_topology(list(reversed(cables)))
    assert dict(forward.collectives) == dict(backward.collectives)


def test_learning_nothing_gives_an_empty_topology() -> None:
    topology = learn_topology([])
    assert len(topology.posts) == 0 and len(topology.collectives) == 0
    assert topology.declared_link_cps is None
