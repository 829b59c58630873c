"""`cableroute decode PATH... [--json]`: decode cables and print a summary or JSON lines."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import IO, Protocol

from replay.cli.commands import command_help
from replay.cli.run_options import add_input_options
from replay.inputs.corpus import ReadError, iter_source_parts
from replay.inputs.streams import stream_in_order, usable
from replay.inputs.workers import Chunk, Workers, chunk_texts, chunked
from router.decoder import decode
from router.model import Addressee, Cable, cables_to_json_lines


class _Advance(Protocol):
    def __call__(self, count: int) -> None: ...


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `decode` command."""
    parser = subparsers.add_parser(
        "decode",
        help=command_help("decode"),
        description=(
            "Decode cables. A PATH is a file, a directory (every *.txt below it), '-' for standard input, "
            "or a Cablegate .csv export. Exit status: 0 when every input was read, 1 when any could not be."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    parser.add_argument("--json", action="store_true", help="one JSON object per cable per line")
    add_input_options(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="decoding processes; output stays in input order (default: the machine's cores, %(default)s)",
    )
    parser.set_defaults(handler=run)


#: Cables per chunk when the workers stream their output (`replay.inputs.streams`): a chunk costs
#: them little, and small chunks keep the workers' shares even.
STREAM_CHUNK = 64


def run(args: argparse.Namespace) -> int:
    """Decode every input; 1 when any input could not be read, else 0.

    This process only lists the inputs and writes the output in input order: the workers read the
    files (or parse the CSV slices), decode them and render the output. With `--json` into a file or
    a pipe, and no CSV input, the workers stream their output to it themselves (`replay.inputs.streams`).
    """
    sys.stdout.flush()
    # What has been imported lives as long as the process: out of the collector's way, the collections
    # while the inputs are listed and the last one at exit do not walk it.
    gc.freeze()
    failed = 0
    decoded = 0
    with _progress(sys.stderr) as advance:

        def report(count: int, errors: list[ReadError]) -> None:
            nonlocal failed, decoded
            for error in errors:
                failed += 1
                print(f"cableroute decode: cannot read {error.source}: {error.message}", file=sys.stderr)
            decoded += count
            advance(count)

        items = iter_source_parts(args.paths, max_bytes=args.max_cable_size)
        output = _output_descriptor() if args.json else None
        chunks: Iterable[Chunk | ReadError]
        if output is not None and usable(args.workers) and not any(_is_csv(path) for path in args.paths):
            chunks = list(chunked(items, STREAM_CHUNK))
            if len(chunks) > 1:
                stream_in_order(chunks, render_json, args.workers, output, report)
                return 1 if failed else 0
        else:
            chunks = chunked(items)
        render = partial(render_chunk, as_json=args.json)
        with Workers(args.workers) as workers:
            for result in workers.map_in_order(render, chunks):
                if isinstance(result, ReadError):
                    report(0, [result])
                    continue
                text, count, errors = result
                report(count, errors)
                _write(text)
    sys.stdout.flush()
    if not args.json:
        print(f"{decoded} cables decoded, {failed} inputs unreadable", file=sys.stderr)
    return 1 if failed else 0


def _output_descriptor() -> int | None:
    """The standard output's file descriptor, if it has one (not when it is replaced by an object)."""
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _is_csv(path: str) -> bool:
    """Whether an input names a CSV export (read in slices as it is cut, not listed first)."""
    return path.lower().endswith(".csv")


def _write(output: bytes | str) -> None:
    """Write text, or bytes straight to the standard output's buffer (when it has one)."""
    if isinstance(output, str):
        sys.stdout.write(output)
    elif (buffer := getattr(sys.stdout, "buffer", None)) is not None:
        buffer.write(output)
    else:
        sys.stdout.write(output.decode())


def render_json(chunk: Chunk) -> tuple[bytes, int, list[ReadError]]:
    """Read and decode a chunk of inputs: its JSON lines, how many cables it holds, and the files or
    rows of a CSV slice that could not be read."""
    texts, errors = chunk_texts(chunk)
    return cables_to_json_lines([decode(text, source) for source, text in texts]), len(texts), errors


def render_chunk(chunk: Chunk, as_json: bool) -> tuple[bytes | str, int, list[ReadError]]:
    """Read and decode a chunk of inputs: the output (JSON lines as UTF-8 bytes, or summaries as
    text), how many cables it holds, and the files or rows of a CSV slice that could not be read."""
    if as_json:
        return render_json(chunk)
    texts, errors = chunk_texts(chunk)
    cables = [decode(text, source) for source, text in texts]
    return "".join(summary(cable) for cable in cables), len(cables), errors


@contextmanager
def _progress(stream: IO[str]) -> Iterator[_Advance]:
    """A cable counter on `stream` when it is a terminal; a no-op otherwise."""
    if not stream.isatty():
        yield lambda count: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} cables"), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        task = progress.add_task("decode", total=None)
        yield lambda count: progress.advance(task, count)


def summary(cable: Cable) -> str:
    """A compact, readable summary of one cable (several lines, ending with a blank line)."""
    lines = [f"{cable.id or '(no id)'}  {cable.source or ''}".rstrip()]
    facts = []
    if cable.precedence.action is not None:
        level = cable.precedence.action.value
        if cable.precedence.info is not None:
            level += f"/{cable.precedence.info.value}"
        facts.append(level)
    if cable.dtg is not None:
        facts.append(cable.dtg.strftime("%Y-%m-%d %H:%MZ"))
    classification = cable.banner.classification if cable.banner else None
    if classification is None and cable.security is not None:
        classification = cable.security.classification
    if classification:
        facts.append(classification)
    if cable.from_:
        facts.append(f"FM {cable.from_}")
    if facts:
        lines.append("  " + "  ".join(facts))
    if cable.subject:
        lines.append(f"  SUBJECT {cable.subject[:100]}")
    for label, addressees in (("TO", cable.to), ("INFO", cable.info), ("XMT", cable.xmt)):
        if addressees:
            lines.append(f"  {label:<4} " + "; ".join(_addressee(a) for a in addressees))
    lines.extend(f"  {d.severity}: line {d.line}: {d.code}: {d.message}" for d in cable.diagnostics)
    return "\n".join(lines) + "\n\n"


def _addressee(addressee: Addressee) -> str:
    """One addressee in a summary: `RUEHC/SECSTATE WASHDC (IMMEDIATE 9199)`."""
    text = f"{addressee.ri}/{addressee.name}" if addressee.ri else addressee.name
    if addressee.zen:
        text = "ZEN/" + text
    notes = [level for level in (addressee.precedence_word,) if level]
    if addressee.mcn:
        notes.append(addressee.mcn)
    return f"{text} ({' '.join(notes)})" if notes else text
