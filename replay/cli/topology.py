"""`cableroute topology learn|import|show|resolve|coverage`: build, inspect and check topologies.

Exit status: 0 ok; 1 failed input (an unreadable cable or topology file, an unknown address);
2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import structlog

from replay.cli.commands import command_help
from replay.cli.topology_source import topology_for
from replay.inputs.corpus import ReadError, iter_sources
from router.addressees import parse_addressee, split_keyword
from router.decode import decode
from router.learn import learn_topology
from router.model import Addressee, Cable
from topology.books import read_books
from topology.coverage import Coverage, coverage
from topology.files import TopologyFileError, bundled_example, dump_topology, load_topology, write_topology
from topology.model import Collective, Post
from topology.topology import Topology

log = structlog.get_logger()
_json = msgspec.json.Encoder()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `topology` command group."""
    parser = subparsers.add_parser(
        "topology",
        help=command_help("topology"),
        description="Build topologies from cables or routing-indicator books, and inspect them. "
        "See docs/topology.md.",
    )
    commands = parser.add_subparsers(dest="topology_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda _args: _usage(parser))

    learn = commands.add_parser(
        "learn",
        help="learn a topology from cables and write it as TOML",
        description="Decode the cables and write what their headers show: posts, PLAD aliases, "
        "collectives and inferred members. A PATH is a file, a directory, '-' or a .csv export.",
    )
    learn.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    learn.add_argument("-o", "--output", metavar="FILE", default="-", help="where to write (default: stdout)")
    learn.set_defaults(handler=run_learn)

    books = commands.add_parser(
        "import",
        help="turn routing-indicator books (JSON) into a TOML topology",
        description="Import JSON books of `ri` / `ri_range_end` / `name` rows; several books are "
        "layered in order, later ones winning.",
    )
    books.add_argument("files", nargs="+", metavar="FILE", help="JSON book")
    books.add_argument("-o", "--output", metavar="OUT", default="-", help="where to write (default: stdout)")
    books.set_defaults(handler=run_import)

    show = commands.add_parser("show", help="what an RI or PLAD means in a topology")
    show.add_argument("query", metavar="RI|PLAD", help="a routing indicator or a plain-language address")
    _topology_option(show, "default: the bundled example")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(handler=run_show)

    resolve = commands.add_parser(
        "resolve",
        help="parse one addressee line and resolve it",
        description='Parse an addressee line such as "RUEHFK/AMCONSUL FUKUOKA PRIORITY 1253" '
        "(a leading TO/INFO/XMT is allowed) and say which post or collective it means.",
    )
    resolve.add_argument("line", metavar="LINE", help="one addressee line, quoted")
    _topology_option(resolve, "default: the bundled example")
    resolve.add_argument("--json", action="store_true", help="print one JSON object")
    resolve.set_defaults(handler=run_resolve)

    cover = commands.add_parser(
        "coverage",
        help="share of addressee entries a topology resolves",
        description="Decode the cables and count the TO/INFO entries that resolve to a post or a "
        "collective. Without --topology the topology is learned from the same cables, with the bundled "
        "example on top.",
    )
    cover.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    _topology_option(cover, "default: learned from the cables + the bundled example")
    cover.add_argument("--top", type=int, default=20, metavar="N", help="unresolved addresses to list (20)")
    cover.add_argument("--json", action="store_true", help="print one JSON object")
    cover.set_defaults(handler=run_coverage)


def _topology_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--topology",
        action="append",
        default=[],
        metavar="FILE",
        help=f"topology TOML file, repeatable, later files win ({default})",
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _fail(message: str) -> int:
    print(f"cableroute topology: {message}", file=sys.stderr)
    return 1


def _read(paths: Sequence[str]) -> tuple[list[Cable], int]:
    """Decode every input; unreadable ones are reported on stderr and counted."""
    cables: list[Cable] = []
    failed = 0
    for item in iter_sources(paths):
        if isinstance(item, ReadError):
            failed += 1
            print(f"cableroute topology: cannot read {item.source}: {item.message}", file=sys.stderr)
            continue
        cables.append(decode(item.text, item.source))
    return cables, failed


def _write(topology: Topology, comment: str, output: str) -> None:
    """The topology as TOML on stdout (`-`) or in a file."""
    if output == "-":
        sys.stdout.write(dump_topology(topology, comment))
        sys.stdout.flush()
    else:
        write_topology(topology, Path(output), comment)


def _given_topology(paths: Sequence[str]) -> Topology:
    return load_topology([Path(p) for p in paths]) if paths else bundled_example()


def run_learn(args: argparse.Namespace) -> int:
    """`topology learn PATH... -o FILE`."""
    started = time.perf_counter()
    cables, failed = _read(args.paths)
    decoded = time.perf_counter()
    topology = learn_topology(cables)
    learned = time.perf_counter()
    members = sum(len(c.members) for c in topology.collectives.values())
    comment = (
        f"cableroute topology: learned from {len(cables)} cables ({', '.join(args.paths)})\n"
        f"{len(topology.posts)} posts, {len(topology.collectives)} collectives, {members} inferred members"
    )
    try:
        _write(topology, comment, args.output)
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error}")
    log.info(
        "topology.learned",
        cables=len(cables),
        posts=len(topology.posts),
        collectives=len(topology.collectives),
        members=members,
        decode_s=round(decoded - started, 3),
        learn_s=round(learned - decoded, 3),
    )
    print(
        f"learned {len(topology.posts)} posts, {len(topology.collectives)} collectives "
        f"({members} inferred members) from {len(cables)} cables in {learned - started:.2f} s",
        file=sys.stderr,
    )
    return 1 if failed else 0


