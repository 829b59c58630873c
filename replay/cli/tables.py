"""Tables for people: rich tables on a terminal, plain aligned text otherwise (pipes, files, tests)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

Cell = str | int | float | None


def format_cell(value: Cell) -> str:
    """A cell as text: empty for None, floats with one decimal."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Print a table: with rich when `stream` is a terminal, else as aligned plain text.

    Numeric columns are right-aligned in both forms.
    """
    out = stream if stream is not None else sys.stdout
    text_rows = [[format_cell(cell) for cell in row] for row in rows]
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    if out.isatty():
        _print_rich(headers, text_rows, numeric, title, out)
    else:
        out.write(plain_table(headers, text_rows, numeric, title))


def plain_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    title: str | None = None,
) -> str:
    """Columns padded to their widest cell, two spaces apart; a title line first when given."""
    right = list(numeric) if numeric is not None else [False] * len(headers)
    widths = [len(header) for header in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = [title] if title else []
    for row in [list(headers), *rows]:
        cells = [cell.rjust(widths[i]) if right[i] else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _print_rich(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    title: str | None,
    out: TextIO,
) -> None:
    """The same table drawn by rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for header, is_numeric in zip(headers, numeric, strict=True):
        table.add_column(header, justify="right" if is_numeric else "left")
    for row in rows:
        table.add_row(*row)
    Console(file=out).print(table)
