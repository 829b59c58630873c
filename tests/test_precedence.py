from router.precedence import Precedence, highest


def test_levels_are_ordered_flash_first() -> None:
    ranked = sorted(Precedence, key=lambda p: p.rank, reverse=True)
    assert ranked == [
        Precedence.FLASH,
        Precedence.IMMEDIATE,
        Precedence.PRIORITY,
        Precedence.ROUTINE,
    ]


def test_prosigns_round_trip() -> None:
    for level in Precedence:
        assert Precedence.from_prosign(level.prosign) is level
    assert Precedence.from_prosign("X") is None


def test_highest() -> None:
    assert highest([Precedence.ROUTINE, Precedence.IMMEDIATE]) is Precedence.IMMEDIATE
    assert highest([]) is None
