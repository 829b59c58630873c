"""The cablemap baseline of `bench/decode_speed.py --cablemap DIR`: read every corpus cable with cablemap.

cablemap (a Python 2 cable reader) builds a cable from an HTML page's header and content texts and reads
its fields from them lazily, each with a parse function of `cablemap.core.reader`. This script gives it
the two texts already split, the way `cableroute decode` sees them: the header is the cable's first
lines, as many as `HEADER_LINES.tsv` beside the corpus gives (the decoder ends the header at the same
line on every corpus cable), the body is the rest. For each cable it builds cablemap's `Cable` as
`cable_from_html` does once it has cut the two texts out of the page: each text through
`reader._clean_html` (which drops the web edition's pilcrows, which the corpus files keep) and
`reader.fix_content`. Then it reads every field that `Cable` parses: canonical id, partial,
transmission id, recipients, info recipients, subject, classification categories, non-disclosure
deadline, references, tags, summary, comment, signers and classificationists. Fields whose parse
function the port's revision lacks are left out, and so are those named with `--without`; the output
names the fields read. Nothing else is written: the fields are built and dropped.

The port is not part of this project (docs/performance.md says how to build it); this script only loads
it from the directory given, and imports nothing of this project, so that its process is cablemap's
alone. Usage: `python bench/baselines/cablemap_decode.py PORT_DIR CORPUS_DIR [HEADER_LINES_TSV]
[--without FIELD,...]`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

#: The `Cable` properties read for each cable, in the order cablemap's own handler reads them.
FIELDS = (
    "canonical_id",
    "partial",
    "transmission_id",
    "recipients",
    "info_recipients",
    "subject",
    "classification_categories",
    "nondisclosure_deadline",
    "references",
    "tags",
    "summary",
    "comment",
    "signers",
    "classificationists",
)


def header_lines(table: Path) -> dict[str, int]:
    """Reference id -> number of header lines, from a `HEADER_LINES.tsv` (id, header_lines)."""
    counts = {}
    with table.open(encoding="utf-8") as rows:
        next(rows)
        for row in rows:
            cable_id, _, count = row.rstrip("\n").partition("\t")
            counts[cable_id] = int(count)
    return counts


def split(text: str, lines: int) -> tuple[str, str]:
    """The first `lines` lines of `text` (the header) and what follows their last newline (the body)."""
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end < 0:
            return text, ""
    return text[:end], text[end + 1 :]


def created(reference_id: str) -> str:
    """A creation date for cablemap's `Cable` (it takes the year of references without one from it)."""
    year = int(reference_id[:2])
    return f"{1900 + year if year > 50 else 2000 + year}-01-01 00:00"


def read_corpus(port: Path, corpus: Path, table: Path, without: set[str]) -> tuple[int, list[str]]:
    """Build cablemap's cable for every `*.txt` file of `corpus` and read its fields but `without`;
    the count of cables and the fields read."""
    sys.path.insert(0, str(port))
    models: Any = importlib.import_module("cablemap.core.models")
    reader: Any = importlib.import_module("cablemap.core.reader")
    fields = [name for name in FIELDS if name not in without and _has_parser(models.Cable, reader, name)]
    counts = header_lines(table)
    count = 0
    for name in sorted(os.listdir(corpus)):
        if not name.endswith(".txt"):
            continue
        reference_id = name[:-4]
        with open(corpus / name, encoding="utf-8") as file:
            header, body = split(file.read(), counts.get(reference_id, 0))
        cable = models.Cable(reference_id)
        cable.created = created(reference_id)
        cable.header = reader.fix_content(reader._clean_html(header), reference_id)
        cable.content = reader.fix_content(reader._clean_html(body), reference_id)
        for field in fields:
            getattr(cable, field)
        count += 1
    return count, fields


def _has_parser(cable_type: type, reader: Any, field: str) -> bool:
    """Whether `Cable.field` can be read: some revisions name parse functions the reader lacks."""
    prop = getattr(cable_type, field, None)
    code = getattr(getattr(prop, "func", None), "__code__", None)
    if code is None:
        return prop is not None
    return all(hasattr(reader, name) for name in code.co_names if name.startswith("parse_"))


def main() -> int:
    """Read the corpus with cablemap and print how many cables were read."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=Path, help="directory holding the port's cablemap package")
    parser.add_argument("corpus", type=Path, help="directory of cable files")
    parser.add_argument("table", type=Path, nargs="?", help="HEADER_LINES.tsv (default: beside the corpus)")
    parser.add_argument("--without", default="", metavar="FIELD,...", help="fields not to read")
    args = parser.parse_args()
    table = args.table or args.corpus.parent / "HEADER_LINES.tsv"
    without = {name for name in args.without.split(",") if name}
    count, fields = read_corpus(args.port, args.corpus, table, without)
    print(f"{count} cables read by cablemap, fields: {', '.join(fields)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