def run_import(args: argparse.Namespace) -> int:
    """`topology import FILE... -o OUT`."""
    try:
        book = read_books([Path(f) for f in args.files])
    except TopologyFileError as error:
        return _fail(str(error))
    for reason in book.skipped:
        print(f"cableroute topology: skipped {reason}", file=sys.stderr)
    topology = book.topology
    comment = f"cableroute topology: imported from {', '.join(args.files)} ({book.rows} rows)"
    try:
        _write(topology, comment, args.output)
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error}")
    print(
        f"imported {len(topology.posts)} posts and {len(topology.collectives)} collectives from "
        f"{book.rows} rows ({len(book.skipped)} skipped)",
        file=sys.stderr,
    )
    return 0


def describe(found: Post | Collective, topology: Topology) -> dict[str, Any]:
    """A post or collective as a JSON-ready dict, with what the topology adds (link rate, memberships)."""
    if isinstance(found, Post):
        return {
            "type": "post",
            **msgspec.to_builtins(found),
            "relay": found.relay,
            "effective_link_cps": topology.link_cps(found.ri),
            "member_of": [
                {"collective": c.key, "name": c.name, "source": m.source, "evidence": m.evidence}
                for c in topology.collectives.values()
                for m in c.members
                if m.ri == found.ri
            ],
        }
    members = []
    for member in found.members:
        post = topology.post(member.ri)
        members.append({**msgspec.to_builtins(member), "name": post.name if post else None})
    aliases = list(found.aliases)
    return {"type": "collective", "ri": found.ri, "name": found.name, "aliases": aliases, "members": members}


def _print_description(info: dict[str, Any]) -> None:
    out = sys.stdout
    if info["type"] == "post":
        out.write(f"{info['ri']}  {info['name']}\n")
        if info.get("ri_range_end"):
            out.write(f"  range     {info['ri']} .. {info['ri_range_end']}\n")
        out.write(f"  kind      {info['kind']}\n  relay     {info['relay']}\n")
        stated = "" if info["link_cps"] is not None else " (topology default)"
        out.write(f"  link      {info['effective_link_cps']:g} chars/s{stated}\n")
        for alias in info["aliases"]:
            out.write(f"  alias     {alias}\n")
        for entry in info["member_of"]:
            out.write(f"  member of {entry['collective']} {entry['name'] or ''} ({_source(entry)})\n")
        return
    out.write(f"{info['ri'] or '(no RI)'}  {info['name'] or ''}  collective\n")
    for alias in info["aliases"]:
        out.write(f"  alias     {alias}\n")
    out.write(f"  members   {len(info['members'])}\n")
    for member in info["members"]:
        out.write(f"    {member['ri']:<8} {member['name'] or '(unknown post)':<40} {_source(member)}\n")


