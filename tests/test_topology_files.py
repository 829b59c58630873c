"""Topology files: reading, writing, layering, errors that name file and line, the bundled example."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from topology.files import (
    TopologyFileError,
    bundled_example,
    dump_topology,
    load_topology,
    parse_topology,
    read_topology,
    toml_string,
)
from topology.model import Collective, Member, Post
from topology.topology import Topology

BASE = """\
[topology]
default_link_cps = 75.0

[[post]]
ri = "RUEHKO"
name = "AMEMBASSY TOKYO"
kind = "embassy"

[[collective]]
ri = "RUEHGG"
name = "UN SECURITY COUNCIL"
members = ["RUEHTRO"]
"""

TOP = """\
[[post]]
ri = "RUEHKO"
name = "AMEMBASSY TOKYO"
aliases = ["EMBASSY OF THE UNITED STATES TOKYO"]
link_cps = 1200

[[collective]]
ri = "RUEHGG"
members = [{ ri = "RUEHBJ", source = "inferred", evidence = 2 }]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_layers_files_later_winning(tmp_path: Path) -> None:
    topology = load_topology([write(tmp_path / "base.toml", BASE), write(tmp_path / "top.toml", TOP)])
    tokyo = topology.post("RUEHKO")
    assert tokyo is not None
    assert tokyo.kind == "embassy"
    assert tokyo.link_cps == 1200.0
    assert tokyo.aliases == ("EMBASSY OF THE UNITED STATES TOKYO",)
    assert topology.default_link_cps == 75.0
    members = {m.ri: m for m in topology.collectives["RUEHGG"].members}
    assert members["RUEHTRO"].source == "declared"
    assert members["RUEHBJ"] == Member(ri="RUEHBJ", source="inferred", evidence=2)
    assert topology.collectives["RUEHGG"].name == "UN SECURITY COUNCIL"


def test_no_files_is_an_empty_topology() -> None:
    assert len(load_topology([]).posts) == 0


def test_round_trip_keeps_everything() -> None:
    topology = Topology(
        [
            Post(ri="RUEHKO", name="AMEMBASSY TOKYO", aliases=("EMB TOKYO",), kind="embassy", link_cps=2.5),
            Post(ri="RUCOBRA", ri_range_end="RUCOBRZ", name="NCTAMS LANT NORFOLK VA", kind="military"),
        ],
        [
            Collective(
                ri="RUEHGG",
                name="UN SECURITY COUNCIL",
                aliases=("UNSC",),
                members=(
                    Member(ri="RUEHTRO"),
                    Member(ri="RUEHBJ", source="inferred", evidence=7),
                    Member(
                        ri="RUEHDH",
                        source="inferred",
                        evidence=2,
                        confidence=0.167,
                        ambiguous_with=("RUEHYY", "RUEHZL"),
                        examples=("09PARIS1355",),
                    ),
                ),
            ),
            Collective(name="ALL DIPLOMATIC AND CONSULAR POSTS"),
        ],
        default_link_cps=110.0,
    )
    again = parse_topology(dump_topology(topology, "a comment\nover two lines"))
    assert dict(again.posts) == dict(topology.posts)
    assert dict(again.collectives) == dict(topology.collectives)
    assert again.declared_link_cps == 110.0


def test_dump_leaves_the_default_open_when_not_set() -> None:
    text = dump_topology(Topology([Post(ri="RUEHKO", name="AMEMBASSY TOKYO")]))
    assert "[topology]" not in text
    assert parse_topology(text).declared_link_cps is None


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s))
def test_any_name_survives_writing(name: str) -> None:
    topology = Topology([Post(ri="RUEHKO", name=name)])
    post = parse_topology(dump_topology(topology)).post("RUEHKO")
    assert post is not None and post.name == name


@given(st.text(max_size=30))
def test_toml_string_is_read_back_verbatim(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", '[[post]]\nri = "RUEHKO"\nname = "AMEMBASSY TOKYO\n')
    with pytest.raises(TopologyFileError) as caught:
        read_topology(path)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: invalid TOML")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[post]]\nri = "RUEHKO"\nname = "A"\nkind = "embasy"\n', 4, "kind must be one of"),
        ('\n\n[[post]]\nname = "A"\nri = "12"\n', 5, "routing indicator"),
        ('[[post]]\nri = "RUEHKO"\n', 1, "needs `ri` and `name`"),
        ('[[post]]\nri = "RUEHKO"\nname = "A"\nalias = ["B"]\n', 4, "unknown key"),
        ('[[post]]\nri = "RUEHKO"\nname = "A"\nlink_cps = -1\n', 4, "positive number"),
        ('[[post]]\nri = "RUEHKO"\nname = "A"\n\n[[collective]]\nmembers = ["RUEHKO"]\n', 5, "needs `ri`"),
        ('[[collective]]\nri = "RUEHGG"\nmembers = [{ ri = "RUEHKO", source = "rumour" }]\n', 3, "source"),
        ('[[collective]]\nri = "RUEHGG"\nmembers = [{ ri = "RUEHKO", confidence = 2 }]\n', 3, "confidence"),
        ('[[collective]]\nri = "RUEHGG"\nmembers = [{ ri = "RUEHKO", examples = "X" }]\n', 3, "examples"),
        (
            '[[collective]]\nri = "RUEHGG"\nmembers = [{ ri = "RUEHKO", ambiguous_with = [1] }]\n',
            3,
            "ambiguous",
        ),
        ('[topology]\ndefault_link_cps = "fast"\n', None, "default_link_cps"),
        ("posts = 3\n", None, "unknown top-level"),
    ],
)
def test_bad_entries_name_file_line_and_problem(text: str, line: int | None, words: str) -> None:
    with pytest.raises(TopologyFileError) as caught:
        parse_topology(text, "mine.toml")
    assert caught.value.source == "mine.toml"
    assert caught.value.line == line
    assert words in str(caught.value)


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TopologyFileError, match="cannot read"):
        read_topology(tmp_path / "missing.toml")


def test_bundled_example_covers_the_seed_cables() -> None:
    example = bundled_example()
    expected = {
        "RUEHKO": "AMEMBASSY TOKYO",
        "RUEHC": "SECSTATE WASHDC",
        "RUEHFK": "AMCONSUL FUKUOKA",
        "RUEHNH": "AMCONSUL NAHA",
        "RUEHOK": "AMCONSUL OSAKA KOBE",
        "RUEHKSO": "AMCONSUL SAPPORO",
        "RUEHGV": "USMISSION GENEVA",
        "RUCNDT": "USMISSION USUN NEW YORK",
    }
    for ri, name in expected.items():
        post = example.post(ri)
        assert post is not None and post.name == name
    unsc = example.collective("RUEHGG")
    assert unsc is not None
    members = {m.ri for m in unsc.members}
    assert {"RUEHTRO", "RUEHBJ", "RUEHFR", "RUEHMO", "RUEHLO"} <= members
    assert all(m.source == "declared" for m in unsc.members)
    assert all(example.post(ri) is not None for ri in members)
    assert example.lookup("DEPT OF STATE WASHINGTON DC") == example.post("RUEHC")
