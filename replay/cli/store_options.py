"""Options shared by the commands that read recorded runs: `--db`, `--run`, `--topology`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from replay.store.store import AuditStore, StoreError, default_db_path
from topology.topology import Topology


def add_store_options(parser: argparse.ArgumentParser, *, run: bool = True, topology: bool = False) -> None:
    """Add `--db FILE`, and `--run NAME` / `--topology FILE` when asked."""
    parser.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help="audit store (default: audit.sqlite in the user data directory)",
    )
    if run:
        parser.add_argument("--run", metavar="NAME", help="the run to read (default: the latest run)")
    if topology:
        parser.add_argument(
            "--topology",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="topology file for post names, over the names recorded with the run (repeatable, later "
            "wins; runs recorded without names fall back to the bundled example)",
        )


def open_store(args: argparse.Namespace) -> AuditStore:
    """The existing store named by `--db` (or the default), opened read-only; `StoreError` when there is
    none or the file is not an audit store."""
    path = args.db if args.db is not None else default_db_path()
    return AuditStore(path, create=False, read_only=True)


def fail(command: str, message: str) -> int:
    """Print `cableroute COMMAND: message` to standard error and return exit code 1."""
    print(f"cableroute {command}: {message}", file=sys.stderr)
    return 1


def names_topology(args: argparse.Namespace, recorded: Mapping[str, str] | None = None) -> Topology:
    """The topology used for post names: the names recorded with the run (else the bundled example),
    with any `--topology` files on top."""
    from topology.files import bundled_example, load_topology
    from topology.model import Post

    base = (
        Topology([Post(ri=ri, name=name) for ri, name in recorded.items()]) if recorded else bundled_example()
    )
    paths = getattr(args, "topology", None) or []
    return base.layered(load_topology(paths)) if paths else base


__all__ = ["StoreError", "add_store_options", "fail", "names_topology", "open_store"]
