"""The `cableroute` command line: one module per command group, each with `register(subparsers)`.

Only the module of the command being run is imported (`replay.cli.commands` says which module that
is), so `cableroute --help` and light commands such as `decode` start without the broker, store and
terminal libraries the others need.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence

from replay.cli.commands import COMMANDS

__all__ = ["build_parser", "main"]

_GLOBAL_FLAGS = frozenset({"-v", "--verbose", "-vv", "-vvv", "--log-json"})


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with `commands` (default: every command) registered with all their options.

    Every other command is listed by name and help only, without importing its module.
    """
    parser = argparse.ArgumentParser(
        prog="cableroute",
        description="Decode, route, replay and audit diplomatic cable traffic over MQTT.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (repeatable)")
    parser.add_argument("--log-json", action="store_true", help="write logs as JSON lines")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = {COMMANDS[name].module for name in (COMMANDS if commands is None else commands)}
    for name, spec in COMMANDS.items():
        if name in subparsers.choices:
            continue  # registered with an earlier command of its module
        if spec.module in wanted:
            importlib.import_module(f"replay.cli.{spec.module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=spec.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code is 0 on success, 1 on failed input, 2 on usage errors."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _command_named(arguments)
    parser = build_parser([command] if command else [])
    args = parser.parse_args(arguments)
    if args.command is None or not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    if "structlog" in sys.modules:  # only commands whose code logs import it
        from replay.cli.logs import configure_logging

        configure_logging(verbosity=args.verbose, json=args.log_json)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _command_named(arguments: Sequence[str]) -> str | None:
    """The command the arguments name (the first word that is not a global flag), if it is one."""
    for word in arguments:
        if word in _GLOBAL_FLAGS or (word.startswith("-v") and set(word[1:]) == {"v"}):
            continue
        return word if word in COMMANDS else None
    return None


class _VersionAction(argparse._VersionAction):
    """`--version`, with the version looked up only when asked for: reading the installed package's
    metadata (`importlib.metadata`) costs more than the rest of a light command's start."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        self.version = f"%(prog)s {_version()}"
        super().__call__(parser, namespace, values, option_string)


def _version() -> str:
    """The installed version of cableroute."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cableroute")
    except PackageNotFoundError:
        return "unknown"
