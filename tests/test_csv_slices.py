"""Property: a CSV export cut into slices reads exactly as the `csv` module reads the whole file.

Files are generated from RFC 4180 records (fields with commas, quotes, CR, LF and non-ASCII text;
quoted only where needed or always; rows ending in CRLF or LF; rows of the Cablegate shape and of
other shapes; the last row with or without its line end), sometimes followed by text that is not
RFC 4180 at all, in UTF-8 (with or without a byte-order mark) or cp1252, read by the slicer in blocks
of a few bytes (records cut across blocks) or of the usual size, its encoding checked a few bytes at a
time (characters cut across pieces) or as usual. The expected items are
built here from `csv.reader` over the decoded text, so the slicer is checked against the `csv`
module itself, not against the reader it falls back to.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay.inputs import corpus
from replay.inputs.corpus import (
    CSV_COLUMNS,
    CableText,
    CsvSlice,
    ReadError,
    decode_bytes,
    iter_source_slices,
    read_csv_slice,
)

#: Characters fields are made of: the ones RFC 4180 treats specially, a few letters, and text every
#: encoding under test can carry (é and € exist in cp1252 too).
FIELD_ALPHABET = st.sampled_from(list(',"\r\n ') + list("abcXYZ019") + ["é", "€", "\t"])
fields = st.text(FIELD_ALPHABET, max_size=12)
cablegate_rows = st.lists(fields, min_size=len(CSV_COLUMNS), max_size=len(CSV_COLUMNS))
other_rows = st.lists(fields, min_size=0, max_size=10)
rows = st.lists(st.one_of(cablegate_rows, cablegate_rows, other_rows), max_size=14)
#: Text after the records that need not be RFC 4180 (a quote in an unquoted field, a lone CR, an
#: unclosed quote, ...).
tails = st.one_of(st.just(""), st.text(st.sampled_from(list('a,"\r\n')), max_size=20))


def _rfc4180(records: list[list[str]], quote_all: bool, line_end: str, last_line_end: bool) -> str:
    """Records as RFC 4180 text: a field is quoted (quotes inside doubled) when it holds a comma, quote,
    CR or LF, or always with `quote_all`."""

    def field(value: str) -> str:
        if quote_all or any(special in value for special in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(field(value) for value in record) for record in records]
    return line_end.join(lines) + (line_end if lines and last_line_end else "")


def _expected(path: Path, data: bytes) -> list[CableText | ReadError]:
    """What a Cablegate CSV reader must give, from `csv.reader` over the whole decoded file."""
    text = decode_bytes(data)
    assert text is not None
    items: list[CableText | ReadError] = []
    number = 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            source = f"{path}:{number}"
            if number == 1 and [cell.strip().lower() for cell in row] == list(CSV_COLUMNS):
                continue
            if len(row) != len(CSV_COLUMNS):
                items.append(ReadError(source, f"expected {len(CSV_COLUMNS)} columns, found {len(row)}"))
                continue
            header, body = row[6].replace("\r\n", "\n"), row[7].replace("\r\n", "\n")
            items.append(CableText(source, header.rstrip("\n") + "\n\n" + body if header.strip() else body))
    except csv.Error as error:
        items.append(ReadError(f"{path}:{number + 1}", f"CSV error: {error}"))
    return items


def _read_in_slices(path: Path) -> tuple[list[CableText | ReadError], int]:
    """The items of `iter_source_slices`, each slice parsed on its own; and how many slices."""
    items: list[CableText | ReadError] = []
    slices = 0
    for item in iter_source_slices([str(path)]):
        if isinstance(item, CsvSlice):
            slices += 1
            items.extend(read_csv_slice(item))
        else:
            items.append(item)
    return items, slices


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=rows,
    with_header=st.booleans(),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\r\n", "\n"]),
    last_line_end=st.booleans(),
    tail=tails,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    slice_rows=st.integers(1, 4),
    block_bytes=st.one_of(st.integers(1, 40), st.just(4 << 20)),
    piece_bytes=st.sampled_from([1, 2, 3, 1 << 16]),
)
def test_slices_read_as_the_csv_module_reads_the_file(
    records: list[list[str]],
    with_header: bool,
    quote_all: bool,
    line_end: str,
    last_line_end: bool,
    tail: str,
    encoding: str,
    slice_rows: int,
    block_bytes: int,
    piece_bytes: int,
) -> None:
    header = [list(CSV_COLUMNS)] if with_header else []
    text = _rfc4180(header + records, quote_all, line_end, last_line_end or not tail) + tail
    data = text.encode(encoding)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus, "SLICE_ROWS", slice_rows)
        patch.setattr(corpus, "_BLOCK", block_bytes)  # records cut across the blocks read
        patch.setattr(corpus, "_DECODED_PIECE", piece_bytes)  # characters cut across the pieces checked
        path = Path(folder) / "export.csv"
        path.write_bytes(data)
        items, slices = _read_in_slices(path)
        assert items == _expected(path, data)
    if not tail and records:
        assert slices >= 1  # plain RFC 4180 from the start (after any byte-order mark): sliced


def test_a_record_that_is_not_plain_ends_the_slicing() -> None:
    """From the first record that is not plain RFC 4180 (here an unclosed quote), rows are read one by
    one, still as the `csv` module reads them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(b'1,2\n"open,3\n')
        items, slices = _read_in_slices(path)
        assert items == _expected(path, path.read_bytes())
        assert slices == 1


def _csv_rows(text: str) -> list[list[str]] | str:
    """What `csv.reader` reads from a text: its rows, or the error it stops at."""
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return f"CSV error: {error}"


def _plain_rows(text: str) -> list[list[str]] | str:
    """What `corpus._plain_rows` reads from a text, in the form of `_csv_rows`."""
    try:
        return list(corpus._plain_rows(text))
    except csv.Error as error:
        return f"CSV error: {error}"


#: Texts built mostly of the characters RFC 4180 treats specially, in fields of the Cablegate count
#: or not, quoted or not, closed or not: plain records and every way of not being one.
_pieces = st.sampled_from([",", '"', '""', "\r", "\n", "\r\n", "a", "bc", ",,,,,,", ',"', '",'])
_texts = st.lists(_pieces, max_size=40).map("".join)


@settings(max_examples=2000, deadline=None)
@given(text=_texts)
def test_plain_rows_read_as_the_csv_module_reads_any_text(text: str) -> None:
    """`_plain_rows` (which splits Cablegate records itself) agrees with `csv.reader` on any text,
    plain or not, row by row."""
    assert _plain_rows(text) == _csv_rows(text)


@settings(max_examples=500, deadline=None)
@given(
    records=st.lists(cablegate_rows, max_size=6),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\r\n", "\n"]),
)
def test_plain_rows_split_cablegate_records_as_the_csv_module(
    records: list[list[str]], quote_all: bool, line_end: str
) -> None:
    """Plain records of the Cablegate shape, the case `_plain_rows` splits itself, read as by `csv`."""
    text = _rfc4180(records, quote_all, line_end, True)
    assert _plain_rows(text) == _csv_rows(text)
