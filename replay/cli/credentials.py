"""Secrets on the command line: the deployment's message key and the broker's URL and password.

Nothing secret has to be typed on a command line, where `ps` shows it to every user of the machine:

- the key that seals receipts and submissions (`replay.mqtt.wire`) comes from `--key-file FILE`,
  `$CABLEROUTE_KEY_FILE` or `$CABLEROUTE_KEY` (in that order); `replay` with a private broker makes
  one for the run;
- the broker URL may come from `$CABLEROUTE_BROKER`, and its password from `--broker-password-file
  FILE` or `$CABLEROUTE_BROKER_PASSWORD` (either wins over a password in the URL).

Every message that shows a broker URL masks its password (`replay.mqtt.broker.masked_url`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import msgspec

from replay.cli.run_options import UsageError
from replay.mqtt.broker import BrokerInfo, parse_broker_url

#: Environment variables read for secrets.
KEY_ENV, KEY_FILE_ENV = "CABLEROUTE_KEY", "CABLEROUTE_KEY_FILE"
BROKER_ENV, BROKER_PASSWORD_ENV = "CABLEROUTE_BROKER", "CABLEROUTE_BROKER_PASSWORD"

#: The shortest key accepted (bytes): 128 bits.
MIN_KEY_BYTES = 16

#: The most a key or password file may hold (bytes).
MAX_SECRET_FILE = 64 * 1024


def add_key_option(parser: argparse.ArgumentParser) -> None:
    """Add `--key-file FILE`."""
    parser.add_argument(
        "--key-file",
        type=Path,
        metavar="FILE",
        help=f"the deployment's key that seals receipts and submissions (default: ${KEY_FILE_ENV}, "
        f"else the key in ${KEY_ENV}); make one with `cableroute broker-config --new-key`",
    )


def add_broker_options(parser: argparse.ArgumentParser, *, default: str | None, default_text: str) -> None:
    """Add `--broker URL` (default `$CABLEROUTE_BROKER`, else `default`) and `--broker-password-file`."""
    parser.add_argument(
        "--broker",
        metavar="URL",
        default=os.environ.get(BROKER_ENV) or default,
        help=f"mqtt://[user[:pass]@]host:port or mqtts://...; a cluster's nodes as a comma-separated list "
        f"(default: ${BROKER_ENV}, else {default_text}); the password is better given with "
        f"--broker-password-file or ${BROKER_PASSWORD_ENV}",
    )
    parser.add_argument(
        "--broker-password-file",
        type=Path,
        metavar="FILE",
        help=f"read the broker password from FILE (default: ${BROKER_PASSWORD_ENV}, else the URL's)",
    )


def _read_secret(path: Path, what: str) -> str:
    """The text of a secret file without its trailing line break; UsageError when unreadable or empty."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SECRET_FILE + 1)
    except OSError as error:
        raise UsageError(f"cannot read the {what} file {path}: {error.strerror or error}") from None
    if len(data) > MAX_SECRET_FILE:
        raise UsageError(f"the {what} file {path} is larger than {MAX_SECRET_FILE} bytes")
    text = data.decode("utf-8", errors="replace").rstrip("\r\n")
    if not text:
        raise UsageError(f"the {what} file {path} is empty")
    return text


def key_from(args: argparse.Namespace, *, required: bool) -> bytes | None:
    """The deployment's key from `--key-file`, `$CABLEROUTE_KEY_FILE` or `$CABLEROUTE_KEY`; None when
    none is given and it is not `required`; UsageError when it is, or when the key is too short."""
    path = getattr(args, "key_file", None) or os.environ.get(KEY_FILE_ENV)
    if path:
        text, origin = _read_secret(Path(path), "key"), f"the key file {path}"
    elif os.environ.get(KEY_ENV):
        text, origin = os.environ[KEY_ENV], f"${KEY_ENV}"
    elif required:
        raise UsageError(
            f"no key: pass --key-file FILE or set ${KEY_FILE_ENV} or ${KEY_ENV} (the same key for "
            "serve, posts and replay --remote; `cableroute broker-config --new-key` makes one)"
        )
    else:
        return None
    key = text.strip().encode()
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"the key in {origin} is too short: at least {MIN_KEY_BYTES} characters")
    return key


def with_client_passwords(broker: BrokerInfo, key: bytes) -> BrokerInfo:
    """`broker` with each client logging in as its client id with the password derived from the
    deployment's `key` (what `cableroute broker-config` configures), unless the URL names a user."""
    if broker.username is not None:
        return broker
    return msgspec.structs.replace(broker, client_secret=key)


def broker_from(args: argparse.Namespace) -> BrokerInfo | None:
    """The broker named by `--broker` (or `$CABLEROUTE_BROKER`) with its password from the file or
    the environment when given; None without a URL. UsageError (its password masked) when bad."""
    url = args.broker
    if not url:
        return None
    try:
        broker = parse_broker_url(url)
    except ValueError as error:
        raise UsageError(str(error)) from None
    password_file = getattr(args, "broker_password_file", None)
    if password_file is not None:
        password: str | None = _read_secret(password_file, "broker password")
    else:
        password = os.environ.get(BROKER_PASSWORD_ENV) or None
    if password is not None:
        if broker.username is None:
            raise UsageError(f"a broker password needs a user name in the URL: {broker.url}")
        broker = msgspec.structs.replace(broker, password=password)
    return broker
