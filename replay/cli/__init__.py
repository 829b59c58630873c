"""The `cableroute` command line: one module per command group, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from replay.cli.logs import configure_logging

#: Command modules under `replay.cli`, in the order `--help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "decode",
    "topology",
    "queries",
    "audit",
    "replay",
    "simulate",
    "synth",
    "services",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="cableroute",
        description="Decode, route, replay and audit diplomatic cable traffic over MQTT.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (repeatable)")
    parser.add_argument("--log-json", action="store_true", help="write logs as JSON lines")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"replay.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code is 0 on success, 1 on failed input, 2 on usage errors."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None or not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    configure_logging(verbosity=args.verbose, json=args.log_json)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
