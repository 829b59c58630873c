"""The two bundled seed cables, decoded field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from router.decoder import decode
from router.precedence import Precedence


def _seed(examples_dir: Path, name: str) -> str:
    return (examples_dir / f"{name}.txt").read_text(encoding="utf-8")


def test_tokyo_3310_header(examples_dir: Path) -> None:
    cable = decode(_seed(examples_dir, "08TOKYO3310"), "08TOKYO3310.txt")
    assert cable.id == "08TOKYO3310"
    assert cable.header_lines == 14
    assert cable.transmission is not None and (cable.transmission.channel, cable.transmission.serial) == (
        "XRO",
        8162,
    )
    assert cable.routing is not None and cable.routing.precedence is Precedence.IMMEDIATE
    assert cable.routing.relays == ("RUEHTRO",)
    assert cable.station is not None and (cable.station.ri, cable.station.ssn) == ("RUEHKO", 3310)
    assert cable.station.filed == datetime(2008, 12, 4, 7, 34, tzinfo=UTC)
    assert cable.security is not None and cable.security.classification == "CONFIDENTIAL"
    assert cable.dtg == datetime(2008, 12, 4, 7, 34, tzinfo=UTC)
    assert cable.from_ == "AMEMBASSY TOKYO"
    assert [a.ri for a in cable.to] == ["RUEHC"]
    assert cable.to[0].mcn == "9199" and cable.to[0].precedence is Precedence.IMMEDIATE
    assert [a.ri for a in cable.info] == [
        "RUEHGG",
        "RUEHFK",
        "RUEHNH",
        "RUEHOK",
        "RUEHKSO",
        "RUEHGV",
        "RUCNDT",
    ]
    assert cable.info[0].mcn is None
    assert cable.banner is not None and cable.banner.origin == "TOKYO" and cable.banner.mrn == "003310"
    assert cable.sipdis and cable.declassify == date(2018, 12, 2)
    assert cable.tags == ("AORC", "PREL", "UNGA", "JA")
    assert cable.subject == "JAPAN REAFFIRMS UNSC GOALS"
    assert not cable.has_errors


def test_tokyo_3100_reads_through_markdown(examples_dir: Path) -> None:
    cable = decode(_seed(examples_dir, "08TOKYO3100"))
    assert cable.id == "08TOKYO3100"
    assert cable.header_lines == 11
    assert cable.transmission is not None and cable.transmission.channel == "XYZ"
    assert cable.tags == ("PHUM", "PREL", "UNGA", "IR", "BM", "KN", "JA")
    assert cable.references == ("08STATE117889",)
    info = cable.info[0]
    assert info.ri == "RUCNDT" and info.precedence_stated is None and info.precedence is Precedence.PRIORITY
    assert cable.banner is not None and cable.banner.classification == "CONFIDENTIAL"
