"""Remote runs (`replay --remote` to `serve` and `posts`) against mosquitto with its stock settings.

Each test starts its own mosquitto on a free loopback port, configured like a fresh install (only a
listener and anonymous access, so the default queue of 1,000 messages per client and 20 in flight,
or a smaller queue to make loss certain), and runs `serve` and `posts` as real processes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.mqtt.broker import find_mosquitto, free_port, wait_until_listening
from replay.store.store import AuditStore, StoreError
from tests.cable_texts import INFO, cable_texts

pytestmark = pytest.mark.broker

#: The posts the cables of `tests.cable_texts` go to.
TEXT_POSTS = ("--only", ",".join(["RUEHC", *(ri for ri, _ in INFO)]))

#: The deployment's key the services and the submitter share in these tests.
KEY_ENV = {**os.environ, "CABLEROUTE_KEY": "remote-test-key-0123456789abcdef"}

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]


class StockMosquitto:
    """mosquitto with a minimal configuration (its own defaults for everything else)."""

    def __init__(self, directory: Path, extra: str = "") -> None:
        binary = find_mosquitto()
        if binary is None:
            pytest.skip("mosquitto is not installed (make test installs it)")
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.log = directory / "mosquitto.log"
        config = directory / "mosquitto.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nlog_type all\n{extra}")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log)
        assert wait_until_listening("127.0.0.1", self.port), self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def stock_mosquitto(tmp_path: Path) -> Iterator[StockMosquitto]:
    broker = StockMosquitto(tmp_path)
    yield broker
    broker.stop()


class Service:
    """A `cableroute serve` or `posts` process, its standard error in a file."""

    def __init__(self, directory: Path, *args: str) -> None:
        self.stderr_path = directory / f"{args[0]}-{time.monotonic_ns()}.log"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [*CABLEROUTE, *args], stdout=subprocess.DEVNULL, stderr=stderr, env=KEY_ENV
            )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while ": ready on " not in self.stderr:
            assert self.process.poll() is None, self.stderr
            assert time.monotonic() < deadline, f"not ready: {self.stderr}"
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> float:
        """SIGTERM; the seconds it took to exit."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"did not stop within {timeout} s: {self.stderr}") from None
        return time.monotonic() - started


def _status(db: Path, run: str) -> str | None:
    try:
        with AuditStore(db, create=False) as store:
            return next((info.status for info in store.runs() if info.name == run), None)
    except (StoreError, sqlite3.Error):
        return None


def _wait_finished(db: Path, run: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while (status := _status(db, run)) in (None, "running"):
        assert time.monotonic() < deadline, f"run {run} still {status}"
        time.sleep(0.1)
    return status


def _cableroute(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CABLEROUTE, *args], capture_output=True, text=True, timeout=timeout, env=KEY_ENV)


def _write_corpus(directory: Path, count: int) -> Path:
    corpus = directory / "cables"
    corpus.mkdir()
    for item in cable_texts(count):
        (corpus / item.source).write_text(item.text)
    return corpus


def _services(
    directory: Path, url: str, db: Path, *serve_args: str, posts_args: tuple[str, ...] = TEXT_POSTS
) -> tuple[Service, Service]:
    AuditStore(db).close()
    posts = Service(directory, "posts", "--broker", url, "--db", str(db), *posts_args)
    router = Service(directory, "serve", "--broker", url, "--db", str(db), "--settle", "1", *serve_args)
    posts.wait_ready()
    router.wait_ready()
    return router, posts


def _deliveries(db: Path, run: str) -> dict[tuple[str, str], tuple[int, float]]:
    """(cable id, post) → (channel serial, simulated latency) of every receipt of the run."""
    with AuditStore(db, create=False) as store:
        rows = store.connection.execute(
            """
            SELECT c.cable_id, p.ri, r.channel_serial, r.received_sim - r.scheduled_sim
            FROM receipts AS r JOIN cables AS c ON c.id = r.cable JOIN posts AS p ON p.id = r.post
            WHERE r.run_id = ?
            """,
            (store.run_id(run),),
        ).fetchall()
    return {(cable, post): (serial, latency) for cable, post, serial, latency in rows}


