"""Reading cable inputs: files, directories of `*.txt`, `-` (stdin) and Cablegate `.csv` exports.

Inputs are streamed one cable at a time. A file that cannot be read becomes a `ReadError` and the run
goes on with the next input. Only regular files are read (a FIFO or a device is refused, never waited
on), and no cable may be larger than `MAX_CABLE_BYTES` (or the `max_bytes` given): a larger file,
standard input or CSV record is refused with its size. In a directory, every `*.txt` entry that
cannot be read (a looping or broken link, a FIFO, an unreadable subdirectory) is reported on its own.

A large Cablegate CSV can instead be handed out in slices (`iter_source_slices`): the reader only
finds where each run of `SLICE_ROWS` records ends, and whoever takes a `CsvSlice` parses it
(`read_csv_slice`), so that the parsing is shared among processes. Slices are cut only where every
record before the cut is plain RFC 4180 (fields quoted with doubled quotes inside, or unquoted without
quotes, CR or LF; rows ending in CRLF or LF), where the cut is certain to fall between the same rows
the `csv` module reads; from the first record that is not, the rest of the file is read row by row.
Both ways give the same texts, sources and errors. Files, too, can be handed out unread
(`iter_source_parts`): whoever takes a `CableFile` reads it (`read_cable_file`), with the same text,
source or error.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from router.decoder import decode
from router.model import Cable
from topology.errors import CablerouteError

#: Columns of the published Cablegate CSV export.
CSV_COLUMNS = ("id", "date", "reference", "origin", "classification", "references", "header", "body")
_ID, _HEADER, _BODY = 0, 6, 7

#: The largest cable text read by default, in bytes (real cables are a few kilobytes, the largest some
#: hundreds).
MAX_CABLE_BYTES = 10_000_000

#: Bytes read at a time from a file, past the size it had when it was opened.
_READ_BLOCK = 1 << 16

#: Records per `CsvSlice`.
SLICE_ROWS = 256

#: Bytes decoded at a time when a CSV file's encoding is checked: a piece and its text stay in the
#: processor's cache, and take no fresh memory (a text of a megabyte does: several times slower).
_DECODED_PIECE = 1 << 16

#: The two example cables bundled with cableroute (the default input of `replay` and `plan`).
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"

#: Bytes read at a time while cutting slices, and the most a record may hold before the rest of the
#: file is read row by row instead.
_BLOCK = 4 << 20
_LONGEST_RECORD = 64 << 20

# One RFC 4180 record: fields either quoted (quotes inside doubled) or free of quotes, commas, CR and LF.
_FIELD = r'(?:"[^"]*(?:""[^"]*)*"|[^",\r\n]*)'
_RECORD_PATTERN = _FIELD + r"(?:," + _FIELD + r")*\r?\n"
# From where a field starts: unquoted fields with their commas, up to the opening quote of a quoted
# field or through the end of the record. (What `(?:[^",\r\n]*,)*(?:"|[^",\r\n]*\r?\n)` matches,
# written so that the pattern engine takes the fields in one step rather than one by one.)
_TO_QUOTE_OR_END = re.compile(rb'(?:[^"\r\n]*,)?"|[^"\r\n]*\r?\n')
_RECORD_TEXT = re.compile(_RECORD_PATTERN)
# The fields of a Cablegate record before its header and body, each captured: quoted (group 2n) or
# not (2n + 1), with the comma after the last; the header and body are split by `_last_fields`.
_CAPTURED_FIELD = r'(?:"([^"]*(?:""[^"]*)*)"|([^",\r\n]*))'
_CABLEGATE_HEAD = re.compile(",".join([_CAPTURED_FIELD] * _HEADER) + ",")
_UNQUOTED_FIELD = re.compile(r'[^",\r\n]*')


class CableText(msgspec.Struct, frozen=True):
    """The text of one cable and where it came from (a path, `path:row` for CSV, or `-`)."""

    source: str
    text: str


class CableFile(msgspec.Struct, frozen=True):
    """A file to be read as one cable text of at most `max_bytes`, wherever is convenient
    (`read_cable_file`): the inputs name it, and a worker process reads it."""

    path: str
    max_bytes: int = MAX_CABLE_BYTES


class ReadError(msgspec.Struct, frozen=True):
    """An input that could not be read, with the reason."""

    source: str
    message: str


class CsvSlice(msgspec.Struct, frozen=True):
    """Whole records of a Cablegate CSV: bytes `start` to `end` of `path`, the first being row
    `first_row` (from 1), in `encoding`. `read_csv_slice` turns it into cable texts."""

    path: str
    start: int
    end: int
    first_row: int
    encoding: str
    max_bytes: int = MAX_CABLE_BYTES


def decode_bytes(data: bytes) -> str | None:
    """Text from bytes: UTF-8 (a BOM is dropped), else cp1252, else Latin-1; None for binary (NUL bytes)."""
    if b"\x00" in data:
        return None
    try:  # UTF-8 without its BOM: the plain codec is faster than utf-8-sig
        return (data[3:] if data.startswith(codecs.BOM_UTF8) else data).decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_sources(
    paths: Sequence[str], *, max_bytes: int = MAX_CABLE_BYTES
) -> Iterator[CableText | ReadError]:
    """Every cable text in the inputs, in order; unreadable inputs (and texts over `max_bytes`) are
    yielded as `ReadError`s."""
    for item in _sources(paths, slices=False, max_bytes=max_bytes):
        assert not isinstance(item, CsvSlice | CableFile)
        yield item


def iter_source_slices(
    paths: Sequence[str], *, max_bytes: int = MAX_CABLE_BYTES
) -> Iterator[CableText | ReadError | CsvSlice]:
    """`iter_sources`, but CSV files come as `CsvSlice`s as far as they can be cut (see the module's
    docstring), for `read_csv_slice` to parse wherever is convenient."""
    for item in _sources(paths, slices=True, max_bytes=max_bytes):
        assert not isinstance(item, CableFile)
        yield item


def iter_source_parts(
    paths: Sequence[str], *, max_bytes: int = MAX_CABLE_BYTES
) -> Iterator[CableText | ReadError | CsvSlice | CableFile]:
    """`iter_source_slices`, but the files of directories and the files named come unread, as
    `CableFile`s, for `read_cable_file` to read wherever is convenient: only listing them is left to
    the caller. Entries that cannot be listed or are no regular files are `ReadError`s in their place."""
    return _sources(paths, slices=True, max_bytes=max_bytes, unread=True)


def _sources(
    paths: Sequence[str], *, slices: bool, max_bytes: int, unread: bool = False
) -> Iterator[CableText | ReadError | CsvSlice | CableFile]:
    """The items of every input in order; CSV files as slices when `slices`, files as `CableFile`s
    when `unread`."""
    for path in paths:
        if path == "-":
            yield from _read_stdin(max_bytes)
            continue
        target = Path(path)
        if target.is_dir():
            yield from _read_directory(target, max_bytes, unread=unread)
        elif target.suffix.lower() == ".csv" and target.is_file():
            yield from _read_csv(target, slices=slices, max_bytes=max_bytes)
        elif unread:
            yield CableFile(str(target), max_bytes)
        else:
            yield _read_file(target, max_bytes)


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


def read_cable_file(item: CableFile) -> CableText | ReadError:
    """The cable text of a `CableFile`, or why it cannot be read."""
    return _read_file(item.path, item.max_bytes)


def _read_file(path: Path | str, max_bytes: int = MAX_CABLE_BYTES) -> CableText | ReadError:
    """One regular file of at most `max_bytes` as a cable text."""
    try:
        data = _file_bytes(path, max_bytes)
    except FileNotFoundError:
        return ReadError(str(path), "no such file")
    except IsADirectoryError:
        return ReadError(str(path), "is a directory")
    except OSError as error:
        if error.errno == errno.ELOOP:
            return ReadError(str(path), "symbolic link loop")
        return ReadError(str(path), error.strerror or str(error))
    except _NotReadable as refusal:
        return ReadError(str(path), str(refusal))
    if not data or data.isspace():
        return ReadError(str(path), "empty file" if not data else "blank file (only white space)")
    text = decode_bytes(data)
    if text is None:
        return ReadError(str(path), "binary file (contains NUL bytes)")
    return CableText(str(path), text)


class _NotReadable(CablerouteError):
    """An input that is refused before it is read: not a regular file, or too large."""


def _file_bytes(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, read without a buffered file object (cheaper
    for many small files). Opened without blocking, so a FIFO is refused rather than waited on."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _NotReadable(f"not a regular file ({_file_kind(status.st_mode)}): only files are read")
        chunks, size = [], 0
        # The size the file has now, and one byte more, at once; then until the end in small blocks
        # (`os.read` allocates what it is asked for before reading: a large block for the last, empty
        # read would cost more than the read itself). A regular file reads short only at its end, so
        # a short read is the last (the usual file: one read, no second one to find the end).
        request = min(status.st_size, max_bytes) + 1
        while chunk := os.read(descriptor, request):
            size += len(chunk)
            if size > max_bytes:
                raise _NotReadable(too_large(max_bytes))
            chunks.append(chunk)
            if len(chunk) < request:
                break
            request = _READ_BLOCK
    finally:
        os.close(descriptor)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def too_large(max_bytes: int) -> str:
    """The reason given for an input over the size limit."""
    return f"larger than {max_bytes:,} bytes, the limit for one cable (--max-cable-size)"


def _file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in a word or two."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a file"


def _read_directory(
    directory: Path, max_bytes: int = MAX_CABLE_BYTES, *, unread: bool = False
) -> Iterator[CableText | ReadError | CableFile]:
    """Every `*.txt` file below a directory, in sorted order (unread as `CableFile`s when `unread`);
    each entry that cannot be listed or read (an unreadable subdirectory, a link loop, a FIFO) as a
    `ReadError` in its place."""
    try:
        paths, problems = _txt_files(directory)
    except OSError as error:
        yield ReadError(str(directory), error.strerror or str(error))
        return
    if not paths:
        yield ReadError(str(directory), "no *.txt files in directory")
        return
    for path in paths:
        problem = problems.get(path) if problems else None
        if problem is not None:
            yield ReadError(path, problem)
        else:
            yield CableFile(path, max_bytes) if unread else _read_file(path, max_bytes)


def _txt_files(directory: Path) -> tuple[list[str], dict[str, str]]:
    """The `*.txt` files below a directory (symbolic links to files included, linked directories not
    entered), sorted as paths: what `sorted(directory.rglob("*.txt"))` keeps of files, listed with
    `os.scandir` (no `stat` per file, no `Path` objects). A `*.txt` entry that is not a file (a FIFO, a
    device, a link loop, a broken link) and a subdirectory that cannot be listed are listed too, with
    why they cannot be read in the dictionary (by path)."""
    root = str(directory)
    prefix = "" if root == "." else root if root.endswith("/") else root + "/"
    found: list[str] = []  # paths below the directory, as "sub/name.txt"
    problems: dict[str, str] = {}
    pending = [""]  # subdirectories to list, as "sub/" ("": the directory itself)
    nested = False
    while pending:
        below = pending.pop()
        try:
            with os.scandir(prefix + below if below else root) as entries:
                listed = list(entries)
        except OSError as error:
            if not below:
                raise
            found.append(below[:-1])
            problems[below[:-1]] = f"cannot list directory: {error.strerror or error}"
            continue
        for entry in listed:
            name = entry.name
            try:
                if name.endswith(".txt") and entry.is_file():  # (the usual entry: one test)
                    found.append(below + name)
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(below + name + "/")
                    nested = True
                    continue
                if name.endswith(".txt"):
                    found.append(below + name)
                    if (problem := _entry_problem(entry)) is not None:
                        problems[below + name] = problem
            except OSError as error:
                if name.endswith(".txt"):
                    found.append(below + name)
                    problems[below + name] = _os_reason(error)
    # Sorted as the tuples of their parts would sort: a NUL (in no name) sorts before any character.
    found.sort(key=_by_parts if nested else None)
    return [prefix + path for path in found], {prefix + path: problem for path, problem in problems.items()}


def _by_parts(path: str) -> str:
    """A sort key that orders "/"-separated paths as the tuples of their parts."""
    return path.replace("/", "\0")


def _entry_problem(entry: os.DirEntry[str]) -> str | None:
    """Why a `*.txt` entry that is not a regular file (or a link to one) is not read; None for a
    link to a directory, which is skipped as `rglob` skips it."""
    try:
        mode = entry.stat().st_mode
    except OSError as error:
        return _os_reason(error)
    if stat.S_ISDIR(mode):
        return None
    return f"not a regular file ({_file_kind(mode)}): only files are read"


def _os_reason(error: OSError) -> str:
    """A one-line reason for an error met while listing or reading."""
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if error.errno == errno.ENOENT:
        return "broken symbolic link"
    return error.strerror or str(error)


def _read_stdin(max_bytes: int = MAX_CABLE_BYTES) -> Iterator[CableText | ReadError]:
    """Standard input as one cable text (of at most `max_bytes`)."""
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        yield ReadError("-", too_large(max_bytes))
        return
    text = decode_bytes(data)
    if text is None:
        yield ReadError("-", "binary input (contains NUL bytes)")
    elif not text.strip():
        yield ReadError("-", "empty input")
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


def _read_csv(
    path: Path, *, slices: bool = False, max_bytes: int = MAX_CABLE_BYTES
) -> Iterator[CableText | ReadError | CsvSlice]:
    """A Cablegate CSV export: header and body joined into one cable text per row (or, with
    `slices`, `CsvSlice`s as far as they can be cut)."""
    _raise_csv_field_limit()
    try:
        with path.open("rb") as handle:
            head = handle.read(65_536)
    except OSError as error:
        yield ReadError(str(path), error.strerror or str(error))
        return
    if b"\x00" in head:
        yield ReadError(str(path), "binary file (contains NUL bytes)")
        return
    encoding = _csv_encoding(path)
    offset, row_number = 0, 0
    if slices:
        for item in _cut_slices(path, encoding, max_bytes):
            if isinstance(item, CsvSlice):
                yield item
            else:
                offset, row_number = item
    yield from _read_csv_rows(path, encoding, offset, row_number, max_bytes)


def _cut_slices(path: Path, encoding: str, max_bytes: int) -> Iterator[CsvSlice | tuple[int, int]]:
    """`CsvSlice`s from the start of the file for as long as its records are plain RFC 4180; last,
    the offset and row count where row-by-row reading must take over (the end of the file, the
    first record that is not plain, or one that is not whole at the end of the file)."""
    start, rows, count = 0, 0, 0  # the slice being cut: file offset, rows before it, records in it
    offset, size = 0, _BLOCK  # where the next block is read (a record starts there), and how much
    with path.open("rb") as handle:
        if encoding == "utf-8-sig" and handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            start = offset = len(codecs.BOM_UTF8)  # the first record starts after the byte-order mark
        while True:
            # Each block is read afresh from the record after the last whole one: joining the rest of
            # the block before to the next costs more (a copy, and fresh memory each time).
            handle.seek(offset)
            block = handle.read(size)
            if b"\x00" in block:
                break
            ends = _record_ends(block)
            for end in ends[SLICE_ROWS - count - 1 :: SLICE_ROWS]:  # every SLICE_ROWS-th record's end
                yield CsvSlice(str(path), start, offset + end, rows + 1, encoding, max_bytes)
                start, rows = offset + end, rows + SLICE_ROWS
            if ends:
                count = (count + len(ends)) % SLICE_ROWS
                offset, size = offset + ends[-1], _BLOCK
            elif len(block) < size or size >= _LONGEST_RECORD:  # the end of the file, or no record ends
                break
            else:  # a record longer than the block: read more at once
                size *= 2
    if count:
        yield CsvSlice(str(path), start, offset, rows + 1, encoding, max_bytes)
    yield offset, rows + count


def _record_ends(block: bytes) -> list[int]:
    """Where each record of `block` (which starts with a record) ends, as far as the records are whole
    and plain RFC 4180 (where `_RECORD_PATTERN` would match one after the other). Unquoted fields
    are matched by a pattern, but a quoted field's closing quote is found by `bytes.find`, which scans
    for one byte many times quicker than a pattern steps through a long field."""
    ends: list[int] = []
    to_quote_or_end, find = _TO_QUOTE_OR_END.match, block.find
    position = 0  # where a field starts
    while (found := to_quote_or_end(block, position)) is not None:
        position = found.end()
        if block[position - 1] != _QUOTE:  # the end of the record
            ends.append(position)
            continue
        close = find(b'"', position)
        while True:
            if close == -1:
                return ends
            after = block[close + 1 : close + 3]
            if after[:1] != b'"':
                break
            close = find(b'"', close + 2)  # a doubled quote inside the field
        if after[:1] == b",":
            position = close + 2
        elif after[:1] == b"\n":
            position = close + 2
            ends.append(position)
        elif after == b"\r\n":
            position = close + 3
            ends.append(position)
        else:  # not plain, or not whole in the block
            return ends
    return ends


_QUOTE = ord('"')


def read_csv_slice(piece: CsvSlice) -> list[CableText | ReadError]:
    """The cable texts (and rows of the wrong shape, as `ReadError`s) of a slice of a CSV file."""
    _raise_csv_field_limit()
    path = Path(piece.path)
    try:
        with path.open("rb") as handle:
            handle.seek(piece.start)
            data = handle.read(piece.end - piece.start)
    except OSError as error:
        return [ReadError(f"{path}:{piece.first_row}", f"CSV error: {error}")]
    text = data.decode(_encoding_at(piece.encoding, piece.start), errors="replace")
    return [
        _csv_row(path, number, row, piece.max_bytes)
        for number, row in enumerate(_plain_rows(text), piece.first_row)
        if not _is_header_row(number, row)
    ]


def _plain_rows(text: str) -> Iterator[list[str]]:
    """The rows of plain RFC 4180 records, as the `csv` module reads them. Records of the Cablegate
    shape are split by one pattern and `_last_fields` (several times quicker); any other goes through
    `csv`."""
    cablegate, record = _CABLEGATE_HEAD.match, _RECORD_TEXT.match
    position, end = 0, len(text)
    while position < end:
        head = cablegate(text, position)
        last = None if head is None else _last_fields(text, head.end())
        if head is not None and last is not None:
            groups = head.groups()
            row = [
                plain if quoted is None else _unquoted(quoted)
                for quoted, plain in zip(groups[0::2], groups[1::2], strict=True)
            ]
            row += last[:2]
            yield row
            position = last[2]
            continue
        found = record(text, position)
        if found is None:  # not plain after all: let `csv` read the rest
            yield from csv.reader(io.StringIO(text[position:], newline=""))
            return
        yield from csv.reader(io.StringIO(found.group(), newline=""))
        position = found.end()


def _last_fields(text: str, position: int) -> tuple[str, str, int] | None:
    """The last two fields of a Cablegate record (header and body) from `position`, and where the
    record ends; None if the rest of the record is not two plain fields and a line end. (What a
    pattern would match, but a quoted field's closing quote is found by `str.find`, which scans
    for one character many times quicker than a pattern steps through a long field.)"""
    header = _plain_field(text, position)
    if header is None or not text.startswith(",", header[1]):
        return None
    body = _plain_field(text, header[1] + 1)
    if body is None:
        return None
    end = body[1]
    if text.startswith("\n", end):
        return header[0], body[0], end + 1
    if text.startswith("\r\n", end):
        return header[0], body[0], end + 2
    return None


def _plain_field(text: str, position: int) -> tuple[str, int] | None:
    """The plain RFC 4180 field at `position` (quoted, its doubled quotes undone, or free of quotes,
    commas, CR and LF) and where it ends; None for a quoted field whose closing quote is not found."""
    if not text.startswith('"', position):
        found = _UNQUOTED_FIELD.match(text, position)
        assert found is not None  # (it matches the empty field at least)
        return found.group(), found.end()
    find = text.find
    close = find('"', position + 1)
    doubled = False
    while close != -1 and text.startswith('"', close + 1):  # a doubled quote inside the field
        doubled = True
        close = find('"', close + 2)
    if close == -1:
        return None
    field = text[position + 1 : close]
    return (field.replace('""', '"') if doubled else field), close + 1


def _unquoted(field: str) -> str:
    """A quoted field's text with its doubled quotes undone. (A field without a quote, the usual
    case, is found by `in`, which looks for one character at memory-scanning speed, several times
    quicker than `replace` looking for two.)"""
    return field.replace('""', '"') if '"' in field else field


def _lf_lines(field: str) -> str:
    """A field's text with CRLF line ends made LF (`in` first, as in `_unquoted`)."""
    return field.replace("\r\n", "\n") if "\r" in field else field


