"""`cableroute broker-config`: a real mosquitto configured with its files runs the services, and admits
no one else (no anonymous reader, no one taking the router's client id)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.cli import main
from replay.mqtt.broker import BrokerInfo, MosquittoBroker, find_mosquitto
from replay.mqtt.client import ConnectionRefused, open_connection
from replay.store.queries import who_got
from replay.store.store import AuditStore, StoreError
from tests.cable_texts import INFO, cable_texts
from tests.waiting import wait_until

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]
POSTS = ["RUEHC", *(ri for ri, _ in INFO)]


def test_a_new_key_is_random_and_long_enough(capsys: pytest.CaptureFixture[str]) -> None:
    keys = []
    for _ in range(2):
        assert main(["broker-config", "--new-key"]) == 0
        keys.append(capsys.readouterr().out.strip())
    assert keys[0] != keys[1] and len(keys[0]) == 43


def test_the_printed_configuration_names_every_client_and_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key"
    key.write_text("printed-config-key-0123456789abcdef\n")
    assert main(["broker-config", "--key-file", str(key), "--posts", "RUEHC,RUEHFK"]) == 0
    out = capsys.readouterr().out
    assert "user cableroute-post-RUEHFK\ntopic read posts/RUEHFK\ntopic write receipts/+\n" in out
    assert "user cableroute-recorder\ntopic read receipts/+\n" in out
    assert "user cableroute-router-out\ntopic write posts/+\ntopic write cables/ack/+\n" in out
    assert "user cableroute-submit\ntopic write cables/in\n" in out
    assert "user cableroute-submit-ack\ntopic read cables/ack/+\n" in out
    assert out.count(":$7$101$") == 7
    assert "printed-config-key" not in out
    assert main(["broker-config", "--posts", "RUEHC"]) == 2  # no key
    assert "no key" in capsys.readouterr().err


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[tuple[MosquittoBroker, dict[str, str]]]:
    """A mosquitto configured by `broker-config --out`, and the environment with the deployment's key."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (make test installs it)")
    key = tmp_path / "cableroute.key"
    key.write_text(subprocess.run([*CABLEROUTE, "broker-config", "--new-key"], capture_output=True,
                                  text=True, check=True).stdout)  # fmt: skip
    access = tmp_path / "access"
    env = {**os.environ, "CABLEROUTE_KEY_FILE": str(key)}
    subprocess.run(
        [*CABLEROUTE, "broker-config", "--posts", ",".join(POSTS), "--out", str(access)], env=env, check=True
    )
    data_dir = tmp_path / "mosquitto"
    data_dir.mkdir()
    broker = MosquittoBroker(data_dir=data_dir, extra_config=(access / "access.conf").read_text())
    broker.start()
    try:
        yield broker, env
    finally:
        broker.close()


def _ready(process: subprocess.Popen[bytes], text: str) -> None:
    assert process.stderr is not None
    for _ in range(50):
        line = process.stderr.readline().decode()
        if text in line or not line:
            break
    assert text in line, line


def _status(db: Path, run: str) -> str | None:
    try:
        with AuditStore(db, create=False) as store:
            return next((info.status for info in store.runs() if info.name == run), None)
    except StoreError:
        return None


def test_the_services_run_on_a_broker_configured_by_it_and_no_one_else_gets_in(
    configured: tuple[MosquittoBroker, dict[str, str]], tmp_path: Path
) -> None:
    broker, env = configured
    corpus = tmp_path / "cables"
    corpus.mkdir()
    for item in cable_texts(4):
        (corpus / item.source).write_text(item.text)
    db = tmp_path / "audit.sqlite"
    AuditStore(db).close()
    url = f"mqtt://127.0.0.1:{broker.port}"
    common = ["--broker", url, "--db", str(db)]
    posts = subprocess.Popen([*CABLEROUTE, "posts", *common, "--only", ",".join(POSTS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip
    router = subprocess.Popen([*CABLEROUTE, "-v", "serve", *common, "--settle", "0.5"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)  # fmt: skip
    try:
        _ready(posts, "posts connected")
        _ready(router, "router service listening")
        # Nobody without the key's passwords: not an eavesdropper, not a client taking the router's id.
        for info, client_id in (
            (BrokerInfo(host="127.0.0.1", port=broker.port), "eavesdropper"),
            (BrokerInfo(host="127.0.0.1", port=broker.port, username="cableroute-router", password="x"),
             "cableroute-router"),
        ):  # fmt: skip
            with pytest.raises(ConnectionRefused):
                asyncio.run(open_connection(info, client_id, clean_session=False))
        submitted = subprocess.run(
            [*CABLEROUTE, "replay", "--remote", "--broker", url, "--run", "guarded", str(corpus)],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
        assert submitted.returncode == 0, submitted.stderr
        assert wait_until(lambda: _status(db, "guarded") == "ok", timeout=20)
    finally:
        for process in (router, posts):
            process.send_signal(signal.SIGTERM)
        for process in (router, posts):
            process.communicate(timeout=15)
    with AuditStore(db, create=False) as store:
        for serial in range(100, 104):
            report = who_got(store, "guarded", f"08TOKYO{serial}")
            assert {entry.post for entry in report.received} == set(POSTS)
            assert report.missing == []
