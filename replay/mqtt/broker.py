"""The broker a run talks to: an existing one named by URL, or a private one started for the run.

With no `--broker`, a run starts a private mosquitto on a free loopback port (persistence on, a
generous queue per client) when the mosquitto binary can be found, else an in-process amqtt broker.
amqtt does not hand over messages queued for an offline persistent session, so a run that needs
that (`--offline`) is told so: see `BrokerInfo.keeps_offline_queues`.

A private mosquitto (`PrivateBroker`) is started once the run knows its clients, with a password
and access rules for each (`replay.mqtt.access`) and no anonymous access.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import msgspec

from replay.mqtt.access import ClientAccess, acl_file, password_file
from topology.errors import CablerouteError

#: Where mosquitto is looked for when it is not on PATH (Debian installs it in /usr/sbin).
MOSQUITTO_FALLBACK_PATHS = (
    "/usr/sbin/mosquitto",
    "/usr/local/sbin/mosquitto",
    "/opt/homebrew/sbin/mosquitto",
)

#: Messages mosquitto may hold for one client (offline or slow) before it drops QoS 1 traffic.
MAX_QUEUED_MESSAGES = 10_000_000

#: How long to wait for a started broker to accept connections.
START_TIMEOUT_S = 10.0


class BrokerError(CablerouteError):
    """A broker could not be started, reached or understood."""


class BrokerInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Where a broker is and what it can do.

    A clustered broker has several nodes: `host:port` is the first, `other_nodes` the rest, and a
    client that loses its node (or cannot reach it) goes on to the next (see `node`). Every node takes
    the same scheme and credentials.

    `keeps_offline_queues`: whether messages published to a persistent session while its client is
    offline are handed over when it reconnects (mosquitto: yes; the amqtt fallback: no).
    `client_secret`: when set (and no `username`), every client logs in with its client id as user
    name and the password `replay.mqtt.access.client_password` derives from it. Neither the password
    nor the secret is ever shown (`url`, `repr`).
    """

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    kind: str = "external"
    keeps_offline_queues: bool = True
    other_nodes: tuple[tuple[str, int], ...] = ()

    @property
    def nodes(self) -> tuple[tuple[str, int], ...]:
        """Every node as (host, port), the first one first."""
        return ((self.host, self.port), *self.other_nodes)

    def node(self, index: int) -> BrokerInfo:
        """Node number `index` (counted round the list, so any integer will do) as a broker of its own."""
        nodes = self.nodes
        host, port = nodes[index % len(nodes)]
        return msgspec.structs.replace(self, host=host, port=port, other_nodes=())

    client_secret: bytes | None = None

    @property
    def url(self) -> str:
        """The broker as a URL (a comma-separated list for several nodes), without the password."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return ",".join(f"{scheme}://{user}{host}:{port}" for host, port in self.nodes)

    def __repr__(self) -> str:
        return f"BrokerInfo({self.url!r}, kind={self.kind!r})"

    __str__ = __repr__


def masked_url(url: str) -> str:
    """`url` (or a comma-separated list of URLs) with the password of each user part shown as `***`,
    for messages and logs.

    Everything between the first `:` after the scheme and the last `@` is taken for the password,
    whatever it contains (a password with `/`, `@` or `,` is masked whole)."""
    parts = url.split(",")
    if not all("://" in part for part in parts):
        return _masked_one(url)  # a comma inside a password: one URL
    return ",".join(_masked_one(part) for part in parts)


def _masked_one(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    user_part, at, host = rest.rpartition("@")
    if not at or ":" not in user_part:
        return url
    user = user_part.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def parse_broker_url(value: str) -> BrokerInfo:
    """`mqtt://[user:pass@]host[:port]` (default port 1883) or `mqtts://...` (TLS, default 8883); several
    such URLs separated by commas name the nodes of one clustered broker.

    Raises ValueError with a message fit for the user when the value is not of that form, or when the
    nodes of a list differ in scheme or credentials (credentials given once, on any node, apply to all).
    Every message shows the value with its passwords masked.
    """
    shown = masked_url(value)
    parts = [part.strip() for part in value.split(",")]
    if not all(parts):
        raise ValueError(f"broker list has an empty entry: {shown!r}")
    nodes = [_parse_one_url(part) for part in parts]
    first = nodes[0]
    if any(node.tls != first.tls for node in nodes):
        raise ValueError(f"every broker in a list must use the same scheme (mqtt:// or mqtts://): {shown!r}")
    credentials = {(node.username, node.password) for node in nodes if node.username is not None}
    if len(credentials) > 1:
        raise ValueError("every broker in a list must take the same user name and password")
    username, password = credentials.pop() if credentials else (None, None)
    return msgspec.structs.replace(
        first,
        username=username,
        password=password,
        other_nodes=tuple((node.host, node.port) for node in nodes[1:]),
    )


def _parse_one_url(url: str) -> BrokerInfo:
    shown = masked_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"broker URL cannot be parsed: {shown!r}") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {shown!r}")
    if not parts.hostname:
        raise ValueError(f"broker URL has no host: {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker URL must be scheme://[user:pass@]host[:port] only: {shown!r}")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ValueError(f"broker URL has a bad port: {shown!r}") from None
    return BrokerInfo(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def find_mosquitto() -> str | None:
    """The mosquitto binary: on PATH, else in the usual sbin directories; None when absent."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in MOSQUITTO_FALLBACK_PATHS:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_listening(host: str, port: int, timeout: float = START_TIMEOUT_S) -> bool:
    """Poll until a TCP connect to host:port succeeds; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return True
        time.sleep(0.02)
    return False


def check_reachable(broker: BrokerInfo, timeout: float = 3.0) -> None:
    """Fail fast when no node of `broker` can be reached for good: `BrokerError` when every node refuses
    the connection or its host name does not resolve. A node that accepts, or one that does not answer
    within `timeout` (which may pass: the clients retry such errors), lets the run go on."""
    problems = []
    for host, port in broker.nodes:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except TimeoutError:
            return
        except ConnectionRefusedError:
            problems.append(f"{host}:{port} refused the connection (is the broker running?)")
        except socket.gaierror as error:
            problems.append(f"{host} is not a known host ({error.strerror})")
        except OSError as error:
            if error.errno not in _LASTING_ERRNOS:
                return
            problems.append(f"{host}:{port}: {error.strerror}")
    raise BrokerError(f"cannot reach the broker {broker.url}: {'; '.join(problems)}")


#: Connection errors that waiting a few seconds does not cure.
_LASTING_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL})


def current_user() -> str:
    """The name of the user running this process (mosquitto started as root would otherwise switch
    to the `mosquitto` user and lose write access to its persistence directory)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return "root" if os.geteuid() == 0 else "mosquitto"