def _read_csv_rows(
    path: Path, encoding: str, offset: int = 0, rows_before: int = 0, max_bytes: int = MAX_CABLE_BYTES
) -> Iterator[CableText | ReadError]:
    """A CSV file row by row from byte `offset`, where row `rows_before + 1` starts."""
    try:
        handle = path.open("rb")
    except OSError as error:
        yield ReadError(str(path), error.strerror or str(error))
        return
    with handle:
        handle.seek(offset)
        stream = io.TextIOWrapper(
            handle, encoding=_encoding_at(encoding, offset), errors="replace", newline=""
        )
        reader = csv.reader(stream)
        row_number = rows_before
        try:
            for row in reader:
                row_number += 1
                if not _is_header_row(row_number, row):
                    yield _csv_row(path, row_number, row, max_bytes)
        except (csv.Error, UnicodeDecodeError, OSError) as error:
            yield ReadError(f"{path}:{row_number + 1}", f"CSV error: {error}")


def _is_header_row(row_number: int, row: list[str]) -> bool:
    """Whether a row is the column-name row an export may start with."""
    return row_number == 1 and [cell.strip().lower() for cell in row] == list(CSV_COLUMNS)


def _encoding_at(encoding: str, offset: int) -> str:
    """The codec for text starting at `offset`: a byte-order mark is dropped only at the start."""
    return "utf-8" if encoding == "utf-8-sig" and offset else encoding


def _csv_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else cp1252 (checked in chunks, not loaded at once;
    chunks of plain ASCII need no decoding, the others are decoded a small piece at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                if not (chunk.isascii() and not decoder.getstate()[0]):
                    view = memoryview(chunk)
                    for start in range(0, len(chunk), _DECODED_PIECE):
                        decoder.decode(view[start : start + _DECODED_PIECE])
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _csv_row(
    path: Path, row_number: int, row: list[str], max_bytes: int = MAX_CABLE_BYTES
) -> CableText | ReadError:
    """One CSV row as a cable text named `path:row` (with the published id when there is one)."""
    source = f"{path}:{row_number}"
    if len(row) != len(CSV_COLUMNS):
        return ReadError(source, f"expected {len(CSV_COLUMNS)} columns, found {len(row)}")
    header, body = _lf_lines(row[_HEADER]), _lf_lines(row[_BODY])
    text = header.rstrip("\n") + "\n\n" + body if header.strip() else body
    if len(text) > max_bytes:  # characters: at least as many bytes
        return ReadError(source, too_large(max_bytes))
    return CableText(source, text)
