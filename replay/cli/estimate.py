"""`cableroute estimate PATH... [--year Y] [--station RI] [--json]`: how many cables each station
really sent per year, estimated from the station serials of the published ones (`router.serials`)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable

import msgspec

from replay.audit.continuity import StationSerials
from replay.audit.facts import facts_from_cable
from replay.cli.commands import command_help
from replay.cli.tables import print_table
from replay.inputs.corpus import ReadError, iter_sources
from router.decoder import decode
from router.faults import parse_ri
from router.serials import CONFIDENCE, SerialEstimate, estimate_all


class StationYear(msgspec.Struct, frozen=True, kw_only=True):
    """One row of `estimate --json`: the estimate with the station's name (its FM line)."""

    station: str
    name: str | None
    year: int
    observed: int
    max_serial: int
    estimate: int
    interval: tuple[int, int]
    share_published: float
    outliers: tuple[int, ...]


class TrafficEstimate(msgspec.Struct, kw_only=True):
    """What `estimate --json` prints: every station-year, and the totals."""

    cables: int
    with_serial: int
    published: int
    estimated: int
    confidence: float
    stations: list[StationYear]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `estimate` command."""
    parser = subparsers.add_parser(
        "estimate",
        help=command_help("estimate"),
        description=(
            "Station serials run 1, 2, 3, ... per originating station and year, so the serials of the "
            "published cables show how many a station sent: the serial-number ('German tank') estimate, "
            "with a 95%% interval, as Gill & Spirling (2015) applied to Cablegate. See docs/audit.md."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    parser.add_argument("--year", type=int, metavar="Y", help="only this year")
    parser.add_argument("--station", metavar="RI", help="only this originating station (FL3 RI)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.set_defaults(handler=run)


def read_serials(paths: Iterable[str]) -> tuple[StationSerials, dict[str, str], int, list[ReadError]]:
    """Decode the inputs and collect their station serials: (serials, station RI -> the name its
    cables are most often from, cables read, unreadable inputs)."""
    serials = StationSerials()
    names: dict[str, Counter[str]] = {}
    errors: list[ReadError] = []
    cables = 0
    for item in iter_sources(list(paths)):
        if isinstance(item, ReadError):
            errors.append(item)
            continue
        cable = decode(item.text, item.source)
        cables += 1
        serials.add(facts_from_cable(cable))
        if cable.origin_ri and cable.from_:
            names.setdefault(cable.origin_ri, Counter())[cable.from_] += 1
    return serials, {ri: seen.most_common(1)[0][0] for ri, seen in names.items()}, cables, errors


def traffic_estimate(
    serials: StationSerials, names: dict[str, str], cables: int, estimates: list[SerialEstimate]
) -> TrafficEstimate:
    """The estimates as rows with names, and the totals."""
    rows = [
        StationYear(
            station=e.station,
            name=names.get(e.station),
            year=e.year,
            observed=e.observed,
            max_serial=e.max_serial,
            estimate=e.estimate,
            interval=(e.low, e.high),
            share_published=round(e.share, 4),
            outliers=e.outliers,
        )
        for e in estimates
    ]
    return TrafficEstimate(
        cables=cables,
        with_serial=sum(len(numbers) for numbers in serials.series.values()),
        published=sum(row.observed for row in rows),
        estimated=sum(row.estimate for row in rows),
        confidence=CONFIDENCE,
        stations=rows,
    )


def run(args: argparse.Namespace) -> int:
    """Estimate and print; 1 when an input could not be read, 2 on a bad option."""
    try:
        station = parse_ri(args.station) if args.station else None
    except ValueError as error:
        print(f"cableroute estimate: --station: {error}", file=sys.stderr)
        return 2
    serials, names, cables, errors = read_serials(args.paths)
    for failure in errors:
        print(f"cableroute estimate: cannot read {failure.source}: {failure.message}", file=sys.stderr)
    series = {
        key: numbers
        for key, numbers in serials.series.items()
        if (args.year is None or key[1] == args.year) and (station is None or key[0] == station)
    }
    result = traffic_estimate(serials, names, cables, estimate_all(series))
    if args.json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    else:
        print_estimate(result)
    return 1 if errors else 0


def print_estimate(result: TrafficEstimate) -> None:
    """The table and a closing line of totals."""
    print_table(
        ("station", "name", "year", "observed", "max serial", "estimate", "95% interval", "published"),
        [
            (
                row.station,
                row.name,
                row.year,
                row.observed,
                row.max_serial,
                row.estimate,
                f"{row.interval[0]}-{row.interval[1]}",
                share_text(row.share_published),
            )
            for row in result.stations
        ],
    )
    outliers = sum(len(row.outliers) for row in result.stations)
    share = result.published / result.estimated if result.estimated else 0.0
    print(
        f"{result.published:,} cables published of about {result.estimated:,} sent ({share_text(share)}) in "
        f"{len(result.stations)} station-years; {result.cables:,} cables read, "
        f"{result.cables - result.with_serial:,} without a station serial"
        + (f", {outliers} outlying serials set aside" if outliers else "")
    )


def share_text(share: float) -> str:
    """A share as a percentage, with two decimals below 1% (`0.04%`), else one (`12.5%`)."""
    return f"{share:.2%}" if share < 0.01 else f"{share:.1%}"
