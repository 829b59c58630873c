"""`cableroute topology ...` end to end on the bundled example cables and small hand-made files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.cli import main
from topology.files import parse_topology, read_topology
from topology.model import Collective


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


TRIPOLI_CABLE = """\
VZCZCXRO0001
PP RUEHC
DE RUEHTRO #0001 0011200
ZNY CCCCC ZZH
P 011200Z JAN 09
FM AMEMBASSY TRIPOLI
TO RUEHC/SECSTATE WASHDC PRIORITY 0001

C O N F I D E N T I A L TRIPOLI 000001

E.O. 12958: DECL: 01/01/2019
TAGS: PREL
SUBJECT: A TEST CABLE
"""


def test_learn_writes_a_topology_file(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "learned.toml"
    code, _, err = run(capsys, "topology", "learn", str(examples_dir), "-o", str(output))
    assert code == 0
    assert "from 2 cables" in err
    topology = read_topology(output)
    tokyo = topology.post("RUEHKO")
    assert tokyo is not None and tokyo.name == "AMEMBASSY TOKYO"
    unsc = topology.collective("RUEHGG")
    assert unsc is not None and unsc.members == ()


def test_learn_infers_members_once_the_relay_is_a_known_station(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tripoli = tmp_path / "09TRIPOLI1.txt"
    tripoli.write_text(TRIPOLI_CABLE, encoding="utf-8")
    output = tmp_path / "learned.toml"
    code, _, _ = run(capsys, "topology", "learn", str(examples_dir), str(tripoli), "-o", str(output))
    assert code == 0
    unsc = read_topology(output).collective("RUEHGG")
    assert unsc is not None
    assert [(m.ri, m.source, m.evidence) for m in unsc.members] == [("RUEHTRO", "inferred", 1)]


def test_learn_reports_unreadable_input_and_still_writes(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "learned.toml"
    missing = tmp_path / "missing.txt"
    code, _, err = run(capsys, "topology", "learn", str(examples_dir), str(missing), "-o", str(output))
    assert code == 1
    assert f"cannot read {missing}" in err
    assert read_topology(output).post("RUEHC") is not None


def test_import_writes_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.json"
    rows = [{"ri": "RUEHKO", "ri_range_end": None, "name": "AMEMBASSY TOKYO"}, {"ri": "x", "name": "BAD"}]
    book.write_text(json.dumps({"rows": rows}), encoding="utf-8")
    output = tmp_path / "book.toml"
    code, _, err = run(capsys, "topology", "import", str(book), "-o", str(output))
    assert code == 0
    assert "skipped" in err and "row 2" in err
    assert read_topology(output).post("RUEHKO") is not None


def test_import_of_a_broken_book_fails_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.json"
    book.write_text("[\n{", encoding="utf-8")
    code, _, err = run(capsys, "topology", "import", str(book), "-o", str(tmp_path / "out.toml"))
    assert code == 1
    assert f"{book}:2: invalid JSON" in err
    assert not (tmp_path / "out.toml").exists()


def test_show_post_by_ri_and_collective_by_plad(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "show", "RUEHFK")
    assert code == 0
    assert out.startswith("RUEHFK  AMCONSUL FUKUOKA")
    code, out, _ = run(capsys, "topology", "show", "UN SECURITY COUNCIL", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["type"] == "collective" and shown["ri"] == "RUEHGG"
    tripoli = {
        "ri": "RUEHTRO",
        "source": "declared",
        "evidence": 0,
        "confidence": None,
        "ambiguous_with": [],
        "examples": [],
        "name": "AMEMBASSY TRIPOLI",
    }
    assert tripoli in shown["members"]


def test_show_post_lists_memberships_and_link_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "rates.toml"
    extra.write_text(
        '[topology]\ndefault_link_cps = 50\n[[post]]\nri = "RUEHTRO"\nname = "AMEMBASSY TRIPOLI"\n'
    )
    code, out, _ = run(capsys, "topology", "show", "RUEHTRO", "--topology", str(extra), "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["effective_link_cps"] == 50.0
    assert shown["member_of"] == []


def test_show_unknown_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "topology", "show", "RUEHZZ", "--json")
    assert code == 1
    assert json.loads(out) == {"type": "unresolved", "query": "RUEHZZ"}
    assert "not in the topology" in err


def test_show_with_malformed_topology_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[[post]]\nri = "RUEHKO"\nname = \n', encoding="utf-8")
    code, _, err = run(capsys, "topology", "show", "RUEHKO", "--topology", str(broken))
    assert code == 1
    assert f"{broken}:3: invalid TOML" in err


def test_resolve_parses_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "resolve", "RUEHFK/AMCONSUL FUKUOKA PRIORITY 1253", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["addressee"]["ri"] == "RUEHFK"
    assert result["addressee"]["mcn"] == "1253"
    assert result["addressee"]["precedence_stated"] == "PRIORITY"
    assert result["resolved"]["ri"] == "RUEHFK"


def test_resolve_plain_plad_with_keyword_and_office(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "resolve", "TO DEPT OF STATE WASHINGTON DC//EAP-J// IMMEDIATE")
    assert code == 0
    assert "RUEHC  SECSTATE WASHDC" in out
    assert "office EAP-J" in out


def test_resolve_unknown_and_empty(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "resolve", "RUEHZZ/AMEMBASSY NOWHERE 0001")
    assert code == 1
    assert "unresolved: unknown routing indicator and PLAD" in out
    code, _, err = run(capsys, "topology", "resolve", "   ")
    assert code == 1
    assert "no addressee" in err


def test_coverage_of_the_seeds_with_the_default_topology(
    examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "topology", "coverage", str(examples_dir), "--json")
    assert code == 0
    result = json.loads(out)
    assert result == {
        "addressees": 10,
        "resolved": 10,
        "collectives": 1,
        "unresolved": 0,
        "ratio": 1.0,
        "top_unresolved": [],
    }


def test_coverage_lists_unresolved_by_frequency(
    tmp_path: Path, examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small.toml"
    small.write_text('[[post]]\nri = "RUEHC"\nname = "SECSTATE WASHDC"\n', encoding="utf-8")
    code, out, _ = run(capsys, "topology", "coverage", str(examples_dir), "--topology", str(small), "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["addressees"], result["resolved"], result["unresolved"]) == (10, 2, 8)
    assert result["ratio"] == pytest.approx(0.2)
    first = result["top_unresolved"][0]
    assert (first["ri"], first["name"], first["count"]) == ("RUCNDT", "USMISSION USUN NEW YORK", 2)
    code, out, _ = run(capsys, "topology", "coverage", str(examples_dir), "--topology", str(small))
    assert "2 resolved (20.00%)" in out and "RUCNDT/USMISSION USUN NEW YORK" in out


def test_topology_without_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "topology")
    assert code == 2
    assert "SUBCOMMAND" in err


def test_collective_resolution_from_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "resolve", "INFO RUEHGG/UN SECURITY COUNCIL PRIORITY", "--json")
    assert code == 0
    resolved = json.loads(out)["resolved"]
    assert resolved["type"] == "collective" and resolved["ri"] == "RUEHGG"
    assert not isinstance(resolved, Collective)


def test_learn_without_output_prints_toml(examples_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "topology", "learn", str(examples_dir))
    assert code == 0
    assert out.startswith("# cableroute topology: learned from 2 cables")
    assert parse_topology(out).post("RUEHNH") is not None


KRAKOW_CABLES = [
    (
        "08WARSAW1.txt",
        "VZCZCXRO0001\nRR RUEHKW RUEHROV\nDE RUEHWR #0001 0011200\nZNR UUUUU ZZH\nR 011200Z JAN 08\n"
        "FM AMEMBASSY WARSAW\nTO RUEHC/SECSTATE WASHDC 0001\nINFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n\n"
        "UNCLAS WARSAW 000001\n",
    ),
    (
        "08WARSAW2.txt",
        "VZCZCXRO0002\nRR RUEHKW\nDE RUEHWR #0002 0021200\nZNR UUUUU ZZH\nR 021200Z JAN 08\n"
        "FM AMEMBASSY WARSAW\nTO RUEHC/SECSTATE WASHDC 0002\nINFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
        "RUCNMEM/EU MEMBER STATES COLLECTIVE\n\nUNCLAS WARSAW 000002\n",
    ),
]

BOOK = '[[post]]\nri = "RUEHKW"\nname = "AMCONSUL KRAKOW"\n'


@pytest.fixture
def krakow(tmp_path: Path) -> tuple[Path, Path]:
    """Two Warsaw cables whose relay RUEHKW only a book knows, and that book."""
    cables = tmp_path / "cables"
    cables.mkdir()
    for name, text in KRAKOW_CABLES:
        (cables / name).write_text(text, encoding="utf-8")
    book = tmp_path / "book.toml"
    book.write_text(BOOK, encoding="utf-8")
    return cables, book


def test_learn_with_a_book_counts_its_posts_as_known_stations(
    krakow: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cables, book = krakow
    plain, with_book = tmp_path / "plain.toml", tmp_path / "learned.toml"
    assert run(capsys, "topology", "learn", str(cables), "-o", str(plain))[0] == 0
    assert read_topology(plain).collective("RUEHZL").members == ()  # type: ignore[union-attr]
    code, _, err = run(
        capsys, "topology", "learn", str(cables), "--topology", str(book), "-o", str(with_book)
    )
    assert code == 0 and "1 inferred members, 0 ambiguous" in err
    text = with_book.read_text(encoding="utf-8")
    assert "known stations also from" in text
    european = read_topology(with_book).collective("RUEHZL")
    assert european is not None
    (member,) = european.members
    assert (member.ri, member.evidence, member.confidence, member.examples) == (
        "RUEHKW",
        2,
        0.75,
        ("08WARSAW1", "08WARSAW2"),
    )
    code, out, _ = run(
        capsys, "topology", "show", "RUEHZL", "--topology", str(book), "--topology", str(with_book)
    )
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("RUEHKW"))
    assert "AMCONSUL KRAKOW" in row and "inferred" in row and "0.75" in row and "08WARSAW1 08WARSAW2" in row


def test_explain_gives_the_verdict_for_every_collective_seen_with_the_station(
    krakow: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cables, book = krakow
    code, out, _ = run(
        capsys, "topology", "explain", "RUEHKW", str(cables), "--topology", str(book), "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["name"] == "AMCONSUL KRAKOW" and result["sightings"] == 2
    verdicts = {v["collective"]: v for v in result["verdicts"]}
    assert verdicts["RUEHZL"]["member"] and verdicts["RUEHZL"]["cables"] == 2
    assert not verdicts["RUCNMEM"]["member"]
    assert "RUEHZL (1)" in verdicts["RUCNMEM"]["reason"]
    code, out, _ = run(capsys, "topology", "explain", "rueHKW", str(cables), "--topology", str(book))
    assert code == 0
    assert out.startswith("RUEHKW AMCONSUL KRAKOW: an unexplained FL2 relay in 2 XRO copies")
    assert "not a member" in out and "why:" in out


def test_explain_without_the_book_says_the_relay_is_no_known_station(
    krakow: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cables, _ = krakow
    code, out, _ = run(capsys, "topology", "explain", "RUEHKW", str(cables))
    assert code == 0
    assert "no layer knows it as a station" in out
    code, out, _ = run(capsys, "topology", "explain", "RUEHC", str(cables))
    assert code == 1 and "nothing to infer" in out
    assert run(capsys, "topology", "explain", "not-an-ri", str(cables))[0] == 2
