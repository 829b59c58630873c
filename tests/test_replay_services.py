"""The services apart: `cableroute serve`, `cableroute posts` and `cableroute replay --remote`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from replay.engine.router_service import NEVER_CONNECTED_REASON
from replay.engine.shards import Shard
from replay.mqtt.broker import BrokerInfo
from replay.store.queries import who_got
from replay.store.store import AuditStore, StoreError
from tests.cable_texts import INFO, cable_texts
from tests.waiting import StderrLines, wait_until
from topology.files import bundled_example

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]

#: The deployment's key the services and the submitter share in these tests.
KEY_ENV = {**os.environ, "CABLEROUTE_KEY": "test-key-0123456789abcdef"}


def _start(*args: str, env: dict[str, str] = KEY_ENV) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CABLEROUTE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _run_status(db: Path, run: str) -> str | None:
    try:
        with AuditStore(db, create=False) as store:
            return next((info.status for info in store.runs() if info.name == run), None)
    except StoreError:
        return None


@pytest.mark.parametrize(
    "shards",
    [(), ("1/3", "2/3", "3/3")],
    ids=["one-posts-process-sharing-the-store", "three-shards-receipts-over-the-broker"],
)
def test_router_and_posts_services_replay_what_is_submitted(
    broker_info: BrokerInfo, tmp_path: Path, shards: tuple[str, ...]
) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(6):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "audit.sqlite"
    AuditStore(db).close()
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    only = ",".join(["RUEHC", *(ri for ri, _ in INFO)])
    posts_processes = [
        # Without --db, the posts publish their receipts and the recorder in serve writes them.
        _start(
            "posts", "--broker", url, "--only", only, *(("--shard", shard) if shard else ("--db", str(db)))
        )
        for shard in shards or (None,)
    ]
    router = _start("serve", "--broker", url, "--db", str(db), "--settle", "0.5")
    said = {process: StderrLines(process) for process in (*posts_processes, router)}
    try:
        for posts in posts_processes:
            assert said[posts].wait_for("cableroute posts: ready on "), said[posts].text()
        assert said[router].wait_for("cableroute serve: ready on "), said[router].text()
        submitted = subprocess.run(
            [*CABLEROUTE, "replay", "--remote", "--broker", url, "--run", "remote-test", str(corpus)],
            capture_output=True,
            text=True,
            timeout=30,
            env=KEY_ENV,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert "6 routed, 0 lost before routing" in submitted.stdout
        assert wait_until(lambda: _run_status(db, "remote-test") == "ok", timeout=20)
    finally:
        for process in (router, *posts_processes):
            process.send_signal(signal.SIGTERM)
        for process in (router, *posts_processes):
            process.wait(timeout=15)
    assert router.returncode == 0, said[router].text()
    for posts in posts_processes:
        assert posts.returncode == 0, said[posts].text()
    with AuditStore(db, create=False) as store:
        for serial in range(100, 106):
            report = who_got(store, "remote-test", f"08TOKYO{serial}")
            assert {entry.post for entry in report.received} == {"RUEHC", *(ri for ri, _ in INFO)}
            assert report.missing == []


def test_remote_replay_needs_a_broker(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CABLEROUTE, "replay", "--remote", "--db", str(tmp_path / "x.sqlite")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "--remote needs --broker" in result.stderr


def test_a_post_that_never_connected_is_a_finding(broker_info: BrokerInfo, tmp_path: Path) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(3):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "audit.sqlite"
    AuditStore(db).close()
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    every = ",".join(sorted(bundled_example().posts))
    hosted = [
        _start("posts", "--broker", url, "--only", every, "--shard", shard) for shard in ("1/3", "2/3")
    ]  # 3/3 never starts
    absent = set(Shard(3, 3).posts(bundled_example().posts)) & {"RUEHC", *(ri for ri, _ in INFO)}
    assert absent == {"RUEHNH"}
    router = _start("serve", "--broker", url, "--db", str(db), "--settle", "0.5")
    said = {process: StderrLines(process) for process in (*hosted, router)}
    try:
        for posts in hosted:
            assert said[posts].wait_for("cableroute posts: ready on "), said[posts].text()
        assert said[router].wait_for("cableroute serve: ready on "), said[router].text()
        submitted = subprocess.run(
            [*CABLEROUTE, "replay", "--remote", "--broker", url, "--run", "partial", str(corpus)],
            capture_output=True,
            text=True,
            timeout=30,
            env=KEY_ENV,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert wait_until(lambda: _run_status(db, "partial") == "ok", timeout=20)
    finally:
        for process in (router, *hosted):
            process.send_signal(signal.SIGTERM)
        for process in (router, *hosted):
            process.wait(timeout=15)
    with AuditStore(db, create=False) as store:
        for serial in range(100, 103):
            report = who_got(store, "partial", f"08TOKYO{serial}")
            assert {entry.post for entry in report.received} == {"RUEHC", *(ri for ri, _ in INFO)} - absent
            assert [(entry.post, entry.reason) for entry in report.missing] == [
                ("RUEHNH", NEVER_CONNECTED_REASON)
            ]
