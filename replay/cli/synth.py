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

from replay.audit.continuity import StationSerials
from replay.audit.facts import facts_from_cable
from replay.cli.commands import command_help
from replay.cli.topology_source import topology_for
from replay.inputs.corpus import ReadError, iter_sources
from router.decoder import decode
from router.model import Cable
from router.serials import estimate_all
from router.synth.corpus import DEFAULT_END, DEFAULT_START, SynthCable, synth_cables
from router.synth.profile import CorpusProfile, corpus_profile, station_volumes
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
    parser.add_argument(
        "--count", type=int, metavar="N", help="number of cables (with --like: at most this many)"
    )
    parser.add_argument(
        "--like",
        action="append",
        default=[],
        metavar="PATH",
        help="write traffic at the real volume of this corpus: each station's estimated cables "
        "(`cableroute estimate`), with the corpus's precedence mix, addressee counts, collectives and "
        "sizes; its topology is learned from it unless --topology is given (repeatable)",
    )
    parser.add_argument(
        "--year", type=int, metavar="Y", help="with --like: the volume of this year, in this year"
    )
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
    """Generate and write the corpus; 2 on bad options, 1 when an input or the output fails."""
    problem = _usage_problem(args)
    if problem:
        print(f"cableroute synth: {problem}", file=sys.stderr)
        return 2
    start, end = (args.start, args.end) if args.start is not None else (DEFAULT_START, DEFAULT_END)
    profile = None
    try:
        if args.like:
            profile, topology, window = like_corpus(args.like, args.year, args.topology)
            start, end = (args.start, args.end) if args.start is not None else window
        else:
            topology = synth_topology(args.topology, synthetic=args.synthetic_topology, seed=args.seed)
    except (OSError, TopologyFileError, ValueError) as error:
        print(f"cableroute synth: {error}", file=sys.stderr)
        return 1
    count = args.count if args.count is not None else 0
    if profile is not None:
        count = profile.total if args.count is None else min(args.count, profile.total)
    cables = synth_cables(count, seed=args.seed, topology=topology, start=start, end=end, profile=profile)
    try:
        with _progress(count) as advance:
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
    like = f" at the estimated volume of {len(profile.volumes)} stations" if profile is not None else ""
    print(f"{written} synthetic cables written to {args.output}{like}", file=sys.stderr)
    return 0


def _usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, if anything."""
    if args.count is None and not args.like:
        return "give --count N (or --like PATH)"
    if args.count is not None and args.count < 0:
        return "--count must be 0 or more"
    if args.topology and args.synthetic_topology:
        return "use --topology or --synthetic-topology, not both"
    if args.like and args.synthetic_topology:
        return "--like draws from the corpus's own topology; --synthetic-topology does not go with it"
    if args.year is not None and not args.like:
        return "--year goes with --like"
    if (args.start is None) != (args.end is None):
        return "give --start and --end together"
    if args.start is not None and args.end <= args.start:
        return "--end must be after --start"
    return None


def like_corpus(
    paths: list[str], year: int | None, topology_files: list[Path]
) -> tuple[CorpusProfile, Topology, tuple[datetime, datetime]]:
    """Read a real corpus: its profile at the estimated volume (of `year`, or of every year), the
    topology to draw from (the files, else learned from the corpus), and the time window (the year,
    or the years the estimates cover). Raises OSError for an unreadable input, ValueError when the
    corpus has no station serials (in that year)."""
    cables: list[Cable] = []
    for item in iter_sources(paths):
        if isinstance(item, ReadError):
            raise OSError(f"cannot read {item.source}: {item.message}")
        cables.append(decode(item.text, item.source))
    serials = StationSerials()
    for cable in cables:
        serials.add(facts_from_cable(cable))
    estimates = [e for e in estimate_all(serials.series) if year is None or e.year == year]
    if not estimates:
        where = f" from {year}" if year is not None else ""
        raise ValueError(f"no cable{where} in {' '.join(paths)} carries a station serial to estimate from")
    topology = load_topology(topology_files) if topology_files else topology_for([], cables)
    sample = [c for c in cables if year is None or (c.dtg is not None and c.dtg.year == year)]
    profile = corpus_profile(sample or cables, station_volumes(estimates), topology)
    years = [e.year for e in estimates]
    return (
        profile,
        topology,
        (datetime(min(years), 1, 1, tzinfo=UTC), datetime(max(years) + 1, 1, 1, tzinfo=UTC)),
    )


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
