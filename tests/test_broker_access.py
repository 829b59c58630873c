"""A mosquitto given the run's password file and ACL (written in Python) admits only its clients, each
to its own topics; nobody else can read the posts' traffic, publish to them or take a client id."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from replay.mqtt.access import client_password, password_hash, run_access
from replay.mqtt.broker import BrokerInfo, MosquittoBroker, find_mosquitto
from replay.mqtt.client import ConnectionRefused, open_connection
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber
from tests.waiting import wait_until_async

pytestmark = pytest.mark.broker

SECRET = b"access-test-secret-0123456789abcdef"
PREFIX = "cableroute-0badcafe"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A mosquitto admitting only the run's publisher and the posts RUEHC and RUEHFK."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (make test installs it)")
    broker = MosquittoBroker(
        data_dir=tmp_path, clients=run_access(PREFIX, ["RUEHC", "RUEHFK"]), secret=SECRET
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


def _as(broker: BrokerInfo, username: str | None, password: str | None = None) -> BrokerInfo:
    return msgspec.structs.replace(broker, client_secret=None, username=username, password=password)


def test_the_password_hash_is_the_format_mosquitto_passwd_writes() -> None:
    text = password_hash("secret", salt=b"\x67\x71\xc1\x79\xf2\x5e\x24\x1d\x9e\x37\x3a\x21")
    assert text == (
        "$7$101$Z3HBefJeJB2eNzoh$UX9dXTlcIsuJGFcSRKQQj4bLlTpU5BjT7UbaVtt1RiIuaUrEEWUFjRyK/7eAjY1n3hPt8HN869F8C"
        "4C1nC4K3w=="
    )


async def test_only_the_runs_clients_get_in_and_each_only_to_its_own_topics(guarded: MosquittoBroker) -> None:
    info = guarded.info
    post_c, post_fk, router = f"{PREFIX}-post-RUEHC", f"{PREFIX}-post-RUEHFK", f"{PREFIX}-router"
    # No anonymous clients, no wrong passwords, no one taking the router's client id.
    for broker, client_id in (
        (_as(info, None), "eavesdropper"),
        (_as(info, router, "guessed"), router),
        (_as(info, post_c, client_password(SECRET, post_fk)), post_c),
    ):
        with pytest.raises(ConnectionRefused):
            await open_connection(broker, client_id, clean_session=True)
    # A post reads only its own topic and cannot publish on post topics; the router's messages arrive.
    got: list[bytes] = []
    subscriber = Subscriber(post_fk, "posts/RUEHFK", info, got.append)
    await subscriber.start()
    overheard: list[bytes] = []
    nosy = await open_connection(
        info, post_c, clean_session=True, on_message=lambda t, p: overheard.append(p)
    )
    await nosy.subscribe("posts/RUEHFK")
    await nosy.subscribe("#")
    nosy.publish("posts/RUEHFK", b"forged", qos=0)
    publisher = Publisher(info, router)
    await publisher.start()
    publisher.publish("posts/RUEHFK", b"genuine")
    assert await publisher.flush(5)
    assert await wait_until_async(lambda: got)
    await asyncio.sleep(0.2)  # a moment for anything forged or overheard to show up: it must not
    await publisher.close()
    await nosy.disconnect()
    await subscriber.stop()
    assert got == [b"genuine"]
    assert overheard == []


def test_mosquitto_passwd_and_mosquitto_accept_the_password_file(guarded: MosquittoBroker) -> None:
    """mosquitto itself accepted every line at start (it refuses a malformed file); mosquitto_passwd can
    also update it in place, which it only does for lines it can parse."""
    passwords = guarded.data_dir / "passwords"
    if subprocess.run(["which", "mosquitto_passwd"], capture_output=True).returncode:
        pytest.skip("mosquitto_passwd is not installed")
    lines = passwords.read_text().splitlines()
    assert len(lines) == 3 and all(line.split(":", 1)[1].startswith("$7$101$") for line in lines)
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "extra", "pw"], check=True, capture_output=True)
    updated = passwords.read_text().splitlines()
    assert updated[:3] == lines and updated[3].startswith("extra:$7$")
