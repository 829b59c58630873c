"""Message precedence: the four levels, their prosigns and their order."""

from __future__ import annotations

from enum import StrEnum


class Precedence(StrEnum):
    """A precedence level. Compare levels with `rank` (FLASH is highest)."""

    FLASH = "FLASH"
    IMMEDIATE = "IMMEDIATE"
    PRIORITY = "PRIORITY"
    ROUTINE = "ROUTINE"

    @property
    def rank(self) -> int:
        """3 for FLASH down to 0 for ROUTINE."""
        return RANK[self]

    @property
    def prosign(self) -> str:
        """The single-letter prosign: Z, O, P or R."""
        return _PROSIGN[self]

    @classmethod
    def from_prosign(cls, letter: str) -> Precedence | None:
        """The level for a prosign letter (`Z`, `O`, `P`, `R`), or None."""
        return _BY_PROSIGN.get(letter)


#: Level → rank (3 FLASH … 0 ROUTINE): the one home of the order, as a plain lookup for hot loops.
RANK: dict[Precedence, int] = {
    Precedence.FLASH: 3,
    Precedence.IMMEDIATE: 2,
    Precedence.PRIORITY: 1,
    Precedence.ROUTINE: 0,
}
#: Rank → level, for reading ranks back (stored rows, circuit queues).
LEVEL_BY_RANK: dict[int, Precedence] = {rank: level for level, rank in RANK.items()}
#: The four levels, FLASH first.
LEVELS_HIGH_FIRST: tuple[Precedence, ...] = tuple(sorted(RANK, key=RANK.__getitem__, reverse=True))
_PROSIGN = {
    Precedence.FLASH: "Z",
    Precedence.IMMEDIATE: "O",
    Precedence.PRIORITY: "P",
    Precedence.ROUTINE: "R",
}
_BY_PROSIGN = {letter: level for level, letter in _PROSIGN.items()}

#: Speed-of-service objectives (delivery), in seconds.
SPEED_OF_SERVICE_S: dict[Precedence, int] = {
    Precedence.FLASH: 10 * 60,
    Precedence.IMMEDIATE: 30 * 60,
    Precedence.PRIORITY: 3 * 3600,
    Precedence.ROUTINE: 6 * 3600,
}


def highest(levels: list[Precedence] | tuple[Precedence, ...]) -> Precedence | None:
    """The highest of some levels, or None when there are none."""
    return max(levels, key=lambda level: level.rank, default=None)
