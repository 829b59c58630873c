"""Reading cable inputs: files, directories of `*.txt`, `-` (stdin) and Cablegate `.csv` exports.

Inputs are streamed one cable at a time. A file that cannot be read becomes a `ReadError` and the run
goes on with the next input.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from router.decode import decode
from router.model import Cable

#: Columns of the published Cablegate CSV export.
CSV_COLUMNS = ("id", "date", "reference", "origin", "classification", "references", "header", "body")
_ID, _HEADER, _BODY = 0, 6, 7


class CableText(msgspec.Struct, frozen=True):
    """The text of one cable and where it came from (a path, `path:row` for CSV, or `-`)."""

    source: str
    text: str


class ReadError(msgspec.Struct, frozen=True):
    """An input that could not be read, with the reason."""

    source: str
    message: str


def decode_bytes(data: bytes) -> str | None:
    """Text from bytes: UTF-8 (a BOM is dropped), else cp1252, else Latin-1; None for binary (NUL bytes)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_sources(paths: Sequence[str]) -> Iterator[CableText | ReadError]:
    """Every cable text in the inputs, in order; unreadable inputs are yielded as `ReadError`s."""
    for path in paths:
        if path == "-":
            yield from _read_stdin()
            continue
        target = Path(path)
        if target.is_dir():
            yield from _read_directory(target)
        elif target.suffix.lower() == ".csv" and target.is_file():
            yield from _read_csv(target)
        else:
            yield _read_file(target)


def read_cables(paths: Sequence[str]) -> tuple[list[Cable], list[ReadError]]:
    """Decode every cable in the inputs: the cables, and the inputs that could not be read."""
    cables: list[Cable] = []
    errors: list[ReadError] = []
    for item in iter_sources(paths):
        if isinstance(item, ReadError):
            errors.append(item)
        else:
            cables.append(decode(item.text, item.source))
    return cables, errors


def _read_file(path: Path) -> CableText | ReadError:
    """One file as a cable text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ReadError(str(path), "no such file")
    except IsADirectoryError:
        return ReadError(str(path), "is a directory")
    except OSError as error:
        return ReadError(str(path), error.strerror or str(error))
    text = decode_bytes(data)
    if text is None:
        return ReadError(str(path), "binary file (contains NUL bytes)")
    return CableText(str(path), text)


def _read_directory(directory: Path) -> Iterator[CableText | ReadError]:
    """Every `*.txt` file below a directory, in sorted order."""
    try:
        files = sorted(path for path in directory.rglob("*.txt") if path.is_file())
    except OSError as error:
        yield ReadError(str(directory), error.strerror or str(error))
        return
    if not files:
        yield ReadError(str(directory), "no *.txt files in directory")
        return
    for path in files:
        yield _read_file(path)


def _read_stdin() -> Iterator[CableText | ReadError]:
    """Standard input as one cable text."""
    data = sys.stdin.buffer.read()
    text = decode_bytes(data)
    if text is None:
        yield ReadError("-", "binary input (contains NUL bytes)")
    else:
        yield CableText("-", text)


def _raise_csv_field_limit() -> None:
    """Allow CSV fields as large as the platform can hold (cable bodies exceed the default 128 KiB)."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 10


def _read_csv(path: Path) -> Iterator[CableText | ReadError]:
    """A Cablegate CSV export, row by row: header and body joined into one cable text per row."""
    _raise_csv_field_limit()
    try:
        handle = path.open("rb")
    except OSError as error:
        yield ReadError(str(path), error.strerror or str(error))
        return
    with handle:
        head = handle.read(65_536)
        if b"\x00" in head:
            yield ReadError(str(path), "binary file (contains NUL bytes)")
            return
        handle.seek(0)
        encoding = _csv_encoding(path)
        stream = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        reader = csv.reader(stream)
        row_number = 0
        try:
            for row in reader:
                row_number += 1
                if row_number == 1 and [cell.strip().lower() for cell in row] == list(CSV_COLUMNS):
                    continue
                yield _csv_row(path, row_number, row)
        except (csv.Error, UnicodeDecodeError, OSError) as error:
            yield ReadError(f"{path}:{row_number + 1}", f"CSV error: {error}")


def _csv_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else cp1252 (checked in chunks, not loaded at once)."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            while handle.read(1 << 20):
                pass
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _csv_row(path: Path, row_number: int, row: list[str]) -> CableText | ReadError:
    """One CSV row as a cable text named `path:row` (with the published id when there is one)."""
    source = f"{path}:{row_number}"
    if len(row) != len(CSV_COLUMNS):
        return ReadError(source, f"expected {len(CSV_COLUMNS)} columns, found {len(row)}")
    header, body = row[_HEADER].replace("\r\n", "\n"), row[_BODY].replace("\r\n", "\n")
    text = header.rstrip("\n") + "\n\n" + body if header.strip() else body
    return CableText(source, text)
