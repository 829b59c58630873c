"""Broker lists: `--broker` naming a cluster's nodes, and clients moving on when their node goes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.cli import main
from replay.engine.replayer import poll_until
from replay.mqtt.broker import BrokerInfo, MosquittoBroker, find_mosquitto, free_port, parse_broker_url
from replay.mqtt.client import MqttError
from replay.mqtt.publisher import Publisher
from replay.mqtt.subscriber import Subscriber


def test_a_list_names_every_node_in_order() -> None:
    broker = parse_broker_url("mqtt://ops:pw@a.example:1884, mqtt://b.example,mqtt://c.example:1999")
    assert broker.nodes == (("a.example", 1884), ("b.example", 1883), ("c.example", 1999))
    assert broker.url == "mqtt://ops@a.example:1884,mqtt://ops@b.example:1883,mqtt://ops@c.example:1999"
    second = broker.node(1)
    assert (second.host, second.port, second.username, second.password) == ("b.example", 1883, "ops", "pw")
    assert second.nodes == (("b.example", 1883),)
    assert broker.node(3).nodes == broker.node(0).nodes == (("a.example", 1884),)
    assert parse_broker_url(broker.url).nodes == broker.nodes
    single = parse_broker_url("mqtt://a.example")
    assert (single.nodes, single.node(5).port) == ((("a.example", 1883),), 1883)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mqtt://a,mqtts://b", "same scheme"),
        ("mqtt://u:one@a,mqtt://u:two@b", "same user name and password"),
        ("mqtt://a,,mqtt://b", "empty entry"),
        ("mqtt://a,b:1883", "must start with mqtt://"),
    ],
)
def test_a_bad_list_is_refused_with_its_reason(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_broker_url(value)


def test_the_commands_refuse_a_bad_list(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["posts"], ["serve"], ["replay", "--remote"]):
        assert main([*command, "--broker", "mqtt://a,http://b"]) == 2
        assert "must start with mqtt://" in capsys.readouterr().err


@pytest.fixture
def two_brokers(tmp_path: Path) -> Iterator[tuple[MosquittoBroker, MosquittoBroker]]:
    """Two private mosquittos (separate brokers: they share no sessions)."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (make test installs it)")
    brokers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            broker = MosquittoBroker(data_dir=tmp_path / name)
            broker.start()
            brokers.append(broker)
        yield brokers[0], brokers[1]
    finally:
        for broker in brokers:
            broker.close()


def _list_of(*brokers: MosquittoBroker) -> BrokerInfo:
    return parse_broker_url(",".join(broker.info.url for broker in brokers))


@pytest.mark.broker
async def test_clients_move_to_the_next_node_when_theirs_dies(
    two_brokers: tuple[MosquittoBroker, MosquittoBroker],
) -> None:
    a, b = two_brokers
    cluster = _list_of(a, b)
    got: list[bytes] = []
    post = Subscriber("cableroute-post-RUEHC", "posts/RUEHC", cluster, got.append)
    publisher = Publisher(cluster, node=1)
    await post.start()
    await publisher.start()
    assert (post.node, publisher.node) == (0, 1)
    a.stop(kill=True)
    assert await poll_until(lambda: post.online and post.node == 1, 10)
    assert post.failovers == 1
    publisher.publish("posts/RUEHC", b"after the loss")
    assert await poll_until(lambda: got == [b"after the loss"], 10)
    assert await publisher.flush(5)
    b.stop(kill=True)
    a.start()
    assert await poll_until(lambda: post.online and post.node == 0, 10)
    assert await poll_until(lambda: publisher.online and publisher.node == 0, 10)
    publisher.publish("posts/RUEHC", b"back on the first node")
    assert await poll_until(lambda: len(got) == 2, 10)
    assert got[1] == b"back on the first node"
    await post.stop()
    await publisher.close()


@pytest.mark.broker
def test_a_replay_starts_on_the_first_node_that_answers(
    two_brokers: tuple[MosquittoBroker, MosquittoBroker], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = two_brokers
    nowhere = f"mqtt://127.0.0.1:{free_port()}"
    db = tmp_path / "audit.sqlite"
    code = main(
        ["replay", "--broker", f"{nowhere},{a.info.url}", "--db", str(db), "--json", "--timeout", "10"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["broker"] == f"{nowhere},{a.info.url}"
    assert (summary["planned"], summary["received"], summary["missing"]) == (22, 22, 0)


async def test_an_unreachable_list_names_the_last_node_tried() -> None:
    ports = [free_port(), free_port()]
    cluster = parse_broker_url(",".join(f"mqtt://127.0.0.1:{port}" for port in ports))
    publisher = Publisher(cluster)
    with pytest.raises(MqttError, match=r"cannot connect to the broker: cannot reach mqtt://127\.0\.0\.1"):
        await asyncio.wait_for(publisher.start(timeout=0.5), 5)
    assert publisher.node in (0, 1)
