"""A private RabbitMQ node with its MQTT plugin, for the tests (never the machine's own node).

The node has its own name (`cr-test-<pid>-<n>@localhost`), its own ports (AMQP, Erlang
distribution, MQTT, and an epmd of its own on a free port, so the machine's epmd is never asked),
its own data, log and home directories (the Erlang cookie is made there) and an environment file
of its own instead of /etc/rabbitmq/rabbitmq-env.conf; only `rabbitmq_mqtt` is enabled. It is
started from RabbitMQ's own start script (not the Debian wrapper, which switches to the rabbitmq
user), stopped with SIGTERM (SIGKILL after a grace period), and its epmd is ended with it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from replay.mqtt.broker import BrokerError, BrokerInfo, free_port, wait_until_listening
from tests.nats_cluster import die_with_parent

#: RabbitMQ's start script: Debian's real one first (the /usr/sbin one is a wrapper that switches to
#: the rabbitmq user), else whatever `rabbitmq-server` is on PATH.
RABBITMQ_SCRIPTS = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)

#: How long a node may take to boot and open its MQTT listener.
START_TIMEOUT_S = 90.0

_counter = itertools.count()


def find_rabbitmq_server() -> str | None:
    """RabbitMQ's start script, or None when RabbitMQ is not installed."""
    for script in RABBITMQ_SCRIPTS:
        if os.access(script, os.X_OK):
            return script
    return shutil.which("rabbitmq-server")


def find_epmd() -> str | None:
    """Erlang's port mapper daemon, to end the one the node started."""
    return shutil.which("epmd") or next(
        (str(path) for path in sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None
    )


class RabbitMqNode:
    """One RabbitMQ node on free loopback ports, with everything it writes under `root`."""

    def __init__(self, root: Path, script: str | None = None) -> None:
        found = script or find_rabbitmq_server()
        if found is None:
            raise BrokerError("rabbitmq-server was not found")
        self.script = found
        self.root = root
        self.name = f"cr-test-{os.getpid()}-{next(_counter)}@localhost"
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.mqtt_port = free_port()
        self.log_path = root / "startup.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def broker(self) -> BrokerInfo:
        """The node's MQTT listener (RabbitMQ's default user, which may connect from loopback only)."""
        return BrokerInfo(
            host="127.0.0.1", port=self.mqtt_port, username="guest", password="guest", kind="rabbitmq"
        )

    def environment(self) -> dict[str, str]:
        """The variables that keep this node apart from any other on the machine."""
        root = self.root
        return {
            **os.environ,
            "HOME": str(root / "home"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(root / "log"),
            "RABBITMQ_PID_FILE": str(root / "rabbitmq.pid"),
        }

    def write_files(self) -> None:
        """The node's configuration, plugin list, environment file and directories."""
        root = self.root
        for directory in ("home", "mnesia", "log"):
            (root / directory).mkdir(parents=True, exist_ok=True)
        (root / "rabbitmq-env.conf").write_text("")
        (root / "advanced.config").write_text("[].\n")
        (root / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
        (root / "rabbitmq.conf").write_text(
            "\n".join(
                [
                    f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}",
                    f"mqtt.listeners.tcp.default = 127.0.0.1:{self.mqtt_port}",
                    "mqtt.allow_anonymous = false",
                    "loopback_users.guest = true",
                    "log.console = true",
                    "log.file = false",
                    "",
                ]
            )
        )

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Boot the node and wait until its MQTT listener accepts connections."""
        self.write_files()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.script],
                env=self.environment(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerError(f"RabbitMQ exited at start: {self.log_tail()}")
            if wait_until_listening("127.0.0.1", self.mqtt_port, timeout=1.0):
                return
        self.stop()
        raise BrokerError(f"RabbitMQ did not open its MQTT listener within {timeout} s: {self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """End the node (SIGTERM to its process group, SIGKILL after `timeout`) and its epmd."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        epmd = find_epmd()
        if epmd is not None:
            subprocess.run(
                [epmd, "-port", str(self.epmd_port), "-kill"],
                env={**os.environ, "ERL_EPMD_ADDRESS": "127.0.0.1"},
                capture_output=True,
                timeout=10,
                check=False,
            )

    def log_tail(self, lines: int = 8) -> str:
        """The last lines the node wrote, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])