def mosquitto_config(
    port: int,
    data_dir: Path,
    host: str = "127.0.0.1",
    *,
    autosave_changes: int | None = None,
    access_files: tuple[Path, Path] | None = None,
) -> str:
    """A mosquitto 2.x configuration: one loopback listener, persistent, big queues; anonymous, or
    with `access_files` (password file, ACL file) only the clients they list, each as its own user.

    The database is saved when mosquitto stops (SIGTERM) and once a minute; with `autosave_changes`
    also after that many changes, so that a broker killed with SIGKILL keeps almost everything it
    acknowledged (each save writes the whole database: slow with much traffic).
    """
    if autosave_changes is not None:
        autosave = ["autosave_on_changes true", f"autosave_interval {autosave_changes}"]
    else:
        autosave = ["autosave_on_changes false", "autosave_interval 60"]
    if access_files is None:
        access = ["allow_anonymous true"]
    else:
        access = [
            "allow_anonymous false",
            f"password_file {access_files[0]}",
            f"acl_file {access_files[1]}",
            "use_username_as_clientid true",
        ]
    return "\n".join(
        [
            f"listener {port} {host}",
            *access,
            "persistence true",
            f"persistence_location {data_dir}/",
            "persistence_file broker.db",
            *autosave,
            f"max_queued_messages {MAX_QUEUED_MESSAGES}",
            "max_queued_bytes 0",
            "max_inflight_messages 1000",
            "max_inflight_bytes 0",
            "persistent_client_expiration 1d",
            f"user {current_user()}",
            "log_dest stderr",
            "log_type error",
            "",
        ]
    )


