"""Reading cable inputs: files, directories, stdin, Cablegate CSV; unreadable inputs are reported."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest

from replay.inputs import corpus
from replay.inputs.corpus import (
    CableFile,
    CableText,
    CsvSlice,
    ReadError,
    decode_bytes,
    iter_source_parts,
    iter_source_slices,
    iter_sources,
    read_cable_file,
    read_cables,
    read_csv_slice,
)
from tests.decode_samples import HEADER, cable


def test_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(cable(), encoding="utf-8")
    nested = tmp_path / "sub"
    nested.mkdir()
    (nested / "b.txt").write_text(cable(), encoding="utf-8")
    (nested / "ignored.md").write_text("not a cable", encoding="utf-8")
    items = list(iter_sources([str(tmp_path / "a.txt"), str(tmp_path)]))
    assert all(isinstance(item, CableText) for item in items)
    assert [Path(item.source).name for item in items] == ["a.txt", "a.txt", "b.txt"]


def test_directory_files_in_the_order_and_names_of_sorted_rglob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("b.txt", "a.b/c.txt", "a/b.txt", "a/z/y.txt", "d.txt/e.txt", ".h.txt", "A.TXT", "n.md"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cable(), encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)
    expected = [str(path) for path in sorted(tmp_path.rglob("*.txt")) if path.is_file()]
    assert len(expected) == 7 and not any("linked" in name for name in expected)
    assert [item.source for item in iter_sources([str(tmp_path)])] == expected
    monkeypatch.chdir(tmp_path)
    relative = [str(path) for path in sorted(Path(".").rglob("*.txt")) if path.is_file()]
    assert (
        [item.source for item in iter_sources(["."])]
        == relative
        == [name.removeprefix(f"{tmp_path}/") for name in expected]
    )


def test_missing_file_binary_file_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "binary.txt").write_bytes(b"VZCZC\x00\x01\x02")
    empty = tmp_path / "empty"
    empty.mkdir()
    items = list(iter_sources([str(tmp_path / "nope.txt"), str(tmp_path / "binary.txt"), str(empty)]))
    assert [type(item) for item in items] == [ReadError, ReadError, ReadError]
    assert [item.message for item in items if isinstance(item, ReadError)] == [
        "no such file",
        "binary file (contains NUL bytes)",
        "no *.txt files in directory",
    ]


def test_files_handed_out_unread_read_as_they_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text(cable(), encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes(b"VZCZC\x00")
    (tmp_path / "d.txt").write_bytes(cable().replace("OSLO", "BOGOT\xc1").encode("cp1252"))
    limit = len(cable().encode()) + 10
    (tmp_path / "e.txt").write_bytes(b"x" * (limit + 1))
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo.txt")
    monkeypatch.chdir(tmp_path)
    inputs = [str(tmp_path), "./a.txt", ".//d.txt", "missing.txt", "-"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(cable().encode())))
    read = list(iter_sources(inputs, max_bytes=limit))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(cable().encode())))
    parts = list(iter_source_parts(inputs, max_bytes=limit))
    assert any(isinstance(item, CableFile) for item in parts)
    assert [read_cable_file(item) if isinstance(item, CableFile) else item for item in parts] == read
    assert [item.source for item in read if isinstance(item, CableText)] == [
        f"{tmp_path}/a.txt",
        f"{tmp_path}/d.txt",
        "a.txt",
        "d.txt",
        "-",
    ]
    assert len([item for item in read if isinstance(item, ReadError)]) == 6


def test_undecodable_bytes_fall_back_to_cp1252() -> None:
    assert decode_bytes("AMEMBASSY BOGOTÁ ’".encode("cp1252")) == "AMEMBASSY BOGOTÁ ’"
    assert decode_bytes("¶1. (C)".encode()) == "¶1. (C)"
    assert decode_bytes(b"\xef\xbb\xbfVZCZC") == "VZCZC"
    assert decode_bytes(b"\x81\x8d\x8f\x90\x9d") == "\x81\x8d\x8f\x90\x9d"
    assert decode_bytes(b"a\x00b") is None


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(cable().encode())))
    cables, errors = read_cables(["-"])
    assert not errors and [c.source for c in cables] == ["-"] and cables[0].id == "07OSLO457"


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_cablegate_csv_rows(tmp_path: Path) -> None:
    header = "\n".join(HEADER)
    body = "\n".join(
        ["C O N F I D E N T I A L SECTION 01 OF 02 OSLO 000457", "", "SUBJECT: X", "x" * 200_000]
    )
    path = tmp_path / "cables.csv"
    write_csv(
        path,
        [
            ["1", "6/13/2007 13:20", "07OSLO457", "Embassy Oslo", "CONFIDENTIAL", "", header, body],
            [
                "2",
                "6/13/2007 13:20",
                "07OSLO458",
                "Embassy Oslo",
                "UNCLASSIFIED",
                "",
                "",
                "UNCLAS OSLO 000458",
            ],
            ["3", "too", "few"],
        ],
    )
    items = list(iter_sources([str(path)]))
    assert isinstance(items[0], CableText) and isinstance(items[1], CableText)
    assert isinstance(items[2], ReadError) and items[2].source.endswith(":3")
    cables, errors = read_cables([str(path)])
    assert cables[0].id == "07OSLO457" and cables[0].header_lines == len(HEADER)
    assert cables[0].source == f"{path}:1"
    assert len(errors) == 1


def test_cablegate_csv_with_a_header_row_and_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = [
        ["id", "date", "reference", "origin", "classification", "references", "header", "body"],
        ["1", "d", "r", "o", "c", "", "\n".join(HEADER), "CONFIDENTIAL OSLO 000457\n\nSUBJECT: BOGOTÁ"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    cables, errors = read_cables([str(path)])
    assert not errors and len(cables) == 1
    assert cables[0].subject == "BOGOTÁ"


def test_binary_csv_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"1,2\x00,3\n")
    items = list(iter_sources([str(path)]))
    assert [type(item) for item in items] == [ReadError]


def _expand_slices(paths: list[str]) -> tuple[list[CableText | ReadError], int]:
    """What `iter_source_slices` gives, with each slice parsed; and how many slices there were."""
    items: list[CableText | ReadError] = []
    slices = 0
    for item in iter_source_slices(paths):
        if isinstance(item, CsvSlice):
            slices += 1
            items.extend(read_csv_slice(item))
        else:
            items.append(item)
    return items, slices


@pytest.mark.parametrize(
    ("tail", "encoding", "plain_rows"),
    [
        ("", "utf-8", 0),
        ("", "utf-8-sig", 0),
        ("", "cp1252", 0),
        ('9,"x",y"z,r,c,,h,b\n10,d,r,o,c,,h,b\n', "utf-8", 2),  # a quote inside an unquoted field
        ("11,d,r,o,c,,h,b", "utf-8", 1),  # the last record without its line end
        ("12,d,r,o,c,,h,b\r13,d,r,o,c,,h,b\n", "utf-8", 2),  # a lone CR ends a record too
    ],
)
def test_csv_slices_read_like_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: str, encoding: str, plain_rows: int
) -> None:
    monkeypatch.setattr(corpus, "SLICE_ROWS", 2)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "date", "reference", "origin", "classification", "references", "header", "body"])
    body = 'UNCLAS OSLO 000457\r\n\r\nSUBJECT: "QUOTED", WITH COMMAS\rAND A LONE CR; BOGOTÁ'
    for n in range(1, 8):
        writer.writerow(
            [str(n), "6/13/2007 13:20", f"07OSLO{n}", "Embassy Oslo", "C", "", "\n".join(HEADER), body]
        )
        if n == 4:
            buffer.write("5,too,few\r\n\r\n")  # a row of the wrong shape, then an empty one
    path = tmp_path / "export.csv"
    path.write_bytes((buffer.getvalue() + tail).encode(encoding))
    expected = list(iter_sources([str(path)]))
    items, slices = _expand_slices([str(path)])
    assert items == expected
    assert slices >= 4 and len(items) == 9 + plain_rows
    assert [type(item) for item in items].count(ReadError) == 2
