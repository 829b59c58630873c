"""`decode(..., routing_only=True)`, which pass 1 of a run uses, keeps every field that pass 1 keeps.

Pass 1 (`replay.engine.ingest.ingest_chunk`) keeps of a cable only its packed form (`router.compact.pack`),
its row for the audit store (`replay.store.rows.cable_rows`), whether it is a cable at all
(`not_a_cable`), its id (`cable_id_of`) and its replay key (`replay_key`): for the corpus, the seed
cables and a simulated corpus, each must be the same from the routing-only decode as from the full one,
and the cable must differ only in the body fields and header text the routing-only decode leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import msgspec
import pytest

from replay.store.rows import cable_rows
from router.compact import pack
from router.decoder import decode, not_a_cable
from router.model import Cable
from router.order import replay_key
from router.planner import cable_id_of
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology


def _pass_one(cable: Cable) -> tuple[object, ...]:
    """Everything pass 1 keeps of a cable."""
    return (pack(cable), cable_rows([cable]), not_a_cable(cable), cable_id_of(cable), replay_key(cable, 0))


def _with_body_of(routed: Cable, full: Cable) -> Cable:
    """The routing-only cable with the fields it leaves out taken from the full one."""
    return msgspec.structs.replace(
        routed,
        sipdis=full.sipdis,
        declassify=full.declassify,
        tags=full.tags,
        subject=full.subject,
        references=full.references,
        header=full.header,
    )


def _differences(texts: Iterable[tuple[str, str]]) -> list[str]:
    """The sources whose routing-only decode differs from the full one in what pass 1 keeps."""
    differ = []
    for source, text in texts:
        full = decode(text, source)
        routed = decode(text, source, routing_only=True)
        if _pass_one(routed) != _pass_one(full) or _with_body_of(routed, full) != full:
            differ.append(source)
    return differ


def test_routing_only_leaves_the_body_fields_empty(examples_dir: Path) -> None:
    text = (examples_dir / "08TOKYO3310.txt").read_text(encoding="utf-8")
    full, routed = decode(text), decode(text, routing_only=True)
    assert full.tags and full.subject and full.sipdis and full.header
    assert routed.banner == full.banner and routed.id == full.id == "08TOKYO3310"
    assert (routed.tags, routed.subject, routed.references, routed.sipdis, routed.header) == (
        (),
        None,
        (),
        False,
        "",
    )
    assert routed.declassify is None


def test_the_seed_cables_route_the_same(examples_dir: Path) -> None:
    seeds = sorted(examples_dir.glob("*.txt"))
    assert seeds
    assert _differences((path.name, path.read_text(encoding="utf-8")) for path in seeds) == []


def test_a_simulated_corpus_routes_the_same() -> None:
    cables = synth_cables(400, seed=5, topology=synthetic_topology(0))
    assert _differences((cable.id, cable.text) for cable in cables) == []


def test_odd_tops_of_body_route_the_same() -> None:
    header = (
        "VZCZCXRO1\nOO RUEHC\nDE RUEHKO #3310 3390734\nZNY CCCCC ZZH\nO 040734Z DEC 08\nFM AMEMBASSY TOKYO\n"
    )
    header += "TO RUEHC/SECSTATE WASHDC IMMEDIATE 9199\n\n"
    tops = [
        "C O N F I D E N T I A L TOKYO 003310\n",
        "[CONFIDENTIAL](#) TOKYO 003310\n",
        "C O N F I D E N T I A L SECTION 01 OF 02\nTOKYO 003310\n",
        "1. TEXT\nCONFIDENTIAL TOKYO 003310\n",
        "SUBJECT: X\n\nCONFIDENTIAL TOKYO 003310\n",
        "confidential tokyo 003310\n",
        "CONFIDENTIAL - - 003310\n\nSECRET TOKYO 1\n",
        "\n\n \t\r\nUNCLAS STRASSE 12\n",
        "UNCLAS STRAßE 12\n",
        "",
    ]
    texts = [(f"top{n}", header + top) for n, top in enumerate(tops)]
    texts += [(f"bare{n}", top) for n, top in enumerate(tops)]
    assert _differences(texts) == []


@pytest.mark.corpus
def test_the_corpus_routes_the_same(corpus_dir: Path) -> None:
    paths = sorted(corpus_dir.glob("*.txt"))
    texts = ((path.name, path.read_text(encoding="utf-8", errors="replace")) for path in paths)
    assert _differences(texts) == []
