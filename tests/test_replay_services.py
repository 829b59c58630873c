"""The services apart: `cableroute serve`, `cableroute posts` and `cableroute replay --remote`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replay.mqtt.broker import BrokerInfo
from replay.store.queries import who_got
from replay.store.store import AuditStore, StoreError
from tests.cable_texts import INFO, cable_texts

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CABLEROUTE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _run_status(db: Path, run: str) -> str | None:
    try:
        with AuditStore(db, create=False) as store:
            return next((info.status for info in store.runs() if info.name == run), None)
    except StoreError:
        return None


def test_router_and_posts_services_replay_what_is_submitted(broker_info: BrokerInfo, tmp_path: Path) -> None:
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(6):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "audit.sqlite"
    AuditStore(db).close()
    url = f"mqtt://{broker_info.host}:{broker_info.port}"
    posts = _start("posts", "--broker", url, "--db", str(db))
    router = _start("serve", "--broker", url, "--db", str(db), "--settle", "0.5", "--idle-flush", "0.1")
    try:
        time.sleep(1.5)  # both connect and subscribe
        submitted = subprocess.run(
            [*CABLEROUTE, "replay", "--remote", "--broker", url, "--run", "remote-test", str(corpus)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert "6 cables published to cables/in" in submitted.stdout
        deadline = time.monotonic() + 20
        while _run_status(db, "remote-test") != "ok" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _run_status(db, "remote-test") == "ok"
    finally:
        for process in (router, posts):
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=15) for process in (router, posts)]
    assert router.returncode == 0, outputs[0][1].decode()
    assert posts.returncode == 0, outputs[1][1].decode()
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
