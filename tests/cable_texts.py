"""Small hand-written cables for replay tests (imitating the real line forms, no corpus text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from replay.inputs.corpus import CableText
from topology.model import Post
from topology.topology import Topology

ORIGIN = ("RUEHKO", "AMEMBASSY TOKYO")
ACTION = ("RUEHC", "SECSTATE WASHDC")
INFO = (
    ("RUEHFK", "AMCONSUL FUKUOKA"),
    ("RUEHOK", "AMCONSUL OSAKA KOBE"),
    ("RUEHNH", "AMCONSUL NAHA"),
    ("RUEHKSO", "AMCONSUL SAPPORO"),
)
_PROSIGN = {"FLASH": "Z", "IMMEDIATE": "O", "PRIORITY": "P", "ROUTINE": "R"}


def cable_text(serial: int, filed: datetime, precedence: str = "PRIORITY", body_lines: int = 20) -> str:
    """One cable from Tokyo to the Department with four consulates for information."""
    letter = _PROSIGN[precedence]
    word = "" if precedence == "ROUTINE" else f" {precedence}"
    day = filed.timetuple().tm_yday
    lines = [
        f"VZCZCXRO{serial % 10_000:04d}",
        f"{letter}{letter} RUEHC",
        f"DE RUEHKO #{serial % 10_000:04d} {day:03d}{filed:%H%M}",
        "ZNR UUUUU ZZH",
        f"{letter} {filed:%d%H%M}Z {filed:%b %y}".upper(),
        f"FM {ORIGIN[1]}",
        f"TO {ACTION[0]}/{ACTION[1]}{word} {1000 + serial}",
        f"INFO {INFO[0][0]}/{INFO[0][1]}{word}",
        *(f"{ri}/{name}{word}" for ri, name in INFO[1:]),
        "",
        f"UNCLAS TOKYO {serial:06d}",
        "",
        "E.O. 12958: N/A",
        "TAGS: PREL JA",
        f"SUBJECT: TEST TRAFFIC NUMBER {serial}",
        "",
        *(
            f"{n}. (U) A line of plain text that stands in for the body of the cable."
            for n in range(body_lines)
        ),
    ]
    return "\n".join(lines) + "\n"


def cable_texts(count: int, start: datetime | None = None, step_s: float = 60.0) -> list[CableText]:
    """`count` cables filed `step_s` apart, precedence cycling through the four levels."""
    start = start or datetime(2008, 12, 4, 7, 0, tzinfo=UTC)
    levels = ("ROUTINE", "PRIORITY", "IMMEDIATE", "PRIORITY")
    return [
        CableText(
            source=f"test-{serial}.txt",
            text=cable_text(serial, start + timedelta(seconds=step_s * index), levels[index % 4]),
        )
        for index, serial in enumerate(range(100, 100 + count))
    ]


def post_names() -> dict[str, str]:
    """RI -> PLAD of every post the test cables name."""
    return dict((ORIGIN, ACTION, *INFO))


def small_topology(link_cps: float = 1_000_000.0) -> Topology:
    """The posts of the test cables, with fast links unless told otherwise."""
    return Topology([Post(ri=ri, name=name) for ri, name in post_names().items()], default_link_cps=link_cps)


def circular_texts(count: int, collective: tuple[str, str], start: datetime | None = None) -> list[CableText]:
    """`count` ROUTINE cables from the Department to one collective (RI, PLAD), filed a minute apart."""
    start = start or datetime(2008, 12, 4, 7, 0, tzinfo=UTC)
    texts = []
    for index, serial in enumerate(range(500, 500 + count)):
        filed = start + timedelta(minutes=index)
        lines = [
            f"VZCZCXYZ{serial:04d}",
            f"RR {collective[0]}",
            f"DE RUEHC #{serial:04d} {filed.timetuple().tm_yday:03d}{filed:%H%M}",
            "ZNR UUUUU ZZH",
            f"R {filed:%d%H%M}Z {filed:%b %y}".upper(),
            "FM SECSTATE WASHDC",
            f"TO {collective[0]}/{collective[1]}",
            "",
            f"UNCLAS STATE {serial:06d}",
            "",
            "E.O. 12958: N/A",
            "TAGS: AMGT",
            f"SUBJECT: CIRCULAR NUMBER {serial}",
            "",
            *(f"{n}. (U) A line of plain text that stands in for the body of the cable." for n in range(10)),
        ]
        texts.append(CableText(source=f"circular-{serial}.txt", text="\n".join(lines) + "\n"))
    return texts
