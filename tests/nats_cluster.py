"""A three-node NATS cluster for the tests, started from the `nats-server` binary (never 4222).

Each node has its own free loopback ports (clients, routes, MQTT, monitoring), its own JetStream
store directory and server name; the MQTT streams and consumers are replicated on all three nodes
(`stream_replicas: 3`, `consumer_replicas: 3`), so a post's persistent session outlives the node it
was connected to. `start()` returns once every node has joined the cluster and JetStream has a
meta leader; `kill(i)` ends one node with SIGKILL. The fixture `nats_cluster` skips, with the reason,
when no nats-server binary can be found.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from replay.mqtt.broker import BrokerError, BrokerInfo, free_port, wait_until_listening

#: Where nats-server is looked for when it is not on PATH (Debian installs it in /usr/sbin).
NATS_FALLBACK_PATHS = ("/usr/sbin/nats-server", "/usr/local/bin/nats-server")

#: How long a cluster may take to form and elect its JetStream meta leader.
FORM_TIMEOUT_S = 30.0

#: Seconds an MQTT message may stay unacknowledged before JetStream delivers it again (nats-server's
#: default is 30): a post whose node died gets what was in flight to it this soon after it is back.
ACK_WAIT = "2s"


#: Clusters started before giving up: a free port found for a node can be taken by another process
#: before the node binds it.
START_ATTEMPTS = 3


#: prctl(2) option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child about to start a broker: have Linux kill it when the test process dies, so that a test
    run cut short (a timeout, SIGKILL) leaves no broker behind. Does nothing elsewhere."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def find_nats_server() -> str | None:
    """The nats-server binary: on PATH, else where Debian puts it; None when absent."""
    found = shutil.which("nats-server")
    if found:
        return found
    return next((path for path in NATS_FALLBACK_PATHS if os.access(path, os.X_OK)), None)


class NatsNode(msgspec.Struct, kw_only=True):
    """One node's name, ports and store directory."""

    name: str
    client_port: int
    route_port: int
    mqtt_port: int
    monitor_port: int
    store_dir: Path


class NatsCluster:
    """Three nats-server processes forming one cluster with JetStream and an MQTT listener each."""

    def __init__(self, root: Path, size: int = 3, binary: str | None = None) -> None:
        found = binary or find_nats_server()
        if found is None:
            raise BrokerError("nats-server was not found on PATH or in /usr/sbin")
        self.binary = found
        self.root = root
        self.nodes = [
            NatsNode(
                name=f"cr-n{index}",
                client_port=free_port(),
                route_port=free_port(),
                mqtt_port=free_port(),
                monitor_port=free_port(),
                store_dir=root / f"n{index}",
            )
            for index in range(size)
        ]
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def broker(self) -> BrokerInfo:
        """Every node's MQTT listener, as one broker list."""
        first, *others = self.nodes
        return BrokerInfo(
            host="127.0.0.1",
            port=first.mqtt_port,
            kind="nats",
            other_nodes=tuple(("127.0.0.1", node.mqtt_port) for node in others),
        )

    def config(self, index: int) -> str:
        """The configuration file of node `index`."""
        node = self.nodes[index]
        routes = ", ".join(
            f"nats-route://127.0.0.1:{other.route_port}" for other in self.nodes if other is not node
        )
        return "\n".join(
            [
                f"server_name: {node.name}",
                f"listen: 127.0.0.1:{node.client_port}",
                f"http: 127.0.0.1:{node.monitor_port}",
                f'jetstream {{ store_dir: "{node.store_dir}" }}',
                f"cluster {{ name: cableroute-test, listen: 127.0.0.1:{node.route_port},"
                f" routes: [{routes}] }}",
                f"mqtt {{ listen: 127.0.0.1:{node.mqtt_port}, stream_replicas: {len(self.nodes)},"
                f" consumer_replicas: {len(self.nodes)}, ack_wait: {ACK_WAIT!r} }}",
                "",
            ]
        )

    def start(self) -> None:
        """Start every node that is not running and wait until the cluster has formed."""
        for index, node in enumerate(self.nodes):
            if self.running(index):
                continue
            node.store_dir.mkdir(parents=True, exist_ok=True)
            config = self.root / f"{node.name}.conf"
            config.write_text(self.config(index))
            with (self.root / f"{node.name}.log").open("ab") as log:
                self._processes[index] = subprocess.Popen(
                    [self.binary, "-c", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
        self.wait_until_formed()

    def running(self, index: int) -> bool:
        """Whether node `index` is alive."""
        process = self._processes.get(index)
        return process is not None and process.poll() is None

    def wait_until_formed(self, timeout: float = FORM_TIMEOUT_S) -> None:
        """Wait until every running node listens for MQTT and names the same JetStream meta leader,
        and that leader sees every other running node as current; BrokerError after `timeout`."""
        deadline = time.monotonic() + timeout
        running = [index for index in range(len(self.nodes)) if self.running(index)]
        for index in running:
            if not wait_until_listening("127.0.0.1", self.nodes[index].mqtt_port, timeout):
                raise BrokerError(f"{self.nodes[index].name} does not listen: {self.log_tail(index)}")
        while time.monotonic() < deadline:
            metas = {self.nodes[index].name: self._meta(index) for index in running}
            leaders = {meta.get("leader") for meta in metas.values()}
            leader = leaders.pop() if len(leaders) == 1 else None
            if leader in metas:
                current = [peer for peer in metas[leader].get("replicas") or [] if peer.get("current")]
                if len(current) >= len(running) - 1:
                    return
            time.sleep(0.1)
        tails = "; ".join(f"{node.name}: {self.log_tail(index)}" for index, node in enumerate(self.nodes))
        raise BrokerError(f"the NATS cluster did not form within {timeout} s: {tails}")

    def _meta(self, index: int) -> dict[str, Any]:
        """What node `index` says of the JetStream meta group (empty when it does not answer)."""
        url = f"http://127.0.0.1:{self.nodes[index].monitor_port}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                meta = json.load(response).get("meta_cluster")
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def meta_leader(self) -> str | None:
        """The name of the JetStream meta leader, as the first running node sees it."""
        for index in range(len(self.nodes)):
            if self.running(index):
                return self._meta(index).get("leader")
        return None

    def kill(self, index: int) -> None:
        """End node `index` with SIGKILL (no chance to hand anything over)."""
        process = self._processes.pop(index, None)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        """End every node (SIGTERM, SIGKILL after 5 s)."""
        for index in list(self._processes):
            process = self._processes.pop(index)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def log_tail(self, index: int, lines: int = 5) -> str:
        """The last lines node `index` wrote, for error messages."""
        try:
            text = (self.root / f"{self.nodes[index].name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """A started three-node NATS cluster for one test, its stores under `tmp_path`."""
    if find_nats_server() is None:
        pytest.skip("nats-server is not installed (make test installs it)")
    for attempt in range(START_ATTEMPTS):
        cluster = NatsCluster(tmp_path / f"nats-{attempt}")
        try:
            cluster.start()
            break
        except BrokerError:
            cluster.stop()
            if attempt == START_ATTEMPTS - 1:
                raise
    try:
        yield cluster
    finally:
        cluster.stop()
