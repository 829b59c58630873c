"""Every command of `cableroute`: the module under `replay.cli` that defines it and its one-line help.

The table lets `cableroute --help` list the commands without importing any of them, and
`cableroute COMMAND` import only the module of that command.
"""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    """Where a command is defined and how `cableroute --help` describes it."""

    module: str
    help: str


#: Every command, in the order `cableroute --help` lists them.
COMMANDS: dict[str, Command] = {
    "decode": Command("decode", "decode cable headers and print a summary (or JSON lines)"),
    "topology": Command("topology", "learn, import, show and check topologies (posts, RIs, collectives)"),
    "plan": Command("plan", "which posts each cable should reach, in what role and precedence, and why"),
    "runs": Command("queries", "list the recorded runs"),
    "who-got": Command("queries", "which posts received a cable, and which did not"),
    "received": Command("queries", "what a post received"),
    "audit": Command(
        "audit", "audit a run: missing, duplicates, precedence, serial gaps, header consistency"
    ),
    "estimate": Command(
        "estimate", "estimate how many cables each station really sent per year, from the station serials"
    ),
    "replay": Command(
        "replay", "replay cables through an MQTT broker, every post a subscriber, and record receipts"
    ),
    "simulate": Command("simulate", "run a corpus through the network in virtual time (no broker)"),
    "synth": Command("synth", "write a synthetic corpus of cables"),
    "serve": Command(
        "services", "router service: route the runs `replay --remote` sends and publish to the posts"
    ),
    "posts": Command("services", "the post subscribers: one MQTT client per post, recording receipts"),
    "broker-config": Command(
        "broker_config", "mosquitto password file and ACL admitting only the services' clients; new keys"
    ),
}


def command_help(name: str) -> str:
    """The one-line help of command `name`."""
    return COMMANDS[name].help
