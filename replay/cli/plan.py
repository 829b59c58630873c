"""`cableroute plan PATH...`: who each cable should reach, and why, without a broker or a run.

Exit status: 0 ok; 1 when an input could not be read, a topology file is malformed or an `--id`
names no cable; 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import msgspec

from replay.cli.commands import command_help
from replay.cli.topology_source import topology_for
from replay.inputs.corpus import EXAMPLES_DIR, read_cables
from router.deliveries import Plan
from router.model import Cable
from router.planner import Planner, cable_id_of
from topology.files import TopologyFileError
from topology.topology import Topology

_json = msgspec.json.Encoder()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `plan` command."""
    parser = subparsers.add_parser(
        "plan",
        help=command_help("plan"),
        description="Decode the cables and print, for each, the posts it should reach (role, effective "
        "precedence, NIACT, every reason), addressees delivered by other means (ZEN), XMT exemptions and "
        "unresolved addressees. Nothing is sent and nothing is recorded. Without --topology the topology "
        "is learned from the cables with the bundled example on top, as `replay` does.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="cable file, directory, '-' or .csv (default: the bundled example cables)",
    )
    parser.add_argument(
        "--topology",
        action="append",
        default=[],
        metavar="FILE",
        help="topology TOML file, repeatable, later files win (default: learned from the cables + the "
        "bundled example)",
    )
    parser.add_argument(
        "--id",
        dest="ids",
        action="append",
        default=[],
        metavar="ID",
        help="only this cable (repeatable); the topology is still learned from every input",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per cable per line")
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"cableroute plan: {message}", file=sys.stderr)
    return 1


def _read(paths: Sequence[str]) -> tuple[list[Cable], int]:
    """Decode every input; unreadable ones are reported on stderr and counted."""
    cables, errors = read_cables(paths)
    for error in errors:
        print(f"cableroute plan: cannot read {error.source}: {error.message}", file=sys.stderr)
    return cables, len(errors)


def run(args: argparse.Namespace) -> int:
    """Plan every cable and print the plans."""
    cables, failed = _read(args.paths or [str(EXAMPLES_DIR)])
    try:
        topology = topology_for(args.topology, cables)
    except TopologyFileError as error:
        return _fail(str(error))
    wanted = {i.strip().upper() for i in args.ids}
    chosen = [c for c in cables if not wanted or cable_id_of(c).upper() in wanted]
    missing = sorted(wanted - {cable_id_of(c).upper() for c in chosen})
    planner = Planner(topology)
    out = sys.stdout
    for number, cable in enumerate(chosen):
        plan = planner.plan(cable)
        if args.json:
            out.write(_json.encode(plan_json(plan, topology)).decode() + "\n")
        else:
            if number:
                out.write("\n")
            print_plan(plan, cable, topology)
    out.flush()
    for cable_id in missing:
        print(f"cableroute plan: no cable {cable_id} in the inputs", file=sys.stderr)
    return 1 if failed or missing else 0


def _name(topology: Topology, ri: str | None) -> str | None:
    post = topology.post(ri) if ri else None
    return post.name if post is not None else None


def plan_json(plan: Plan, topology: Topology) -> dict[str, Any]:
    """One plan as the JSON object `plan --json` prints (post names from `topology`)."""
    return {
        "id": plan.cable_id,
        "deliveries": [
            {
                "post": d.post,
                "name": _name(topology, d.post),
                "role": d.role,
                "precedence": d.precedence.value,
                "niact": d.niact,
                "reasons": list(d.reasons),
            }
            for d in plan.deliveries
        ],
        "other_means": [
            {"name": o.name, "ri": o.ri, "role": o.role, "post": o.post} for o in plan.other_means
        ],
        "exempted": [
            {"post": e.post, "name": _name(topology, e.post), "line": e.name} for e in plan.exempted
        ],
        "unresolved": [
            {"name": u.name, "ri": u.ri, "role": u.role, "line": u.line, "reason": u.reason}
            for u in plan.unresolved
        ],
    }


def print_plan(plan: Plan, cable: Cable, topology: Topology) -> None:
    """The human form of one plan: a heading, the deliveries, then whatever was not sent."""
    from replay.cli.tables import print_table

    level = cable.precedence.action.value if cable.precedence.action else "no precedence"
    origin = cable.origin_ri or cable.from_ or "?"
    print(
        f"{plan.cable_id}: {level} from {origin}; {len(plan.deliveries)} deliveries, "
        f"{len(plan.other_means)} by other means, {len(plan.exempted)} exempted, "
        f"{len(plan.unresolved)} unresolved"
    )
    if plan.deliveries:
        print_table(
            ("post", "name", "role", "precedence", "NIACT", "reasons"),
            [
                (
                    d.post,
                    _name(topology, d.post),
                    d.role,
                    d.precedence.value,
                    "yes" if d.niact else "",
                    "; ".join(d.reasons),
                )
                for d in plan.deliveries
            ],
        )
    if plan.other_means:
        print_table(
            ("addressee", "RI", "role", "post"),
            [(o.name, o.ri, o.role, o.post) for o in plan.other_means],
            title="Delivered by other means (ZEN), not sent",
        )
    if plan.exempted:
        print_table(
            ("post", "name", "XMT line"),
            [(e.post, _name(topology, e.post), e.name) for e in plan.exempted],
            title="Exempted (XMT)",
        )
    if plan.unresolved:
        print_table(
            ("addressee", "RI", "role", "reason"),
            [(u.name, u.ri, u.role, u.reason) for u in plan.unresolved],
            title="Unresolved addressees",
        )