def _per_post_order(deliveries: dict[tuple[str, str], tuple[int, float]]) -> dict[str, list[str]]:
    order: dict[str, list[tuple[int, str]]] = {}
    for (cable, post), (serial, _) in deliveries.items():
        order.setdefault(post, []).append((serial, cable))
    return {post: [cable for _, cable in sorted(pairs)] for post, pairs in order.items()}


@pytest.mark.slow
def test_a_router_slower_than_its_submitter_overflows_no_queue(
    stock_mosquitto: StockMosquitto, tmp_path: Path
) -> None:
    """The router is frozen while 1,500 cables are submitted: a stock mosquitto queues at most 1,000
    messages for it, so without flow control it drops the rest. With it, the submitter waits for
    acknowledgements, nothing is dropped, every cable is routed and received, and the submitter's
    ledger is in the store."""
    corpus = _write_corpus(tmp_path, 1500)
    db = tmp_path / "audit.sqlite"
    router, posts = _services(tmp_path, stock_mosquitto.url, db)
    submitter = None
    try:
        router.process.send_signal(signal.SIGSTOP)
        submitter = subprocess.Popen(
            [
                *CABLEROUTE,
                "replay",
                "--remote",
                "--broker",
                stock_mosquitto.url,
                "--run",
                "slow",
                str(corpus),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=KEY_ENV,
        )
        time.sleep(8)  # the submitter reads and sends what the window lets it
        router.process.send_signal(signal.SIGCONT)
        out, err = submitter.communicate(timeout=120)
        assert submitter.returncode == 0, err
        assert "1500 routed, 0 lost before routing" in out
        assert _wait_finished(db, "slow") == "ok"
    finally:
        router.process.send_signal(signal.SIGCONT)
        if submitter is not None and submitter.poll() is None:
            submitter.kill()
        router.stop()
        posts.stop()
    assert "dropped" not in stock_mosquitto.log.read_text()
    with AuditStore(db, create=False) as store:
        run_id = store.run_id("slow")
        ledger = store.connection.execute(
            "SELECT count(*), count(DISTINCT cable_id), count(lost) FROM submitted WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        assert ledger == (1500, 1500, 0)
    audit = _cableroute("audit", "--db", str(db), "--run", "slow", "--fail-on", "missing", "--json")
    assert audit.returncode == 0, audit.stderr
    distribution = json.loads(audit.stdout)["distribution"]
    assert (distribution["cables"], distribution["submitted"], distribution["missing"]) == (1500, 1500, 0)
    assert distribution["received"] == distribution["planned"] == 1500 * (1 + len(INFO))


def test_cables_a_broker_drops_are_sent_again_until_the_router_has_them(tmp_path: Path) -> None:
    """A queue of 5 messages per client makes mosquitto drop cables meant for the router; they are
    sent again until acknowledged, and all are routed. (No posts run: this is about the cables.)"""
    broker = StockMosquitto(tmp_path, "max_queued_messages 5\n")
    corpus = _write_corpus(tmp_path, 120)
    db = tmp_path / "audit.sqlite"
    AuditStore(db).close()
    router = Service(tmp_path, "serve", "--broker", broker.url, "--db", str(db), "--settle", "0.2")
    router.wait_ready()
    try:
        result = _cableroute(
            "replay", "--remote", "--broker", broker.url, "--run", "small-queue", "--resend-after", "1",
            "--window", "60", "--json", str(corpus),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert (summary["status"], summary["routed"], summary["lost_before_routing"]) == ("ok", 120, 0)
        assert summary["resent"] > 0
        assert _wait_finished(db, "small-queue") == "ok"
    finally:
        router.stop()
        broker.stop()
    assert "Outgoing messages are being dropped for client cableroute-router" in broker.log.read_text()
    with AuditStore(db, create=False) as store:
        routed = store.connection.execute(
            "SELECT count(*) FROM cables WHERE run_id = ? AND recorded = 1", (store.run_id("small-queue"),)
        ).fetchone()[0]
    assert routed == 120


def test_a_cable_the_router_never_routes_is_lost_before_routing_and_fails_the_audit(
    stock_mosquitto: StockMosquitto, tmp_path: Path
) -> None:
    corpus = _write_corpus(tmp_path, 5)
    big = next(iter(sorted(corpus.iterdir())))
    big.write_text(big.read_text() + "PADDING LINE OF THE BODY\n" * 4000)  # about 100 kB
    db = tmp_path / "audit.sqlite"
    router, posts = _services(tmp_path, stock_mosquitto.url, db, "--max-message-bytes", "50000")
    try:
        result = _cableroute(
            "replay", "--remote", "--broker", stock_mosquitto.url, "--run", "lossy", str(corpus)
        )
        assert result.returncode == 1
        assert "4 routed, 1 lost before routing" in result.stdout
        assert f"the router refused {big}" in result.stderr
        assert "over the router's limit of 50000" in result.stderr
        assert _wait_finished(db, "lossy") == "incomplete"
    finally:
        router.stop()
        posts.stop()
    audit = _cableroute("audit", "--db", str(db), "--run", "lossy", "--fail-on", "missing")
    assert audit.returncode == 1
    assert "1 lost before routing" in audit.stdout
    assert "findings present: missing 1" in audit.stderr
    report = json.loads(_cableroute("audit", "--db", str(db), "--run", "lossy", "--json").stdout)
    [lost] = report["distribution"]["lost_list"]
    assert lost["source"] == str(big)
    assert "over the router's limit" in lost["reason"]


@pytest.mark.slow
def test_remote_and_local_replays_give_the_same_plans_order_and_latencies(
    stock_mosquitto: StockMosquitto, tmp_path: Path
) -> None:
    corpus = tmp_path / "cables"
    topology = tmp_path / "topology.toml"
    made = _cableroute(
        "synth", "--count", "300", "--seed", "3", "--synthetic-topology", "--topology-out", str(topology),
        "-o", str(corpus),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    db = tmp_path / "audit.sqlite"
    local = _cableroute("replay", "--db", str(db), "--run", "local", "--topology", str(topology), str(corpus))
    assert local.returncode == 0, local.stderr
    router, posts = _services(tmp_path, stock_mosquitto.url, db, posts_args=("--topology", str(topology)))
    try:
        remote = _cableroute(
            "replay", "--remote", "--broker", stock_mosquitto.url, "--run", "remote", "--topology",
            str(topology), str(corpus),
        )  # fmt: skip
        assert remote.returncode == 0, remote.stderr
        assert _wait_finished(db, "remote") == "ok"
    finally:
        router.stop()
        posts.stop()
    here, there = _deliveries(db, "local"), _deliveries(db, "remote")
    assert len(here) > 1000
    assert set(here) == set(there)
    assert _per_post_order(here) == _per_post_order(there)
    for key, (serial, latency) in here.items():
        assert there[key][0] == serial
        assert there[key][1] == pytest.approx(latency, abs=1e-6)


@pytest.mark.corpus
@pytest.mark.slow
def test_the_corpus_resolves_remotely_as_it_does_locally(
    corpus_dir: Path, stock_mosquitto: StockMosquitto, tmp_path: Path
) -> None:
    """No --topology anywhere but `posts`: the submitter sends the topology a local replay would
    learn, so the router resolves every addressee the local replay resolves."""
    db = tmp_path / "audit.sqlite"
    topology = tmp_path / "learned.toml"
    assert _cableroute("topology", "learn", str(corpus_dir), "-o", str(topology)).returncode == 0
    local = _cableroute("simulate", "--db", str(db), "--run", "local", str(corpus_dir))
    assert local.returncode == 0, local.stderr
    router, posts = _services(tmp_path, stock_mosquitto.url, db, posts_args=("--topology", str(topology)))
    try:
        remote = _cableroute(
            "replay", "--remote", "--broker", stock_mosquitto.url, "--run", "remote", str(corpus_dir)
        )
        assert remote.returncode == 0, remote.stderr
        assert _wait_finished(db, "remote") == "ok"
    finally:
        router.stop()
        posts.stop()
    reports = {
        run: json.loads(_cableroute("audit", "--db", str(db), "--run", run, "--json").stdout)["distribution"]
        for run in ("local", "remote")
    }
    for figure in ("cables", "planned", "unresolved", "other_means"):
        assert reports["remote"][figure] == reports["local"][figure], figure
    assert reports["remote"]["unresolved"] < 100
    assert reports["remote"]["missing"] == 0


def test_posts_will_not_guess_which_posts_to_run(tmp_path: Path) -> None:
    result = _cableroute("posts", "--broker", "mqtt://127.0.0.1:1", "--db", str(tmp_path / "a.sqlite"))
    assert result.returncode == 2
    assert "name the posts to run: --topology FILE" in result.stderr
