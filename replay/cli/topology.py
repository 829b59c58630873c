"""`cableroute topology learn|import|show|explain|resolve|coverage`: build, inspect and check topologies.

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
from replay.cli.tables import print_table
from replay.cli.topology_source import topology_for
from replay.inputs.corpus import read_cables
from router.addressees import parse_addressee, split_keyword
from router.learn import learn_topology, learn_with_evidence
from router.model import Addressee, Cable
from topology.books import read_books
from topology.coverage import Coverage, coverage
from topology.files import TopologyFileError, bundled_example, dump_topology, load_topology, write_topology
from topology.model import Collective, Post
from topology.topology import Topology, looks_like_ri

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
    learn.add_argument(
        "--topology",
        action="append",
        default=[],
        metavar="FILE",
        help="topology TOML file (an imported book, say) whose posts count as known stations when "
        "inferring members; repeatable; its entries are not copied into the output",
    )
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

    explain = commands.add_parser(
        "explain",
        help="why an RI is, or is not, a member of each collective it was seen with",
        description="Learn from the cables as `topology learn` does and explain, for one station, every "
        "collective named in the XRO copies that show it as an unexplained FL2 relay: the evidence, "
        "the verdict and the reason. See docs/topology.md.",
    )
    explain.add_argument("ri", metavar="RI", help="a routing indicator, e.g. RUEHTRO")
    explain.add_argument("paths", nargs="+", metavar="PATH", help="cable file, directory, '-' or .csv")
    explain.add_argument(
        "--topology",
        action="append",
        default=[],
        metavar="FILE",
        help="topology TOML file whose posts count as known stations (as for `learn`); repeatable",
    )
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    explain.set_defaults(handler=run_explain)

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
    cables, errors = read_cables(paths)
    for error in errors:
        print(f"cableroute topology: cannot read {error.source}: {error.message}", file=sys.stderr)
    return cables, len(errors)


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
    try:
        known = load_topology([Path(p) for p in args.topology]) if args.topology else None
    except TopologyFileError as error:
        return _fail(str(error))
    cables, failed = _read(args.paths)
    decoded = time.perf_counter()
    topology = learn_topology(cables, known)
    learned = time.perf_counter()
    members = sum(len(c.members) for c in topology.collectives.values())
    ambiguous = sum(1 for c in topology.collectives.values() for m in c.members if m.ambiguous_with)
    known_note = f"; known stations also from {', '.join(args.topology)}" if args.topology else ""
    comment = (
        f"cableroute topology: learned from {len(cables)} cables ({', '.join(args.paths)}){known_note}\n"
        f"{len(topology.posts)} posts, {len(topology.collectives)} collectives, {members} inferred members "
        f"({ambiguous} ambiguous)"
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
        f"({members} inferred members, {ambiguous} ambiguous) from {len(cables)} cables in "
        f"{learned - started:.2f} s",
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
                {
                    "collective": c.key,
                    "name": c.name,
                    "source": m.source,
                    "evidence": m.evidence,
                    "confidence": m.confidence,
                    "ambiguous_with": list(m.ambiguous_with),
                    "examples": list(m.examples),
                }
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
            facts = [_source(entry)]
            if entry["source"] == "inferred":
                facts.append(f"{entry['evidence']} cable{'s' if entry['evidence'] != 1 else ''}")
            if entry.get("confidence") is not None:
                facts.append(f"confidence {entry['confidence']:.2f}")
            out.write(f"  member of {entry['collective']} {entry['name'] or ''} ({', '.join(facts)})\n")
        return
    out.write(f"{info['ri'] or '(no RI)'}  {info['name'] or ''}  collective\n")
    for alias in info["aliases"]:
        out.write(f"  alias     {alias}\n")
    out.write(f"  members   {len(info['members'])}\n")
    if not info["members"]:
        return
    out.flush()
    print_table(
        ("member", "name", "source", "evidence", "confidence", "example cables"),
        [
            (
                m["ri"],
                m["name"] or "(unknown post)",
                _source(m),
                m["evidence"],
                f"{m['confidence']:.2f}" if m.get("confidence") is not None else "",
                " ".join(m.get("examples") or ()),
            )
            for m in info["members"]
        ],
    )


def _source(entry: dict[str, Any]) -> str:
    """`declared`, `inferred`, or `inferred, ambiguous with RUEHZL` for a member."""
    if entry["source"] != "inferred":
        return "declared"
    twins = entry.get("ambiguous_with") or ()
    return f"inferred, ambiguous with {', '.join(twins)}" if twins else "inferred"


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


def run_explain(args: argparse.Namespace) -> int:
    """`topology explain RI PATH...`."""
    ri = args.ri.strip().upper()
    if not looks_like_ri(ri):
        print(f"cableroute topology: {args.ri!r} is not a routing indicator", file=sys.stderr)
        return 2
    try:
        known = load_topology([Path(p) for p in args.topology]) if args.topology else Topology()
    except TopologyFileError as error:
        return _fail(str(error))
    cables, failed = _read(args.paths)
    learned = learn_with_evidence(cables, known)
    names = known.layered(learned.topology)
    sightings = learned.memberships.sightings.get(ri, [])
    verdicts = learned.memberships.verdicts.get(ri, [])
    unknown = learned.memberships.unknown_relays.get(ri, 0)
    post = names.post(ri)
    result = {
        "ri": ri,
        "name": post.name if post is not None else None,
        "station": bool(sightings) or (unknown == 0 and post is not None),
        "sightings": len(sightings),
        "without_collective": sum(1 for s in sightings if not s.collectives),
        "unknown_station_sightings": unknown,
        "verdicts": [
            {**msgspec.to_builtins(v), "name": _collective_name(names, v.collective)} for v in verdicts
        ],
    }
    if args.json:
        print(_json.encode(result).decode())
    else:
        _print_explanation(result)
    return 1 if failed or not (sightings or unknown) else 0


def _collective_name(topology: Topology, key: str) -> str | None:
    found = topology.collective(key)
    return found.name if found is not None else None


def _print_explanation(result: dict[str, Any]) -> None:
    """The human form of `topology explain`."""
    label = f"{result['ri']} {result['name'] or '(no name known)'}"
    if result["unknown_station_sightings"]:
        print(
            f"{label}: an FL2 relay in {result['unknown_station_sightings']} XRO copies that do not name it, "
            "but no layer knows it as a station (it is never on an addressee line, FL3 or in a --topology "
            "file), so it is not made a member of anything: pseudo-relays such as RUEHWEB look the same"
        )
        return
    if not result["sightings"]:
        print(f"{label}: never an unexplained FL2 relay of an XRO copy in these cables; nothing to infer")
        return
    unexplainable = result["without_collective"]
    note = f" ({unexplainable} of them naming no collective, which nothing explains)" if unexplainable else ""
    print(f"{label}: an unexplained FL2 relay in {result['sightings']} XRO copies{note}")
    verdicts = result["verdicts"]
    if not verdicts:
        return
    sys.stdout.flush()
    print_table(
        ("collective", "name", "verdict", "cables", "alone", "explains", "confidence", "example cables"),
        [
            (
                v["collective"],
                v["name"],
                ("member, ambiguous" if v["ambiguous_with"] else "member") if v["member"] else "not a member",
                v["cables"],
                v["alone"],
                v["explained"],
                f"{v['confidence']:.2f}" if v["member"] else "",
                " ".join(v["examples"]),
            )
            for v in verdicts
        ],
    )
    print("why:")
    for v in verdicts:
        print(f"  {v['collective']}: {v['reason']}")


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
