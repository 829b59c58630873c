"""`--broker mqtts://user:pass@host:port`: a replay through a real mosquitto with TLS and passwords.

The test makes its own certificate authority and server certificate with `openssl`, starts a private
mosquitto that accepts only TLS and a password file, and points Python's default trust store at the
authority with SSL_CERT_FILE, as a user of a broker with a private CA would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.cli import main
from replay.mqtt.broker import MosquittoBroker, find_mosquitto

pytestmark = pytest.mark.broker

USER, PASSWORD = "ops", "s@cret"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(directory: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 signed by it; the CA's certificate file."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=directory)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=directory)  # fmt: skip
    (directory / "server.key").chmod(0o644)  # mosquitto drops to the invoking user and must read it
    return directory / "ca.crt"


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[tuple[MosquittoBroker, Path]]:
    """A private mosquitto taking only TLS clients with a password; its CA certificate file."""
    if find_mosquitto() is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto and mosquitto_passwd are needed (make test installs them)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificates")
    tls = tmp_path / "tls"
    tls.mkdir()
    ca = _certificates(tls)
    passwords = tls / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), USER, PASSWORD], check=True)
    passwords.chmod(0o644)
    data_dir = tmp_path / "mosquitto"
    data_dir.mkdir()
    extra = "\n".join(
        [
            f"certfile {tls / 'server.crt'}",
            f"keyfile {tls / 'server.key'}",
            f"password_file {passwords}",
            "allow_anonymous false",
            "",
        ]
    )
    broker = MosquittoBroker(data_dir=data_dir, extra_config=extra)
    broker.start()
    try:
        yield broker, ca
    finally:
        broker.close()


def _replay(port: int, password: str, db: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    url = f"mqtts://{USER}:{password}@127.0.0.1:{port}"
    code = main(["replay", "--broker", url, "--db", str(db), "--json", "--timeout", "5"])
    out, err = capsys.readouterr()
    return code, out, err


def test_replay_through_tls_with_a_password(
    secure_broker: tuple[MosquittoBroker, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker, ca = secure_broker
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    code, out, err = _replay(broker.port, "s%40cret", tmp_path / "a.sqlite", capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["broker"] == f"mqtts://{USER}@127.0.0.1:{broker.port}"
    assert summary["planned"] == summary["received"] == 22
    assert summary["missing"] == 0


@pytest.mark.parametrize(
    ("password", "trust_the_ca", "reason"),
    [("wrong", True, "broker refused the connection: not authorised"), ("s%40cret", False, "cannot trust")],
)
def test_a_refusal_or_an_untrusted_certificate_ends_the_run_with_the_reason(
    password: str,
    trust_the_ca: bool,
    reason: str,
    secure_broker: tuple[MosquittoBroker, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker, ca = secure_broker
    if trust_the_ca:
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    code, _, err = _replay(broker.port, password, tmp_path / "a.sqlite", capsys)
    assert code == 1
    assert reason in err