def _source(entry: dict[str, Any]) -> str:
    if entry["source"] == "inferred":
        return f"inferred, {entry['evidence']} cable{'s' if entry['evidence'] != 1 else ''}"
    return "declared"


def run_show(args: argparse.Namespace) -> int:
    """`topology show RI|PLAD`."""
    try:
        topology = _given_topology(args.topology)
    except TopologyFileError as error:
        return _fail(str(error))
    found = topology.lookup(args.query)
    if found is None:
        if args.json:
            print(_json.encode({"type": "unresolved", "query": args.query}).decode())
        return _fail(f"{args.query!r} is not in the topology")
    info = describe(found, topology)
    if args.json:
        print(_json.encode(info).decode())
    else:
        _print_description(info)
    return 0


def parse_line(line: str) -> Addressee | None:
    """One addressee line (an optional TO/INFO/XMT first), parsed by the decoder's addressee parser."""
    _section, rest = split_keyword(" ".join(line.split()))
    if not rest.strip():
        return None
    addressee, _typo = parse_addressee(rest, 1, None)
    return addressee if addressee.name or addressee.ri else None


def run_resolve(args: argparse.Namespace) -> int:
    """`topology resolve "LINE"`."""
    try:
        topology = _given_topology(args.topology)
    except TopologyFileError as error:
        return _fail(str(error))
    addressee = parse_line(args.line)
    if addressee is None:
        return _fail(f"no addressee in {args.line!r}")
    found = topology.resolve(addressee)
    parsed = msgspec.to_builtins(addressee)
    if isinstance(found, Post | Collective):
        result: dict[str, Any] = {"addressee": parsed, "resolved": describe(found, topology)}
    else:
        result = {"addressee": parsed, "resolved": None, "reason": found.reason}
    if args.json:
        print(_json.encode(result).decode())
    else:
        label = f"{addressee.ri}/{addressee.name}" if addressee.ri else addressee.name
        facts = [w for w in (addressee.precedence_word, addressee.mcn, "ZEN" if addressee.zen else None) if w]
        if addressee.office:
            facts.append(f"office {addressee.office}")
        print(f"addressee {label}" + (f"  ({', '.join(facts)})" if facts else ""))
        if result["resolved"] is None:
            print(f"unresolved: {found.reason}")  # type: ignore[union-attr]
        else:
            _print_description(result["resolved"])
    return 0 if result["resolved"] is not None else 1


def run_coverage(args: argparse.Namespace) -> int:
    """`topology coverage PATH...`."""
    cables, failed = _read(args.paths)
    try:
        topology = topology_for(args.topology, cables)
    except TopologyFileError as error:
        return _fail(str(error))
    result = coverage((a for cable in cables for a in cable.addressees), topology, top=max(args.top, 0))
    if args.json:
        print(_json.encode(result).decode())
    else:
        _print_coverage(result, len(cables))
    return 1 if failed else 0


def _print_coverage(result: Coverage, cables: int) -> None:
    out = sys.stdout
    out.write(
        f"{cables} cables, {result.addressees} addressee entries: {result.resolved} resolved "
        f"({result.ratio:.2%}), of which {result.collectives} collectives; {result.unresolved} unresolved\n"
    )
    if result.top_unresolved:
        out.write("most frequent unresolved:\n")
        for entry in result.top_unresolved:
            label = f"{entry.ri}/{entry.name}" if entry.ri else entry.name
            out.write(f"  {entry.count:>6}  {label}\n")
