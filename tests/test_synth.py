"""Synthetic corpora: variety of header forms, determinism, and a round trip through the decoder."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from replay.cli import main
from replay.cli.synth import write_csv, write_directory
from replay.inputs.corpus import CableText, iter_sources
from router.decoder import decode
from router.planner import plan
from router.synth.corpus import SynthCable, origin_label, published_id, station_name, synth_cables
from router.synth.topology import synthetic_topology
from topology.files import bundled_example, load_topology
from topology.topology import Topology


@pytest.fixture(scope="module")
def invented() -> Topology:
    return synthetic_topology(0)


@pytest.fixture(scope="module")
def corpus(invented: Topology) -> list[SynthCable]:
    return list(synth_cables(1500, seed=7, topology=invented))


def _addressees(cable: object) -> dict[str, list[tuple[str | None, str, str | None, bool]]]:
    return {
        kind: [(a.ri, a.name, a.office, a.zen) for a in getattr(cable, kind)]
        for kind in ("to", "info", "xmt")
    }


def test_same_seed_same_corpus_other_seed_other_corpus(invented: Topology) -> None:
    first = [c.text for c in synth_cables(50, seed=3, topology=invented)]
    again = [c.text for c in synth_cables(50, seed=3, topology=invented)]
    other = [c.text for c in synth_cables(50, seed=4, topology=invented)]
    assert first == again
    assert first != other


def test_ids_are_unique_and_follow_the_banner(corpus: list[SynthCable]) -> None:
    assert len({c.id for c in corpus}) == len(corpus)
    for cable in corpus[:200]:
        banner = next(line for line in cable.body.splitlines() if re.search(r"\d{6}\s*$", line))
        serial = int(banner.split()[-1])
        efto = "EFTO" if banner.startswith("UNCLAS E F T O ") and "SECTION" not in banner else ""
        assert cable.id == f"{cable.dtg:%y}{efto}{station_name(cable.origin).replace(' ', '')}{serial}"


def test_one_section_efto_cables_are_published_with_efto_in_the_id() -> None:
    assert published_id("08LONDON2883", "UNCLAS E F T O", 1) == "08EFTOLONDON2883"
    assert published_id("08LONDON2622", "UNCLAS E F T O", 8) == "08LONDON2622"
    assert published_id("08TOKYO3310", "CONFIDENTIAL", 1) == "08TOKYO3310"


def test_cables_come_in_time_order(corpus: list[SynthCable]) -> None:
    times = [c.dtg for c in corpus]
    assert times == sorted(times)


def test_header_variants_all_occur(corpus: list[SynthCable]) -> None:
    seen: Counter[str] = Counter()
    for cable in corpus:
        header = cable.header
        first = header.splitlines()[0]
        seen["xro"] += first.startswith("VZCZCXRO")
        seen["xyz"] += first.startswith("VZCZCXYZ") and "\n\nDE " in header
        seen["other channel"] += first.startswith("VZCZC") and first[5:8] not in ("XRO", "XYZ")
        seen["starts at FL5"] += bool(re.match(r"[ZOPR]( [ZOPR])? \d{6}Z [A-Z]{3} \d\d", first))
        seen["dual precedence"] += bool(re.search(r"^[ZOP] [OPR] \d{6}Z", header, re.M))
        seen["zen"] += "ZEN/" in header
        seen["xmt"] += "\nXMT " in header
        seen["niact"] += "NIACT IMMEDIATE" in header
        seen["office symbol"] += bool(re.search(r"//[^/\n]+//", header))
        seen["mcn range"] += bool(re.search(r" \d{4}-\d{4}$", header, re.M))
        seen["sections"] += bool(re.search(r"^DE \S+ #\d{4}/01 ", header, re.M))
        seen["collective"] += "COLLECTIVE" in header or "ALL DIPLOMATIC" in header
        seen["plain PLAD"] += bool(re.search(r"^(TO|INFO) [A-Z]+ [A-Z]", header, re.M))
        seen["fl5 signal"] += bool(re.search(r"\d{6}Z [A-Z]{3} \d\d (ZDK|ZFF4|ZDS)$", header, re.M))
    for variant in (
        "xro",
        "xyz",
        "other channel",
        "starts at FL5",
        "dual precedence",
        "zen",
        "xmt",
        "niact",
        "office symbol",
        "mcn range",
        "sections",
        "collective",
        "plain PLAD",
        "fl5 signal",
    ):
        assert seen[variant] > 0, variant


def test_bodies_carry_banner_tags_and_subject(corpus: list[SynthCable]) -> None:
    for cable in corpus[:100]:
        assert "\nTAGS: " in cable.body
        assert "\nSUBJECT: " in cable.body
        assert "E.O. 12958: " in cable.body


def _efto(cable: SynthCable) -> bool:
    """Unclassified EFTO traffic, whose banner reads `UNCLAS E F T O ORIGIN SERIAL`."""
    return cable.body.startswith("UNCLAS E F T O ")


def test_round_trip_through_the_decoder(corpus: list[SynthCable], invented: Topology) -> None:
    for cable in corpus:
        decoded = decode(cable.text, f"{cable.id}.txt")
        assert decoded.id == cable.id, cable.header
        assert _addressees(decoded) == _addressees(cable), cable.header
        assert plan(decoded, invented).unresolved == ()


def test_round_trip_of_efto_banners(corpus: list[SynthCable]) -> None:
    efto = [cable for cable in corpus if _efto(cable)]
    assert any("SECTION" in cable.body.split("\n", 1)[0] for cable in efto)
    assert any("EFTO" in cable.id for cable in efto)
    assert [decode(cable.text).id for cable in efto] == [cable.id for cable in efto]


def test_round_trip_with_the_bundled_example() -> None:
    topology = bundled_example()
    for cable in synth_cables(300, seed=11, topology=topology):
        decoded = decode(cable.text)
        assert decoded.id == cable.id, cable.header
        assert _addressees(decoded) == _addressees(cable), cable.header
        assert plan(decoded, topology).unresolved == ()


def test_csv_layout_reads_back(tmp_path: Path, invented: Topology) -> None:
    cables = list(synth_cables(40, seed=2, topology=invented))
    path = tmp_path / "corpus.csv"
    assert write_csv(cables, path) == 40
    items = list(iter_sources([str(path)]))
    assert all(isinstance(item, CableText) for item in items)
    assert [item.text for item in items if isinstance(item, CableText)] == [c.text for c in cables]
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [len(row) for row in rows] == [8] * 40
    assert rows[0][0] == "1"
    assert rows[0][2] == cables[0].id
    assert rows[0][3] == cables[0].origin_label


def test_directory_layout(tmp_path: Path, invented: Topology) -> None:
    cables = list(synth_cables(12, seed=2, topology=invented))
    assert write_directory(cables, tmp_path / "out") == 12
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.txt")) == sorted(c.id for c in cables)


def test_origin_labels() -> None:
    assert origin_label("AMEMBASSY TOKYO") == "Embassy Tokyo"
    assert origin_label("SECSTATE WASHDC") == "Secretary of State"
    assert station_name("USMISSION USUN NEW YORK") == "USUN NEW YORK"


def test_invented_topology_is_a_few_hundred_posts(invented: Topology) -> None:
    assert 200 <= len(invented.posts) <= 400
    assert len(invented.collectives) >= 10
    assert all(c.members for c in invented.collectives.values())


def test_synth_command_writes_corpus_and_topology(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    toml = tmp_path / "t.toml"
    code = main(
        [
            "synth",
            "--count",
            "25",
            "--seed",
            "5",
            "--synthetic-topology",
            "--topology-out",
            str(toml),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert len(list(iter_sources([str(out)]))) == 25
    assert set(load_topology([toml]).posts) == set(synthetic_topology(5).posts)


def test_synth_command_usage_errors(tmp_path: Path) -> None:
    assert main(["synth", "--count", "-1", "-o", str(tmp_path / "x")]) == 2
    missing = tmp_path / "missing.toml"
    assert main(["synth", "--count", "1", "--topology", str(missing), "-o", str(tmp_path / "x")]) == 1
