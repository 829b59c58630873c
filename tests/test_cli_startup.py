"""The command line imports only what the command being run needs."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys

import pytest

from replay.cli import build_parser
from replay.cli.commands import COMMANDS

HEAVY = ("structlog", "rich", "asyncio", "sqlite3")


def _modules_after(arguments: list[str], top_level: bool = True) -> set[str]:
    """The modules (by default only the top-level ones) loaded by a fresh interpreter running
    `cableroute ARGUMENTS`."""
    names = "{name.split('.')[0] for name in sys.modules}" if top_level else "sys.modules"
    script = (
        "import sys\n"
        "from replay.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('\\nMODULES', *sorted({names}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    last = done.stdout.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith("MODULES "), done.stdout
    return set(last.split()[1:])


def test_help_imports_no_command_module() -> None:
    loaded = _modules_after(["--help"])
    assert "replay" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_decode_json_imports_no_logging_or_terminal_library(tmp_path) -> None:
    cable = tmp_path / "c.txt"
    cable.write_text("nothing like a cable\n")
    script_modules = _modules_after(["decode", "--json", str(cable)])
    assert "router" in script_modules
    assert not script_modules & {"structlog", "rich", "asyncio"}


def test_decode_reads_no_package_metadata_and_no_simulation_module(tmp_path) -> None:
    cable = tmp_path / "c.txt"
    cable.write_text("nothing like a cable\n")
    loaded = _modules_after(["decode", "--json", str(cable)], top_level=False)
    assert "router.decoder" in loaded
    assert not loaded & {"importlib.metadata", "router.circuit", "router.faults", "router.load"}


def test_every_command_is_in_the_table_with_the_module_that_defines_it() -> None:
    for module in sorted({spec.module for spec in COMMANDS.values()}):
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(f"replay.cli.{module}").register(subparsers)
        for name in subparsers.choices:
            assert name in COMMANDS, f"{name} (from replay.cli.{module}) is missing from COMMANDS"
            assert COMMANDS[name].module == module


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_parses_its_own_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser([command]).parse_args([command, "--help"])
    assert stop.value.code == 0
    assert "usage: cableroute" in capsys.readouterr().out


def test_top_level_help_lists_every_command_in_table_order(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser([]).parse_args(["--help"])
    listing = capsys.readouterr().out
    # a long name stands on its own line, its help on the next
    positions = [re.search(rf"^    {re.escape(name)}\s", listing, re.MULTILINE).start() for name in COMMANDS]
    assert positions == sorted(positions)
    assert all(COMMANDS[name].help.split()[0] in listing for name in COMMANDS)
