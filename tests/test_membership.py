"""Membership inference per relay: forced choices, the greedy cover, ambiguity, pruning, reasons."""

from __future__ import annotations

from router.membership import Sighting, assign


def sightings(*sets: tuple[str, ...], origin: str = "RUEHKO") -> list[Sighting]:
    return [
        Sighting(cable=f"08TEST{i}", origin=origin, collectives=tuple(sorted(s))) for i, s in enumerate(sets)
    ]


def members(
    relay: str, found: list[Sighting], exposure: dict[str, int] | None = None
) -> dict[str, tuple[str, ...]]:
    return {v.collective: v.ambiguous_with for v in assign(relay, found, exposure) if v.member}


def test_the_collective_common_to_every_sighting_is_chosen() -> None:
    found = sightings(("RUEHGG", "RUCNFUR", "RUCNUNP"), ("RUEHGG", "RUEHOO"))
    assert members("RUEHTRO", found) == {"RUEHGG": ()}


def test_a_sighting_naming_one_collective_forces_it() -> None:
    found = sightings(("RUEHZL",), ("RUEHZL",), ("RUEHXK", "RUEHZL"), ("RUCNMEM",))
    verdicts = {v.collective: v for v in assign("RUEHKW", found)}
    assert {c for c, v in verdicts.items() if v.member} == {"RUEHZL", "RUCNMEM"}
    zl = verdicts["RUEHZL"]
    assert (zl.cables, zl.alone, zl.explained, zl.origins) == (3, 2, 3, 1)
    assert zl.confidence == 0.875
    assert zl.examples == ("08TEST0", "08TEST1", "08TEST2")
    assert verdicts["RUCNMEM"].confidence == 0.5
    other = verdicts["RUEHXK"]
    assert not other.member and other.cables == 1 and other.explained == 0
    assert "RUEHZL (1)" in other.reason


def test_collectives_that_explain_the_same_cables_are_all_kept_and_marked_ambiguous() -> None:
    found = sightings(("RUEHOO", "RUEHWH"), ("RUEHOO", "RUEHWH"))
    verdicts = {v.collective: v for v in assign("RUEHVC", found)}
    assert members("RUEHVC", found) == {"RUEHOO": ("RUEHWH",), "RUEHWH": ("RUEHOO",)}
    assert verdicts["RUEHOO"].confidence == 0.375  # (1 - 1/4) / 2
    assert "ambiguous" in verdicts["RUEHOO"].reason


def test_a_member_whose_cables_others_explain_is_dropped_again() -> None:
    # A ties with D and E on two cables each and wins on its key; D and E are then forced by their
    # own cables, which leaves A explaining nothing on its own.
    found = sightings(("A", "D"), ("A", "E"), ("D",), ("E",))
    assert members("RUEHXX", found) == {"D": (), "E": ()}


def test_cables_naming_no_collective_explain_nothing() -> None:
    assert assign("RUEHXX", sightings((), ())) == []


def test_verdicts_do_not_depend_on_the_order_of_the_cables() -> None:
    found = sightings(("RUEHZL",), ("RUEHGG", "RUEHZL"), ("RUEHGG", "RUCNIRA"), ("RUCNIRA",), ("RUEHGG",))
    assert assign("RUEHTRO", found) == assign("RUEHTRO", list(reversed(found)))


def test_among_collectives_explaining_the_same_cables_a_clearly_likelier_one_is_chosen() -> None:
    found = sightings(("RUCNSTF", "RUEHZL"))
    verdicts = {v.collective: v for v in assign("RUEHTRO", found, {"RUCNSTF": 6, "RUEHZL": 1200})}
    assert verdicts["RUCNSTF"].member and verdicts["RUCNSTF"].ambiguous_with == ()
    assert verdicts["RUCNSTF"].confidence == 0.5
    assert "1 of the 6 XRO copies naming RUCNSTF" in verdicts["RUCNSTF"].reason
    assert not verdicts["RUEHZL"].member


def test_collectives_with_similar_shares_stay_ambiguous() -> None:
    found = sightings(("RUEHOO", "RUEHWH"), ("RUEHOO", "RUEHWH"))
    assert members("RUEHVC", found, {"RUEHOO": 10, "RUEHWH": 15}) == {
        "RUEHOO": ("RUEHWH",),
        "RUEHWH": ("RUEHOO",),
    }
