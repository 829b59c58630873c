"""`cableroute plan`: who each cable should reach, from files and the default topology, no broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.cli import main

CABLE = """\
VZCZCXRO0002
OO RUEHLO
DE RUEHKO #0002 0011200
ZNY CCCCC ZZH
O 011200Z JAN 09
FM AMEMBASSY TOKYO
TO RUEHC/SECSTATE WASHDC NIACT IMMEDIATE 0001
ZEN/AMCONSUL NAHA
INFO RUEHGG/UN SECURITY COUNCIL COLLECTIVE PRIORITY
RUEHFK/AMCONSUL FUKUOKA PRIORITY 0002
RUEHZZZ/NOWHERE STATION
XMT AMEMBASSY PARIS

C O N F I D E N T I A L TOKYO 000002

E.O. 12958: DECL: 01/01/2019
TAGS: PREL
SUBJECT: A TEST CABLE
"""

TOPOLOGY = """\
[[post]]
ri = "RUEHC"
name = "SECSTATE WASHDC"

[[post]]
ri = "RUEHKO"
name = "AMEMBASSY TOKYO"

[[post]]
ri = "RUEHFK"
name = "AMCONSUL FUKUOKA"

[[post]]
ri = "RUEHNH"
name = "AMCONSUL NAHA"

[[post]]
ri = "RUEHLO"
name = "AMEMBASSY LONDON"

[[post]]
ri = "RUEHFR"
name = "AMEMBASSY PARIS"

[[collective]]
ri = "RUEHGG"
name = "UN SECURITY COUNCIL COLLECTIVE"
members = ["RUEHLO", "RUEHFR", "RUEHFK"]
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    cable = tmp_path / "tokyo2.txt"
    cable.write_text(CABLE, encoding="utf-8")
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    return cable, topology


def test_json_has_deliveries_with_reasons_zen_xmt_and_unresolved(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cable, topology = files
    code, out, _ = run(capsys, "plan", str(cable), "--topology", str(topology), "--json")
    assert code == 0
    (line,) = out.splitlines()
    plan = json.loads(line)
    assert plan["id"] == "09TOKYO2"
    deliveries = {d["post"]: d for d in plan["deliveries"]}
    assert list(deliveries) == ["RUEHC", "RUEHLO", "RUEHFK"]
    washington = deliveries["RUEHC"]
    assert washington == {
        "post": "RUEHC",
        "name": "SECSTATE WASHDC",
        "role": "action",
        "precedence": "IMMEDIATE",
        "niact": True,
        "reasons": ["TO RUEHC/SECSTATE WASHDC"],
    }
    assert deliveries["RUEHLO"]["reasons"] == ["INFO via collective RUEHGG/UN SECURITY COUNCIL COLLECTIVE"]
    assert deliveries["RUEHLO"]["precedence"] == "PRIORITY"
    assert deliveries["RUEHFK"]["reasons"] == [
        "INFO via collective RUEHGG/UN SECURITY COUNCIL COLLECTIVE",
        "INFO RUEHFK/AMCONSUL FUKUOKA",
    ]
    assert plan["other_means"] == [{"name": "AMCONSUL NAHA", "ri": None, "role": "action", "post": "RUEHNH"}]
    assert plan["exempted"] == [{"post": "RUEHFR", "name": "AMEMBASSY PARIS", "line": "AMEMBASSY PARIS"}]
    (unresolved,) = plan["unresolved"]
    assert unresolved["ri"] == "RUEHZZZ" and unresolved["role"] == "info"
    assert "unknown routing indicator" in unresolved["reason"]


def test_human_output_puts_names_next_to_codes(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cable, topology = files
    code, out, _ = run(capsys, "plan", str(cable), "--topology", str(topology))
    assert code == 0
    assert out.startswith("09TOKYO2: IMMEDIATE from RUEHKO; 3 deliveries, 1 by other means, 1 exempted")
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("RUEH")}
    assert "AMEMBASSY LONDON" in rows["RUEHLO"] and "via collective RUEHGG" in rows["RUEHLO"]
    assert "NIACT" in out and "yes" in rows["RUEHC"]
    assert "Delivered by other means (ZEN), not sent" in out
    assert "Exempted (XMT)" in out and "Unresolved addressees" in out


def test_without_topology_it_learns_from_the_inputs_over_the_example(
    examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plan", "--json")
    assert code == 0
    plans = {p["id"]: p for p in map(json.loads, out.splitlines())}
    assert set(plans) == {"08TOKYO3100", "08TOKYO3310"}
    tokyo = {d["post"]: d for d in plans["08TOKYO3310"]["deliveries"]}
    assert tokyo["RUEHTRO"]["name"] == "AMEMBASSY TRIPOLI"
    assert tokyo["RUEHTRO"]["reasons"] == ["INFO via collective RUEHGG/UN SECURITY COUNCIL COLLECTIVE"]
    assert "RUEHKO" not in tokyo  # the originator


def test_id_selects_cables_and_an_unknown_id_fails(
    examples_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "plan", str(examples_dir), "--id", "08tokyo3100", "--id", "08NOWHERE1", "--json"
    )
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["08TOKYO3100"]
    assert "no cable 08NOWHERE1" in err


def test_bad_topology_file_is_one_clear_error(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cable, _ = files
    broken = tmp_path / "broken.toml"
    broken.write_text('[[post]]\nri = "nope"\nname = "X"\n', encoding="utf-8")
    code, out, err = run(capsys, "plan", str(cable), "--topology", str(broken))
    assert code == 1 and out == ""
    assert err.startswith("cableroute plan: ") and "broken.toml:2" in err
