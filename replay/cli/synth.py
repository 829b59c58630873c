"""`cableroute synth --count N [--seed S] [--start T --end T] [--topology FILE] -o PATH`: write a
synthetic corpus.

PATH ending in `.csv` gets one Cablegate-layout CSV (8 columns, no header row); any other PATH is a
directory that receives one `ID.txt` file per cable.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from replay.cli.commands import command_help
from router.synth.corpus import DEFAULT_END, DEFAULT_START, SynthCable, synth_cables
from router.synth.topology import synthetic_topology
from router.times import parse_time
from topology.files import TopologyFileError, bundled_example, load_topology, write_topology
from topology.topology import Topology


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `synth` command."""
    parser = subparsers.add_parser(
        "synth",
        help=command_help("synth"),
        description=(
            "Write synthetic cables whose headers follow the real variants (FL1 styles, cables starting "
            "at FL5, collectives, XMT, ZEN, NIACT, dual precedence, office symbols, MCN ranges, sections). "
            "Addressees are drawn from the topology: the bundled example unless --topology or "
            "--synthetic-topology says otherwise."
        ),
    )
    parser.add_argument("--count", type=int, required=True, metavar="N", help="number of cables")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--start",
        type=_time_option,
        metavar="T",
        help="time of the first cable, ISO 8601 or a date (default 2004-01-01; with --end)",
    )
    parser.add_argument(
        "--end",
        type=_time_option,
        metavar="T",
        help="the cables fall before this time (default 2010-02-28; with --start)",
    )
    parser.add_argument(
        "--topology",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="topology TOML to draw posts from (repeatable, later wins)",
    )
    parser.add_argument(
        "--synthetic-topology",
        action="store_true",
        help="draw from an invented topology of about 250 posts and 13 collectives",
    )
    parser.add_argument(
        "--topology-out",
        type=Path,
        metavar="FILE",
        help="also write the topology the corpus was drawn from (TOML), for `simulate --topology`",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="PATH", help="directory, or a file ending .csv"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Generate and write the corpus; 2 on bad options, 1 when the output cannot be written."""
    if args.count < 0:
        print("cableroute synth: --count must be 0 or more", file=sys.stderr)
        return 2
    if args.topology and args.synthetic_topology:
        print("cableroute synth: use --topology or --synthetic-topology, not both", file=sys.stderr)
        return 2
    if (args.start is None) != (args.end is None):
        print("cableroute synth: give --start and --end together", file=sys.stderr)
        return 2
    start, end = (args.start, args.end) if args.start is not None else (DEFAULT_START, DEFAULT_END)
    if end <= start:
        print("cableroute synth: --end must be after --start", file=sys.stderr)
        return 2
    try:
        topology = synth_topology(args.topology, synthetic=args.synthetic_topology, seed=args.seed)
    except (OSError, TopologyFileError) as error:
        print(f"cableroute synth: cannot read topology: {error}", file=sys.stderr)
        return 1
    cables = synth_cables(args.count, seed=args.seed, topology=topology, start=start, end=end)
    try:
        with _progress(args.count) as advance:
            if args.output.suffix.lower() == ".csv":
                written = write_csv(_counted(cables, advance), args.output)
            else:
                written = write_directory(_counted(cables, advance), args.output)
        if args.topology_out is not None:
            write_topology(
                topology, args.topology_out, comment=f"topology of `cableroute synth --seed {args.seed}`"
            )
    except (OSError, ValueError) as error:
        print(f"cableroute synth: cannot write {args.output}: {error}", file=sys.stderr)
        return 1
    print(f"{written} synthetic cables written to {args.output}", file=sys.stderr)
    return 0


def _time_option(text: str) -> datetime:
    """An ISO 8601 time or date (UTC unless it carries an offset) for --start / --end."""
    try:
        return datetime.fromtimestamp(parse_time(text), tz=UTC)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def synth_topology(paths: list[Path], *, synthetic: bool, seed: int) -> Topology:
    """The topology to draw from: the files (later wins), the invented one, or the bundled example."""
    if paths:
        return load_topology(paths)
    if synthetic:
        return synthetic_topology(seed)
    return bundled_example()


def write_directory(cables: Iterable[SynthCable], directory: Path) -> int:
    """One `ID.txt` per cable in `directory` (created if needed); returns how many were written."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for cable in cables:
        (directory / f"{cable.id}.txt").write_text(cable.text + "\n", encoding="utf-8")
        count += 1
    return count


def csv_row(number: int, cable: SynthCable) -> list[str]:
    """The Cablegate CSV columns: id, date, reference, origin, classification, references, header, body."""
    date = f"{cable.dtg.month}/{cable.dtg.day}/{cable.dtg.year} {cable.dtg:%H:%M}"
    return [
        str(number),
        date,
        cable.id,
        cable.origin_label,
        cable.classification,
        ",".join(cable.references),
        cable.header,
        cable.body,
    ]


def write_csv(cables: Iterable[SynthCable], path: Path) -> int:
    """All cables as one Cablegate-layout CSV (no header row, as published); returns the count."""
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for count, cable in enumerate(cables, start=1):
            writer.writerow(csv_row(count, cable))
    return count


def _counted(cables: Iterable[SynthCable], advance: Callable[[], None]) -> Iterator[SynthCable]:
    for cable in cables:
        yield cable
        advance()


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on standard error when it is a terminal; a no-op otherwise."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task("synth", total=total)
        yield lambda: progress.advance(task)
