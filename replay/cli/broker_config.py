"""`cableroute broker-config`: the mosquitto password file and ACL for the services of one deployment.

Every client of the services (`serve`, `posts`, `replay --remote`) logs in as its client id with a
password derived from the deployment's key; this command writes what mosquitto needs to admit exactly
those clients, each to its own topics (`replay.mqtt.access`), and makes new keys (`--new-key`).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

from replay.cli.commands import command_help
from replay.cli.credentials import add_key_option, key_from
from replay.cli.run_options import BUNDLED_TOPOLOGY, UsageError
from replay.mqtt.access import acl_file, deployment_access, password_file
from replay.mqtt.topics import is_valid_ri

#: The names of the files `--out` writes.
PASSWORD_FILE, ACL_FILE, CONFIG_FILE = "passwords", "acl", "access.conf"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `broker-config` command."""
    parser = subparsers.add_parser(
        "broker-config",
        help=command_help("broker-config"),
        description=(
            "Print (or, with --out, write) the mosquitto password file, ACL and configuration lines that "
            "admit the services' clients and no one else: cableroute-router reads cables/in, "
            "cableroute-router-out alone publishes to posts/+, cableroute-submit alone publishes to "
            "cables/in, and each cableroute-post-<RI> reads only posts/<RI>. Each client's password is "
            "derived from the deployment's key; the files hold only PBKDF2-SHA512 hashes ($7$, as "
            "mosquitto_passwd writes). --new-key prints a new key instead. Exit status: 0 ok, 1 when a "
            "file could not be read or written, 2 on usage errors."
        ),
    )
    parser.add_argument("--new-key", action="store_true", help="print a new random key for a deployment")
    parser.add_argument("--posts", metavar="RI,...", help="the posts (default: those of the topology)")
    parser.add_argument(
        "--topology",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help=f"topology TOML whose posts to admit (repeatable); default: {BUNDLED_TOPOLOGY}",
    )
    add_key_option(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"write {PASSWORD_FILE}, {ACL_FILE} and {CONFIG_FILE} into DIR instead of printing them",
    )
    parser.add_argument(
        "--broker-dir",
        metavar="PATH",
        help="where the broker will find the files, for the configuration lines (default: DIR of --out)",
    )
    parser.set_defaults(handler=run)


def new_key() -> str:
    """A new deployment key: 32 random bytes, URL-safe base64 (43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _posts(args: argparse.Namespace) -> list[str]:
    if args.posts:
        posts = [ri.strip() for ri in args.posts.split(",") if ri.strip()]
    else:
        from topology.files import bundled_example, load_topology

        topology = load_topology(args.topology) if args.topology else bundled_example()
        posts = sorted(topology.posts)
    bad = [ri for ri in posts if not is_valid_ri(ri)]
    if bad or not posts:
        raise UsageError(f"not routing indicators: {', '.join(bad)}" if bad else "no posts to admit")
    return posts


def config_lines(directory: str) -> str:
    """The mosquitto.conf lines (for the listener) that use the files in `directory`."""
    return "\n".join(
        [
            "allow_anonymous false",
            f"password_file {directory.rstrip('/')}/{PASSWORD_FILE}",
            f"acl_file {directory.rstrip('/')}/{ACL_FILE}",
            "use_username_as_clientid true",
            "",
        ]
    )


def run(args: argparse.Namespace) -> int:
    """Print a new key, or the broker's access files for the deployment."""
    if args.new_key:
        print(new_key())
        return 0
    try:
        key = key_from(args, required=True)
        assert key is not None
        posts = _posts(args)
    except UsageError as error:
        return _fail(str(error), 2)
    except (OSError, ValueError) as error:  # an unreadable or invalid topology file
        return _fail(str(error), 1)
    clients = deployment_access(posts)
    passwords, acl = password_file(clients, key), acl_file(clients)
    if args.out is None:
        directory = args.broker_dir or "/mosquitto/config"
        sys.stdout.write(
            f"# {PASSWORD_FILE} (mosquitto password_file)\n{passwords}\n"
            f"# {ACL_FILE} (mosquitto acl_file)\n{acl}\n"
            f"# mosquitto.conf, in the listener's section\n{config_lines(directory)}"
        )
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in (
            (PASSWORD_FILE, passwords),
            (ACL_FILE, acl),
            (CONFIG_FILE, config_lines(args.broker_dir or str(args.out.resolve()))),
        ):
            # Readable by the broker's user: the files hold hashes of 256-bit derived passwords, not the key.
            path = args.out / name
            path.write_text(text)
            os.chmod(path, 0o644)
    except OSError as error:
        return _fail(f"cannot write {args.out}: {error.strerror or error}", 1)
    print(f"cableroute broker-config: {len(clients)} clients ({len(posts)} posts) written to {args.out}")
    return 0


def _fail(message: str, code: int) -> int:
    print(f"cableroute broker-config: {message}", file=sys.stderr)
    return code


__all__ = ["config_lines", "new_key", "register", "run"]