def _dies_with(parent: int) -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when its parent dies, even by SIGKILL (Linux's
    `PR_SET_PDEATHSIG`), so that a private broker never outlives the run that started it; None where
    that is not available."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def arrange() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


def _load_prctl() -> Callable[..., int] | None:
    """libc's `prctl`, looked up once in the parent (a child after fork should do as little as possible)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PR_SET_PDEATHSIG = 1
_PRCTL = _load_prctl()


class MosquittoBroker:
    """A private mosquitto on a loopback port, with persistence in its own directory.

    `autosave_changes`: see `mosquitto_config`; `extra_config`: lines appended to the configuration
    (they apply to its one listener, e.g. `certfile`, `keyfile`, `password_file`); `clients` and
    `secret`: admit only those clients, with passwords derived from `secret`. `start()`
    launches it and waits until it listens; `stop()` ends it (SIGTERM saves the database,
    `kill=True` sends SIGKILL); `restart()` starts it again on the same port with the same data.
    """

    def __init__(
        self,
        binary: str | None = None,
        *,
        port: int | None = None,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        autosave_changes: int | None = None,
        extra_config: str = "",
        clients: list[ClientAccess] | None = None,
        secret: bytes | None = None,
    ) -> None:
        found = binary or find_mosquitto()
        if found is None:
            raise BrokerError("mosquitto was not found on PATH or in /usr/sbin")
        self.binary = found
        self.host = host
        self.port = port or free_port(host)
        self.autosave_changes = autosave_changes
        self.extra_config = extra_config
        self.clients = clients
        self.secret = secret if clients is None or secret is not None else secrets.token_bytes(32)
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="cableroute-mosquitto-"))
        self.config_path = self.data_dir / "mosquitto.conf"
        self.log_path = self.data_dir / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def info(self) -> BrokerInfo:
        """How clients reach this broker."""
        return BrokerInfo(
            host=self.host,
            port=self.port,
            kind="mosquitto",
            keeps_offline_queues=True,
            client_secret=self.secret if self.clients is not None else None,
        )

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> BrokerInfo:
        """Write the configuration, launch mosquitto and wait until it accepts connections."""
        if self.running:
            return self.info
        access_files = None
        if self.clients is not None and self.secret is not None:
            access_files = (self.data_dir / "passwords", self.data_dir / "acl")
            _write_private(access_files[0], password_file(self.clients, self.secret))
            _write_private(access_files[1], acl_file(self.clients))
        config = mosquitto_config(
            self.port,
            self.data_dir,
            self.host,
            autosave_changes=self.autosave_changes,
            access_files=access_files,
        )
        self.config_path.write_text(config + self.extra_config)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_dies_with(os.getpid()),
            )
        if not wait_until_listening(self.host, self.port):
            self.stop(kill=True)
            raise BrokerError(f"mosquitto did not start on {self.host}:{self.port}: {self.log_tail()}")
        if not self.running:
            raise BrokerError(f"mosquitto exited at start: {self.log_tail()}")
        return self.info

    def stop(self, *, kill: bool = False, timeout: float = 5.0) -> None:
        """End the broker: SIGTERM (it saves its database first) or, with `kill`, SIGKILL."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None

    def restart(self, *, kill: bool = False) -> BrokerInfo:
        """Stop and start again on the same port with the same persistence directory."""
        self.stop(kill=kill)
        return self.start()

    def close(self) -> None:
        """Stop the broker and remove its directory if this object created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, lines: int = 5) -> str:
        """The last lines mosquitto wrote, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (mosquitto runs as the same user)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(text)


