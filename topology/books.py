"""Importing routing-indicator books: JSON tables of `ri` / `ri_range_end` / `name` rows.

Accepted layouts: an object with a `rows` array (other keys such as `meta` are ignored), or a bare
array of rows. Each row needs `ri` and `name`; `ri_range_end` (a range `ri THRU ri_range_end`) is
optional; further keys (`source_comment`) are ignored. A row whose name looks like a collective
(`topology.kinds.is_collective_name`) becomes a collective without members; every other row a post
whose kind is read from its name. A `XMT ` prefix on a name (a header line form) is dropped.

Rows are taken in order, so a name listed for two RIs belongs to the later one (as in a Python
dict of names) and an RI listed under two names keeps the later name with the earlier as an alias.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from topology.files import TopologyFileError
from topology.kinds import is_collective_name, kind_of
from topology.model import Collective, Post
from topology.ri import looks_like_ri
from topology.topology import Topology


class BookImport(msgspec.Struct, frozen=True):
    """What an import made: the topology, how many rows it used, and the rows it had to skip."""

    topology: Topology
    rows: int
    skipped: tuple[str, ...] = ()


def parse_book(data: Any, source: str = "<data>") -> BookImport:
    """The posts and collectives in a decoded JSON book (`TopologyFileError` if it has no rows)."""
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise TopologyFileError(source, None, "expected a JSON array of rows, or an object with `rows`")
    posts: list[Post] = []
    collectives: list[Collective] = []
    skipped: list[str] = []
    for number, row in enumerate(rows, start=1):
        problem = _row_problem(row)
        if problem is not None:
            skipped.append(f"row {number}: {problem}")
            continue
        ri, name, end = row["ri"].strip(), _plain_name(row["name"]), row.get("ri_range_end")
        if is_collective_name(name) and not end:
            collectives.append(Collective(ri=ri, name=name))
        else:
            posts.append(Post(ri=ri, name=name, kind=kind_of(name), ri_range_end=end or None))
    return BookImport(topology=Topology(posts, collectives), rows=len(rows), skipped=tuple(skipped))


def read_book(path: Path) -> BookImport:
    """The posts and collectives in one JSON book file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TopologyFileError(str(path), None, f"cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TopologyFileError(str(path), error.lineno, f"invalid JSON: {error.msg}") from None
    return parse_book(data, str(path))


def read_books(paths: Sequence[Path]) -> BookImport:
    """Several books layered in order (later books win), with their row counts and skips summed."""
    topology = Topology()
    rows = 0
    skipped: list[str] = []
    for path in paths:
        book = read_book(path)
        topology = topology.layered(book.topology)
        rows += book.rows
        skipped += [f"{path}: {reason}" for reason in book.skipped]
    return BookImport(topology=topology, rows=rows, skipped=tuple(skipped))


def _plain_name(name: str) -> str:
    name = " ".join(name.split())
    return name[4:] if name.startswith("XMT ") else name


def _row_problem(row: Any) -> str | None:
    """Why a row cannot be used, or None."""
    if not isinstance(row, dict):
        return "not an object"
    ri, name, end = row.get("ri"), row.get("name"), row.get("ri_range_end")
    if not isinstance(ri, str) or not looks_like_ri(ri.strip()):
        return f"`ri` is not a routing indicator: {ri!r}"
    if not isinstance(name, str) or not name.strip():
        return "`name` is missing or empty"
    if end is not None and (not isinstance(end, str) or len(end) != len(ri.strip()) or end < ri.strip()):
        return f"`ri_range_end` {end!r} does not close a range starting at {ri!r}"
    return None
