"""The broker password: from the environment or a file for every command that takes `--broker`, never
in `ps`, and masked in every message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.cli import main
from replay.mqtt.access import password_hash
from replay.mqtt.broker import MosquittoBroker, find_mosquitto

pytestmark = pytest.mark.broker

CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]
USER, PASSWORD = "ops", "S3cretPW-in-env"
KEY = "secrets-test-key-0123456789abcdef"


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A private mosquitto that admits only the user `ops` with its password."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (make test installs it)")
    passwords = tmp_path / "passwords"
    passwords.write_text(f"{USER}:{password_hash(PASSWORD)}\n")
    data_dir = tmp_path / "mosquitto"
    data_dir.mkdir()
    broker = MosquittoBroker(
        data_dir=data_dir, extra_config=f"password_file {passwords}\nallow_anonymous false\n"
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.mark.parametrize("command", ["replay", "serve", "posts"])
def test_a_bad_broker_url_is_shown_with_its_password_masked(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CABLEROUTE_KEY", KEY)
    code = main([command, "--broker", "mqtt://ops:S3cretPW@127.0.0.1:99999"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "broker URL has a bad port: 'mqtt://ops:***@127.0.0.1:99999'" in err
    assert "S3cretPW" not in out + err


def _replay(port: int, db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    url = f"mqtt://{USER}@127.0.0.1:{port}"
    code = main(["replay", "--broker", url, "--db", str(db), "--json", "--timeout", "5", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_password_comes_from_the_environment(
    password_broker: MosquittoBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CABLEROUTE_BROKER_PASSWORD", PASSWORD)
    code, out, err = _replay(password_broker.port, tmp_path / "a.sqlite", capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["planned"] == summary["received"] == 22
    assert PASSWORD not in out + err


def test_the_password_comes_from_a_file_and_a_wrong_one_is_not_echoed(
    password_broker: MosquittoBroker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CABLEROUTE_BROKER_PASSWORD", raising=False)
    secret = tmp_path / "broker-password"
    secret.write_text(PASSWORD + "\n")
    code, out, err = _replay(
        password_broker.port, tmp_path / "a.sqlite", capsys, "--broker-password-file", str(secret)
    )
    assert code == 0, err
    assert json.loads(out)["received"] == 22
    secret.write_text("Wr0ngPW-in-file\n")
    code, out, err = _replay(
        password_broker.port, tmp_path / "b.sqlite", capsys, "--broker-password-file", str(secret)
    )
    assert code == 1
    assert "not authorised" in err
    assert "Wr0ngPW-in-file" not in out + err


def test_services_given_the_url_and_password_in_the_environment_keep_them_out_of_ps(
    password_broker: MosquittoBroker, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CABLEROUTE_BROKER": f"mqtt://{USER}@127.0.0.1:{password_broker.port}",
        "CABLEROUTE_BROKER_PASSWORD": PASSWORD,
        "CABLEROUTE_KEY": KEY,
    }
    posts = subprocess.Popen(
        [*CABLEROUTE, "posts", "--db", str(tmp_path / "a.sqlite"), "--only", "RUEHC"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert posts.stderr is not None
        first = posts.stderr.readline().decode()
        assert "posts connected" in first, first  # it logged in with the password from the environment
        listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        assert "cableroute" in listing or "replay.cli" in listing
        assert PASSWORD not in listing
        assert PASSWORD.encode() not in Path(f"/proc/{posts.pid}/cmdline").read_bytes()
    finally:
        posts.send_signal(signal.SIGTERM)
        _, err = posts.communicate(timeout=15)
    assert posts.returncode == 0
    assert PASSWORD not in first + err.decode()