class AmqttBroker:
    """An in-process amqtt broker on a loopback port, running its own event loop in a thread.

    Good for online QoS 0/1 traffic; it does not hand over messages queued for an offline
    persistent session, hence `keeps_offline_queues=False`.
    """

    def __init__(self, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: object | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def info(self) -> BrokerInfo:
        """How clients reach this broker."""
        return BrokerInfo(host=self.host, port=self.port, kind="amqtt", keeps_offline_queues=False)

    def start(self) -> BrokerInfo:
        """Start the broker thread and wait until it listens."""
        if self._thread is not None:
            return self.info
        self._thread = threading.Thread(target=self._run, name="amqtt-broker", daemon=True)
        self._thread.start()
        self._started.wait(START_TIMEOUT_S)
        if self._error is not None or not wait_until_listening(self.host, self.port):
            raise BrokerError(f"amqtt did not start on {self.host}:{self.port}: {self._error}")
        return self.info

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._start_broker())
        except BaseException as error:  # reported to the starting thread
            self._error = error
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.close()

    async def _start_broker(self) -> None:
        from amqtt.broker import Broker  # imported here: only the fallback needs it

        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        broker = Broker(config)
        await broker.start()
        self._broker = broker

    def stop(self) -> None:
        """Shut the broker down and end its thread."""
        loop, thread, broker = self._loop, self._thread, self._broker
        if loop is None or thread is None:
            return
        if broker is not None:
            future = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                future.result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._thread = None
        self._loop = None
        self._broker = None

    def close(self) -> None:
        """Same as `stop`."""
        self.stop()


class PrivateBroker:
    """The private broker of one run, made before the run knows its clients and started once it does.

    `info` is where it will listen (and, for mosquitto, the run's secret the clients' passwords
    derive from); `start(clients)` starts mosquitto admitting only `clients`, or the amqtt fallback
    (which admits anyone); `close()` stops it.
    """

    def __init__(self, prefer: str = "mosquitto") -> None:
        use_mosquitto = prefer != "amqtt" and find_mosquitto() is not None
        self._mosquitto = MosquittoBroker(secret=secrets.token_bytes(32)) if use_mosquitto else None
        self._amqtt = None if use_mosquitto else AmqttBroker()

    @property
    def info(self) -> BrokerInfo:
        """How the run's clients will reach it."""
        if self._mosquitto is not None:
            return msgspec.structs.replace(self._mosquitto.info, client_secret=self._mosquitto.secret)
        assert self._amqtt is not None
        return self._amqtt.info

    def start(self, clients: list[ClientAccess]) -> BrokerInfo:
        """Start the broker for these clients (and no others, with mosquitto)."""
        if self._mosquitto is not None:
            self._mosquitto.clients = clients
            return self._mosquitto.start()
        assert self._amqtt is not None
        return self._amqtt.start()

    def close(self) -> None:
        """Stop the broker (if it started) and remove its data."""
        (self._mosquitto or self._amqtt).close()  # type: ignore[union-attr]


@contextlib.contextmanager
def private_broker(prefer: str = "mosquitto") -> Iterator[PrivateBroker]:
    """A `PrivateBroker` for one run, closed on exit."""
    broker = PrivateBroker(prefer)
    try:
        yield broker
    finally:
        broker.close()


@contextlib.contextmanager
def embedded_broker(prefer: str = "mosquitto") -> Iterator[BrokerInfo]:
    """A private broker for one run: mosquitto when found (unless `prefer="amqtt"`), else amqtt.

    Yields where it listens and what it can do; stops it (and removes its data) on exit.
    """
    use_mosquitto = prefer != "amqtt" and find_mosquitto() is not None
    broker: MosquittoBroker | AmqttBroker = MosquittoBroker() if use_mosquitto else AmqttBroker()
    try:
        yield broker.start()
    finally:
        broker.close()
