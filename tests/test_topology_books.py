"""Importing routing-indicator books (JSON rows of ri / ri_range_end / name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topology.books import parse_book, read_book, read_books
from topology.files import TopologyFileError
from topology.model import Collective, Post

BOOK = {
    "meta": {"note": "hand-made for the test"},
    "rows": [
        {"ri": "RUEHKO", "ri_range_end": None, "name": "AMEMBASSY TOKYO"},
        {"ri": "RUEHC", "ri_range_end": None, "name": "DEPT OF STATE WASHINGTON DC"},
        {"ri": "RUCOBRA", "ri_range_end": "RUCOBRZ", "name": "NCTAMS LANT NORFOLK VA"},
        {"ri": "RUEHKO", "ri_range_end": None, "name": "US EMBASSY TOKYO JAPAN"},
        {"ri": "bad ri", "name": "SOMETHING"},
        {"ri": "RUEHXX", "name": ""},
    ],
}

OBSERVED = [
    {"name": "SECSTATE WASHDC", "ri": "RUEHC", "source_comment": None},
    {"name": "UN SECURITY COUNCIL COLLECTIVE", "ri": "RUEHGG", "source_comment": None},
    {"name": "XMT AMCONSUL JOHANNESBURG", "ri": "RUEHJO", "source_comment": "XMT form"},
    {"name": "HQ USAFRICOM STUTTGART GE", "ri": "RHWSAFC", "source_comment": None},
    {"name": "HQ USAFRICOM STUTTGART GE", "ri": "RUEWMFD", "source_comment": "later wins"},
]


def test_rows_become_posts_with_kinds_ranges_and_aliases() -> None:
    book = parse_book(BOOK, "book.json")
    topology = book.topology
    assert book.rows == 6
    assert len(book.skipped) == 2
    tokyo = topology.post("RUEHKO")
    assert tokyo is not None
    assert tokyo.name == "US EMBASSY TOKYO JAPAN"
    assert tokyo.aliases == ("AMEMBASSY TOKYO",)
    assert tokyo.kind == "embassy"
    department = topology.lookup("SECSTATE WASHDC")
    assert isinstance(department, Post) and department.ri == "RUEHC"
    navy = topology.post("RUCOBRK")
    assert navy is not None and navy.ri == "RUCOBRA" and navy.kind == "military"


def test_skipped_rows_say_which_and_why() -> None:
    skipped = parse_book(BOOK).skipped
    assert skipped[0].startswith("row 5:") and "routing indicator" in skipped[0]
    assert skipped[1].startswith("row 6:") and "name" in skipped[1]


def test_observed_layout_gives_collectives_and_later_names_win() -> None:
    topology = parse_book(OBSERVED).topology
    assert isinstance(topology.lookup("RUEHGG"), Collective)
    johannesburg = topology.post("RUEHJO")
    assert johannesburg is not None and johannesburg.name == "AMCONSUL JOHANNESBURG"
    africom = topology.lookup("HQ USAFRICOM STUTTGART GE")
    assert isinstance(africom, Post) and africom.ri == "RUEWMFD"


def test_read_books_layers_files_in_order(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    second = tmp_path / "second.json"
    first.write_text(json.dumps(BOOK), encoding="utf-8")
    second.write_text(json.dumps(OBSERVED), encoding="utf-8")
    both = read_books([first, second])
    assert both.rows == 11
    assert all(reason.startswith(str(first)) for reason in both.skipped)
    department = both.topology.post("RUEHC")
    assert department is not None and department.name == "SECSTATE WASHDC"
    assert both.topology.collective("UN SECURITY COUNCIL") is None
    assert both.topology.collective("UN SECURITY COUNCIL COLLECTIVE") is not None


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "rows": [\n    {"ri": "RUEHKO",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(TopologyFileError) as caught:
        read_book(path)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: invalid JSON")


def test_a_book_without_rows_is_an_error() -> None:
    with pytest.raises(TopologyFileError, match="rows"):
        parse_book({"meta": {}}, "empty.json")


@pytest.mark.corpus
def test_shared_books_import(shared_dir: Path) -> None:
    books = sorted((shared_dir / "data" / "routing").glob("*.json"))
    imported = read_books(books)
    assert imported.skipped == ()
    topology = imported.topology
    for ri, key in [
        ("RUEHKO", "AMEMBASSY TOKYO"),
        ("RUEHFK", "AMCONSUL FUKUOKA"),
        ("RUCNDT", "USUN NEW YORK"),
    ]:
        post = topology.post(ri)
        assert post is not None and key in post.name
    department = topology.lookup("DEPT OF STATE WASHINGTON DC")
    assert isinstance(department, Post) and department.ri == "RUEHC"
    assert isinstance(topology.lookup("RUEHZL"), Collective)
    assert len(topology.posts) > 1500
